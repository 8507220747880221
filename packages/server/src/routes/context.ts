/**
 * What every route handler receives: the server's parts and the request being handled.
 */
import type { ServerConfig } from '../config.js';
import type { AppRequest } from '../http/app-request.js';
import type { AppResponse } from '../http/app-response.js';
import type { BearerAuth } from '../http/auth.js';
import type { BufferPool } from '../http/buffer-pool.js';
import type { RateLimiter } from '../http/rate-limit.js';
import type { Logger } from '../log.js';
import type { ServerMetrics } from '../metrics.js';
import type { QualityLog } from '../quality-log.js';
import type { RoundService } from '../rounds/round-service.js';
import type { Store, VersionInfo } from '../store/store.js';
import type { CatalogAdInput } from '../catalog/ads-jsonl.js';

/** The server's parts, shared by every request. */
export interface AppContext {
  /** Round life cycle. */
  readonly service: RoundService;
  /** Persistent state. */
  readonly store: Store;
  /** Configuration. */
  readonly config: ServerConfig;
  /** Metrics. */
  readonly metrics: ServerMetrics;
  /** Structured log. */
  readonly logger: Logger;
  /** Current time, ms. */
  readonly clock: () => number;
  /** Operator authentication. */
  readonly auth: BearerAuth;
  /** Buffers of upload bodies, reused from one upload to the next. */
  readonly uploadBuffers: BufferPool;
  /** Per-client rate limits. */
  readonly limits: { readonly uploads: RateLimiter; readonly reads: RateLimiter };
  /** Quality points fed by the simulator or an evaluation job. */
  readonly quality: QualityLog;
  /** The OpenAPI document bytes. */
  readonly openapi: () => Promise<Uint8Array>;
  /** Directory of the dashboard's static files (undefined: none). */
  readonly dashboardDir: string | undefined;
  /** Publishes a catalog version from ads (encodes and projects them). */
  readonly importAds: (ads: readonly CatalogAdInput[]) => Promise<VersionInfo>;
}

/** One request. */
export interface RequestContext {
  /** The request. */
  readonly request: AppRequest;
  /** Its parsed URL. */
  readonly url: URL;
  /** Path parameters. */
  readonly params: Readonly<Record<string, string>>;
  /** Rate-limit key of the caller (undefined for in-process calls, which are not limited). */
  readonly client: string | undefined;
}

/** A route handler. */
export type Handler = (app: AppContext, req: RequestContext) => Promise<AppResponse>;
