import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/store/memory-store.js';
import type { OutboxItem } from '../src/store/records.js';
import { KEEPALIVE_MAX_BYTES, Uploader, backoffDelay, outcomeOfStatus } from '../src/uploader.js';

interface Sent {
  url: string;
  init: RequestInit;
}

async function setup(responses: (number | Error)[], bodyBytes = 100) {
  let now = 1_000;
  const store = new MemoryStore(undefined, () => now);
  const ledgerId = await store.addLedgerEntry({
    roundId: 7,
    projectorVersion: 1,
    mode: 'local',
    epsilon: 1,
    delta: 1e-6,
    bytes: bodyBytes,
    at: now,
    status: 'queued',
    statusAt: now,
  });
  const item: OutboxItem = {
    roundId: 7,
    ledgerId,
    url: 'https://ads.test/v1/rounds/7/updates',
    body: new ArrayBuffer(bodyBytes),
    attempts: 0,
    nextAttemptAt: now,
    deadline: now + 3_600_000,
  };
  await store.putOutbox(item);
  const sent: Sent[] = [];
  const uploader = new Uploader({
    store,
    lockName: 'test-upload',
    now: () => now,
    random: () => 0.5,
    baseDelayMs: 1000,
    maxDelayMs: 8000,
    maxAttempts: 4,
    fetch: async (url, init) => {
      sent.push({ url, init: init ?? {} });
      const next = responses.shift();
      if (next instanceof Error) throw next;
      return new Response(null, { status: next ?? 500 });
    },
  });
  return { store, uploader, sent, advance: (ms: number) => (now += ms), ledgerId };
}

describe('Uploader', () => {
  it('posts privately: no credentials, no referrer, binary body, keepalive when small', async () => {
    const { uploader, sent, store } = await setup([202]);
    const [report] = await uploader.drain();
    expect(report).toMatchObject({ roundId: 7, outcome: 'sent', status: 202, attempts: 1 });
    expect(sent[0]?.init).toMatchObject({
      method: 'POST',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
      keepalive: true,
      cache: 'no-store',
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    expect(await store.outbox()).toEqual([]);
    expect((await store.ledger())[0]).toHaveProperty('status', 'sent');
  });

  it('does not ask for keepalive above the browser limit', async () => {
    const { uploader, sent } = await setup([202], KEEPALIVE_MAX_BYTES + 1);
    await uploader.drain();
    expect(sent[0]?.init.keepalive).toBe(false);
  });

  it('retries network errors and 5xx with growing delays, then succeeds', async () => {
    const { uploader, sent, store, advance } = await setup([
      new TypeError('Failed to fetch'),
      503,
      202,
    ]);
    expect((await uploader.drain())[0]).toMatchObject({
      outcome: 'retry',
      error: 'Failed to fetch',
    });
    expect(await uploader.drain()).toEqual([]); // not due yet
    advance(750); // first delay: 1000 · (½ + ½·0.5)
    expect((await uploader.drain())[0]).toMatchObject({
      outcome: 'retry',
      status: 503,
      attempts: 2,
    });
    advance(1499);
    expect(await uploader.drain()).toEqual([]);
    advance(1);
    expect((await uploader.drain())[0]).toMatchObject({ outcome: 'sent', attempts: 3 });
    expect(sent).toHaveLength(3);
    expect(await store.outbox()).toEqual([]);
  });

  it('gives up after maxAttempts and marks the ledger entry expired', async () => {
    const { uploader, store, advance } = await setup([500, 500, 500, 500]);
    for (let i = 0; i < 3; i++) {
      await uploader.drain();
      advance(60_000);
    }
    expect((await uploader.drain())[0]).toMatchObject({ outcome: 'expired', attempts: 4 });
    expect(await store.outbox()).toEqual([]);
    expect((await store.ledger())[0]).toHaveProperty('status', 'expired');
  });

  it('drops a refused upload without retrying, and an item past its deadline without sending', async () => {
    const refused = await setup([400]);
    expect((await refused.uploader.drain())[0]).toMatchObject({ outcome: 'rejected', status: 400 });
    expect((await refused.store.ledger())[0]).toHaveProperty('status', 'rejected');
    const late = await setup([202]);
    late.advance(3_600_001);
    expect((await late.uploader.drain())[0]).toMatchObject({ outcome: 'expired' });
    expect(late.sent).toHaveLength(0);
  });

  it('keeps a queued upload in the store between instances (the offline queue)', async () => {
    const { store, uploader } = await setup([new TypeError('offline')]);
    await uploader.drain();
    const [queued] = await store.outbox();
    expect(queued).toMatchObject({ roundId: 7, attempts: 1 });
  });
});

describe('backoff', () => {
  it('doubles up to the cap, with half of each delay random', () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, 1000, 8000, () => 0))).toEqual([
      500, 1000, 2000, 4000, 4000,
    ]);
    expect(backoffDelay(2, 1000, 8000, () => 0.999)).toBeCloseTo(1999, 0);
  });

  it('classifies statuses', () => {
    expect([202, 200, 409].map(outcomeOfStatus)).toEqual(['sent', 'sent', 'sent']);
    expect([429, 500, 503, 408].map(outcomeOfStatus)).toEqual(['retry', 'retry', 'retry', 'retry']);
    expect([400, 404, 410, 413].map(outcomeOfStatus)).toEqual([
      'rejected',
      'rejected',
      'rejected',
      'rejected',
    ]);
  });
});
