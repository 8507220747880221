/**
 * Masked uploads of a distributed round, summed into one log record. A masked upload is 2^16
 * words the server cannot look into and only ever adds, so the embedded store does not log each
 * body: uploads that arrive while the log is busy with an earlier write join one batch, and the
 * batch is logged as its nonces and the exact sum of its words. One record of 256 KiB then makes a
 * whole group commit durable, instead of one body per upload: the disk, not the CPU, bounded the
 * ingest rate of 262 KB uploads. The sum is exact (`capacity` keeps it below 2^32 per word), so a
 * replay after a crash adds exactly the integers the uploads added, and the store's files hold at
 * most what the server's memory holds anyway: sums of masked vectors (a batch of one is that
 * upload's masked vector, which reveals nothing without the other devices' masks).
 */
import { endianness } from 'node:os';

import {
  ensureMemory,
  instantiateKernel,
  type KernelMemory,
  StorageError,
} from '@privads/protocol';

import { wordsAddWasm } from './kernels/words-add.generated.js';

const LITTLE_ENDIAN = endianness() === 'LE';

interface WordsAddKernel {
  memory: KernelMemory;
  addWords(sum: number, words: number, count: number): void;
}

/** A batch's summing kernel (`kernels/words-add.wat`): its memory holds the sum, then the upload. */
interface SumKernel {
  kernel: WordsAddKernel;
  sum: Uint32Array;
  /** Where an upload is copied to be added (at byte `wordsAt`). */
  words: Uint32Array;
  wordsAt: number;
}

// Kernels of released batches, for the next ones: with a wasm memory per batch (each reserves and
// frees its own address space) `npm run bench:server` measured the server slower than with the
// loop, and a server has at most a few batches alive (one gathering, one being written).
const idleKernels: WordsAddKernel[] = [];
const MAX_IDLE_KERNELS = 4;
// `false` once the kernel could not be instantiated here (see `instantiateKernel`).
let kernelUsable = true;

function takeKernel(length: number): SumKernel | undefined {
  const kernel =
    idleKernels.pop() ??
    (kernelUsable ? instantiateKernel<WordsAddKernel>(wordsAddWasm) : undefined);
  if (kernel === undefined) {
    kernelUsable = false;
    return undefined;
  }
  const wordsAt = 16 * Math.ceil((4 * length) / 16);
  ensureMemory(kernel.memory, wordsAt + 4 * length);
  const { buffer } = kernel.memory;
  return {
    kernel,
    sum: new Uint32Array(buffer, 0, length),
    words: new Uint32Array(buffer, wordsAt, length),
    wordsAt,
  };
}

/** An open batch: the nonces and the running sum of the masked uploads that joined it. */
export class MaskedBatch {
  /** The round the uploads belong to. */
  readonly roundId: number;
  /** Nonces of the uploads in the batch, in arrival order. */
  readonly nonces: string[];
  #sum: Uint32Array;
  readonly #capacity: number;
  #kernel: SumKernel | undefined;
  #released = false;
  #sealed = false;

  /**
   * @param roundId - the round
   * @param nonce - the first upload's nonce
   * @param words - its masked words (copied)
   * @param bits - the round's modulus exponent: every word is below 2^bits
   */
  constructor(roundId: number, nonce: string, words: Uint32Array, bits: number) {
    this.roundId = roundId;
    this.nonces = [nonce];
    this.#kernel = takeKernel(words.length);
    this.#sum = this.#kernel?.sum ?? new Uint32Array(words.length);
    this.#sum.set(words);
    // k words below 2^bits sum below 2^32 for k ≤ 2^(32 − bits).
    this.#capacity = 2 ** Math.max(0, 32 - bits);
  }

