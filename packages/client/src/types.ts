/**
 * Public data types of `@privads/client`. Types only (plus nothing at run time), so that the
 * main-thread entry can export them without pulling worker code into the publisher's bundle.
 */
import type { PrivacyMode } from '@privads/protocol';
import type { RankingPolicyOptions } from './policy/options.js';

export type { PrivacyMode };

/** The weakest privacy this site lets its readers' devices accept. */
export interface PrivacyFloor {
  /**
   * Weakest round mode the device joins, from weakest to strongest `none`, `central`,
   * `distributed`, `local`. The default, `distributed`, never lets the server see one reader's
   * update: only the noised sum of at least `kMin` devices (secure aggregation). A publisher must
   * opt in with `'central'` to let the server see each clipped update before it adds noise.
   * @defaultValue `'distributed'`
   */
  readonly minimumMode?: PrivacyMode;
  /**
   * Largest ε one participation may cost (the device recomputes it from the round's noise).
   * @defaultValue 8
   */
  readonly maxEpsilonPerRound?: number;
  /**
   * Lifetime ε of this device and site, summed over modes; once spent, nothing is sent again.
   * @defaultValue 32
   */
  readonly lifetimeEpsilon?: number;
}

/** {@link PrivacyFloor} with defaults applied. */
export type ResolvedPrivacyFloor = Required<PrivacyFloor>;

/** Which scoring engine to use: `auto` picks the fastest that works (never a software GPU). */
export type EnginePreference = 'auto' | 'webgpu' | 'wasm-simd' | 'cpu';

/**
 * Whether a catalog's PQ index ranks it: `auto` downloads it and uses it when it measures clearly
 * faster on this device than the exact engine; `always` uses it whenever it loads; `never` does not
 * download it (every row is scored exactly).
 */
export type PqIndexUse = 'auto' | 'always' | 'never';

/** Options of `createPrivAds`. */
export interface PrivAdsOptions {
  /** Base URL of the PrivAds server, e.g. `https://ads.example.org`. */
  readonly server: string;
  /**
   * Scope of the reader's profile: one profile, ledger and budget per scope.
   * @defaultValue `location.host`
   */
  readonly site?: string;
  /** Privacy floor. */
  readonly privacy?: PrivacyFloor;
  /** @defaultValue `'auto'` */
  readonly engine?: EnginePreference;
  /**
   * Whether the catalog's PQ index (announced by the server for large catalogs) ranks it.
   * @defaultValue `'auto'`
   */
  readonly pqIndex?: PqIndexUse;
  /** Frequency cap, diversity and exploration. */
  readonly policy?: RankingPolicyOptions;
  /**
   * `memory` keeps nothing across reloads (and therefore never uploads: the ledger would forget).
   * @defaultValue `'indexeddb'`
   */
  readonly storage?: 'indexeddb' | 'memory';
  /**
   * Ads shown (unpersonalised, in this order) when the catalog cannot be loaded at all.
   * @defaultValue `[]`
   */
  readonly fallbackAds?: readonly AdInfo[];
  /**
   * Where the binary files the worker loads are served: tfjs' and onnxruntime-web's WebAssembly
   * (see `docs/api.md`, "Bundling and serving the assets").
   */
  readonly assets?: AssetOptions;
  /**
   * The content encoder that turns page text (`rank({ context: { text } })`,
   * `recordRead(text, …)`) into context vectors, in the worker, loaded on the first text.
   * `false`: text is never encoded (text contexts are ignored with a `fallback` event).
   * @defaultValue `{ specUrl: <assets.baseUrl>/encoder/encoder.json }`
   */
  readonly encoder?: EncoderOptions | false;
  /**
   * Where the worker script is, for setups whose bundler cannot follow
   * `new URL('./privads.worker.js', import.meta.url)`.
   */
  readonly workerUrl?: string | URL;
  /** When the device takes part in training rounds on its own (see {@link RoundOptions}). */
  readonly rounds?: RoundOptions;
  /**
   * Logs to the console and emits `debug` events, including the norms of each upload before and
   * after clipping (never the vector).
   * @defaultValue false
   */
  readonly debug?: boolean;
}

/**
 * Automatic participation. A device's decision to join a round must not depend on what its reader
 * did (see `docs/privacy.md`): with `autoJoin` the worker checks the open round itself, whether or
 * not anyone clicked, and a sampled device uploads (a zero update plus its noise when it has
 * nothing to learn from). `flush()` stays available either way and follows the same rules.
 */
