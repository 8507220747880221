/**
 * Shared test fixtures: small servers (a 8→4 linear projector, 36 parameters) over temporary
 * embedded stores, and real encoded uploads.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ContentEncoder } from '@privads/encoder';
import { encodeUpdate, type RoundConfig, type UpdateEncoding } from '@privads/protocol';
import {
  createPrivAdsServer,
  type ConfigOverrides,
  type PrivAdsServer,
  type PrivAdsServerOptions,
} from '@privads/server';

export const TOKEN = 'operator-token-0123456789';
export const BASE = 'http://privads.test';
export const SMALL_CONFIG: ConfigOverrides = {
  projector: { kind: 'linear', contentDim: 8, userDim: 4, seed: 7 },
  round: {
    durationSeconds: 3600,
    clipNorm: 1,
    privacy: { mode: 'none' },
    kMin: 2,
    denominator: 'cohort',
    participation: { maxParticipationsPerDevice: 30, minRoundGap: 1, samplingProbability: 0.01 },
    acceptedEncodings: ['f32', 'f16', 'int8'],
  },
  optimizer: { kind: 'fedavg', learningRate: 1, momentum: 0 },
  store: { snapshotBytes: 1 << 20, flushIntervalMs: 50, flushMaxPending: 4, pollIntervalMs: 50 },
};
export const PARAMS = 8 * 4 + 4;

/** A temporary directory removed by the returned cleanup. */
export async function tempDir(
  prefix = 'privads-server-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A server over a fresh embedded store. */
export async function smallServer(
  overrides: Partial<PrivAdsServerOptions> = {},
): Promise<{ server: PrivAdsServer; dir: string; dispose: () => Promise<void> }> {
  const { dir, cleanup } = await tempDir();
  const server = await createPrivAdsServer({
    store: { kind: 'embedded', dataDir: dir },
    operatorToken: TOKEN,
    config: SMALL_CONFIG,
    ...overrides,
  });
  return {
    server,
    dir,
    dispose: async () => {
      await server.close();
      await cleanup();
    },
  };
}

/** A vector of `PARAMS` values with L2 norm `norm`, direction from `seed`. */
export function vectorWithNorm(norm: number, seed = 1, length = PARAMS): Float32Array {
  const v = new Float32Array(length);
  let s = 0;
  for (let i = 0; i < length; i++) {
    v[i] = Math.sin(seed * 12.9898 + i * 78.233);
    s += (v[i] as number) ** 2;
  }
  const k = norm / Math.sqrt(s);
  for (let i = 0; i < length; i++) v[i] = (v[i] as number) * k;
  return v;
}

/** An encoded upload for a round. */
export function upload(
  config: RoundConfig,
  vector: Float32Array,
  encoding: UpdateEncoding = 'f32',
  nonce?: string,
): Uint8Array {
  return encodeUpdate(
    { roundId: config.roundId, projectorVersion: config.projectorVersion, vector },
    { encoding, ...(nonce === undefined ? {} : { nonce }) },
  );
}

/** `server.fetch` with a path relative to {@link BASE}. */
export function call(
  server: PrivAdsServer,
  path: string,
  init: RequestInit = {},
  remoteAddress?: string,
): Promise<Response> {
  return server.fetch(
    new Request(`${BASE}${path}`, init),
    remoteAddress === undefined ? {} : { remoteAddress },
  );
}

/** An operator call. */
export function operator(
  server: PrivAdsServer,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  return call(server, path, {
    ...init,
    headers: { Authorization: `Bearer ${TOKEN}`, ...(init.headers as Record<string, string>) },
  });
}

/** The open round config. */
export async function openRound(server: PrivAdsServer): Promise<RoundConfig> {
  return (await (await call(server, '/v1/round')).json()) as RoundConfig;
}

/** Upload bytes typed as a fetch body. */
export const asBody = (bytes: Uint8Array): BodyInit => bytes as Uint8Array<ArrayBuffer>;

/** POSTs an upload. */
export function postUpload(
  server: PrivAdsServer,
  roundId: number,
  body: Uint8Array,
  remoteAddress?: string,
): Promise<Response> {
  return call(
    server,
    `/v1/rounds/${roundId}/updates`,
    { method: 'POST', body: asBody(body), headers: { 'Content-Type': 'application/octet-stream' } },
    remoteAddress,
  );
}

/** A deterministic 8-d encoder (hash of the text), so catalog endpoints run without onnxruntime. */
export const hashEncoder: ContentEncoder = {
  id: 'test-hash-8',
  dim: 8,
  async encode(texts) {
    const out = new Float32Array(texts.length * 8);
    texts.forEach((t, r) => {
      for (let i = 0; i < t.length; i++)
        out[r * 8 + (t.charCodeAt(i) % 8)] = (out[r * 8 + (t.charCodeAt(i) % 8)] as number) + 1;
      let n = 0;
      for (let i = 0; i < 8; i++) n += (out[r * 8 + i] as number) ** 2;
      for (let i = 0; i < 8; i++) out[r * 8 + i] = (out[r * 8 + i] as number) / Math.sqrt(n);
    });
    return out;
  },
  async dispose() {},
};