  /**
   * Σ words of the batch (exact: never more than `capacity` uploads).
   * @throws RangeError once the batch was {@link MaskedBatch.release}d
   */
  get sum(): Uint32Array {
    if (this.#released) throw new RangeError('the batch was released');
    return this.#sum;
  }

  /**
   * Gives the batch's memory to a later batch. Call once its sum was read for the last time (when
   * its record is durable and applied); {@link MaskedBatch.sum} throws after.
   */
  release(): void {
    if (this.#kernel !== undefined && idleKernels.length < MAX_IDLE_KERNELS) {
      idleKernels.push(this.#kernel.kernel);
    }
    this.#kernel = undefined;
    this.#released = true;
    this.#sealed = true;
  }

  /** Whether the batch was sealed (its record taken for the log). */
  get sealed(): boolean {
    return this.#sealed;
  }

  /**
   * Whether an upload to `roundId` may join: the batch is of that round, not sealed, and the sum
   * stays exact with one more.
   * @param roundId - the upload's round
   * @returns true when {@link MaskedBatch.add} may be called
   */
  accepts(roundId: number): boolean {
    return roundId === this.roundId && !this.#sealed && this.nonces.length < this.#capacity;
  }

  /**
   * Adds one upload.
   * @param nonce - its nonce
   * @param words - its masked words, each below 2^bits
   * @throws RangeError once the batch no longer {@link MaskedBatch.accepts} uploads, or for a
   *   length other than the batch's
   */
  add(nonce: string, words: Uint32Array): void {
    if (!this.accepts(this.roundId)) throw new RangeError('the batch is sealed or full');
    if (words.length !== this.#sum.length) {
      throw new RangeError(`words length must be ${this.#sum.length}, got ${words.length}`);
    }
    const kernel = this.#kernel;
    if (kernel === undefined) {
      addWordsLoop(this.#sum, words);
    } else {
      // Copied in, then summed eight words per SIMD step: a fifth of the loop's time.
      kernel.words.set(words);
      kernel.kernel.addWords(0, kernel.wordsAt, words.length);
    }
    this.nonces.push(nonce);
  }

  /**
   * Seals the batch and returns its log record.
   * @returns meta (`type: 'masked-sum'`, round, nonces) and the sum as little-endian u32
   */
  seal(): { meta: Record<string, unknown>; data: Uint8Array } {
    this.#sealed = true;
    return {
      meta: { type: 'masked-sum', roundId: this.roundId, nonces: this.nonces },
      data: LITTLE_ENDIAN
        ? new Uint8Array(this.sum.buffer, this.sum.byteOffset, this.sum.byteLength)
        : swapped(this.sum),
    };
  }
}

/**
 * Adds `words` into `sum` in JavaScript (where the kernel cannot run).
 * @param sum - the running sum (every word of it stays below 2^32)
 * @param words - as many words
 */
export function addWordsLoop(sum: Uint32Array, words: Uint32Array): void {
  // Int32 views of the same bits: the sum stays below 2^32 (see `accepts`), so wrapping int32
  // addition writes exactly the uint32 sum, on V8's integer fast path. Four words per turn: the
  // pass took 60 % of the time of the one-word loop (`npm run bench:server`, 65,536 words).
  const total = new Int32Array(sum.buffer, sum.byteOffset, sum.length);
  const add = new Int32Array(words.buffer, words.byteOffset, words.length);
  const whole = total.length - (total.length % 4);
  let i = 0;
  for (; i < whole; i += 4) {
    total[i] = ((total[i] as number) + (add[i] as number)) | 0;
    total[i + 1] = ((total[i + 1] as number) + (add[i + 1] as number)) | 0;
    total[i + 2] = ((total[i + 2] as number) + (add[i + 2] as number)) | 0;
    total[i + 3] = ((total[i + 3] as number) + (add[i + 3] as number)) | 0;
  }
  for (; i < total.length; i++) total[i] = ((total[i] as number) + (add[i] as number)) | 0;
}

function swapped(sum: Uint32Array): Uint8Array {
  const out = new Uint8Array(sum.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < sum.length; i++) view.setUint32(4 * i, sum[i] as number, true);
  return out;
}

/**
 * Reads a `masked-sum` record back.
 * @param meta - the record's JSON part
 * @param data - its binary part
 * @param length - the round's vector length
 * @returns the round, the nonces and the sum
 * @throws StorageError `STORAGE_CORRUPT` for a record that {@link MaskedBatch.seal} never wrote
 */
export function readMaskedSum(
  meta: Record<string, unknown>,
  data: Uint8Array,
  length: number,
): { nonces: string[]; sum: Uint32Array } {
  const nonces = meta.nonces;
  if (
    !Array.isArray(nonces) ||
    nonces.length === 0 ||
    !nonces.every((n): n is string => typeof n === 'string') ||
    data.length !== 4 * length
  ) {
    throw new StorageError(
      'STORAGE_CORRUPT',
      `malformed masked-sum record for round ${String(meta.roundId)}`,
    );
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const sum = new Uint32Array(length);
  for (let i = 0; i < length; i++) sum[i] = view.getUint32(4 * i, true);
  return { nonces, sum };
}
