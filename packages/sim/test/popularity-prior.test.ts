import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SimReport } from '@privads/sim';
import { runSimCli } from '@privads/sim/run-cli';

import { popularWorld, writeMind, writeMovieLens, writeRecBole } from './popular-world.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'privads-prior-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** One CLI run without a DP run (the prior's own test), short centralized schedule. */
async function run(dataset: string, extra: string[] = []): Promise<SimReport> {
  let stderr = '';
  const { code, report } = await runSimCli(
    [
      'run',
      '--dataset',
      dataset,
      '--mode',
      'none',
      '--rounds',
      '6',
      '--centralized-lr',
      '0.01',
      '--centralized-steps',
      '5',
      '--out',
      await tempDir(),
      ...extra,
    ],
    { stdout: () => undefined, stderr: { tty: false, write: (t) => (stderr += t) } },
  );
  expect(code, stderr).toBe(0);
  return report as SimReport;
}

const ndcg = (report: SimReport, key: keyof SimReport['results']): number =>
  report.results[key]?.ndcgAt10 ?? Number.NaN;

describe('the popularity prior in the simulator', () => {
  it('synthetic: federated with the prior beats popularity; without DP the released counts are the true ones', async () => {
    const report = await run('synthetic', ['--users', '300', '--items', '200', '--cohort', '60']);
    expect(ndcg(report, 'federatedPrior')).toBeGreaterThan(ndcg(report, 'popularity'));
    const counts = report.counts?.federated;
    // Exact up to the f16 encoding of the simulated uploads.
    expect(counts?.error.rmse.impressions).toBeLessThan(0.01);
    expect(counts?.error.rmse.clicks).toBeLessThan(0.01);
    expect(counts?.error.rounds).toBe(6);
    // The weight was chosen among the candidates on validation, never on the test split.
    expect(counts?.prior.candidates.map((c) => c.weight)).toContain(counts?.prior.weight);
  });

  // A world where popularity is a strong baseline (Zipf popularity, mild topical taste), written
  // in each loader's format and read back by that loader.
  const world = popularWorld({ users: 240, items: 60, clicksPerUser: 14, taste: 4, seed: 3 });
  const loaders: [string, (dir: string) => Promise<void>][] = [
    ['movielens', (dir) => writeMovieLens(world, dir)],
    ['mind', (dir) => writeMind(world, dir, 4)],
    ['recbole', (dir) => writeRecBole(world, dir)],
  ];
  for (const [kind, write] of loaders) {
    it(`${kind}: the prior lifts federated ranking to popularity's level on popularity-driven data`, async () => {
      const dir = await tempDir();
      await write(dir);
      const report = await run(`${kind}:${dir}`, ['--cohort', '40']);
      expect(ndcg(report, 'federatedPrior')).toBeGreaterThan(ndcg(report, 'federated'));
      expect(ndcg(report, 'federatedPrior')).toBeGreaterThanOrEqual(
        ndcg(report, 'popularity') - 0.01,
      );
    });
  }
});
