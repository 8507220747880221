/**
 * A small, strict implementation of the client-facing PrivAds HTTP API for client tests: the
 * routes the browser library uses, real decoding of uploads, and a record of every request so
 * that tests can audit exactly what left the browser. Transport-free: `protocol-server.ts` puts it
 * behind `node:http`; unit tests call it through a fake `fetch`.
 */
import {
  decodeUpdate,
  updateVectorLength,
  type DecodedUpdate,
  type RoundConfig,
} from '@privads/protocol';
import type { Fixture } from './protocol-fixture.js';

/** One request as it arrived. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query. */
  readonly path: string;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/** One accepted upload. */
export interface ReceivedUpload {
  readonly roundId: number;
  readonly bytes: number;
  readonly update: DecodedUpdate;
}

/** What the handler answers. */
export interface HandlerResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'content-type',
  'access-control-max-age': '600',
};

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Server state and routes. */
export class ProtocolHandler {
  readonly requests: RecordedRequest[] = [];
  readonly uploads: ReceivedUpload[] = [];
  /** The open round, or `undefined` for none (GET /v1/round answers 204). */
  round: RoundConfig | undefined;
  /** When set, uploads are answered with this status instead of being processed (failure injection). */
  uploadStatus: number | undefined;
  readonly #catalogs = new Map<number, Uint8Array>();
  readonly #projectors = new Map<number, Uint8Array>();
  /** PQ indexes by catalog version; `undefined` announces one that is then missing (404). */
  readonly #pqIndexes = new Map<number, Uint8Array | undefined>();
  readonly #nonces = new Set<string>();
  #latest = -1;

  /** @param fixture - catalog and projector to serve first */
  constructor(fixture: Fixture) {
    this.publish(fixture);
  }

  /**
   * Serves another catalog/projector version (it becomes `latest`).
   * @param fixture - the artefacts
   */
  publish(fixture: Fixture): void {
    this.#catalogs.set(fixture.catalogVersion, fixture.catalogBytes);
    this.#projectors.set(fixture.projectorVersion, fixture.projectorBytes);
    if (fixture.pqIndexBytes !== undefined)
      this.#pqIndexes.set(fixture.catalogVersion, fixture.pqIndexBytes);
    this.#latest = Math.max(this.#latest, fixture.catalogVersion);
  }

  /**
   * Announces a PQ index for a catalog version and serves these bytes for it (failure injection:
   * bad bytes, or `undefined` for an announced index that answers 404).
   * @param catalogVersion - the catalog
   * @param bytes - what `GET /v1/catalog/{version}/pq-index` answers
   */
  servePqIndex(catalogVersion: number, bytes: Uint8Array | undefined): void {
    this.#pqIndexes.set(catalogVersion, bytes);
  }

  /** Requests other than CORS preflights. */
  get browserRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'OPTIONS');
  }

  /**
   * Answers one request.
   * @param request - method, path, headers, body
   * @returns status, headers and body
   */
  handle(request: RecordedRequest): HandlerResponse {
    this.requests.push(request);
    const { method, path } = request;
    const route = path.split('?')[0] ?? '';
    if (method === 'OPTIONS') return { status: 204, headers: CORS };
    if (method === 'GET' && route === '/v1/round') {
      if (this.round === undefined) return { status: 204, headers: CORS };
      return this.#ok('application/json', bytes(JSON.stringify(this.round)), {
        'cache-control': 'no-store',
      });
    }
    const catalog = /^\/v1\/catalog\/(latest|\d+)$/.exec(route);
    if (method === 'GET' && catalog) {
      const version = catalog[1] === 'latest' ? this.#latest : Number(catalog[1]);
      const body = this.#catalogs.get(version);
      const announce: Record<string, string> = this.#pqIndexes.has(version)
        ? {
            'privads-pq-index': `/v1/catalog/${version}/pq-index`,
            'access-control-expose-headers': 'ETag, PrivAds-PQ-Index',
          }
        : {};
      return body
        ? this.#ok('application/octet-stream', body, { etag: `"catalog-${version}"`, ...announce })
        : this.#status(404);
    }
    const pqIndex = /^\/v1\/catalog\/(\d+)\/pq-index$/.exec(route);
    if (method === 'GET' && pqIndex) {
      const body = this.#pqIndexes.get(Number(pqIndex[1]));
      return body ? this.#ok('application/vnd.privads.pq-index', body, {}) : this.#status(404);
    }
    const projector = /^\/v1\/projector\/(\d+)$/.exec(route);
    if (method === 'GET' && projector) {
      const body = this.#projectors.get(Number(projector[1]));
      return body ? this.#ok('application/octet-stream', body, {}) : this.#status(404);
    }
    const upload = /^\/v1\/rounds\/(\d+)\/updates$/.exec(route);
    if (method === 'POST' && upload) return this.#upload(Number(upload[1]), request);
    return this.#status(404);
  }

  #upload(roundId: number, request: RecordedRequest): HandlerResponse {
    if (this.uploadStatus !== undefined) return this.#status(this.uploadStatus);
    const round = this.round;
    if (round === undefined || round.roundId !== roundId) return this.#status(410);
    if (request.headers['content-type'] !== 'application/octet-stream') return this.#status(415);
    let update: DecodedUpdate;
    try {
      update = decodeUpdate(request.body, {
        expectedLength: updateVectorLength(round),
        maxBytes: round.maxUploadBytes,
      });
    } catch {
      return this.#status(400);
    }
    if (
      update.header.roundId !== roundId ||
      update.header.projectorVersion !== round.projectorVersion
    ) {
      return this.#status(400);
    }
    if (this.#nonces.has(update.header.nonce)) return this.#status(409);
    this.#nonces.add(update.header.nonce);
    this.uploads.push({ roundId, bytes: request.body.byteLength, update });
    return this.#status(202);
  }

  #ok(type: string, body: Uint8Array, extra: Record<string, string>): HandlerResponse {
    return { status: 200, headers: { ...CORS, 'content-type': type, ...extra }, body };
  }

  #status(status: number): HandlerResponse {
    return { status, headers: CORS };
  }
}
