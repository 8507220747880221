/**
 * `@privads/dp` — the privacy core of PrivAds: L2 clipping, CSPRNG-backed Gaussian and exact
 * discrete Gaussian noise, single-release calibration, and the RDP / zCDP accountants. Isomorphic
 * (browsers, workers, Node); only the `privads-dp` CLI (`src/cli.ts`) is Node-specific. The privacy
 * model, formulas and reference values are documented in `docs/privacy.md`; the CLI's testable
 * core is the subpath `@privads/dp/run-cli`. Errors are the
 * `PrivacyParameterError` of `@privads/protocol` plus `TypeError`/`RangeError` for bad arguments.
 */

// Clipping
export { clipByGlobalL2Norm, clipByL2Norm, globalL2Norm } from './clip.js';
export type { ClipResult, FloatVector } from './clip.js';
export { boundCounts } from './bound-counts.js';

// Randomness
export {
  createCryptoRandomSource,
  defaultRandomSource,
  uniform53,
  uniform53Positive,
  uniformBelow,
} from './random-source.js';
export type { RandomSource } from './random-source.js';
export { createSeededRandomSource, createXoshiro128Source } from './seeded-random-source.js';

// Random rotation (distributed mode)
export {
  inverseRandomizedHadamard,
  isPowerOfTwo,
  randomizedHadamard,
  rotationSigns,
  walshHadamardInPlace,
} from './hadamard.js';

// Secure-sum encoding (distributed mode)
export {
  DEFAULT_BETA,
  nextPowerOfTwo,
  planSecureSumEncoding,
  roundedNormBound,
  validateSecureSumEncoding,
} from './secure-sum-encoding.js';
export type { SecureSumEncoding, SecureSumPlanOptions } from './secure-sum-encoding.js';
export {
  deviceNoiseVariance,
  dequantizeSecureSum,
  quantizeForSecureSum,
} from './secure-sum-quantize.js';
export type { SecureSumInput } from './secure-sum-quantize.js';
export { secureSumEncodingOf } from './secure-sum-config.js';
export { participationCost } from './participation-cost.js';
export type { ParticipationCost } from './participation-cost.js';

// Noise
export { addGaussianNoise, sampleGaussian } from './gaussian.js';
export type { NoiseOptions } from './gaussian.js';
export {
  addDiscreteGaussianNoise,
  addDiscreteGaussianNoiseBigInt,
  sampleDiscreteGaussian,
  sampleDiscreteGaussianInto,
} from './discrete-gaussian.js';
export { gridVariance } from './grid-variance.js';
export {
  LOCAL_GRID_BITS,
  localGridStep,
  localNoiseSigma,
  localNormBound,
  localSensitivity,
  randomizeLocally,
} from './local-randomizer.js';
export { floorSqrt, toRational } from './rational.js';
export type { Rational, RationalLike } from './rational.js';

// Single-release calibration
export {
  analyticGaussianSigma,
  classicGaussianSigma,
  gaussianMechanismDelta,
} from './calibrate.js';

// RDP accounting
export {
  DEFAULT_RDP_ORDERS,
  composeRdp,
  gaussianRdp,
  subsampledGaussianRdp,
  subsampledGaussianRdpCurve,
} from './rdp.js';
export type { SubsampledGaussianSteps } from './rdp.js';
export { rdpToEpsilon } from './rdp-conversion.js';
export type { EpsilonAtOrder, RdpConversion } from './rdp-conversion.js';
export { RdpAccountant } from './rdp-accountant.js';
export type { RdpAccountantOptions, RdpAccountantState, RdpLedgerEntry } from './rdp-accountant.js';
export { findNoiseMultiplier } from './noise-search.js';
export type { NoiseMultiplierQuery } from './noise-search.js';

// Per-device accounting (no amplification)
export {
  allowedParticipations,
  findPerDeviceNoiseMultiplier,
  perDeviceEpsilon,
  worstCaseRho,
} from './device-accounting.js';
export type { ParticipationLimits, PerDeviceNoiseQuery } from './device-accounting.js';

// Distributed discrete Gaussian accounting
export {
  distributedGaussianEpsilon,
  distributedGaussianRho,
  distributedGaussianTau,
} from './distributed-gaussian.js';
export type {
  DistributedGaussianEpsilonQuery,
  DistributedGaussianQuery,
} from './distributed-gaussian.js';

// Composition of Gaussian releases (GDP)
export { composedNoiseMultiplier, gaussianEpsilon } from './gaussian-composition.js';

// zCDP
export {
  composeZcdp,
  epsilonDeltaToZcdp,
  gaussianZcdp,
  zcdpDelta,
  zcdpToEpsilon,
  zcdpToEpsilonStandard,
} from './zcdp.js';

// Numerics
export {
  erfc,
  log1mExp,
  logAddExp,
  logErfc,
  logNormalCdf,
  normalCdf,
} from './special-functions.js';
