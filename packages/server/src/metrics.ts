/**
 * Prometheus metrics in the text exposition format (version 0.0.4), without a client library:
 * counters, gauges and histograms with labels, and the server's fixed set of metrics.
 */

type Labels = Readonly<Record<string, string>>;

const escapeLabel = (value: string): string =>
  value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function labelText(labels: Labels, extra?: [string, string]): string {
  const pairs = Object.entries(labels);
  if (extra) pairs.push(extra);
  if (pairs.length === 0) return '';
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

const formatNumber = (n: number): string =>
  Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';

/**
 * The key of a label set: the same for the same set in any order, different for different sets
 * (names are identifiers without `=`, each value is prefixed with its length). Several are made per
 * request, so not `JSON.stringify` of sorted entries, which took six times as long.
 */
function seriesKey(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length > 1) names.sort();
  let key = '';
  for (const name of names) {
    const value = labels[name] as string;
    key += `${name}=${value.length}:${value};`;
  }
  return key;
}

interface Metric {
  render(): string;
}

abstract class Family<T> implements Metric {
  protected readonly series = new Map<string, { labels: Labels; value: T }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
  ) {}

  protected entry(labels: Labels, init: () => T): { labels: Labels; value: T } {
    const key = seriesKey(labels);
    let found = this.series.get(key);
    if (!found) {
      found = { labels: { ...labels }, value: init() };
      this.series.set(key, found);
    }
    return found;
  }

  protected abstract lines(labels: Labels, value: T): string[];

  /**
   * Every series so far (for the JSON summary).
   * @returns label sets with their current values
   */
  values(): Array<{ labels: Labels; value: T }> {
    return [...this.series.values()].map(({ labels, value }) => ({ labels: { ...labels }, value }));
  }

  render(): string {
    const out = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const { labels, value } of this.series.values()) out.push(...this.lines(labels, value));
    return out.join('\n');
  }
}

/** A monotonically increasing count. */
export class Counter extends Family<number> {
  /**
   * @param name - metric name (`_total` suffix by convention)
   * @param help - one-line description
   */
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }

  /**
   * Adds to the series with these labels.
   * @param labels - label values
   * @param by - amount (≥ 0)
   * @defaultValue by = 1
   */
  inc(labels: Labels = {}, by = 1): void {
    this.entry(labels, () => 0).value += by;
  }

  /**
   * The current value of a series.
   * @param labels - label values
   * @returns the count (0 for an unseen series)
   */
  get(labels: Labels = {}): number {
    return this.entry(labels, () => 0).value;
  }

  protected lines(labels: Labels, value: number): string[] {
    return [`${this.name}${labelText(labels)} ${formatNumber(value)}`];
  }
}

/** A value that goes up and down, or is read from a callback at scrape time. */
export class Gauge extends Family<number> {
  readonly #collect: (() => void) | undefined;

  /**
   * @param name - metric name
   * @param help - one-line description
   * @param collect - called before each render to refresh the values
   */
  constructor(name: string, help: string, collect?: (gauge: Gauge) => void) {
    super(name, help, 'gauge');
    this.#collect = collect ? () => collect(this) : undefined;
  }

  /**
   * Sets the series with these labels.
   * @param value - new value
   * @param labels - label values
   */
  set(value: number, labels: Labels = {}): void {
    this.entry(labels, () => 0).value = value;
  }

  override render(): string {
    this.#collect?.();
    return super.render();
  }

  protected lines(labels: Labels, value: number): string[] {
    return [`${this.name}${labelText(labels)} ${formatNumber(value)}`];
  }
}

interface HistogramState {
  counts: number[];
  sum: number;
  count: number;
}

/** Observations counted into cumulative buckets. */
export class Histogram extends Family<HistogramState> {
  readonly #bounds: readonly number[];

  /**
   * @param name - metric name
   * @param help - one-line description
   * @param bounds - upper bucket bounds, increasing (`+Inf` is implied)
   */
  constructor(name: string, help: string, bounds: readonly number[]) {
    super(name, help, 'histogram');
    this.#bounds = bounds;
  }

