import { EncoderFileError } from './errors.js';

/** The `format` tag of an encoder spec file. */
export const ENCODER_SPEC_FORMAT = 'privads-encoder';

/** How token-level model output becomes one vector per text. `none`: the model already outputs `[batch, dim]`. */
export type PoolingKind = 'none' | 'mean' | 'cls';

/** Normalisation applied after pooling. `l2` makes every vector unit length. */
export type NormalizeKind = 'l2' | 'none';

/** Per-kind weights of the `hashed-ngrams` features (each kind's sub-vector is scaled to this L2 norm). */
export interface HashedNgramsWeights {
  /** Lower-cased word unigrams. */
  readonly word: number;
  /** Adjacent word pairs. */
  readonly bigram: number;
  /** Character trigrams inside each word (with word-boundary markers). */
  readonly trigram: number;
}

/** Tokenizer of the default encoder: hashed word unigrams, bigrams and character trigrams. */
export interface HashedNgramsTokenizerSpec {
  readonly kind: 'hashed-ngrams';
  /** Number of hash buckets; must equal the row count of the model's embedding table. */
  readonly buckets: number;
  /** Hash seed (32-bit unsigned). @defaultValue 0 */
  readonly seed?: number;
  /** Feature weights. @defaultValue `{ word: 1, bigram: 0.5, trigram: 0.5 }` */
  readonly weights?: Partial<HashedNgramsWeights>;
  /** Texts are truncated to this many Unicode code points. @defaultValue 8192 */
  readonly maxChars?: number;
}

/** A BERT-style WordPiece tokenizer loaded from a Hugging Face `tokenizer.json`. */
export interface WordpieceTokenizerSpec {
  readonly kind: 'wordpiece';
  /** Path of `tokenizer.json`, relative to the spec file. */
  readonly file: string;
  /** Optional `tokenizer_config.json`, relative to the spec file. */
  readonly configFile?: string;
  /** Sequences are cut to this many tokens, keeping the final special token. @defaultValue 256 */
  readonly maxTokens?: number;
  /** Texts are truncated to this many Unicode code points before tokenizing. @defaultValue 8192 */
  readonly maxChars?: number;
}

/** The tokenizer part of a spec. */
export type TokenizerSpec = HashedNgramsTokenizerSpec | WordpieceTokenizerSpec;

/** Model inputs fed by a `hashed-ngrams` tokenizer (role → graph input name). */
export interface HashedNgramsInputs {
  /** int64 `[batch, features]` bucket ids. @defaultValue `'ids'` */
  readonly ids: string;
  /** float32 `[batch, features]` feature weights (0 for padding). @defaultValue `'weights'` */
  readonly weights: string;
}

/** Model inputs fed by a `wordpiece` tokenizer (role → graph input name). */
export interface WordpieceInputs {
  /** int64 `[batch, sequence]`. @defaultValue `'input_ids'` */
  readonly inputIds: string;
  /** int64 `[batch, sequence]`, 1 for tokens and 0 for padding. @defaultValue `'attention_mask'` */
  readonly attentionMask: string;
  /** int64 `[batch, sequence]` of zeros; fed only when the model has this input. @defaultValue `'token_type_ids'` */
  readonly tokenTypeIds: string;
}

/** The model part of a spec. */
export interface ModelFileSpec {
  /** Path of the ONNX file, relative to the spec file. */
  readonly file: string;
  /** Graph input names by role; missing roles take the defaults of the tokenizer kind. */
  readonly inputs?: Partial<HashedNgramsInputs> | Partial<WordpieceInputs>;
  /**
   * Graph output to read. @defaultValue `'embedding'` when pooling is `none`,
   * `'last_hidden_state'` otherwise
   */
  readonly output?: string;
}

/** An encoder spec file (`encoder.json`), as written by hand or by a generator script. */
export interface EncoderSpec {
  readonly format: typeof ENCODER_SPEC_FORMAT;
  readonly version: 1;
  /** Encoder id: names the vector space (catalog bundles record it; caches key on it). */
  readonly id: string;
  /** Output dimension. */
  readonly dim: number;
  readonly model: ModelFileSpec;
  readonly tokenizer: TokenizerSpec;
  readonly pooling: PoolingKind;
  readonly normalize: NormalizeKind;
}

