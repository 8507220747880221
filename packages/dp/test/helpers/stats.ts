/**
 * Goodness-of-fit helpers for the sampler tests. Critical values are for a significance level
 * given as a standard-normal quantile z (z = 4.26 ↔ one-sided p ≈ 1e-5), so a correct sampler with
 * a fixed seed passes with overwhelming probability while a 10% error in σ fails.
 */
import { normalCdf } from '@privads/dp';

/** Sample mean and unbiased variance. */
export function meanAndVariance(samples: ArrayLike<number>): { mean: number; variance: number } {
  const n = samples.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += samples[i] as number;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += ((samples[i] as number) - mean) ** 2;
  return { mean, variance: ss / (n - 1) };
}

/**
 * Upper critical value of χ²(df) at the upper-tail probability of a standard normal quantile z,
 * by the Wilson–Hilferty approximation (accurate to a few parts in 1e3 for df ≥ 5).
 */
export function chiSquareCritical(df: number, z: number): number {
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

/** Pearson's χ² statistic of observed counts against expected counts. */
export function chiSquareStatistic(
  observed: readonly number[],
  expected: readonly number[],
): number {
  return observed.reduce((sum, o, i) => {
    const e = expected[i] as number;
    return sum + (o - e) ** 2 / e;
  }, 0);
}

/**
 * The pmf of the discrete Gaussian N_Z(0, σ²), normalised by direct summation (terms beyond
 * 40σ + 40 are below 1e-300 of the mode).
 */
export function discreteGaussianPmf(sigma2: number): (k: number) => number {
  const reach = Math.ceil(40 * Math.sqrt(sigma2)) + 40;
  let total = 0;
  for (let j = -reach; j <= reach; j++) total += Math.exp((-j * j) / (2 * sigma2));
  return (k) => Math.exp((-k * k) / (2 * sigma2)) / total;
}

/**
 * Bins integer samples into the cells {k} for |k| ≤ m plus one cell for |k| > m, with m as large
 * as possible while every cell (the tail cell included) expects at least 5 samples.
 * @returns observed and expected counts, cell by cell
 */
export function binIntegerSamples(
  samples: readonly bigint[],
  pmf: (k: number) => number,
): { observed: number[]; expected: number[] } {
  const n = samples.length;
  const tailBeyond = (m: number): number => {
    let core = 0;
    for (let k = -m; k <= m; k++) core += pmf(k);
    return Math.max(0, 1 - core);
  };
  let m = 0;
  while (n * pmf(m + 1) >= 5 && n * tailBeyond(m + 1) >= 5) m++;
  const observed = new Array<number>(2 * m + 2).fill(0);
  for (const s of samples) {
    const k = Number(s);
    const cell = Math.abs(k) > m ? 2 * m + 1 : k + m;
    observed[cell] = (observed[cell] as number) + 1;
  }
  const expected = Array.from({ length: 2 * m + 1 }, (_, c) => n * pmf(c - m));
  expected.push(n * tailBeyond(m));
  return { observed, expected };
}

/** Kolmogorov–Smirnov statistic of samples against a continuous CDF. */
export function ksStatistic(samples: ArrayLike<number>, cdf: (x: number) => number): number {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  let d = 0;
  sorted.forEach((x, i) => {
    const f = cdf(x);
    d = Math.max(d, f - i / n, (i + 1) / n - f);
  });
  return d;
}

/** Asymptotic KS critical value at significance α: √(−ln(α/2)/2)/√n. */
export function ksCritical(n: number, alpha: number): number {
  return Math.sqrt(-Math.log(alpha / 2) / 2) / Math.sqrt(n);
}

/** The standard normal CDF scaled to N(0, σ²). */
export function gaussianCdf(sigma: number): (x: number) => number {
  return (x) => normalCdf(x / sigma);
}
