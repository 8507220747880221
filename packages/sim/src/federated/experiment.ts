/**
 * One evaluation run: every baseline of DESIGN §8 on one population, in one process, with the
 * same held-out clicks and metrics — popularity, cold start, content-only, centralized, federated
 * without DP, federated with DP, and optionally the DP run at several ε (the privacy–utility
 * curve).
 */
import { createSeededRandomSource } from '@privads/dp';
import {
  createProjector,
  DEFAULT_PERSONALIZE_EPOCHS,
  initialParameters,
  parameterCount,
  type ProjectorSpec,
} from '@privads/model';
import type { Population, UserTimeline } from '../population.js';
import {
  dotScores,
  evaluateScorer,
  evenlySpaced,
  heldOutOf,
  type HeldOut,
} from '../eval/evaluate.js';
import type { RankingMetrics } from '../eval/metrics.js';
import {
  FEDADAM_TAU,
  type Aggregator,
  type AggregatorSettings,
  type DistributedMasking,
  type ServerOptimizerKind,
  type SimPrivacy,
} from './aggregator.js';
import {
  catalogPrior,
  encodeCatalog,
  projectCatalog,
  useFastestNodeBackend,
  type CatalogContent,
} from './catalog.js';
import { replayUsers, trainCentralized, type CentralizedResult } from './centralized.js';
import { createServerAggregator } from './server-aggregator.js';
import { allowedParticipations, perDeviceEpsilon } from '@privads/dp';
import { privacyFor, type PrivacyMode, type PrivacySummary } from './privacy.js';
import type { CountsError } from './counts-tally.js';
import {
  PRIOR_SMOOTHING,
  PRIOR_TRAINING_WEIGHT,
  choosePriorWeight,
  evaluateWithPrior,
  priorValidation,
  type PriorSelection,
} from './popularity-prior.js';
import { DeviceFleet } from './devices.js';
import { VALIDATION_FRACTION } from './centralized.js';
import { popularityBias } from '@privads/model';
import {
  evaluateDevices,
  runFederation,
  type FederationResult,
  type FederatedRoundRecord,
} from './federation.js';

/** Options of {@link runExperiment}. */
export interface ExperimentOptions {
  readonly population: Population;
  readonly rounds: number;
  /** Expected uploads per round; the sampling probability is `cohort / users`. */
  readonly cohort: number;
  /** Privacy of the `federatedDp` run (`none`: that run is skipped). */
  readonly mode: PrivacyMode;
  /**
   * Target ε: per device over all rounds, without amplification (central, distributed), or per
   * upload (local).
   */
  readonly epsilon: number;
  /** δ; default 1/users. */
  readonly delta?: number;
  readonly seed: number;
  /** Clip norm C. @defaultValue 1 */
  readonly clipNorm?: number;
  /** FedAvg server learning rate. @defaultValue 1 */
  readonly serverLearningRate?: number;
  /** FedAvg server momentum, or FedAdam's β₁. @defaultValue 0.9 */
  readonly serverMomentum?: number;
  /** The server's optimizer. @defaultValue 'fedavg' */
  readonly serverOptimizer?: ServerOptimizerKind;
  /** FedAdam's τ. @defaultValue {@link FEDADAM_TAU} */
  readonly serverAdamTau?: number;
  /**
   * Probability that a sampled device's upload is lost; in distributed mode, that a device
   * vanishes after masking (it never posts its input or its reveal). @defaultValue 0
   */
  readonly dropout?: number;
  /** Lifetime cap k of participations per device. @defaultValue rounds */
  readonly maxParticipationsPerDevice?: number;
  /** A device joins at most one round in any b consecutive rounds. @defaultValue 1 */
  readonly minRoundGap?: number;
  /**
   * Distributed mode: the fewest devices a release may sum (the server's kMin).
   * @defaultValue max(threshold + 1, ⌊0.8 × expected surviving cohort⌋)
   */
  readonly kMin?: number;
  /** Distributed mode: secure-aggregation parameters; see {@link defaultMasking}. */
  readonly masking?: Partial<DistributedMasking>;
  /** Extra ε values of the privacy–utility curve (the DP run is repeated for each). */
  readonly curveEpsilons?: readonly number[];
  /** Passes of device-side personalisation before each upload's gradient. @defaultValue the client's, DEFAULT_PERSONALIZE_EPOCHS */
  readonly personalizeEpochs?: number;
  /** Users in the per-round evaluation subset. @defaultValue 1000 */
  readonly evalUsers?: number;
  /** Encoder spec file; default: the project's encoder. */
  readonly encoderSpec?: string;
  /** Makes the aggregator of each federated run; default: `@privads/server` in process. */
  readonly aggregatorFactory?: (settings: AggregatorSettings) => Promise<Aggregator>;
  /** Centralized baseline search: candidate learning rates and the most steps per candidate. */
  readonly centralized?: {
    learningRates?: readonly number[];
    maxSteps?: number;
  };
  /**
   * Per-ad impression and click counts released with the gradient in every federated run (the
   * server's `round.counts`), and the popularity prior built from them; `false` turns both off.
   * @defaultValue {@link DEFAULT_SIM_COUNTS}
   */
  readonly counts?: ExperimentCounts | false;
  /**
   * The prior's weight in the devices' scores while they learn, in a second federated run without
   * DP (bias-aware training: `runFederation`'s `trainingPrior`); `federatedPrior` is then whichever
   * of the two runs with the prior scores better on validation. 0 skips that run.
   * @defaultValue {@link PRIOR_TRAINING_WEIGHT}
   */
  readonly priorTrainingWeight?: number;
  /**
   * Rank the items each user clicked in training last in every model's evaluation
   * ({@link HeldOut.excluded}). @defaultValue false
   */
  readonly excludeClicked?: boolean;
  /** Progress: what is running and how far (0…1). */
  readonly onProgress?: (stage: string, fraction: number) => void;
}