export interface RoundOptions {
  /**
   * Check the open round once the worker is ready, then every `checkIntervalMs` while the page is
   * open. Turn it off only if the page calls `flush()` on a schedule of its own that does not
   * depend on the reader's actions.
   * @defaultValue true
   */
  readonly autoJoin?: boolean;
  /**
   * Time between two checks, in milliseconds (≥ 1000).
   * @defaultValue 300000 (5 minutes)
   */
  readonly checkIntervalMs?: number;
}

/** {@link RoundOptions} with defaults applied. */
export type ResolvedRoundOptions = Required<RoundOptions>;

/** Options of `forget`. */
export interface ForgetOptions {
  /**
   * Also delete the participation stub (the rounds this device joined and the privacy they cost),
   * the IndexedDB database included. Afterwards this device can join rounds again as if it were
   * new, with a fresh privacy budget: the reader's choice, which the privacy panel should say.
   * @defaultValue false
   */
  readonly everything?: boolean;
}

/**
 * Where the worker finds its binary assets, on the publisher's own origin (nothing is loaded from a
 * CDN). Relative URLs resolve against the page's `document.baseURI`.
 */
export interface AssetOptions {
  /**
   * Base URL of the defaults below.
   * @defaultValue the directory of the worker script (where a bundler emits the worker and its chunks)
   */
  readonly baseUrl?: string | URL;
  /**
   * Directory (ending in `/`) holding tfjs' WebAssembly backend binaries `tfjs-backend-wasm.wasm`,
   * `tfjs-backend-wasm-simd.wasm` and `tfjs-backend-wasm-threaded-simd.wasm`. When they cannot be
   * loaded, learning runs on tfjs' plain CPU backend (slower, same results).
   * @defaultValue `baseUrl`
   */
  readonly tfjsWasmPath?: string | URL;
  /**
   * URL of onnxruntime-web's `ort-wasm-simd-threaded.wasm` (used only by the content encoder), or a
   * directory ending in `/` from which both `ort-wasm-simd-threaded.wasm` and
   * `ort-wasm-simd-threaded.mjs` are loaded.
   * @defaultValue `baseUrl` + `ort-wasm-simd-threaded.wasm`
   */
  readonly ortWasmPath?: string | URL;
}

/**
 * The content encoder run in the worker for page text (`@privads/encoder/web`). It must be the
 * encoder the catalog was built with (same id): otherwise text contexts are ignored with a
 * `fallback` event.
 */
export interface EncoderOptions {
  /**
   * URL of the encoder's spec file (`encoder.json`); its model (and tokenizer) resolve against it.
   * The project's default encoder is `node_modules/@privads/encoder/models/default/`.
   * @defaultValue `assets.baseUrl` + `encoder/encoder.json`
   */
  readonly specUrl?: string | URL;
  /** URL of the ONNX model, overriding the spec's `model.file`. */
  readonly modelUrl?: string | URL;
}

/** Ad metadata as shipped in the catalog. */
export interface AdInfo {
  readonly id: string;
  readonly title: string;
  /** Landing page (absolute http(s) URL, validated). */
  readonly url: string;
  readonly advertiser: string;
  readonly category: string;
  readonly imageUrl?: string;
}

/**
 * Page context for ranking: the current article's text (encoded in the worker by the content
 * encoder), its content embedding (encoder space, 384-d by default), or an embedding already in
 * user space.
 */
export type RankContext =
  | { readonly embedding: Float32Array | readonly number[]; readonly text?: undefined }
  | { readonly text: string; readonly embedding?: undefined };

/** What the reader read: the article's text, or its embedding (content or user space). */
export type ReadContext = string | Float32Array | readonly number[];

/** Arguments of `rank`. */
export interface RankRequest {
  /** Number of ad slots to fill (1‥100). */
  readonly slots: number;
  /** What the reader is looking at; used for cold start and blended into warm profiles. */
  readonly context?: RankContext;
}

/** Why an ad was shown: a stable code and a short sentence for the reader. */
export interface WhyThisAd {
  /**
   * `profile`: close to what the reader engaged with; `context`: related to this page; `prior`:
   * popular on this site (no profile yet); `exploration`: trying something new;
   * `fallback`: not personalised (PrivAds could not run).
   */
  readonly code: 'profile' | 'context' | 'prior' | 'exploration' | 'fallback';
  readonly text: string;
}

/** One ranked ad. */
export interface RankedAd extends AdInfo {
  /** Cosine score against the query (0 for fallback ads). */
  readonly score: number;
  readonly why: WhyThisAd;
}

