import { privatizeRoundUpdate, type DeviceAdCounts } from '@privads/model/round-upload';
import {
  ProtocolError,
  createSecureUniformRandom,
  maxUpdateBytes,
  type DistributedPrivacy,
  parseRoundConfig,
  type RoundConfig,
  type UpdateEncoding,
  updateVectorLength,
} from '@privads/protocol';
import { withLock } from '../store/locks.js';
import type { FlushReason, FlushResult } from '../types.js';
import { tallyAdCounts } from './ad-counts.js';
import type { LoadedCatalog } from './catalog.js';
import { usableClicks, type UsableClick } from './clicks.js';
import { apiUrl, privateGet } from './http.js';
import { loadModel } from './model-runtime.js';
import { personalizeProfile } from './personalize.js';
import {
  budgetExhausted,
  decideParticipation,
  queuedLedgerEntry,
  type RoundCharge,
} from './participation.js';
import type { Runtime } from './runtime.js';
import { runSecureRound, type SecureRoundPlan } from './secure-round.js';

/** Encodings in order of preference: half precision halves the upload at no cost worth noting next to DP noise. */
const ENCODING_PREFERENCE: readonly UpdateEncoding[] = ['f16', 'f32', 'int8'];

/** The clicks a round's upload is computed from. */
interface RoundClicks {
  /** Since the last participation: what the gradient sums. */
  readonly clicks: readonly UsableClick[];
  /** Every retained click: what personalisation replays first. */
  readonly remembered: readonly UsableClick[];
}

type Prepared =
  /** An upload queued in the outbox (none, central and local modes). */
  | { readonly ok: true; readonly roundId: number; readonly bytes: number }
  /** A distributed round to run, already charged in the ledger. */
  | { readonly ok: true; readonly secure: SecureRoundPlan }
  | { readonly ok: false; readonly reason: FlushReason; readonly message: string };

const skip = (reason: FlushReason, message: string): Prepared => ({ ok: false, reason, message });

function modelMismatch(config: RoundConfig, catalog: LoadedCatalog): string | undefined {
  const m = config.model;
  if (m.contentDim !== catalog.contentDim || m.userDim !== catalog.userDim) {
    return `round ${config.roundId} expects ${m.contentDim}→${m.userDim}, the catalog has ${catalog.contentDim}→${catalog.userDim}`;
  }
  return undefined;
}

async function fetchRound(runtime: Runtime): Promise<RoundConfig | Prepared> {
  try {
    const response = await privateGet(
      runtime.deps.fetch,
      apiUrl(runtime.config.server, '/v1/round'),
      'no-store',
    );
    if (response === undefined) return skip('no-round', 'the server has no open round');
    return parseRoundConfig(await response.json());
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof ProtocolError || error instanceof SyntaxError) {
      return skip('config-invalid', `the round config was rejected: ${message}`);
    }
    return skip('network', `could not fetch the round config: ${message}`);
  }
}

function chooseEncoding(config: RoundConfig): UpdateEncoding | undefined {
  return ENCODING_PREFERENCE.find(
    (e) =>
      config.acceptedEncodings.includes(e) &&
      maxUpdateBytes(updateVectorLength(config), e) <= config.maxUploadBytes,
  );
}

/** Draws (once per round, with the CSPRNG) whether this device takes part. */
async function sampled(runtime: Runtime, config: RoundConfig): Promise<boolean> {
  const previous = await runtime.store.getSetting('sampling');
  if (previous?.roundId === config.roundId) return previous.selected;
  const selected = createSecureUniformRandom()() < config.participation.samplingProbability;
  await runtime.store.setSetting('sampling', { roundId: config.roundId, selected });
  return selected;
}

/**
 * Computes the clipped, noised update of the current round and queues it, or, in a distributed
 * round, computes the gradient and charges the ledger for the secure round to come; under the
 * scope's flush lock so that two tabs can never both take part in one round. Whether to take part
 * is decided from the round, the ledger and the sampling draw before the reader's events are even
 * read; a device with no usable click takes part with a zero gradient (plus its noise) through the
 * same path, so its requests have the same size and form as any other.
 */
