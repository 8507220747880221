/** Types of `loopback-load.mjs` (plain JavaScript, so that benchmarks run without a build). */

/** Upload bodies that differ only in a 22-character id. */
export interface BodySource {
  /** One valid body. */
  readonly template: Uint8Array;
  /** Byte offset of the id in it. */
  readonly at: number;
  /** The next upload's id; undefined when none is left. */
  readonly nextId: () => string | undefined;
}

export declare function bodySource(
  template: Uint8Array,
  id: string,
  nextId: () => string | undefined,
): BodySource;

/** One phase of {@link postUploads}. */
export interface UploadPhase {
  /** Answers with status 202, per second. */
  readonly perSecond: number;
  /** CPU time of the target process per accepted upload, ms. */
  readonly targetCpuMs: number;
  /** Of which in the kernel, ms. */
  readonly targetSystemMs: number;
  /** CPU time of the load generator per accepted upload, ms. */
  readonly generatorCpuMs: number;
  /** Share of all cores busy during the phase (every process). */
  readonly machineBusy: number;
  /** Median latency, ms. */
  readonly p50: number;
  /** 99th percentile latency, ms. */
  readonly p99: number;
  /** Answers per HTTP status. */
  readonly statuses: Readonly<Record<string, number>>;
}

export declare function postUploads(options: {
  url: URL;
  source: BodySource;
  uploads: number;
  connections: number;
  pid: number;
}): Promise<UploadPhase>;
