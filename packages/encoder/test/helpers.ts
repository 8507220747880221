import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Root of the encoder package. */
export const packageDir = fileURLToPath(new URL('../', import.meta.url));
/** The tiny wordpiece test encoder (built by scripts/generate-tiny-wordpiece.mjs). */
export const tinySpecPath = fileURLToPath(
  new URL('./fixtures/tiny-wordpiece/encoder.json', import.meta.url),
);
/** The default encoder's spec file. */
export const defaultSpecPath = fileURLToPath(
  new URL('../models/default/encoder.json', import.meta.url),
);
/** The default encoder's model file. */
export const defaultModelPath = fileURLToPath(
  new URL('../models/default/model.onnx', import.meta.url),
);
/** onnxruntime-web's wasm directory (for the web runner under Node). */
export const ortWasmDir = fileURLToPath(
  new URL('../../../node_modules/onnxruntime-web/dist/', import.meta.url),
);

/** Texts both runners must agree on (shared with the Playwright spec). */
export const parityTexts: string[] = JSON.parse(
  readFileSync(new URL('./fixtures/parity-texts.json', import.meta.url), 'utf8'),
) as string[];

/** A text longer than the default 8192-character limit (built the same way in the browser test). */
export const longText = Array.from({ length: 1500 }, (_, i) => `word${i % 97} ünï`).join(' ');

/**
 * Cosine of rows `a` and `b` of a row-major matrix.
 * @param m - matrix
 * @param dim - row length
 * @param a - row
 * @param b - row
 * @returns cosine similarity
 */
export function cosine(m: Float32Array, dim: number, a: number, b: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let d = 0; d < dim; d++) {
    const x = m[a * dim + d] as number;
    const y = m[b * dim + d] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb);
}

/**
 * L2 norm of row `r`.
 * @param m - matrix
 * @param dim - row length
 * @param r - row
 * @returns the norm
 */
export function rowNorm(m: Float32Array, dim: number, r: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) s += (m[r * dim + d] as number) ** 2;
  return Math.sqrt(s);
}

/**
 * Largest absolute element-wise difference.
 * @param a - first array
 * @param b - second array
 * @returns max |a_i − b_i|
 */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`length ${a.length} ≠ ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}