async function prepareUpload(runtime: Runtime): Promise<Prepared> {
  const { store, config: options, deps } = runtime;
  const ledger = await store.ledger();
  const exhausted = budgetExhausted(options.floor, ledger);
  if (exhausted) return exhausted;
  const fetched = await fetchRound(runtime);
  if ('ok' in fetched) return fetched;
  const config = fetched;
  const catalog = runtime.catalog;
  if (catalog === undefined) return skip('model-mismatch', 'no catalog is loaded');
  const mismatch = modelMismatch(config, catalog);
  if (mismatch) return skip('model-mismatch', mismatch);
  const now = deps.now();
  const decision = decideParticipation({ config, floor: options.floor, ledger, now });
  if (!decision.ok) return decision;
  if (!(await sampled(runtime, config))) {
    return skip(
      'not-sampled',
      `this device was not sampled for round ${config.roundId} (p=${config.participation.samplingProbability})`,
    );
  }
  const since = (await store.getSetting('lastParticipationAt')) ?? 0;
  // One read of the log serves both: personalisation replays every retained click, the round's
  // gradient and counts cover what happened since the last participation.
  const retained = await store.events();
  const events = retained.filter((event) => event.t > since);
  const clicks = usableClicks(events, catalog);
  const remembered = usableClicks(retained, catalog);
  const counts = config.counts && tallyAdCounts(events, catalog, config.counts);
  if (config.privacy.mode === 'distributed') {
    return prepareSecureRound(
      runtime,
      config,
      config.privacy,
      decision.charge,
      catalog,
      { clicks, remembered },
      counts,
    );
  }
  const encoding = chooseEncoding(config);
  if (encoding === undefined) {
    return skip('upload-too-large', `no accepted encoding fits ${config.maxUploadBytes} bytes`);
  }
  const gradient = await roundGradient(runtime, config, catalog, { clicks, remembered });
  if (typeof gradient === 'string') return skip('model-mismatch', gradient);
  const body = privatizedUpload(runtime, config, gradient, encoding, clicks.length, counts);
  const ledgerId = await store.addLedgerEntry(
    queuedLedgerEntry(config, decision.charge, body.byteLength, now),
  );
  await store.setSetting('lastParticipationAt', now);
  await store.putOutbox({
    roundId: config.roundId,
    ledgerId,
    url: apiUrl(options.server, `/v1/rounds/${config.roundId}/updates`),
    body: body.slice().buffer,
    attempts: 0,
    nextAttemptAt: now,
    deadline: Date.parse(config.deadline),
  });
  return { ok: true, roundId: config.roundId, bytes: body.byteLength };
}

/**
 * A distributed round: the gradient as for any mode (zeros without clicks), then the ledger entry,
 * written durably before the first secure-aggregation message leaves, so that a device that
 * closes mid-round can only over-count its spend. The protocol itself runs after the flush lock is
 * released ({@link runSecureRound}); the ledger entry already stops another tab from joining the
 * same round.
 */
async function prepareSecureRound(
  runtime: Runtime,
  config: RoundConfig,
  privacy: DistributedPrivacy,
  charge: RoundCharge,
  catalog: LoadedCatalog,
  roundClicks: RoundClicks,
  counts: DeviceAdCounts | undefined,
): Promise<Prepared> {
  const { store, deps } = runtime;
  const gradient = await roundGradient(runtime, config, catalog, roundClicks);
  if (typeof gradient === 'string') return skip('model-mismatch', gradient);
  const now = deps.now();
  const bytes = maxUpdateBytes(privacy.paddedDimension, 'masked');
  const ledgerId = await store.addLedgerEntry(queuedLedgerEntry(config, charge, bytes, now));
  await store.setSetting('lastParticipationAt', now);
  return {
    ok: true,
    secure: {
      config,
      gradient,
      ledgerId,
      bytes,
      clientSigma: charge.clientSigma,
      events: roundClicks.clicks.length,
      ...(counts ? { counts } : {}),
    },
  };
}

/**
 * Σ ∇θ L over the usable clicks since the last participation, with the projector of the round,
 * with the catalog's popularity bias in the loss as in the ranking (bias-aware training),
 * at the profile refitted to the round's catalog ({@link personalizeProfile}; zero without clicks:
 * the accumulator sums nothing, so a device without clicks takes part exactly like one with some).
 * @returns the gradient, or why the projector does not fit the round
 */
