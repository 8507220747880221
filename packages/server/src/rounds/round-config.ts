/**
 * Builds the round config clients receive from the server's round template. The result is checked
 * with the protocol's own parser, so the server can never publish a config a client would refuse.
 */
import { localNoiseSigma, planSecureSumEncoding } from '@privads/dp';
import { parameterCount, type ProjectorSpec } from '@privads/model';
import {
  ROUND_CONFIG_FORMAT_VERSION,
  generateNonce,
  fromBase64Url,
  maxUpdateBytes,
  parseRoundConfig,
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
 * The privacy block of a round. In `local` mode the server calibrates the clients' σ with the
 * analytic Gaussian mechanism for the sensitivity `localSensitivity` of `@privads/dp`, 2(C + g√d):
 * local DP must hold between any two uploads of one device, each clipped to C and then rounded to
 * the noise grid g = σ·2^-20 (the client re-checks σ with the same helper). In `distributed` mode
 * it plans the secure-sum encoding (`planSecureSumEncoding`) with a fresh public rotation seed.
 * @param config - server configuration
 * @param clipNorm - the round's C
 * @returns the round's privacy parameters
 */
export function roundPrivacy(config: ServerConfig, clipNorm: number): RoundPrivacy {
  const p = config.round.privacy;
  if (p.mode === 'distributed') return distributedPrivacy(config, p, clipNorm);
  if (p.mode === 'local') {
    return {
      mode: 'local',
      epsilon: p.epsilon,
      delta: p.delta,
      sigma: localNoiseSigma(p.epsilon, p.delta, clipNorm, parameterCount(projectorSpecOf(config))),
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
  clipNorm: number,
): RoundPrivacy {
  const s = resolveSecureAggregation(settings, config.round.kMin);
  // A nonce is 16 fresh CSPRNG bytes in base64url: exactly what a rotation seed must be.
  const rotationSeed = generateNonce();
  const encoding = planSecureSumEncoding({
    clipNorm,
    dimension: parameterCount(projectorSpecOf(config)),
    bits: s.bits,
    noiseMultiplier: s.noiseMultiplier,
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
 * @param round - id, projector version, clip norm, opening time
 * @returns a validated round config
 * @throws ProtocolError if the template yields an invalid config (a configuration bug)
 */
export function buildRoundConfig(
  config: ServerConfig,
  round: { roundId: number; projectorVersion: number; clipNorm: number; now: Date },
): RoundConfig {
  const spec = projectorSpecOf(config);
  const count = parameterCount(spec);
  const t = config.round;
  const privacy = roundPrivacy(config, round.clipNorm);
  // Distributed rounds take masked words of the padded dimension, nothing else.
  const [acceptedEncodings, length] =
    privacy.mode === 'distributed'
      ? [['masked' as const], privacy.paddedDimension]
      : [t.acceptedEncodings, count];
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
  });
}
