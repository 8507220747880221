/**
 * One behaviour suite, run against every store (embedded here, PostgreSQL in postgres.test.ts):
 * a full round cycle through the HTTP API, nonce de-duplication, the k_min rollover, and every
 * bad-input class leaving the round unchanged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { decodeAggregateRelease, encodeUpdate, type RoundConfig } from '@privads/protocol';
import type { PrivAdsServer, RoundAccumulator } from '@privads/server';

import {
  call,
  operator,
  openRound,
  PARAMS,
  postUpload,
  upload,
  vectorWithNorm,
} from './helpers.js';

/** Makes a fresh server for one test. */
export type ServerFactory = () => Promise<{ server: PrivAdsServer; dispose: () => Promise<void> }>;

async function totals(server: PrivAdsServer, roundId: number): Promise<RoundAccumulator> {
  const t = await server.store.roundTotals(roundId);
  if (t === undefined) throw new Error(`round ${roundId} is not open`);
  return t;
}

/** Runs `run` on a fresh server from `factory`, disposing of it afterwards. */
export async function withServer(
  factory: ServerFactory,
  run: (server: PrivAdsServer) => Promise<void>,
): Promise<void> {
  const { server, dispose } = await factory();
  try {
    await run(server);
  } finally {
    await dispose();
  }
}

async function expectError(response: Response, status: number, code: string): Promise<void> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect({ status: response.status, code: body.error.code }).toEqual({ status, code });
  expect(typeof body.error.message).toBe('string');
}

/**
 * Registers the suite.
 * @param name - store name for the describe block
 * @param factory - fresh server per test
 */
