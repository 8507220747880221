/**
 * The operator dashboard's static files (built into `dist/dashboard/` by the demo). No auth: the
 * files hold no data; the page asks for the operator token and calls the operator API with it.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

import { AppResponse } from '../http/app-response.js';
import { HttpError } from '../http/errors.js';
import { bytesResponse } from '../http/responses.js';
import { strongEtag } from '../store/etag.js';
import type { Handler } from './context.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const notFound = (what: string): HttpError => new HttpError(404, 'NOT_FOUND', `${what} not found`);

/** Static-file handlers by operation id. */
export const DASHBOARD_HANDLERS = {
  getDashboardIndex: async () => new AppResponse(308, null, { Location: '/dashboard/' }),
  getDashboardFile: async (app, req) => {
    const root = app.dashboardDir;
    if (root === undefined) throw notFound('the dashboard is not installed:');
    const relative =
      req.params.path === '' || req.params.path === undefined ? 'index.html' : req.params.path;
    if (
      relative.split('/').some((part) => part === '..' || part.startsWith('.')) ||
      relative.includes('\0')
    ) {
      throw notFound(relative);
    }
    const base = resolve(root);
    const path = resolve(join(base, relative));
    if (!path.startsWith(base + sep)) throw notFound(relative);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) throw notFound(relative);
    const bytes = new Uint8Array(await readFile(path));
    return bytesResponse(req.request, bytes, {
      contentType: TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
      etag: strongEtag(bytes),
      cache: 'revalidate',
      headers: { 'X-Content-Type-Options': 'nosniff' },
    });
  },
} satisfies Record<string, Handler>;
