import { EncoderError, type PrivAdsErrorOptions } from '@privads/protocol';

/** Codes of an {@link EncoderFileError}: the file is absent, or present but not what the spec needs. */
export type EncoderFileErrorCode = 'ENCODER_MODEL_MISSING' | 'ENCODER_MODEL_INVALID';

/**
 * A file of an encoder (spec, ONNX model, tokenizer.json) is missing, unreadable, corrupt or does
 * not match the spec (input/output names, element types, dimensions). The message names the file
 * and what was expected; both are also fields, for tooling.
 */
export class EncoderFileError extends EncoderError {
  declare readonly code: EncoderFileErrorCode;
  /** The path or URL of the offending file, as the caller gave it or as the spec resolved it. */
  readonly file: string;
  /** What the encoder expected to find, in words (e.g. `` `output "embedding" of shape [batch, 384]` ``). */
  readonly expected: string;

  /**
   * @param code - `ENCODER_MODEL_MISSING` (cannot be read) or `ENCODER_MODEL_INVALID` (read, but wrong)
   * @param file - path or URL of the file
   * @param problem - what was found, e.g. `'has no input "ids"'`
   * @param expected - what was expected instead
   * @param options - `cause`: the underlying I/O or runtime error
   */
  constructor(
    code: EncoderFileErrorCode,
    file: string,
    problem: string,
    expected: string,
    options?: PrivAdsErrorOptions,
  ) {
    super(code, `${file}: ${problem}; expected ${expected}`, options);
    this.name = 'EncoderFileError';
    this.file = file;
    this.expected = expected;
  }
}

/** Why a text (or a JSONL line) was rejected. */
export type EncoderInputProblem =
  /** Empty, whitespace only, or nothing the tokenizer can encode (e.g. punctuation only). */
  | 'empty'
  /** Not a string. */
  | 'not-string'
  /** A JavaScript string with a lone UTF-16 surrogate (cannot be encoded as UTF-8). */
  | 'malformed-unicode'
  /** Bytes that are not valid UTF-8. */
  | 'invalid-utf8'
  /** A JSONL line that is not a JSON object. */
  | 'invalid-json'
  /** A JSONL record without the text field(s) to encode. */
  | 'missing-field';

/** A text passed to an encoder was rejected. Code `ENCODER_INPUT_INVALID`. */
export class EncoderInputError extends EncoderError {
  declare readonly code: 'ENCODER_INPUT_INVALID';
  /** Machine-readable reason. */
  readonly problem: EncoderInputProblem;
  /**
   * Where: the index in the batch given to `encode`, or the 1-based line number of a JSONL input
   * (see {@link EncoderInputError.location}).
   */
  readonly position: number;
  /** `'index'` for a batch of texts, `'line'` for JSONL input. */
  readonly location: 'index' | 'line';
  /** The explanation without the location prefix (lets a caller re-locate the error). */
  readonly detail: string;

  /**
   * @param problem - machine-readable reason
   * @param location - whether `position` is a batch index or a JSONL line number
   * @param position - the batch index or line number
   * @param detail - human-readable explanation, with the source name where there is one
   * @param options - `cause`: the underlying error (e.g. a `SyntaxError` from JSON)
   */
  constructor(
    problem: EncoderInputProblem,
    location: 'index' | 'line',
    position: number,
    detail: string,
    options?: PrivAdsErrorOptions,
  ) {
    super('ENCODER_INPUT_INVALID', `${location} ${position}: ${detail}`, options);
    this.name = 'EncoderInputError';
    this.problem = problem;
    this.location = location;
    this.position = position;
    this.detail = detail;
  }

  /**
   * The same rejection at another position (a batch index mapped to a JSONL line, or to the index
   * in a caller's larger array).
   * @param location - new location kind
   * @param position - new position
   * @returns a new error with this one as `cause`
   */
  relocate(location: 'index' | 'line', position: number): EncoderInputError {
    return new EncoderInputError(this.problem, location, position, this.detail, { cause: this });
  }
}

/**
 * Message of an unknown thrown value, for wrapping runtime errors (onnxruntime throws plain
 * `Error`s, and sometimes strings).
 * @param error - anything caught
 * @returns its message
 */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
