/**
 * `privads-server pull`: downloads released aggregates from a server's operator API and writes
 * `round-<id>.safetensors` (the noised mean update, loadable with `safetensors` in PyTorch/NumPy)
 * and `round-<id>.json` (release metadata and the round summary) into a directory; for a round that
 * released per-ad counts also `round-<id>-counts.csv` (one row per ad, for billing).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { decodeAggregateRelease, deserializeError, PrivAdsError } from '@privads/protocol';

/** Options of {@link pullReleases}. */
export interface PullOptions {
  /** Server base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Operator token. */
  token: string;
  /** Only rounds with a greater id. @defaultValue 0 */
  since?: number;
  /** Output directory (created if missing). */
  out: string;
  /** Fetch implementation. @defaultValue `globalThis.fetch` */
  fetch?: (request: Request) => Promise<Response>;
}

/** A written release. */
export interface PulledRelease {
  /** Round id. */
  roundId: number;
  /** Path of the safetensors file. */
  safetensors: string;
  /** Path of the JSON file. */
  json: string;
  /** Path of the per-ad counts CSV (rounds that released counts). */
  countsCsv?: string;
}

async function expectOk(response: Response, what: string): Promise<Response> {
  if (response.ok) return response;
  const body = (await response.json().catch(() => undefined)) as
    { error?: { code?: string; message?: string } } | undefined;
  const error = body?.error;
  if (error?.code && error.message)
    throw deserializeError({
      name: 'PrivAdsError',
      code: error.code,
      message: `${what}: ${error.message}`,
    });
  throw new PrivAdsError('NETWORK', `${what}: HTTP ${response.status}`);
}

/**
 * Pulls every released aggregate after `since`.
 * @param options - server, token, since, output directory
 * @returns what was written, oldest round first
 * @throws PrivAdsError with the server's error code (e.g. `UNAUTHORIZED`), or `NETWORK`
 */
export async function pullReleases(options: PullOptions): Promise<PulledRelease[]> {
  const doFetch = options.fetch ?? ((r: Request) => globalThis.fetch(r));
  const headers = { Authorization: `Bearer ${options.token}` };
  const base = options.url.replace(/\/+$/, '');
  await mkdir(options.out, { recursive: true });
  const written: PulledRelease[] = [];
  let after = options.since ?? 0;
  for (;;) {
    const page = await expectOk(
      await doFetch(new Request(`${base}/v1/rounds?after=${after}&limit=100`, { headers })),
      'list rounds',
    );
    const { rounds } = (await page.json()) as { rounds: Array<{ id: number; status: string }> };
    for (const round of rounds) {
      after = round.id;
      if (round.status !== 'released') continue;
      const response = await expectOk(
        await doFetch(new Request(`${base}/v1/rounds/${round.id}/aggregate`, { headers })),
        `round ${round.id}`,
      );
      const bytes = new Uint8Array(await response.arrayBuffer());
      const { metadata } = decodeAggregateRelease(bytes);
      const safetensors = join(options.out, `round-${round.id}.safetensors`);
      const json = join(options.out, `round-${round.id}.json`);
      await writeFile(safetensors, bytes);
      await writeFile(json, `${JSON.stringify({ release: metadata, round }, null, 2)}\n`);
      let countsCsv: string | undefined;
      if (metadata.counts !== undefined) {
        const counts = await expectOk(
          await doFetch(
            new Request(`${base}/v1/rounds/${round.id}/counts?format=csv`, { headers }),
          ),
          `round ${round.id} counts`,
        );
        countsCsv = join(options.out, `round-${round.id}-counts.csv`);
        await writeFile(countsCsv, new Uint8Array(await counts.arrayBuffer()));
      }
      written.push({ roundId: round.id, safetensors, json, ...(countsCsv ? { countsCsv } : {}) });
    }
    if (rounds.length < 100) return written;
  }
}
