#!/usr/bin/env node
// Builds the project's default content encoder deterministically from a seed:
//   hashed n-gram features (ids + weights, computed by the `hashed-ngrams` tokenizer in src/)
//   → embedding bag: Gather over an int8 table [buckets × bagDim], Cast, × weight, ReduceSum
//   → projection: MatMul with a f32 matrix [bagDim × dim] with orthonormal rows (an isometry)
//   → L2 normalisation (ReduceL2, Max(ε), Div).
// Both weight tensors are random (seeded): the model is a lexical encoder (a random projection of
// a weighted bag of hashed words, word pairs and character trigrams), not a semantic one.
//
// Usage: node packages/encoder/scripts/generate-default-model.mjs [outDir]
//   (default outDir: packages/encoder/models/default). Same seed → byte-identical files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DataType,
  createPrng,
  initializer,
  node,
  normalish,
  serializeModel,
  valueInfo,
} from './onnx-writer.mjs';

/** Parameters of the default encoder; `src/default-spec.ts` must agree (a unit test checks). */
export const DEFAULT_MODEL = Object.freeze({
  id: 'privads-hashed-ngrams-384-v1',
  seed: 20240917,
  buckets: 16384,
  bagDim: 256,
  dim: 384,
  int8Std: 32,
});

/**
 * @param {typeof DEFAULT_MODEL} p
 * @returns {Uint8Array} the ONNX model
 */
export function buildDefaultModel(p = DEFAULT_MODEL) {
  const next = createPrng(p.seed);
  const table = new Int8Array(p.buckets * p.bagDim);
  for (let i = 0; i < table.length; i++) {
    table[i] = Math.max(-127, Math.min(127, Math.round(normalish(next) * p.int8Std)));
  }
  const projection = Float32Array.from(orthonormalRows(p.bagDim, p.dim, next));

  return serializeModel({
    name: p.id,
    doc: `PrivAds default content encoder ${p.id}: seeded random embedding bag over hashed n-grams (lexical, not semantic).`,
    initializers: [
      initializer('bag_table', DataType.INT8, [p.buckets, p.bagDim], table),
      initializer('projection', DataType.FLOAT, [p.bagDim, p.dim], projection),
      initializer('axis_features', DataType.INT64, [1], BigInt64Array.of(1n)),
      initializer('axis_weight', DataType.INT64, [1], BigInt64Array.of(2n)),
      initializer('epsilon', DataType.FLOAT, [], Float32Array.of(1e-12)),
    ],
    inputs: [
      valueInfo('ids', DataType.INT64, ['batch', 'features']),
      valueInfo('weights', DataType.FLOAT, ['batch', 'features']),
    ],
    outputs: [valueInfo('embedding', DataType.FLOAT, ['batch', p.dim])],
    nodes: [
      node('Gather', ['bag_table', 'ids'], ['rows_int8'], { axis: { int: true, value: 0 } }),
      node('Cast', ['rows_int8'], ['rows'], { to: { int: true, value: DataType.FLOAT } }),
      node('Unsqueeze', ['weights', 'axis_weight'], ['weights_3d']),
      node('Mul', ['rows', 'weights_3d'], ['weighted_rows']),
      node('ReduceSum', ['weighted_rows', 'axis_features'], ['bag'], {
        keepdims: { int: true, value: 0 },
      }),
      node('MatMul', ['bag', 'projection'], ['projected']),
      node('ReduceL2', ['projected'], ['norm'], {
        axes: { value: [-1] },
        keepdims: { int: true, value: 1 },
      }),
      node('Max', ['norm', 'epsilon'], ['safe_norm']),
      node('Div', ['projected', 'safe_norm'], ['embedding']),
    ],
    metadata: {
      'privads.encoder.id': p.id,
      'privads.seed': String(p.seed),
      'privads.buckets': String(p.buckets),
      'privads.bag_dim': String(p.bagDim),
      'privads.dim': String(p.dim),
    },
  });
}

/**
 * `rows × cols` matrix (rows ≤ cols) with orthonormal rows: seeded draws, then modified
 * Gram–Schmidt in float64. Only +, ×, ÷ and √ are used (all correctly rounded in IEEE 754), so the
 * result is the same on every platform. Orthonormal rows make the projection an isometry: cosines
 * between bags are preserved exactly, the 384-d output only re-expresses the 256-d bag.
 * @param {number} rows
 * @param {number} cols
 * @param {() => number} next uint32 source
 * @returns {Float64Array} row-major
 */
function orthonormalRows(rows, cols, next) {
  const m = new Float64Array(rows * cols);
  for (let i = 0; i < m.length; i++) m[i] = normalish(next);
  for (let r = 0; r < rows; r++) {
    const row = m.subarray(r * cols, (r + 1) * cols);
    for (let q = 0; q < r; q++) {
      const prev = m.subarray(q * cols, (q + 1) * cols);
      let dot = 0;
      for (let c = 0; c < cols; c++) dot += row[c] * prev[c];
      for (let c = 0; c < cols; c++) row[c] -= dot * prev[c];
    }
    let norm = 0;
    for (let c = 0; c < cols; c++) norm += row[c] * row[c];
    norm = Math.sqrt(norm);
    for (let c = 0; c < cols; c++) row[c] /= norm;
  }
  return m;
}

/**
 * The spec file that describes the default model (see docs/encoder.md, "Spec file").
 * @param {typeof DEFAULT_MODEL} p
 */
export function defaultSpecJson(p = DEFAULT_MODEL) {
  return {
    format: 'privads-encoder',
    version: 1,
    id: p.id,
    dim: p.dim,
    model: { file: 'model.onnx', inputs: { ids: 'ids', weights: 'weights' }, output: 'embedding' },
    tokenizer: { kind: 'hashed-ngrams', buckets: p.buckets },
    pooling: 'none',
    normalize: 'l2',
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outDir = process.argv[2] ?? fileURLToPath(new URL('../models/default/', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  const model = buildDefaultModel();
  writeFileSync(join(outDir, 'model.onnx'), model);
  writeFileSync(join(outDir, 'encoder.json'), `${JSON.stringify(defaultSpecJson(), null, 2)}\n`);
  console.log(`wrote ${join(outDir, 'model.onnx')} (${model.length} bytes) and encoder.json`);
}
