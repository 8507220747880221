/**
 * Argument checks shared by every entry point. A wrong argument is a programming error of the
 * caller, so these throw `TypeError` (wrong type) or `RangeError` (wrong value) quoting the value,
 * never a `PrivAdsError`.
 */

function requireNumber(name: string, value: unknown): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${name} must be a number, got ${typeof value} ${String(value)}`);
  }
  return value;
}

/**
 * @param name - parameter name used in the message
 * @param value - the argument
 * @returns `value`, known to be finite and > 0
 * @throws TypeError when not a number; RangeError when not finite or ≤ 0
 */
export function requirePositive(name: string, value: unknown): number {
  const x = requireNumber(name, value);
  if (!Number.isFinite(x) || x <= 0) {
    throw new RangeError(`${name} must be a finite number > 0, got ${x}`);
  }
  return x;
}

/**
 * @param name - parameter name used in the message
 * @param value - the argument
 * @returns `value`, known to be finite and ≥ 0
 * @throws TypeError when not a number; RangeError when not finite or < 0
 */
export function requireNonNegative(name: string, value: unknown): number {
  const x = requireNumber(name, value);
  if (!Number.isFinite(x) || x < 0) {
    throw new RangeError(`${name} must be a finite number ≥ 0, got ${x}`);
  }
  return x;
}

/**
 * A sampling probability.
 * @param name - parameter name used in the message
 * @param value - the argument
 * @returns `value`, known to lie in [0, 1]
 * @throws TypeError when not a number; RangeError outside [0, 1]
 */
export function requireProbability(name: string, value: unknown): number {
  const x = requireNumber(name, value);
  if (!(x >= 0 && x <= 1)) {
    throw new RangeError(`${name} must be in [0, 1], got ${x}`);
  }
  return x;
}

/**
 * A failure probability δ: zero makes every Gaussian-based bound infinite and one is vacuous.
 * @param name - parameter name used in the message
 * @param value - the argument
 * @returns `value`, known to lie in (0, 1)
 * @throws TypeError when not a number; RangeError outside (0, 1)
 */
export function requireDelta(name: string, value: unknown): number {
  const x = requireNumber(name, value);
  if (!(x > 0 && x < 1)) {
    throw new RangeError(`${name} must be in (0, 1), got ${x}`);
  }
  return x;
}

/**
 * @param name - parameter name used in the message
 * @param value - the argument
 * @returns `value`, known to be a safe integer ≥ 0
 * @throws TypeError when not a number; RangeError when not a non-negative safe integer
 */
export function requireCount(name: string, value: unknown): number {
  const x = requireNumber(name, value);
  if (!Number.isSafeInteger(x) || x < 0) {
    throw new RangeError(`${name} must be an integer ≥ 0, got ${x}`);
  }
  return x;
}

/**
 * A Rényi order α.
 * @param name - parameter name used in the message
 * @param value - the argument
 * @returns `value`, known to be finite and > 1
 * @throws TypeError when not a number; RangeError when not finite or ≤ 1
 */
export function requireOrder(name: string, value: unknown): number {
  const x = requireNumber(name, value);
  if (!Number.isFinite(x) || x <= 1) {
    throw new RangeError(`${name} must be a finite number > 1, got ${x}`);
  }
  return x;
}
