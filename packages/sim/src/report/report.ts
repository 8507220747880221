/**
 * The files a run writes: `report.json` (the shape of issue 6 plus run statistics), `report.md`
 * (tables a reader can paste), and SVG plots (NDCG@10 per round; the privacy–utility curve).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExperimentResult } from '../federated/experiment.js';
import type { RankingMetrics } from '../eval/metrics.js';
import { renderLineChart, type PlotSeries } from './svg-plot.js';

/** Version of the report.json layout. */
export const REPORT_FORMAT = 'privads.sim-report/1';

/** `report.json`. */
export interface SimReport extends ExperimentResult {
  readonly format: typeof REPORT_FORMAT;
  readonly command: string;
  readonly createdAt: string;
}

/** Model names in table order, with their labels. */
const MODELS = [
  ['popularity', 'Popularity'],
  ['coldStart', 'Cold start (initial projector, catalog prior)'],
  ['contentOnly', 'Content-only (bootstrap projector)'],
  ['centralized', 'Centralized, non-private'],
  ['federated', 'Federated, no DP'],
  ['federatedPrior', 'Federated, no DP, + popularity prior (kept on validation)'],
  ['federatedPriorPostHoc', 'Federated, no DP, trained without the prior, + prior'],
  ['federatedPriorTrained', 'Federated, no DP, trained with the prior, + prior'],
  ['federatedDp', 'Federated with DP'],
  ['federatedDpPrior', 'Federated with DP, + prior of the DP counts'],
  ['popularityDp', 'Popularity from the DP counts'],
] as const;

const DP_MODELS: ReadonlySet<string> = new Set(['federatedDp', 'federatedDpPrior', 'popularityDp']);

/** The counts section of `report.md`: bounds, the error of each run's counts, the prior's weight. */
function countsLines(report: SimReport): string[] {
  const counts = report.counts;
  if (counts === null) return [];
  const { settings } = counts;
  const lines = [
    '## Per-ad counts and the popularity prior',
    '',
    `Each device reports at most ${settings.maxImpressions} impressions and ${settings.maxClicks} clicks per round (scaled down on the device by largest remainders), in the same upload as its gradient; the counts segment's L2 bound is ${settings.normShare} × C, so it takes ${f4(settings.normShare ** 2 / (1 + settings.normShare ** 2))} of each release's ρ (the ε above covers both). Errors are against the true counts of the devices in each released sum: the RMSE per ad and round against the bounded counts (the noise alone), the relative error of the run's totals against the raw counts (noise and the bound's bias). The prior's weight w is chosen on a validation split of the training slates.`,
    '',
    '| Run | Released rounds | σ per count and round | RMSE impressions | RMSE clicks | Total rel. error impressions | Total rel. error clicks | Dropped by the bound (impr. / clicks) | w (validation NDCG@10) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [label, run] of [
    ['Federated, no DP', counts.federated],
    [
      `Federated, no DP, trained with the prior (w = ${counts.priorTrainingWeight})`,
      counts.federatedPriorTrained,
    ],
    [`Federated with DP (${report.privacy.mode}, ε=${report.privacy.epsilon})`, counts.federatedDp],
  ] as const) {
    if (run === null) continue;
    const e = run.error;
    const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
    lines.push(
      `| ${label} | ${e.rounds} | ${e.sigma.toFixed(2)} | ${e.rmse.impressions.toFixed(2)} | ${e.rmse.clicks.toFixed(2)} | ${pct(e.relativeError.impressions)} | ${pct(e.relativeError.clicks)} | ${pct(e.boundedShare.impressions)} / ${pct(e.boundedShare.clicks)} | ${run.prior.weight} (${f4(run.prior.validationNdcgAt10)}) |`,
    );
  }
  lines.push(
    '',
    counts.priorKept === null
      ? 'No run ranked with the prior.'
      : `Kept on validation for "Federated, no DP, + popularity prior": the run ${counts.priorKept === 'trained' ? 'trained with the prior in its scores' : 'trained without the prior'}.`,
    '',
  );
  return lines;
}

/**
 * Wraps a result into the report document.
 * @param result - the experiment
 * @param command - the command line that produced it
 * @param now - creation time
 * @returns the report
 */
export function buildReport(result: ExperimentResult, command: string, now: Date): SimReport {
  return { format: REPORT_FORMAT, command, createdAt: now.toISOString(), ...result };
}

const f4 = (x: number | null | undefined): string =>
  x === null || x === undefined ? '–' : x.toFixed(4);

/**
 * The one-line summary the CLI prints.
 * @param report - the report
 * @returns e.g. `synthetic 10000 users, 30 rounds: NDCG@10 popularity 0.0101, cold start 0.0042, …`
 */
