import { createSecureUniformRandom } from '@privads/protocol';
import { cpuEngineProvider } from '../engines/cpu-engine.js';
import { EngineRegistry } from '../engines/engine.js';
import { wasmSimdEngineProvider } from '../engines/wasm-engine.js';
import { webGpuEngineProvider } from '../engines/webgpu-engine.js';
import type { WireRankRequest, WorkerApi, WorkerConfig, WorkerEvent } from '../protocol.js';
import { isFullEntry, type LedgerEntry, type LedgerRecord } from '../store/records.js';
import type {
  Diagnostics,
  ExportedEvent,
  FlushResult,
  ForgetOptions,
  PrivacyReport,
  ProfileExport,
  RankResult,
  UploadRecord,
} from '../types.js';
import { spendOf } from './accounting.js';
import { flush } from './flusher.js';
import { Learner } from './learner.js';
import { rankCatalog } from './ranker.js';
import { RoundWatcher } from './round-watcher.js';
import { Runtime, type RuntimeDeps } from './runtime.js';

/** Slots one rank call may fill. */
export const MAX_SLOTS = 100;

/**
 * The engines every worker registers: WebGPU first, then WebAssembly SIMD (when its probe measures
 * it faster than the CPU engine), then the CPU engine as the always-available fallback.
 */
export function defaultEngineRegistry(): EngineRegistry {
  return new EngineRegistry()
    .register(webGpuEngineProvider)
    .register(wasmSimdEngineProvider)
    .register(cpuEngineProvider);
}

const iso = (t: number): string => new Date(t).toISOString();

function uploadRecord(entry: LedgerEntry): UploadRecord {
  const { roundId, mode, epsilon, delta, bytes, at, status } = entry;
  return { roundId, mode, epsilon, delta, bytes, at: iso(at), status };
}

/** The uploads whose details are kept: stubs left by `forget()` have none to show. */
const uploadRecords = (ledger: readonly LedgerRecord[]): UploadRecord[] =>
  ledger.filter(isFullEntry).map(uploadRecord);

/** Dependencies a host may override (tests inject fakes; the worker uses the defaults). */
export type CoreDeps = Partial<Omit<RuntimeDeps, 'emit'>>;

/**
 * Everything the worker does, behind the {@link WorkerApi} the page calls through comlink. Also
 * usable in-process (unit tests run it in Node against an in-memory store and a fake server).
 */
export class PrivAdsCore implements WorkerApi {
  #runtime: Runtime | undefined;
  #learner: Learner | undefined;
  #watcher: RoundWatcher | undefined;
  readonly #deps: CoreDeps;

  /** @param deps - overrides of fetch, clock, randomness, engine registry, WASM location */
  constructor(deps: CoreDeps = {}) {
    this.#deps = deps;
  }

  async init(config: WorkerConfig, emit: (event: WorkerEvent) => void): Promise<void> {
    const d = this.#deps;
    const runtime = new Runtime(config, {
      fetch: d.fetch ?? ((input, init) => fetch(input, init)),
      now: d.now ?? Date.now,
      elapsed: d.elapsed ?? (() => performance.now()),
      random: d.random ?? createSecureUniformRandom(),
      registry: d.registry ?? defaultEngineRegistry(),
      emit,
      ...(d.wasmPaths === undefined ? {} : { wasmPaths: d.wasmPaths }),
      ...(d.uploadRetry === undefined ? {} : { uploadRetry: d.uploadRetry }),
      ...(d.openStore === undefined ? {} : { openStore: d.openStore }),
    });
    this.#runtime = runtime;
    this.#learner = new Learner(runtime);
    // Start in the background: the page's first call waits for it, createPrivAds does not.
    const started = runtime.ready();
    started.catch((e: unknown) => runtime.reportError('init', e));
    if (config.rounds.autoJoin) {
      const watcher = new RoundWatcher(
        {
          join: () => flush(runtime),
          report: (result) => {
            if (config.debug) {
              runtime.emit('debug', {
                kind: 'log',
                message: `round check: ${result.reason}: ${result.message}`,
              });
            }
          },
          fail: (error) => runtime.reportError('flush', error),
        },
        config.rounds.checkIntervalMs,
      );
      this.#watcher = watcher;
      // The first check once the worker is ready, whether or not the reader does anything.
      started.then(() => watcher.start()).catch(() => undefined);
    }
  }