/** Result of `rank`. */
export interface RankResult {
  /** Ads in display order (may be fewer than `slots` when frequency caps exclude the rest). */
  readonly ads: readonly RankedAd[];
  /** What the query vector came from. */
  readonly source: 'profile' | 'context' | 'prior' | 'fallback';
  /** Whether the reader's own profile influenced the ranking. */
  readonly personalised: boolean;
  /** Scoring engine used (absent for fallback results). */
  readonly engine?: string;
  /** Catalog version (absent for fallback results). */
  readonly catalogVersion?: number;
}

/** A shown slate: a `rank` result or the ad ids in display order. */
export type Slate = RankResult | readonly string[];

/** Why `flush` did or did not upload. */
export type FlushReason =
  | 'uploaded'
  | 'queued'
  | 'paused'
  | 'storage-unavailable'
  | 'budget-exhausted'
  | 'no-round'
  | 'round-closed'
  | 'mode-below-floor'
  | 'epsilon-above-floor'
  | 'config-inconsistent'
  | 'config-invalid'
  | 'model-mismatch'
  | 'already-participated'
  | 'round-gap'
  | 'participation-limit'
  | 'not-sampled'
  | 'upload-too-large'
  | 'network'
  | 'dropped'
  | 'round-aborted'
  | 'protocol-error'
  | 'unavailable';

/** Result of `flush`. */
export interface FlushResult {
  /** `uploaded`: the server accepted it; `queued`: computed and queued for retry; `skipped`: nothing sent. */
  readonly status: 'uploaded' | 'queued' | 'skipped';
  readonly reason: FlushReason;
  /** Explanation for the reader or developer. */
  readonly message: string;
  readonly roundId?: number;
  /** Upload size in bytes. */
  readonly bytes?: number;
}

/** One participation as the reader sees it: when, which round, how big, what it cost. */
export interface UploadRecord {
  readonly roundId: number;
  readonly mode: PrivacyMode;
  /** ε of this participation alone. */
  readonly epsilon: number;
  readonly delta: number;
  /** Body size in bytes. */
  readonly bytes: number;
  /** ISO 8601 time it was computed. */
  readonly at: string;
  readonly status: 'queued' | 'sent' | 'rejected' | 'expired';
}

/** Privacy spent under one mode. */
export interface ModeSpendReport {
  readonly participations: number;
  /** zCDP ρ of all participations under this mode (they add up). */
  readonly rho: number;
  /** ε of `rho` at `delta`. */
  readonly epsilon: number;
  readonly delta: number;
}

/**
 * What `privacyReport` returns: spend, budget, and every upload (sizes and round ids, never
 * content). The ε figures are this device's own, per device, without amplification by the rounds'
 * sampling probability.
 */
export interface PrivacyReport {
  readonly site: string;
  readonly floor: ResolvedPrivacyFloor;
  readonly byMode: Readonly<Record<PrivacyMode, ModeSpendReport>>;
  /** zCDP ρ of every participation, all modes, composed. */
  readonly rhoSpent: number;
  /** ε of `rhoSpent` at the largest δ any participation declared: what the lifetime budget bounds. */
  readonly epsilonSpent: number;
  readonly epsilonRemaining: number;
  /** Rounds this device joined, those `forget()` reduced to the participation stub included. */
  readonly participations: number;
  /** Each upload whose details are kept (since the last `forget()`). */
  readonly uploads: readonly UploadRecord[];
  readonly paused: boolean;
  /** `memory` means nothing persists and nothing is uploaded. */
  readonly storage: 'indexeddb' | 'memory';
}

/** Everything stored about the reader, as a JSON-serialisable document they can download. */
export interface ProfileExport {
  readonly format: 'privads-profile-export';
  readonly formatVersion: 1;
  readonly site: string;
  readonly exportedAt: string;
  readonly profile?: {
    readonly vector: readonly number[];
    readonly updates: number;
    readonly updatedAt: string;
  };
  readonly events: readonly ExportedEvent[];
  readonly ledger: readonly UploadRecord[];
  readonly paused: boolean;
}

/** One logged interaction in an export. */
export interface ExportedEvent {
  readonly kind: 'impression' | 'click' | 'hide' | 'read';
  readonly at: string;
  readonly adIds?: readonly string[];
  readonly adId?: string;
  readonly dwellMs?: number;
}