async function roundGradient(
  runtime: Runtime,
  config: RoundConfig,
  catalog: LoadedCatalog,
  { clicks, remembered }: RoundClicks,
): Promise<Float32Array | string> {
  const projector = await runtime.projectors.get(config.projectorVersion);
  if (projector === undefined) return `projector ${config.projectorVersion} is not available`;
  const spec = projector.spec;
  if (spec.kind !== config.model.kind || projector.parameterCount !== config.model.parameterCount) {
    return `projector ${config.projectorVersion} is ${spec.kind} with ${projector.parameterCount} parameters; the round expects ${config.model.kind} with ${config.model.parameterCount}`;
  }
  const user = await personalizeProfile(runtime, catalog, remembered);
  const model = await loadModel();
  const accumulator = new model.RoundGradientAccumulator(projector);
  try {
    for (const click of clicks) {
      const slateBias = catalog.biasRows(click.indices);
      accumulator.add({
        user,
        slateContent: catalog.contentRows(click.indices),
        clickedIndex: click.clicked,
        ...(slateBias ? { slateBias } : {}),
      });
    }
    return await accumulator.resultAsync();
  } finally {
    accumulator.dispose();
  }
}

/**
 * The encoded upload of the none, central and local modes: `clip(gradient, C)` (and the bounded
 * per-ad counts when the round asks for them) plus, in local
 * mode, N(0, σ²) per coordinate from the CSPRNG (the shared `privatizeRoundUpdate` of
 * `@privads/model`).
 * @returns the body to upload
 */
function privatizedUpload(
  runtime: Runtime,
  config: RoundConfig,
  gradient: Float32Array,
  encoding: UpdateEncoding,
  events: number,
  counts: DeviceAdCounts | undefined,
): Uint8Array {
  const upload = privatizeRoundUpdate(config, gradient, {
    encoding,
    ...(counts ? { counts } : {}),
  });
  if (runtime.config.debug) {
    runtime.emit('debug', {
      kind: 'update-norms',
      roundId: config.roundId,
      preClipNorm: upload.preClipNorm,
      clippedNorm: upload.clippedNorm,
      clipNorm: config.clipNorm,
      clientSigma: upload.sigma,
      events,
    });
  }
  return upload.body;
}

/**
 * `flush()`: join the current round if every rule allows it, then send (or queue) the update.
 * Refusals that need no network (paused, no durable ledger, budget spent) are decided before any
 * request is made.
 * @param runtime - the worker runtime
 * @returns what happened and why
 */
export async function flush(runtime: Runtime): Promise<FlushResult> {
  await runtime.ready();
  const skipped = (reason: FlushReason, message: string): FlushResult => ({
    status: 'skipped',
    reason,
    message,
  });
  if (runtime.paused) return skipped('paused', 'PrivAds is paused: nothing is computed or sent');
  if (runtime.store.kind === 'memory') {
    return skipped(
      'storage-unavailable',
      'storage is unavailable: without a durable privacy ledger nothing is uploaded',
    );
  }
  const exhausted = budgetExhausted(runtime.config.floor, await runtime.store.ledger());
  if (exhausted) return skipped(exhausted.reason, exhausted.message);
  const prepared = await withLock(`${runtime.lockPrefix}:flush`, () => prepareUpload(runtime));
  if (!prepared.ok) return skipped(prepared.reason, prepared.message);
  if ('secure' in prepared) return runSecureRound(runtime, prepared.secure);
  const { roundId, bytes } = prepared;
  const reports = await runtime.drainUploads();
  const mine = reports.find((r) => r.roundId === roundId);
  if (mine?.outcome === 'sent') {
    return {
      status: 'uploaded',
      reason: 'uploaded',
      message: `update for round ${roundId} accepted`,
      roundId,
      bytes,
    };
  }
  if (mine === undefined || mine.outcome === 'retry') {
    return {
      status: 'queued',
      reason: 'queued',
      message: `update for round ${roundId} queued${mine?.error ? ` (${mine.error})` : ''}; it will be retried`,
      roundId,
      bytes,
    };
  }
  return {
    status: 'skipped',
    reason: 'network',
    message: `the server ${mine.outcome === 'rejected' ? `rejected the update (HTTP ${mine.status})` : 'could not be reached before the round closed'}`,
    roundId,
    bytes,
  };
}
