/**
 * The `privads-sim` command line as a function of argv (testable in-process): parses options,
 * loads the population, runs the experiment, writes the report and prints a one-line summary.
 * `cli.ts` is the only file that touches `process`.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_PERSONALIZE_EPOCHS } from '@privads/model';
import { datasetPopulation } from './datasets/population.js';
import { loadMind } from './datasets/mind.js';
import { loadMovieLens } from './datasets/movielens.js';
import { loadRecBole } from './datasets/recbole.js';
import type { Population } from './population.js';
import { createSyntheticPopulation } from './synthetic/population.js';
import { FEDADAM_TAU, type Aggregator, type AggregatorSettings } from './federated/aggregator.js';
import { DEFAULT_SIM_COUNTS, runExperiment } from './federated/experiment.js';
import { PRIOR_TRAINING_WEIGHT } from './federated/popularity-prior.js';
import type { PrivacyMode } from './federated/privacy.js';
import { createServerAggregator } from './federated/server-aggregator.js';
import { createProgressBar, type ProgressSink } from '@privads/server';
import { buildReport, summaryLine, writeReport, type SimReport } from './report/report.js';

/** Where the CLI writes. */
export interface SimCliIo {
  /** One line of result output (the summary). */
  stdout(line: string): void;
  /** Progress and diagnostics. */
  readonly stderr: ProgressSink;
}

/** Usage text of `privads-sim --help`. */
export const SIM_CLI_USAGE = `Usage: privads-sim run --dataset synthetic|movielens:DIR|mind:DIR|recbole:DIR --out DIR [options]

Runs popularity, cold start, content-only, centralized, federated and federated-with-DP training
on one population and writes DIR/report.json, DIR/report.md and SVG plots; prints a one-line summary.

Data sets: movielens:DIR (u.data, u.item), mind:DIR (news.tsv, behaviors.tsv), recbole:DIR
(RecBole / UniSRec atomic files NAME.text, NAME.item2index, NAME.user2index, NAME.train.inter,
NAME.valid.inter, NAME.test.inter; one NAME per folder; their train/valid/test split is kept).

Options (defaults in brackets):
  --users N            users (synthetic: generated; datasets: a seeded subset) [synthetic 1000; datasets all]
  --items N            synthetic catalog size [1000]
  --rounds R           federated rounds [50]
  --cohort M           expected uploads per round; sampling probability M/users [5% of users, ≥ 10]
  --mode M             privacy of the DP run: central | distributed | local | none (skip it) [central]
  --epsilon E          central, distributed: ε per device over the whole training, no amplification
                       by subsampling (composed over min(k, ⌈R/b⌉) participations); local: ε per upload [2]
  --delta D            δ [1/users]
  --seed S             seed of data, sampling and simulated noise [1]
  --clip C             clip norm [1]
  --server-optimizer O fedavg (FedAvgM) | fedadam (Reddi et al. 2021; β₂ 0.99) [fedavg]
  --server-lr η        server learning rate [1]
  --momentum β         FedAvg server momentum; FedAdam: β₁ [0.9]
  --adam-tau τ         FedAdam: adaptivity τ [0.001]
  --personalize-epochs N   passes of the on-device click rule over a device's clicks, against the
                       round's catalog, before its upload's gradient [1, the browser client's]
  --dropout P          share of sampled uploads lost in transit; distributed: devices vanishing after masking [0]
  --max-participations k   lifetime cap of rounds per device [rounds]
  --min-round-gap b    a device joins at most one round in any b consecutive rounds [1]
  --k-min N            distributed: fewest devices a release sums [max(t + 1, 0.8 × cohort × (1 − dropout))]
  --degree K           distributed: neighbours per device in the masking graph [even, ≤ 16, < cohort]
  --threshold T        distributed: Shamir threshold, K/2 < T ≤ K [K/2 + 1]
  --bits B             distributed: modulus 2^B of the secure sum, 8…20 [20]
  --max-impressions i  per-ad counts: impressions one device reports per round, at most [64]
  --max-clicks c       per-ad counts: clicks one device reports per round, at most [16]
  --counts-share w     per-ad counts: their L2 bound as a fraction of C (they cost w² of the
                       gradient's ρ; the --epsilon target covers both) [0.5]
  --no-counts          release no per-ad counts (and rank without the popularity prior)
  --prior-training-weight w  a second run without DP whose devices learn with w × prior in their
                       scores (bias-aware training); the better on validation is reported as
                       "+ popularity prior"; 0: no such run [0.1]
  --exclude-clicked    rank each user's training clicks last in every evaluation (data without
                       repeat clicks: an item already clicked is never a held-out click) [off]
  --curve E1,E2,…      extra ε values for the privacy–utility curve (one DP run each) []
  --eval-users N       users in the per-round evaluation subset [1000]
  --aggregator A       server (in-process @privads/server) | http (same server over loopback HTTP) [server]
  --centralized-lr η1,η2,…  centralized baseline: Adam step sizes tried, chosen on validation [0.003,0.01,0.03]
  --centralized-steps N      centralized baseline: most full-batch steps per step size (early-stopped) [200]
  --encoder-spec FILE  content encoder spec [the project's default encoder]
  --on-malformed skip|fail   dataset lines that do not parse [skip]

Exit codes: 0 success, 2 bad arguments, 1 failure.`;