/** The counts query of a run: per-round bounds and the counts' share of the L2 bound. */
export interface ExperimentCounts {
  /** i: impressions one device reports per round, at most. */
  readonly maxImpressions: number;
  /** c: clicks one device reports per round, at most. */
  readonly maxClicks: number;
  /** The counts segment's L2 bound as a fraction of C. */
  readonly normShare: number;
}

/**
 * Defaults of the counts query: bounds near what a device sees in one round of the datasets'
 * schedules (the report states how much they drop), and a counts share of the L2 bound of 0.5,
 * so the counts take 1/5 of each release's ρ.
 */
export const DEFAULT_SIM_COUNTS: ExperimentCounts = {
  maxImpressions: 64,
  maxClicks: 16,
  normShare: 0.5,
};

/** The released counts of one federated run and the prior built from them. */
export interface RunCounts {
  /** Error of the released counts against the truth. */
  readonly error: CountsError;
  /** The prior's weight chosen on the validation split, and the candidates. */
  readonly prior: PriorSelection;
}

/** A federated run's summary. */
export interface FederatedSummary {
  readonly metrics: RankingMetrics;
  readonly history: readonly FederatedRoundRecord[];
  readonly clientRounds: number;
  readonly clientRoundsPerSecond: number;
  readonly seconds: number;
  /** Mean wall-clock seconds of one round (devices, server, close). */
  readonly secondsPerRound: number;
  /** Distributed mode: seconds in the secure-aggregation protocol, all rounds. */
  readonly secureSeconds: number;
  readonly releasedRounds: number;
}

/** One point of the privacy–utility curve. */
export interface CurvePoint {
  readonly epsilon: number;
  readonly noiseMultiplier: number;
  readonly ndcgAt10: number;
  readonly ratioToCentralized: number;
}

