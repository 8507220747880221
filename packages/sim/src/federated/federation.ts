/**
 * The federation loop: devices learn from their clicks as time passes; each round every device
 * whose participation rules allow it (`participationRuleViolation`, the browser client's rule) is
 * sampled with the round's probability, whether or not it clicked, and the sampled cohort
 * uploads (float modes: one encoded update each; distributed mode: the secure-aggregation protocol,
 * `runSecureRound`), some uploads are lost (dropouts), the round closes and the server
 * publishes the next projector. Time is cut into as many periods as rounds: in round r every
 * device has seen the first ⌈(r+1)·K/R⌉ of its K training slates.
 */
import { createSeededRandomSource, type RandomSource } from '@privads/dp';
import { DEFAULT_PERSONALIZE_EPOCHS, popularityBias, type Projector } from '@privads/model';
import { participationRuleViolation } from '@privads/protocol';
import { createSeededRandom } from '../seeded-random.js';
import type { UserTimeline } from '../population.js';
import { evaluateScorer, dotScores, type HeldOut } from '../eval/evaluate.js';
import type { RankingMetrics } from '../eval/metrics.js';
import type { Aggregator } from './aggregator.js';
import { catalogPrior, projectCatalog, type CatalogContent } from './catalog.js';
import { CountsTally } from './counts-tally.js';
import { DeviceFleet } from './devices.js';
import { releaseRho } from './privacy.js';
import { runSecureRound, type SecureDevice } from './secure-round.js';
import type { DeviceAdCounts } from '@privads/model/round-upload';

/** Options of {@link runFederation}. */
export interface FederationOptions {
  readonly aggregator: Aggregator;
  readonly timelines: readonly UserTimeline[];
  readonly content: CatalogContent;
  readonly rounds: number;
  /** Probability that an eligible device uploads in a round, lost uploads aside. */
  readonly samplingProbability: number;
  /**
   * Probability that a sampled device's upload never arrives; in a distributed round, that it
   * vanishes after masking (it posts neither its input nor its reveal). @defaultValue 0
   */
  readonly dropout?: number;
  readonly seed: number;
  /** Held-out users scored every `evalEvery` rounds (a subset keeps this cheap). */
  readonly evalUsers: readonly HeldOut[];
  /** @defaultValue rounds / 10, at least 1 */
  readonly evalEvery?: number;
  readonly withAuc: boolean;
  /**
   * Passes of device-side personalisation before each upload's gradient
   * ({@link DeviceFleet.personalize}). @defaultValue DEFAULT_PERSONALIZE_EPOCHS (the client's)
   */
  readonly personalizeEpochs?: number;
  /**
   * Per user, the index of the first training slate of its validation split (−1: none). The run
   * then keeps each device's vector as it was just before it learned from those slates: what
   * model selection scores the validation slates with, without the run learning them first.
   */
  readonly validationCuts?: readonly number[];
  /**
   * Bias-aware training: the popularity prior the server's catalogs carry (`popularityBias` of the
   * clicks released so far, with this weight and smoothing) enters every device's scores while it
   * learns — online, in its personalisation and in its round gradient — as the browser client
   * uses its catalog's popularity section, so the learned cosine models what popularity does not
   * explain. Needs rounds that count clicks. Absent: devices learn the cosine alone.
   */
  readonly trainingPrior?: { readonly weight: number; readonly smoothing: number };
  /** Called after each round. */
  readonly onRound?: (round: number) => void;
}

/** One round's record. */
export interface FederatedRoundRecord {
  readonly round: number;
  /** Wall-clock seconds of the round: devices' work, server handling and close. */
  readonly seconds: number;
  readonly cohortSize: number;
  readonly released: boolean;
  readonly dropped: number;
  /** Mean L2 norm of the uploads' gradients before clipping. */
  readonly meanPreClipNorm: number;
  /** Share of uploads whose norm exceeded C. */
  readonly clippedFraction: number;
  /** Metrics on the evaluation subset after this round, when evaluated. */
  readonly metrics?: RankingMetrics;
}

/** What a federation produces. */
export interface FederationResult {
  /** Final user vectors, `users × userDim`. */
  readonly fleet: DeviceFleet;
  /** The final projected catalog. */
  readonly projected: Float32Array;
  readonly history: readonly FederatedRoundRecord[];
  /** Uploads computed (client-rounds) and the seconds spent computing them. */
  readonly clientRounds: number;
  readonly clientSeconds: number;
  /**
   * Distributed mode: seconds spent in the secure-aggregation protocol (every device's
   * quantizing, masking and messages, and the server's handling, interleaved).
   */
  readonly secureSeconds: number;
  readonly seconds: number;
  /** Rounds that released an aggregate. */
  readonly releasedRounds: number;
  /** zCDP ρ of each released round (`releaseRho`; 0 outside central and distributed mode). */
  readonly releasedRhos: readonly number[];
  /** Rounds each device took part in (uploaded, or started to and dropped out). */
  readonly participations: Int32Array;
  /** The per-ad counts: truth and releases (runs whose rounds asked for counts). */
  readonly counts?: CountsTally;
  /** With `validationCuts`: each device's vector before its validation slates (`users × userDim`). */
  readonly validationVectors?: Float32Array;
}

