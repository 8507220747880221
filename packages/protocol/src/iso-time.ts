/**
 * Strict ISO 8601 / RFC 3339 date-times for wire documents: `YYYY-MM-DDTHH:MM:SS[.fraction]`
 * followed by `Z` or `±HH:MM`. `Date.parse` alone accepts February 30th and local times without
 * an offset, which would make one document mean different instants on different machines.
 */
import { ProtocolError } from './errors.js';

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/;

/** JSON Schema `pattern` equivalent of the accepted syntax (ranges are checked separately). */
export const ISO_DATE_TIME_PATTERN = ISO_DATE_TIME.source;

/**
 * Parses a strict ISO 8601 date-time with an explicit offset.
 * @param text - e.g. `2025-06-01T12:00:00Z` or `2025-06-01T14:00:00.5+02:00`
 * @returns milliseconds since the epoch, or `undefined` when the text is not such a date-time
 */
export function parseIsoDateTime(text: string): number | undefined {
  const m = ISO_DATE_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const offsetHours = Number(m[9] ?? 0);
  const offsetMinutes = Number(m[10] ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > utcDate(year, month, 0).getUTCDate())
    return undefined;
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59)
    return undefined;
  const sign = m[8]?.startsWith('-') ? -1 : 1;
  const fraction = m[7] === undefined ? 0 : Number(m[7]) * 1000;
  const utc =
    utcDate(year, month - 1, day).getTime() +
    ((hour * 60 + minute) * 60 + second) * 1000 +
    fraction;
  return utc - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

// Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not.
function utcDate(year: number, monthIndex: number, day: number): Date {
  const date = new Date(0);
  date.setUTCFullYear(year, monthIndex, day);
  return date;
}

/**
 * Validates a date-time field of a wire document.
 * @param path - field path for the message
 * @param text - the value
 * @returns `text` unchanged
 * @throws ProtocolError `BAD_HEADER` when it is not a strict ISO 8601 date-time
 */
export function checkIsoDateTime(path: string, text: string): string {
  if (parseIsoDateTime(text) === undefined) {
    throw new ProtocolError(
      'BAD_HEADER',
      `${path} must be an ISO 8601 date-time with offset, got ${JSON.stringify(text)}`,
    );
  }
  return text;
}
