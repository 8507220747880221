/**
 * The variance parameter of discrete Gaussian noise on a grid, as an exact rational. Noise of
 * standard deviation σ on a grid of step g is N_Z(0, (σ/g)²) grid steps; computing (σ/g)² in
 * floating point would round it, so it is formed from the exact binary values of σ and g instead
 * and the sampler draws from exactly the distribution those two doubles denote.
 */
import { toRational, type Rational } from './rational.js';
import { requirePositive } from './validate.js';

/**
 * (σ/g)², exactly.
 * @param sigma - the noise standard deviation σ > 0 (in the same unit as g)
 * @param gridStep - the grid step g > 0
 * @returns the reduced fraction (σ/g)²
 * @throws TypeError / RangeError when σ or g is not a finite number > 0
 */
export function gridVariance(sigma: number, gridStep: number): Rational {
  requirePositive('sigma', sigma);
  requirePositive('gridStep', gridStep);
  const s = toRational(sigma);
  const g = toRational(gridStep);
  const numerator = s.numerator * g.denominator;
  const denominator = s.denominator * g.numerator;
  return toRational({ numerator: numerator * numerator, denominator: denominator * denominator });
}
