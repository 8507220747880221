import type { EncoderSpec } from './spec.js';

/** Id of the project's default encoder (its vectors live in this space; bump it when the model changes). */
export const DEFAULT_ENCODER_ID = 'privads-hashed-ngrams-384-v1';

/**
 * Spec of the project's generated default encoder (`models/default/encoder.json`, built by
 * `scripts/generate-default-model.mjs`): a lexical encoder — seeded random embedding bag over hashed
 * word unigrams, bigrams and character trigrams, projected to 384 dimensions and L2-normalised.
 */
export const defaultEncoderSpec: EncoderSpec = Object.freeze({
  format: 'privads-encoder',
  version: 1,
  id: DEFAULT_ENCODER_ID,
  dim: 384,
  model: Object.freeze({
    file: 'model.onnx',
    inputs: Object.freeze({ ids: 'ids', weights: 'weights' }),
    output: 'embedding',
  }),
  tokenizer: Object.freeze({ kind: 'hashed-ngrams', buckets: 16384 }),
  pooling: 'none',
  normalize: 'l2',
} as const);
