import { proxy, transfer, wrap } from 'comlink';
import { Emitter, type Listener } from './events.js';
import { resolveOptions } from './options.js';
import type { WireContext, WorkerApi, WorkerConfig, WorkerEvent } from './protocol.js';
import type {
  Diagnostics,
  FlushResult,
  ForgetOptions,
  PrivacyReport,
  PrivAdsEventType,
  PrivAdsOptions,
  ProfileExport,
  RankContext,
  RankRequest,
  ReadContext,
  RankResult,
  Slate,
} from './types.js';

/** The object `createPrivAds` returns. No method ever rejects: failures become events and fallbacks. */
export interface PrivAds {
  /**
   * Ranks the catalog for this reader.
   * @param request - number of slots, optional page context (text or embedding)
   * @returns ranked ads with scores and "why this ad"; the `fallbackAds` when nothing else works
   */
  rank(request: RankRequest): Promise<RankResult>;
  /**
   * Records that a slate was shown (frequency caps, click attribution).
   * @param slate - a `rank` result or the shown ad ids in order
   */
  recordImpression(slate: Slate): Promise<void>;
  /** @param adId - the clicked ad: one learning step of the profile, persisted before this resolves */
  recordClick(adId: string): Promise<void>;
  /** @param adId - an ad the reader marked "not interested": pushed away, not shown again */
  recordHide(adId: string): Promise<void>;
  /**
   * Records that the reader read an article.
   * @param context - the article's text (encoded in the worker), or its embedding (content space,
   *   or user space)
   * @param dwellMs - reading time; under 3 s nothing is learned (and no text is encoded)
   */
  recordRead(context: ReadContext, dwellMs: number): Promise<void>;
  /**
   * Joins the current training round now if every rule allows it: computes the round's update
   * (a zero update when there is nothing to learn from), clips, noises, encodes and uploads it
   * once; otherwise says why not. With `rounds.autoJoin` (the default) the worker also does this by
   * itself; call it on a schedule, never in response to the reader's actions.
   * @returns what happened, with a stable `reason`
   */
  flush(): Promise<FlushResult>;
  /** Stops learning and every request until {@link PrivAds.resume}; persists across reloads and tabs. */
  pause(): Promise<void>;
  /** Undoes {@link PrivAds.pause}. */
  resume(): Promise<void>;
  /** @returns everything stored about the reader, as a JSON-serialisable document */
  exportProfile(): Promise<ProfileExport>;
  /**
   * Deletes everything PrivAds stored about the reader for this site scope on this device: the
   * profile, the events, queued uploads, caches and the upload details. What stays is the
   * participation stub: the rounds this device joined and the privacy they cost (round id, mode,
   * ε, δ), this round's sampling draw and the pause, so that forgetting does not let the device
   * join a round twice or restart its privacy budget.
   * With `{ everything: true }` the stub goes too, the IndexedDB database included: the device can
   * then join rounds again as if it were new. The instance keeps working either way.
   * @param options - `everything`: also delete the participation stub
   */
  forget(options?: ForgetOptions): Promise<void>;
  /** @returns ε spent per mode, participations, and each upload's round, size and time (never content) */
  privacyReport(): Promise<PrivacyReport>;
  /** @returns runtime, storage and engine state, with why each engine was or was not chosen */
  diagnostics(): Promise<Diagnostics>;
  /**
   * Subscribes to an event.
   * @param type - `ready`, `error`, `fallback`, `upload`, `profile` or `debug`
   * @param listener - called with the event's payload
   * @returns a function that unsubscribes
   */
  on<K extends PrivAdsEventType>(type: K, listener: Listener<K>): () => void;
  /** Stops the worker and releases storage; later calls return fallbacks. */
  close(): Promise<void>;
}