  /**
   * Records one observation.
   * @param value - the observed value
   * @param labels - label values
   */
  observe(value: number, labels: Labels = {}): void {
    const state = this.entry(labels, () => ({
      counts: this.#bounds.map(() => 0),
      sum: 0,
      count: 0,
    })).value;
    for (let i = 0; i < this.#bounds.length; i++) {
      if (value <= (this.#bounds[i] as number)) state.counts[i] = (state.counts[i] as number) + 1;
    }
    state.sum += value;
    state.count += 1;
  }

  protected lines(labels: Labels, state: HistogramState): string[] {
    const out = this.#bounds.map(
      (bound, i) =>
        `${this.name}_bucket${labelText(labels, ['le', formatNumber(bound)])} ${state.counts[i]}`,
    );
    out.push(`${this.name}_bucket${labelText(labels, ['le', '+Inf'])} ${state.count}`);
    out.push(`${this.name}_sum${labelText(labels)} ${formatNumber(state.sum)}`);
    out.push(`${this.name}_count${labelText(labels)} ${state.count}`);
    return out;
  }
}

const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
const SIZE_BUCKETS = [0, 1, 5, 10, 50, 100, 500, 1000, 5000, 10_000, 50_000, 100_000];

/** The server's metrics. */
export class ServerMetrics {
  /** Uploads accepted, by encoding. */
  readonly uploadsAccepted = new Counter(
    'privads_uploads_accepted_total',
    'Updates accepted (answered 202).',
  );
  /** Uploads refused, by reason (the error code). */
  readonly uploadsRejected = new Counter(
    'privads_uploads_rejected_total',
    'Updates refused, by reason (the error code of the answer).',
  );
  /** Upload handling time. */
  readonly uploadLatency = new Histogram(
    'privads_upload_duration_seconds',
    'Time from request to answer for update uploads, by outcome.',
    LATENCY_BUCKETS,
  );
  /** All requests, by route and status. */
  readonly requests = new Counter(
    'privads_http_requests_total',
    'HTTP requests by route, method and status.',
  );
  /** Request handling time by route. */
  readonly requestLatency = new Histogram(
    'privads_http_request_duration_seconds',
    'HTTP request handling time by route.',
    LATENCY_BUCKETS,
  );
  /** Cohort size of every closed round. */
  readonly roundSize = new Histogram(
    'privads_round_size',
    'Number of updates in each closed round, by outcome (released or insufficient).',
    SIZE_BUCKETS,
  );
  /** Rounds closed, by outcome. */
  readonly roundsClosed = new Counter('privads_rounds_closed_total', 'Rounds closed, by outcome.');
  /** Round close time (aggregation, optimizer, re-projection, commit). */
  readonly roundCloseLatency = new Histogram(
    'privads_round_close_duration_seconds',
    'Time to close a round (aggregate, noise, optimizer, re-project, commit).',
    LATENCY_BUCKETS,
  );
  /** Durable-write batches of the store (group commit). */
  readonly storeCommitLatency = new Histogram(
    'privads_store_commit_duration_seconds',
    'Time of one durable write (one batch of the embedded log, one transaction in PostgreSQL).',
    LATENCY_BUCKETS,
  );
  /** Current round id and the updates this instance accepted in it. */
  readonly currentRound = new Gauge('privads_round_current', 'Id of the open round (label-less) .');
  /** Updates accepted into the open round by this instance. */
  readonly currentRoundUpdates = new Gauge(
    'privads_round_current_updates',
    'Updates this instance accepted into the open round.',
  );
  readonly #process = new Gauge(
    'process_cpu_seconds_total',
    'Total user and system CPU time in seconds.',
    (g) => {
      const { user, system } = process.cpuUsage();
      g.set((user + system) / 1e6);
    },
  );
  readonly #memory = new Gauge(
    'process_resident_memory_bytes',
    'Resident memory size in bytes.',
    (g) => g.set(process.memoryUsage.rss()),
  );

  /**
   * The exposition text.
   * @returns Prometheus text format, ending with a newline
   */
  render(): string {
    const families: Metric[] = [
      this.uploadsAccepted,
      this.uploadsRejected,
      this.uploadLatency,
      this.requests,
      this.requestLatency,
      this.roundSize,
      this.roundsClosed,
      this.roundCloseLatency,
      this.storeCommitLatency,
      this.currentRound,
      this.currentRoundUpdates,
      this.#process,
      this.#memory,
    ];
    return `${families.map((f) => f.render()).join('\n')}\n`;
  }
}

/** Content type of the exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
