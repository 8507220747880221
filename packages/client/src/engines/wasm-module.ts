/**
 * Compiling the engines' WebAssembly kernels (`kernels/*.wat`, built by the root
 * `scripts/build-kernels.mjs`). Asynchronously: an engine may be created on a page's main thread.
 * Decoding the kernels and growing their memory are `@privads/protocol`'s, shared with the other
 * packages' kernels.
 */
import { kernelBytes } from '@privads/protocol';

/**
 * Compiles a kernel when this runtime supports every feature it uses.
 * @param base64 - the generated module text
 * @returns the compiled module, or `undefined` when it does not validate here (no WebAssembly,
 *   or no SIMD128)
 */
export async function compileKernel(base64: string): Promise<WebAssembly.Module | undefined> {
  const bytes = kernelBytes(base64);
  return bytes === undefined ? undefined : WebAssembly.compile(bytes);
}

/**
 * @param n - a byte offset
 * @returns `n` rounded up to a multiple of 16 (v128 loads)
 */
export const align16 = (n: number): number => Math.ceil(n / 16) * 16;
