/**
 * The pool of upload body buffers: a buffer is lent to one borrower at a time, whatever the
 * borrowers do wrong, and idle memory stays bounded. Then the upload route with the pool: bodies
 * that share buffers one after another are each counted exactly, and refused bodies (a word out of
 * range, a body cut short) neither corrupt the round nor keep their buffer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { encodeMaskedUpdate, parseRoundConfig } from '@privads/protocol';
import { createPrivAdsServer, RoundAccumulator } from '@privads/server';

import { jsonClient } from '../bench/json-client.mjs';
import { admitSyntheticCohort } from '../bench/synthetic-cohort.mjs';
import { BufferPool } from '../src/http/buffer-pool.js';
import { readCappedBody } from '../src/http/body.js';
import { addWordsLoop, MaskedBatch } from '../src/store/masked-batch.js';
import { asBody, call, tempDir } from './helpers.js';
import { DISTRIBUTED_CONFIG } from './secure-round-driver.js';

describe('BufferPool', () => {
  it('never lends one buffer to two borrowers, whatever order takes and gives come in', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ take: fc.constantFrom(8, 16) }),
            fc.record({ give: fc.nat(20), twice: fc.boolean() }),
          ),
          { maxLength: 60 },
        ),
        (steps) => {
          const pool = new BufferPool({ maxIdleBytes: 40 });
          const held: Uint8Array[] = [];
          for (const step of steps) {
            if ('take' in step) {
              const bytes = pool.take(step.take);
              expect(bytes.length).toBe(step.take);
              expect(bytes.byteOffset).toBe(0);
              expect(bytes.buffer.byteLength).toBe(step.take);
              expect(held).not.toContain(bytes);
              held.push(bytes);
            } else if (held.length > 0) {
              const [bytes] = held.splice(step.give % held.length, 1) as [Uint8Array];
              pool.give(bytes);
              // A second give of the same buffer, or of a buffer the pool never lent, is ignored.
              if (step.twice) pool.give(bytes);
              pool.give(new Uint8Array(bytes.length));
            }
            expect(pool.idleBytes).toBeLessThanOrEqual(40);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('lends a given-back buffer again for the same length, and refuses bad lengths', () => {
    const pool = new BufferPool();
    const first = pool.take(1000);
    pool.give(first);
    expect(pool.idleBytes).toBe(1000);
    expect(pool.take(999)).not.toBe(first);
    expect(pool.take(1000)).toBe(first);
    expect(pool.idleBytes).toBe(0);
    expect(() => pool.take(-1)).toThrow(RangeError);
    expect(() => pool.take(1.5)).toThrow(RangeError);
    expect(() => new BufferPool({ maxIdleBytes: -1 })).toThrow(RangeError);
  });

  it('takes the buffer back when the body is refused while it is read', async () => {
    const pool = new BufferPool();
    const short = new Request('http://x/', {
      method: 'POST',
      body: new Uint8Array(10),
      headers: { 'content-length': '20' },
    });
    await expect(readCappedBody(short, 100, pool)).rejects.toMatchObject({ code: 'TRUNCATED' });
    expect(pool.idleBytes).toBe(20);
    const body = await readCappedBody(
      new Request('http://x/', { method: 'POST', body: new Uint8Array(20).fill(7) }),
      100,
      pool,
    );
    expect([...body]).toEqual(new Array(20).fill(7));
  });
});

describe('MaskedBatch', () => {
  it('sums words exactly for any length (the four-word loop and its tail)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 23 }).chain((length) =>
          fc.array(fc.array(fc.nat(2 ** 20 - 1), { minLength: length, maxLength: length }), {
            minLength: 1,
            maxLength: 6,
          }),
        ),
        (vectors) => {
          const [first, ...rest] = vectors.map((v) => Uint32Array.from(v));
          const batch = new MaskedBatch(1, 'n0', first!, 20);
          rest.forEach((words, i) => batch.add(`n${i + 1}`, words));
          const expected = first!.map((_, j) => vectors.reduce((s, v) => s + v[j]!, 0));
          expect([...batch.sum]).toEqual([...expected]);
          // The loop of hosts without the kernel gives the same sum.
          const looped = Uint32Array.from(first!);
          rest.forEach((words) => addWordsLoop(looped, words));
          expect([...looped]).toEqual([...expected]);
          batch.release();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a released batch gives its memory to the next one, which starts from its own words', () => {
    const length = 65_536;
    const ones = new Uint32Array(length).fill(1);
    const first = new MaskedBatch(1, 'a0', new Uint32Array(length).fill(2 ** 20 - 1), 20);
    first.add('a1', ones);
    expect(first.sum[length - 1]).toBe(2 ** 20);
    first.release();
    expect(() => first.sum).toThrow(RangeError);
    expect(first.accepts(1)).toBe(false);
    expect(() => first.add('a2', ones)).toThrow(RangeError);
    const next = new MaskedBatch(1, 'b0', ones, 20);
    next.add(
      'b1',
      Uint32Array.from({ length }, (_, i) => i % 1000),
    );
    expect(next.sum.every((w, i) => w === 1 + (i % 1000))).toBe(true);
    next.release();
  });

  it('a batch that is not released keeps its sum while later batches are summed', () => {
    const held = new MaskedBatch(1, 'h0', Uint32Array.from([5, 6, 7]), 20);
    for (let k = 0; k < 10; k++) {
      const other = new MaskedBatch(1, `o${k}`, Uint32Array.from([1, 1, 1]), 20);
      other.add(`p${k}`, Uint32Array.from([1, 1, 1]));
      expect([...other.sum]).toEqual([2, 2, 2]);
      other.release();
    }
    held.add('h1', Uint32Array.from([1, 2, 3]));
    expect([...held.sum]).toEqual([6, 8, 10]);
  });
});

describe('masked uploads through the pooled upload route', () => {
  it('counts each accepted body exactly once and refused bodies not at all', async () => {
    const { dir, cleanup } = await tempDir();
    const server = await createPrivAdsServer({
      store: { kind: 'embedded', dataDir: dir },
      config: DISTRIBUTED_CONFIG,
    });
    try {
      const post = jsonClient((path, init) => call(server, path, init));
      const round = parseRoundConfig(await post('/v1/round'));
      if (round.privacy.mode !== 'distributed') throw new Error('not a distributed round');
      const { bits, paddedDimension } = round.privacy;
      const tickets = await admitSyntheticCohort(post, round);
      const upload = (nonce: string, words: Uint32Array, wordBits = bits) =>
        call(server, `/v1/rounds/${round.roundId}/updates`, {
          method: 'POST',
          body: asBody(
            encodeMaskedUpdate(
              { roundId: round.roundId, projectorVersion: round.projectorVersion, nonce, words },
              wordBits,
            ),
          ),
        });
      // A refused upload first: its buffer goes back to the pool and is lent to the next body.
      const refused = await upload(
        tickets[0]!,
        new Uint32Array(paddedDimension).fill(2 ** bits),
        32,
      );
      expect(refused.status).toBe(422);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
        'OUT_OF_RANGE',
      );
      const expected = new RoundAccumulator(paddedDimension);
      const statuses = await Promise.all(
        tickets.map((ticket, k) => {
          const words = Uint32Array.from(
            { length: paddedDimension },
            (_, i) => (i * 7919 + k * 104_729) % 2 ** bits,
          );
          expected.add(words, false);
          return upload(ticket, words).then((r) => r.status);
        }),
      );
      expect(statuses).toEqual(tickets.map(() => 202));
      expect((await server.store.roundTotals(round.roundId))?.equals(expected)).toBe(true);
    } finally {
      await server.close();
      await cleanup();
    }
  });
});
