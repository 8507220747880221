import { BackendError, isPrivAdsError, PrivAdsError } from '@privads/protocol';
import type { EngineRegistry, ScoringEngine } from '../engines/engine.js';
import { resolveEngine, type EngineDecision } from '../engines/resolver.js';
import { resolvePolicy, type ResolvedPolicy } from '../policy/options.js';
import type { WorkerConfig, WorkerEvent } from '../protocol.js';
import type { ProfileRecord, Settings } from '../store/records.js';
import {
  openClientStore,
  type ClientStoreOptions,
  type ResilientStore,
} from '../store/resilient-store.js';
import type {
  Diagnostics,
  MissingAsset,
  PrivAdsEventMap,
  PrivAdsEventType,
  RankingTimings,
} from '../types.js';
import { Uploader, type UploadReport } from '../uploader.js';
import { CatalogSource, type LoadedCatalog } from './catalog.js';
import type { PqRanker, Ranker } from './pq-ranker.js';
import { assetBase, ContextEncoder, contextEncoderSettings } from './context-encoder.js';
import { ImpressionHistory } from './history.js';
import { describeMissingAsset, findMissingAssets } from './missing-assets.js';
import type { FetchLike } from './http.js';
import { ProjectorRuntime } from './model-runtime.js';
import { TabSync, type TabMessage } from './tab-sync.js';

/** What the runtime takes from its environment (all injectable for tests). */
export interface RuntimeDeps {
  readonly fetch: FetchLike;
  readonly now: () => number;
  /** Monotonic milliseconds, for timing the ranking paths (`performance.now`). */
  readonly elapsed: () => number;
  /** Uniform [0, 1) for ranking exploration and retry jitter (not for privacy noise: that is `@privads/dp`'s CSPRNG). */
  readonly random: () => number;
  readonly registry: EngineRegistry;
  readonly emit: (event: WorkerEvent) => void;
  /** Where the tfjs WASM binaries are served (overrides `assets.tfjsWasmPath`). */
  readonly wasmPaths?: string;
  /** Retry policy of the uploader (tests shorten it). */
  readonly uploadRetry?: { readonly baseDelayMs: number; readonly maxDelayMs: number };
  /** Opens the store. @defaultValue `openClientStore` (IndexedDB, memory on failure) */
  readonly openStore?: (options: ClientStoreOptions) => Promise<ResilientStore>;
}

/**
 * Whether this runtime is the module worker's (the page runs one itself, non-personalised, when no
 * worker can start): the `ready` event and `diagnostics()` say so alike.
 */
const RUNS_IN_WORKER =
  typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';

/** One day: the impression history kept when no frequency cap is configured. */
const DEFAULT_HISTORY_MS = 86_400_000;

/**
 * The worker's state: store, catalog, engine, profile cache, impression history, projector and
 * uploader. Started once; everything that can fail degrades to an event and a fallback.
 */
export class Runtime {
  readonly config: WorkerConfig;
  readonly deps: RuntimeDeps;
  readonly policy: ResolvedPolicy;
  readonly history: ImpressionHistory;
  /** Page text → content vectors, loaded on the first text. */
  readonly contextEncoder: ContextEncoder;
  store!: ResilientStore;
  projectors!: ProjectorRuntime;
  uploader!: Uploader;
  catalog: LoadedCatalog | undefined;
  engine: ScoringEngine | undefined;
  engineDecisions: readonly EngineDecision[] = [];
  /** The PQ index of the catalog in use, when it announced one that loaded. */
  pqRanker: PqRanker | undefined;
  /** Why the catalog's announced PQ index is not used (`diagnostics().ranking.reason`). */
  pqIndexProblem: string | undefined;
  /** What chose between the index and the exact engine for the catalog in use. */
  rankingTimings: RankingTimings | undefined;
  profile: ProfileRecord | undefined;
  paused = false;
  /** Asset files that could not be loaded (each reported once). */
  readonly missingAssets: MissingAsset[] = [];
  #catalogSource!: CatalogSource;
  #tabs: TabSync | undefined;
  #started: Promise<void> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #secureRound: AbortController | undefined;