type Backend = {
  readonly api: WorkerApi;
  readonly runtime: 'worker' | 'main-thread';
  readonly worker?: Worker;
};

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A page context as it crosses to the worker: text as it is, embeddings as a fresh `Float32Array`
 * (always a copy: its buffer is transferred).
 * @throws TypeError for anything else
 */
function toWire(context: ReadContext): { value: Float32Array | string; transfers: Transferable[] } {
  if (typeof context === 'string') return { value: context, transfers: [] };
  if (!(context instanceof Float32Array || Array.isArray(context))) {
    throw new TypeError(`context must be text or an embedding, got ${typeof context}`);
  }
  const vector = Float32Array.from(context);
  return { value: vector, transfers: [vector.buffer] };
}

/**
 * The main-thread side: validates arguments, forwards calls to the worker (or, if no module
 * worker can start, to an in-page runtime without personalisation), and turns every failure into
 * an event plus a safe result.
 */
class PrivAdsClient implements PrivAds {
  readonly #config: WorkerConfig;
  readonly #options: PrivAdsOptions;
  readonly #events = new Emitter();
  #backend: Promise<Backend | undefined>;

  constructor(options: PrivAdsOptions, config: WorkerConfig) {
    this.#options = options;
    this.#config = config;
    if (config.debug) {
      for (const type of ['ready', 'error', 'fallback', 'upload', 'profile', 'debug'] as const) {
        this.#events.on(type, (detail) => console.debug(`PrivAds ${type}`, detail));
      }
    }
    // Deferred so that listeners registered right after createPrivAds see the first events.
    this.#backend = Promise.resolve().then(() => this.#start());
  }

  on<K extends PrivAdsEventType>(type: K, listener: Listener<K>): () => void {
    return this.#events.on(type, listener);
  }

