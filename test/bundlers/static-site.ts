/**
 * A static file server for a built app, like a publisher's: files by extension with their MIME
 * type (`.wasm` as `application/wasm`), 404 for anything else, GET and HEAD. It logs every request,
 * so the suite can tell what a page downloaded and whether anything answered 404.
 */
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.css': 'text/css',
  '.map': 'application/json',
};

/** One request the site answered. */
export interface ServedRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly status: number;
  /** The file's bytes (undefined when none was served). */
  readonly body?: Buffer;
}

/** A running site. */
export interface StaticSite {
  readonly url: string;
  /** Every request so far, in order. */
  readonly log: ServedRequest[];
  close(): Promise<void>;
}

/**
 * Serves `root` on a free port of 127.0.0.1 (`/` is `index.html`).
 * @param root - the built app's folder
 * @returns the site
 */
export async function serveStatic(root: string): Promise<StaticSite> {
  const log: ServedRequest[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://site').pathname);
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    const type = TYPES[extname(file)];
    const answer = (status: number, body?: Buffer): void => {
      log.push({ method: req.method ?? 'GET', path, status, ...(body ? { body } : {}) });
      res.writeHead(status, body && type ? { 'content-type': type } : {});
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (!file.startsWith(root) || type === undefined) return answer(404);
    readFile(file).then(
      (body) => answer(200, body),
      () => answer(404),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    // The pages may still hold sockets (Chromium also opens speculative ones that never carry a
    // request); `close()` alone waits for them, which once took Chromium's 5-minute idle timeout.
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
