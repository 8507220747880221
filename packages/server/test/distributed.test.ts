import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { dequantizeSecureSum, secureSumEncodingOf, zcdpToEpsilon } from '@privads/dp';
import { accumulateModular } from '@privads/secagg';
import { decodeAggregateRelease, type RoundConfig } from '@privads/protocol';
import type { LedgerEntry, LogFields, Logger } from '@privads/server';

import {
  DISTRIBUTED_CONFIG,
  driveDistributedRound,
  holdsVector,
  phaseOf,
} from './secure-round-driver.js';
import { operator, smallServer } from './helpers.js';

/** The survivors' inputs summed in Z_{2^bits}. */
function survivorsSum(
  config: RoundConfig,
  inputs: readonly Uint32Array[],
  survivors: readonly number[],
) {
  if (config.privacy.mode !== 'distributed') throw new Error('not distributed');
  const sum = new Uint32Array(config.privacy.paddedDimension);
  for (const i of survivors)
    accumulateModular(sum, inputs[i] as Uint32Array, 1, config.privacy.bits);
  return sum;
}

/** Every file under a directory, recursively, as bytes. */
async function filesUnder(dir: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(await readFile(path));
  }
  return out;
}

describe('distributed mode (secure aggregation, real devices over HTTP)', () => {
  it("with 30% of devices dropping after masking, releases exactly the survivors' sum in Z_m", async () => {
    let now = Date.parse('2031-01-01T00:00:00Z');
    const logs: string[] = [];
    const logger: Logger = {
      log: (level: string, event: string, fields?: LogFields) =>
        logs.push(JSON.stringify({ level, event, fields })),
    };
    const { server, dir, dispose } = await smallServer({
      config: DISTRIBUTED_CONFIG,
      clock: () => now,
      logger,
    });
    try {
      const dropped = new Set([1, 4, 7, 10, 13, 16]); // 6 of 20
      let maskedInStore = false;
      const round = await driveDistributedRound(server, {
        devices: 20,
        dropAfterMasking: dropped,
        passPhaseDeadline: () => (now += 31_000),
        // While the round is open the store keeps the masked uploads: the search finds them.
        afterInputs: async ({ masked, survivors }) => {
          const stored = Buffer.concat(await filesUnder(dir));
          maskedInStore = survivors.every((i) => holdsVector(stored, masked[i] as Uint32Array));
        },
      });
      expect(maskedInStore).toBe(true);
      expect(round.survivors).toHaveLength(14);
      expect(await phaseOf(server, round.config.roundId)).toBe('closed');

      const release = decodeAggregateRelease(
        new Uint8Array(
          await (
            await operator(server, `/v1/rounds/${round.config.roundId}/aggregate`)
          ).arrayBuffer(),
        ),
      );
      expect(release.metadata.mode).toBe('distributed');
      expect(release.metadata.cohortSize).toBe(14);
      // The server's unmasked sum is the survivors' sum in Z_m: the same de-quantization of it
      // gives the released mean bit for bit.
      const expected = dequantizeSecureSum(
        survivorsSum(round.config, round.inputs, round.survivors),
        secureSumEncodingOf(round.config),
      );
      expect(release.update).toEqual(Float32Array.from(expected, (x) => x / 10));

      // Per device, no amplification: the distributed discrete Gaussian's ρ.
      const ledger = (await (await operator(server, '/v1/privacy/ledger')).json()) as {
        entries: LedgerEntry[];
      };
      const entry = ledger.entries[0] as LedgerEntry;
      expect(entry.mode).toBe('distributed');
      expect(entry.epsilon).toBeCloseTo(zcdpToEpsilon(entry.rho as number, 1e-6), 12);

      // Neither the store's files nor the logs ever held one device's unmasked input.
      const files = await filesUnder(dir);
      const stored = Buffer.concat(files);
      const logged = Buffer.from(logs.join('\n'));
      for (const input of round.inputs) {
        expect(holdsVector(stored, input)).toBe(false);
        expect(holdsVector(logged, input)).toBe(false);
      }
    } finally {
      await dispose();
    }
  });

  it('releases nothing when fewer than k_min inputs arrive, and opens the next round', async () => {
    let now = Date.parse('2031-01-01T00:00:00Z');
    const { server, dispose } = await smallServer({ config: DISTRIBUTED_CONFIG, clock: () => now });
    try {
      const round = await driveDistributedRound(server, {
        devices: 20,
        dropAfterMasking: new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), // 10 inputs < k_min = 11
        passPhaseDeadline: () => (now += 31_000),
      });
      expect(round.survivors).toHaveLength(10);
      expect(await phaseOf(server, round.config.roundId)).toBe('closed');
      const rounds = (await (await operator(server, '/v1/rounds')).json()) as {
        rounds: { id: number; status: string }[];
      };
      expect(rounds.rounds.find((r) => r.id === round.config.roundId)?.status).toBe('insufficient');
      expect((await operator(server, `/v1/rounds/${round.config.roundId}/aggregate`)).status).toBe(
        404,
      );
      const ledger = (await (await operator(server, '/v1/privacy/ledger')).json()) as {
        entries: LedgerEntry[];
      };
      expect(ledger.entries).toEqual([]);
    } finally {
      await dispose();
    }
  });
});
