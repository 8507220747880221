/**
 * Builds the round config clients receive from the server's round template. The result is checked
 * with the protocol's own parser, so the server can never publish a config a client would refuse.
 */
import { localNoiseSigma, planSecureSumEncoding } from '@privads/dp';
import { parameterCount, type ProjectorSpec } from '@privads/model';
import {
  ROUND_CONFIG_FORMAT_VERSION,
  countsSensitivity,
  generateNonce,
  fromBase64Url,
  maxUpdateBytes,
  parseRoundConfig,
  updateNormBound,
  updateVectorLength,
  type AdCountsQuery,
  type RoundConfig,
  type RoundPrivacy,
} from '@privads/protocol';

import type { ServerConfig } from '../config.js';
import {
  resolveSecureAggregation,
  type DistributedPrivacySettings,
} from './secure-aggregation-settings.js';

/**
 * The projector spec of a configuration.
 * @param config - server configuration
 * @returns the spec
 */
export function projectorSpecOf(config: ServerConfig): ProjectorSpec {
  const { kind, contentDim, userDim, hiddenDim } = config.projector;
  return kind === 'mlp'
    ? { kind, contentDim, userDim, hiddenDim: hiddenDim ?? 256 }
    : { kind, contentDim, userDim };
}

/**
 * The counts query of a round: the catalog it counts, the template's bounds, and the scale that
 * makes the counts segment's L2 bound `normShare · C`.
 * @param config - server configuration
 * @param clipNorm - the round's C
 * @param catalog - the catalog the round's devices rank (absent before the first import)
 * @returns the query, or undefined when the template asks for no counts or there is no catalog
 */
export function countsQuery(
  config: ServerConfig,
  clipNorm: number,
  catalog: RoundCatalog | undefined,
): AdCountsQuery | undefined {
  const settings = config.round.counts;
  if (settings === undefined || catalog === undefined || catalog.count < 1) return undefined;
  const bounds = { maxImpressions: settings.maxImpressions, maxClicks: settings.maxClicks };
  return {
    catalogVersion: catalog.version,
    adCount: catalog.count,
    adsChecksum: catalog.adsChecksum,
    ...bounds,
    scale: (settings.normShare * clipNorm) / countsSensitivity(bounds),
  };
}

/** The catalog a round's counts index: its version and number of ads. */
export interface RoundCatalog {
  /** Catalog version. */
  version: number;
  /** Ads in it. */
  count: number;
  /** `adListChecksum` of its ad ids. */
  adsChecksum: string;
}

/** What the privacy block depends on: C, and the layout of the update vector. */
type VectorShape = Pick<RoundConfig, 'clipNorm' | 'model' | 'counts'>;

/**
 * The privacy block of a round. In `local` mode the server calibrates the clients' σ with the
 * analytic Gaussian mechanism for the sensitivity `localSensitivity` of `@privads/dp`, 2(B + g√d):
 * local DP must hold between any two uploads of one device, each clipped to B (C, or the joint
 * bound of the gradient and the counts) and then rounded to the noise grid g = σ·2^-20 (the client
 * re-checks σ with the same helper). In `distributed` mode it plans the secure-sum encoding
 * (`planSecureSumEncoding`) of the whole update vector with a fresh public rotation seed, the
 * noise sized so that the gradient's z stays the template's.
 * @param config - server configuration
 * @param shape - the round's C, model and counts query
 * @returns the round's privacy parameters
 */
export function roundPrivacy(config: ServerConfig, shape: VectorShape): RoundPrivacy {
  const p = config.round.privacy;
  if (p.mode === 'distributed') return distributedPrivacy(config, p, shape);
  if (p.mode === 'local') {
    return {
      mode: 'local',
      epsilon: p.epsilon,
      delta: p.delta,
      sigma: localNoiseSigma(p.epsilon, p.delta, updateNormBound(shape), updateVectorLength(shape)),
    };
  }
  if (p.mode === 'central') {
    return {
      mode: 'central',
      noiseMultiplier: p.noiseMultiplier,
      delta: p.delta,
      ...(p.targetEpsilon === undefined ? {} : { targetEpsilon: p.targetEpsilon }),
    };
  }
  return { mode: 'none' };
}

function distributedPrivacy(
  config: ServerConfig,
  settings: DistributedPrivacySettings,
  shape: VectorShape,
): RoundPrivacy {
  const s = resolveSecureAggregation(settings, config.round.kMin);
  // A nonce is 16 fresh CSPRNG bytes in base64url: exactly what a rotation seed must be.
  const rotationSeed = generateNonce();
  const bound = updateNormBound(shape);
  const encoding = planSecureSumEncoding({
    clipNorm: bound,
    dimension: updateVectorLength(shape),
    bits: s.bits,
    // Noise of std z·C on the sum, as without counts: the counts add to ρ, not to the noise.
    noiseMultiplier: (s.noiseMultiplier * shape.clipNorm) / bound,
    minDevices: config.round.kMin,
    maxDevices: s.maxCohort,
    rotationSeed: fromBase64Url(rotationSeed) as Uint8Array,
  });
  return {
    mode: 'distributed',
    noiseMultiplier: s.noiseMultiplier,
    delta: s.delta,
    bits: encoding.bits,
    granularity: encoding.granularity,
    deviceSigma: encoding.deviceSigma,
    paddedDimension: encoding.paddedDimension,
    rotationSeed,
    beta: encoding.beta,
    threshold: s.threshold,
    degree: s.degree,
    maxCohort: s.maxCohort,
  };
}

/**
 * The config of a new round.
 * @param config - server configuration (the template)
 * @param round - id, projector version, clip norm, opening time, and the catalog devices rank
 *   (its ads are what the round counts, when the template asks for counts)
 * @returns a validated round config
 * @throws ProtocolError if the template yields an invalid config (a configuration bug)
 */
export function buildRoundConfig(
  config: ServerConfig,
  round: {
    roundId: number;
    projectorVersion: number;
    clipNorm: number;
    now: Date;
    catalog?: RoundCatalog;
  },
): RoundConfig {
  const spec = projectorSpecOf(config);
  const count = parameterCount(spec);
  const t = config.round;
  const counts = countsQuery(config, round.clipNorm, round.catalog);
  const shape: VectorShape = {
    clipNorm: round.clipNorm,
    model: { ...spec, parameterCount: count },
    ...(counts ? { counts } : {}),
  };
  const privacy = roundPrivacy(config, shape);
  // Distributed rounds take masked words of the padded dimension, nothing else.
  const [acceptedEncodings, length] =
    privacy.mode === 'distributed'
      ? [['masked' as const], privacy.paddedDimension]
      : [t.acceptedEncodings, updateVectorLength(shape)];
  const maxUploadBytes =
    t.maxUploadBytes ??
    Math.max(...acceptedEncodings.map((encoding) => maxUpdateBytes(length, encoding)));
  return parseRoundConfig({
    formatVersion: ROUND_CONFIG_FORMAT_VERSION,
    roundId: round.roundId,
    projectorVersion: round.projectorVersion,
    model: { ...spec, parameterCount: count },
    clipNorm: round.clipNorm,
    privacy,
    kMin: t.kMin,
    deadline: new Date(round.now.getTime() + t.durationSeconds * 1000).toISOString(),
    participation: t.participation,
    acceptedEncodings,
    maxUploadBytes,
    ...(counts ? { counts } : {}),
  });
}
