/**
 * `@privads/encoder` — the isomorphic core of the content encoder: spec files, tokenizers, the
 * shared ONNX encoder code path, batching, JSONL streaming, caching and progress. The runners are
 * `@privads/encoder/node` (onnxruntime-node) and `@privads/encoder/web` (onnxruntime-web).
 */
export type {
  ContentEncoder,
  DetailedContentEncoder,
  DetailedEncoding,
} from './core/content-encoder.js';
export {
  DEFAULT_HASHED_NGRAMS_WEIGHTS,
  DEFAULT_MAX_CHARS,
  DEFAULT_MAX_TOKENS,
  ENCODER_SPEC_FORMAT,
  parseEncoderSpec,
  type EncoderSpec,
  type HashedNgramsInputs,
  type HashedNgramsTokenizerSpec,
  type HashedNgramsWeights,
  type ModelFileSpec,
  type NormalizeKind,
  type PoolingKind,
  type ResolvedEncoderSpec,
  type ResolvedHashedNgrams,
  type ResolvedWordpiece,
  type TokenizerSpec,
  type WordpieceInputs,
  type WordpieceTokenizerSpec,
} from './core/spec.js';
export { DEFAULT_ENCODER_ID, defaultEncoderSpec } from './core/default-spec.js';
export {
  EncoderFileError,
  EncoderInputError,
  type EncoderFileErrorCode,
  type EncoderInputProblem,
} from './core/errors.js';
export {
  hashString,
  hashedNgramFeatures,
  hashedNgramTokens,
  type HashedFeatures,
  type HashedNgramsOptions,
} from './core/hashed-ngrams.js';
export {
  createHashedNgramsTokenizer,
  type FeedTensor,
  type TextTokenizer,
  type TokenizedBatch,
  type TokenizerInput,
} from './core/tokenizer.js';
export { createWordpieceTokenizer, type WordpieceFiles } from './core/wordpiece.js';
export {
  checkText,
  decodeUtf8Strict,
  firstInvalidUtf8Offset,
  prepareText,
  truncateCodePoints,
  type PreparedText,
} from './core/text.js';
export {
  checkModelContract,
  createOnnxContentEncoder,
  type OnnxContentEncoderParts,
} from './core/onnx-encoder.js';
export {
  loadOnnxEncoder,
  parseJsonFile,
  type EncoderFileReader,
  type LoadedFile,
  type OnnxRuntimeParts,
} from './core/load.js';
export { encodeInBatches, type BatchEncodeOptions } from './core/batch.js';
export {
  encodeJsonlStream,
  readJsonl,
  type ByteSource,
  type EncodedRecord,
  type JsonlEncodeOptions,
  type JsonlRecord,
} from './core/jsonl.js';
export {
  MemoryEncodingCache,
  encodingCacheKey,
  withEncodingCache,
  type EncodingCache,
  type EncodingCacheStats,
} from './core/cache.js';
export {
  createProgressBar,
  formatProgress,
  type EncodeProgress,
  type ProgressBar,
  type ProgressBarOptions,
  type ProgressCallback,
} from './core/progress.js';
