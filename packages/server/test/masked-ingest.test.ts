/**
 * The embedded store's ingest of masked uploads (distributed mode): uploads that wait for the log
 * together are summed into one record, exactly, and that record is as durable as one body per
 * upload was — across a clean reopen and across kill -9.
 */
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { encodeMaskedUpdate, generateNonce, type RoundConfig } from '@privads/protocol';
import {
  contributionOf,
  initialState,
  openEmbeddedStore,
  resolveConfig,
  RoundAccumulator,
  type Store,
} from '@privads/server';

import { buildServer, kill9 } from './cli-process.js';
import { tempDir } from './helpers.js';
import { DISTRIBUTED_CONFIG } from './secure-round-driver.js';

async function distributedStore(dir: string): Promise<{ store: Store; round: RoundConfig }> {
  const store = await openEmbeddedStore({ dir, decoder: contributionOf });
  await store.initialize(async () => initialState(resolveConfig(DISTRIBUTED_CONFIG), new Date()));
  return { store, round: (await store.openRound())!.config };
}

function privacyOf(round: RoundConfig): { bits: number; paddedDimension: number } {
  if (round.privacy.mode !== 'distributed') throw new Error('not a distributed round');
  return round.privacy;
}

/** A masked upload body whose words come from `next` (each below 2^bits). */
function maskedBody(round: RoundConfig, nonce: string, word: (i: number) => number): Uint8Array {
  const { bits, paddedDimension } = privacyOf(round);
  return encodeMaskedUpdate(
    {
      roundId: round.roundId,
      projectorVersion: round.projectorVersion,
      nonce,
      words: Uint32Array.from({ length: paddedDimension }, (_, i) => word(i)),
    },
    bits,
  );
}

async function logText(dir: string): Promise<string> {
  const segments = (await readdir(dir)).filter((n) => n.startsWith('wal-'));
  const texts = await Promise.all(segments.map((n) => readFile(join(dir, n), 'latin1')));
  return texts.join('');
}

