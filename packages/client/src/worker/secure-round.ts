/**
 * The worker's part in a distributed-mode round (docs/secure-aggregation.md): the shared device
 * implementation `takePartInSecureRound` of `@privads/model/secure-upload`, over the worker's own
 * `fetch` with the client's private request options, and its outcome turned into a `flush()`
 * result, a ledger status and an `upload` event. The decision to take part and the ledger entry are
 * the flusher's (under the flush lock); this module only runs the protocol and reports.
 */
import {
  fetchTransport,
  takePartInSecureRound,
  type FetchFunction,
  type SecureRoundOutcome,
  type SecureRoundStep,
} from '@privads/model/secure-upload';
import type { DeviceAdCounts } from '@privads/model/round-upload';
import { isPrivAdsError, type RoundConfig } from '@privads/protocol';
import type { LedgerStatus } from '../store/records.js';
import type { FlushReason, FlushResult, PrivAdsEventMap } from '../types.js';
import { PRIVATE_REQUEST } from './http.js';
import type { Runtime } from './runtime.js';

/**
 * Pause between two polls of the round's phase. Every phase after the first ends as soon as all
 * its devices answered, so a shorter pause makes rounds faster for everyone; two seconds keeps a
 * device that waits through a long key phase at a few hundred small GETs.
 */
export const SECURE_ROUND_POLL_MS = 2000;

/**
 * How long after the round's deadline the device still waits for an answer. The server closes the
 * round at its deadline (releasing or not); a device still running then has been dropped, and
 * leaving costs it nothing but its own noise share, which the ledger already counted.
 */
export const SECURE_ROUND_GRACE_MS = 30_000;

/** What the flusher hands over once the round is decided and charged. */
export interface SecureRoundPlan {
  readonly config: RoundConfig;
  /** Σ ∇θ L over the reader's usable clicks; zeros without any (participation is data-independent). */
  readonly gradient: Float32Array;
  /** The ledger entry written before the first message. */
  readonly ledgerId: number;
  /** Upper bound of the masked upload's size, in bytes (what the ledger recorded). */
  readonly bytes: number;
  /** σ of the device's own noise share, in update units (debug event). */
  readonly clientSigma: number;
  /** Usable clicks in the gradient (debug event). */
  readonly events: number;
  /** The reader's impressions and clicks per ad, when the round asks for counts. */
  readonly counts?: DeviceAdCounts;
}

/**
 * The worker's `fetch` as the shared transport calls it: its request options are already the
 * private ones (`credentials: 'omit'`, `referrerPolicy: 'no-referrer'`, `cache: 'no-store'`); the
 * CORS mode is added so no request ever goes out `no-cors`.
 */
function workerFetch(runtime: Runtime): FetchFunction {
  return (input, { body, ...init }) =>
    runtime.deps.fetch(input, {
      ...init,
      mode: PRIVATE_REQUEST.mode,
      // The masked upload is a view over its own fresh buffer: `fetch` sends those bytes.
      ...(body === undefined ? {} : { body: body as BodyInit }),
    });
}

/** How a round that ended without an error maps onto the public reasons. */
const OUTCOME_REASONS: Readonly<
  Record<SecureRoundOutcome['status'], { reason: FlushReason; outcome: 'sent' | 'expired' }>
> = {
  revealed: { reason: 'uploaded', outcome: 'sent' },
  dropped: { reason: 'dropped', outcome: 'expired' },
  aborted: { reason: 'round-aborted', outcome: 'expired' },
  closed: { reason: 'round-closed', outcome: 'expired' },
};

/** Whether the masked input reached the server (it may then be in the released sum). */
const inputSent = (step: SecureRoundStep | undefined): boolean =>
  step === 'input' || step === 'unmask';

/** The reason of a round the device left with an error. */
function errorReason(runtime: Runtime, error: unknown): FlushReason {
  if (isPrivAdsError(error)) {
    if (error.code === 'ABORTED') return runtime.paused ? 'paused' : 'round-closed';
    if (error.code === 'NETWORK' || error.code === 'RATE_LIMITED') return 'network';
    return 'protocol-error';
  }
  // `fetch` rejects with a TypeError when no response arrives.
  return error instanceof TypeError ? 'network' : 'protocol-error';
}

/**
 * Runs one distributed round for this device and reports it. Never rejects: whatever ends the
 * round becomes the result. The ledger entry stays whatever happens (only over-counting); its
 * status says whether the masked input reached the server.
 * @param runtime - the worker runtime
 * @param plan - the decided, charged round
 * @returns the `flush()` result: `uploaded` once the device revealed its shares, else `skipped`
 *   with `dropped`, `round-aborted`, `round-closed`, `paused`, `network` or `protocol-error`
 */
export async function runSecureRound(
  runtime: Runtime,
  plan: SecureRoundPlan,
): Promise<FlushResult> {
  const { config, ledgerId } = plan;
  const { roundId } = config;
  const stop = runtime.startSecureRound(Date.parse(config.deadline) + SECURE_ROUND_GRACE_MS);
  let lastStep: SecureRoundStep | undefined;
  let result: FlushResult;
  let outcome: PrivAdsEventMap['upload']['outcome'];
  let status: LedgerStatus;
  let bytes = 0;
  try {
    const round = await takePartInSecureRound(
      config,
      plan.gradient,
      fetchTransport(runtime.config.server, workerFetch(runtime)),
      {
        pollMs: SECURE_ROUND_POLL_MS,
        signal: stop.signal,
        onPhase: (step) => {
          lastStep = step;
        },
        ...(plan.counts ? { counts: plan.counts } : {}),
      },
    );
    bytes = round.bytes;
    const mapped = OUTCOME_REASONS[round.status];
    outcome = mapped.outcome;
    status = round.status === 'revealed' || inputSent(round.lastStep) ? 'sent' : 'expired';
    result = {
      status: round.status === 'revealed' ? 'uploaded' : 'skipped',
      reason: mapped.reason,
      message:
        round.status === 'revealed'
          ? `masked update for round ${roundId} sent and its shares revealed`
          : `round ${roundId}: ${round.reason}`,
      roundId,
      bytes,
    };
    // The norms exist once the device quantized its update (it got to the input phase).
    if (
      runtime.config.debug &&
      round.preClipNorm !== undefined &&
      round.clippedNorm !== undefined
    ) {
      runtime.emit('debug', {
        kind: 'update-norms',
        roundId,
        preClipNorm: round.preClipNorm,
        clippedNorm: round.clippedNorm,
        clipNorm: config.clipNorm,
        clientSigma: plan.clientSigma,
        events: plan.events,
      });
    }
  } catch (error) {
    const reason = errorReason(runtime, error);
    const message = error instanceof Error ? error.message : String(error);
    outcome = reason === 'protocol-error' ? 'rejected' : 'expired';
    status = inputSent(lastStep) ? 'sent' : outcome;
    if (inputSent(lastStep)) bytes = plan.bytes;
    result = {
      status: 'skipped',
      reason,
      message: `round ${roundId} ended for this device: ${message}`,
      roundId,
      bytes,
    };
  } finally {
    stop.done();
  }
  await runtime.store.setLedgerStatus(ledgerId, status, runtime.deps.now());
  runtime.emit('upload', {
    roundId,
    bytes,
    outcome,
    attempts: 1,
    mode: 'distributed',
    ...(result.status === 'uploaded' ? {} : { reason: result.message }),
  });
  return result;
}
