/**
 * The HTTP application, written once: `handle(request)` answers a request with a response. The
 * node:http adapter calls it with its own light request and writes the response to the socket;
 * in-process callers (the simulator, tests) go through {@link createHandler}, which speaks Fetch
 * `Request` and `Response`. Both take the same code path.
 */
import type { AppRequest } from './http/app-request.js';
import { AppResponse, toFetchResponse } from './http/app-response.js';
import { preflightHeaders, PUBLIC_CORS_HEADERS } from './http/cors.js';
import { HttpError, toHttpError } from './http/errors.js';
import { errorResponse } from './http/responses.js';
import { compileRoutes, matchRoute, ROUTES, type OperationId } from './http/route-table.js';
import type { AppContext, Handler } from './routes/context.js';
import { DASHBOARD_HANDLERS } from './routes/dashboard.js';
import { OPERATOR_HANDLERS } from './routes/operator.js';
import { PUBLIC_HANDLERS } from './routes/public.js';
import { SECAGG_HANDLERS } from './routes/secagg.js';

/** Every handler; the type makes a route without a handler a compile error. */
const HANDLERS: Record<OperationId, Handler> = {
  ...PUBLIC_HANDLERS,
  ...SECAGG_HANDLERS,
  ...OPERATOR_HANDLERS,
  ...DASHBOARD_HANDLERS,
};
const COMPILED = compileRoutes(ROUTES);

/** Per-request information the Fetch API does not carry. */
export interface RequestInfo {
  /** The peer's address (set by the node:http adapter); absent for in-process calls, which are not rate-limited. */
  remoteAddress?: string;
}

function clientKey(app: AppContext, request: AppRequest, info: RequestInfo): string | undefined {
  if (app.config.http.trustProxy) {
    const hops = request.headers
      .get('x-forwarded-for')
      ?.split(',')
      .map((h) => h.trim())
      .filter(Boolean);
    const last = hops?.at(-1);
    if (last) return last;
  }
  return info.remoteAddress;
}

/**
 * Builds the request handler, on Fetch `Request` and `Response`.
 * @param app - the server's parts
 * @returns `handle(request, info)`; never rejects (errors become JSON error responses)
 */
export function createHandler(
  app: AppContext,
): (request: Request, info?: RequestInfo) => Promise<Response> {
  return toFetchHandler(createAppHandler(app));
}

/**
 * The Fetch face of an application handler.
 * @param handle - as {@link createAppHandler} builds it
 * @returns `handle(request, info)` on Fetch `Request` and `Response`
 */
export function toFetchHandler(
  handle: (request: AppRequest, info?: RequestInfo) => Promise<AppResponse>,
): (request: Request, info?: RequestInfo) => Promise<Response> {
  return async (request, info) => toFetchResponse(await handle(request, info));
}

/**
 * Builds the request handler on the application's own request and response types.
 * @param app - the server's parts
 * @returns `handle(request, info)`; never rejects (errors become JSON error responses)
 */
export function createAppHandler(
  app: AppContext,
): (request: AppRequest, info?: RequestInfo) => Promise<AppResponse> {
  return async (request, info = {}) => {
    const started = process.hrtime.bigint();
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return errorResponse(new HttpError(400, 'BAD_HEADER', 'invalid request URL'));
    }
    const match = matchRoute(
      COMPILED,
      request.method === 'OPTIONS' ? 'GET' : request.method,
      url.pathname,
    );
    let cors: Readonly<Record<string, string>> = PUBLIC_CORS_HEADERS;
    let routeName = 'unmatched';
    let response: AppResponse;
    try {
      if (request.method === 'OPTIONS') {
        const methods = ROUTES.filter(
          (r) =>
            r.access === 'public' &&
            COMPILED.find((c) => c.path === r.path)?.pattern.test(url.pathname),
        ).map((r) => r.method);
        if (methods.length === 0)
          throw new HttpError(404, 'NOT_FOUND', `no public route ${url.pathname}`);
        response = new AppResponse(204, null, preflightHeaders(methods));
      } else if (match.kind === 'none') {
        throw new HttpError(404, 'NOT_FOUND', `no route ${request.method} ${url.pathname}`);
      } else if (match.kind === 'method') {
        if (match.access !== 'public') cors = {};
        throw new HttpError(405, 'NOT_FOUND', `${request.method} is not allowed here`, {
          Allow: match.allowed.join(', '),
        });
      } else {
        const route = match.route;
        routeName = route.path;
        if (route.access !== 'public') cors = {};
        if (route.access === 'operator') app.auth.check(request.headers.get('authorization'));
        response = await HANDLERS[route.operationId](app, {
          request,
          url,
          params: match.params,
          client: clientKey(app, request, info),
        });
      }
      response.setHeaders(cors);
    } catch (error) {
      const http = toHttpError(error);
      if (http.status >= 500)
        app.logger.log('error', 'http.error', {
          route: routeName,
          method: request.method,
          error: http.cause ?? http,
        });
      response = errorResponse(http, { ...cors });
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    app.metrics.requests.inc({
      route: routeName,
      method: request.method,
      status: String(response.status),
    });
    app.metrics.requestLatency.observe(seconds, { route: routeName });
    if (routeName === '/v1/rounds/{id}/updates') {
      app.metrics.uploadLatency.observe(seconds, {
        outcome: response.status === 202 ? 'accepted' : 'rejected',
      });
    }
    return response;
  };
}
