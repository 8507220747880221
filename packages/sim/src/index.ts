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
export type {
  DatasetClick,
  DatasetImpression,
  DatasetItem,
  DatasetProblem,
  InteractionDataset,
  LoadOptions,
  LoadResult,
} from './datasets/dataset.js';
