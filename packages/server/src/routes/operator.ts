/**
 * Operator endpoints (bearer token): closed rounds and their releases, the privacy ledger, version
 * history, a JSON metrics summary, closing a round, importing a catalog, and quality points.
 */
import { ProtocolError, decodeAggregateRelease, decodeCatalogBundle } from '@privads/protocol';

import { parseAdsJsonl } from '../catalog/ads-jsonl.js';
import { AppResponse } from '../http/app-response.js';
import { readCappedBody } from '../http/body.js';
import { HttpError } from '../http/errors.js';
import { bytesResponse, jsonResponse } from '../http/responses.js';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics.js';
import { parseQualityPoints } from '../quality-log.js';
import {
  AD_COUNTS_FORMATS,
  adCountsCsv,
  adCountsJson,
  adCountsSafetensors,
  type AdCountsFormat,
  type RoundAdCounts,
} from '../rounds/counts-export.js';
import { ledgerEpsilon } from '../rounds/privacy-ledger.js';
import { strongEtag } from '../store/etag.js';
import type { RoundRecord } from '../store/store.js';
import type { AppContext, Handler, RequestContext } from './context.js';
import { pathInteger } from './public.js';

/** Most rounds in one `GET /v1/rounds` page. */
const MAX_ROUNDS_PAGE = 500;
/** Largest catalog import body. */
const MAX_CATALOG_BYTES = 64 * 1024 * 1024;

function queryInteger(url: URL, name: string, fallback: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  if (!/^\d{1,10}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ProtocolError(
      'OUT_OF_RANGE',
      `${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`,
    );
  }
  return Number(raw);
}

/**
 * The operator's view of a closed round.
 * @param record - the stored round
 * @returns JSON summary
 */
export function roundSummary(record: RoundRecord): Record<string, unknown> {
  const c = record.config;
  const closed = record.closed;
  return {
    id: c.roundId,
    status: record.status,
    openedAt: record.openedAt,
    deadline: c.deadline,
    closedAt: closed?.closedAt ?? null,
    closedBy: closed?.closedBy ?? null,
    cohortSize: closed?.cohortSize ?? 0,
    kMin: c.kMin,
    denominator: closed?.denominator ?? 0,
    mode: c.privacy.mode,
    clipNorm: c.clipNorm,
    noiseMultiplier: closed?.noiseMultiplier ?? 0,
    sigma: closed?.sigma ?? 0,
    noise: closed?.noise ?? null,
    epsilon: closed?.epsilon ?? null,
    delta: closed?.delta ?? null,
    cumulativeEpsilon: closed?.cumulativeEpsilon ?? null,
    projectorVersion: c.projectorVersion,
    newProjectorVersion: closed?.newProjectorVersion ?? null,
    newCatalogVersion: closed?.newCatalogVersion ?? null,
    adaptiveClipping: closed?.adaptiveClipping ?? null,
    counts: closed?.counts ?? null,
    rejected: closed?.stats?.rejected ?? {},
    normHistogram: closed?.stats?.normHistogram ?? null,
  };
}

/** The released counts of a round with the ads of the catalog they index. */
async function roundAdCounts(app: AppContext, id: number): Promise<RoundAdCounts> {
  const bytes = await app.store.readRelease(id);
  if (bytes === undefined) throw new HttpError(404, 'NOT_FOUND', `round ${id} released nothing`);
  const { metadata, counts } = decodeAggregateRelease(bytes);
  if (metadata.counts === undefined || counts === undefined) {
    throw new HttpError(404, 'NOT_FOUND', `round ${id} released no per-ad counts`);
  }
  const version = metadata.counts.catalogVersion;
  const catalog = await app.store.readVersion('catalog', version);
  if (catalog === undefined) {
    throw new HttpError(404, 'NOT_FOUND', `catalog ${version} counted by round ${id} is missing`);
  }
  return {
    roundId: id,
    metadata: metadata.counts,
    counts,
    ads: decodeCatalogBundle(catalog.bytes).ads,
  };
}

function countsFormat(url: URL): AdCountsFormat {
  const raw = url.searchParams.get('format') ?? 'csv';
  if (!(AD_COUNTS_FORMATS as readonly string[]).includes(raw)) {
    throw new ProtocolError(
      'OUT_OF_RANGE',
      `format must be one of ${AD_COUNTS_FORMATS.join(', ')}, got ${JSON.stringify(raw)}`,
    );
  }
  return raw as AdCountsFormat;
}

async function readJson(app: AppContext, req: RequestContext): Promise<unknown> {
  const body = await readCappedBody(req.request, app.config.http.maxOperatorBodyBytes);
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (cause) {
    throw new ProtocolError('BAD_HEADER', 'the body must be JSON', { cause });
  }
}

