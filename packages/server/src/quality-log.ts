/**
 * Quality points (`{ round, metric, value }`) that an evaluation job or the simulator posts for
 * the dashboard's quality curve. Kept in memory, bounded: they are a view, not a record, and can
 * always be re-posted.
 */
import { ProtocolError } from '@privads/protocol';

/** One point of a quality curve. */
export interface QualityPoint {
  /** Round (or projector version) the metric was measured after (integer ≥ 0). */
  round: number;
  /** Metric name, e.g. `ndcg@10` (1‥64 characters of `[A-Za-z0-9_.@:-]`). */
  metric: string;
  /** Measured value (finite). */
  value: number;
  /** When the server received it (ISO 8601). */
  receivedAt: string;
}

const METRIC = /^[A-Za-z0-9_.@:-]{1,64}$/;

/**
 * Validates posted points: one object or an array of them.
 * @param value - parsed JSON
 * @returns the points without `receivedAt`
 * @throws ProtocolError `BAD_HEADER` for a wrong shape, `OUT_OF_RANGE` for a bad value
 */
export function parseQualityPoints(value: unknown): Array<Omit<QualityPoint, 'receivedAt'>> {
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0 || items.length > 1000) {
    throw new ProtocolError('OUT_OF_RANGE', `post 1..1000 quality points, got ${items.length}`);
  }
  return items.map((item: unknown, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new ProtocolError(
        'BAD_HEADER',
        `point ${i} must be an object { round, metric, value }`,
      );
    }
    const { round, metric, value: v, ...rest } = item as Record<string, unknown>;
    if (Object.keys(rest).length > 0) {
      throw new ProtocolError(
        'BAD_HEADER',
        `point ${i} has unknown fields: ${Object.keys(rest).join(', ')}`,
      );
    }
    if (typeof round !== 'number' || typeof metric !== 'string' || typeof v !== 'number') {
      throw new ProtocolError(
        'BAD_HEADER',
        `point ${i} needs round (number), metric (string), value (number)`,
      );
    }
    if (!Number.isSafeInteger(round) || round < 0)
      throw new ProtocolError(
        'OUT_OF_RANGE',
        `point ${i}: round must be an integer >= 0, got ${round}`,
      );
    if (!METRIC.test(metric))
      throw new ProtocolError(
        'OUT_OF_RANGE',
        `point ${i}: metric must match ${METRIC.source}, got ${JSON.stringify(metric)}`,
      );
    if (!Number.isFinite(v))
      throw new ProtocolError('OUT_OF_RANGE', `point ${i}: value must be finite, got ${v}`);
    return { round, metric, value: v };
  });
}

/** The most recent quality points. */
export class QualityLog {
  readonly #points: QualityPoint[] = [];
  readonly #capacity: number;

  /**
   * @param capacity - points kept (the oldest are dropped)
   * @defaultValue 10 000
   */
  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  /**
   * Adds points.
   * @param points - validated points
   * @param receivedAt - time stamp
   */
  add(points: ReadonlyArray<Omit<QualityPoint, 'receivedAt'>>, receivedAt: string): void {
    for (const p of points) this.#points.push({ ...p, receivedAt });
    if (this.#points.length > this.#capacity)
      this.#points.splice(0, this.#points.length - this.#capacity);
  }

  /**
   * Points, optionally of one metric, in arrival order.
   * @param metric - filter
   * @returns copies
   */
  list(metric?: string): QualityPoint[] {
    return this.#points
      .filter((p) => metric === undefined || p.metric === metric)
      .map((p) => ({ ...p }));
  }
}
