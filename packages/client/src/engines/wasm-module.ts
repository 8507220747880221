/**
 * Loading the generated WebAssembly kernels (see `kernels/*.wat` and
 * `scripts/build-kernels.mjs`) and growing their linear memory.
 */

/** Bytes of one WebAssembly memory page. */
const PAGE_BYTES = 65_536;

/**
 * Decodes a base64 kernel into its bytes.
 * @param base64 - the generated module text
 * @returns the module bytes
 */
function kernelBytes(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * Compiles a kernel when this runtime supports every feature it uses.
 * @param base64 - the generated module text
 * @returns the compiled module, or `undefined` when it does not validate here (no WebAssembly,
 *   or no SIMD128)
 */
export async function compileKernel(base64: string): Promise<WebAssembly.Module | undefined> {
  if (typeof WebAssembly !== 'object') return undefined;
  const bytes = kernelBytes(base64);
  if (!WebAssembly.validate(bytes)) return undefined;
  return WebAssembly.compile(bytes);
}

/**
 * Makes `memory` at least `bytes` long.
 * @param memory - a kernel's exported memory
 * @param bytes - required length
 * @throws RangeError (from the runtime) when the memory cannot grow that far
 */
export function ensureMemory(memory: WebAssembly.Memory, bytes: number): void {
  const missing = bytes - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / PAGE_BYTES));
}

/**
 * @param n - a byte offset
 * @returns `n` rounded up to a multiple of 16 (v128 loads)
 */
export const align16 = (n: number): number => Math.ceil(n / 16) * 16;