export function summaryLine(report: SimReport): string {
  const r = report.results;
  const pct = (x: number | null | undefined): string =>
    x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)}%`;
  const dp =
    r.federatedDp === null
      ? ''
      : `, federated+DP(${report.privacy.mode} ε=${report.privacy.epsilon}) ${f4(r.federatedDp.ndcgAt10)} (${pct(report.ndcgRatioToCentralized.federatedDp)})`;
  const prior =
    r.federatedPrior === null
      ? ''
      : `, federated+prior ${f4(r.federatedPrior.ndcgAt10)}` +
        (r.federatedDpPrior === null
          ? ''
          : `, federated+DP+prior ${f4(r.federatedDpPrior.ndcgAt10)}`);
  return (
    `${report.dataset} ${report.users} users, ${report.rounds} rounds: NDCG@10 popularity ${f4(r.popularity.ndcgAt10)}, ` +
    `cold start ${f4(r.coldStart.ndcgAt10)}, content-only ${f4(r.contentOnly.ndcgAt10)}, centralized ${f4(r.centralized.ndcgAt10)}, ` +
    `federated ${f4(r.federated.ndcgAt10)} (${pct(report.ndcgRatioToCentralized.federated)})${dp}${prior}`
  );
}

function metricsRow(
  label: string,
  m: RankingMetrics | null,
  ratio: number | null | undefined,
): string {
  if (m === null) return `| ${label} | – | – | – | – | – | – | – |`;
  return `| ${label} | ${f4(m.recallAt10)} | ${f4(m.recallAt50)} | ${f4(m.ndcgAt10)} | ${f4(m.mrr)} | ${f4(m.hitRateAt10)} | ${f4(m.auc)} | ${ratio === null || ratio === undefined ? '–' : `${(100 * ratio).toFixed(1)}%`} |`;
}

/**
 * Renders `report.md`.
 * @param report - the report
 * @returns Markdown
 */
export function renderMarkdown(report: SimReport): string {
  const p = report.privacy;
  const fed = report.federatedRuns.federated;
  const dp = report.federatedRuns.federatedDp;
  const lines = [
    `# PrivAds simulation report`,
    '',
    `\`${report.command}\``,
    '',
    `- Dataset: **${report.dataset}**, ${report.users} users (${report.heldOutUsers} with held-out clicks), ${report.items} items, encoder \`${report.encoderId}\`, tfjs backend \`${report.backend}\``,
    `- Federation: ${report.rounds} rounds, sampling probability ${report.settings.samplingProbability} (expected cohort ${report.settings.cohort}), clip norm ${report.settings.clipNorm}, ${report.settings.serverOptimizer === 'fedadam' ? `FedAdam lr ${report.settings.serverLearningRate} β₁ ${report.settings.serverMomentum} τ ${report.settings.serverAdamTau}` : `FedAvg lr ${report.settings.serverLearningRate} momentum ${report.settings.serverMomentum}`}, dropout ${report.settings.dropout}${Number(report.settings.personalizeEpochs ?? 0) > 0 ? `, device-side personalisation ${report.settings.personalizeEpochs} epochs per upload` : ''}`,
    `- Centralized baseline: θ and user vectors optimised jointly (full-batch Adam), chosen on a validation split of the training slates: lr ${report.settings.centralizedLearningRate}, ${report.settings.centralizedSteps} steps, ${report.settings.centralizedUserVectors} user vectors (validation NDCG@10 ${report.settings.centralizedValidationNdcgAt10}; tried: ${report.settings.centralizedCandidates})`,
    `- Privacy of the DP run: mode **${p.mode}**, ε = ${p.epsilon}, δ = ${p.delta.toExponential(2)}` +
      (p.participations === undefined
        ? ''
        : ` per device, without amplification by subsampling (composed over the ${p.participations} rounds the participation rules let one device join)`) +
      (p.noiseMultiplier === undefined
        ? ''
        : `, noise multiplier z = ${p.noiseMultiplier.toFixed(4)}, ε spent = ${f4(p.spentEpsilon)}`) +
      (p.sigma === undefined ? '' : `, σ per coordinate = ${p.sigma.toFixed(4)} (per-upload ε)`),
    `- Throughput: ${fed.clientRoundsPerSecond.toFixed(1)} client-rounds/s (${fed.clientRounds} uploads computed in the no-DP run, browser gradient code on tfjs-${report.backend})`,
    ...(dp !== null && p.mode === 'distributed'
      ? [
          `- Distributed rounds: ${dp.secondsPerRound.toFixed(2)} s per round on average (${(dp.secureSeconds / Math.max(1, report.rounds)).toFixed(2)} s of it in secure aggregation: every device's quantizing, masking and messages, and the server's unmasking), ${dp.releasedRounds} of ${report.rounds} rounds released`,
        ]
      : []),
    '',
    '| Model | Recall@10 | Recall@50 | NDCG@10 | MRR | HR@10 | AUC | NDCG@10 vs centralized |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...MODELS.filter(([key]) => report.results[key] !== null || key === 'federatedDp').map(
      ([key, label]) =>
        metricsRow(
          DP_MODELS.has(key) ? `${label} (${p.mode}, ε=${p.epsilon})` : label,
          report.results[key],
          key === 'centralized' ? 1 : report.ndcgRatioToCentralized[key],
        ),
    ),
    '',
    ...countsLines(report),
  ];
  if (report.curve.length > 0) {
    lines.push(
      '## Privacy–utility curve',
      '',
      '| ε | noise | NDCG@10 | vs centralized |',
      '| --- | --- | --- | --- |',
    );
    for (const c of report.curve) {
      lines.push(
        `| ${c.epsilon} | ${c.noiseMultiplier.toFixed(4)} | ${f4(c.ndcgAt10)} | ${(100 * c.ratioToCentralized).toFixed(1)}% |`,
      );
    }
    lines.push('');
  }
  lines.push(
    'Plots: `ndcg-per-round.svg`' + (report.curve.length > 0 ? ', `privacy-utility.svg`' : ''),
    '',
    'Timings (s): ' +
      Object.entries(report.seconds)
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(', '),
    '',
  );
  return lines.join('\n');
}

