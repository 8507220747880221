/**
 * One device's part in a distributed-mode round (docs/secure-aggregation.md), from its summed
 * projector gradient to its last secure-aggregation message: the one implementation that the
 * browser worker, the simulator and the demo readers all run. The device quantizes and noises its
 * update with `quantizeForSecureSum` of `@privads/dp`, masks it with `SecAggDevice` of
 * `@privads/secagg`, and follows the server's phases over a {@link SecureRoundTransport}.
 *
 * A separate entry point (`@privads/model/secure-upload`) without tfjs, like `./round-upload`.
 */
import { quantizeForSecureSum, secureSumEncodingOf } from '@privads/dp';
import type { RandomSource } from '@privads/dp';
import {
  PrivAdsError,
  ProtocolError,
  deserializeError,
  encodeMaskedUpdate,
  generateNonce,
  isErrorCode,
} from '@privads/protocol';
import type { RoundConfig } from '@privads/protocol';
import { SecAggDevice, parseInbox, parseRoster, parseUnmaskRequest } from '@privads/secagg';
import type { KeyAgreement, RandomBytes } from '@privads/secagg';

import { roundUpdateVector, type DeviceAdCounts } from './round-vector.js';
import type { SecureRoundTransport, TransportResponse } from './secure-round-transport.js';

export { fetchTransport } from './secure-round-transport.js';
export type {
  FetchFunction,
  SecureRoundTransport,
  TransportFetchResponse,
  TransportRequestInit,
  TransportResponse,
} from './secure-round-transport.js';

/** The server's phases of a distributed round, in order (`GET /v1/rounds/{id}/secagg`). */
const PHASES = ['keys', 'shares', 'input', 'unmask', 'done'] as const;

/** A step the device completes: posting its keys, its shares, its masked input, its reveal. */
export type SecureRoundStep = 'keys' | 'shares' | 'input' | 'unmask';

/**
 * How a device's round ended. `revealed`: it posted its reveal (the release is the server's to
 * make); `dropped`: the server went on without it (its phase ended first, or it counts the device
 * as dropped); `aborted`: the round ended without a release (too few devices, or the server lost
 * it in a restart); `closed`: the round closed before the device's next step (whether it released
 * is the server's business).
 */
export type SecureRoundStatus = 'revealed' | 'dropped' | 'aborted' | 'closed';

/** What {@link takePartInSecureRound} reports; nothing in it leaves the device. */
export interface SecureRoundOutcome {
  /** How the round ended for this device. */
  readonly status: SecureRoundStatus;
  /** Why, in words (for logs and the reader's panel). */
  readonly reason: string;
  /** The last step the device completed, if any. */
  readonly lastStep?: SecureRoundStep;
  /** ‖gradient‖₂ before clipping; present once the device quantized its update (input phase). */
  readonly preClipNorm?: number;
  /** ‖gradient‖₂ after clipping (≤ C); present with {@link SecureRoundOutcome.preClipNorm}. */
  readonly clippedNorm?: number;
  /** Size of the masked update upload, 0 when it was never posted. */
  readonly bytes: number;
}

/** Options of {@link takePartInSecureRound}. */
export interface SecureRoundOptions {
  /**
   * Randomness of the rounding and the discrete Gaussian noise.
   * @defaultValue the CSPRNG; a seeded source is for simulations only
   */
  readonly source?: RandomSource;
  /**
   * Randomness of the masking seed, Shamir coefficients and encryption nonces.
   * @defaultValue the CSPRNG; a seeded one is for simulations only
   */
  readonly random?: RandomBytes;
  /**
   * Pause between two polls of the round's phase, in ms.
   * @defaultValue 1000
   */
  readonly pollMs?: number;
  /**
   * Stops the device (checked before each request and after each pause): the driver then rejects
   * with a `PrivAdsError` `ABORTED`. An `AbortSignal`.
   */
  readonly signal?: AbortSignalLike;
  /**
   * X25519 backend.
   * @defaultValue the one `resolveKeyAgreement()` picks
   */
  readonly keyAgreement?: KeyAgreement;
  /** Told after each step the device completed. */
  readonly onPhase?: (step: SecureRoundStep) => void;
  /**
   * The device's impressions and clicks per ad this round, when the round asks for counts: they
   * are appended to the gradient before quantization, so one masked vector carries both.
   * @defaultValue none seen
   */
  readonly counts?: DeviceAdCounts;
}

const DEFAULT_POLL_MS = 1000;

/** An end of the round that is not an error of this device: unwinds to the outcome. */
class RoundEnded {
  constructor(
    readonly status: Exclude<SecureRoundStatus, 'revealed'>,
    readonly reason: string,
  ) {}
}

function errorOf(answer: TransportResponse): { code?: string; message: string } {
  const body = answer.body as { error?: { code?: unknown; message?: unknown } } | undefined;
  const error = body?.error;
  return {
    ...(typeof error?.code === 'string' ? { code: error.code } : {}),
    message: typeof error?.message === 'string' ? error.message : `HTTP ${answer.status}`,
  };
}