  rank(request: RankRequest): Promise<RankResult> {
    const fallback = (): RankResult => this.#fallbackRank(request?.slots);
    const slots = request?.slots;
    if (!Number.isInteger(slots) || slots < 1 || slots > 100) {
      return this.#fail(
        'rank',
        new RangeError(`slots must be an integer in [1, 100], got ${slots}`),
        fallback,
      );
    }
    return this.#call('rank', fallback, async (api) => {
      const context: RankContext | undefined = request.context;
      let result: RankResult;
      if (context === undefined) {
        result = await api.rank({ slots });
      } else {
        const { value, transfers } = toWire(context.text ?? context.embedding);
        const wire: WireContext =
          typeof value === 'string' ? { text: value } : { embedding: value };
        result = await api.rank(transfer({ slots, context: wire }, transfers));
      }
      // No catalog could be loaded: the publisher's house ads, if any.
      return result.source === 'fallback' ? fallback() : result;
    });
  }

  recordImpression(slate: Slate): Promise<void> {
    const ids = Array.isArray(slate) ? slate : (slate as RankResult)?.ads?.map((ad) => ad.id);
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
      return this.#fail(
        'recordImpression',
        new TypeError('slate must be a rank() result or an array of ad ids'),
        () => undefined,
      );
    }
    if (!Array.isArray(slate) && (slate as RankResult).source === 'fallback')
      return Promise.resolve();
    return this.#learning('recordImpression', (api) => api.recordImpression([...ids]));
  }

  recordClick(adId: string): Promise<void> {
    return this.#learning('recordClick', (api) => api.recordClick(String(adId)));
  }

  recordHide(adId: string): Promise<void> {
    return this.#learning('recordHide', (api) => api.recordHide(String(adId)));
  }

  recordRead(context: ReadContext, dwellMs: number): Promise<void> {
    if (!(typeof dwellMs === 'number' && dwellMs >= 0)) {
      return this.#fail(
        'recordRead',
        new RangeError(`dwellMs must be a number >= 0, got ${dwellMs}`),
        () => undefined,
      );
    }
    return this.#learning('recordRead', (api) => {
      const { value, transfers } = toWire(context);
      // comlink keys transfers by object: a string is passed as it is.
      return api.recordRead(
        typeof value === 'string' ? value : transfer(value, transfers),
        dwellMs,
      );
    });
  }

  flush(): Promise<FlushResult> {
    const unavailable = (): FlushResult => ({
      status: 'skipped',
      reason: 'unavailable',
      message: 'PrivAds is running without its worker: nothing is learned or uploaded',
    });
    return this.#call('flush', unavailable, (api, runtime) =>
      runtime === 'worker' ? api.flush() : Promise.resolve(unavailable()),
    );
  }

  pause(): Promise<void> {
    return this.#call(
      'pause',
      () => undefined,
      (api) => api.pause(),
    );
  }

  resume(): Promise<void> {
    return this.#call(
      'resume',
      () => undefined,
      (api) => api.resume(),
    );
  }

  exportProfile(): Promise<ProfileExport> {
    return this.#call<ProfileExport>(
      'exportProfile',
      () => ({
        format: 'privads-profile-export',
        formatVersion: 1,
        site: this.#config.site,
        exportedAt: new Date().toISOString(),
        events: [],
        ledger: [],
        paused: false,
      }),
      (api) => api.exportProfile(),
    );
  }

  forget(options?: ForgetOptions): Promise<void> {
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      return this.#fail(
        'forget',
        new TypeError(`options must be an object, got ${JSON.stringify(options)}`),
        () => undefined,
      );
    }
    const everything = options?.everything === true;
    return this.#call(
      'forget',
      () => undefined,
      (api) => api.forget({ everything }),
    );
  }

  privacyReport(): Promise<PrivacyReport> {
    const none = { participations: 0, rho: 0, epsilon: 0, delta: 0 };
    return this.#call<PrivacyReport>(
      'privacyReport',
      () => ({
        site: this.#config.site,
        floor: this.#config.floor,
        byMode: { none, central: none, distributed: none, local: none },
        rhoSpent: 0,
        epsilonSpent: 0,
        epsilonRemaining: this.#config.floor.lifetimeEpsilon,
        participations: 0,
        uploads: [],
        paused: false,
        storage: 'memory',
      }),
      (api) => api.privacyReport(),
    );
  }

  diagnostics(): Promise<Diagnostics> {
    return this.#call<Diagnostics>(
      'diagnostics',
      () => ({
        runtime: 'none',
        storage: 'none',
        engines: [],
        profileUpdates: 0,
        paused: false,
        missingAssets: [],
      }),
      async (api, runtime) => ({ ...(await api.diagnostics()), runtime }),
    );
  }

  async close(): Promise<void> {
    const backend = await this.#backend;
    this.#backend = Promise.resolve(undefined);
    try {
      await backend?.api.close();
    } catch {
      // The worker may already be gone; terminating it below is all that is left to do.
    }
    backend?.worker?.terminate();
  }

  #onEvent = (event: WorkerEvent): void => {
    // A missing asset is a deployment mistake the publisher must see without listening for events.
    if (event.type === 'fallback' && event.detail.what === 'asset') {
      console.warn(`PrivAds: ${event.detail.reason}`);
    }
    this.#events.emit(event.type, event.detail as never);
  };

  async #start(): Promise<Backend | undefined> {
    // For the message only: through a variable, so that bundlers do not take it for an asset.
    const moduleUrl = import.meta.url;
    const script = this.#options.workerUrl ?? new URL('./privads.worker.js', moduleUrl);
    try {
      return await this.#startWorker(script);
    } catch (error) {
      const reason = `the PrivAds worker ${String(script)} could not start (${messageOf(error)}); ranking without personalisation in the page`;
      // Usually a bundling mistake (a worker script that was not emitted): say so in the console.
      console.warn(`PrivAds: ${reason}. See docs/api.md, "Bundling and serving the assets".`);
      this.#events.emit('fallback', { what: 'worker', reason });
    }
    try {
      const { PrivAdsCore } = await import('./worker/core.js');
      const core = new PrivAdsCore();
      // No encoder in the page: onnxruntime-web would run on the main thread.
      // Nothing is uploaded from memory storage: no round checks either.
      const rounds = { ...this.#config.rounds, autoJoin: false };
      await core.init(
        { ...this.#config, storage: 'memory', encoder: false, rounds },
        this.#onEvent,
      );
      return { api: core, runtime: 'main-thread' };
    } catch (error) {
      this.#events.emit('error', {
        code: 'INTERNAL',
        message: messageOf(error),
        operation: 'init',
      });
      return undefined;
    }
  }

  async #startWorker(script: string | URL): Promise<Backend> {
    const name = 'privads';
    // Bundlers recognise and rewrite only this exact expression: keep it literal.
    const worker =
      this.#options.workerUrl === undefined
        ? new Worker(new URL('./privads.worker.js', import.meta.url), { type: 'module', name })
        : new Worker(script, { type: 'module', name });
    // A module that fails to load only shows up as an `error` event, never as a rejected call.
    const loadFailure = new Promise<never>((_, reject) => {
      worker.addEventListener('error', (event) => {
        event.preventDefault();
        reject(new Error(event.message || 'the worker script failed to load'));
      });
    });
    const api = wrap<WorkerApi>(worker) as unknown as WorkerApi;
    try {
      await Promise.race([api.init(this.#config, proxy(this.#onEvent)), loadFailure]);
      // The diagnostics round-trip proves the module evaluated and answers.
      await Promise.race([api.diagnostics(), loadFailure]);
    } catch (error) {
      worker.terminate();
      throw error;
    }
    return { api, runtime: 'worker', worker };
  }

  #fallbackRank(slots: unknown): RankResult {
    const n = Number.isInteger(slots) ? (slots as number) : 0;
    const ads = (this.#options.fallbackAds ?? []).slice(0, Math.max(0, n)).map((ad) => ({
      ...ad,
      score: 0,
      why: { code: 'fallback' as const, text: 'Shown to every reader (not personalised)' },
    }));
    return { ads, source: 'fallback', personalised: false };
  }

  async #fail<T>(operation: string, error: unknown, fallback: () => T): Promise<T> {
    const code = (error as { code?: unknown })?.code;
    this.#events.emit('error', {
      code:
        typeof code === 'string'
          ? code
          : error instanceof RangeError || error instanceof TypeError
            ? 'INVALID_ARGUMENT'
            : 'INTERNAL',
      message: messageOf(error),
      operation,
    });
    return fallback();
  }

  /** Learning calls: no-ops without the worker (the in-page fallback is not personalised). */
  #learning(operation: string, run: (api: WorkerApi) => Promise<void>): Promise<void> {
    return this.#call(
      operation,
      () => undefined,
      (api, runtime) => (runtime === 'worker' ? run(api) : Promise.resolve()),
    );
  }

  async #call<T>(
    operation: string,
    fallback: () => T,
    run: (api: WorkerApi, runtime: Backend['runtime']) => Promise<T>,
  ): Promise<T> {
    try {
      const backend = await this.#backend;
      if (backend === undefined) return fallback();
      return await run(backend.api, backend.runtime);
    } catch (error) {
      return this.#fail(operation, error, fallback);
    }
  }
}

/**
 * Creates a PrivAds instance. Returns at once: the worker, the catalog download and tfjs start
 * in the background, and the first `rank` waits for them.
 * @param options - server, site scope, privacy floor, engine, policy, storage, debug
 * @returns the instance
 * @throws TypeError / RangeError for invalid options (the only exceptions PrivAds ever throws)
 */
export function createPrivAds(options: PrivAdsOptions): PrivAds {
  const host = typeof location === 'undefined' ? 'default' : location.host || 'default';
  const base = typeof document === 'undefined' ? globalThis.location?.href : document.baseURI;
  return new PrivAdsClient(options, resolveOptions(options, host, base));
}
