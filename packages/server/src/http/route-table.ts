/**
 * The route table: every path the server answers, its method, who may call it, and the name of its
 * handler (`operationId` in `openapi.json`). One list serves the router and the test that keeps the
 * OpenAPI document in step with it.
 */

/** Who may call a route. `public`: anyone (CORS `*`, no cookies); `operator`: bearer token; `static`: dashboard files. */
export type RouteAccess = 'public' | 'operator' | 'static';

/** One route. */
export interface RouteSpec {
  /** HTTP method. */
  readonly method: 'GET' | 'POST';
  /** OpenAPI path template, e.g. `/v1/rounds/{id}/updates`. */
  readonly path: string;
  /** Who may call it. */
  readonly access: RouteAccess;
  /** Handler name = OpenAPI `operationId`. */
  readonly operationId: OperationId;
  /** The last parameter takes the rest of the path, slashes included (static files). */
  readonly greedy?: boolean;
}

/** Handler names. */
export type OperationId =
  | 'getHealth'
  | 'getOpenApi'
  | 'getMetrics'
  | 'getRound'
  | 'postUpdate'
  | 'getSecAggStatus'
  | 'postSecAggKeys'
  | 'postSecAggRoster'
  | 'postSecAggShares'
  | 'postSecAggInbox'
  | 'postSecAggUnmask'
  | 'postSecAggReveal'
  | 'getLatestCatalog'
  | 'getCatalog'
  | 'getCatalogPqIndex'
  | 'getLatestProjector'
  | 'getProjectorVersions'
  | 'getProjector'
  | 'listRounds'
  | 'getAggregate'
  | 'getAdCounts'
  | 'getLedger'
  | 'getMetricsSummary'
  | 'closeRound'
  | 'importCatalog'
  | 'postQuality'
  | 'getQuality'
  | 'getDashboardIndex'
  | 'getDashboardFile';

/** Every route, most specific first (literal segments before parameters). */
export const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/healthz', access: 'public', operationId: 'getHealth' },
  { method: 'GET', path: '/openapi.json', access: 'public', operationId: 'getOpenApi' },
  { method: 'GET', path: '/metrics', access: 'operator', operationId: 'getMetrics' },
  { method: 'GET', path: '/v1/round', access: 'public', operationId: 'getRound' },
  { method: 'POST', path: '/v1/rounds/{id}/updates', access: 'public', operationId: 'postUpdate' },
  ...(
    [
      ['GET', '', 'getSecAggStatus'],
      ['POST', '/keys', 'postSecAggKeys'],
      ['POST', '/roster', 'postSecAggRoster'],
      ['POST', '/shares', 'postSecAggShares'],
      ['POST', '/inbox', 'postSecAggInbox'],
      ['POST', '/unmask', 'postSecAggUnmask'],
      ['POST', '/reveal', 'postSecAggReveal'],
    ] as const
  ).map(([method, step, operationId]) => ({
    method,
    path: `/v1/rounds/{id}/secagg${step}`,
    access: 'public' as const,
    operationId,
  })),
  { method: 'GET', path: '/v1/catalog/latest', access: 'public', operationId: 'getLatestCatalog' },
  { method: 'GET', path: '/v1/catalog/{version}', access: 'public', operationId: 'getCatalog' },
  {
    method: 'GET',
    path: '/v1/catalog/{version}/pq-index',
    access: 'public',
    operationId: 'getCatalogPqIndex',
  },
  {
    method: 'GET',
    path: '/v1/projector/latest',
    access: 'public',
    operationId: 'getLatestProjector',
  },
  {
    method: 'GET',
    path: '/v1/projector/versions',
    access: 'operator',
    operationId: 'getProjectorVersions',
  },
  { method: 'GET', path: '/v1/projector/{version}', access: 'public', operationId: 'getProjector' },
  { method: 'GET', path: '/v1/rounds', access: 'operator', operationId: 'listRounds' },
  {
    method: 'GET',
    path: '/v1/rounds/{id}/aggregate',
    access: 'operator',
    operationId: 'getAggregate',
  },
  {
    method: 'GET',
    path: '/v1/rounds/{id}/counts',
    access: 'operator',
    operationId: 'getAdCounts',
  },
  { method: 'GET', path: '/v1/privacy/ledger', access: 'operator', operationId: 'getLedger' },
  {
    method: 'GET',
    path: '/v1/metrics/summary',
    access: 'operator',
    operationId: 'getMetricsSummary',
  },
  { method: 'POST', path: '/v1/admin/rounds/close', access: 'operator', operationId: 'closeRound' },
  { method: 'POST', path: '/v1/admin/catalog', access: 'operator', operationId: 'importCatalog' },
  { method: 'POST', path: '/v1/admin/quality', access: 'operator', operationId: 'postQuality' },
  { method: 'GET', path: '/v1/quality', access: 'operator', operationId: 'getQuality' },
  { method: 'GET', path: '/dashboard', access: 'static', operationId: 'getDashboardIndex' },
  {
    method: 'GET',
    path: '/dashboard/{path}',
    access: 'static',
    operationId: 'getDashboardFile',
    greedy: true,
  },
];

/** A route with its compiled matcher. */
export interface CompiledRoute extends RouteSpec {
  /** Matches a pathname; groups are the parameters in order. */
  readonly pattern: RegExp;
  /** Parameter names in order. */
  readonly names: readonly string[];
}

/**
 * Compiles path templates into regular expressions.
 * @param routes - the table
 * @returns matchers in table order
 */
export function compileRoutes(routes: readonly RouteSpec[]): CompiledRoute[] {
  return routes.map((route) => {
    const names: string[] = [];
    const source = route.path
      .split('/')
      .map((segment) => {
        const m = /^\{(\w+)\}$/.exec(segment);
        if (!m) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(m[1] as string);
        return route.greedy ? '(.*)' : '([^/]+)';
      })
      .join('/');
    return { ...route, pattern: new RegExp(`^${source}$`), names };
  });
}

/** Result of {@link matchRoute}. */
export type RouteMatch =
  | { kind: 'found'; route: CompiledRoute; params: Record<string, string> }
  | { kind: 'method'; allowed: string[]; access: RouteAccess }
  | { kind: 'none' };

/**
 * Finds the route of a request.
 * @param routes - compiled table
 * @param method - request method
 * @param pathname - URL path
 * @returns the route and its parameters, or the allowed methods of a path, or nothing
 */
export function matchRoute(
  routes: readonly CompiledRoute[],
  method: string,
  pathname: string,
): RouteMatch {
  const allowed: string[] = [];
  let access: RouteAccess = 'public';
  for (const route of routes) {
    const m = route.pattern.exec(pathname);
    if (!m) continue;
    const methodOk = route.method === method || (method === 'HEAD' && route.method === 'GET');
    if (!methodOk) {
      allowed.push(route.method);
      access = route.access;
      continue;
    }
    const params: Record<string, string> = {};
    route.names.forEach((name, i) => {
      params[name] = decodeURIComponent(m[i + 1] ?? '');
    });
    return { kind: 'found', route, params };
  }
  return allowed.length > 0 ? { kind: 'method', allowed, access } : { kind: 'none' };
}