class UsageError extends Error {}

/** The data-set loaders of `--dataset KIND:DIR`. */
const LOADERS = { movielens: loadMovieLens, mind: loadMind, recbole: loadRecBole } as const;

/** A numeric option's rule: the check and how the usage error names it. */
interface NumberRule {
  readonly check: (x: number) => boolean;
  readonly expected: string;
}
const POSITIVE_INTEGER: NumberRule = {
  check: (x) => Number.isSafeInteger(x) && x > 0,
  expected: 'a positive integer',
};
const POSITIVE: NumberRule = {
  check: (x) => Number.isFinite(x) && x > 0,
  expected: 'a number > 0',
};
const RATE: NumberRule = { check: (x) => x >= 0 && x < 1, expected: 'a number in [0, 1)' };
const NON_NEGATIVE_INTEGER: NumberRule = {
  check: (x) => Number.isSafeInteger(x) && x >= 0,
  expected: 'a non-negative integer',
};
const NON_NEGATIVE: NumberRule = {
  check: (x) => Number.isFinite(x) && x >= 0,
  expected: 'a number >= 0',
};
const INTEGER: NumberRule = { check: Number.isSafeInteger, expected: 'an integer' };

function number(
  name: string,
  value: string | undefined,
  fallback: number,
  rule: NumberRule,
): number {
  if (value === undefined) return fallback;
  const x = Number(value);
  if (value.trim() === '' || !rule.check(x)) {
    throw new UsageError(`--${name} must be ${rule.expected}, got ${JSON.stringify(value)}`);
  }
  return x;
}

async function loadPopulation(
  dataset: string,
  users: number | undefined,
  items: number | undefined,
  seed: number,
  onMalformed: 'skip' | 'fail',
  io: SimCliIo,
): Promise<Population> {
  if (dataset === 'synthetic') {
    return createSyntheticPopulation({
      seed,
      users: users ?? 1000,
      ...(items === undefined ? {} : { ads: items }),
    });
  }
  const match = /^(movielens|mind|recbole):(.+)$/.exec(dataset);
  if (!match)
    throw new UsageError(
      `--dataset must be synthetic, movielens:DIR, mind:DIR or recbole:DIR, got ${JSON.stringify(dataset)}`,
    );
  const load = LOADERS[match[1] as keyof typeof LOADERS];
  const { dataset: data, problems } = await load(match[2]!, { onMalformed });
  for (const p of problems.slice(0, 10))
    io.stderr.write(`skipped ${p.file}:${p.line}: ${p.message}\n`);
  if (problems.length > 10) io.stderr.write(`… and ${problems.length - 10} more malformed lines\n`);
  // A catalog smaller than the default slate (e.g. a test fixture) gets slates of the whole catalog.
  const slateSize = Math.min(10, data.items.length);
  return datasetPopulation(data, { seed, slateSize, ...(users === undefined ? {} : { users }) });
}

