/**
 * Public endpoints: health, the round config, update uploads, catalogs and projectors. Anyone may
 * call them (CORS `*`, never cookies); uploads and reads are rate-limited per client.
 */
import { AggregationError, type RoundConfig } from '@privads/protocol';

import { AppResponse } from '../http/app-response.js';
import { readCappedBody } from '../http/body.js';
import { acceptsGzip, gzipVariant } from '../http/gzip-variant.js';
import { HttpError, toHttpError } from '../http/errors.js';
import { bytesResponse, jsonResponse } from '../http/responses.js';
import type { VersionKind } from '../store/store.js';
import type { AppContext, Handler, RequestContext } from './context.js';

/**
 * Parses a positive integer path parameter.
 * @param value - the raw parameter
 * @param name - its name for the message
 * @returns the integer
 * @throws HttpError 404 for anything else (no such resource)
 */
export function pathInteger(value: string | undefined, name: string): number {
  if (value === undefined || !/^[1-9]\d{0,9}$/.test(value)) {
    throw new HttpError(
      404,
      'NOT_FOUND',
      `${name} must be a positive integer, got ${JSON.stringify(value)}`,
    );
  }
  return Number(value);
}

/**
 * Takes one token of the caller's rate-limit bucket.
 * @param app - the server
 * @param req - the request
 * @param kind - which bucket
 * @throws HttpError 429 with `Retry-After` when the bucket is empty
 */
export function takeToken(app: AppContext, req: RequestContext, kind: 'uploads' | 'reads'): void {
  if (req.client === undefined) return;
  const wait = app.limits[kind].take(req.client, app.clock());
  if (wait > 0) {
    throw new HttpError(429, 'RATE_LIMITED', `too many requests; retry in ${Math.ceil(wait)} s`, {
      'Retry-After': String(Math.ceil(wait)),
    });
  }
}

const CONTENT_TYPE: Record<VersionKind, string> = {
  catalog: 'application/vnd.privads.catalog',
  projector: 'application/vnd.privads.safetensors',
};
const VERSION_HEADER: Record<VersionKind, string> = {
  catalog: 'PrivAds-Catalog-Version',
  projector: 'PrivAds-Projector-Version',
};
const LOCATION: Record<VersionKind, string> = {
  catalog: '/v1/catalog/',
  projector: '/v1/projector/',
};

/**
 * Response header announcing a catalog version's PQ index: the index's path, so a client learns
 * from the catalog response itself that an index exists, without a probe.
 */
export const PQ_INDEX_HEADER = 'PrivAds-PQ-Index';

/** @param catalogVersion - a catalog version @returns the path of its PQ index */
export const pqIndexPath = (catalogVersion: number): string =>
  `${LOCATION.catalog}${catalogVersion}/pq-index`;

async function serveVersion(
  app: AppContext,
  req: RequestContext,
  kind: VersionKind,
  version: number | 'latest',
): Promise<AppResponse> {
  takeToken(app, req, 'reads');
  const n = version === 'latest' ? (await app.store.latest(kind))?.version : version;
  const found = n === undefined ? undefined : await app.store.readVersion(kind, n);
  if (found === undefined) {
    throw new HttpError(
      404,
      'NOT_FOUND',
      version === 'latest'
        ? `no ${kind} has been published yet`
        : `${kind} ${version} does not exist`,
    );
  }
  return bytesResponse(req.request, found.bytes, {
    contentType: CONTENT_TYPE[kind],
    etag: found.info.etag,
    // A versioned URL never changes; "latest" must be revalidated (the ETag makes that cheap).
    cache: version === 'latest' ? 'revalidate' : 'immutable',
    headers: {
      [VERSION_HEADER[kind]]: String(found.info.version),
      ...(version === 'latest'
        ? { 'Content-Location': `${LOCATION[kind]}${found.info.version}` }
        : {}),
      ...(found.info.pqIndex === undefined
        ? {}
        : { [PQ_INDEX_HEADER]: pqIndexPath(found.info.version) }),
    },
  });
}

/**
 * `GET /v1/catalog/{version}/pq-index`: the whole index of one catalog version, the same bytes for
 * every reader (no range, shard or query parameter is honoured: which part a device asked for would
 * tell the server its interests). gzip when the client accepts it and it is smaller.
 */
