/**
 * The operator API as the dashboard reads it (bearer token). Shapes mirror the server's JSON; only
 * the fields the dashboard draws are typed.
 */

/** A closed round (`GET /v1/rounds`). */
export interface RoundSummary {
  readonly id: number;
  readonly status: 'open' | 'released' | 'insufficient';
  readonly openedAt: string;
  readonly closedAt: string | null;
  readonly cohortSize: number;
  readonly kMin: number;
  readonly mode: string;
  readonly clipNorm: number;
  readonly epsilon: number | null;
  readonly cumulativeEpsilon: number | null;
  readonly newProjectorVersion: number | null;
  readonly rejected: Record<string, number>;
  readonly normHistogram: { readonly bounds: number[]; readonly counts: number[] } | null;
  /** The per-ad counts the round released, if it counted ads. */
  readonly counts: {
    readonly sigma: number;
    readonly maxImpressions: number;
    readonly maxClicks: number;
  } | null;
}

/** A round's released per-ad counts (`GET /v1/rounds/{id}/counts?format=json`). */
export interface RoundAdCounts {
  readonly roundId: number;
  readonly counts: { readonly sigma: number; readonly catalogVersion: number };
  readonly ads: readonly {
    readonly id: string;
    readonly advertiser: string;
    readonly impressions: number;
    readonly clicks: number;
  }[];
}

/** One release in the privacy ledger. */
export interface LedgerEntry {
  readonly roundId: number;
  readonly releasedAt: string;
  readonly epsilon: number | null;
  readonly cumulativeEpsilon: number | null;
  readonly cohortSize: number;
}

/** A published projector or catalog version. */
export interface VersionInfo {
  readonly version: number;
  readonly createdAt: string;
  readonly byteLength: number;
}

/** `GET /v1/metrics/summary`. */
export interface MetricsSummary {
  readonly uploads: {
    readonly accepted: number;
    readonly rejectedByReason: Record<string, number>;
  };
  readonly roundsClosed: Record<string, number>;
  readonly openRound: {
    readonly id: number;
    readonly deadline: string;
    readonly kMin: number;
  } | null;
  readonly store: string;
}

/** A quality point. */
export interface QualityPoint {
  readonly round: number;
  readonly metric: string;
  readonly value: number;
}

/** Thrown for 401/403, so the page can ask for the token again. */
export class UnauthorizedError extends Error {
  override readonly name = 'UnauthorizedError';
}

/** Reads the operator API of the server that served this page. */
export class OperatorApi {
  readonly #token: string;

  /** @param token - the operator bearer token */
  constructor(token: string) {
    this.#token = token;
  }

  async #get<T>(path: string): Promise<T> {
    const response = await fetch(path, {
      headers: { Authorization: `Bearer ${this.#token}` },
      cache: 'no-store',
    });
    if (response.status === 401 || response.status === 403)
      throw new UnauthorizedError('the operator token was refused');
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return (await response.json()) as T;
  }

  /** @param after - last round id already loaded */
  rounds(after: number): Promise<{ rounds: RoundSummary[] }> {
    return this.#get(`/v1/rounds?after=${after}&limit=500`);
  }

  ledger(): Promise<{
    entries: LedgerEntry[];
    cumulativeEpsilon: number | null;
    delta: number | null;
  }> {
    return this.#get('/v1/privacy/ledger');
  }

  versions(): Promise<{ projectors: VersionInfo[]; catalogs: VersionInfo[] }> {
    return this.#get('/v1/projector/versions');
  }

  summary(): Promise<MetricsSummary> {
    return this.#get('/v1/metrics/summary');
  }

  quality(): Promise<{ points: QualityPoint[] }> {
    return this.#get('/v1/quality');
  }

  /** @param roundId - a round that released counts */
  adCounts(roundId: number): Promise<RoundAdCounts> {
    return this.#get(`/v1/rounds/${roundId}/counts?format=json`);
  }
}
