/**
 * Log-space arithmetic and the complementary error function, accurate in the far tails.
 *
 * Privacy calibration evaluates Gaussian tail probabilities around 1e-5 … 1e-300 and the RDP series
 * sums terms whose logarithms go down to -1e5, so `Math.log(0.5 * erfc(x))` (which underflows at
 * x ≈ 27) is not good enough. `erfc` below is a port of FDLIBM's `s_erf.c` (rational approximations
 * with errors below 2^-57); {@link logErfc} evaluates the same approximations directly in log space
 * and switches to the asymptotic series beyond x = 28, so it keeps ~1e-15 relative accuracy for
 * every finite argument.
 *
 * The coefficients are those of FDLIBM, whose notice asks to be preserved:
 *
 * Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
 * Developed at SunPro, a Sun Microsystems, Inc. business.
 * Permission to use, copy, modify, and distribute this software is freely granted, provided that
 * this notice is preserved.
 */

const LN2 = Math.LN2;
const HALF_LOG_PI = 0.5 * Math.log(Math.PI);

// erf(1) rounded to single precision: the expansion around x = 1 approximates erf(1 + s) - ERX.
const ERX = 8.45062911510467529297e-1;

/** Horner evaluation; coefficients from the constant term up. */
function poly(x: number, c: readonly number[]): number {
  let r = 0;
  for (let i = c.length - 1; i >= 0; i--) r = r * x + (c[i] as number);
  return r;
}

// |x| < 0.84375: erf(x) = x + x·PP(x²)/QQ(x²).
const PP = [
  1.28379167095512558561e-1, -3.2504210724700149937e-1, -2.84817495755985104766e-2,
  -5.77027029648944159157e-3, -2.37630166566501626084e-5,
];
const QQ = [
  1, 3.97917223959155352819e-1, 6.50222499887672944485e-2, 5.08130628187576562776e-3,
  1.32494738004321644526e-4, -3.9602282787753681232e-6,
];
// 0.84375 ≤ |x| < 1.25, s = |x| - 1: erf(x) = ERX + PA(s)/QA(s).
const PA = [
  -2.36211856075265944077e-3, 4.14856118683748331666e-1, -3.72207876035701323847e-1,
  3.18346619901161753674e-1, -1.10894694282396677476e-1, 3.54783043256182359371e-2,
  -2.166375594868790843e-3,
];
const QA = [
  1, 1.06420880400844228286e-1, 5.40397917702171048937e-1, 7.18286544141962662868e-2,
  1.26171219808761642112e-1, 1.36370839120290507362e-2, 1.1984499846799107417e-2,
];
// 1.25 ≤ x < 1/0.35, z = 1/x²: log(x·erfc(x)) = -x² - 0.5625 + RA(z)/SA(z).
const RA = [
  -9.86494403484714822705e-3, -6.93858572707181764372e-1, -1.05586262253232909814e1,
  -6.23753324503260060396e1, -1.62396669462573470355e2, -1.84605092906711035994e2,
  -8.12874355063065934246e1, -9.81432934416914548592,
];
const SA = [
  1, 1.96512716674392571292e1, 1.376577541435190426e2, 4.34565877475229228821e2,
  6.45387271733267880336e2, 4.29008140027567833386e2, 1.08635005541779435134e2,
  6.57024977031928170135, -6.04244152148580987438e-2,
];
// 1/0.35 ≤ x < 28: same form with RB/SB.
const RB = [
  -9.86494292470009928597e-3, -7.99283237680523006574e-1, -1.77579549177547519889e1,
  -1.60636384855821916062e2, -6.37566443368389627722e2, -1.02509513161107724954e3,
  -4.83519191608651397019e2,
];
const SB = [
  1, 3.03380607434824582924e1, 3.25792512996573918826e2, 1.53672958608443695994e3,
  3.19985821950859553908e3, 2.55305040643316442583e3, 4.74528541206955367215e2,
  -2.24409524465858183362e1,
];

/** erf(x) - x divided by x, for |x| < 0.84375. */
function erfSmallRatio(x: number): number {
  const z = x * x;
  return poly(z, PP) / poly(z, QQ);
}

/** P1/Q1 = erf(1 + s) - ERX for s = |x| - 1 in [-0.15625, 0.25). */
function erfNearOne(ax: number): number {
  const s = ax - 1;
  return poly(s, PA) / poly(s, QA);
}

