/**
 * The operator dashboard: asks for the operator token, then polls the operator API every few
 * seconds and draws rounds, cohort sizes, privacy spend, update norms, rejections, projector
 * versions, the per-ad counts of the latest round that released them and the quality curve. The token lives in this tab's sessionStorage only.
 */
import {
  OperatorApi,
  UnauthorizedError,
  type QualityPoint,
  type RoundAdCounts,
  type RoundSummary,
} from './api.js';
import { Chart } from './charts.js';

const REFRESH_MS = 4000;
const TOKEN_KEY = 'privads-operator-token';

const $ = <T extends HTMLElement>(selector: string): T => document.querySelector<T>(selector) as T;
const seconds = (iso: string): number => Date.parse(iso) / 1000;

function el(tag: string, className: string, text = ''): HTMLElement {
  const element = document.createElement(tag);
  element.className = className;
  element.textContent = text;
  return element;
}

const charts = {
  cohort: new Chart($('#chart-cohort'), {
    x: 'round',
    xLabel: 'round',
    yLabel: 'updates',
    series: [
      { label: 'cohort size', kind: 'bars' },
      { label: 'k_min', kind: 'dashed', color: '#64748b' },
    ],
  }),
  epsilon: new Chart($('#chart-epsilon'), {
    x: 'round',
    xLabel: 'round',
    yLabel: 'ε',
    series: [
      { label: 'ε per device (cumulative)', kind: 'step', fill: true, color: '#7c3aed' },
      { label: 'ε of one participation', kind: 'bars', color: '#c4b5fd' },
    ],
  }),
  norms: new Chart($('#chart-norms'), {
    x: 'value',
    xLabel: '‖update‖₂ ≤',
    yLabel: 'uploads',
    series: [{ label: 'uploads', kind: 'bars', color: '#059669' }],
  }),
  rejected: new Chart($('#chart-rejected'), {
    x: 'round',
    xLabel: 'round',
    yLabel: 'rejected',
    series: [],
  }),
  versions: new Chart($('#chart-versions'), {
    x: 'time',
    yLabel: 'version',
    // Every round publishes both, so the catalog line (dashed) usually lies on the projector's.
    series: [
      { label: 'projector', kind: 'step', color: '#2563eb', fill: true },
      { label: 'catalog', kind: 'step', color: '#d97706', dash: true },
    ],
  }),
  counts: new Chart($('#chart-counts'), {
    x: 'value',
    xLabel: 'rank by released clicks',
    yLabel: 'count',
    series: [
      { label: 'impressions', kind: 'bars', color: '#94a3b8' },
      { label: 'clicks', kind: 'bars', color: '#2563eb' },
      { label: 'noise σ (each count)', kind: 'dashed', color: '#dc2626' },
    ],
  }),
  quality: new Chart($('#chart-quality'), {
    x: 'round',
    xLabel: 'round',
    yLabel: 'value',
    series: [],
  }),
};
/** Charts whose series depend on the data (rejection reasons, quality metrics) are rebuilt when those change. */
let rejectedKeys = '';
let qualityKeys = '';

const rounds = new Map<number, RoundSummary>();
let lastRoundId = 0;
let timer: ReturnType<typeof setTimeout> | undefined;

function kpi(label: string, value: string, testId: string, note = ''): HTMLElement {
  const card = el('div', 'kpi');
  card.dataset['testid'] = testId;
  card.append(
    el('span', 'kpi-label', label),
    el('span', 'kpi-value', value),
    el('span', 'kpi-note', note),
  );
  return card;
}

