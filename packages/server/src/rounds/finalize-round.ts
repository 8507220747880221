/**
 * What happens when a round closes, given its exact totals: the k_min gate, the mean over the
 * declared denominator, central noise (exact discrete Gaussian on the sum's integer grid,
 * `central-noise.ts`), the ledger entry, the aggregate release, the server
 * optimizer step (new projector version), the re-projected catalog and the next round's config.
 * Pure apart from the noise draws, so a failed commit can simply be retried (the noise of an
 * uncommitted attempt is never released).
 */
import type { RandomSource } from '@privads/dp';
import { decodeProjectorFile, encodeProjectorFile, parameterLayout } from '@privads/model';
import {
  adListChecksum,
  decodeCatalogBundle,
  encodeAggregateRelease,
  encodeCatalogBundle,
  type AggregateReleaseMetadata,
  type DecodedCatalogBundle,
} from '@privads/protocol';

import { buildPqIndex } from '../catalog/pq-index.js';
import { projectWithParameters } from '../catalog/project.js';
import type { ServerConfig } from '../config.js';
import type {
  CatalogPublication,
  CloseCommit,
  CloseContext,
  CloseReason,
  ClosedRoundInfo,
} from '../store/store.js';
import { nextClipNorm, sumNoiseMultiplier } from './adaptive-clip.js';
import { RELEASE_NOISE, addCentralNoise } from './central-noise.js';
import { ledgerEntryFor, releaseCost } from './privacy-ledger.js';
import { accumulatePopularity, splitRelease, type SplitRelease } from './released-counts.js';
import { buildRoundConfig, type RoundCatalog } from './round-config.js';
import { secureRelease, type SecureRelease } from './secure-release.js';
import type { SecureRound } from './secure-round.js';
import {
  decodeOptimizerState,
  encodeOptimizerState,
  serverOptimizerStep,
} from './server-optimizer.js';

/** Inputs of {@link finalizeRound} besides the store's context. */
export interface FinalizeOptions {
  /** Server configuration (template of the next round, optimizer, catalog encoding). */
  config: ServerConfig;
  /** What closed the round. */
  reason: CloseReason;
  /** Current time. */
  now: Date;
  /** Randomness of the noise (default: the CSPRNG of `@privads/dp`). */
  source?: RandomSource;
  /** The coordinator of a distributed round (absent when it was lost, or for other modes). */
  secure?: SecureRound;
}

/**
 * The next catalog version: the same ads re-projected with the new projector, carrying the running
 * per-ad counts (plus this round's, when it counted this very catalog) for the popularity prior.
 * The PQ codes of the catalog it replaces describe the old projected vectors, so when that catalog
 * had an index, the new version gets its own, rebuilt from the new vectors with the same stages
 * (and the configured partitions).
 */
async function reprojectCatalog(
  bundle: DecodedCatalogBundle,
  projectorBytes: Uint8Array,
  versions: { catalogVersion: number; projectorVersion: number },
  config: ServerConfig,
  counts: SplitRelease['counts'],
  pqStages: readonly number[] | undefined,
): Promise<CatalogPublication> {
  const { header, content, ads } = bundle;
  const counted = counts?.metadata.catalogVersion === header.catalogVersion ? counts : undefined;
  const popularity = accumulatePopularity(
    bundle.popularity,
    counted && { values: counted.values, sigma: counted.metadata.sigma },
    config.catalog.popularity,
    header.count,
  );
  const projector = decodeProjectorFile(projectorBytes);
  const projected = await projectWithParameters(
    projector.spec,
    projector.parameters,
    content,
    header.count,
  );
  const bytes = encodeCatalogBundle(
    {
      catalogVersion: versions.catalogVersion,
      projectorVersion: versions.projectorVersion,
      encoderId: header.encoderId,
      contentDim: header.contentDim,
      userDim: header.userDim,
      projected,
      content,
      ads,
      ...(popularity ? { popularity } : {}),
    },
    { projectedEncoding: config.catalog.projectedEncoding },
  );
  if (pqStages === undefined) return { bytes };
  return {
    bytes,
    pqIndex: await buildPqIndex(projected, header.userDim, versions, {
      stages: pqStages,
      partitions: config.catalog.pqIndex.partitions,
    }),
  };
}