  /**
   * @param config - resolved options from the page
   * @param deps - environment
   */
  constructor(config: WorkerConfig, deps: RuntimeDeps) {
    this.config = config;
    this.deps = deps;
    this.policy = resolvePolicy(config.policy);
    const cap = this.policy.frequencyCap;
    this.history = new ImpressionHistory(cap === false ? DEFAULT_HISTORY_MS : cap.windowMs);
    this.contextEncoder = new ContextEncoder(contextEncoderSettings(config), {
      fallback: (reason) => this.emit('fallback', { what: 'encoder', reason }),
      loadFailed: (files) => void this.reportMissingAssets(files, 'content encoder'),
      error: (error) => this.reportError('context', error),
      log: (message) => {
        if (config.debug) this.emit('debug', { kind: 'log', message });
      },
    });
  }

  /** Name prefix of this scope's Web Locks. */
  get lockPrefix(): string {
    return `privads:${this.config.site}`;
  }

  /** @returns resolves when the store is open and a catalog load was attempted */
  ready(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  /**
   * Emits an event to the page.
   * @param type - event name
   * @param detail - payload
   */
  emit<K extends PrivAdsEventType>(type: K, detail: PrivAdsEventMap[K]): void {
    this.deps.emit({ type, detail } as WorkerEvent);
    if (this.config.debug && type !== 'debug') {
      this.deps.emit({
        type: 'debug',
        detail: { kind: 'log', message: `${type}: ${JSON.stringify(detail)}` },
      });
    }
  }

  /**
   * Reports a failure the library recovered from.
   * @param operation - what was being done
   * @param error - what was thrown
   */
  reportError(operation: string, error: unknown): void {
    const code = isPrivAdsError(error) ? error.code : 'INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    this.emit('error', { code, message, operation });
  }

  /**
   * After a feature failed to load: finds which of its files are missing and reports each once
   * (a `fallback` event that the page logs as a console warning, and {@link Runtime.diagnostics}).
   * @param files - the files the feature loads
   * @param neededFor - the feature
   */
  async reportMissingAssets(
    files: readonly string[],
    neededFor: MissingAsset['neededFor'],
  ): Promise<void> {
    const fresh = files.filter((url) => !this.missingAssets.some((m) => m.url === url));
    for (const asset of await findMissingAssets(this.deps.fetch, fresh, neededFor)) {
      if (this.missingAssets.some((m) => m.url === asset.url)) continue;
      this.missingAssets.push(asset);
      this.emit('fallback', { what: 'asset', reason: describeMissingAsset(asset) });
    }
  }

  /** Announces a change to the other tabs of this scope. */
  broadcast(message: TabMessage): void {
    this.#tabs?.post(message);
  }

  /** Adopts a profile just written to the store and announces it to the page and the other tabs. */
  announceProfile(next: ProfileRecord): void {
    this.profile = next;
    this.broadcast({ type: 'profile', revision: next.revision });
    this.emit('profile', { revision: next.revision, updates: next.updates });
  }

  /** The scoring engine with `catalog` loaded (loading it if another version is resident). */
  async engineFor(catalog: LoadedCatalog): Promise<ScoringEngine> {
    const engine = await this.#resolvedEngine();
    if (engine.loadedVersion !== catalog.matrix.version) await engine.load(catalog.matrix);
    return engine;
  }

  /** The scoring engine, chosen on first use (its decisions kept for `diagnostics()`). */
  async #resolvedEngine(): Promise<ScoringEngine> {
    if (this.engine === undefined) {
      const resolution = await resolveEngine(this.deps.registry, {
        preference: this.config.engine,
      });
      this.engine = resolution.engine;
      this.engineDecisions = resolution.decisions;
      const chosen = resolution.decisions.find((d) => d.status === 'chosen');
      const preferred = this.config.engine;
      if (preferred !== 'auto' && chosen?.name !== preferred) {
        const why = resolution.decisions.find((d) => d.name === preferred)?.reason ?? 'unavailable';
        this.emit('fallback', { what: 'engine', reason: `${preferred} engine not used: ${why}` });
      }
    }
    return this.engine;
  }

  /**
   * What ranks `catalog`: its PQ index when that loaded, else the scoring engine.
   * @param catalog - the catalog to rank
   * @returns the ranker, loaded with `catalog`
   */
  async rankerFor(catalog: LoadedCatalog): Promise<Ranker> {
    if (this.pqRanker !== undefined && this.pqRanker.version === catalog.version)
      return this.pqRanker;
    return this.engineFor(catalog);
  }

  /** Whether requests may be made now (never while the reader has paused PrivAds). */
  get networkAllowed(): boolean {
    return !this.paused;
  }

