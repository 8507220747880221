import { EncoderFileError, EncoderInputError, messageOf } from './errors.js';
import type { FeedTensor, TextTokenizer } from './tokenizer.js';
import type { ResolvedWordpiece } from './spec.js';

/** The tokenizer files of a `wordpiece` spec, already parsed from JSON. */
export interface WordpieceFiles {
  /** Parsed `tokenizer.json`. */
  readonly tokenizer: unknown;
  /** Where it came from (named in errors). */
  readonly tokenizerSource: string;
  /** Parsed `tokenizer_config.json`, when the spec names one. */
  readonly config?: unknown;
}

/**
 * A WordPiece tokenizer from a Hugging Face `tokenizer.json` (normaliser, pre-tokenizer,
 * vocabulary and post-processor as the file declares them), run by `@huggingface/tokenizers`
 * (pure JavaScript, no network). Sequences longer than `maxTokens` keep their first
 * `maxTokens − 1` tokens and their final one (the `[SEP]` of a BERT template).
 * @param spec - resolved tokenizer settings
 * @param files - parsed tokenizer files
 * @returns the tokenizer
 * @throws {@link EncoderFileError} `ENCODER_MODEL_INVALID` when `tokenizer.json` is not a WordPiece tokenizer
 */
export async function createWordpieceTokenizer(
  spec: ResolvedWordpiece,
  files: WordpieceFiles,
): Promise<TextTokenizer> {
  const json = files.tokenizer as { model?: { type?: unknown; vocab?: unknown } } | null;
  const expected = 'a Hugging Face tokenizer.json with model.type "WordPiece" and a vocab';
  if (
    typeof json !== 'object' ||
    json === null ||
    json.model?.type !== 'WordPiece' ||
    typeof json.model.vocab !== 'object'
  ) {
    const found =
      typeof json?.model?.type === 'string'
        ? `has model.type "${json.model.type}"`
        : 'is not a WordPiece tokenizer.json';
    throw new EncoderFileError('ENCODER_MODEL_INVALID', files.tokenizerSource, found, expected);
  }
  // Loaded on demand so that pages using the default (hashed-ngrams) encoder never download it.
  const { Tokenizer } = await import('@huggingface/tokenizers');
  let tokenizer: InstanceType<typeof Tokenizer>;
  try {
    tokenizer = new Tokenizer(json, (files.config ?? {}) as object);
  } catch (cause) {
    throw new EncoderFileError(
      'ENCODER_MODEL_INVALID',
      files.tokenizerSource,
      `could not be loaded (${messageOf(cause)})`,
      expected,
      { cause },
    );
  }
  const { inputIds, attentionMask, tokenTypeIds } = spec.inputs;
  return {
    kind: 'wordpiece',
    maxChars: spec.maxChars,
    inputs: [
      { role: 'inputIds', name: inputIds, type: 'int64', optional: false },
      { role: 'attentionMask', name: attentionMask, type: 'int64', optional: false },
      { role: 'tokenTypeIds', name: tokenTypeIds, type: 'int64', optional: true },
    ],
    tokenizeBatch(texts, firstIndex) {
      const sequences = texts.map((text, i) => {
        const ids = tokenizer.encode(text).ids;
        if (ids.length === 0)
          throw new EncoderInputError('empty', 'index', firstIndex + i, 'text produced no tokens');
        return ids.length <= spec.maxTokens
          ? ids
          : [...ids.slice(0, spec.maxTokens - 1), ids[ids.length - 1] as number];
      });
      const length = Math.max(...sequences.map((s) => s.length));
      const ids = new BigInt64Array(texts.length * length);
      const maskIds = new BigInt64Array(texts.length * length);
      const mask = new Uint8Array(texts.length * length);
      sequences.forEach((seq, row) => {
        for (let j = 0; j < seq.length; j++) {
          ids[row * length + j] = BigInt(seq[j] as number);
          maskIds[row * length + j] = 1n;
        }
        mask.fill(1, row * length, row * length + seq.length);
      });
      const dims = [texts.length, length] as const;
      return {
        feeds: new Map<string, FeedTensor>([
          [inputIds, { type: 'int64', data: ids, dims }],
          [attentionMask, { type: 'int64', data: maskIds, dims }],
          [tokenTypeIds, { type: 'int64', data: new BigInt64Array(texts.length * length), dims }],
        ]),
        mask,
        sequenceLength: length,
      };
    },
  };
}
