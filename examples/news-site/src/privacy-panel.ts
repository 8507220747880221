/**
 * The reader's privacy panel: what this device knows (as ad categories, never the raw vector),
 * what it has sent (rounds, sizes, times, ε), and the controls to pause, export, reset and delete.
 * Everything shown is read from the local client; nothing here asks the server about the reader.
 */
import type {
  FlushResult,
  PrivAds,
  PrivacyReport,
  ProfileExport,
  RankResult,
} from '@privads/client';
import { categories, titleCase } from './content.js';
import { h } from './dom.js';

/** Panel actions the page implements (they change more than the panel). */
export interface PanelActions {
  readonly reset: () => Promise<void>;
  readonly remove: () => Promise<void>;
  /** The ads nearest to the profile, without frequency caps or exploration (what the device knows, not what it would show). */
  readonly nearest: (slots: number) => Promise<RankResult>;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const formatBytes = (bytes: number): string =>
  bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
const formatTime = (iso: string): string =>
  new Date(iso).toLocaleTimeString('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });

/** Share of each category among the ads nearest to the profile (exploration picks left out). */
export function categoryShares(result: RankResult): Array<{ category: string; share: number }> {
  const ads = result.ads.filter((ad) => ad.why.code !== 'exploration');
  const counts = new Map<string, number>();
  for (const ad of ads) counts.set(ad.category, (counts.get(ad.category) ?? 0) + 1);
  return categories
    .map((category) => ({
      category,
      share: ads.length === 0 ? 0 : (counts.get(category) ?? 0) / ads.length,
    }))
    .sort((a, b) => b.share - a.share);
}

function interests(nearest: RankResult): HTMLElement {
  const personal = nearest.source === 'profile';
  const shares = categoryShares(nearest);
  return h(
    'div',
    {
      'data-testid': 'interests',
      'data-source': nearest.source,
      'data-shares': JSON.stringify(
        Object.fromEntries(shares.map(({ category, share }) => [category, share])),
      ),
    },
    personal
      ? null
      : h(
          'p',
          { class: 'muted' },
          'No profile yet: these are the categories every new reader starts from. Read a story or click an ad and this device starts learning what you like — locally.',
        ),
    ...shares
      .filter(({ share }) => share > 0)
      .slice(0, personal ? 5 : 3)
      .map(({ category, share }) =>
        h(
          'div',
          { class: 'interest-bar', 'data-category': category, 'data-share': share.toFixed(3) },
          h('span', {}, titleCase(category)),
          h('span', { class: 'bar' }, h('span', { style: `width:${Math.round(share * 100)}%` })),
          h('span', {}, `${Math.round(share * 100)}%`),
        ),
      ),
  );
}

function eventCounts(profile: ProfileExport): HTMLElement {
  // An impression event is one slate: count the ads in it.
  const count = (kind: string): number =>
    profile.events
      .filter((event) => event.kind === kind)
      .reduce((sum, event) => sum + (kind === 'impression' ? (event.adIds?.length ?? 0) : 1), 0);
  const cell = (label: string, kind: string): HTMLElement =>
    h(
      'div',
      { class: 'counter' },
      h('span', { class: 'stat', 'data-testid': `count-${kind}` }, String(count(kind))),
      h('span', {}, label),
    );
  return h(
    'div',
    { class: 'counters' },
    cell('ads seen', 'impression'),
    cell('clicks', 'click'),
    cell('reads', 'read'),
    cell('hidden', 'hide'),
  );
}

/** Privacy modes this device may join, weakest first, and what each one protects, from whom. */
const MODE_PROTECTION: readonly { mode: PrivacyReport['floor']['minimumMode']; text: string }[] = [
  {
    mode: 'central',
    text: 'central: the ad server sees your clipped update and adds the noise itself, so ε protects you from whoever sees the released model, not from the server.',
  },
  {
    mode: 'distributed',
    text: 'distributed: your update is masked and carries a share of the noise; the ad server learns only the noised sum of at least k_min readers (the round’s minimum), never your update. ε holds against the server and anyone who sees its data, as long as the server does not fake the other readers; the page and the network see only that this device took part.',
  },
  {
    mode: 'local',
    text: 'local: your device adds all the noise before sending, so ε holds even against the server.',
  },
];

function modes(report: PrivacyReport): HTMLElement {
  const floor = MODE_PROTECTION.findIndex((m) => m.mode === report.floor.minimumMode);
  return h(
    'ul',
    { class: 'muted', 'data-testid': 'privacy-modes' },
    ...MODE_PROTECTION.slice(Math.max(0, floor)).map((m) => h('li', {}, m.text)),
  );
}

function spend(report: PrivacyReport): HTMLElement {
  const used = report.epsilonSpent / report.floor.lifetimeEpsilon;
  return h(
    'div',
    {},
    h(
      'p',
      {},
      h('span', { class: 'stat', 'data-testid': 'epsilon-spent' }, report.epsilonSpent.toFixed(2)),
      ` ε of ${report.floor.lifetimeEpsilon} spent over ${report.participations} contribution${report.participations === 1 ? '' : 's'}`,
    ),
    h(
      'div',
      { class: 'interest-bar budget' },
      h('span', {}, 'Budget'),
      h(
        'span',
        { class: 'bar' },
        h('span', { style: `width:${Math.min(100, Math.round(used * 100))}%` }),
      ),
      h('span', {}, `${Math.round(used * 100)}%`),
    ),
    h(
      'p',
      { class: 'muted' },
      `ε is this device's own privacy cost, not reduced for being one of many. Each contribution is one clipped update of the shared model, noised or masked as its mode says below, sent to the ad server — never your profile; the server and the network see that this device took part, not what you read or clicked. Your device takes part whether or not you clicked, at most once per round and within the round's lifetime limit, and refuses rounds weaker than "${report.floor.minimumMode}" or costing more than ε ${report.floor.maxEpsilonPerRound}. The modes it joins:`,
    ),
    modes(report),
  );
}

function uploads(report: PrivacyReport): HTMLElement {
  if (report.uploads.length === 0)
    return h('p', { class: 'muted', 'data-testid': 'uploads' }, 'Nothing sent yet.');
  return h(
    'table',
    { 'data-testid': 'uploads' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'Round'),
        h('th', {}, 'Size'),
        h('th', {}, 'Time'),
        h('th', {}, 'Mode'),
        h('th', {}, 'ε'),
        h('th', {}, 'Status'),
      ),
    ),
    h(
      'tbody',
      {},
      ...[...report.uploads]
        .reverse()
        .slice(0, 12)
        .map((upload) =>
          h(
            'tr',
            { 'data-round': upload.roundId },
            h('td', {}, `#${upload.roundId}`),
            h('td', {}, formatBytes(upload.bytes)),
            h('td', {}, formatTime(upload.at)),
            h('td', {}, upload.mode),
            h('td', {}, upload.epsilon.toFixed(2)),
            h('td', {}, upload.status),
          ),
        ),
    ),
  );
}

