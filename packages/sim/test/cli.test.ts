import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { REPORT_FORMAT } from '@privads/sim';
import { runSimCli } from '@privads/sim/run-cli';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const dirs: string[] = [];

async function outDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'privads-sim-test-'));
  dirs.push(dir);
  return dir;
}

async function run(args: string[]): Promise<{ code: number; stdout: string[]; stderr: string }> {
  const stdout: string[] = [];
  let stderr = '';
  const { code } = await runSimCli(args, {
    stdout: (line) => stdout.push(line),
    stderr: { tty: false, write: (text) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

// Small and fast: few rounds, a short centralized schedule (the real server, in process).
const QUICK = ['--rounds', '3', '--centralized-lr', '0.01,0.03', '--centralized-steps', '3'];

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const METRIC_KEYS = [
  'recallAt10',
  'recallAt50',
  'ndcgAt10',
  'mrr',
  'hitRateAt10',
  'auc',
  'users',
  'impressions',
];

function checkMetrics(m: unknown, withAuc: boolean): void {
  expect(Object.keys(m as object).sort()).toEqual([...METRIC_KEYS].sort());
  const metrics = m as Record<string, number | null>;
  for (const key of ['recallAt10', 'recallAt50', 'ndcgAt10', 'mrr', 'hitRateAt10']) {
    expect(metrics[key]).toBeGreaterThanOrEqual(0);
    expect(metrics[key]).toBeLessThanOrEqual(1);
  }
  if (withAuc) expect(metrics.auc).toBeTypeOf('number');
  else expect(metrics.auc).toBeNull();
}

describe('privads-sim run', () => {
  it('writes report.json in the documented shape, report.md and the plots (synthetic)', async () => {
    const out = await outDir();
    const r = await run([
      'run',
      '--dataset',
      'synthetic',
      '--users',
      '150',
      '--cohort',
      '30',
      '--curve',
      '8',
      '--out',
      out,
      ...QUICK,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toHaveLength(1);
    expect(r.stdout[0]).toMatch(
      /^synthetic 150 users, 3 rounds: NDCG@10 popularity [\d.]+, .*federated\+DP\(central ε=2\)/,
    );
    expect((await readdir(out)).sort()).toEqual([
      'ndcg-per-round.svg',
      'privacy-utility.svg',
      'report.json',
      'report.md',
    ]);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.format).toBe(REPORT_FORMAT);
    expect(report.dataset).toBe('synthetic');
    expect(report.users).toBe(150);
    expect(report.items).toBe(1000);
    expect(report.rounds).toBe(3);
    expect(report.privacy).toMatchObject({ mode: 'central', epsilon: 2, delta: 1 / 150 });
    expect(report.privacy.spentEpsilon).toBeLessThanOrEqual(2);
    expect(Object.keys(report.results).sort()).toEqual([
      'centralized',
      'coldStart',
      'contentOnly',
      'federated',
      'federatedDp',
      'federatedDpPrior',
      'federatedPrior',
      'federatedPriorPostHoc',
      'federatedPriorTrained',
      'popularity',
      'popularityDp',
    ]);
    for (const m of Object.values(report.results)) checkMetrics(m, true);
    // Per-ad counts ride with every federated run; the DP run's carry the run's noise.
    expect(report.counts.settings).toEqual({ maxImpressions: 64, maxClicks: 16, normShare: 0.5 });
    expect(report.counts.federated.error.sigma).toBe(0);
    expect(report.counts.federatedDp.error.sigma).toBeGreaterThan(0);
    expect(report.counts.federatedDp.error.rounds).toBe(3);
    // The run without DP is also trained with the prior; validation keeps one of the two.
    expect(report.counts.priorTrainingWeight).toBe(0.1);
    expect(report.counts.federatedPriorTrained.error.sigma).toBe(0);
    expect(['post-hoc', 'trained']).toContain(report.counts.priorKept);
    expect(report.curve.map((c: { epsilon: number }) => c.epsilon)).toEqual([2, 8]);
    expect(report.federatedRuns.federated.history).toHaveLength(3);
    const md = await readFile(join(out, 'report.md'), 'utf8');
    expect(md).toContain('| Federated with DP (central, ε=2) |');
    expect(md).toContain('| Federated, no DP, + popularity prior (kept on validation) |');
    expect(md).toContain('| Federated, no DP, trained with the prior, + prior |');
    expect(md).toMatch(/Kept on validation for "Federated, no DP, \+ popularity prior": the run/);
    expect(md).toContain('## Per-ad counts and the popularity prior');
    const svg = await readFile(join(out, 'ndcg-per-round.svg'), 'utf8');
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('federated, no DP');
  }, 180_000);

  it('is deterministic for a fixed seed', async () => {
    const args = [
      'run',
      '--dataset',
      'synthetic',
      '--users',
      '120',
      '--cohort',
      '30',
      '--seed',
      '7',
      ...QUICK,
    ];
    const a = await run([...args, '--out', await outDir()]);
    const b = await run([...args, '--out', await outDir()]);
    expect(a.code).toBe(0);
    expect(b.stdout).toEqual(a.stdout);
    const strip = (d: string): Promise<unknown> =>
      readFile(join(d, 'report.json'), 'utf8').then((t) => {
        const r = JSON.parse(t);
        return {
          results: r.results,
          curve: r.curve,
          privacy: r.privacy,
          // Everything but the wall-clock time of each round.
          history: r.federatedRuns.federatedDp.history.map((h: Record<string, unknown>) =>
            Object.fromEntries(Object.entries(h).filter(([key]) => key !== 'seconds')),
          ),
        };
      });
    expect(await strip(dirs.at(-1)!)).toEqual(await strip(dirs.at(-2)!));
  }, 120_000);

  it('runs a MovieLens folder (fixture), reporting malformed lines', async () => {
    const out = await outDir();
    const r = await run([
      'run',
      '--dataset',
      `movielens:${join(fixtures, 'movielens')}`,
      '--cohort',
      '2',
      '--out',
      out,
      ...QUICK,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/skipped u\.item:5: /);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.dataset).toBe('movielens');
    expect(report.items).toBe(4);
    for (const m of Object.values(report.results)) checkMetrics(m, false);
  }, 60_000);

  it('runs a RecBole folder (fixture) and reports cold start next to the other models', async () => {
    const out = await outDir();
    const r = await run([
      'run',
      '--dataset',
      `recbole:${join(fixtures, 'recbole')}`,
      '--cohort',
      '2',
      '--mode',
      'none',
      '--out',
      out,
      ...QUICK,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout[0]).toMatch(
      /^recbole:Shop 3 users, 3 rounds: .*cold start \d\.\d{4}, content-only/,
    );
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.dataset).toBe('recbole:Shop');
    expect(report.items).toBe(6);
    expect(report.heldOutUsers).toBe(3);
    for (const m of Object.values(report.results).filter((x) => x !== null)) checkMetrics(m, false);
    expect(report.results.coldStart.users).toBe(3);
    expect(report.ndcgRatioToCentralized).toHaveProperty('coldStart');
    const md = await readFile(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/\| Cold start \(initial projector, catalog prior\) \| /);
    const bad = await run([
      'run',
      '--dataset',
      `recbole:${join(fixtures, 'recbole-bad')}`,
      '--on-malformed',
      'fail',
      '--out',
      out,
      ...QUICK,
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Shop\.text:8/);
  }, 60_000);

  it('runs a MIND folder (fixture) through the real server over loopback HTTP', async () => {
    const out = await outDir();
    const r = await run([
      'run',
      '--dataset',
      `mind:${join(fixtures, 'mind')}`,
      '--cohort',
      '2',
      '--out',
      out,
      '--rounds',
      '2',
      '--centralized-steps',
      '2',
      '--aggregator',
      'http',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.dataset).toBe('mind');
    expect(report.federatedRuns.federated.history).toHaveLength(2);
    expect(report.federatedRuns.federated.releasedRounds).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('configures the server with FedAdam under --server-optimizer fedadam; rejects bad optimizer and epoch values', async () => {
    const out = await outDir();
    const r = await run([
      'run',
      '--dataset',
      'synthetic',
      '--users',
      '150',
      '--cohort',
      '30',
      '--mode',
      'none',
      '--server-optimizer',
      'fedadam',
      '--server-lr',
      '0.01',
      '--adam-tau',
      '0.002',
      '--out',
      out,
      ...QUICK,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as {
      settings: Record<string, unknown>;
      federatedRuns: { federated: { releasedRounds: number } };
    };
    expect(report.settings).toMatchObject({
      serverOptimizer: 'fedadam',
      serverAdamTau: 0.002,
      serverLearningRate: 0.01,
    });
    expect(report.federatedRuns.federated.releasedRounds).toBe(3);
    expect(await readFile(join(out, 'report.md'), 'utf8')).toMatch(
      /FedAdam lr 0\.01 β₁ 0\.9 τ 0\.002/,
    );
    const bad = await run([
      'run',
      '--dataset',
      'synthetic',
      '--out',
      out,
      '--server-optimizer',
      'sgd',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--server-optimizer must be fedavg or fedadam, got "sgd"/);
    const negative = await run([
      'run',
      '--dataset',
      'synthetic',
      '--out',
      out,
      '--personalize-epochs',
      '1.5',
    ]);
    expect(negative.code).toBe(2);
    expect(negative.stderr).toMatch(/--personalize-epochs must be a non-negative integer/);
  });

  it('fails on malformed lines under --on-malformed fail, and on bad arguments with exit code 2', async () => {
    const out = await outDir();
    const bad = await run([
      'run',
      '--dataset',
      `movielens:${join(fixtures, 'movielens')}`,
      '--on-malformed',
      'fail',
      '--out',
      out,
      ...QUICK,
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/u\.item:5/);
    expect(
      (await run(['run', '--dataset', 'synthetic', '--out', out, '--mode', 'secret'])).code,
    ).toBe(2);
    expect((await run(['run', '--dataset', 'nope', '--out', out])).code).toBe(2);
    expect((await run(['run', '--dataset', 'synthetic'])).code).toBe(2);
    expect((await run(['run', '--dataset', 'synthetic', '--out', out, '--rounds', '0'])).code).toBe(
      2,
    );
    expect(
      (await run(['run', '--dataset', 'synthetic', '--out', out, '--centralized-lr', '0.01,-1']))
        .code,
    ).toBe(2);
    const negativeWeight = await run([
      'run',
      '--dataset',
      'synthetic',
      '--out',
      out,
      '--prior-training-weight=-1',
    ]);
    expect(negativeWeight.code).toBe(2);
    expect(negativeWeight.stderr).toMatch(
      /--prior-training-weight must be a number >= 0, got "-1"/,
    );
    expect((await run(['--help'])).code).toBe(0);
  });
});
