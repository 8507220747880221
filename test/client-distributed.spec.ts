/**
 * Five readers' browsers take part in one distributed round of the real server: each context loads
 * the client harness under the default privacy floor (`distributed`), joins the round with
 * `flush()`, and runs secure aggregation in its worker. The server releases the noised sum of all
 * five; every update any context sent is a masked upload, and nothing else leaves the browser but
 * the documented endpoints, without cookies, referrer or query strings.
 */
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import {
  decodeAggregateRelease,
  decodeMaskedUpdate,
  parseRoundConfig,
  type RoundConfig,
} from '@privads/protocol';
import { expectNoPageErrors, openHarness } from './support/client-page.js';
import {
  SECURE_AGGREGATION_REQUESTS,
  auditBrowserTraffic,
  captureTraffic,
  type SeenRequest,
} from './support/traffic-audit.js';
import {
  COHORT,
  startDistributedServer,
  type DistributedServer,
} from './support/distributed-server.js';

let stack: DistributedServer;

test.beforeAll(async () => {
  stack = await startDistributedServer();
});
test.afterAll(async () => stack?.close());

test('five browsers run one masked round against the real server, which releases their noised sum', async ({
  browser,
}) => {
  const config: RoundConfig = parseRoundConfig(await (await fetch(`${stack.url}/v1/round`)).json());
  if (config.privacy.mode !== 'distributed') throw new Error('the open round is not distributed');
  const { roundId } = config;
  const { bits, paddedDimension } = config.privacy;
  // The round counts the 40 ads: the masked vector holds the gradient and 2 × 40 counts.
  expect(config.counts).toMatchObject({ adCount: 40, maxImpressions: 8, maxClicks: 2 });
  expect(paddedDimension).toBeGreaterThanOrEqual(config.model.parameterCount + 80);

  const contexts: BrowserContext[] = [];
  const traffic: SeenRequest[][] = [];
  const pages: Page[] = [];
  try {
    for (let i = 0; i < COHORT; i++) {
      const context = await browser.newContext();
      // A cookie on the server's host: sent along if any request ever carried credentials.
      await context.addCookies([
        { name: 'reader', value: `tracking-id-${i}`, domain: '127.0.0.1', path: '/' },
      ]);
      traffic.push(captureTraffic(context));
      const page = await context.newPage();
      // The default floor (distributed): no `floor` option.
      await openHarness(page, { server: stack.url, site: `distributed-${i}`, engine: 'cpu' });
      contexts.push(context);
      pages.push(page);
    }
    // One reader clicks; the others take part with a zero gradient, as any sampled device does.
    await pages[0]!.evaluate(async () => {
      const result = await window.privads!.rank({ slots: 4 });
      await window.privads!.recordImpression(result);
      await window.privads!.recordClick(result.ads[1]!.id);
    });
    const results = await Promise.all(
      pages.map((page) => page.evaluate(() => window.privads!.flush())),
    );
    for (const result of results) {
      expect(result, JSON.stringify(result)).toMatchObject({
        status: 'uploaded',
        reason: 'uploaded',
        roundId,
      });
    }

    // The server closed the round and released the sum of all five.
    await expect
      .poll(
        async () => {
          const { rounds } = (await (await stack.operator('/v1/rounds')).json()) as {
            rounds: { id: number; status: string; cohortSize: number; mode: string }[];
          };
          return rounds.find((r) => r.id === roundId);
        },
        { timeout: 60_000 },
      )
      .toMatchObject({ status: 'released', cohortSize: COHORT, mode: 'distributed' });
    const aggregate = await stack.operator(`/v1/rounds/${roundId}/aggregate`);
    expect(aggregate.status).toBe(200);
    const release = decodeAggregateRelease(new Uint8Array(await aggregate.arrayBuffer()));
    expect(release.metadata).toMatchObject({ mode: 'distributed', cohortSize: COHORT, roundId });
    expect(release.update).toHaveLength(config.model.parameterCount);
    // The per-ad counts came out of the same secure sum, noised, with their share of ρ stated.
    expect(release.counts?.impressions).toHaveLength(40);
    expect(release.counts?.clicks).toHaveLength(40);
    expect(release.metadata.counts).toMatchObject({ adCount: 40, maxImpressions: 8, maxClicks: 2 });
    expect(release.metadata.counts?.sigma).toBeGreaterThan(0);
    expect(release.metadata.counts?.rho).toBeGreaterThan(0);

    for (const [i, page] of pages.entries()) {
      const report = await page.evaluate(() => window.privads!.privacyReport());
      expect(report.byMode.distributed.participations).toBe(1);
      expect(report.uploads).toMatchObject([{ roundId, mode: 'distributed', status: 'sent' }]);
      expect(report.epsilonSpent).toBeGreaterThan(0);
      const uploadEvents = await page.evaluate(() =>
        window.privadsEvents.filter((e) => e.type === 'upload'),
      );
      expect(uploadEvents, `context ${i}`).toMatchObject([
        { detail: { roundId, outcome: 'sent', mode: 'distributed' } },
      ]);
      await expectNoPageErrors(page);
    }

    // What left each browser.
    for (const [i, seen] of traffic.entries()) {
      const updates: Buffer[] = [];
      const toServer = auditBrowserTraffic(
        seen,
        { page: new URL(pages[i]!.url()).origin, server: stack.url },
        SECURE_AGGREGATION_REQUESTS,
        `context ${i}: `,
      );
      for (const request of toServer) {
        if (request.method === 'POST' && /\/updates$/.test(request.url.pathname)) {
          const where = `context ${i}: ${request.url.href}`;
          expect(request.url.pathname, where).toBe(`/v1/rounds/${roundId}/updates`);
          expect(request.body, where).not.toBeNull();
          updates.push(request.body as Buffer);
        }
      }
      // One update per device, and it is masked: the server cannot read it alone.
      expect(updates, `context ${i}`).toHaveLength(1);
      const { header, words } = decodeMaskedUpdate(new Uint8Array(updates[0]!), {
        bits,
        expectedLength: paddedDimension,
      });
      expect(header).toMatchObject({ encoding: 'masked', roundId });
      expect(words).toHaveLength(paddedDimension);
      // The keys, the shares, the masked input and the reveal: each step once.
      for (const step of ['keys', 'shares', 'reveal']) {
        const posts = seen.filter(
          (r) => r.method === 'POST' && r.url.pathname === `/v1/rounds/${roundId}/secagg/${step}`,
        );
        expect(posts, `context ${i}: ${step}`).toHaveLength(1);
      }
    }
  } finally {
    for (const context of contexts) await context.close();
  }
});
