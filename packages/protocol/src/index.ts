/**
 * `@privads/protocol` — the wire formats shared by every PrivAds package, their validation, and the
 * error hierarchy. No dependencies; runs unchanged in browsers, workers and Node. Every decoder is
 * synchronous, enforces size limits before allocating, and throws only {@link ProtocolError}s with
 * a documented code. Byte layouts: `docs/protocol.md`.
 */

// Errors
export {
  AGGREGATION_ERROR_CODES,
  AggregationError,
  BACKEND_ERROR_CODES,
  BackendError,
  DATASET_ERROR_CODES,
  DatasetError,
  ENCODER_ERROR_CODES,
  ERROR_CODES,
  EncoderError,
  GENERAL_ERROR_CODES,
  PRIVACY_ERROR_CODES,
  PROTOCOL_ERROR_CODES,
  PrivAdsError,
  PrivacyError,
  PrivacyParameterError,
  ProtocolError,
  SECAGG_ERROR_CODES,
  STORAGE_ERROR_CODES,
  SecAggError,
  StorageError,
  deserializeError,
  isErrorCode,
  isPrivAdsError,
  serializeError,
} from './errors.js';
export type {
  AggregationErrorCode,
  BackendErrorCode,
  DatasetErrorCode,
  EncoderErrorCode,
  ErrorCode,
  GeneralErrorCode,
  PrivAdsErrorOptions,
  PrivacyErrorCode,
  ProtocolErrorCode,
  SecAggErrorCode,
  SerializedError,
  StorageErrorCode,
} from './errors.js';

// Limits
export {
  CATALOG_DEFAULT_LIMITS,
  SAFETENSORS_DEFAULT_LIMITS,
  UPDATE_DEFAULT_LIMITS,
} from './limits.js';
export type { DecodeLimits, ResolvedLimits } from './limits.js';

// Numeric helpers
export { f16BitsToF32, f32ToF16Bits, float16ToFloat32Array, float32ToFloat16Array } from './f16.js';
export {
  createSecureUniformRandom,
  dequantizeInt8,
  dequantizeRowsInt8,
  quantizeRowsInt8,
  stochasticQuantizeInt8,
} from './quantize.js';
export type { Int8Rows, Int8Vector, UniformRandom } from './quantize.js';
export { crc32c } from './checksum.js';
export { parseIsoDateTime } from './iso-time.js';
export { NONCE_PATTERN, fromBase64Url, generateNonce, isValidNonce, toBase64Url } from './nonce.js';

// Strict JSON (shared with the JSON message parsers of other packages, e.g. `@privads/secagg`)
export {
  FieldReader,
  checkBounds,
  describeValue,
  parseJsonBytes,
  parseJsonStrict,
} from './json.js';
export type { NumberBounds } from './json.js';

// Safetensors
export { SAFETENSORS_DTYPES, decodeSafetensors, encodeSafetensors } from './safetensors.js';
export type {
  SafetensorsArrayTypes,
  SafetensorsDtype,
  SafetensorsFile,
  Tensor,
} from './safetensors.js';

// Catalog bundle
export { HTTP_URL_PATTERN } from './ad-metadata.js';
export type { AdMetadata } from './ad-metadata.js';
export {
  CATALOG_FORMAT_VERSION,
  CATALOG_MAGIC,
  DEFAULT_CONTENT_DIM,
  DEFAULT_USER_DIM,
  checkCatalogBundleSize,
  decodeCatalogBundle,
  encodeCatalogBundle,
} from './catalog-bundle.js';
export type {
  Catalog,
  CatalogPopularity,
  DecodedCatalogBundle,
  EncodeCatalogOptions,
  ProjectedVectors,
} from './catalog-bundle.js';
export { PROJECTED_ENCODINGS } from './catalog-header.js';
export type {
  CatalogBundleHeader,
  CatalogBundleShape,
  CatalogPopularityHeader,
  CatalogSection,
  CatalogSections,
  ProjectedEncoding,
} from './catalog-header.js';
export {
  CONTENT_ENCODINGS,
  CONTENT_PQ_CENTROIDS,
  contentRange,
  contentRows,
} from './catalog-content.js';
export type {
  CatalogContent,
  ContentEncoding,
  ExactContent,
  QuantizedContent,
} from './catalog-content.js';

// Round config
export {
  MAX_SECURE_SUM_BITS,
  MAX_UPLOAD_BYTES_LIMIT,
  MIN_SECURE_SUM_BITS,
  PRIVACY_MODES,
  PROJECTOR_KINDS,
  ROUND_CONFIG_FORMAT_VERSION,
  meetsPrivacyFloor,
  parseRoundConfig,
  privacyModeStrength,
} from './round-config.js';
export type {
  CentralPrivacy,
  DistributedPrivacy,
  LocalPrivacy,
  NoPrivacy,
  ParticipationRules,
  PrivacyMode,
  ProjectorKind,
  ProjectorShape,
  RoundConfig,
  RoundPrivacy,
} from './round-config.js';
export { roundConfigJsonSchema } from './round-config-schema.js';
export {
  adListChecksum,
  countsNormBound,
  countsSensitivity,
  updateNormBound,
  updateVectorLength,
} from './ad-counts.js';
export type { AdCountsQuery, CountsLayoutConfig } from './ad-counts.js';
export { participationRuleViolation } from './participation-rules.js';
export type { ParticipationRuleReason, ParticipationRuleViolation } from './participation-rules.js';

// Update upload
export {
  UPDATE_ENCODINGS,
  UPDATE_FORMAT_VERSION,
  UPDATE_MAGIC,
  UPLOAD_ENCODINGS,
  decodeMaskedUpdate,
  decodeUpdate,
  encodeMaskedUpdate,
  encodeUpdate,
  maxUpdateBytes,
} from './update-upload.js';
export type {
  DecodeUpdateOptions,
  DecodedUpdate,
  EncodeUpdateOptions,
  MaskedUpdate,
  ModelUpdate,
  UpdateEncoding,
  UpdateHeader,
  UploadEncoding,
} from './update-upload.js';

// Aggregate release
export {
  AGGREGATE_RELEASE_FORMAT,
  AGGREGATE_COUNT_TENSORS,
  AGGREGATE_RELEASE_FORMAT_VERSION,
  AGGREGATE_UPDATE_TENSOR,
  decodeAggregateRelease,
  encodeAggregateRelease,
} from './aggregate-release.js';
export type {
  AggregateRelease,
  AggregateReleaseMetadata,
  ParameterLayoutEntry,
  ReleaseNoise,
  ReleasedCounts,
  ReleasedCountsMetadata,
} from './aggregate-release.js';

// Product-quantised catalog index (large catalogs)
export {
  PQ_CENTROIDS,
  PQ_INDEX_DEFAULT_LIMITS,
  PQ_INDEX_FORMAT_VERSION,
  PQ_INDEX_MAGIC,
  PQ_MAX_PARTITIONS,
  PQ_MAX_ROTATION_DIM,
  PQ_MAX_STAGES,
  decodePqIndex,
  encodePqIndex,
} from './pq-index.js';
export type { PqIndex, PqIndexHeader, PqPartitions, PqStage } from './pq-index.js';

// WebAssembly kernels of the packages (loading, memory)
export { ensureMemory, instantiateKernel, kernelBytes } from './wasm-kernel.js';
export type { KernelMemory } from './wasm-kernel.js';