/** The part of an `AbortSignal` the driver reads (local type: no DOM typings here). */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
}

const timers = globalThis as unknown as { setTimeout(run: () => void, ms: number): unknown };

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => void timers.setTimeout(resolve, ms));
}

/**
 * Takes part in one distributed round: a fresh ticket (`generateNonce`), keys → (phase `shares`)
 * roster, shares → (phase `input`) inbox, `quantizeForSecureSum`, mask, masked update upload
 * (`encodeMaskedUpdate`) → (phase `unmask`) unmask request, reveal. Before each step it polls
 * `GET /v1/rounds/{id}/secagg` until the server's phase allows it; a 409 `SECAGG_WRONG_PHASE` or
 * a 429 sends it back to polling. The update is quantized (clip, rotate, round, discrete Gaussian
 * noise) only in the input phase, so a device that is not admitted spends nothing on it.
 * @param config - a validated round config in distributed mode
 * @param gradient - Σ ∇θ L over the device's events this round (`model.parameterCount` values; all
 *   zeros for a sampled device without events: taking part never depends on the data); the
 *   per-ad counts of `options.counts` are appended to it when the round asks for them
 * @param transport - how to reach the server ({@link fetchTransport} in browsers)
 * @param options - randomness, polling, cancellation, backend, progress
 * @returns how the round ended for this device: a round that was aborted or closed, or a device
 *   the server dropped, is an outcome, not an error
 * @throws TypeError when the round is not in distributed mode; RangeError when the gradient's
 *   length is not the model's parameter count
 * @throws PrivacyParameterError when the round's privacy block is not a valid encoding, or the
 *   gradient holds a non-finite value (found in the input phase: the device then posts nothing
 *   more and the server counts it as dropped)
 * @throws SecAggError when the server's messages are malformed or contradict each other (the
 *   device then refuses to go on); a `PrivAdsError` with the server's code for another refusal,
 *   `NETWORK` for an answer without one or a request the transport could not make (a failed
 *   `fetch`, kept as `cause`), `ABORTED` when `signal` fires
 */