export function behaviourSuite(name: string, factory: ServerFactory): void {
  describe(`behaviour (${name} store)`, () => {
    it('runs a full round: uploads, release, new projector, ledger', async () => {
      await withServer(factory, async (server) => {
        const round = await openRound(server);
        const vectors = [vectorWithNorm(0.5, 1), vectorWithNorm(0.8, 2), vectorWithNorm(0.3, 3)];
        for (const [i, v] of vectors.entries()) {
          const r = await postUpload(
            server,
            round.roundId,
            upload(round, v, (['f32', 'f16', 'int8'] as const)[i]),
          );
          expect(r.status).toBe(202);
        }
        expect((await totals(server, round.roundId)).count).toBe(3);
        const closed = await operator(server, '/v1/admin/rounds/close', { method: 'POST' });
        expect(closed.status).toBe(200);
        const body = (await closed.json()) as {
          closed: { status: string; cohortSize: number };
          next: RoundConfig;
        };
        expect(body.closed).toMatchObject({ status: 'released', cohortSize: 3 });
        expect(body.next).toMatchObject({
          roundId: round.roundId + 1,
          projectorVersion: round.projectorVersion + 1,
        });
        const aggregate = await operator(server, `/v1/rounds/${round.roundId}/aggregate`);
        expect(aggregate.status).toBe(200);
        const release = decodeAggregateRelease(new Uint8Array(await aggregate.arrayBuffer()));
        expect(release.metadata.cohortSize).toBe(3);
        // mode none: the release is the exact mean of the (f16/int8-decoded) uploads.
        const mean = vectors.reduce((acc, v) => acc + (v[0] as number), 0) / 3;
        expect(release.update[0]).toBeCloseTo(mean, 2);
        expect((await openRound(server)).roundId).toBe(round.roundId + 1);
        expect((await call(server, `/v1/projector/${round.projectorVersion + 1}`)).status).toBe(
          200,
        );
      });
    });

    it('counts a nonce once (409 for the repeat) and accepts it again in the next round', async () => {
      await withServer(factory, async (server) => {
        const round = await openRound(server);
        const body = upload(round, vectorWithNorm(0.5), 'f32', 'AAAAAAAAAAAAAAAAAAAAAA');
        expect((await postUpload(server, round.roundId, body)).status).toBe(202);
        const before = await totals(server, round.roundId);
        await expectError(
          await postUpload(server, round.roundId, body),
          409,
          'AGGREGATION_DUPLICATE_NONCE',
        );
        expect((await totals(server, round.roundId)).equals(before)).toBe(true);
        expect(before.count).toBe(1);
        await operator(server, '/v1/admin/rounds/close', { method: 'POST' });
        const next = await openRound(server);
        expect(next.roundId).toBe(round.roundId + 1);
        expect(
          (
            await postUpload(
              server,
              next.roundId,
              upload(next, vectorWithNorm(0.5), 'f32', 'AAAAAAAAAAAAAAAAAAAAAA'),
            )
          ).status,
        ).toBe(202);
      });
    });

    it('releases nothing below k_min and rolls over to a round on the same projector', async () => {
      await withServer(factory, async (server) => {
        const round = await openRound(server);
        expect(round.kMin).toBe(2);
        expect(
          (await postUpload(server, round.roundId, upload(round, vectorWithNorm(0.5)))).status,
        ).toBe(202);
        const closed = (await (
          await operator(server, '/v1/admin/rounds/close', { method: 'POST' })
        ).json()) as {
          closed: { status: string; cohortSize: number; epsilon: unknown };
          next: RoundConfig;
        };
        expect(closed.closed).toMatchObject({
          status: 'insufficient',
          cohortSize: 1,
          epsilon: null,
        });
        expect(closed.next.projectorVersion).toBe(round.projectorVersion);
        await expectError(
          await operator(server, `/v1/rounds/${round.roundId}/aggregate`),
          404,
          'NOT_FOUND',
        );
        const ledger = (await (await operator(server, '/v1/privacy/ledger')).json()) as {
          entries: unknown[];
        };
        expect(ledger.entries).toHaveLength(0);
        // The old round is now stale.
        await expectError(
          await postUpload(server, round.roundId, upload(round, vectorWithNorm(0.5))),
          409,
          'AGGREGATION_ROUND_CLOSED',
        );
      });
    });

    it('leaves the round unchanged for every bad-input class', async () => {
      await withServer(factory, async (server) => {
        const round = await openRound(server);
        expect(
          (await postUpload(server, round.roundId, upload(round, vectorWithNorm(0.4)))).status,
        ).toBe(202);
        const before = await totals(server, round.roundId);
        const id = round.roundId;
        const cases: Array<[string, () => Promise<Response>, number, string]> = [
          [
            'garbage body',
            () => postUpload(server, id, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])),
            400,
            'TRUNCATED',
          ],
          [
            'wrong magic',
            () => postUpload(server, id, new Uint8Array(64).fill(65)),
            400,
            'BAD_MAGIC',
          ],
          [
            'header for another round',
            () =>
              postUpload(server, id, upload({ ...round, roundId: id + 5 }, vectorWithNorm(0.4))),
            400,
            'BAD_HEADER',
          ],
          [
            'wrong length',
            () =>
              postUpload(
                server,
                id,
                encodeUpdate(
                  {
                    roundId: id,
                    projectorVersion: round.projectorVersion,
                    vector: new Float32Array(PARAMS - 1),
                  },
                  { encoding: 'f32' },
                ),
              ),
            400,
            'DIM_MISMATCH',
          ],
          [
            'operator call without token',
            () => call(server, '/v1/admin/rounds/close', { method: 'POST' }),
            401,
            'UNAUTHORIZED',
          ],
          [
            'operator call with a wrong token',
            () =>
              call(server, '/v1/admin/rounds/close', {
                method: 'POST',
                headers: { Authorization: 'Bearer wrong-token-wrong-token' },
              }),
            403,
            'UNAUTHORIZED',
          ],
          [
            'unknown round',
            () => postUpload(server, id + 7, upload(round, vectorWithNorm(0.4))),
            404,
            'NOT_FOUND',
          ],
          [
            'stale projector',
            () =>
              postUpload(
                server,
                id,
                upload(
                  { ...round, projectorVersion: round.projectorVersion + 3 },
                  vectorWithNorm(0.4),
                ),
              ),
            409,
            'AGGREGATION_STALE_ROUND',
          ],
          [
            'declared oversize',
            () =>
              call(server, `/v1/rounds/${id}/updates`, {
                method: 'POST',
                body: new Uint8Array(round.maxUploadBytes + 1),
              }),
            413,
            'OVERSIZE',
          ],
          [
            'norm above the clip',
            () => postUpload(server, id, upload(round, vectorWithNorm(1.5))),
            422,
            'OUT_OF_RANGE',
          ],
          [
            'rate limit',
            async () => {
              let last: Response | undefined;
              for (let i = 0; i < 7; i++)
                last = await postUpload(server, id, new Uint8Array(3), '203.0.113.9');
              return last as Response;
            },
            429,
            'RATE_LIMITED',
          ],
        ];
        for (const [what, send, status, code] of cases) {
          const response = await send();
          const body = (await response.json()) as { error: { code: string } };
          expect({ what, status: response.status, code: body.error.code }).toEqual({
            what,
            status,
            code,
          });
          expect((await totals(server, id)).equals(before), what).toBe(true);
        }
        const raw = encodeUpdate(
          {
            roundId: id,
            projectorVersion: round.projectorVersion,
            vector: new Float32Array(PARAMS),
          },
          { encoding: 'f32' },
        );
        // Patch a NaN into the vector bytes (the encoder refuses to write one).
        const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        view.setFloat32(raw.length - 4, Number.NaN, true);
        const response = await postUpload(server, id, raw);
        expect(response.status).toBe(422);
        expect((await totals(server, id)).equals(before)).toBe(true);
      });
    });

    it('never answers 5xx to random or mutated upload bodies, and never changes the round', async () => {
      await withServer(factory, async (server) => {
        const round = await openRound(server);
        const valid = upload(round, vectorWithNorm(0.4, 9));
        let before = await totals(server, round.roundId);
        await fc.assert(
          fc.asyncProperty(
            fc.oneof(
              fc.uint8Array({ maxLength: 400 }),
              fc
                .tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 1, max: 255 }))
                .map(([at, x]) => {
                  const copy = valid.slice();
                  copy[at] = (copy[at] as number) ^ x;
                  return copy;
                }),
              fc.nat({ max: valid.length - 1 }).map((n) => valid.slice(0, n)),
            ),
            async (body) => {
              const response = await postUpload(server, round.roundId, body);
              expect(response.status).toBeLessThan(500);
              if (response.status === 202) {
                // A flip inside the nonce or a value can still be a valid upload: it counts once.
                const after = await totals(server, round.roundId);
                expect(after.count).toBe(before.count + 1);
                before = after;
                return;
              }
              expect((await totals(server, round.roundId)).equals(before)).toBe(true);
            },
          ),
          { numRuns: 60 },
        );
      });
    });
  });
}
