import { it } from 'vitest';
import { findNoiseMultiplier, analyticGaussianSigma } from '@privads/dp';

it('z', () => {
  for (const [n, m, t] of [
    [10000, 500, 50],
    [10000, 1000, 50],
    [10000, 250, 40],
    [100000, 500, 50],
    [100000, 1000, 50],
    [30000, 500, 50],
    [3000, 500, 50],
    [1000, 200, 30],
  ]) {
    for (const eps of [1, 2, 4, 8]) {
      const z = findNoiseMultiplier({
        targetEpsilon: eps,
        delta: 1 / n!,
        sampleRate: m! / n!,
        steps: t!,
      });
      console.log(
        `N=${n} M=${m} T=${t} eps=${eps} z=${z.toFixed(3)} noiseNormOverC=${((z * Math.sqrt(49280)) / m!).toFixed(3)}`,
      );
    }
  }
  console.log(
    'local sigma eps=2 delta=1e-4',
    analyticGaussianSigma(2, 1e-4, 1),
    'eps 8',
    analyticGaussianSigma(8, 1e-4, 1),
  );
});
