/**
 * The bitwise OR of an array of u32 words: the range check of masked uploads (every word is below
 * 2^bits exactly when their OR is), which the server runs on every upload. A WebAssembly SIMD128
 * kernel (`kernels/words-or.wat`) where the runtime has one; a JavaScript loop elsewhere.
 */
import { wordsOrWasm } from './kernels/words-or.generated.js';
import { ensureMemory, instantiateKernel, type KernelMemory } from './wasm-kernel.js';

interface WordsOrKernel {
  memory: KernelMemory;
  orWords(at: number, count: number): number;
}

// Instantiated on first use; `null` where it cannot run.
let kernel: WordsOrKernel | null | undefined;

/**
 * @param words - the words
 * @returns their bitwise OR, as an unsigned integer
 */
export function orOfWords(words: Uint32Array): number {
  kernel ??= instantiateKernel<WordsOrKernel>(wordsOrWasm) ?? null;
  if (kernel === null) return orOfWordsLoop(words);
  ensureMemory(kernel.memory, words.byteLength);
  new Uint32Array(kernel.memory.buffer, 0, words.length).set(words);
  return kernel.orWords(0, words.length) >>> 0;
}

/**
 * The same OR in plain JavaScript (runtimes without WebAssembly SIMD128).
 * @param words - the words
 * @returns their bitwise OR, as an unsigned integer
 */
export function orOfWordsLoop(words: Uint32Array): number {
  // Read as int32 (the same bits): uint32 loads above 2^31 would leave V8's integer fast path.
  const signed = new Int32Array(words.buffer, words.byteOffset, words.length);
  // Four accumulators: one would chain every OR on the previous one; four independent chains ran
  // the pass in less than half the time (`npm run bench:server`, 65,536 words).
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  const whole = signed.length - (signed.length % 4);
  let i = 0;
  for (; i < whole; i += 4) {
    a |= signed[i] as number;
    b |= signed[i + 1] as number;
    c |= signed[i + 2] as number;
    d |= signed[i + 3] as number;
  }
  for (; i < signed.length; i++) a |= signed[i] as number;
  return (a | b | c | d) >>> 0;
}