  /**
   * Attempts queued uploads now and schedules the next retry.
   * @returns the attempts made (none while paused or without durable storage)
   */
  async drainUploads(): Promise<UploadReport[]> {
    if (!this.networkAllowed || this.store.kind === 'memory') return [];
    const reports = await this.uploader.drain();
    this.#scheduleRetry(await this.uploader.nextDueAt());
    return reports;
  }

  /**
   * Starts the stop signal of a distributed round this worker takes part in: it fires at `until`
   * (epoch ms), when the reader pauses PrivAds ({@link Runtime.stopSecureRound}) or when the worker
   * closes. A device that stops is dropped by the server, which costs it nothing but its own noise
   * share.
   * @param until - epoch milliseconds after which the device gives up
   * @returns the signal, and `done` to call once the round is over
   */
  startSecureRound(until: number): { readonly signal: AbortSignal; done(): void } {
    const controller = new AbortController();
    this.#secureRound = controller;
    // setTimeout fires at once for delays past 2^31 − 1 ms: cap it (rounds last hours, not weeks).
    const delay = Math.min(Math.max(0, until - this.deps.now()), 2 ** 31 - 1);
    const timer = setTimeout(
      () => controller.abort(new PrivAdsError('TIMEOUT', 'the round is past its deadline')),
      delay,
    );
    return {
      signal: controller.signal,
      done: () => {
        clearTimeout(timer);
        if (this.#secureRound === controller) this.#secureRound = undefined;
      },
    };
  }

  /**
   * Stops the distributed round in progress, if any (pause, close).
   * @param why - the reason, kept as the signal's reason
   */
  stopSecureRound(why: string): void {
    this.#secureRound?.abort(new PrivAdsError('ABORTED', why));
  }

  /** Snapshot for the page. */
  diagnostics(): Diagnostics {
    const chosen = this.engineDecisions.find((d) => d.status === 'chosen');
    return {
      runtime: RUNS_IN_WORKER ? 'worker' : 'main-thread',
      storage: this.store?.kind ?? 'none',
      ...(chosen === undefined ? {} : { engine: chosen.name }),
      engines: this.engineDecisions.map(({ name, status, reason }) => ({ name, status, reason })),
      ...(this.catalog === undefined
        ? {}
        : {
            catalogVersion: this.catalog.version,
            catalogSize: this.catalog.count,
            ranking: {
              ...(this.pqRanker?.version === this.catalog.version
                ? { path: 'pq-index' as const }
                : {
                    path: 'exact' as const,
                    ...(this.pqIndexProblem === undefined ? {} : { reason: this.pqIndexProblem }),
                  }),
              ...(this.rankingTimings === undefined ? {} : { timings: this.rankingTimings }),
            },
          }),
      profileUpdates: this.profile?.updates ?? 0,
      paused: this.paused,
      missingAssets: [...this.missingAssets],
    };
  }

  /** Releases everything. */
  async close(): Promise<void> {
    clearTimeout(this.#retryTimer);
    this.stopSecureRound('the worker closed');
    this.#tabs?.close();
    this.engine?.dispose();
    this.pqRanker?.dispose();
    this.projectors?.dispose();
    this.contextEncoder.dispose();
    this.store?.close();
  }

  /**
   * Downloads a newer catalog if one exists and switches to it.
   * @returns whether a new catalog is in use
   */
  async refreshCatalog(): Promise<boolean> {
    if (!this.networkAllowed) return false;
    try {
      const fresh = await this.#catalogSource.download(this.catalog?.version);
      if (fresh === undefined) return false;
      await this.#useCatalog(fresh);
      return true;
    } catch (error) {
      this.emit('fallback', {
        what: 'catalog',
        reason: `could not download the catalog: ${error instanceof Error ? error.message : String(error)}`,
      });
      return false;
    }
  }

  async #useCatalog(catalog: LoadedCatalog): Promise<void> {
    const known = await this.#knownChoice(catalog);
    const { ranker: loaded, problem } =
      known?.path === 'exact' ? {} : await this.#loadPqIndex(catalog);
    const { ranker: pq, timings } =
      loaded === undefined
        ? { timings: known?.timings }
        : await this.#chooseIndex(loaded, catalog, known);
    // The exact engine is loaded only when it ranks: a million int8 rows are what the index avoids.
    if (pq === undefined) await this.engineFor(catalog);
    if (this.pqRanker !== pq) this.pqRanker?.dispose();
    this.pqRanker = pq;
    this.pqIndexProblem = problem;
    this.rankingTimings = timings;
    this.catalog = catalog;
  }

  /**
   * What `pqIndex: 'auto'` decided for this catalog version on an earlier page load. An exact
   * engine's win holds only for the engine that won (a page load without its GPU times again); an
   * index's win is kept without resolving an engine to compare, which would cost start-up (a GPU
   * device, the WASM probe) that the index spares.
   * @returns the remembered choice, if it still applies
   */
  async #knownChoice(catalog: LoadedCatalog): Promise<Settings['rankingChoice'] | undefined> {
    if (this.config.pqIndex !== 'auto' || catalog.pqIndexUrl === undefined) return undefined;
    const known = await this.store.getSetting('rankingChoice');
    if (known?.catalogVersion !== catalog.version) return undefined;
    if (known.path === 'pq-index') return known;
    try {
      return known.engine === (await this.#resolvedEngine()).name ? known : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Whether the loaded index ranks `catalog`: whenever it loads with `pqIndex: 'always'`; with
   * `auto`, as remembered for this catalog version, else when it measures clearly faster here
   * than the exact engine (ranking-probe.ts; the outcome is remembered). The engine is timed as an
   * instance of its own, so ranks of the catalog in use are not disturbed; the index is freed when
   * it loses, and used when the timing itself fails (one `error` event).
   * @param known - the choice remembered for this catalog version, if any
   * @returns the index when it ranks, and the timings that decided
   */
  async #chooseIndex(
    index: PqRanker,
    catalog: LoadedCatalog,
    known: Settings['rankingChoice'] | undefined,
  ): Promise<{ ranker?: PqRanker; timings?: RankingTimings }> {
    if (index === this.pqRanker) return { ranker: index, timings: this.rankingTimings };
    if (this.config.pqIndex === 'always') return { ranker: index };
    if (known?.path === 'pq-index') return { ranker: index, timings: known.timings };
    let engine: ScoringEngine | undefined;
    try {
      const { indexIsFaster, timeRankingPaths } = await import('./ranking-probe.js');
      engine = await this.#timingEngine();
      const timings = await timeRankingPaths(index, engine, catalog.matrix, this.deps.elapsed);
      const path = indexIsFaster(timings) ? 'pq-index' : 'exact';
      if (this.config.debug) {
        this.emit('debug', {
          kind: 'log',
          message: `ranking path timed: index ${timings.indexMs.toFixed(2)} ms, exact ${timings.exactMs.toFixed(2)} ms per query: ${path}`,
        });
      }
      await this.store.setSetting('rankingChoice', {
        catalogVersion: catalog.version,
        engine: engine.name,
        path,
        timings,
      });
      if (path === 'pq-index') return { ranker: index, timings };
      index.dispose();
      return { timings };
    } catch (error) {
      this.reportError('ranking-probe', error);
      return { ranker: index };
    } finally {
      engine?.dispose();
    }
  }

  /**
   * A fresh instance of the chosen scoring engine (resolving it first), for timing.
   * @throws BackendError `BACKEND_UNAVAILABLE` when its provider no longer offers it
   */
  async #timingEngine(): Promise<ScoringEngine> {
    const { name } = await this.#resolvedEngine();
    const probe = await this.deps.registry.get(name)?.probe({ force: true });
    if (probe?.ok !== true) {
      throw new BackendError(
        'BACKEND_UNAVAILABLE',
        `the ${name} engine cannot be created again: ${probe?.reason ?? 'not registered'}`,
      );
    }
    return probe.create();
  }

  /**
   * Loads the PQ index the catalog announced (unless `pqIndex: 'never'`): from the cache, else
   * downloaded whole. Any failure (missing, malformed, of another catalog, no WebAssembly SIMD) is
   * one `fallback` event and the exact engine; nothing reaches the page.
   * @returns the ranker, or why the catalog's announced index is not used (neither: none announced)
   */
  async #loadPqIndex(catalog: LoadedCatalog): Promise<{ ranker?: PqRanker; problem?: string }> {
    if (catalog.pqIndexUrl === undefined || this.config.pqIndex === 'never') return {};
    if (this.pqRanker?.version === catalog.version) return { ranker: this.pqRanker };
    try {
      const bytes = await this.#catalogSource.pqIndex(catalog, this.networkAllowed);
      // Loaded on demand: workers whose catalogs have no index never fetch this code or its kernel.
      const { PqRanker } = await import('./pq-ranker.js');
      const ranker = await PqRanker.load(bytes.bytes, catalog);
      if (!bytes.cached) await this.#catalogSource.keepPqIndex(catalog.version, bytes.bytes);
      return { ranker };
    } catch (error) {
      const code = isPrivAdsError(error) ? error.code : 'INTERNAL';
      const message = error instanceof Error ? error.message : String(error);
      this.emit('fallback', {
        what: 'pq-index',
        reason: `the catalog's PQ index is not used (${code}: ${message}); ranking every ad with the exact engine`,
      });
      return { problem: `${code}: ${message}` };
    }
  }