const summary: Handler = async (app) => {
  const m = app.metrics;
  const byLabel = (
    values: ReturnType<typeof m.uploadsRejected.values>,
    label: string,
  ): Record<string, number> =>
    Object.fromEntries(values.map((v) => [v.labels[label] ?? '', v.value]));
  const accepted = m.uploadsAccepted.values().reduce((sum, v) => sum + v.value, 0);
  const open = await app.store.openRound();
  return jsonResponse(200, {
    uploads: {
      accepted,
      acceptedByEncoding: byLabel(m.uploadsAccepted.values(), 'encoding'),
      rejectedByReason: byLabel(m.uploadsRejected.values(), 'reason'),
    },
    roundsClosed: byLabel(m.roundsClosed.values(), 'outcome'),
    openRound: open
      ? { id: open.config.roundId, deadline: open.config.deadline, kMin: open.config.kMin }
      : null,
    store: app.store.kind,
  });
};

/** Operator handlers by operation id. */
export const OPERATOR_HANDLERS = {
  listRounds: async (app, req) => {
    const after = queryInteger(req.url, 'after', 0, 0, 2 ** 31);
    const limit = queryInteger(req.url, 'limit', 100, 1, MAX_ROUNDS_PAGE);
    const rounds = await app.store.closedRounds(after, limit);
    return jsonResponse(200, { rounds: rounds.map(roundSummary) });
  },
  getAggregate: async (app, req) => {
    const id = pathInteger(req.params.id, 'round id');
    const round = await app.store.getRound(id);
    if (round === undefined) throw new HttpError(404, 'NOT_FOUND', `round ${id} does not exist`);
    const bytes = await app.store.readRelease(id);
    if (bytes === undefined) {
      throw new HttpError(
        404,
        'NOT_FOUND',
        `round ${id} released nothing (status ${round.status})`,
      );
    }
    return bytesResponse(req.request, bytes, {
      contentType: 'application/vnd.privads.safetensors',
      etag: strongEtag(bytes),
      cache: 'immutable',
    });
  },
  getAdCounts: async (app, req) => {
    const id = pathInteger(req.params.id, 'round id');
    const format = countsFormat(req.url);
    const counts = await roundAdCounts(app, id);
    if (format === 'json') return jsonResponse(200, adCountsJson(counts));
    const bytes =
      format === 'csv'
        ? new TextEncoder().encode(adCountsCsv(counts))
        : adCountsSafetensors(counts);
    return bytesResponse(req.request, bytes, {
      contentType:
        format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.privads.safetensors',
      etag: strongEtag(bytes),
      cache: 'immutable',
      headers: {
        'Content-Disposition': `attachment; filename="round-${id}-counts.${format}"`,
      },
    });
  },
  getLedger: async (app) => {
    const entries = await app.store.ledger();
    const delta = app.config.round.privacy.mode === 'none' ? null : app.config.round.privacy.delta;
    return jsonResponse(200, {
      entries,
      delta,
      cumulativeEpsilon: delta === null ? null : ledgerEpsilon(entries, delta),
    });
  },
  getProjectorVersions: async (app) => {
    const [projectors, catalogs] = await Promise.all([
      app.store.versions('projector'),
      app.store.versions('catalog'),
    ]);
    return jsonResponse(200, { projectors, catalogs });
  },
  getMetricsSummary: summary,
  // Operator-only: exact live counts of uploads would tell anyone watching who takes part right now.
  getMetrics: async (app) =>
    new AppResponse(200, app.metrics.render(), {
      'Content-Type': PROMETHEUS_CONTENT_TYPE,
      'Cache-Control': 'no-store',
    }),
  closeRound: async (app) => {
    const result = await app.service.close('operator');
    if (result.outcome !== 'closed')
      throw new HttpError(409, 'CONFLICT', 'the round was closed meanwhile; retry');
    return jsonResponse(200, { closed: roundSummary(result.record), next: result.next.config });
  },
  importCatalog: async (app, req) => {
    const body = await readCappedBody(req.request, MAX_CATALOG_BYTES);
    const info = await app.importAds(parseAdsJsonl(new TextDecoder().decode(body)));
    return jsonResponse(201, info, { Location: `/v1/catalog/${info.version}` });
  },
  postQuality: async (app, req) => {
    const points = parseQualityPoints(await readJson(app, req));
    app.quality.add(points, new Date(app.clock()).toISOString());
    return jsonResponse(202, { added: points.length });
  },
  getQuality: async (app, req) => {
    const metric = req.url.searchParams.get('metric') ?? undefined;
    return jsonResponse(200, { points: app.quality.list(metric) });
  },
} satisfies Record<string, Handler>;