/** log(x·erfc(x)) + x² for 1.25 ≤ x < 28 (the FDLIBM rational approximations). */
function logErfcCorrection(x: number): number {
  const z = 1 / (x * x);
  const rs = x < 1 / 0.35 ? poly(z, RA) / poly(z, SA) : poly(z, RB) / poly(z, SB);
  return -0.5625 + rs;
}

/**
 * log(erfc(x)) for x ≥ 28 from the asymptotic series
 * erfc(x) = e^{-x²}/(x√π) · Σ_k (-1)^k (2k-1)!!/(2x²)^k; seven terms reach 1e-17 at x = 28.
 */
function logErfcAsymptotic(x: number): number {
  const w = 1 / (2 * x * x);
  let term = 1;
  let sum = 0;
  for (let k = 1; k <= 7; k++) {
    term *= -(2 * k - 1) * w;
    sum += term;
  }
  return -x * x - Math.log(x) - HALF_LOG_PI + Math.log1p(sum);
}

/**
 * Complementary error function erfc(x) = 1 - erf(x), with FDLIBM's accuracy (< 1 ulp for most
 * arguments); underflows to 0 for x ≳ 27.2 (use {@link logErfc} there).
 * @param x - any number
 * @returns erfc(x) in [0, 2]; NaN for NaN
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 0.84375) {
    if (ax < 2 ** -56) return 1 - x;
    const y = erfSmallRatio(x);
    // Below 1/4 the subtraction 1 - erf(x) loses nothing; above, reassociate around 1/2.
    return x < 0.25 ? 1 - (x + x * y) : 0.5 - (x * y + (x - 0.5));
  }
  if (ax < 1.25) {
    const pq = erfNearOne(ax);
    return x > 0 ? 1 - ERX - pq : 1 + (ERX + pq);
  }
  if (x <= -6) return 2;
  if (ax >= 28) return x > 0 ? Math.exp(logErfcAsymptotic(x)) : 2;
  // Split x² as z² + (x-z)(x+z) with z = x rounded to single precision, so z² is exact and
  // exp(-x²) keeps its relative accuracy (FDLIBM's trick).
  const z = Math.fround(ax);
  const r = (Math.exp(-z * z) * Math.exp((z - ax) * (z + ax) + logErfcCorrection(ax))) / ax;
  return x > 0 ? r : 2 - r;
}

/**
 * log(erfc(x)) with relative accuracy ~1e-15 of erfc for every finite x, including arguments where
 * erfc(x) underflows (log erfc(40) ≈ -1604.9).
 * @param x - any number
 * @returns log(erfc(x)) (−∞ at +∞, log 2 at −∞); NaN for NaN
 */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 1.25) return Math.log(erfc(x));
  if (x >= 28) return logErfcAsymptotic(x);
  return -x * x + logErfcCorrection(x) - Math.log(x);
}

/**
 * Standard normal CDF Φ(x).
 * @param x - any number
 * @returns Φ(x) in [0, 1], with relative accuracy in the lower tail until it underflows (x ≈ −38)
 */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * Math.SQRT1_2);
}

/**
 * log Φ(x), accurate in both tails: relative accuracy of Φ in the lower tail (log Φ(−50) ≈ −1254.9)
 * and of 1 − Φ in the upper tail (log Φ(10) ≈ −7.6e-24, not 0).
 * @param x - any number
 * @returns log Φ(x) ≤ 0
 */
export function logNormalCdf(x: number): number {
  if (x < -1) return logErfc(-x * Math.SQRT1_2) - LN2;
  return Math.log1p(-0.5 * erfc(x * Math.SQRT1_2));
}

/**
 * log(e^a + e^b) without overflow or underflow.
 * @param a - a log-space value (may be −∞)
 * @param b - a log-space value (may be −∞)
 * @returns log(e^a + e^b)
 */
export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  if (a === Infinity || b === Infinity) return Infinity;
  const hi = Math.max(a, b);
  return hi + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/**
 * log(1 − e^x) for x ≤ 0, switching between the two formulas at −log 2 as in Mächler (2012),
 * "Accurately computing log(1 − exp(−|a|))", so neither loses precision.
 * @param x - a log-space value ≤ 0
 * @returns log(1 − e^x) (−∞ at 0)
 * @throws RangeError when x > 0 (1 − e^x would be negative)
 */
export function log1mExp(x: number): number {
  if (x > 0) throw new RangeError(`log1mExp needs x ≤ 0, got ${x}`);
  return x > -LN2 ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x));
}
