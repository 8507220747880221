import { describe, expect, it } from 'vitest';

import {
  analyticGaussianSigma,
  createSeededRandomSource,
  localNormBound,
  localSensitivity,
} from '@privads/dp';
import { privatizeRoundUpdate } from '@privads/model/round-upload';
import { decodeUpdate, type UpdateEncoding } from '@privads/protocol';
import {
  buildRoundConfig,
  ledgerEntryFor,
  releaseCost,
  resolveConfig,
  uploadNormBound,
  validateUpload,
} from '@privads/server';

import { SMALL_CONFIG } from './helpers.js';

const config = resolveConfig({
  ...SMALL_CONFIG,
  projector: { kind: 'linear', contentDim: 64, userDim: 32, seed: 1 },
  round: {
    ...SMALL_CONFIG.round,
    clipNorm: 0.5,
    privacy: { mode: 'local', epsilon: 2, delta: 1e-6 },
  } as never,
});
const now = new Date('2030-01-01T00:00:00Z');
const round = buildRoundConfig(config, { roundId: 1, projectorVersion: 1, clipNorm: 0.5, now });
const d = round.model.parameterCount;
const sigma = round.privacy.mode === 'local' ? round.privacy.sigma : NaN;

describe('local mode: discrete noise on a grid, one sensitivity rule', () => {
  it('calibrates σ for 2(C + g√d), the rule the client and the ledger use', () => {
    const sensitivity = localSensitivity(0.5, sigma, d);
    expect(sensitivity).toBeGreaterThan(2 * 0.5);
    expect(sigma / sensitivity).toBeCloseTo(analyticGaussianSigma(2, 1e-6, 1), 9);
    const entry = ledgerEntryFor(
      round,
      { cohortSize: 3, ...releaseCost(round), releasedAt: now.toISOString() },
      [],
    );
    expect(entry.noiseMultiplier).toBe(sigma / sensitivity);
    expect(entry.rho).toBeCloseTo(1 / (2 * (sigma / sensitivity) ** 2), 12);
  });

  it('uploads from privatizeRoundUpdate stay within the server norm bound in every encoding', () => {
    const source = createSeededRandomSource(17);
    for (const encoding of ['f32', 'f16', 'int8'] as UpdateEncoding[]) {
      for (let k = 0; k < 5; k++) {
        // Long gradients, clipped to C by the device; the rounding may add up to g√d.
        const gradient = Float32Array.from({ length: d }, () => source.nextUint32() / 2 ** 31 - 1);
        const upload = privatizeRoundUpdate(round, gradient, { encoding, source });
        const { header, norm } = validateUpload(round, upload.body);
        expect(norm).toBeLessThanOrEqual(uploadNormBound(round, header));
        expect(uploadNormBound(round, header)).toBeGreaterThanOrEqual(
          localNormBound(0.5, sigma, d) + sigma * Math.sqrt(d),
        );
        expect(decodeUpdate(upload.body).vector.length).toBe(d);
      }
    }
  });
});
