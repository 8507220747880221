import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { erfc, log1mExp, logAddExp, logErfc, logNormalCdf, normalCdf } from '@privads/dp';

// Reference values computed with mpmath at 50 significant digits (mp.dps = 50), rounded to double.
const LOG_ERFC: readonly [number, number][] = [
  [-30, 0.6931471805599453],
  [-10, 0.6931471805599453],
  [-5, 0.6931471805591766],
  [-2, 0.6908055736465877],
  [-1, 0.6112323176780705],
  [-0.5, 0.41903914777555956],
  [-0.1, 0.10657640058652249],
  [-1e-10, 1.1283791670318507e-10],
  [0, 0],
  [1e-10, -1.1283791671591746e-10],
  [0.1, -0.11930497373739561],
  [0.25, -0.32341480339361944],
  [0.5, -0.7350111298370844],
  [0.84375, -1.457685797861741],
  [0.9, -1.5940972465793173],
  [1, -1.8496055099332482],
  [1.2, -2.4114403551669295],
  [1.25, -2.5626536619221256],
  [1.5, -3.3844920895515527],
  [2, -5.364941264616638],
  [2.5, -7.806815272727264],
  [2.857, -9.838481763956624],
  [3, -10.720363041981113],
  [5, -27.200889545537436],
  [10, -102.87988902484489],
  [20, -403.56934333410425],
  [27, -732.8688865078974],
  [27.9, -782.3116329385361],
  [28, -787.9052061945578],
  [28.1, -793.5187667439469],
  [30, -903.9741171106439],
  [50, -2504.484587848451],
  [100, -10005.177585122665],
  [1000, -1000007.4801207219],
  [1e5, -10000000012.08529],
];
const LOG_PHI: readonly [number, number][] = [
  [-1000, -500007.82669481216],
  [-100, -5005.524208694205],
  [-40, -804.6084420137538],
  [-38, -726.5572160188201],
  [-20, -203.91715537109727],
  [-10, -53.23128515051247],
  [-5, -15.064998393988725],
  [-2, -3.783184333682032],
  [-1.5, -2.7059444008238898],
  [-1, -1.8410216450092636],
  [-0.5, -1.1759117615936185],
  [0, -0.6931471805599453],
  [0.5, -0.3689464152886564],
  [1, -0.17275377902344988],
  [2, -0.02301290932896349],
  [5, -2.866516129637636e-7],
  [10, -7.619853024160525e-24],
  [20, -2.7536241186062337e-89],
];
const ERFC: readonly [number, number][] = [
  [-5, 1.9999999999984626],
  [-1.5, 1.9661051464753108],
  [-1, 1.8427007929497148],
  [-0.3, 1.3286267594591274],
  [0, 1],
  [0.2, 0.7772974107895215],
  [0.3, 0.6713732405408726],
  [0.6, 0.3961439091520741],
  [0.9, 0.20309178757716786],
  [1.1, 0.11979493042591827],
  [1.3, 0.06599205505934755],
  [2, 0.004677734981047266],
  [3, 2.209049699858544e-5],
  [5, 1.537459794428035e-12],
  [10, 2.088487583762545e-45],
  [26, 5.663192408856143e-296],
];

describe('erfc', () => {
  it.each(ERFC)('erfc(%f) has relative error < 4e-16', (x, ref) => {
    expect(Math.abs(erfc(x) / ref - 1)).toBeLessThan(4e-16);
  });

  it('handles the special values', () => {
    expect(erfc(Infinity)).toBe(0);
    expect(erfc(-Infinity)).toBe(2);
    expect(erfc(NaN)).toBeNaN();
    expect(erfc(40)).toBe(0); // underflow: that is what logErfc is for
  });
});

describe('logErfc', () => {
  // |Δ log| is the relative error of erfc itself; it scales with |log erfc| once that exceeds 1
  // (rounding of x² alone costs |x²|·2⁻⁵³).
  it.each(LOG_ERFC)('logErfc(%f) is accurate to 1e-15·max(1, |log erfc|)', (x, ref) => {
    expect(Math.abs(logErfc(x) - ref)).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(ref)));
  });

  it('agrees with log(erfc) wherever erfc does not underflow and is continuous at 28', () => {
    fc.assert(
      fc.property(fc.double({ min: -10, max: 26, noNaN: true }), (x) => {
        return (
          Math.abs(logErfc(x) - Math.log(erfc(x))) <= 2e-15 * Math.max(1, Math.abs(logErfc(x)))
        );
      }),
    );
    const below = logErfc(28 - 1e-12);
    const above = logErfc(28);
    expect(Math.abs(below - above)).toBeLessThan(1e-9);
  });

  it('is decreasing', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -50, max: 1e4, noNaN: true }),
        fc.double({ min: 1e-6, max: 10, noNaN: true }),
        (x, h) => logErfc(x + h) <= logErfc(x),
      ),
    );
  });
});

describe('normal CDF', () => {
  it.each(LOG_PHI)('logNormalCdf(%f) is accurate in both tails', (x, ref) => {
    // Upper tail: relative accuracy of the tiny value 1 − Φ(x) itself, up to its condition number
    // ≈ x² (the rounding of x/√2 alone perturbs it by x²·2⁻⁵³); lower tail as for logErfc.
    const tolerance =
      x > 0 ? 1e-15 * Math.max(1, x * x) * Math.abs(ref) : 1e-15 * Math.max(1, Math.abs(ref));
    expect(Math.abs(logNormalCdf(x) - ref)).toBeLessThanOrEqual(tolerance);
  });

  it('normalCdf is consistent with its log and symmetric', () => {
    fc.assert(
      fc.property(fc.double({ min: -30, max: 30, noNaN: true }), (x) => {
        const p = normalCdf(x);
        return (
          Math.abs(Math.log(p) - logNormalCdf(x)) <= 1e-14 * Math.max(1, -Math.log(p)) &&
          Math.abs(p + normalCdf(-x) - 1) <= 2e-16
        );
      }),
    );
  });
});

describe('log-space arithmetic', () => {
  it('logAddExp adds in log space without overflow', () => {
    expect(logAddExp(Math.log(2), Math.log(3))).toBeCloseTo(Math.log(5), 15);
    expect(logAddExp(1000, 1000)).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logAddExp(-Infinity, -3)).toBe(-3);
    expect(logAddExp(-3, -Infinity)).toBe(-3);
    expect(logAddExp(Infinity, Infinity)).toBe(Infinity);
    fc.assert(
      fc.property(
        fc.double({ min: -700, max: 700, noNaN: true }),
        fc.double({ min: -700, max: 700, noNaN: true }),
        (a, b) => {
          const s = logAddExp(a, b);
          return (
            s >= Math.max(a, b) && s <= Math.max(a, b) + Math.LN2 + 1e-15 && s === logAddExp(b, a)
          );
        },
      ),
    );
  });

  it('log1mExp is accurate on both sides of −log 2', () => {
    expect(log1mExp(-1e-20)).toBeCloseTo(Math.log(1e-20), 12);
    expect(log1mExp(-50)).toBeCloseTo(-Math.exp(-50), 30);
    expect(log1mExp(0)).toBe(-Infinity);
    expect(() => log1mExp(1e-9)).toThrow(RangeError);
  });
});
