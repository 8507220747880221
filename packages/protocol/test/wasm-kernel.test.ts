import { describe, expect, it } from 'vitest';

import { ensureMemory, instantiateKernel, kernelBytes, type KernelMemory } from '../src/index.js';
import { wordsOrWasm } from '../src/kernels/words-or.generated.js';

interface WordsOr {
  memory: KernelMemory;
  orWords(at: number, count: number): number;
}

/** base64 of a module that imports a memory (`(module (import "env" "memory" (memory 1)))`). */
const NEEDS_MEMORY = 'AGFzbQEAAAACDwEDZW52Bm1lbW9yeQIAAQ==';

describe('WebAssembly kernels', () => {
  it('the words-or kernel validates and runs here (Node ≥ 20 has SIMD128)', () => {
    expect(kernelBytes(wordsOrWasm)).toBeInstanceOf(Uint8Array);
    const kernel = instantiateKernel<WordsOr>(wordsOrWasm);
    expect(kernel).toBeDefined();
    new Uint32Array(kernel!.memory.buffer, 0, 3).set([1, 2, 2 ** 31]);
    expect(kernel!.orWords(0, 3) >>> 0).toBe(2 ** 31 + 3);
  });

  it('bytes that are no module do not validate, and a failed instantiation is undefined', () => {
    expect(kernelBytes(btoa('not a wasm module'))).toBeUndefined();
    expect(kernelBytes(NEEDS_MEMORY)).toBeInstanceOf(Uint8Array);
    expect(instantiateKernel(NEEDS_MEMORY)).toBeUndefined();
    const memory = new WebAssembly.Memory({ initial: 1 });
    expect(instantiateKernel(NEEDS_MEMORY, { env: { memory } })).toEqual({});
  });

  it('ensureMemory grows by whole pages, only when needed', () => {
    const kernel = instantiateKernel<WordsOr>(wordsOrWasm)!;
    const before = kernel.memory.buffer.byteLength;
    ensureMemory(kernel.memory, before);
    expect(kernel.memory.buffer.byteLength).toBe(before);
    ensureMemory(kernel.memory, before + 1);
    expect(kernel.memory.buffer.byteLength).toBe(before + 65_536);
  });
});
