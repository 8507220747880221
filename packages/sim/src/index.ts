export { createSeededRandom } from './seeded-random.js';
export type { SeededRandom } from './seeded-random.js';
export { SYNTHETIC_TOPICS, GENERIC_AD_WORDS } from './synthetic/topics.js';
export type { Topic } from './synthetic/topics.js';
export { createSyntheticWorld } from './synthetic/world.js';
export type {
  SyntheticAd,
  SyntheticUser,
  SyntheticWorld,
  SyntheticWorldOptions,
} from './synthetic/world.js';
export { loadMovieLens, MOVIELENS_CLICK_RATING, MOVIELENS_GENRES } from './datasets/movielens.js';
export { loadMind, parseMindTime } from './datasets/mind.js';
export { findRecBoleName, loadRecBole, RECBOLE_SUFFIXES } from './datasets/recbole.js';
export { rebuildSequence } from './datasets/recbole-sequence.js';
export type { SequenceLine } from './datasets/recbole-sequence.js';
export type {
  DatasetClick,
  DatasetImpression,
  DatasetItem,
  DatasetProblem,
  GivenSplit,
  InteractionDataset,
  LoadOptions,
  LoadResult,
} from './datasets/dataset.js';
export { countClicks, givenSplitTimeline, splitTimeline, validationSplit } from './population.js';
export type { Population, PopulationItem, Slate, UserTimeline } from './population.js';
export { createSyntheticPopulation } from './synthetic/population.js';
export type { SyntheticPopulation, SyntheticPopulationOptions } from './synthetic/population.js';
export { datasetPopulation } from './datasets/population.js';
export type { DatasetPopulationOptions } from './datasets/population.js';
export { MetricAverager, impressionAuc, rankOf, userRankingMetrics } from './eval/metrics.js';
export type { RankingMetrics, UserRankingMetrics } from './eval/metrics.js';
export { dotScores, evaluateScorer, heldOutOf } from './eval/evaluate.js';
export type { HeldOut, UserScorer } from './eval/evaluate.js';
export {
  catalogPrior,
  encodeCatalog,
  gatherRows,
  projectCatalog,
  useFastestNodeBackend,
} from './federated/catalog.js';
export type { CatalogContent } from './federated/catalog.js';
export { DeviceFleet } from './federated/devices.js';
export type {
  Aggregator,
  AggregatorSettings,
  DistributedMasking,
  RoundOutcome,
  SimPrivacy,
} from './federated/aggregator.js';
export { createServerAggregator } from './federated/server-aggregator.js';
export type { ServerTransport } from './federated/server-aggregator.js';
export { evaluateDevices, runFederation } from './federated/federation.js';
export { runSecureRound } from './federated/secure-round.js';
export type {
  SecureDevice,
  SecureDeviceResult,
  SecureRoundRunOptions,
} from './federated/secure-round.js';
export type {
  FederationOptions,
  FederationResult,
  FederatedRoundRecord,
} from './federated/federation.js';
export { replayUsers, trainCentralized } from './federated/centralized.js';
export type {
  CentralizedCandidate,
  CentralizedOptions,
  CentralizedResult,
} from './federated/centralized.js';
export {
  linearCatalogGradient,
  projectLinear,
  trainingEvents,
} from './federated/linear-gradient.js';
export type { EventTable } from './federated/linear-gradient.js';
export { DEFAULT_SIM_COUNTS, defaultMasking, runExperiment } from './federated/experiment.js';
export type {
  CurvePoint,
  ExperimentCounts,
  ExperimentOptions,
  ExperimentResult,
  FederatedSummary,
  RunCounts,
} from './federated/experiment.js';
export { CountsTally } from './federated/counts-tally.js';
export type { AdTotals, CountsError } from './federated/counts-tally.js';
export {
  PRIOR_SMOOTHING,
  PRIOR_WEIGHTS,
  choosePriorWeight,
  evaluateWithPrior,
} from './federated/popularity-prior.js';
export type { PriorSelection } from './federated/popularity-prior.js';
export { privacyFor, releaseRho } from './federated/privacy.js';
export type { PrivacyMode, PrivacyQuery, PrivacySummary } from './federated/privacy.js';
export {
  REPORT_FORMAT,
  buildReport,
  renderMarkdown,
  renderPlots,
  summaryLine,
  writeReport,
} from './report/report.js';
export type { SimReport } from './report/report.js';
export { renderLineChart } from './report/svg-plot.js';
export type { LineChart, PlotSeries } from './report/svg-plot.js';
export { createProgressBar } from '@privads/server';
export type { ProgressSink } from '@privads/server';
export { createClusteredEmbeddings } from './synthetic/clustered-embeddings.js';
export type {
  ClusteredEmbeddingOptions,
  ClusteredEmbeddings,
} from './synthetic/clustered-embeddings.js';
