/**
 * A frozen text encoder: texts in, one L2-normalised vector per text out. Every PrivAds component
 * that needs content vectors (catalog building on the server, page context in the browser) codes
 * against this interface.
 */
export interface ContentEncoder {
  /** Names the vector space; two encoders with the same id must produce the same vectors. */
  readonly id: string;
  /** Vector dimension. */
  readonly dim: number;
  /**
   * Encodes a batch.
   * @param texts - the texts (see the encoder's truncation limit)
   * @returns `texts.length × dim` floats, row `i` the vector of `texts[i]`
   * @throws {@link EncoderInputError} for a rejected text (its index is in the error)
   * @throws `EncoderError` `ENCODER_INFERENCE_FAILED` when the runtime fails
   */
  encode(texts: readonly string[]): Promise<Float32Array>;
  /** Releases the model; `encode` fails afterwards. Idempotent. */
  dispose(): Promise<void>;
}

/** Result of {@link DetailedContentEncoder.encodeDetailed}. */
export interface DetailedEncoding {
  /** `count × dim` vectors. */
  readonly vectors: Float32Array;
  /** Indexes of the texts that were truncated to the encoder's limit. */
  readonly truncated: readonly number[];
}

/** A {@link ContentEncoder} that can also report truncation (what the ONNX runners return). */
export interface DetailedContentEncoder extends ContentEncoder {
  /** Texts are cut to this many Unicode code points before tokenizing. */
  readonly maxChars: number;
  /** Tokenizer kind of the spec. */
  readonly tokenizerKind: 'hashed-ngrams' | 'wordpiece';
  /**
   * Like {@link ContentEncoder.encode}, also reporting which texts were truncated.
   * @param texts - the texts
   * @returns vectors and truncated indexes
   */
  encodeDetailed(texts: readonly string[]): Promise<DetailedEncoding>;
}
