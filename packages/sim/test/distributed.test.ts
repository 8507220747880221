import {
  createSeededRandomSource,
  dequantizeSecureSum,
  quantizeForSecureSum,
  secureSumEncodingOf,
} from '@privads/dp';
import { takePartInSecureRound, type SecureRoundOutcome } from '@privads/model/secure-upload';
import { accumulateModular } from '@privads/secagg';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createSeededRandom,
  createServerAggregator,
  runFederation,
  runSecureRound,
  useFastestNodeBackend,
  type AggregatorSettings,
  type SecureDevice,
} from '@privads/sim';
import { TINY_SPEC, tinyWorld } from './tiny-world.js';

// A tiny projector (4 → 2 with bias, d = 10) so that the protocol, not the model, is what runs. Cohort 20 with
// degree 18 is a complete masking graph; t = 10 > 18/2 and kMin = 11 ≥ t + 1.
const spec = TINY_SPEC;
const DEVICES = 20;
const DENOMINATOR = 10;

function settings(): AggregatorSettings {
  return {
    spec,
    projectorSeed: 1,
    clipNorm: 1,
    privacy: {
      mode: 'distributed',
      noiseMultiplier: 1,
      delta: 1e-6,
      bits: 16,
      degree: 18,
      threshold: 10,
      maxCohort: 20,
      phaseSeconds: 30,
    },
    samplingProbability: 1,
    maxParticipationsPerDevice: 1000,
    minRoundGap: 1,
    denominator: DENOMINATOR,
    kMin: 11,
    serverLearningRate: 0.5,
    serverMomentum: 0,
    source: createSeededRandomSource(3),
  };
}

/** Device i's gradient: a fixed direction per device, norms from 0.2 to beyond the clip. */
function gradientOf(i: number): Float32Array {
  const random = createSeededRandom(100 + i);
  const g = Float32Array.from({ length: 10 }, () => random.next() - 0.5);
  const norm = Math.hypot(...g);
  return g.map((x) => (x / norm) * (0.2 + 0.06 * i));
}

const sourceSeed = (i: number): number => 500 + i;

function devices(dropped: ReadonlySet<number>): SecureDevice[] {
  return Array.from({ length: DEVICES }, (_, i) => ({
    gradient: gradientOf(i),
    dropsAfterMasking: dropped.has(i),
    source: createSeededRandomSource(sourceSeed(i)),
  }));
}

beforeAll(async () => {
  await useFastestNodeBackend();
});

describe('distributed mode in the simulator (shared device driver, real server)', () => {
  it("with 30% of devices vanishing after masking, releases exactly the survivors' sum in Z_2^b", async () => {
    const aggregator = await createServerAggregator(settings(), 'in-process');
    try {
      const config = await aggregator.roundConfig();
      expect(config.privacy.mode).toBe('distributed');
      const dropped = new Set([1, 4, 7, 10, 13, 16]);
      const results = await runSecureRound(aggregator, config, devices(dropped), { pollMs: 1 });
      expect(results.filter((r) => r.status === 'vanished')).toHaveLength(6);
      const revealed = results.filter((r): r is SecureRoundOutcome => r.status === 'revealed');
      expect(revealed).toHaveLength(14);
      for (const r of revealed) {
        expect(r.lastStep).toBe('unmask');
        expect(r.bytes).toBeGreaterThan(4 * 16);
        expect(r.clippedNorm).toBeLessThanOrEqual(1 + 1e-9);
      }
      const outcome = await aggregator.close();
      expect(outcome).toEqual({ released: true, cohortSize: 14 });

      // The survivors' quantized inputs, recomputed with the same seeded randomness, summed mod 2^b.
      const encoding = secureSumEncodingOf(config);
      const sum = new Uint32Array(encoding.paddedDimension);
      for (let i = 0; i < DEVICES; i++) {
        if (dropped.has(i)) continue;
        const input = quantizeForSecureSum(gradientOf(i), encoding, {
          source: createSeededRandomSource(sourceSeed(i)),
        });
        accumulateModular(sum, input.values, 1, encoding.bits);
      }
      const released = await aggregator.aggregate(config.roundId);
      // Equal bit for bit: the server's unmasked sum is that sum in Z_2^b (any other value
      // would de-quantize to different floats).
      expect(released).toEqual(
        Float32Array.from(dequantizeSecureSum(sum, encoding), (x) => x / DENOMINATOR),
      );
    } finally {
      await aggregator.dispose();
    }
  });

  it('releases nothing when fewer than kMin devices survive, and the next round opens', async () => {
    const aggregator = await createServerAggregator(settings(), 'in-process');
    try {
      const config = await aggregator.roundConfig();
      const dropped = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]); // 10 inputs < kMin = 11
      const results = await runSecureRound(aggregator, config, devices(dropped), { pollMs: 1 });
      expect(results.filter((r) => r.status === 'vanished')).toHaveLength(10);
      // The survivors never reach the unmask phase: the round ends without them revealing.
      expect(results.some((r) => r.status === 'revealed')).toBe(false);
      expect((await aggregator.close()).released).toBe(false);
      expect(await aggregator.aggregate(config.roundId)).toBeUndefined();
      expect((await aggregator.roundConfig()).roundId).toBe(config.roundId + 1);
    } finally {
      await aggregator.dispose();
    }
  });

  it('the driver reports its steps, ends cleanly when the round aborts, and stops on its signal', async () => {
    const aggregator = await createServerAggregator(settings(), 'in-process');
    try {
      const config = await aggregator.roundConfig();
      const steps: string[] = [];
      const alone = takePartInSecureRound(config, gradientOf(0), aggregator.transport, {
        pollMs: 1,
        onPhase: (step) => steps.push(step),
      });
      // One device is below kMin: when its keys phase ends the round aborts, and the device's
      // driver returns (no throw) without ever quantizing its update.
      while (steps.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      await aggregator.passPhaseDeadline(config.roundId, 'keys');
      const outcome = await alone;
      expect(steps).toEqual(['keys']);
      expect(['aborted', 'closed']).toContain(outcome.status);
      expect(outcome.preClipNorm).toBeUndefined();
      expect(outcome.bytes).toBe(0);

      const next = await aggregator.roundConfig();
      const controller = new AbortController();
      controller.abort();
      await expect(
        takePartInSecureRound(next, gradientOf(1), aggregator.transport, {
          signal: controller.signal,
        }),
      ).rejects.toMatchObject({ code: 'ABORTED' });
      await expect(
        takePartInSecureRound(next, new Float32Array(3), aggregator.transport),
      ).rejects.toThrow(RangeError);
    } finally {
      await aggregator.dispose();
    }
  });

  it('runs a federation of distributed rounds through the device fleet, with dropouts', async () => {
    const { content, timelines } = tinyWorld({
      users: DEVICES,
      slates: 3,
      clickRate: 0.5,
      seed: 9,
    });
    const aggregator = await createServerAggregator(settings(), 'in-process');
    try {
      const run = await runFederation({
        aggregator,
        timelines,
        content,
        rounds: 3,
        samplingProbability: 1,
        dropout: 0.2,
        seed: 5,
        evalUsers: [],
        withAuc: false,
      });
      for (const h of run.history) {
        // Every device is sampled; each that did not vanish is in the released sum.
        expect(h.cohortSize + h.dropped).toBe(DEVICES);
        expect(h.released).toBe(h.cohortSize >= 11);
      }
      expect(run.releasedRounds).toBeGreaterThan(0);
      expect(run.releasedRhos.every((rho) => rho > 0)).toBe(true);
    } finally {
      await aggregator.dispose();
    }
  });
});