/** A file the worker needed from the publisher's origin and could not load. */
export interface MissingAsset {
  /** The URL it was requested from. */
  readonly url: string;
  /** The HTTP status it answered with, or `unreachable` when no response came. */
  readonly status: number | 'unreachable';
  /** The feature that needs it (and is degraded without it). */
  readonly neededFor: 'content encoder' | 'on-device learning';
}

/** Why an engine was or was not chosen. */
export interface EngineDecisionInfo {
  readonly name: string;
  readonly status: 'chosen' | 'skipped' | 'failed';
  readonly reason: string;
}

/** State of the library, for debugging and the publisher's privacy panel. */
export interface Diagnostics {
  /** `worker`: normal; `main-thread`: no module worker, running in the page (non-personalised); `none`: nothing works. */
  readonly runtime: 'worker' | 'main-thread' | 'none';
  readonly storage: 'indexeddb' | 'memory' | 'none';
  readonly engine?: string;
  readonly engines: readonly EngineDecisionInfo[];
  readonly catalogVersion?: number;
  readonly catalogSize?: number;
  /** Which path ranks the catalog in use (absent before a catalog is loaded). */
  readonly ranking?: RankingPathInfo;
  readonly profileUpdates: number;
  readonly paused: boolean;
  /**
   * Asset files (WebAssembly, encoder model) that could not be loaded, each also reported once by a
   * `fallback` event (`what: 'asset'`) and a console warning naming its URL.
   */
  readonly missingAssets: readonly MissingAsset[];
}

/** Which path ranks the catalog, and why not the PQ index when one was announced. */
export interface RankingPathInfo {
  /**
   * `pq-index`: the catalog's PQ index, downloaded whole (approximate scores, for large catalogs;
   * `RankResult.engine` is then `pq-index`); `exact`: the scoring engine over every int8 row.
   */
  readonly path: 'pq-index' | 'exact';
  /** Why the PQ index the catalog announced is not used (its error code and message). */
  readonly reason?: string;
  /** What decided between the index and the exact engine (`pqIndex: 'auto'`, the index loaded). */
  readonly timings?: RankingTimings;
}

/** Both ranking paths' median time per query over the whole catalog, measured on this device. */
export interface RankingTimings {
  /** The PQ index (fast scan, stage re-rank, exact re-rank of its best candidates). */
  readonly indexMs: number;
  /**
   * The exact engine over every row: measured up to 262,144 ads, extrapolated beyond from the
   * catalog's first 131,072 and 262,144 rows (so that probing never holds every row twice).
   */
  readonly exactMs: number;
}

/** Events the page can listen to instead of catching exceptions. */
export interface PrivAdsEventMap {
  /** The worker is up: engine chosen, storage opened, catalog loaded. */
  ready: Diagnostics;
  /** Something failed; the library carried on. */
  error: { readonly code: string; readonly message: string; readonly operation: string };
  /** A degraded mode was entered. */
  fallback: {
    readonly what:
      'storage' | 'engine' | 'worker' | 'catalog' | 'pq-index' | 'context' | 'encoder' | 'asset';
    readonly reason: string;
  };
  /**
   * An upload attempt finished. For a distributed round (`mode: 'distributed'`) one event reports
   * the whole secure round: `sent` once the device revealed its shares, `expired` when it was
   * dropped or the round aborted, `rejected` when the device and the server refused each other;
   * `reason` says why when it is not `sent`.
   */
  upload: {
    readonly roundId: number;
    readonly bytes: number;
    readonly outcome: 'sent' | 'rejected' | 'retry' | 'expired';
    readonly status?: number;
    readonly attempts: number;
    /** Present for a distributed round. */
    readonly mode?: 'distributed';
    /** Why a distributed round did not end in `sent`. */
    readonly reason?: string;
  };
  /** The reader's profile changed (in this tab or another). */
  profile: { readonly revision: number; readonly updates: number };
  /** Debug builds only (`debug: true`): internal measurements, never profile content. */
  debug: DebugEvent;
}

/** Payloads of the `debug` event. */
export type DebugEvent =
  | {
      readonly kind: 'update-norms';
      readonly roundId: number;
      /** ‖g‖₂ of the round gradient before clipping. */
      readonly preClipNorm: number;
      /** ‖clip(g)‖₂: what noise is added to; ≤ clipNorm. */
      readonly clippedNorm: number;
      readonly clipNorm: number;
      /** σ of the noise the device added (0 in central mode). */
      readonly clientSigma: number;
      readonly events: number;
    }
  | { readonly kind: 'log'; readonly message: string };

/** Event names. */
export type PrivAdsEventType = keyof PrivAdsEventMap;
