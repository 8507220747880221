/**
 * Structured logging: one JSON object per line, so log shippers need no parsing rules. The logger
 * is an interface so that tests and embedders can capture or silence it.
 */

/** Severity, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Extra fields of one log line (must be JSON-serialisable). */
export type LogFields = Readonly<Record<string, unknown>>;

/** What the server logs through. */
export interface Logger {
  /**
   * Writes one event.
   * @param level - severity
   * @param event - short stable name, e.g. `round.closed`
   * @param fields - details
   */
  log(level: LogLevel, event: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Options of {@link createJsonLogger}. */
export interface JsonLoggerOptions {
  /**
   * Lowest level written.
   * @defaultValue `'info'`
   */
  level?: LogLevel;
  /**
   * Where lines go.
   * @defaultValue `process.stderr`
   */
  write?: (line: string) => void;
  /** Fields added to every line (e.g. the instance id). */
  base?: LogFields;
}

function errorFields(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const code = (value as { code?: unknown }).code;
  return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
}

/**
 * A logger writing JSON lines `{"time","level","event",...fields}`. `Error` values are reduced to
 * name, message and code (stacks stay out of the log stream; they are not needed to triage).
 * @param options - level, sink and base fields
 * @returns the logger
 */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const min = RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const base = options.base ?? {};
  return {
    log(level, event, fields = {}) {
      if (RANK[level] < min) return;
      const record: Record<string, unknown> = { time: new Date().toISOString(), level, event };
      for (const [key, value] of Object.entries({ ...base, ...fields })) {
        record[key] = errorFields(value);
      }
      write(`${JSON.stringify(record)}\n`);
    },
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = { log: () => undefined };
