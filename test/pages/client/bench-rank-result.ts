/** One measured configuration: an engine (or the naive baseline) at one catalog size. */
export interface RankBenchRow {
  readonly engine: string;
  readonly rows: number;
  /** Milliseconds per top-K query. */
  readonly p50: number;
  readonly p95: number;
  readonly mean: number;
  /** Milliseconds to load the catalog into the engine (upload to the GPU for WebGPU). */
  readonly loadMs?: number;
  /** What the resolver found (e.g. the adapter), or why the engine could not be created. */
  readonly note?: string;
}

/** What the benchmark worker reports. */
export interface RankBenchResult {
  readonly rows: readonly RankBenchRow[];
  readonly error?: string;
}

/** What the page asks the worker to measure. */
export interface RankBenchRequest {
  readonly sizes: readonly number[];
  readonly engines: readonly string[];
  readonly iterations: number;
  readonly k: number;
}

declare global {
  interface Window {
    benchResult?: RankBenchResult;
  }
}