function drawRounds(list: readonly RoundSummary[]): void {
  charts.cohort.set(
    list.map((r) => r.id),
    [list.map((r) => r.cohortSize), list.map((r) => r.kMin)],
  );
  const reasons = [...new Set(list.flatMap((r) => Object.keys(r.rejected)))].sort();
  const keys = reasons.join(',');
  if (keys !== rejectedKeys) {
    rejectedKeys = keys;
    charts.rejected = new Chart(($('#chart-rejected').replaceChildren(), $('#chart-rejected')), {
      x: 'round',
      xLabel: 'round',
      yLabel: 'rejected',
      series:
        reasons.length === 0
          ? [{ label: 'rejected (none so far)', kind: 'bars', color: '#dc2626' }]
          : reasons.map((reason) => ({ label: reason, kind: 'bars' as const })),
    });
  }
  charts.rejected.set(
    list.map((r) => r.id),
    reasons.length === 0
      ? [list.map(() => 0)]
      : reasons.map((reason) => list.map((r) => r.rejected[reason] ?? 0)),
  );
  // Norm histogram summed over the last 10 rounds that recorded one.
  const recent = list.filter((r) => r.normHistogram !== null).slice(-10);
  const first = recent[0]?.normHistogram;
  if (first) {
    const counts = first.counts.map((_, i) =>
      recent.reduce((sum, r) => sum + (r.normHistogram?.counts[i] ?? 0), 0),
    );
    const step = (first.bounds.at(-1) ?? 1) - (first.bounds.at(-2) ?? 0);
    const x = [...first.bounds, (first.bounds.at(-1) ?? 1) + step];
    charts.norms.set(x, [counts]);
  } else {
    charts.norms.set([], []);
  }
  const table = document.createElement('table');
  table.innerHTML =
    '<thead><tr><th>Round</th><th>Status</th><th>Closed</th><th>Cohort</th><th>k<sub>min</sub></th><th>Mode</th><th>C</th><th>ε</th><th>Σε</th><th>New projector</th></tr></thead>';
  const body = document.createElement('tbody');
  for (const r of [...list].reverse().slice(0, 8)) {
    const row = document.createElement('tr');
    const cells = [
      `#${r.id}`,
      r.status,
      r.closedAt ? new Date(r.closedAt).toLocaleTimeString() : '–',
      String(r.cohortSize),
      String(r.kMin),
      r.mode,
      r.clipNorm.toFixed(2),
      r.epsilon === null ? '–' : r.epsilon.toFixed(2),
      r.cumulativeEpsilon === null ? '–' : r.cumulativeEpsilon.toFixed(2),
      r.newProjectorVersion === null ? '–' : `v${r.newProjectorVersion}`,
    ];
    for (const [i, text] of cells.entries()) {
      const cell = el('td', i === 1 ? `status-${r.status}` : '', text);
      row.append(cell);
    }
    body.append(row);
  }
  table.append(body);
  $('#rounds-table').replaceChildren(
    list.length === 0 ? el('p', 'muted', 'No round has closed yet.') : table,
  );
}

function drawQuality(points: readonly QualityPoint[]): void {
  const metrics = [...new Set(points.map((p) => p.metric))].sort();
  const keys = metrics.join(',');
  if (keys !== qualityKeys) {
    qualityKeys = keys;
    $('#chart-quality').replaceChildren();
    charts.quality = new Chart($('#chart-quality'), {
      x: 'round',
      xLabel: 'round',
      yLabel: 'value',
      series: metrics.map((label) => ({ label })),
    });
  }
  const xs = [...new Set(points.map((p) => p.round))].sort((a, b) => a - b);
  const value = new Map(points.map((p) => [`${p.metric}@${p.round}`, p.value]));
  charts.quality.set(
    xs,
    metrics.map((m) => xs.map((x) => value.get(`${m}@${x}`) ?? null)),
  );
}

/** Ads shown in the counts chart. */
const TOP_ADS = 20;
/** The round whose counts are drawn (fetched again only when a newer one released counts). */
let countsRound = 0;

function drawCounts(released: RoundAdCounts): void {
  const top = [...released.ads].sort((a, b) => b.clicks - a.clicks).slice(0, TOP_ADS);
  const sigma = released.counts.sigma;
  charts.counts.set(
    top.map((_, i) => i + 1),
    [top.map((a) => a.impressions), top.map((a) => a.clicks), top.map(() => sigma)],
  );
  $('#counts-note').textContent =
    `top ${top.length} by released clicks · round #${released.roundId}, catalog v${released.counts.catalogVersion} · each count ± σ = ${sigma.toFixed(1)} (DP noise)`;
  const table = document.createElement('table');
  table.innerHTML =
    '<thead><tr><th>#</th><th>Ad</th><th>Advertiser</th><th>Impressions</th><th>Clicks</th></tr></thead>';
  const body = document.createElement('tbody');
  top.forEach((ad, i) => {
    const row = document.createElement('tr');
    for (const text of [
      String(i + 1),
      ad.id,
      ad.advertiser,
      `${ad.impressions.toFixed(1)} ± ${sigma.toFixed(1)}`,
      `${ad.clicks.toFixed(1)} ± ${sigma.toFixed(1)}`,
    ]) {
      row.append(el('td', '', text));
    }
    body.append(row);
  });
  table.append(body);
  $('#counts-table').replaceChildren(table);
}

async function refreshCounts(api: OperatorApi, list: readonly RoundSummary[]): Promise<void> {
  const latest = [...list].reverse().find((r) => r.status === 'released' && r.counts !== null);
  if (latest === undefined) {
    $('#counts-table').replaceChildren(
      el(
        'p',
        'muted',
        'No round has released per-ad counts yet (round.counts in the server config).',
      ),
    );
    return;
  }
  if (latest.id === countsRound) return;
  drawCounts(await api.adCounts(latest.id));
  countsRound = latest.id;
}