describe('RoundAccumulator integer vectors', () => {
  it('adds words of the whole u32 range exactly, for any length (the SIMD kernel and its tail)', () => {
    const vectors = fc.integer({ min: 1, max: 13 }).chain((length) =>
      fc.array(fc.array(fc.nat({ max: 2 ** 32 - 1 }), { minLength: length, maxLength: length }), {
        minLength: 1,
        maxLength: 8,
      }),
    );
    fc.assert(
      fc.property(vectors, (rows) => {
        const acc = new RoundAccumulator(rows[0]!.length);
        for (const row of rows) acc.add(Uint32Array.from(row), false);
        const expected = rows[0]!.map(
          (_, i) => rows.reduce((s, row) => s + BigInt(row[i]!), 0n) << 32n,
        );
        expect(acc.gridSum()).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('adds masked words exactly as their float values, alone or as a batch sum', () => {
    const rows = fc.array(fc.array(fc.nat({ max: 2 ** 16 - 1 }), { minLength: 4, maxLength: 4 }), {
      minLength: 1,
      maxLength: 20,
    });
    fc.assert(
      fc.property(rows, (words) => {
        const asFloats = new RoundAccumulator(4);
        const asWords = new RoundAccumulator(4);
        const sum = new Uint32Array(4);
        for (const w of words) {
          asFloats.add(Float64Array.from(w), false);
          asWords.add(Uint32Array.from(w), false);
          w.forEach((x, i) => (sum[i] = (sum[i] as number) + x));
        }
        const batched = new RoundAccumulator(4);
        batched.addIntegerSum(sum, words.length);
        expect(asWords.equals(asFloats)).toBe(true);
        expect(batched.equals(asFloats)).toBe(true);
        expect(RoundAccumulator.fromBytes(batched.toBytes()).equals(asFloats)).toBe(true);
      }),
    );
  });

  it('refuses a batch sum of the wrong length or count without adding anything', () => {
    const acc = new RoundAccumulator(2);
    expect(() => acc.addIntegerSum(new Uint32Array(3), 1)).toThrow(RangeError);
    expect(() => acc.addIntegerSum(new Uint32Array(2), 0)).toThrow(RangeError);
    expect(acc.count).toBe(0);
  });
});

describe('embedded store, masked uploads', () => {
  it('sums concurrent uploads into fewer log records, exactly, refuses a repeated nonce, and replays', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const { store, round } = await distributedStore(dir);
      const { bits } = privacyOf(round);
      let seed = 1;
      const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % 2 ** bits;
      const uploads = Array.from({ length: 40 }, () => {
        const nonce = generateNonce();
        return { nonce, body: maskedBody(round, nonce, random) };
      });
      const expected = new RoundAccumulator(privacyOf(round).paddedDimension);
      for (const { body } of uploads) expected.add(contributionOf(round, body).vector, false);
      const add = ({ nonce, body }: { nonce: string; body: Uint8Array }) =>
        store.addUpdate(round.roundId, nonce, body, contributionOf(round, body));

      const outcomes = await Promise.all([
        ...uploads.map(add),
        // The first nonce again, while its upload is still waiting for the log.
        add(uploads[0]!),
      ]);
      expect(outcomes.slice(0, 40).every((o) => o === 'accepted')).toBe(true);
      expect(outcomes[40]).toBe('duplicate');
      expect((await store.roundTotals(round.roundId))?.equals(expected)).toBe(true);

      const records = (await logText(dir)).split('"type":"masked-sum"').length - 1;
      expect(records).toBeGreaterThanOrEqual(1);
      expect(records).toBeLessThan(40);
      await store.close();

      const reopened = await openEmbeddedStore({ dir, decoder: contributionOf });
      try {
        const totals = await reopened.roundTotals(round.roundId);
        expect(totals?.count).toBe(40);
        expect(totals?.equals(expected)).toBe(true);
        const { nonce, body } = uploads[0]!;
        expect(
          await reopened.addUpdate(round.roundId, nonce, body, contributionOf(round, body)),
        ).toBe('duplicate');
      } finally {
        await reopened.close();
      }
    } finally {
      await cleanup();
    }
  });

  it('keeps every acknowledged masked upload exactly once across kill -9', async () => {
    await buildServer();
    const { dir, cleanup } = await tempDir();
    try {
      // A process that adds one-hot masked uploads (upload i adds 1 at word i), 8 at a time, and
      // prints i once the store acknowledged it.
      const child = spawn(
        process.execPath,
        ['--input-type=module', '-e', CHILD, dir, JSON.stringify(DISTRIBUTED_CONFIG)],
        {
          cwd: fileURLToPath(new URL('..', import.meta.url)),
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      const acked = new Set<number>();
      let out = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const lines = out.split('\n');
          out = lines.pop() ?? '';
          for (const line of lines) if (/^\d+$/.test(line)) acked.add(Number(line));
          if (acked.size >= 20 || lines.includes('done')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
      });
      await kill9(child);
      // Acknowledgements are only printed once durable: what was read before the kill suffices.
      const { store, round } = await distributedStore(dir);
      try {
        const totals = (await store.roundTotals(round.roundId))!;
        const sum = totals.sum();
        const counted = [...sum].filter((x) => x === 1).length;
        expect([...sum].every((x) => x === 0 || x === 1)).toBe(true);
        for (const i of acked) expect(sum[i]).toBe(1);
        expect(totals.count).toBe(counted);
        expect(counted).toBeGreaterThanOrEqual(acked.size);
      } finally {
        await store.close();
      }
    } finally {
      await cleanup();
    }
  }, 60_000);
});

const CHILD = `
import { encodeMaskedUpdate, generateNonce } from '@privads/protocol';
import { contributionOf, initialState, openEmbeddedStore, resolveConfig } from '@privads/server';
const [dir, config] = process.argv.slice(1);
const store = await openEmbeddedStore({ dir, decoder: contributionOf });
await store.initialize(async () => initialState(resolveConfig(JSON.parse(config)), new Date()));
const round = (await store.openRound()).config;
const { bits, paddedDimension: n } = round.privacy;
let next = 0;
await Promise.all(Array.from({ length: 8 }, async () => {
  while (next < n) {
    const i = next++;
    const words = new Uint32Array(n);
    words[i] = 1;
    const nonce = generateNonce();
    const body = encodeMaskedUpdate({ roundId: round.roundId, projectorVersion: round.projectorVersion, nonce, words }, bits);
    if ((await store.addUpdate(round.roundId, nonce, body, contributionOf(round, body))) === 'accepted')
      process.stdout.write(i + '\\n');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}));
process.stdout.write('done\\n');
setInterval(() => undefined, 1000);
`;