export async function takePartInSecureRound(
  config: RoundConfig,
  gradient: Float32Array,
  transport: SecureRoundTransport,
  options: SecureRoundOptions = {},
): Promise<SecureRoundOutcome> {
  const privacy = config.privacy;
  if (privacy.mode !== 'distributed') {
    throw new TypeError(`round ${config.roundId} is in mode "${privacy.mode}", not "distributed"`);
  }
  const { signal, onPhase } = options;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const encoding = secureSumEncodingOf(config);
  if (gradient.length !== config.model.parameterCount) {
    throw new RangeError(
      `gradient has ${gradient.length} values, round ${config.roundId} expects ${config.model.parameterCount}`,
    );
  }
  let norms: { preClipNorm: number; clippedNorm: number } | undefined;
  const base = `/v1/rounds/${config.roundId}`;
  let lastStep: SecureRoundStep | undefined;
  let bytes = 0;

  const checkSignal = (): void => {
    if (signal?.aborted) {
      throw new PrivAdsError('ABORTED', `stopped during round ${config.roundId}`, {
        cause: signal.reason,
      });
    }
  };
  const request = async (send: () => Promise<TransportResponse>): Promise<TransportResponse> => {
    checkSignal();
    try {
      return await send();
    } catch (error) {
      checkSignal();
      throw new PrivAdsError(
        'NETWORK',
        `round ${config.roundId}: the server could not be reached (${error instanceof Error ? error.message : String(error)})`,
        { cause: error },
      );
    }
  };
  /** Polls until the server is in `wanted`; ends the device's round when it is already past it. */
  const untilPhase = async (wanted: SecureRoundStep): Promise<void> => {
    for (;;) {
      const answer = await request(() => transport.getJson(`${base}/secagg`));
      if (answer.status === 404) {
        // No secure aggregation for this round here (an older server, or the round is gone).
        throw new RoundEnded(
          'aborted',
          `the server has no secure aggregation for round ${config.roundId}`,
        );
      }
      if (answer.status !== 200) {
        if (isRetry(answer)) {
          await sleep(retryDelay(answer, pollMs));
          continue;
        }
        throw endOrRefusal(answer, config.roundId, wanted);
      }
      const phase = (answer.body as { phase?: unknown } | undefined)?.phase;
      if (phase === 'aborted') {
        throw new RoundEnded('aborted', `round ${config.roundId} was aborted`);
      }
      const at = PHASES.indexOf(phase as (typeof PHASES)[number]);
      if (at < 0) {
        throw new ProtocolError('BAD_HEADER', `unknown secure-aggregation phase ${String(phase)}`);
      }
      if (phase === wanted) return;
      if (at > PHASES.indexOf(wanted)) {
        throw new RoundEnded('dropped', `the ${wanted} phase ended before this device's turn`);
      }
      await sleep(pollMs);
    }
  };
  /** One step: wait for its phase, send, go back to polling while the server says it is early. */
  const step = async (
    phase: SecureRoundStep,
    send: () => Promise<TransportResponse>,
  ): Promise<unknown> => {
    for (;;) {
      await untilPhase(phase);
      const answer = await request(send);
      if (answer.status >= 200 && answer.status < 300) return answer.body;
      if (!isRetry(answer)) throw endOrRefusal(answer, config.roundId, phase);
      await sleep(retryDelay(answer, pollMs));
    }
  };
  const done = (completed: SecureRoundStep): void => {
    lastStep = completed;
    onPhase?.(completed);
  };

  try {
    const device = await SecAggDevice.create({
      roundId: config.roundId,
      bits: privacy.bits,
      length: privacy.paddedDimension,
      threshold: privacy.threshold,
      ticket: generateNonce(),
      ...(options.keyAgreement === undefined ? {} : { keyAgreement: options.keyAgreement }),
      ...(options.random === undefined ? {} : { random: options.random }),
    });
    const ticket = { ticket: device.ticket };
    await step('keys', () => transport.postJson(`${base}/secagg/keys`, device.advertise()));
    done('keys');

    const roster = parseRoster(
      await step('shares', () => transport.postJson(`${base}/secagg/roster`, ticket)),
    );
    const shares = await device.shareKeys(roster);
    await step('shares', () => transport.postJson(`${base}/secagg/shares`, shares));
    done('shares');

    const inbox = parseInbox(
      await step('input', () => transport.postJson(`${base}/secagg/inbox`, ticket)),
    );
    // Quantized only now: a device that never gets this far (not admitted, round aborted) spends
    // nothing on rounding and noise.
    const vector = roundUpdateVector(config, gradient, options.counts);
    const input = quantizeForSecureSum(
      vector.values,
      encoding,
      options.source === undefined ? {} : { source: options.source },
    );
    norms = { preClipNorm: vector.preClipNorm, clippedNorm: vector.clippedNorm };
    const words = await device.maskInput(inbox, input.values);
    const body = encodeMaskedUpdate(
      {
        roundId: config.roundId,
        projectorVersion: config.projectorVersion,
        nonce: device.ticket,
        words,
      },
      privacy.bits,
    );
    await step('input', () => transport.postBytes(`${base}/updates`, body));
    bytes = body.length;
    done('input');

    const unmask = parseUnmaskRequest(
      await step('unmask', () => transport.postJson(`${base}/secagg/unmask`, ticket)),
    );
    const reveal = device.reveal(unmask);
    await step('unmask', () => transport.postJson(`${base}/secagg/reveal`, reveal));
    done('unmask');
    return { status: 'revealed', reason: 'revealed its shares', lastStep, ...norms, bytes };
  } catch (error) {
    if (!(error instanceof RoundEnded)) throw error;
    return {
      status: error.status,
      reason: error.reason,
      ...(lastStep === undefined ? {} : { lastStep }),
      ...norms,
      bytes,
    };
  }
}

/** Whether an answer asks the device to come back later: early for a phase, or rate-limited. */
function isRetry(answer: TransportResponse): boolean {
  const { code } = errorOf(answer);
  return (answer.status === 409 && code === 'SECAGG_WRONG_PHASE') || answer.status === 429;
}

/** The pause before asking again: the poll interval, or the server's `Retry-After` (≤ 5 s) if longer. */
function retryDelay(answer: TransportResponse, pollMs: number): number {
  return Math.max(pollMs, 1000 * Math.min(answer.retryAfterSeconds ?? 0, 5));
}

/**
 * What an error answer means for the device: the end of its round (an outcome), or a refusal (a
 * typed error rebuilt from the server's `{ error: { code, message } }`).
 */
function endOrRefusal(
  answer: TransportResponse,
  roundId: number,
  phase: SecureRoundStep,
): RoundEnded | PrivAdsError {
  const { code, message } = errorOf(answer);
  if (code === 'AGGREGATION_ROUND_CLOSED' || code === 'AGGREGATION_STALE_ROUND') {
    return new RoundEnded('closed', `round ${roundId} closed before this device's ${phase} step`);
  }
  if (answer.status === 410 || code === 'SECAGG_DROPPED') {
    return new RoundEnded('dropped', `the server counts this device as dropped (${phase})`);
  }
  if (code === 'SECAGG_TOO_FEW') {
    return new RoundEnded('aborted', `round ${roundId} has too few devices`);
  }
  if (code === 'SECAGG_UNKNOWN_TICKET' && phase !== 'keys') {
    // The keys were accepted, yet the ticket is unknown: the server lost the round (a restart).
    return new RoundEnded('aborted', `the server no longer knows round ${roundId}`);
  }
  if (code !== undefined && isErrorCode(code)) {
    return deserializeError({ name: 'Error', code, message });
  }
  return new PrivAdsError('NETWORK', `the server answered HTTP ${answer.status}: ${message}`);
}