async function refresh(api: OperatorApi): Promise<void> {
  const [page, ledger, versions, summary, quality] = await Promise.all([
    api.rounds(lastRoundId),
    api.ledger(),
    api.versions(),
    api.summary(),
    api.quality(),
  ]);
  for (const r of page.rounds) {
    rounds.set(r.id, r);
    lastRoundId = Math.max(lastRoundId, r.id);
  }
  const list = [...rounds.values()].sort((a, b) => a.id - b.id);
  drawRounds(list);
  charts.epsilon.set(
    ledger.entries.map((e) => e.roundId),
    [ledger.entries.map((e) => e.cumulativeEpsilon), ledger.entries.map((e) => e.epsilon)],
  );
  // Versions as step lines over time; both series share the union of publication times.
  const times = [
    ...new Set([...versions.projectors, ...versions.catalogs].map((v) => seconds(v.createdAt))),
  ].sort((a, b) => a - b);
  const latestAt = (list2: typeof versions.projectors, t: number): number | null =>
    list2
      .filter((v) => seconds(v.createdAt) <= t)
      .reduce<number | null>((max, v) => Math.max(max ?? 0, v.version), null);
  charts.versions.set(times, [
    times.map((t) => latestAt(versions.projectors, t)),
    times.map((t) => latestAt(versions.catalogs, t)),
  ]);
  drawQuality(quality.points);
  await refreshCounts(api, list);

  const open = summary.openRound;
  const rejected = Object.values(summary.uploads.rejectedByReason).reduce((a, b) => a + b, 0);
  const released = summary.roundsClosed['released'] ?? 0;
  const insufficient = summary.roundsClosed['insufficient'] ?? 0;
  const remaining = open
    ? Math.max(0, Math.round((Date.parse(open.deadline) - Date.now()) / 1000))
    : 0;
  $('#kpis').replaceChildren(
    kpi(
      'Open round',
      open ? `#${open.id}` : '–',
      'kpi-open-round',
      open ? `closes in ${remaining} s · k_min ${open.kMin}` : '',
    ),
    kpi(
      'Rounds closed',
      String(released + insufficient),
      'kpi-rounds',
      `${released} released · ${insufficient} below k_min`,
    ),
    kpi(
      'Uploads accepted',
      summary.uploads.accepted.toLocaleString(),
      'kpi-uploads',
      `${rejected} rejected`,
    ),
    kpi(
      'ε per device',
      ledger.cumulativeEpsilon === null ? '–' : ledger.cumulativeEpsilon.toFixed(2),
      'kpi-epsilon',
      ledger.delta === null ? 'no DP' : `at δ = ${ledger.delta}`,
    ),
    kpi(
      'Projector',
      `v${versions.projectors.at(-1)?.version ?? '–'}`,
      'kpi-projector',
      `catalog v${versions.catalogs.at(-1)?.version ?? '–'}`,
    ),
    kpi('Store', summary.store, 'kpi-store', 'single instance'),
  );
  $('#status').textContent = `Live · updated ${new Date().toLocaleTimeString()}`;
  $('#status').classList.add('live');
}

function showLogin(message = ''): void {
  clearTimeout(timer);
  sessionStorage.removeItem(TOKEN_KEY);
  $('#login').hidden = false;
  $('#dashboard').hidden = true;
  $('#sign-out').hidden = true;
  $('#login-error').textContent = message;
  $('#status').textContent = 'Not connected';
  $('#status').classList.remove('live');
}

async function connect(token: string): Promise<void> {
  const api = new OperatorApi(token);
  // One request checks the token, so a wrong one costs one refusal, not one per endpoint.
  try {
    await api.summary();
  } catch (error) {
    if (error instanceof UnauthorizedError) {
      showLogin('That token was refused by the server.');
      return;
    }
  }
  const tick = async (): Promise<void> => {
    try {
      await refresh(api);
      sessionStorage.setItem(TOKEN_KEY, token);
      $('#login').hidden = true;
      $('#dashboard').hidden = false;
      $('#sign-out').hidden = false;
    } catch (error) {
      if (error instanceof UnauthorizedError) {
        showLogin('That token was refused by the server.');
        return;
      }
      $('#status').textContent =
        `Reconnecting… (${error instanceof Error ? error.message : String(error)})`;
      $('#status').classList.remove('live');
    }
    timer = setTimeout(() => void tick(), REFRESH_MS);
  };
  void tick();
}

$('#login').addEventListener('submit', (event) => {
  event.preventDefault();
  const token = $<HTMLInputElement>('#token').value.trim();
  if (token !== '') void connect(token);
});
$('#sign-out').addEventListener('click', () => showLogin());

// `#token=…` in the address (handy from a terminal) is read once and removed from the address bar.
const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
if (fromHash) history.replaceState(null, '', location.pathname);
const saved = fromHash ?? sessionStorage.getItem(TOKEN_KEY);
if (saved) void connect(saved);
