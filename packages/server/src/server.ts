/**
 * `createPrivAdsServer`: one server instance — store, round service, HTTP application — usable
 * in-process (`fetch(request)`) or on a port (`listen`).
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

import type { RandomSource } from '@privads/dp';
import type { ContentEncoder } from '@privads/encoder';

import { createAppHandler, toFetchHandler, type RequestInfo } from './app.js';
import { publishCatalog } from './catalog/import.js';
import {
  resolveConfig,
  type ConfigOverrides,
  type RoundSettings,
  type ServerConfig,
} from './config.js';
import { BearerAuth } from './http/auth.js';
import { BufferPool } from './http/buffer-pool.js';
import { serveApp } from './http/node-adapter.js';
import { RateLimiter } from './http/rate-limit.js';
import { retainFreedHeap } from './http/retain-freed-heap.js';
import { silentLogger, type Logger } from './log.js';
import { ServerMetrics } from './metrics.js';
import { openApiBytes } from './openapi-document.js';
import { QualityLog } from './quality-log.js';
import { RoundService } from './rounds/round-service.js';
import { openStore, type StoreLocation } from './store/open-store.js';
import type { CloseRoundResult, Store } from './store/store.js';

/** The store contract, as the server's public API calls it. */
export type ServerStore = Store;

/** Options of {@link createPrivAdsServer}. */
export interface PrivAdsServerOptions {
  /** An open store (not closed by the server), or where to open one. */
  store: ServerStore | StoreLocation;
  /** Operator bearer token (≥ 16 characters); without one the operator API answers 403. */
  operatorToken?: string;
  /** Configuration overrides (merged over `DEFAULT_CONFIG`). */
  config?: ConfigOverrides;
  /** Round template overrides, applied over `config.round`. */
  roundDefaults?: Partial<RoundSettings>;
  /**
   * Current time in ms since the epoch (deadlines, rate limits).
   * @defaultValue `Date.now`
   */
  clock?: () => number;
  /**
   * Content encoder for `POST /v1/admin/catalog`.
   * @defaultValue the default encoder via `createNodeEncoder()`, created on first use
   */
  encoder?: ContentEncoder;
  /** Log sink. @defaultValue silent */
  logger?: Logger;
  /** Randomness of the central noise. @defaultValue the CSPRNG of `@privads/dp` */
  noiseSource?: RandomSource;
  /** Static dashboard directory. @defaultValue `dist/dashboard/` next to the server code, when it exists */
  dashboardDir?: string;
  /** Deadline check period while listening, ms. @defaultValue 1000 */
  deadlineCheckMs?: number;
}

/** A running server. */
export interface PrivAdsServer {
  /**
   * Answers one request (in-process calls are not rate-limited).
   * @param request - the request
   * @param info - peer address, set by the node:http adapter
   * @returns the response (never rejects)
   */
  fetch(request: Request, info?: RequestInfo): Promise<Response>;
  /**
   * Serves on a port (0: any free port). Also raises the process's glibc heap thresholds, so that
   * freed request buffers are reused instead of faulted in again (`http/retain-freed-heap.ts`;
   * `MALLOC_TRIM_THRESHOLD_` and its siblings, when set, win).
   * @param port - TCP port
   * @param host - interface @defaultValue `127.0.0.1`
   * @returns the base URL
   */
  listen(port: number, host?: string): Promise<{ url: string }>;
  /** Stops listening, the deadline timer and the store (when the server opened it). */
  close(): Promise<void>;
  /**
   * Closes the open round now (operator action).
   * @returns the closed and the next round, or `not-open` if another close won
   */
  closeRound(): Promise<CloseRoundResult>;
  /** The resolved configuration. */
  readonly config: ServerConfig;
  /** The store. */
  readonly store: ServerStore;
  /** The metrics. */
  readonly metrics: ServerMetrics;
}

const isStore = (value: ServerStore | StoreLocation): value is ServerStore => 'initialize' in value;

function defaultDashboardDir(): string | undefined {
  const dir = fileURLToPath(new URL('./dashboard/', import.meta.url));
  return existsSync(dir) ? dir : undefined;
}

/**
 * Creates a server: opens (and initialises) the store, builds the HTTP application.
 * @param options - store, token, configuration, clock, encoder
 * @returns the server (not yet listening)
 * @throws RangeError for invalid configuration or a short token; StorageError when the store cannot be opened
 */
export async function createPrivAdsServer(options: PrivAdsServerOptions): Promise<PrivAdsServer> {
  const overrides: ConfigOverrides = options.roundDefaults
    ? { ...options.config, round: { ...options.config?.round, ...options.roundDefaults } }
    : (options.config ?? {});
  const config = resolveConfig(overrides);
  const auth = new BearerAuth(options.operatorToken);
  const clock = options.clock ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const metrics = new ServerMetrics();
  const owned = !isStore(options.store);
  const store = isStore(options.store)
    ? options.store
    : await openStore(options.store, config, (seconds) =>
        metrics.storeCommitLatency.observe(seconds),
      );
  const service = new RoundService({
    store,
    config,
    clock,
    logger,
    metrics,
    ...(options.noiseSource ? { source: options.noiseSource } : {}),
  });
  try {
    await service.initialize();
  } catch (error) {
    if (owned) await store.close();
    throw error;
  }
  let encoder: Promise<ContentEncoder> | undefined = options.encoder
    ? Promise.resolve(options.encoder)
    : undefined;
  const handle = createAppHandler({
    service,
    store,
    config,
    metrics,
    logger,
    clock,
    auth,
    uploadBuffers: new BufferPool(),
    limits: {
      uploads: new RateLimiter(config.http.rateLimit.uploads),
      reads: new RateLimiter(config.http.rateLimit.reads),
    },
    quality: new QualityLog(),
    openapi: openApiBytes,
    dashboardDir: options.dashboardDir ?? defaultDashboardDir(),
    importAds: async (ads) => {
      encoder ??= import('@privads/encoder-node').then((m) => m.createNodeEncoder());
      return publishCatalog(store, ads, await encoder, config);
    },
  });

  let http: Server | undefined;
  const server: PrivAdsServer = {
    config,
    store,
    metrics,
    fetch: toFetchHandler(handle),
    closeRound: () => service.close('operator'),
    async listen(port, host = '127.0.0.1') {
      retainFreedHeap();
      const s = createServer();
      serveApp(s, handle, {
        origin: `http://${host.includes(':') ? `[${host}]` : host}`,
        onWriteError: (error) => logger.log('error', 'http.write_failed', { error }),
      });
      http = s;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, host, () => resolve());
      });
      service.startDeadlineTimer(options.deadlineCheckMs ?? 1000);
      const address = s.address() as AddressInfo;
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      const url = `http://${shown}:${address.port}`;
      logger.log('info', 'server.listening', { url, store: store.kind });
      return { url };
    },
    async close() {
      service.stopDeadlineTimer();
      if (http) {
        const s = http;
        http = undefined;
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        });
      }
      if (encoder && !options.encoder) await (await encoder).dispose();
      if (owned) await store.close();
    },
  };
  return server;
}