/** Everything a run measured. */
export interface ExperimentResult {
  readonly dataset: string;
  readonly users: number;
  readonly items: number;
  readonly heldOutUsers: number;
  readonly rounds: number;
  readonly privacy: PrivacySummary;
  readonly encoderId: string;
  readonly backend: string;
  readonly settings: Record<string, number | string>;
  readonly results: {
    readonly popularity: RankingMetrics;
    /**
     * The first impression a site makes: the initial (version-1) projector and, for every user,
     * the client's cold-start query (the catalog prior) — before any device learned anything.
     */
    readonly coldStart: RankingMetrics;
    readonly contentOnly: RankingMetrics;
    readonly centralized: RankingMetrics;
    readonly federated: RankingMetrics;
    readonly federatedDp: RankingMetrics | null;
    /**
     * Federated (no DP) ranking with the popularity prior of its released counts: of
     * `federatedPriorPostHoc` and `federatedPriorTrained`, the one with the better validation
     * NDCG@10 (`counts.priorKept`).
     */
    readonly federatedPrior: RankingMetrics | null;
    /** The `federated` run (trained without the prior) ranked with the prior. */
    readonly federatedPriorPostHoc: RankingMetrics | null;
    /** The bias-aware run (trained with the prior in its scores) ranked with the prior. */
    readonly federatedPriorTrained: RankingMetrics | null;
    /** Federated with DP, with the prior of the counts released at the DP run's ε. */
    readonly federatedDpPrior: RankingMetrics | null;
    /** Ranking by the clicks the DP run released (popularity from private counts). */
    readonly popularityDp: RankingMetrics | null;
  };
  /** The counts query of the runs and what each run's counts measured (null: counts off). */
  readonly counts: {
    readonly settings: ExperimentCounts;
    readonly federated: RunCounts | null;
    /** The bias-aware run's counts and prior (null: that run was skipped). */
    readonly federatedPriorTrained: RunCounts | null;
    /** The prior's weight in the bias-aware run's training (0: skipped). */
    readonly priorTrainingWeight: number;
    /** Which run `federatedPrior` reports: the one with the better validation NDCG@10. */
    readonly priorKept: 'post-hoc' | 'trained' | null;
    readonly federatedDp: RunCounts | null;
  } | null;
  /** NDCG@10 of each model divided by the centralized one. */
  readonly ndcgRatioToCentralized: Record<string, number | null>;
  readonly federatedRuns: {
    readonly federated: FederatedSummary;
    readonly federatedDp: FederatedSummary | null;
  };
  readonly curve: readonly CurvePoint[];
  readonly seconds: Record<string, number>;
}

const DEFAULT_PROJECTOR_SEED = 0x5eed;

/**
 * Secure-aggregation defaults for an expected cohort: the widest modulus (2^20, the finest grid),
 * a complete graph for small cohorts (degree = the even number just below the cohort, capped at
 * 16, since each neighbour costs a key agreement and a mask), threshold ⌊degree/2⌋ + 1 (the
 * smallest the masking allows: the most dropouts tolerated), room for twice the expected cohort.
 * @param cohort - expected devices per round
 * @param overrides - explicit values
 * @returns complete parameters
 */
export function defaultMasking(
  cohort: number,
  overrides: Partial<DistributedMasking> = {},
): DistributedMasking {
  const degree = overrides.degree ?? Math.max(2, Math.min(16, 2 * Math.floor((cohort - 1) / 2)));
  return {
    bits: overrides.bits ?? 20,
    degree,
    threshold: overrides.threshold ?? Math.floor(degree / 2) + 1,
    maxCohort: overrides.maxCohort ?? 2 * cohort + 10,
    phaseSeconds: overrides.phaseSeconds ?? 2,
  };
}

/**
 * Runs every baseline and the federated runs on one population.
 * @param options - population, schedule, privacy, hyper-parameters
 * @returns all metrics and run statistics
 * @throws RangeError for invalid options
 */