/** A validated spec with every default filled in. */
export interface ResolvedEncoderSpec {
  readonly id: string;
  readonly dim: number;
  readonly modelFile: string;
  readonly output: string;
  readonly pooling: PoolingKind;
  readonly normalize: NormalizeKind;
  readonly tokenizer: ResolvedHashedNgrams | ResolvedWordpiece;
}

/** Resolved `hashed-ngrams` tokenizer settings. */
export interface ResolvedHashedNgrams {
  readonly kind: 'hashed-ngrams';
  readonly buckets: number;
  readonly seed: number;
  readonly weights: HashedNgramsWeights;
  readonly maxChars: number;
  readonly inputs: HashedNgramsInputs;
}

/** Resolved `wordpiece` tokenizer settings. */
export interface ResolvedWordpiece {
  readonly kind: 'wordpiece';
  readonly file: string;
  readonly configFile: string | undefined;
  readonly maxTokens: number;
  readonly maxChars: number;
  readonly inputs: WordpieceInputs;
}

/** Default truncation limit in Unicode code points (≈ 1,300 English words). */
export const DEFAULT_MAX_CHARS = 8192;
/** Default WordPiece sequence limit (all-MiniLM-L6-v2 was trained with 256). */
export const DEFAULT_MAX_TOKENS = 256;
/** Default `hashed-ngrams` feature weights. */
export const DEFAULT_HASHED_NGRAMS_WEIGHTS: HashedNgramsWeights = Object.freeze({
  word: 1,
  bigram: 0.5,
  trigram: 0.5,
});

type Json = Record<string, unknown>;

class SpecReader {
  constructor(private readonly file: string) {}

  fail(problem: string, expected: string): never {
    throw new EncoderFileError('ENCODER_MODEL_INVALID', this.file, problem, expected);
  }

  object(value: unknown, path: string, allowed: readonly string[]): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(`${path} is ${describe(value)}`, `${path} to be a JSON object`);
    }
    const extra = Object.keys(value).filter((k) => !allowed.includes(k));
    if (extra.length > 0) {
      this.fail(
        `${path} has unknown key(s) ${extra.map((k) => `"${k}"`).join(', ')}`,
        `only ${allowed.join(', ')}`,
      );
    }
    return value as Json;
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string' || value === '')
      this.fail(`${path} is ${describe(value)}`, `${path} to be a non-empty string`);
    return value;
  }

  int(value: unknown, path: string, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(`${path} is ${describe(value)}`, `${path} to be an integer in [${min}, ${max}]`);
    }
    return value;
  }

  weight(value: unknown, path: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      this.fail(`${path} is ${describe(value)}`, `${path} to be a finite number ≥ 0`);
    }
    return value;
  }

  oneOf<T extends string>(value: unknown, path: string, options: readonly T[]): T {
    if (!options.includes(value as T))
      this.fail(
        `${path} is ${describe(value)}`,
        `${path} to be one of ${options.map((o) => `"${o}"`).join(', ')}`,
      );
    return value as T;
  }

  names<K extends string>(
    value: unknown,
    path: string,
    defaults: Record<K, string>,
  ): Record<K, string> {
    if (value === undefined) return { ...defaults };
    const obj = this.object(value, path, Object.keys(defaults));
    const out = { ...defaults };
    for (const key of Object.keys(defaults) as K[]) {
      if (obj[key] !== undefined) out[key] = this.string(obj[key], `${path}.${key}`);
    }
    return out;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,127}$/;

/**
 * Validates an encoder spec and fills in its defaults.
 * @param json - the parsed `encoder.json`
 * @param file - where it came from (named in errors)
 * @returns the resolved spec
 * @throws {@link EncoderFileError} `ENCODER_MODEL_INVALID` naming `file`, the field and what was expected
 */
