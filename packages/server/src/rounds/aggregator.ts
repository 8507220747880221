/**
 * The streaming sum of a round. Each accepted vector is rounded once to a fixed-point grid of
 * 2^-32 and added as integers, so the sum is exact: it does not depend on arrival order, on how
 * many instances each kept a partial sum, or on whether a crash made the store replay its log. That
 * is what lets the tests check "the sum is exactly preserved" and "combined exactly once" with `===`.
 *
 * Integers are held in two float64 limbs per coordinate, `total = hi·2^32 + lo`: doubles are exact
 * up to 2^53, and `lo` is carried into `hi` before it could pass that. Partial sums travel as
 * safetensors (tensors `hi`, `lo`; metadata `count`, `belowClip`, `fractionBits`).
 */
import {
  ProtocolError,
  decodeSafetensors,
  encodeSafetensors,
  ensureMemory,
  instantiateKernel,
  updateVectorLength,
  type KernelMemory,
  type RoundConfig,
} from '@privads/protocol';

import { wordsToF64Wasm } from './kernels/words-to-f64.generated.js';

/** Bits after the binary point of the fixed-point grid (resolution 2^-32 ≈ 2.3e-10). */
export const FRACTION_BITS = 32;
/** Largest |coordinate| accepted by {@link RoundAccumulator.add}: 2^20 keeps one value below 2^52. */
export const MAX_ABS_COORDINATE = 2 ** 20;

const ONE = 2 ** FRACTION_BITS;
const LIMB = 2 ** 32;
const EXACT = 2 ** 53;

interface WordsToF64Kernel {
  memory: KernelMemory;
  addWordsToF64(sums: number, words: number, count: number): void;
}

// One instance for every accumulator (a call leaves nothing behind in it); `null` where the kernel
// cannot run.
let wordsToF64: WordsToF64Kernel | null | undefined;

/**
 * `sums[i] += words[i]` (every result an integer below 2^53, so exact). In the kernel
 * (`kernels/words-to-f64.wat`) even with the copies in and back: the loop converts every word above
 * 2^31 on V8's slow path, and took three times as long for a batch of masked uploads.
 */
function addWordsToFloat64(sums: Float64Array, words: Uint32Array): void {
  wordsToF64 ??= instantiateKernel<WordsToF64Kernel>(wordsToF64Wasm) ?? null;
  if (wordsToF64 === null) {
    for (let i = 0; i < words.length; i++) sums[i] = (sums[i] as number) + (words[i] as number);
    return;
  }
  const wordsAt = sums.byteLength;
  ensureMemory(wordsToF64.memory, wordsAt + words.byteLength);
  const { buffer } = wordsToF64.memory;
  const inKernel = new Float64Array(buffer, 0, sums.length);
  inKernel.set(sums);
  new Uint32Array(buffer, wordsAt, words.length).set(words);
  wordsToF64.addWordsToF64(0, wordsAt, words.length);
  sums.set(inKernel);
}

/**
 * Length of a round's sum: the update vector (the parameter count, plus 2·adCount with per-ad
 * counts), or the padded dimension of the masked words in distributed mode.
 * @param config - the round
 * @returns the vector length every contribution has
 */
export function contributionLength(config: RoundConfig): number {
  return config.privacy.mode === 'distributed'
    ? config.privacy.paddedDimension
    : updateVectorLength(config);
}

/** Count and exact sum of the vectors accepted into one round (or one instance's share of it). */
export class RoundAccumulator {
  /** Vector length. */
  readonly length: number;
  readonly #hi: Float64Array;
  readonly #lo: Float64Array;
  /** Upper bound of every |lo[i]|, to know when a carry is due. */
  #loBound = 0;
  #count = 0;
  #belowClip = 0;

  /**
   * @param length - vector length (the model's parameter count)
   * @throws RangeError for a length that is not a positive safe integer
   */
  constructor(length: number) {
    if (!Number.isSafeInteger(length) || length < 1) {
      throw new RangeError(`length must be a positive integer, got ${length}`);
    }
    this.length = length;
    this.#hi = new Float64Array(length);
    this.#lo = new Float64Array(length);
  }

