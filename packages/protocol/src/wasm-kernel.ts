/**
 * Loading the packages' WebAssembly kernels: `src/…/kernels/*.wat`, compiled by
 * `scripts/build-kernels.mjs` into base64 modules. WebAssembly is reached through `globalThis`
 * with local types (as in `runtime.ts`), so this package compiles without DOM or Node typings.
 */

import { LITTLE_ENDIAN_HOST } from './runtime.js';

/** A kernel's linear memory (a `WebAssembly.Memory`). */
export interface KernelMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: object) => { exports: object };
}

/** Bytes of one WebAssembly memory page. */
const PAGE_BYTES = 65_536;

const platform = globalThis as unknown as {
  WebAssembly?: WebAssemblyApi;
  atob(text: string): string;
};

/**
 * Decodes a kernel and checks that this runtime can run it.
 * @param base64 - the generated module text
 * @returns the module bytes, or `undefined` when they do not validate here (no WebAssembly, or no
 *   SIMD128) or the host is big-endian: wasm memory is little-endian, and every kernel's callers
 *   read and write it through typed arrays, which use the host's byte order
 */
export function kernelBytes(base64: string): Uint8Array<ArrayBuffer> | undefined {
  if (typeof platform.WebAssembly !== 'object' || !LITTLE_ENDIAN_HOST) return undefined;
  const text = platform.atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return platform.WebAssembly.validate(bytes) ? bytes : undefined;
}

/**
 * Compiles and instantiates a small kernel synchronously (a browser's main thread allows that for
 * modules under 4 KB; every kernel here is under 1 KB).
 * @param base64 - the generated module text
 * @param imports - what the module imports (an imported memory)
 * @returns the instance's exports, or `undefined` when the kernel cannot run here: no WebAssembly,
 *   no SIMD128, or a page whose Content-Security-Policy forbids compiling WebAssembly
 */
export function instantiateKernel<Exports extends object>(
  base64: string,
  imports?: object,
): Exports | undefined {
  const bytes = kernelBytes(base64);
  const wasm = platform.WebAssembly;
  if (bytes === undefined || wasm === undefined) return undefined;
  try {
    return new wasm.Instance(new wasm.Module(bytes), imports).exports as Exports;
  } catch {
    return undefined;
  }
}

/**
 * Makes `memory` at least `bytes` long. Growing detaches views of the old buffer: take views after.
 * @param memory - a kernel's memory
 * @param bytes - required length
 * @throws RangeError (from the runtime) when the memory cannot grow that far
 */
export function ensureMemory(memory: KernelMemory, bytes: number): void {
  const missing = bytes - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / PAGE_BYTES));
}