  async #start(): Promise<void> {
    const { config, deps } = this;
    this.store = await (deps.openStore ?? openClientStore)({
      site: config.site,
      storage: config.storage,
      now: deps.now,
      onFallback: (error) =>
        this.emit('fallback', {
          what: 'storage',
          reason: `${error.code}: ${error.message}; continuing in memory (nothing persists, nothing is uploaded)`,
        }),
      // A file the database refuses is downloaded again on the next page load; nothing else changes.
      onCacheSkipped: (error) =>
        this.emit('error', { code: error.code, message: error.message, operation: 'cache' }),
    });
    this.#tabs = new TabSync(config.site, (m) => void this.#onTabMessage(m));
    this.paused = (await this.store.getSetting('paused')) ?? false;
    this.profile = await this.store.getProfile();
    this.history.load(await this.store.events());
    const tfjsWasm = deps.wasmPaths ?? config.assets.tfjsWasmPath ?? assetBase(config);
    this.projectors = new ProjectorRuntime({
      server: config.server,
      store: this.store,
      fetch: deps.fetch,
      ...(tfjsWasm === undefined ? {} : { wasmPaths: tfjsWasm }),
      onBackend: (report) => this.emit('debug', { kind: 'log', message: report }),
      onWasmFailed: (files) => void this.reportMissingAssets(files, 'on-device learning'),
    });
    this.uploader = new Uploader({
      store: this.store,
      lockName: `${this.lockPrefix}:upload`,
      fetch: deps.fetch,
      now: deps.now,
      random: deps.random,
      ...(deps.uploadRetry ?? {}),
      onReport: (r) =>
        this.emit('upload', {
          roundId: r.roundId,
          bytes: r.bytes,
          outcome: r.outcome,
          attempts: r.attempts,
          ...(r.status === undefined ? {} : { status: r.status }),
        }),
    });
    this.#catalogSource = new CatalogSource({
      server: config.server,
      store: this.store,
      fetch: deps.fetch,
      now: deps.now,
    });
    const cached = await this.#catalogSource.cached();
    if (cached !== undefined) {
      await this.#useCatalog(cached);
      if (this.networkAllowed && (await this.#catalogSource.refreshDue()))
        void this.refreshCatalog();
    } else {
      await this.refreshCatalog();
    }
    const drain = (): void => {
      this.drainUploads().catch((e: unknown) => this.reportError('upload', e));
    };
    // Back online: the offline queue goes out without waiting for the retry timer.
    (
      globalThis as { addEventListener?: (type: string, listener: () => void) => void }
    ).addEventListener?.('online', drain);
    drain();
    this.emit('ready', this.diagnostics());
  }

  #scheduleRetry(at: number | undefined): void {
    clearTimeout(this.#retryTimer);
    if (at === undefined) return;
    const delay = Math.max(0, at - this.deps.now());
    this.#retryTimer = setTimeout(() => {
      this.drainUploads().catch((e: unknown) => this.reportError('upload', e));
    }, delay);
  }

  async #onTabMessage(message: TabMessage): Promise<void> {
    switch (message.type) {
      case 'profile': {
        if ((this.profile?.revision ?? 0) >= message.revision) return;
        this.profile = await this.store.getProfile();
        const p = this.profile;
        if (p) this.emit('profile', { revision: p.revision, updates: p.updates });
        return;
      }
      case 'impression':
        this.history.add(message.adIds, message.t);
        return;
      case 'paused':
        this.paused = message.paused;
        if (message.paused) this.stopSecureRound('the reader paused PrivAds in another tab');
        if (!message.paused)
          void this.drainUploads().catch((e: unknown) => this.reportError('upload', e));
        return;
      case 'forget':
        this.profile = undefined;
        this.history.clear();
        return;
    }
  }
}