  /** Number of vectors added. */
  get count(): number {
    return this.#count;
  }

  /** How many of them were below the clip norm (the adaptive-clipping statistic). */
  get belowClip(): number {
    return this.#belowClip;
  }

  /**
   * Adds one vector. A `Uint32Array` holds integers that are added as they are (the masked words of
   * a distributed round, summed modulo 2^bits only at the close): each word w is w·2^32 on the grid,
   * which is exactly w added to the high limb, with no rounding, no range scan and no carry.
   * @param vector - finite values with |x| ≤ {@link MAX_ABS_COORDINATE}, or unsigned 32-bit integers
   * @param belowClip - whether the update's norm was below the clip norm
   * @throws RangeError for a wrong length or an out-of-range value (nothing is added then)
   */
  add(vector: Float32Array | Float64Array | Uint32Array, belowClip: boolean): void {
    if (vector.length !== this.length) {
      throw new RangeError(`vector length must be ${this.length}, got ${vector.length}`);
    }
    if (vector instanceof Uint32Array) this.#addIntegers(vector);
    else this.#addFloats(vector);
    this.#count += 1;
    if (belowClip) this.#belowClip += 1;
  }

  /**
   * Adds the exact integer sum of `count` integer vectors at once (none below the clip norm): the
   * same totals as adding each of them with {@link RoundAccumulator.add}.
   * @param sum - Σ of the vectors, each coordinate below 2^32
   * @param count - how many vectors it sums (≥ 1)
   * @throws RangeError for a wrong length or count (nothing is added then)
   */
  addIntegerSum(sum: Uint32Array, count: number): void {
    if (sum.length !== this.length) {
      throw new RangeError(`vector length must be ${this.length}, got ${sum.length}`);
    }
    if (!Number.isSafeInteger(count) || count < 1) {
      throw new RangeError(`count must be a positive integer, got ${count}`);
    }
    this.#addIntegers(sum);
    this.#count += count;
  }

  #addFloats(vector: Float32Array | Float64Array): void {
    let max = 0;
    for (let i = 0; i < vector.length; i++) {
      const a = Math.abs(vector[i] as number);
      if (!(a <= MAX_ABS_COORDINATE)) {
        throw new RangeError(`vector[${i}] must be finite with |x| <= 2^20, got ${vector[i]}`);
      }
      if (a > max) max = a;
    }
    const step = Math.ceil(max * ONE) + 1;
    if (this.#loBound + step >= EXACT) this.#carry();
    const lo = this.#lo;
    for (let i = 0; i < vector.length; i++)
      lo[i] = (lo[i] as number) + Math.round((vector[i] as number) * ONE);
    this.#loBound += step;
  }

