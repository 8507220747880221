/**
 * Strict JSON for wire headers: UTF-8 must be valid, duplicate keys are rejected (two parsers could
 * otherwise read different values from one document), nesting is bounded, and typed field readers
 * turn every schema violation into a {@link ProtocolError} that names the offending path.
 */
import { ProtocolError } from './errors.js';
import { utf8Decode } from './runtime.js';

const MAX_DEPTH = 64;

/**
 * Parses JSON text, rejecting duplicate object keys and nesting deeper than 64.
 * @param text - JSON text (surrounding whitespace allowed)
 * @param what - name of the document for error messages
 * @returns the parsed value
 * @throws ProtocolError `BAD_HEADER` on any syntax error or duplicate key
 */
export function parseJsonStrict(text: string, what: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ProtocolError('BAD_HEADER', `${what} is not valid JSON`, { cause });
  }
  // JSON.parse keeps the last of duplicate keys silently; a scan of the text catches them.
  checkDuplicateKeys(text, what);
  return value;
}

/**
 * Decodes UTF-8 bytes and parses them with {@link parseJsonStrict}.
 * @param bytes - UTF-8 JSON
 * @param what - name of the document for error messages
 * @returns the parsed value
 * @throws ProtocolError `BAD_HEADER` on malformed UTF-8 or JSON
 */
export function parseJsonBytes(bytes: Uint8Array, what: string): unknown {
  let text: string;
  try {
    text = utf8Decode(bytes);
  } catch (cause) {
    throw new ProtocolError('BAD_HEADER', `${what} is not valid UTF-8`, { cause });
  }
  return parseJsonStrict(text, what);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

// Walks already-validated JSON, tracking the key set of each open object. Only strings and
// brackets matter; everything else is skipped, so this is a single linear pass.
function checkDuplicateKeys(text: string, what: string): void {
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      for (i++; text.charCodeAt(i) !== QUOTE; i++) if (text.charCodeAt(i) === BACKSLASH) i++;
      const keys = stack[stack.length - 1];
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        if (keys.has(key)) {
          throw new ProtocolError('BAD_HEADER', `${what} has duplicate key ${JSON.stringify(key)}`);
        }
        keys.add(key);
        expectKey = false;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      stack.push(c === 0x7b ? new Set() : null);
      if (stack.length > MAX_DEPTH) {
        throw new ProtocolError('BAD_HEADER', `${what} nests deeper than ${MAX_DEPTH}`);
      }
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      expectKey = stack[stack.length - 1] instanceof Set;
    }
  }
}

/** Bounds of a numeric field; violations are `OUT_OF_RANGE`. */
export interface NumberBounds {
  /** Inclusive minimum. */
  min?: number;
  /** Exclusive minimum. */
  above?: number;
  /** Inclusive maximum. */
  max?: number;
  /** Exclusive maximum. */
  below?: number;
}

/**
 * Describes a JSON value for error messages, without echoing large strings.
 * @param value - any value
 * @returns a short description (strings quoted and cut at 40 characters)
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : String(value);
}

/**
 * Reads the fields of one JSON object against a closed schema: every read names the field, and
 * {@link FieldReader.done} rejects any field that was not read.
 */
export class FieldReader {
  private readonly seen = new Set<string>();
  private readonly obj: Readonly<Record<string, unknown>>;

