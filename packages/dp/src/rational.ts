/**
 * Exact non-negative rationals for the discrete Gaussian sampler. Every finite double is a dyadic
 * rational m·2^e, so a `number` σ² converts without rounding: the sampler then draws from exactly
 * the distribution the caller's double denotes.
 */

/** A non-negative rational `numerator / denominator` with `denominator > 0`. */
export interface Rational {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

/** Anything {@link toRational} accepts. */
export type RationalLike = number | bigint | Rational;

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function reduced(numerator: bigint, denominator: bigint): Rational {
  const g = gcd(numerator, denominator);
  return g > 1n
    ? { numerator: numerator / g, denominator: denominator / g }
    : { numerator, denominator };
}

/** The exact value of a finite, non-negative double as a reduced fraction. */
function fromDouble(x: number): Rational {
  if (Number.isInteger(x)) return { numerator: BigInt(x), denominator: 1n };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const high = view.getUint32(0);
  const low = view.getUint32(4);
  const biasedExponent = (high >>> 20) & 0x7ff;
  let mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
  // Normal numbers have an implicit leading 1; subnormals have exponent 1 - 1023.
  if (biasedExponent !== 0) mantissa |= 1n << 52n;
  const exponent = (biasedExponent === 0 ? 1 : biasedExponent) - 1075;
  // x is not an integer, so exponent < 0 and x = mantissa / 2^-exponent.
  return reduced(mantissa, 1n << BigInt(-exponent));
}

/**
 * Converts to an exact reduced {@link Rational}.
 * @param value - a finite number ≥ 0 (taken exactly, e.g. 0.1 becomes 3602879701896397/2⁵⁵), a
 *   bigint ≥ 0, or a {@link Rational}
 * @returns the same value as a reduced fraction
 * @throws TypeError for other types; RangeError for negative, non-finite or zero-denominator input
 */
export function toRational(value: RationalLike): Rational {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`expected a finite number ≥ 0, got ${value}`);
    }
    return fromDouble(value);
  }
  if (typeof value === 'bigint') {
    if (value < 0n) throw new RangeError(`expected a bigint ≥ 0, got ${value}`);
    return { numerator: value, denominator: 1n };
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof value.numerator !== 'bigint' ||
    typeof value.denominator !== 'bigint'
  ) {
    throw new TypeError(`expected a number, bigint or {numerator, denominator} of bigints`);
  }
  const { numerator, denominator } = value;
  if (numerator < 0n || denominator <= 0n) {
    throw new RangeError(
      `expected numerator ≥ 0 and denominator > 0, got ${numerator}/${denominator}`,
    );
  }
  return reduced(numerator, denominator);
}

/**
 * ⌊√n⌋ for a bigint n ≥ 0 (Newton's iteration from above, exact).
 * @param n - a non-negative bigint
 * @returns the largest r with r² ≤ n
 * @throws RangeError when n < 0
 */
export function floorSqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError(`floorSqrt needs n ≥ 0, got ${n}`);
  if (n < 2n) return n;
  // Start above the root: 2^ceil(bits/2) > √n.
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}
