import type { RankingTimings } from '../../../packages/client/src/types.js';

/** What the PQ benchmark page asks its worker to measure. */
export interface PqBenchRequest {
  /** Ads in the synthetic catalog. */
  readonly count: number;
  /** Reader queries (each timed and scored for recall). */
  readonly queries: number;
  /** Sub-spaces per PQ stage. */
  readonly stages: readonly number[];
  /** Re-rank depths to measure. */
  readonly rerank: readonly number[];
  /** The client path's settings to measure: exact re-rank depth, and the fast scan's pool. */
  readonly exactRerank: readonly { readonly depth: number; readonly scan: number }[];
  /** Vectors sampled to train each stage. */
  readonly trainingSample: number;
  /** `trainProductQuantizer`'s `rotate` option. */
  readonly rotate: boolean | 'auto';
  /** `trainProductQuantizer`'s `partitions` option. */
  readonly partitions: number | 'auto';
}

/** Latency of one contender (milliseconds per top-10 query). */
export interface PqBenchLatency {
  readonly p50: number;
  readonly p95: number;
  readonly mean: number;
}

/** One re-rank depth's outcome. */
export interface PqBenchDepth extends PqBenchLatency {
  readonly rerank: number;
  /** Mean fraction of the exact top 10 found in the returned top 10. */
  readonly recallAt10: number;
}

/** What the benchmark worker reports. */
export interface PqBenchResult {
  readonly error?: string;
  readonly count?: number;
  readonly dim?: number;
  readonly stages?: readonly number[];
  /** Whether the trained index codes rotated vectors. */
  readonly rotated?: boolean;
  /** Partitions of the trained index (0 without). */
  readonly partitions?: number;
  /** Bytes of the encoded PQ index, and gzip-compressed (what HTTP compression would send). */
  readonly indexBytes?: number;
  readonly indexGzipBytes?: number;
  /** Same-run sizes of the catalog's projected vectors as the bundle ships them today. */
  readonly int8Bytes?: number;
  readonly f32Bytes?: number;
  readonly trainMs?: number;
  readonly loadMs?: number;
  /** Same-run baselines: a plain f32 loop, and the WASM SIMD int8 engine (exact). */
  readonly f32Loop?: PqBenchLatency;
  readonly wasmInt8?: PqBenchLatency;
  readonly depths?: readonly PqBenchDepth[];
  /**
   * The client's ranking path (`PqRanker`) at each setting: the searcher's best `candidates` (of
   * a fast-scan pool of `scan`), re-ranked exactly with the catalog's int8 rows.
   */
  readonly exactRerank?: readonly (PqBenchLatency & {
    readonly candidates: number;
    readonly scan: number;
    readonly recallAt10: number;
  })[];
  /**
   * What the worker's `pqIndex: 'auto'` probe measured on the same catalog (the exact engine's time
   * extrapolated beyond 262,144 ads), whether it chose the index, and what probing took.
   */
  readonly rankingProbe?: RankingTimings & {
    readonly indexChosen: boolean;
    readonly tookMs: number;
  };
}

declare global {
  interface Window {
    pqBenchResult?: PqBenchResult;
  }
}