  /**
   * @param value - the value that must be a plain JSON object
   * @param path - its path for error messages, e.g. `round config.privacy`
   * @throws ProtocolError `BAD_HEADER` when `value` is not an object
   */
  constructor(
    value: unknown,
    readonly path: string,
  ) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ProtocolError(
        'BAD_HEADER',
        `${path} must be an object, got ${describeValue(value)}`,
      );
    }
    this.obj = value as Record<string, unknown>;
  }

  /**
   * Whether the field is present; marks it as known either way.
   * @param key - field name
   * @returns true when it is an own property
   */
  has(key: string): boolean {
    this.seen.add(key);
    return Object.prototype.hasOwnProperty.call(this.obj, key);
  }

  /**
   * The raw field value; marks it as known.
   * @param key - field name
   * @returns the value, `undefined` when absent
   */
  raw(key: string): unknown {
    return this.has(key) ? this.obj[key] : undefined;
  }

  /**
   * Reports a field of the wrong type or shape.
   * @param key - field name
   * @param expected - what it must be, e.g. `a string`
   * @param value - what it is
   * @throws ProtocolError `BAD_HEADER`, always
   */
  fail(key: string, expected: string, value: unknown): never {
    throw new ProtocolError(
      'BAD_HEADER',
      `${this.path}.${key} must be ${expected}, got ${value === undefined ? 'nothing' : describeValue(value)}`,
    );
  }

  /**
   * A required string field.
   * @param key - field name
   * @param options - `maxLength`, `pattern`, `nonEmpty`
   * @returns the string
   * @throws ProtocolError `BAD_HEADER` when missing, not a string, or violating `options`
   */
  string(
    key: string,
    options: { maxLength?: number; pattern?: RegExp; nonEmpty?: boolean } = {},
  ): string {
    const value = this.raw(key);
    if (typeof value !== 'string') this.fail(key, 'a string', value);
    if (options.nonEmpty && value.length === 0) this.fail(key, 'a non-empty string', value);
    if (options.maxLength !== undefined && value.length > options.maxLength) {
      this.fail(key, `a string of at most ${options.maxLength} characters`, value);
    }
    if (options.pattern && !options.pattern.test(value))
      this.fail(key, `a string matching ${String(options.pattern)}`, value);
    return value;
  }

  /**
   * A required field whose value is one of `values`.
   * @param key - field name
   * @param values - the allowed strings
   * @returns the value
   * @throws ProtocolError `BAD_HEADER` otherwise
   */
  literal<T extends string>(key: string, values: readonly T[]): T {
    const value = this.raw(key);
    if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
      this.fail(key, `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`, value);
    }
    return value as T;
  }

  /**
   * A required finite number.
   * @param key - field name
   * @param bounds - allowed range
   * @returns the number
   * @throws ProtocolError `BAD_HEADER` when missing or not a number, `OUT_OF_RANGE` outside `bounds`
   */
  number(key: string, bounds: NumberBounds = {}): number {
    const value = this.raw(key);
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(key, 'a number', value);
    checkBounds(`${this.path}.${key}`, value, bounds);
    return value;
  }

  /**
   * A required safe integer.
   * @param key - field name
   * @param bounds - allowed range
   * @returns the integer
   * @throws ProtocolError `BAD_HEADER` when missing or not an integer, `OUT_OF_RANGE` outside `bounds`
   */
  integer(key: string, bounds: NumberBounds = {}): number {
    const value = this.raw(key);
    if (typeof value !== 'number' || !Number.isSafeInteger(value))
      this.fail(key, 'an integer', value);
    checkBounds(`${this.path}.${key}`, value, bounds);
    return value;
  }

  /**
   * An optional field.
   * @param key - field name
   * @param read - reads the field when present (e.g. `(k) => r.integer(k)`)
   * @returns what `read` returns, or `undefined` when absent
   */
  optional<T>(key: string, read: (key: string) => T): T | undefined {
    return this.has(key) ? read(key) : undefined;
  }

  /**
   * A required nested object.
   * @param key - field name
   * @param read - reads it through a child reader (and calls its `done()`)
   * @returns what `read` returns
   * @throws ProtocolError `BAD_HEADER` when the field is not an object
   */
  object<T>(key: string, read: (reader: FieldReader) => T): T {
    return read(new FieldReader(this.raw(key), `${this.path}.${key}`));
  }

  /**
   * A required array.
   * @param key - field name
   * @param read - reads one element, given its path for messages
   * @param maxItems - longest allowed array
   * @defaultValue maxItems = Infinity
   * @returns the elements as `read` returns them
   * @throws ProtocolError `BAD_HEADER` when not an array or too long
   */
  array<T>(key: string, read: (item: unknown, path: string) => T, maxItems = Infinity): T[] {
    const value = this.raw(key);
    if (!Array.isArray(value)) this.fail(key, 'an array', value);
    if (value.length > maxItems) this.fail(key, `an array of at most ${maxItems} items`, value);
    return value.map((item, i) => read(item, `${this.path}.${key}[${i}]`));
  }

  /**
   * Rejects fields that were never read.
   * @throws ProtocolError `BAD_HEADER` naming the first unknown field
   */
  done(): void {
    for (const key of Object.keys(this.obj)) {
      if (!this.seen.has(key)) {
        throw new ProtocolError(
          'BAD_HEADER',
          `${this.path} has unknown field ${JSON.stringify(key)}`,
        );
      }
    }
  }
}

/**
 * Checks a number against bounds.
 * @param name - field path for the message
 * @param value - the number
 * @param bounds - the bounds
 * @throws ProtocolError `OUT_OF_RANGE`
 */
export function checkBounds(name: string, value: number, bounds: NumberBounds): void {
  const { min, above, max, below } = bounds;
  const ok =
    (min === undefined || value >= min) &&
    (above === undefined || value > above) &&
    (max === undefined || value <= max) &&
    (below === undefined || value < below);
  if (!ok) {
    const parts = [
      min !== undefined ? `>= ${min}` : '',
      above !== undefined ? `> ${above}` : '',
      max !== undefined ? `<= ${max}` : '',
      below !== undefined ? `< ${below}` : '',
    ].filter((p) => p !== '');
    throw new ProtocolError('OUT_OF_RANGE', `${name} must be ${parts.join(' and ')}, got ${value}`);
  }
}