/**
 * The privacy panel. `refresh` re-reads everything from the client; the page calls it after
 * learning events and uploads, and whenever the panel opens.
 */
export class PrivacyPanel {
  readonly #root: HTMLElement;
  readonly #actions: PanelActions;
  #privads: PrivAds;
  #lastFlush: FlushResult | undefined;
  #notice = '';
  /** Counts refreshes: only the latest one renders (an earlier one may finish later, with older state). */
  #refreshes = 0;

  /**
   * @param root - the `data-testid="privacy-panel"` element
   * @param privads - the page's client
   * @param actions - reset and delete, implemented by the page
   */
  constructor(root: HTMLElement, privads: PrivAds, actions: PanelActions) {
    this.#root = root;
    this.#privads = privads;
    this.#actions = actions;
  }

  /** @param result - the latest contribution attempt, shown as the round status */
  set lastFlush(result: FlushResult) {
    this.#lastFlush = result;
  }

  /**
   * Shows another client (after the reader deleted everything, the page continues in memory).
   * @param privads - the new client
   * @param notice - what to tell the reader
   */
  attach(privads: PrivAds, notice: string): void {
    this.#privads = privads;
    this.#notice = notice;
  }

  get open(): boolean {
    return !this.#root.hidden;
  }

  /**
   * Re-renders from the client's current state. The panel is `aria-busy` until then: what it shows
   * when it opens is the state of its last render.
   */
  async refresh(): Promise<void> {
    const refresh = ++this.#refreshes;
    this.#root.setAttribute('aria-busy', 'true');
    try {
      await this.#render(refresh);
    } finally {
      if (refresh === this.#refreshes) this.#root.setAttribute('aria-busy', 'false');
    }
  }

  async #render(refresh: number): Promise<void> {
    const privads = this.#privads;
    const header = [
      this.#closeButton(),
      h('h2', {}, 'Your privacy'),
      h(
        'p',
        { class: 'muted' },
        "Ads on this site are chosen inside your browser. Your reading profile is stored on this device: it is never sent to the ad server, and nobody watching the network sees it. This site's own page could read it, but only shows it to you here.",
      ),
    ];
    const [report, profile, nearest, diagnostics] = await Promise.all([
      privads.privacyReport(),
      privads.exportProfile(),
      this.#actions.nearest(24),
      privads.diagnostics(),
    ]);
    if (refresh !== this.#refreshes) return;
    const flush = this.#lastFlush;
    this.#root.replaceChildren(
      ...header,
      h(
        'div',
        { class: 'panel-body' },
        this.#notice
          ? h('p', { class: 'notice', 'data-testid': 'privacy-notice' }, this.#notice)
          : null,
        h(
          'p',
          {
            class: 'status',
            'data-testid': 'privacy-status',
            'data-paused': String(report.paused),
          },
          report.paused
            ? '⏸ Learning paused — nothing is learned or sent.'
            : '● Learning on this device',
          h(
            'span',
            { class: 'muted' },
            ` · storage: ${report.storage} · engine: ${diagnostics.engine ?? 'none'} · catalog v${diagnostics.catalogVersion ?? '–'} (${diagnostics.catalogSize ?? 0} ads)`,
          ),
        ),
        h('h3', {}, 'What this device knows about you'),
        interests(nearest),
        eventCounts(profile),
        h(
          'p',
          { class: 'muted' },
          `Profile updated ${plural(profile.profile?.updates ?? 0, 'time')}. Shown as the ad categories nearest to it, not as numbers.`,
        ),
        h('h3', {}, 'Privacy spent'),
        spend(report),
        h('h3', {}, 'Contributions sent'),
        uploads(report),
        flush
          ? h(
              'p',
              { class: 'muted', 'data-testid': 'last-flush', 'data-reason': flush.reason },
              `Latest round: ${flush.message}`,
            )
          : null,
        h('h3', {}, 'Controls'),
        this.#controls(privads, report.paused),
      ),
    );
  }

  #closeButton(): HTMLElement {
    const button = h('button', { class: 'close', type: 'button', 'aria-label': 'Close' }, '×');
    button.addEventListener('click', () => this.toggle(false));
    return button;
  }