/**
 * Runs `privads-sim` with the given arguments.
 * @param argv - arguments after the program name
 * @param io - output sinks
 * @param now - clock of the report's timestamp
 * @returns the exit code and, on success, the report
 */
export async function runSimCli(
  argv: readonly string[],
  io: SimCliIo,
  now: () => Date = () => new Date(),
): Promise<{ code: number; report?: SimReport }> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        help: { type: 'boolean' },
        dataset: { type: 'string' },
        out: { type: 'string' },
        users: { type: 'string' },
        items: { type: 'string' },
        rounds: { type: 'string' },
        cohort: { type: 'string' },
        mode: { type: 'string' },
        epsilon: { type: 'string' },
        delta: { type: 'string' },
        seed: { type: 'string' },
        clip: { type: 'string' },
        'server-lr': { type: 'string' },
        'server-optimizer': { type: 'string' },
        'adam-tau': { type: 'string' },
        'personalize-epochs': { type: 'string' },
        momentum: { type: 'string' },
        dropout: { type: 'string' },
        'max-participations': { type: 'string' },
        'min-round-gap': { type: 'string' },
        'k-min': { type: 'string' },
        degree: { type: 'string' },
        threshold: { type: 'string' },
        bits: { type: 'string' },
        curve: { type: 'string' },
        'max-impressions': { type: 'string' },
        'max-clicks': { type: 'string' },
        'counts-share': { type: 'string' },
        'no-counts': { type: 'boolean' },
        'exclude-clicked': { type: 'boolean' },
        'prior-training-weight': { type: 'string' },
        'eval-users': { type: 'string' },
        aggregator: { type: 'string' },
        'centralized-steps': { type: 'string' },
        'centralized-lr': { type: 'string' },
        'encoder-spec': { type: 'string' },
        'on-malformed': { type: 'string' },
      },
    });
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n${SIM_CLI_USAGE}\n`);
    return { code: 2 };
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    io.stdout(SIM_CLI_USAGE);
    return { code: 0 };
  }
  try {
    if (positionals[0] !== 'run' || positionals.length !== 1)
      throw new UsageError(
        `expected the command "run", got ${JSON.stringify(positionals.join(' '))}`,
      );
    if (v.dataset === undefined) throw new UsageError('--dataset is required');
    if (v.out === undefined) throw new UsageError('--out is required');
    const mode = (v.mode ?? 'central') as PrivacyMode;
    if (!['none', 'central', 'distributed', 'local'].includes(mode))
      throw new UsageError(
        `--mode must be none, central, distributed or local, got ${JSON.stringify(v.mode)}`,
      );
    const aggregatorKind = v.aggregator ?? 'server';
    if (!['server', 'http'].includes(aggregatorKind))
      throw new UsageError(
        `--aggregator must be server or http, got ${JSON.stringify(v.aggregator)}`,
      );
    const serverOptimizer = v['server-optimizer'] ?? 'fedavg';
    if (serverOptimizer !== 'fedavg' && serverOptimizer !== 'fedadam')
      throw new UsageError(
        `--server-optimizer must be fedavg or fedadam, got ${JSON.stringify(serverOptimizer)}`,
      );
    const onMalformed = v['on-malformed'] ?? 'skip';
    if (onMalformed !== 'skip' && onMalformed !== 'fail')
      throw new UsageError(
        `--on-malformed must be skip or fail, got ${JSON.stringify(onMalformed)}`,
      );
    const seed = number('seed', v.seed, 1, INTEGER);
    const users = v.users === undefined ? undefined : number('users', v.users, 0, POSITIVE_INTEGER);
    const items = v.items === undefined ? undefined : number('items', v.items, 0, POSITIVE_INTEGER);
    const curve = (v.curve ?? '')
      .split(',')
      .filter((s) => s.trim() !== '')
      .map((s) => number('curve', s.trim(), 0, POSITIVE));
    const centralizedRates = (v['centralized-lr'] ?? '')
      .split(',')
      .filter((s) => s.trim() !== '')
      .map((s) => number('centralized-lr', s.trim(), 0, POSITIVE));
    const population = await loadPopulation(v.dataset, users, items, seed, onMalformed, io);
    const cohort = number(
      'cohort',
      v.cohort,
      Math.max(10, Math.round(population.userCount * 0.05)),
      POSITIVE_INTEGER,
    );
    const delta = v.delta === undefined ? undefined : number('delta', v.delta, 0, RATE);
    const rounds = number('rounds', v.rounds, 50, POSITIVE_INTEGER);
    const optional = (name: keyof typeof v): number | undefined => {
      const text = v[name];
      return typeof text === 'string' ? number(name, text, 0, POSITIVE_INTEGER) : undefined;
    };
    const [degree, threshold, bits] = [optional('degree'), optional('threshold'), optional('bits')];
    const masking = {
      ...(degree === undefined ? {} : { degree }),
      ...(threshold === undefined ? {} : { threshold }),
      ...(bits === undefined ? {} : { bits }),
    };
    const kMin = optional('k-min');
    const factory = (settings: AggregatorSettings): Promise<Aggregator> =>
      createServerAggregator(settings, aggregatorKind === 'http' ? 'http' : 'in-process');
    const bar = createProgressBar(io.stderr);
    const result = await runExperiment({
      population,
      rounds,
      cohort,
      mode,
      epsilon: number('epsilon', v.epsilon, 2, POSITIVE),
      ...(delta === undefined ? {} : { delta }),
      seed,
      clipNorm: number('clip', v.clip, 1, POSITIVE),
      serverLearningRate: number('server-lr', v['server-lr'], 1, POSITIVE),
      serverMomentum: number('momentum', v.momentum, 0.9, RATE),
      serverOptimizer,
      serverAdamTau: number('adam-tau', v['adam-tau'], FEDADAM_TAU, POSITIVE),
      personalizeEpochs: number(
        'personalize-epochs',
        v['personalize-epochs'],
        DEFAULT_PERSONALIZE_EPOCHS,
        NON_NEGATIVE_INTEGER,
      ),
      dropout: number('dropout', v.dropout, 0, RATE),
      maxParticipationsPerDevice: optional('max-participations') ?? rounds,
      minRoundGap: optional('min-round-gap') ?? 1,
      ...(kMin === undefined ? {} : { kMin }),
      masking,
      counts: v['no-counts']
        ? false
        : {
            maxImpressions: number(
              'max-impressions',
              v['max-impressions'],
              DEFAULT_SIM_COUNTS.maxImpressions,
              POSITIVE_INTEGER,
            ),
            maxClicks: number(
              'max-clicks',
              v['max-clicks'],
              DEFAULT_SIM_COUNTS.maxClicks,
              NON_NEGATIVE_INTEGER,
            ),
            normShare: number(
              'counts-share',
              v['counts-share'],
              DEFAULT_SIM_COUNTS.normShare,
              POSITIVE,
            ),
          },
      curveEpsilons: curve,
      excludeClicked: v['exclude-clicked'] ?? false,
      priorTrainingWeight: number(
        'prior-training-weight',
        v['prior-training-weight'],
        PRIOR_TRAINING_WEIGHT,
        NON_NEGATIVE,
      ),
      evalUsers: number('eval-users', v['eval-users'], 1000, POSITIVE_INTEGER),
      ...(v['encoder-spec'] === undefined ? {} : { encoderSpec: v['encoder-spec'] }),
      aggregatorFactory: factory,
      centralized: {
        maxSteps: number('centralized-steps', v['centralized-steps'], 200, POSITIVE_INTEGER),
        ...(centralizedRates.length === 0 ? {} : { learningRates: centralizedRates }),
      },
      onProgress: bar.update,
    });
    bar.done();
    const report = buildReport(result, `privads-sim ${argv.join(' ')}`, now());
    await writeReport(v.out, report);
    io.stdout(summaryLine(report));
    return { code: 0, report };
  } catch (error) {
    if (error instanceof UsageError || error instanceof RangeError) {
      io.stderr.write(`${error.message}\n`);
      return { code: 2 };
    }
    io.stderr.write(
      `privads-sim: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return { code: 1 };
  }
}
