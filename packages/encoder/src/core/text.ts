import { EncoderInputError } from './errors.js';

/** A text accepted by an encoder, possibly shortened. */
export interface PreparedText {
  /** The text, cut to the limit. */
  readonly text: string;
  /** Whether it was cut. */
  readonly truncated: boolean;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Checks one input text and truncates it to `maxChars` Unicode code points (never splitting a
 * surrogate pair). Rejection reasons are typed so a catalog import can report the exact record.
 * @param value - the caller's value
 * @param index - its position in the batch (named in errors)
 * @param maxChars - truncation limit in code points
 * @returns the text to tokenize
 * @throws {@link EncoderInputError} `not-string`, `malformed-unicode` (lone surrogate) or `empty` (blank)
 */
export function prepareText(value: unknown, index: number, maxChars: number): PreparedText {
  return truncateCodePoints(checkText(value, index), maxChars);
}

/**
 * The checks of {@link prepareText} without truncation (also used before hashing texts for a cache).
 * @param value - the caller's value
 * @param index - its position in the batch (named in errors)
 * @returns the value, typed as a string
 * @throws {@link EncoderInputError} `not-string`, `malformed-unicode` or `empty`
 */
export function checkText(value: unknown, index: number): string {
  if (typeof value !== 'string') {
    throw new EncoderInputError(
      'not-string',
      'index',
      index,
      `expected a string, got ${typeName(value)}`,
    );
  }
  const surrogate = LONE_SURROGATE.exec(value);
  if (surrogate) {
    throw new EncoderInputError(
      'malformed-unicode',
      'index',
      index,
      `lone UTF-16 surrogate U+${surrogate[0].charCodeAt(0).toString(16).toUpperCase()} at offset ${surrogate.index}; expected well-formed Unicode`,
    );
  }
  if (value.trim() === '') {
    throw new EncoderInputError('empty', 'index', index, 'text is empty or whitespace only');
  }
  return value;
}

/**
 * Cuts a string to at most `maxChars` code points.
 * @param text - well-formed string
 * @param maxChars - limit in code points
 * @returns the (possibly) shortened text and whether it was cut
 */
export function truncateCodePoints(text: string, maxChars: number): PreparedText {
  // Fast path: a string of at most maxChars UTF-16 units has at most maxChars code points.
  if (text.length <= maxChars) return { text, truncated: false };
  let units = 0;
  let points = 0;
  while (units < text.length && points < maxChars) {
    const code = text.charCodeAt(units);
    units += code >= 0xd800 && code <= 0xdbff ? 2 : 1;
    points++;
  }
  return units >= text.length
    ? { text, truncated: false }
    : { text: text.slice(0, units), truncated: true };
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

const fatalDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Decodes UTF-8 strictly: invalid bytes are an error, never silently replaced by U+FFFD (a
 * replaced byte would change the text's vector without anyone noticing).
 * @param bytes - UTF-8 bytes
 * @param line - 1-based line number named in the error
 * @param source - name of the input (file name or `'stdin'`), named in the error
 * @returns the decoded string (a leading byte-order mark is dropped)
 * @throws {@link EncoderInputError} `invalid-utf8` with the line and the first bad byte offset
 */
export function decodeUtf8Strict(bytes: Uint8Array, line: number, source: string): string {
  try {
    return fatalDecoder.decode(bytes);
  } catch (cause) {
    const offset = firstInvalidUtf8Offset(bytes);
    throw new EncoderInputError(
      'invalid-utf8',
      'line',
      line,
      `${source}: invalid UTF-8 at byte ${offset} of the line (0x${(bytes[offset] ?? 0).toString(16).padStart(2, '0')}); expected UTF-8 text`,
      { cause },
    );
  }
}

/**
 * Offset of the first byte that starts an invalid UTF-8 sequence (for error messages).
 * @param bytes - the bytes that failed to decode
 * @returns a byte offset (bytes.length when none is found)
 */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    const [len, min] =
      b < 0x80
        ? [1, 0]
        : b >= 0xc2 && b < 0xe0
          ? [2, 0x80]
          : b >= 0xe0 && b < 0xf0
            ? [3, 0x800]
            : b >= 0xf0 && b < 0xf5
              ? [4, 0x10000]
              : [0, 0];
    if (len === 0 || i + len > bytes.length) return i;
    let cp = len === 1 ? b : b & (0xff >> (len + 1));
    for (let k = 1; k < len; k++) {
      const c = bytes[i + k] ?? 0;
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += len;
  }
  return bytes.length;
}