export async function runExperiment(options: ExperimentOptions): Promise<ExperimentResult> {
  const { population, rounds, seed } = options;
  const users = population.userCount;
  if (!Number.isInteger(options.cohort) || options.cohort < 1) {
    throw new RangeError(`cohort must be a positive integer, got ${options.cohort}`);
  }
  if (!(options.epsilon > 0)) throw new RangeError(`epsilon must be > 0, got ${options.epsilon}`);
  const delta = options.delta ?? 1 / users;
  if (!(delta > 0 && delta < 1)) throw new RangeError(`delta must be in (0, 1), got ${delta}`);
  const clipNorm = options.clipNorm ?? 1;
  const sampleRate = Math.min(1, options.cohort / users);
  const dropout = options.dropout ?? 0;
  const limits = {
    maxParticipationsPerDevice: options.maxParticipationsPerDevice ?? rounds,
    minRoundGap: options.minRoundGap ?? 1,
  };
  // Fails early on bad limits, before any training.
  allowedParticipations(limits, rounds);
  const masking = defaultMasking(options.cohort, options.masking);
  const serverOptimizer = options.serverOptimizer ?? 'fedavg';
  const serverAdamTau = options.serverAdamTau ?? FEDADAM_TAU;
  const kMin =
    options.kMin ??
    Math.max(masking.threshold + 1, Math.floor(0.8 * options.cohort * (1 - dropout)));
  const progress = options.onProgress ?? (() => undefined);
  const countsSettings =
    options.counts === false ? undefined : (options.counts ?? DEFAULT_SIM_COUNTS);
  const seconds: Record<string, number> = {};
  const timed = async <T>(name: string, work: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    const value = await work();
    seconds[name] = (performance.now() - t0) / 1000;
    return value;
  };

  const backend = await useFastestNodeBackend();
  const content: CatalogContent = await timed('encode', () =>
    encodeCatalog(population.items, options.encoderSpec),
  );
  const timelines: UserTimeline[] = await timed('timelines', () => {
    const out: UserTimeline[] = [];
    for (let u = 0; u < users; u++) out.push(population.timeline(u));
    return out;
  });
  const heldOut = timelines
    .map((t, u) => heldOutOf(u, t, options.excludeClicked ?? false))
    .filter((h): h is HeldOut => h !== undefined);
  const evalSubset = evenlySpaced(heldOut, options.evalUsers ?? 1000);
  const withAuc = population.hasImpressions;
  const spec: ProjectorSpec = { kind: 'linear', contentDim: content.dim, userDim: 128 };
  const initial = initialParameters(spec, DEFAULT_PROJECTOR_SEED);
  const project = (parameters: Float32Array): Float32Array => {
    const projector = createProjector(spec, { parameters });
    try {
      return projectCatalog(projector, content);
    } finally {
      projector.dispose();
    }
  };

  progress('popularity', 0);
  const popularity = await timed('popularity', () => {
    const counts = new Float64Array(content.count);
    for (const t of timelines)
      for (const s of t.train) s.clicked.forEach((c, k) => (counts[s.items[k]!]! += c));
    return evaluateScorer(heldOut, () => counts, withAuc);
  });
  // The catalog as version 1 publishes it: what cold start and content-only rank with.
  const initialProjected = project(initial);
  progress('cold-start', 0);
  const coldStart = await timed('coldStart', () => {
    // A client with no profile and no page context ranks by the catalog prior (client ranker.ts:
    // source 'prior'); the simulated sites give no page context, so every user gets this ranking.
    const scores = dotScores(
      catalogPrior(initialProjected, spec.userDim),
      initialProjected,
      spec.userDim,
    );
    return evaluateScorer(heldOut, () => scores, withAuc);
  });
  progress('content-only', 0);
  const contentOnly = await timed('contentOnly', () =>
    evaluateDevices(
      replayUsers(timelines, initialProjected, spec.userDim),
      initialProjected,
      heldOut,
      withAuc,
    ),
  );

  const c = options.centralized ?? {};
  let selected: CentralizedResult | undefined;
  const centralized = await timed('centralized', () => {
    const trained = trainCentralized(
      {
        spec,
        initialParameters: initial,
        content,
        timelines,
        ...(c.learningRates === undefined ? {} : { learningRates: c.learningRates }),
        ...(c.maxSteps === undefined ? {} : { maxSteps: c.maxSteps }),
        onProgress: (fraction) => progress('centralized', fraction),
      },
      project,
    );
    selected = trained;
    return evaluateDevices(trained.fleet, trained.projected, heldOut, withAuc);
  });

  // The prior's weight is chosen on the validation split of the training slates.
  const validation = countsSettings
    ? priorValidation(timelines, undefined, options.excludeClicked ?? false)
    : undefined;
  const federate = async (
    privacy: SimPrivacy,
    label: string,
    trainingPriorWeight?: number,
  ): Promise<{ run: FederationResult; metrics: RankingMetrics }> => {
    const settings: AggregatorSettings = {
      spec,
      projectorSeed: DEFAULT_PROJECTOR_SEED,
      clipNorm,
      privacy,
      samplingProbability: sampleRate,
      ...limits,
      denominator: Math.max(1, Math.round(sampleRate * users * (1 - dropout))),
      kMin: privacy.mode === 'distributed' ? kMin : 1,
      serverLearningRate: options.serverLearningRate ?? 1,
      serverMomentum: options.serverMomentum ?? 0.9,
      serverOptimizer,
      serverAdamTau,
      source: createSeededRandomSource(seed ^ 0xa66),
      ...(countsSettings ? { counts: { ...countsSettings, content } } : {}),
    };
    const aggregator = await (
      options.aggregatorFactory ?? ((s) => createServerAggregator(s, 'in-process'))
    )(settings);
    try {
      const run = await runFederation({
        aggregator,
        timelines,
        content,
        rounds,
        samplingProbability: sampleRate,
        dropout,
        seed,
        evalUsers: evalSubset,
        withAuc,
        personalizeEpochs: options.personalizeEpochs ?? DEFAULT_PERSONALIZE_EPOCHS,
        ...(validation ? { validationCuts: validation.cuts } : {}),
        ...(trainingPriorWeight === undefined
          ? {}
          : { trainingPrior: { weight: trainingPriorWeight, smoothing: PRIOR_SMOOTHING } }),
        onRound: (r) => progress(label, r / rounds),
      });
      return { run, metrics: evaluateDevices(run.fleet, run.projected, heldOut, withAuc) };
    } finally {
      await aggregator.dispose();
    }
  };
  const summarise = (f: { run: FederationResult; metrics: RankingMetrics }): FederatedSummary => ({
    metrics: f.metrics,
    history: f.run.history,
    clientRounds: f.run.clientRounds,
    clientRoundsPerSecond: f.run.clientSeconds > 0 ? f.run.clientRounds / f.run.clientSeconds : 0,
    seconds: f.run.seconds,
    secondsPerRound:
      f.run.history.reduce((sum, h) => sum + h.seconds, 0) / Math.max(1, f.run.history.length),
    secureSeconds: f.run.secureSeconds,
    releasedRounds: f.run.releasedRounds,
  });

  const federated = await timed('federated', () => federate({ mode: 'none' }, 'federated'));
  const privacyQuery = {
    mode: options.mode,
    delta,
    clipNorm,
    dimension: parameterCount(spec),
    sampleRate,
    rounds,
    limits,
    kMin,
    masking,
    ...(countsSettings
      ? { counts: { normShare: countsSettings.normShare, items: content.count } }
      : {}),
  };
  const main = privacyFor({ ...privacyQuery, epsilon: options.epsilon });
  const federatedDp =
    options.mode === 'none'
      ? null
      : await timed('federatedDp', () => federate(main.privacy, `federated-${options.mode}`));
  const privacy: PrivacySummary =
    federatedDp !== null && main.summary.participations !== undefined
      ? {
          ...main.summary,
          spentEpsilon: perDeviceEpsilon(
            federatedDp.run.releasedRhos,
            main.summary.participations,
            delta,
          ),
        }
      : main.summary;

  /** The run's counts error, its prior (w on validation) and the test metrics with it. */
  const withPrior = (
    f: { run: FederationResult } | null,
  ): { counts: RunCounts; metrics: RankingMetrics; popularity: RankingMetrics } | null => {
    const tally = f?.run.counts;
    const error = tally?.error();
    const before = f?.run.validationVectors;
    if (f === null || tally === undefined || error === undefined) return null;
    if (validation === undefined || before === undefined) return null;
    const clicks = tally.released.clicks;
    const fleetBefore = new DeviceFleet(users, f.run.fleet.vector(0));
    fleetBefore.vectors.set(before);
    // Validation slates are each user's last 20% of clicked slates: learned, and counted, in about
    // the last 20% of rounds. Selection sees the vectors and the counts from before that period.
    const prior = choosePriorWeight(
      validation.heldOut,
      fleetBefore,
      f.run.projected,
      tally.releasedClicksBefore(Math.floor((1 - VALIDATION_FRACTION) * rounds)),
      withAuc,
    );
    const bias = popularityBias({ clicks, weight: prior.weight, smoothing: PRIOR_SMOOTHING });
    return {
      counts: { error, prior },
      metrics: evaluateWithPrior(f.run.fleet, f.run.projected, heldOut, withAuc, bias),
      popularity: evaluateScorer(heldOut, () => clicks, withAuc),
    };
  };
  const trainingWeight = options.priorTrainingWeight ?? PRIOR_TRAINING_WEIGHT;
  if (!(trainingWeight >= 0) || !Number.isFinite(trainingWeight)) {
    throw new RangeError(`priorTrainingWeight must be a finite number >= 0, got ${trainingWeight}`);
  }
  const biasAware =
    countsSettings && trainingWeight > 0
      ? await timed('federatedPriorTrained', () =>
          federate({ mode: 'none' }, 'federated-prior-trained', trainingWeight),
        )
      : null;
  const postHocPrior = await timed('prior', () => withPrior(federated));
  const trainedPrior = await timed('priorTrained', () => withPrior(biasAware));
  // Model selection on validation only: ties keep the simpler run (trained without the prior).
  const keepTrained =
    trainedPrior !== null &&
    postHocPrior !== null &&
    trainedPrior.counts.prior.validationNdcgAt10 > postHocPrior.counts.prior.validationNdcgAt10;
  const federatedPrior = keepTrained ? trainedPrior : postHocPrior;
  const federatedDpPrior = await timed('priorDp', () => withPrior(federatedDp));

  const ratio = (m: RankingMetrics | null): number | null =>
    m === null || centralized.ndcgAt10 === 0 ? null : m.ndcgAt10 / centralized.ndcgAt10;
  const curve: CurvePoint[] = [];
  if (options.mode !== 'none') {
    const extra = (options.curveEpsilons ?? []).filter((e) => e !== options.epsilon);
    for (const epsilon of [...new Set([...extra, options.epsilon])].sort((a, b) => a - b)) {
      const point = privacyFor({ ...privacyQuery, epsilon });
      const metrics =
        epsilon === options.epsilon && federatedDp !== null
          ? federatedDp.metrics
          : (await timed(`curve-${epsilon}`, () => federate(point.privacy, `curve ε=${epsilon}`)))
              .metrics;
      curve.push({
        epsilon,
        noiseMultiplier: point.summary.noiseMultiplier ?? point.summary.sigma ?? 0,
        ndcgAt10: metrics.ndcgAt10,
        ratioToCentralized: ratio(metrics) ?? 0,
      });
    }
  }

  return {
    dataset: population.name,
    users,
    items: content.count,
    heldOutUsers: heldOut.length,
    rounds,
    privacy,
    encoderId: content.encoderId,
    backend,
    settings: {
      cohort: options.cohort,
      samplingProbability: sampleRate,
      clipNorm,
      serverLearningRate: options.serverLearningRate ?? 1,
      serverMomentum: options.serverMomentum ?? 0.9,
      serverOptimizer,
      ...(serverOptimizer === 'fedadam' ? { serverAdamTau } : {}),
      personalizeEpochs: options.personalizeEpochs ?? DEFAULT_PERSONALIZE_EPOCHS,
      excludeClicked: options.excludeClicked ? 'yes' : 'no',
      dropout,
      seed,
      maxParticipationsPerDevice: limits.maxParticipationsPerDevice,
      minRoundGap: limits.minRoundGap,
      ...(options.mode === 'distributed'
        ? {
            kMin,
            bits: masking.bits,
            degree: masking.degree,
            threshold: masking.threshold,
            maxCohort: masking.maxCohort,
          }
        : {}),
      centralizedLearningRate: selected!.learningRate,
      centralizedSteps: selected!.steps,
      centralizedUserVectors: selected!.userVectors,
      centralizedValidationNdcgAt10: selected!.validationNdcgAt10,
      centralizedCandidates: selected!.candidates
        .map(
          (k) =>
            `lr ${k.learningRate}: best step ${k.bestStep}/${k.stepsRun}, NDCG@10 ${k.bestNdcgAt10.toFixed(4)}`,
        )
        .join('; '),
      projector: `${spec.kind} ${spec.contentDim}->${spec.userDim}`,
    },
    results: {
      popularity,
      coldStart,
      contentOnly,
      centralized,
      federated: federated.metrics,
      federatedDp: federatedDp?.metrics ?? null,
      federatedPrior: federatedPrior?.metrics ?? null,
      federatedPriorPostHoc: postHocPrior?.metrics ?? null,
      federatedPriorTrained: trainedPrior?.metrics ?? null,
      federatedDpPrior: federatedDpPrior?.metrics ?? null,
      popularityDp: federatedDpPrior?.popularity ?? null,
    },
    counts: countsSettings
      ? {
          settings: countsSettings,
          federated: postHocPrior?.counts ?? null,
          federatedPriorTrained: trainedPrior?.counts ?? null,
          priorTrainingWeight: biasAware ? trainingWeight : 0,
          priorKept: federatedPrior === null ? null : keepTrained ? 'trained' : 'post-hoc',
          federatedDp: federatedDpPrior?.counts ?? null,
        }
      : null,
    ndcgRatioToCentralized: {
      popularity: ratio(popularity),
      coldStart: ratio(coldStart),
      contentOnly: ratio(contentOnly),
      federated: ratio(federated.metrics),
      federatedDp: ratio(federatedDp?.metrics ?? null),
      federatedPrior: ratio(federatedPrior?.metrics ?? null),
      federatedPriorPostHoc: ratio(postHocPrior?.metrics ?? null),
      federatedPriorTrained: ratio(trainedPrior?.metrics ?? null),
      federatedDpPrior: ratio(federatedDpPrior?.metrics ?? null),
      popularityDp: ratio(federatedDpPrior?.popularity ?? null),
    },
    federatedRuns: {
      federated: summarise(federated),
      federatedDp: federatedDp ? summarise(federatedDp) : null,
    },
    curve,
    seconds,
  };
}