const SAMPLING_SALT = 0x5a3c;
const LOCAL_NOISE_SALT = 0x10ca1;
const SECURE_NOISE_SALT = 0x5ec;

/** The seed of one device's quantization randomness in one round (distinct per device and round). */
function deviceSeed(seed: number, round: number, user: number): number {
  return (
    (Math.imul(seed ^ SECURE_NOISE_SALT, 0x9e3779b1) + Math.imul(round + 1, 0x85ebca6b) + user) | 0
  );
}

async function currentCatalog(
  aggregator: Aggregator,
  content: CatalogContent,
): Promise<{ projector: Projector; projected: Float32Array }> {
  const config = await aggregator.roundConfig();
  const projector = await aggregator.projector(config.projectorVersion);
  return { projector, projected: projectCatalog(projector, content) };
}

/**
 * Runs a federation to the end.
 * @param options - aggregator, population, schedule, sampling, evaluation
 * @returns the final state and the per-round history
 * @throws RangeError for invalid rounds or rates; whatever the aggregator throws
 */
export async function runFederation(options: FederationOptions): Promise<FederationResult> {
  const { aggregator, timelines, content, rounds, samplingProbability, seed } = options;
  const dropout = options.dropout ?? 0;
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new RangeError(`rounds must be a positive integer, got ${rounds}`);
  if (!(samplingProbability > 0 && samplingProbability <= 1)) {
    throw new RangeError(`samplingProbability must be in (0, 1], got ${samplingProbability}`);
  }
  if (!(dropout >= 0 && dropout < 1))
    throw new RangeError(`dropout must be in [0, 1), got ${dropout}`);
  const personalizeEpochs = options.personalizeEpochs ?? DEFAULT_PERSONALIZE_EPOCHS;
  if (!(Number.isInteger(personalizeEpochs) && personalizeEpochs >= 0))
    throw new RangeError(
      `personalizeEpochs must be a non-negative integer, got ${personalizeEpochs}`,
    );
  const evalEvery = options.evalEvery ?? Math.max(1, Math.floor(rounds / 10));
  const started = performance.now();
  const sampling = createSeededRandom(seed ^ SAMPLING_SALT);
  const localSource: RandomSource = createSeededRandomSource(seed ^ LOCAL_NOISE_SALT);

  let { projector, projected } = await currentCatalog(aggregator, content);
  const userDim = projector.spec.userDim;
  const fleet = new DeviceFleet(timelines.length, catalogPrior(projected, userDim));
  const history: FederatedRoundRecord[] = [];
  /** Round ids each device joined: what its participation rules look at. */
  const joined: number[][] = timelines.map(() => []);
  const participations = new Int32Array(timelines.length);
  const releasedRhos: number[] = [];
  let clientRounds = 0;
  let clientMs = 0;
  let secureMs = 0;
  let releasedRounds = 0;
  let tally: CountsTally | undefined;
  const cuts = options.validationCuts;
  const validationVectors = cuts ? new Float32Array(timelines.length * userDim) : undefined;

  for (let r = 0; r < rounds; r++) {
    const roundStarted = performance.now();
    const config = await aggregator.roundConfig();
    const distributed = config.privacy.mode === 'distributed';
    const query = config.counts;
    if (query) {
      tally ??= new CountsTally(content.count);
      tally.beginRound();
    }
    // The prior of the catalog the devices hold: the clicks released in the rounds before.
    const bias =
      tally && options.trainingPrior
        ? popularityBias({ clicks: tally.released.clicks, ...options.trainingPrior })
        : undefined;
    const secureCounts: (DeviceAdCounts | undefined)[] = [];
    const secureDevices: SecureDevice[] = [];
    let cohort = 0;
    let dropped = 0;
    let normSum = 0;
    let clipped = 0;
    for (let user = 0; user < timelines.length; user++) {
      const train = timelines[user]!.train;
      const until = Math.ceil(((r + 1) * train.length) / rounds);
      const cut = cuts?.[user] ?? -1;
      if (validationVectors && cut >= 0 && fleet.learned[user]! <= cut && until > cut) {
        fleet.learnUntil(user, train, cut, projected, bias);
        validationVectors.set(fleet.vector(user), user * userDim);
      }
      fleet.learnUntil(user, train, until, projected, bias);
      // The device's own rules first (as the browser client decides), then the sampling draw;
      // neither looks at its clicks: a sampled device without any takes part with a zero update.
      if (participationRuleViolation(config.roundId, config.participation, joined[user]!)) continue;
      if (sampling.next() >= samplingProbability) continue;
      joined[user]!.push(config.roundId);
      participations[user]!++;
      const counts = query ? fleet.roundCounts(user, train, content.count) : undefined;
      const t0 = performance.now();
      if (distributed) {
        const { gradient } = fleet.roundGradient(user, train, {
          projector,
          content,
          personalization: { projected, epochs: personalizeEpochs },
          ...(bias ? { bias } : {}),
        });
        clientMs += performance.now() - t0;
        clientRounds++;
        secureDevices.push({
          gradient,
          dropsAfterMasking: sampling.next() < dropout,
          source: createSeededRandomSource(deviceSeed(seed, r, user)),
          ...(counts ? { counts } : {}),
        });
        secureCounts.push(counts);
        continue;
      }
      const upload = fleet.roundUpload(user, train, {
        config,
        projector,
        content,
        source: localSource,
        personalization: { projected, epochs: personalizeEpochs },
        ...(bias ? { bias } : {}),
        ...(counts ? { counts } : {}),
      });
      clientMs += performance.now() - t0;
      clientRounds++;
      normSum += upload.preClipNorm;
      if (upload.preClipNorm > config.clipNorm) clipped++;
      if (sampling.next() < dropout) {
        dropped++;
        continue;
      }
      await aggregator.submit(upload.body);
      if (counts && query) tally?.addDevice(counts, query);
      cohort++;
    }
    if (distributed) {
      const t0 = performance.now();
      const results = await runSecureRound(aggregator, config, secureDevices);
      // The devices' quantizing, masking and messages run interleaved with the server's handling.
      secureMs += performance.now() - t0;
      for (const [i, result] of results.entries()) {
        if (result.status === 'vanished') {
          dropped++;
          continue;
        }
        if (result.preClipNorm === undefined) continue;
        // It quantized and posted its input: its counts are in the unmasked sum.
        const counts = secureCounts[i];
        if (counts && query) tally?.addDevice(counts, query);
        normSum += result.preClipNorm;
        if (result.preClipNorm > config.clipNorm) clipped++;
      }
    }
    const outcome = await aggregator.close();
    if (outcome.released) {
      releasedRounds++;
      releasedRhos.push(releaseRho(config));
    }
    if (query) {
      tally?.endRound(
        r,
        outcome.released ? await aggregator.releasedCounts(config.roundId) : undefined,
      );
    }
    projector.dispose();
    ({ projector, projected } = await currentCatalog(aggregator, content));
    const uploads = distributed ? secureDevices.length : cohort + dropped;
    const record: FederatedRoundRecord = {
      round: r + 1,
      seconds: (performance.now() - roundStarted) / 1000,
      cohortSize: outcome.cohortSize,
      released: outcome.released,
      dropped,
      meanPreClipNorm: uploads === 0 ? 0 : normSum / uploads,
      clippedFraction: uploads === 0 ? 0 : clipped / uploads,
    };
    const due = (r + 1) % evalEvery === 0 || r === rounds - 1;
    history.push(
      due && options.evalUsers.length > 0
        ? {
            ...record,
            metrics: evaluateDevices(fleet, projected, options.evalUsers, options.withAuc),
          }
        : record,
    );
    options.onRound?.(r + 1);
  }
  projector.dispose();
  return {
    fleet,
    projected,
    history,
    participations,
    releasedRhos,
    clientRounds,
    clientSeconds: clientMs / 1000,
    secureSeconds: secureMs / 1000,
    seconds: (performance.now() - started) / 1000,
    releasedRounds,
    ...(tally ? { counts: tally } : {}),
    ...(validationVectors ? { validationVectors } : {}),
  };
}

/**
 * Metrics of on-device user vectors against a projected catalog.
 * @param fleet - devices
 * @param projected - `count × userDim` projected catalog
 * @param heldOut - users to evaluate
 * @param withAuc - whether to compute impression AUC
 * @returns averaged metrics
 */
export function evaluateDevices(
  fleet: DeviceFleet,
  projected: Float32Array,
  heldOut: readonly HeldOut[],
  withAuc: boolean,
): RankingMetrics {
  return evaluateScorer(
    heldOut,
    (user) => dotScores(fleet.vector(user), projected, fleet.userDim),
    withAuc,
  );
}
