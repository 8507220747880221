import { EncoderInputError } from './errors.js';
import { hashedNgramFeatures } from './hashed-ngrams.js';
import type { ResolvedHashedNgrams } from './spec.js';

/** One input tensor, runtime-independent (the runner turns it into an onnxruntime `Tensor`). */
export interface FeedTensor {
  readonly type: 'int64' | 'float32';
  readonly data: BigInt64Array | Float32Array;
  readonly dims: readonly [number, number];
}

/** A padded batch, ready for the model. */
export interface TokenizedBatch {
  /** Graph input name → tensor. */
  readonly feeds: ReadonlyMap<string, FeedTensor>;
  /** `[batch × sequence]`, 1 for real tokens, 0 for padding (used by mean pooling). */
  readonly mask: Uint8Array;
  /** Padded sequence length. */
  readonly sequenceLength: number;
}

/** Graph input a tokenizer feeds, with the element type it must have. */
export interface TokenizerInput {
  readonly role: string;
  readonly name: string;
  readonly type: 'int64' | 'float32';
  /** Fed only when the model declares it. */
  readonly optional: boolean;
}

/** The tokenizer half of an encoder: texts → padded model inputs. Shared by both runners. */
export interface TextTokenizer {
  readonly kind: 'hashed-ngrams' | 'wordpiece';
  /** Texts are cut to this many code points before tokenizing. */
  readonly maxChars: number;
  /** Graph inputs this tokenizer feeds. */
  readonly inputs: readonly TokenizerInput[];
  /**
   * Tokenizes and pads a batch.
   * @param texts - validated, truncated texts
   * @param firstIndex - batch index of `texts[0]` in the caller's array (named in errors)
   * @throws {@link EncoderInputError} `empty` when a text yields no tokens
   */
  tokenizeBatch(texts: readonly string[], firstIndex: number): TokenizedBatch;
}

/**
 * The `hashed-ngrams` tokenizer: each text becomes its distinct hashed features (ids) and their
 * weights; the batch is padded with id 0 / weight 0, which adds exactly nothing to the model's sum.
 * @param spec - resolved tokenizer settings
 * @returns the tokenizer
 */
export function createHashedNgramsTokenizer(spec: ResolvedHashedNgrams): TextTokenizer {
  return {
    kind: 'hashed-ngrams',
    maxChars: spec.maxChars,
    inputs: [
      { role: 'ids', name: spec.inputs.ids, type: 'int64', optional: false },
      { role: 'weights', name: spec.inputs.weights, type: 'float32', optional: false },
    ],
    tokenizeBatch(texts, firstIndex) {
      const bags = texts.map((text, i) => {
        const bag = hashedNgramFeatures(text, spec);
        if (bag.ids.length === 0) {
          throw new EncoderInputError(
            'empty',
            'index',
            firstIndex + i,
            'text has no letters, digits or symbols to encode',
          );
        }
        return bag;
      });
      const length = Math.max(...bags.map((b) => b.ids.length));
      const ids = new BigInt64Array(texts.length * length);
      const weights = new Float32Array(texts.length * length);
      const mask = new Uint8Array(texts.length * length);
      bags.forEach((bag, row) => {
        for (let j = 0; j < bag.ids.length; j++)
          ids[row * length + j] = BigInt(bag.ids[j] as number);
        weights.set(bag.weights, row * length);
        mask.fill(1, row * length, row * length + bag.ids.length);
      });
      const dims = [texts.length, length] as const;
      return {
        feeds: new Map<string, FeedTensor>([
          [spec.inputs.ids, { type: 'int64', data: ids, dims }],
          [spec.inputs.weights, { type: 'float32', data: weights, dims }],
        ]),
        mask,
        sequenceLength: length,
      };
    },
  };
}