export function parseEncoderSpec(json: unknown, file: string): ResolvedEncoderSpec {
  const r = new SpecReader(file);
  const top = r.object(json, 'spec', [
    'format',
    'version',
    'id',
    'dim',
    'model',
    'tokenizer',
    'pooling',
    'normalize',
  ]);
  if (top.format !== ENCODER_SPEC_FORMAT)
    r.fail(`format is ${describe(top.format)}`, `"${ENCODER_SPEC_FORMAT}"`);
  if (top.version !== 1) r.fail(`version is ${describe(top.version)}`, 'version 1');
  const id = r.string(top.id, 'id');
  if (!ID_PATTERN.test(id)) r.fail(`id is ${describe(id)}`, `an id matching ${ID_PATTERN}`);
  const dim = r.int(top.dim, 'dim', 1, 65536);
  const pooling = r.oneOf(top.pooling, 'pooling', ['none', 'mean', 'cls'] as const);
  const normalize = r.oneOf(top.normalize, 'normalize', ['l2', 'none'] as const);
  const model = r.object(top.model, 'model', ['file', 'inputs', 'output']);
  const modelFile = r.string(model.file, 'model.file');
  const output =
    model.output === undefined
      ? pooling === 'none'
        ? 'embedding'
        : 'last_hidden_state'
      : r.string(model.output, 'model.output');
  const tok = r.object(top.tokenizer, 'tokenizer', [
    'kind',
    'buckets',
    'seed',
    'weights',
    'maxChars',
    'file',
    'configFile',
    'maxTokens',
  ]);
  const kind = r.oneOf(tok.kind, 'tokenizer.kind', ['hashed-ngrams', 'wordpiece'] as const);
  const maxChars =
    tok.maxChars === undefined
      ? DEFAULT_MAX_CHARS
      : r.int(tok.maxChars, 'tokenizer.maxChars', 1, 1_000_000);
  const onlyFor = (keys: readonly string[], k: string) => {
    const stray = keys.filter((key) => tok[key] !== undefined);
    if (stray.length > 0)
      r.fail(`tokenizer has ${stray.join(', ')}`, `no ${stray.join(', ')} for a ${k} tokenizer`);
  };

  let tokenizer: ResolvedEncoderSpec['tokenizer'];
  if (kind === 'hashed-ngrams') {
    onlyFor(['file', 'configFile', 'maxTokens'], kind);
    if (pooling !== 'none')
      r.fail(
        `pooling is "${pooling}"`,
        'pooling "none" for a hashed-ngrams model (its graph pools)',
      );
    const w =
      tok.weights === undefined
        ? {}
        : r.object(tok.weights, 'tokenizer.weights', ['word', 'bigram', 'trigram']);
    const weights: HashedNgramsWeights = {
      word:
        w.word === undefined
          ? DEFAULT_HASHED_NGRAMS_WEIGHTS.word
          : r.weight(w.word, 'tokenizer.weights.word'),
      bigram:
        w.bigram === undefined
          ? DEFAULT_HASHED_NGRAMS_WEIGHTS.bigram
          : r.weight(w.bigram, 'tokenizer.weights.bigram'),
      trigram:
        w.trigram === undefined
          ? DEFAULT_HASHED_NGRAMS_WEIGHTS.trigram
          : r.weight(w.trigram, 'tokenizer.weights.trigram'),
    };
    if (weights.word + weights.bigram + weights.trigram === 0)
      r.fail('tokenizer.weights are all 0', 'at least one weight > 0');
    tokenizer = {
      kind,
      buckets: r.int(tok.buckets, 'tokenizer.buckets', 2, 1 << 24),
      seed: tok.seed === undefined ? 0 : r.int(tok.seed, 'tokenizer.seed', 0, 0xffffffff),
      weights,
      maxChars,
      inputs: r.names(model.inputs, 'model.inputs', { ids: 'ids', weights: 'weights' }),
    };
  } else {
    onlyFor(['buckets', 'seed', 'weights'], kind);
    tokenizer = {
      kind,
      file: r.string(tok.file, 'tokenizer.file'),
      configFile:
        tok.configFile === undefined ? undefined : r.string(tok.configFile, 'tokenizer.configFile'),
      maxTokens:
        tok.maxTokens === undefined
          ? DEFAULT_MAX_TOKENS
          : r.int(tok.maxTokens, 'tokenizer.maxTokens', 2, 8192),
      maxChars,
      inputs: r.names(model.inputs, 'model.inputs', {
        inputIds: 'input_ids',
        attentionMask: 'attention_mask',
        tokenTypeIds: 'token_type_ids',
      }),
    };
  }
  return { id, dim, modelFile, output, pooling, normalize, tokenizer };
}