/** The catalog a next round counts: the given version of this bundle's ad list. */
function roundCatalogOf(bundle: DecodedCatalogBundle, version: number): RoundCatalog {
  return {
    version,
    count: bundle.header.count,
    adsChecksum: adListChecksum(bundle.ads.map((ad) => ad.id)),
  };
}

/**
 * Computes everything a round close commits.
 * @param context - the store's view of the round (totals, projector, catalog, ledger, numbers)
 * @param options - configuration, reason, time, randomness
 * @returns the commit
 * @throws ProtocolError / RangeError when stored files are inconsistent (nothing is committed then)
 */
export async function finalizeRound(
  context: CloseContext,
  options: FinalizeOptions,
): Promise<CloseCommit> {
  const { config, now } = options;
  const round = context.round.config;
  const { totals, next } = context;
  const n = totals.count;
  const closedAt = now.toISOString();
  const closedBase = { closedAt, closedBy: options.reason, cohortSize: n };
  const bundle = context.catalog ? decodeCatalogBundle(context.catalog.bytes) : undefined;
  const nextRoundOf = (
    projectorVersion: number,
    clipNorm: number,
    catalog: RoundCatalog | undefined,
  ): CloseCommit['nextRound'] =>
    buildRoundConfig(config, {
      roundId: next.roundId,
      projectorVersion,
      clipNorm,
      now,
      ...(catalog ? { catalog } : {}),
    });

  let released: SecureRelease | undefined;
  let failure: string | undefined;
  if (round.privacy.mode === 'distributed' && n >= round.kMin) {
    const outcome = await secureRelease(round, totals, options.secure, now.getTime());
    if ('failed' in outcome) failure = outcome.failed;
    else released = outcome;
  }

  if (n < round.kMin || failure !== undefined) {
    const closed: ClosedRoundInfo = {
      ...closedBase,
      ...(failure === undefined ? {} : { secureAggregationFailure: failure }),
      status: 'insufficient',
      denominator: 0,
      noiseMultiplier: 0,
      sigma: 0,
      epsilon: null,
      delta: null,
      cumulativeEpsilon: null,
    };
    const current = bundle && roundCatalogOf(bundle, bundle.header.catalogVersion);
    return { closed, nextRound: nextRoundOf(round.projectorVersion, round.clipNorm, current) };
  }

  const privacy = round.privacy;
  const adaptive = config.round.adaptiveClipping;
  const denominator = config.round.denominator === 'cohort' ? n : config.round.denominator;
  // z accounted by the ledger, and z actually applied to the sum (larger with adaptive clipping).
  let accountedZ = 0;
  let appliedZ = 0;
  let sigma = 0;
  let sum: Float64Array;
  // Std of the noise on each coordinate of the sum (local: n devices' σ add up in variance).
  let sumSigma = 0;
  if (privacy.mode === 'central') {
    accountedZ = privacy.noiseMultiplier;
    appliedZ = adaptive ? sumNoiseMultiplier(accountedZ, adaptive.countNoiseStd) : accountedZ;
    sigma = appliedZ * round.clipNorm;
    // Noise goes onto the exact integers: nothing is floating point before it is added.
    sum = addCentralNoise(totals.gridSum(), sigma, options.source);
    sumSigma = sigma;
  } else if (released !== undefined) {
    // Distributed: the devices' noise shares are already in the unmasked sum.
    accountedZ = appliedZ =
      round.privacy.mode === 'distributed' ? round.privacy.noiseMultiplier : 0;
    sigma = released.sigma;
    sum = released.sum;
    sumSigma = sigma;
  } else {
    sum = totals.sum();
    if (privacy.mode === 'local') {
      sigma = privacy.sigma;
      sumSigma = sigma * Math.sqrt(n);
    }
  }
  const noise = privacy.mode === 'none' ? {} : { noise: RELEASE_NOISE };
  const cost = releaseCost(round, released?.devices);
  const split = splitRelease(round, sum, sumSigma, cost.countsRho);
  const gradientSum = split.gradient;
  const mean = new Float64Array(gradientSum.length);
  for (let i = 0; i < gradientSum.length; i++) mean[i] = (gradientSum[i] as number) / denominator;

  const ledgerEntry = ledgerEntryFor(
    round,
    { cohortSize: n, ...cost, releasedAt: closedAt },
    context.ledger,
  );
  const projectorFile = decodeProjectorFile(context.projector.bytes);
  const metadata: AggregateReleaseMetadata = {
    roundId: round.roundId,
    projectorVersion: round.projectorVersion,
    cohortSize: n,
    clipNorm: round.clipNorm,
    mode: privacy.mode,
    noiseMultiplier: appliedZ,
    sigma,
    ...noise,
    epsilon: ledgerEntry.epsilon,
    delta: ledgerEntry.delta,
    cumulativeEpsilon: ledgerEntry.cumulativeEpsilon,
    createdAt: closedAt,
    layout: parameterLayout(projectorFile.spec).map((b) => ({ name: b.name, shape: [...b.shape] })),
    ...(split.counts ? { counts: split.counts.metadata } : {}),
  };
  const release = encodeAggregateRelease({
    metadata,
    update: Float32Array.from(mean),
    ...(split.counts ? { counts: split.counts.values } : {}),
  });

  const step = serverOptimizerStep(
    config.optimizer,
    projectorFile.parameters,
    mean,
    context.optimizerState ? decodeOptimizerState(context.optimizerState) : undefined,
  );
  const projector = encodeProjectorFile(projectorFile.spec, step.parameters, {
    projector_version: String(next.projectorVersion),
    trained_by_round: String(round.roundId),
  });
  const catalog = bundle
    ? await reprojectCatalog(
        bundle,
        projector,
        { catalogVersion: next.catalogVersion, projectorVersion: next.projectorVersion },
        config,
        split.counts,
        context.catalog?.info.pqIndex?.stages,
      )
    : undefined;

  const clip =
    adaptive && privacy.mode !== 'local'
      ? nextClipNorm(
          adaptive,
          round.clipNorm,
          { belowClip: totals.belowClip, cohortSize: n },
          denominator,
          options.source,
        )
      : undefined;
  const closed: ClosedRoundInfo = {
    ...closedBase,
    status: 'released',
    denominator,
    noiseMultiplier: accountedZ,
    sigma,
    ...noise,
    epsilon: ledgerEntry.epsilon,
    delta: ledgerEntry.delta,
    cumulativeEpsilon: ledgerEntry.cumulativeEpsilon,
    newProjectorVersion: next.projectorVersion,
    ...(catalog ? { newCatalogVersion: next.catalogVersion } : {}),
    ...(clip
      ? { adaptiveClipping: { noisedFraction: clip.noisedFraction, nextClipNorm: clip.clipNorm } }
      : {}),
    ...(split.counts ? { counts: split.counts.info } : {}),
  };
  return {
    closed,
    release,
    projector,
    ...(catalog ? { catalog: catalog.bytes } : {}),
    ...(catalog?.pqIndex ? { catalogPqIndex: catalog.pqIndex } : {}),
    optimizerState: encodeOptimizerState(step.state),
    ledgerEntry,
    nextRound: nextRoundOf(
      next.projectorVersion,
      clip?.clipNorm ?? round.clipNorm,
      bundle && roundCatalogOf(bundle, next.catalogVersion),
    ),
  };
}