const getCatalogPqIndex: Handler = async (app, req) => {
  takeToken(app, req, 'reads');
  const version = pathInteger(req.params.version, 'catalog version');
  const info = (await app.store.versions('catalog')).find((v) => v.version === version);
  const bytes = info?.pqIndex === undefined ? undefined : await app.store.readPqIndex(version);
  if (info?.pqIndex === undefined || bytes === undefined) {
    throw new HttpError(
      404,
      'NOT_FOUND',
      info === undefined
        ? `catalog ${version} does not exist`
        : `catalog ${version} has no PQ index`,
    );
  }
  const gzipped = acceptsGzip(req.request)
    ? await gzipVariant(bytes, info.pqIndex.etag)
    : undefined;
  return bytesResponse(req.request, gzipped?.bytes ?? bytes, {
    contentType: 'application/vnd.privads.pq-index',
    etag: gzipped?.etag ?? info.pqIndex.etag,
    cache: 'immutable',
    headers: {
      'PrivAds-Catalog-Version': String(version),
      // Caches must not hand a gzip body to a client that did not ask for one.
      Vary: 'Accept-Encoding',
      ...(gzipped === undefined ? {} : { 'Content-Encoding': 'gzip' }),
    },
  });
};

/** `POST /v1/rounds/{id}/updates`. */
const postUpdate: Handler = async (app, req) => {
  let config: RoundConfig | undefined;
  try {
    takeToken(app, req, 'uploads');
    const roundId = pathInteger(req.params.id, 'round id');
    config = (await app.service.current()).config;
    if (roundId !== config.roundId) {
      const known = roundId < config.roundId && (await app.store.getRound(roundId)) !== undefined;
      if (!known)
        throw new HttpError(
          404,
          'NOT_FOUND',
          `round ${roundId} does not exist; the open round is ${config.roundId}`,
        );
      throw new AggregationError(
        'AGGREGATION_ROUND_CLOSED',
        `round ${roundId} is closed; the open round is ${config.roundId}`,
      );
    }
    const body = await readCappedBody(req.request, config.maxUploadBytes, app.uploadBuffers);
    try {
      const { nonce } = await app.service.submit(config, body);
      return jsonResponse(202, { accepted: true, roundId, nonce });
    } finally {
      // `submit` settles only once the store is done with the bytes (logged, or summed).
      app.uploadBuffers.give(body);
    }
  } catch (error) {
    const http = toHttpError(error);
    if (http.status < 500) {
      // A refusal before the round was read (rate limit, bad path) still belongs to the open round.
      config ??= app.service.lastOpenRound;
      app.service.rejected(config, http.code);
    }
    throw http;
  }
};

/** Public handlers by operation id. */
export const PUBLIC_HANDLERS = {
  getHealth: async (app) => {
    const open = await app.store.openRound();
    return jsonResponse(200, {
      status: 'ok',
      store: app.store.kind,
      round: open?.config.roundId ?? null,
    });
  },
  getOpenApi: async (app, req) => {
    const bytes = await app.openapi();
    return new AppResponse(200, req.request.method === 'HEAD' ? null : bytes, {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-cache',
    });
  },
  getRound: async (app, req) => {
    takeToken(app, req, 'reads');
    const open = await app.service.current();
    const seconds = Math.max(
      0,
      Math.floor((Date.parse(open.config.deadline) - app.clock()) / 1000),
    );
    // Cached until the deadline at most, so a CDN never serves a closed round's config for long.
    return jsonResponse(200, open.config, {
      'Cache-Control': `public, max-age=${Math.min(seconds, 60)}`,
    });
  },
  postUpdate,
  getLatestCatalog: (app, req) => serveVersion(app, req, 'catalog', 'latest'),
  getCatalog: (app, req) =>
    serveVersion(app, req, 'catalog', pathInteger(req.params.version, 'catalog version')),
  getCatalogPqIndex,
  getLatestProjector: (app, req) => serveVersion(app, req, 'projector', 'latest'),
  getProjector: (app, req) =>
    serveVersion(app, req, 'projector', pathInteger(req.params.version, 'projector version')),
} satisfies Record<string, Handler>;