  #controls(privads: PrivAds, paused: boolean): HTMLElement {
    const button = (
      label: string,
      testId: string,
      run: () => Promise<void>,
      danger = false,
    ): HTMLElement => {
      const element = h(
        'button',
        { type: 'button', 'data-testid': testId, class: danger ? 'danger' : undefined },
        label,
      );
      element.addEventListener('click', () => {
        void run().then(() => this.refresh());
      });
      return element;
    };
    return h(
      'div',
      { class: 'controls' },
      paused
        ? button('Resume learning', 'privacy-resume', () => privads.resume())
        : button('Pause learning', 'privacy-pause', () => privads.pause()),
      button('Export my data', 'privacy-export', () => this.#export(privads)),
      button('Reset profile', 'privacy-reset', async () => {
        await this.#actions.reset();
        this.#notice =
          'Your profile, reading and clicks were deleted: this device starts learning from scratch. It keeps only which training rounds it joined and the privacy they cost, so that it cannot take part in the same round twice; "Delete everything" removes that too.';
      }),
      button('Delete everything', 'privacy-delete', () => this.#actions.remove(), true),
    );
  }

  async #export(privads: PrivAds): Promise<void> {
    const data = await privads.exportProfile();
    const url = URL.createObjectURL(
      new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }),
    );
    const link = h('a', { href: url, download: `privads-profile-${data.site}.json` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  /** @param open - show or hide; toggles when omitted */
  toggle(open = !this.open): void {
    this.#root.hidden = !open;
    document.querySelector('.privacy-toggle')?.setAttribute('aria-expanded', String(open));
    if (open) void this.refresh();
  }
}
