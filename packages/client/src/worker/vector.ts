/**
 * ‖v‖₂ in float64 (a loop: spreading a 10⁵-entry array into `Math.hypot` overflows the stack).
 * @param v - any vector
 * @returns its L2 norm
 */
export function l2Norm(v: ArrayLike<number>): number {
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += (v[i] as number) ** 2;
  return Math.sqrt(sq);
}

/**
 * @param v - any vector
 * @returns `v / ‖v‖` as float32, or `undefined` for a zero or non-finite vector
 */
export function normalize(v: ArrayLike<number>): Float32Array | undefined {
  const norm = l2Norm(v);
  if (!(norm > 0) || !Number.isFinite(norm)) return undefined;
  return Float32Array.from(v, (x) => x / norm);
}