  #addIntegers(words: Uint32Array): void {
    // Every vector (or sum of vectors) added so far, merged ones included, raised |hi| by less
    // than 2^32 and the count by at least one, so hi stays exact below 2^53 for 2^21 of them: far
    // beyond any cohort (≤ 2^20), but checked, since an inexact sum would be silently wrong.
    if ((this.#count + 1) * LIMB >= EXACT) {
      throw new RangeError(`cannot add more than ${this.#count} integer vectors exactly`);
    }
    addWordsToFloat64(this.#hi, words);
  }

  /**
   * Adds another accumulator into this one (combining instances' partial sums).
   * @param other - an accumulator of the same length
   * @throws RangeError for a length mismatch
   */
  merge(other: RoundAccumulator): void {
    if (other.length !== this.length) {
      throw new RangeError(`cannot merge length ${other.length} into ${this.length}`);
    }
    this.#carry();
    other.#carry();
    for (let i = 0; i < this.length; i++) {
      this.#hi[i] = (this.#hi[i] as number) + (other.#hi[i] as number);
      this.#lo[i] = (this.#lo[i] as number) + (other.#lo[i] as number);
    }
    this.#loBound = 2 * LIMB;
    this.#carry();
    this.#count += other.#count;
    this.#belowClip += other.#belowClip;
  }

  /**
   * The sum as doubles (one rounding per coordinate, at the very end).
   * @returns Σ vectors, coordinate-wise
   */
  sum(): Float64Array {
    const out = new Float64Array(this.length);
    for (let i = 0; i < this.length; i++) {
      out[i] = ((this.#hi[i] as number) * LIMB + (this.#lo[i] as number)) / ONE;
    }
    return out;
  }

  /**
   * The exact sum as integers on the grid 2^-{@link FRACTION_BITS}: `sum = gridSum / 2^32`. Central
   * noise is added to these integers, before anything becomes floating point.
   * @returns hi·2^32 + lo per coordinate
   */
  gridSum(): bigint[] {
    this.#carry();
    const out = new Array<bigint>(this.length);
    for (let i = 0; i < this.length; i++) {
      out[i] = (BigInt(this.#hi[i] as number) << 32n) + BigInt(this.#lo[i] as number);
    }
    return out;
  }

  /**
   * Whether both hold exactly the same count and sum.
   * @param other - another accumulator
   * @returns true when count, below-clip count and every integer coordinate agree
   */
  equals(other: RoundAccumulator): boolean {
    if (other.length !== this.length || other.#count !== this.#count) return false;
    if (other.#belowClip !== this.#belowClip) return false;
    this.#carry();
    other.#carry();
    for (let i = 0; i < this.length; i++) {
      if (this.#hi[i] !== other.#hi[i] || this.#lo[i] !== other.#lo[i]) return false;
    }
    return true;
  }

  /**
   * An independent copy.
   * @returns a new accumulator with the same content
   */
  clone(): RoundAccumulator {
    return RoundAccumulator.fromBytes(this.toBytes());
  }

  /**
   * Serialises the accumulator in canonical form (equal sums give equal bytes).
   * @returns safetensors bytes
   */
  toBytes(): Uint8Array {
    this.#carry();
    return encodeSafetensors(
      {
        hi: { dtype: 'F64', shape: [this.length], data: this.#hi },
        lo: { dtype: 'F64', shape: [this.length], data: this.#lo },
      },
      {
        format: 'privads.round-accumulator',
        fractionBits: String(FRACTION_BITS),
        count: String(this.#count),
        belowClip: String(this.#belowClip),
      },
    );
  }

  /**
   * Reads {@link RoundAccumulator.toBytes} output.
   * @param bytes - safetensors bytes
   * @returns the accumulator
   * @throws ProtocolError `BAD_HEADER` when the bytes are not an accumulator of this build
   */
  static fromBytes(bytes: Uint8Array): RoundAccumulator {
    const { tensors, metadata } = decodeSafetensors(bytes);
    const hi = tensors.hi;
    const lo = tensors.lo;
    const count = Number(metadata.count);
    const belowClip = Number(metadata.belowClip);
    if (
      metadata.format !== 'privads.round-accumulator' ||
      metadata.fractionBits !== String(FRACTION_BITS) ||
      hi?.dtype !== 'F64' ||
      lo?.dtype !== 'F64' ||
      hi.data.length !== lo.data.length ||
      !Number.isSafeInteger(count) ||
      !Number.isSafeInteger(belowClip)
    ) {
      throw new ProtocolError('BAD_HEADER', 'not a round accumulator of this server version');
    }
    const acc = new RoundAccumulator(hi.data.length);
    acc.#hi.set(hi.data);
    acc.#lo.set(lo.data);
    acc.#loBound = LIMB;
    acc.#count = count;
    acc.#belowClip = belowClip;
    return acc;
  }

  /** Moves everything above 2^32 from `lo` to `hi`, leaving 0 ≤ lo < 2^32 (the canonical form). */
  #carry(): void {
    const hi = this.#hi;
    const lo = this.#lo;
    for (let i = 0; i < this.length; i++) {
      const c = Math.floor((lo[i] as number) / LIMB);
      if (c !== 0) {
        hi[i] = (hi[i] as number) + c;
        lo[i] = (lo[i] as number) - c * LIMB;
      }
    }
    this.#loBound = LIMB;
  }
}