/**
 * The report's plots.
 * @param report - the report
 * @returns file name → SVG
 */
export function renderPlots(report: SimReport): Record<string, string> {
  const perRound = (
    name: string,
    history: SimReport['federatedRuns']['federated']['history'],
  ): PlotSeries => ({
    name,
    points: history.flatMap((h) => (h.metrics ? [[h.round, h.metrics.ndcgAt10] as const] : [])),
  });
  const reference = (name: string, m: RankingMetrics): PlotSeries => ({
    name,
    reference: true,
    points: [
      [1, m.ndcgAt10],
      [report.rounds, m.ndcgAt10],
    ],
  });
  const runs = report.federatedRuns;
  const series: PlotSeries[] = [perRound('federated, no DP', runs.federated.history)];
  if (runs.federatedDp)
    series.push(
      perRound(
        `federated, ${report.privacy.mode} ε=${report.privacy.epsilon}`,
        runs.federatedDp.history,
      ),
    );
  series.push(
    reference('centralized', report.results.centralized),
    reference('content-only', report.results.contentOnly),
    reference('popularity', report.results.popularity),
    reference('cold start', report.results.coldStart),
  );
  const plots: Record<string, string> = {
    'ndcg-per-round.svg': renderLineChart({
      title: `NDCG@10 per round (evaluation subset) — ${report.dataset}, ${report.users} users`,
      xLabel: 'round',
      yLabel: 'NDCG@10',
      series,
    }),
  };
  if (report.curve.length > 0) {
    const eps = report.curve.map((c) => c.epsilon);
    const flat = (name: string, y: number): PlotSeries => ({
      name,
      reference: true,
      points: [
        [Math.min(...eps), y],
        [Math.max(...eps), y],
      ],
    });
    plots['privacy-utility.svg'] = renderLineChart({
      title: `Privacy–utility (${report.privacy.mode} DP, δ=${report.privacy.delta.toExponential(1)}) — ${report.users} users`,
      xLabel: 'ε (log scale)',
      yLabel: 'NDCG@10',
      logX: true,
      series: [
        {
          name: `federated + DP`,
          points: report.curve.map((c) => [c.epsilon, c.ndcgAt10] as const),
        },
        flat('federated, no DP', report.results.federated.ndcgAt10),
        flat('centralized', report.results.centralized.ndcgAt10),
        flat('content-only', report.results.contentOnly.ndcgAt10),
      ],
    });
  }
  return plots;
}

/**
 * Writes report.json, report.md and the plots.
 * @param dir - output directory (created)
 * @param report - the report
 * @returns the paths written
 */
export async function writeReport(dir: string, report: SimReport): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: Record<string, string> = {
    'report.json': `${JSON.stringify(report, null, 2)}\n`,
    'report.md': renderMarkdown(report),
    ...renderPlots(report),
  };
  const written: string[] = [];
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    await writeFile(path, text);
    written.push(path);
  }
  return written;
}
