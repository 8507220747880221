/**
 * The one root-finding routine of the package. Every calibration here searches for the threshold of
 * a monotone predicate, and each caller returns the end of the final bracket on the safe side
 * (more noise, larger ε or δ), so stopping early only costs tightness, never validity.
 */

/** A bracket [lo, hi] with `predicate(lo) === false` and `predicate(hi) === true`. */
export interface Bracket {
  readonly lo: number;
  readonly hi: number;
}

/**
 * Narrows a bracket of a monotone predicate (false below a threshold, true above) by bisection.
 * @param predicate - monotone in x: once true, true for every larger x
 * @param lo - a point where the predicate is false
 * @param hi - a point where the predicate is true, hi > lo
 * @param isNarrowEnough - stop as soon as this holds for the current bracket
 * @defaultValue isNarrowEnough: never, i.e. run until lo and hi are adjacent doubles
 * @returns the final bracket (the predicate is false at `lo`, true at `hi`)
 */
export function bisect(
  predicate: (x: number) => boolean,
  lo: number,
  hi: number,
  isNarrowEnough: (bracket: Bracket) => boolean = () => false,
): Bracket {
  let bracket: Bracket = { lo, hi };
  while (!isNarrowEnough(bracket)) {
    const mid = bracket.lo + (bracket.hi - bracket.lo) / 2;
    if (mid <= bracket.lo || mid >= bracket.hi) break;
    bracket = predicate(mid) ? { lo: bracket.lo, hi: mid } : { lo: mid, hi: bracket.hi };
  }
  return bracket;
}
