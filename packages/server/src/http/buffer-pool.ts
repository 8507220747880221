/**
 * Reusable buffers for request bodies. Every upload of a round has the same length (262 KB for a
 * masked upload of the default mode), and a fresh buffer per upload is memory outside V8's heap
 * that V8 can only reclaim with a collection: in `npm run bench:server` the server ran one
 * scavenge for "external memory pressure" every ~50 uploads, over a heap that holds the whole
 * cohort's secure-aggregation state. Buffers given back are lent again to the next body of the
 * same length instead.
 *
 * A buffer is lent to one borrower at a time: {@link BufferPool.give} takes back only a buffer the
 * pool lent and has not taken back yet, so a second `give` of the same buffer cannot make two
 * requests share it.
 */
import { Buffer } from 'node:buffer';

/** Options of a {@link BufferPool}. */
export interface BufferPoolOptions {
  /**
   * Most bytes the pool keeps idle; buffers given back beyond it are left to the collector.
   * @defaultValue 32 MiB
   */
  maxIdleBytes?: number;
}

/** Lends buffers of exact lengths and takes them back for reuse. */
export class BufferPool {
  readonly #idle = new Map<number, Uint8Array[]>();
  readonly #lent = new WeakSet<Uint8Array>();
  readonly #maxIdleBytes: number;
  #idleBytes = 0;

  /** @param options - idle memory bound */
  constructor(options: BufferPoolOptions = {}) {
    const max = options.maxIdleBytes ?? 32 * 2 ** 20;
    if (!(Number.isSafeInteger(max) && max >= 0)) {
      throw new RangeError(`maxIdleBytes must be a non-negative integer, got ${max}`);
    }
    this.#maxIdleBytes = max;
  }

  /** Bytes held idle now. */
  get idleBytes(): number {
    return this.#idleBytes;
  }

  /**
   * Lends a buffer of `length` bytes. Its content is whatever the last borrower left (never
   * zeroed): the borrower must write every byte it reads.
   * @param length - bytes
   * @returns a plain `Uint8Array` over its own `ArrayBuffer` (never a view of a shared pool)
   * @throws RangeError for a length that is not a non-negative safe integer
   */
  take(length: number): Uint8Array {
    if (!(Number.isSafeInteger(length) && length >= 0)) {
      throw new RangeError(`length must be a non-negative integer, got ${length}`);
    }
    const reused = this.#idle.get(length)?.pop();
    let bytes: Uint8Array;
    if (reused === undefined) {
      // Unzeroed: every byte is written by the borrower before it is read.
      bytes = new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length);
    } else {
      bytes = reused;
      this.#idleBytes -= length;
    }
    this.#lent.add(bytes);
    return bytes;
  }

  /**
   * Takes back a buffer lent by {@link BufferPool.take}. The borrower must hold no reference to
   * it (nor to a view of it) afterwards. Anything else (a buffer this pool did not lend, or one
   * already given back) is ignored.
   * @param bytes - the buffer
   */
  give(bytes: Uint8Array): void {
    if (!this.#lent.delete(bytes)) return;
    if (this.#idleBytes + bytes.length > this.#maxIdleBytes) return;
    let idle = this.#idle.get(bytes.length);
    if (idle === undefined) {
      idle = [];
      this.#idle.set(bytes.length, idle);
    }
    idle.push(bytes);
    this.#idleBytes += bytes.length;
  }
}
