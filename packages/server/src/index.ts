/**
 * `@privads/server` — the PrivAds aggregation server: round configs, streaming DP aggregation with
 * exact integer sums, the server optimizer, the privacy ledger, catalog publishing, an embedded or
 * PostgreSQL store, and the HTTP API (Fetch-API handler plus a node:http adapter). Node only.
 */
export {
  createPrivAdsServer,
  type PrivAdsServer,
  type PrivAdsServerOptions,
  type ServerStore,
} from './server.js';
export { createHandler, type RequestInfo } from './app.js';
export { ROUTES, type OperationId, type RouteAccess, type RouteSpec } from './http/route-table.js';
export { HttpError } from './http/errors.js';
export { OPENAPI_URL } from './openapi-document.js';
export {
  DEFAULT_CONFIG,
  loadConfigFile,
  resolveConfig,
  type BucketSettings,
  type ConfigOverrides,
  type PqIndexSettings,
  type PrivacySettings,
  type RoundSettings,
  type ServerConfig,
} from './config.js';
export { importCatalog, publishCatalog, type ImportCatalogOptions } from './catalog/import.js';
export type { ContentBuildOptions } from './catalog/content-codes.js';
export {
  encoderText,
  parseAdsJsonl,
  readCatalogAd,
  type CatalogAdInput,
} from './catalog/ads-jsonl.js';
export { pullReleases, type PullOptions, type PulledRelease } from './pull.js';
export { runServerCli, SERVER_CLI_USAGE, type ServerCliIo } from './cli-main.js';
export { openStore, parseStoreLocation, type StoreLocation } from './store/open-store.js';
export { openEmbeddedStore, type EmbeddedStoreOptions } from './store/embedded-store.js';
export { openPostgresStore, type PostgresStoreOptions } from './store/postgres-store.js';
export type {
  AddUpdateResult,
  CloseCommit,
  CloseContext,
  CloseReason,
  ClosedRoundInfo,
  CloseRoundResult,
  Contribution,
  ContributionDecoder,
  InitialState,
  LedgerEntry,
  PublishContext,
  CatalogPublication,
  PqIndexInfo,
  RoundRecord,
  RoundStats,
  Store,
  VersionBytes,
  VersionInfo,
  VersionKind,
} from './store/store.js';
export { FRACTION_BITS, MAX_ABS_COORDINATE, RoundAccumulator } from './rounds/aggregator.js';
export { CENTRAL_GRID_STEP, RELEASE_NOISE, addCentralNoise } from './rounds/central-noise.js';
export { finalizeRound, type FinalizeOptions } from './rounds/finalize-round.js';
export { ledgerEntryFor, ledgerEpsilon, releaseCost } from './rounds/privacy-ledger.js';
export {
  checkOptimizerConfig,
  decodeOptimizerState,
  encodeOptimizerState,
  serverOptimizerStep,
  type FedAdamConfig,
  type FedAvgConfig,
  type OptimizerState,
  type ServerOptimizerConfig,
} from './rounds/server-optimizer.js';
export {
  checkAdaptiveClipConfig,
  nextClipNorm,
  sumNoiseMultiplier,
  type AdaptiveClipConfig,
} from './rounds/adaptive-clip.js';
export { buildRoundConfig, projectorSpecOf, roundPrivacy } from './rounds/round-config.js';
export { initialState, type InitialCatalog } from './rounds/initial-state.js';
export {
  contributionClipNorm,
  contributionOf,
  uploadNormBound,
  validateUpload,
} from './rounds/validate-update.js';
export { NORM_BUCKETS_OF_CLIP } from './rounds/round-stats.js';
export { QualityLog, parseQualityPoints, type QualityPoint } from './quality-log.js';
export { ServerMetrics, PROMETHEUS_CONTENT_TYPE } from './metrics.js';
export {
  createJsonLogger,
  silentLogger,
  type JsonLoggerOptions,
  type LogFields,
  type Logger,
  type LogLevel,
} from './log.js';
export { createProgressBar, type ProgressSink } from './progress.js';
export { buildPqIndex, type PqIndexBuildOptions } from './catalog/pq-index.js';
