/**
 * Drives real `SecAggDevice`s through one distributed round of a real server over its HTTP API
 * (in process), with a chosen set of devices that vanish after masking: they post keys and shares,
 * compute their masked input, and then never send it nor reveal anything.
 */
import {
  createSeededRandomSource,
  quantizeForSecureSum,
  secureSumEncodingOf,
  type RandomSource,
} from '@privads/dp';
import {
  encodeMaskedUpdate,
  generateNonce,
  parseRoundConfig,
  type RoundConfig,
} from '@privads/protocol';
import { SecAggDevice, parseInbox, parseRoster, parseUnmaskRequest } from '@privads/secagg';
import type { ConfigOverrides, PrivAdsServer } from '@privads/server';

import { jsonClient } from '../bench/json-client.mjs';
import { SMALL_CONFIG, call, vectorWithNorm } from './helpers.js';

/** A distributed round template for the 36-parameter test projector: 20 devices, degree 18. */
export const DISTRIBUTED_CONFIG: ConfigOverrides = {
  ...SMALL_CONFIG,
  round: {
    ...SMALL_CONFIG.round,
    kMin: 11,
    denominator: 10,
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
  } as NonNullable<ConfigOverrides['round']>,
};

/** What a driven round did. */
export interface DrivenRound {
  /** The round's config. */
  readonly config: RoundConfig;
  /** Each device's quantized, noised input (before masking), by device index. */
  readonly inputs: readonly Uint32Array[];
  /** Each device's masked vector, by device index. */
  readonly masked: readonly Uint32Array[];
  /** Indices of the devices whose input reached the server. */
  readonly survivors: readonly number[];
}

function json(server: PrivAdsServer, path: string, body?: unknown): Promise<unknown> {
  return jsonClient((p, init) => call(server, p, init))(path, body);
}

/** The phase the server reports (advancing it first), or `closed` once the round is over. */
export async function phaseOf(server: PrivAdsServer, roundId: number): Promise<string> {
  const response = await call(server, `/v1/rounds/${roundId}/secagg`);
  if (response.status === 409) return 'closed';
  return ((await response.json()) as { phase: string }).phase;
}

/**
 * Runs one distributed round.
 * @param server - a server whose open round is distributed
 * @param options - how many devices, which ones drop after masking, how to move the clock past a
 *   phase deadline, and the randomness of the devices' quantization and noise
 * @returns the inputs and who survived
 */
export async function driveDistributedRound(
  server: PrivAdsServer,
  options: {
    devices: number;
    dropAfterMasking: ReadonlySet<number>;
    passPhaseDeadline: () => void;
    source?: RandomSource;
    /** Called once the masked inputs are in, before any secret is revealed. */
    afterInputs?: (round: DrivenRound) => Promise<void>;
  },
): Promise<DrivenRound> {
  const config = parseRoundConfig(await json(server, '/v1/round'));
  if (config.privacy.mode !== 'distributed') throw new Error('the open round is not distributed');
  const { roundId } = config;
  const { bits, paddedDimension, threshold } = config.privacy;
  const encoding = secureSumEncodingOf(config);
  const source = options.source ?? createSeededRandomSource(42);
  const devices = await Promise.all(
    Array.from({ length: options.devices }, () =>
      SecAggDevice.create({
        roundId,
        bits,
        length: paddedDimension,
        threshold,
        ticket: generateNonce(),
      }),
    ),
  );
  for (const d of devices) await json(server, `/v1/rounds/${roundId}/secagg/keys`, d.advertise());
  for (const d of devices) {
    const roster = parseRoster(
      await json(server, `/v1/rounds/${roundId}/secagg/roster`, { ticket: d.ticket }),
    );
    await json(server, `/v1/rounds/${roundId}/secagg/shares`, await d.shareKeys(roster));
  }
  const inputs: Uint32Array[] = [];
  const masked: Uint32Array[] = [];
  const survivors: number[] = [];
  for (const [i, d] of devices.entries()) {
    const inbox = parseInbox(
      await json(server, `/v1/rounds/${roundId}/secagg/inbox`, { ticket: d.ticket }),
    );
    const gradient = vectorWithNorm(0.2 + 0.05 * i, i + 1, config.model.parameterCount);
    const input = quantizeForSecureSum(gradient, encoding, { source }).values;
    inputs.push(input);
    masked.push(await d.maskInput(inbox, input));
    if (options.dropAfterMasking.has(i)) continue;
    const body = encodeMaskedUpdate(
      {
        roundId,
        projectorVersion: config.projectorVersion,
        nonce: d.ticket,
        words: masked[i] as Uint32Array,
      },
      bits,
    );
    const r = await call(server, `/v1/rounds/${roundId}/updates`, {
      method: 'POST',
      body: body as Uint8Array<ArrayBuffer>,
    });
    if (r.status !== 202) throw new Error(`masked upload: HTTP ${r.status} ${await r.text()}`);
    survivors.push(i);
  }
  await options.afterInputs?.({ config, inputs, masked, survivors });
  if (options.dropAfterMasking.size > 0) options.passPhaseDeadline();
  if ((await phaseOf(server, roundId)) !== 'unmask') return { config, inputs, masked, survivors };
  for (const i of survivors) {
    const d = devices[i] as SecAggDevice;
    const request = parseUnmaskRequest(
      await json(server, `/v1/rounds/${roundId}/secagg/unmask`, { ticket: d.ticket }),
    );
    await json(server, `/v1/rounds/${roundId}/secagg/reveal`, d.reveal(request));
  }
  return { config, inputs, masked, survivors };
}

/** Whether `haystack` holds any 32-byte window of `vector`'s little-endian bytes. */
export function holdsVector(haystack: Buffer, vector: Uint32Array): boolean {
  const bytes = Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
  for (let at = 0; at + 32 <= bytes.length; at += 32) {
    if (haystack.includes(bytes.subarray(at, at + 32))) return true;
  }
  return false;
}
