import { readFile } from 'node:fs/promises';

import { describe, expect, it } from 'vitest';

import { OPENAPI_URL, ROUTES } from '@privads/server';

import { call, smallServer } from './helpers.js';

interface Operation {
  operationId: string;
  security: unknown[];
  responses: Record<string, unknown>;
}
type OpenApi = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown> };
};

const doc = JSON.parse(await readFile(OPENAPI_URL, 'utf8')) as OpenApi;

describe('openapi.json', () => {
  it('is OpenAPI 3.1 with a bearer scheme', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.operatorToken).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
  });

  it('documents exactly the routes of the router, with matching operation ids and security', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(
        ([method, op]) =>
          `${method.toUpperCase()} ${path} ${op.operationId} ${op.security.length > 0 ? 'operator' : 'open'}`,
      ),
    );
    const routed = ROUTES.map(
      (r) =>
        `${r.method} ${r.path} ${r.operationId} ${r.access === 'operator' ? 'operator' : 'open'}`,
    );
    expect(documented.sort()).toEqual(routed.sort());
  });

  it('resolves every $ref', () => {
    const text = JSON.stringify(doc);
    for (const [, ref] of text.matchAll(/"\$ref":"#\/([^"]+)"/g)) {
      let node: unknown = doc;
      for (const part of (ref as string).split('/')) node = (node as Record<string, unknown>)[part];
      expect(node, ref).toBeDefined();
    }
  });

  it('is served at /openapi.json', async () => {
    const { server, dispose } = await smallServer();
    try {
      const r = await call(server, '/openapi.json');
      expect(r.headers.get('content-type')).toContain('application/json');
      expect(await r.json()).toEqual(doc);
    } finally {
      await dispose();
    }
  });
});