  async rank(request: WireRankRequest): Promise<RankResult> {
    const runtime = this.#live();
    if (!Number.isInteger(request.slots) || request.slots < 1 || request.slots > MAX_SLOTS) {
      throw new RangeError(`slots must be an integer in [1, ${MAX_SLOTS}], got ${request.slots}`);
    }
    await runtime.ready();
    const catalog = runtime.catalog;
    if (catalog === undefined) {
      return { ads: [], source: 'fallback', personalised: false };
    }
    const { result, query } = await rankCatalog(runtime, catalog, request);
    (this.#learner as Learner).lastQuery = query.vector;
    return result;
  }

  recordImpression(adIds: readonly string[]): Promise<void> {
    this.#live();
    return (this.#learner as Learner).impression(adIds);
  }

  recordClick(adId: string): Promise<void> {
    this.#live();
    return (this.#learner as Learner).click(adId);
  }

  recordHide(adId: string): Promise<void> {
    this.#live();
    return (this.#learner as Learner).hide(adId);
  }

  recordRead(context: Float32Array | string, dwellMs: number): Promise<void> {
    this.#live();
    return (this.#learner as Learner).read(context, dwellMs);
  }

  flush(): Promise<FlushResult> {
    return flush(this.#live());
  }

  async pause(): Promise<void> {
    await this.#setPaused(true);
  }

  async resume(): Promise<void> {
    await this.#setPaused(false);
    void this.#live()
      .drainUploads()
      .catch((e: unknown) => this.#runtime?.reportError('upload', e));
  }

  async exportProfile(): Promise<ProfileExport> {
    const runtime = this.#live();
    await runtime.ready();
    const { store } = runtime;
    const profile = await store.getProfile();
    const events: ExportedEvent[] = (await store.events()).map((e) => {
      const at = iso(e.t);
      switch (e.kind) {
        case 'impression':
          return { kind: e.kind, at, adIds: [...e.adIds] };
        case 'click':
          return { kind: e.kind, at, adId: e.adId, adIds: [...e.slate] };
        case 'hide':
          return { kind: e.kind, at, adId: e.adId };
        case 'read':
          return { kind: e.kind, at, dwellMs: e.dwellMs };
      }
    });
    return {
      format: 'privads-profile-export',
      formatVersion: 1,
      site: runtime.config.site,
      exportedAt: iso(runtime.deps.now()),
      ...(profile === undefined
        ? {}
        : {
            profile: {
              vector: Array.from(profile.vector),
              updates: profile.updates,
              updatedAt: iso(profile.updatedAt),
            },
          }),
      events,
      ledger: uploadRecords(await store.ledger()),
      paused: runtime.paused,
    };
  }

  async forget(options: ForgetOptions = {}): Promise<void> {
    const runtime = this.#live();
    await runtime.ready();
    runtime.profile = undefined;
    runtime.history.clear();
    (this.#learner as Learner).lastQuery = undefined;
    if (options.everything === true) {
      // The database itself goes, stub included; the next write re-creates it, empty.
      const deleted = await runtime.store.destroy();
      if (!deleted) {
        runtime.emit('error', {
          code: 'STORAGE_BLOCKED',
          message:
            'everything was erased, but another connection still holds the database open: it is deleted when that closes',
          operation: 'forget',
        });
      }
    } else {
      // Everything about the reader goes; the participation stub stays, so that forgetting does
      // not reset the once-per-round rule, the round gap, the lifetime cap or the budget.
      await runtime.store.clearKeepingStub();
    }
    runtime.broadcast({ type: 'forget' });
    // The catalog cache went with everything else; keep serving the one in memory.
    runtime.emit('profile', { revision: 0, updates: 0 });
  }

  async privacyReport(): Promise<PrivacyReport> {
    const runtime = this.#live();
    await runtime.ready();
    const ledger = await runtime.store.ledger();
    const spend = spendOf(ledger);
    const floor = runtime.config.floor;
    return {
      site: runtime.config.site,
      floor,
      byMode: spend.byMode,
      rhoSpent: spend.totalRho,
      epsilonSpent: spend.totalEpsilon,
      epsilonRemaining: Math.max(0, floor.lifetimeEpsilon - spend.totalEpsilon),
      participations: ledger.length,
      uploads: uploadRecords(ledger),
      paused: runtime.paused,
      storage: runtime.store.kind,
    };
  }

  async diagnostics(): Promise<Diagnostics> {
    const runtime = this.#live();
    await runtime.ready();
    return runtime.diagnostics();
  }

  async close(): Promise<void> {
    this.#watcher?.stop();
    this.#watcher = undefined;
    await this.#runtime?.close();
    this.#runtime = undefined;
  }

  async #setPaused(paused: boolean): Promise<void> {
    const runtime = this.#live();
    await runtime.ready();
    runtime.paused = paused;
    // Paused means nothing is sent: a distributed round in progress is left (the device is dropped).
    if (paused) runtime.stopSecureRound('the reader paused PrivAds');
    await runtime.store.setSetting('paused', paused);
    runtime.broadcast({ type: 'paused', paused });
  }

  #live(): Runtime {
    if (this.#runtime === undefined)
      throw new Error('PrivAds worker used before init() or after close()');
    return this.#runtime;
  }
}
