/**
 * The main thread ↔ worker contract (types only). The worker exposes a {@link WorkerApi} through
 * comlink; the page passes a {@link WorkerConfig} and an event callback once, then calls methods.
 * Every value crossing the boundary is structured-cloneable: no functions except the callback
 * (a `Comlink.proxy`), no class instances.
 */
import type { RankingPolicyOptions } from './policy/options.js';
import type {
  Diagnostics,
  EnginePreference,
  FlushResult,
  ForgetOptions,
  PrivacyReport,
  PrivAdsEventMap,
  PrivAdsEventType,
  PqIndexUse,
  ProfileExport,
  RankResult,
  ResolvedPrivacyFloor,
  ResolvedRoundOptions,
} from './types.js';

/** Resolved options the worker runs with. */
export interface WorkerConfig {
  readonly server: string;
  readonly site: string;
  readonly floor: ResolvedPrivacyFloor;
  readonly engine: EnginePreference;
  readonly pqIndex: PqIndexUse;
  readonly policy: RankingPolicyOptions | undefined;
  readonly storage: 'indexeddb' | 'memory';
  readonly debug: boolean;
  /** Automatic participation. */
  readonly rounds: ResolvedRoundOptions;
  /** Asset locations as absolute URLs; unset ones default in the worker (see `AssetOptions`). */
  readonly assets: {
    readonly baseUrl?: string;
    readonly tfjsWasmPath?: string;
    readonly ortWasmPath?: string;
  };
  /** Encoder locations as absolute URLs, or `false` (text is never encoded). */
  readonly encoder: { readonly specUrl?: string; readonly modelUrl?: string } | false;
}

/** One event from the worker: a type and its payload. */
export type WorkerEvent = {
  [K in PrivAdsEventType]: { readonly type: K; readonly detail: PrivAdsEventMap[K] };
}[PrivAdsEventType];

/** Page context as it crosses the boundary: text, or an embedding as `Float32Array`. */
export type WireContext = { readonly embedding: Float32Array } | { readonly text: string };

/** Ranking request as it crosses the boundary. */
export interface WireRankRequest {
  readonly slots: number;
  readonly context?: WireContext;
}

/** What the worker exposes. Methods report failures by rejecting; the main thread turns rejections into events and fallbacks. */
export interface WorkerApi {
  /**
   * Starts the worker's runtime (store, catalog, engine) in the background.
   * @param config - resolved options
   * @param emit - event callback (a `Comlink.proxy`)
   */
  init(config: WorkerConfig, emit: (event: WorkerEvent) => void): Promise<void>;
  rank(request: WireRankRequest): Promise<RankResult>;
  recordImpression(adIds: readonly string[]): Promise<void>;
  recordClick(adId: string): Promise<void>;
  recordHide(adId: string): Promise<void>;
  recordRead(context: Float32Array | string, dwellMs: number): Promise<void>;
  flush(): Promise<FlushResult>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  exportProfile(): Promise<ProfileExport>;
  forget(options?: ForgetOptions): Promise<void>;
  privacyReport(): Promise<PrivacyReport>;
  diagnostics(): Promise<Diagnostics>;
  /** Releases GPU memory and the database connection. */
  close(): Promise<void>;
}
