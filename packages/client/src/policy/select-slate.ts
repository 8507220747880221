import type { TopK } from '../engines/engine.js';
import type { ResolvedPolicy } from './options.js';

/** What the policy needs to know about the catalog and the reader's recent history. */
export interface SlateContext {
  /** Number of ad slots to fill. */
  readonly slots: number;
  /** Number of ads in the catalog (ε-greedy draws from all of them). */
  readonly catalogSize: number;
  /**
   * @param index - catalog row
   * @returns the ad's advertiser (diversity groups by it)
   */
  advertiserOf(index: number): string;
  /**
   * @param index - catalog row
   * @returns the reader's impressions of this ad within the frequency window
   */
  impressionsOf(index: number): number;
  /**
   * @param index - catalog row
   * @returns whether the reader asked not to see this ad ("not interested")
   */
  isBlocked(index: number): boolean;
  /**
   * Score of an ad outside the candidate list (an exploration pick).
   * @param index - catalog row
   * @returns its score for the current query
   */
  scoreOf(index: number): number;
  /** Uniform random number in [0, 1); injectable for tests. */
  random(): number;
}

/** One chosen ad. */
export interface SlatePick {
  /** Catalog row. */
  readonly index: number;
  /** Its (unperturbed) score. */
  readonly score: number;
  /** Chosen by exploration rather than by score. */
  readonly explored: boolean;
}

/** Attempts to find an eligible random ad per ε-greedy slot before giving up on exploring it. */
const EXPLORATION_DRAWS = 16;

function standardNormal(random: () => number): number {
  // Box–Muller; 1 − u keeps the logarithm finite.
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Tracks what the slate already holds so that every rule is checked in one place. */
class SlateBuilder {
  readonly picks: SlatePick[] = [];
  readonly #taken = new Set<number>();
  readonly #perAdvertiser = new Map<string, number>();

  constructor(
    private readonly policy: ResolvedPolicy,
    private readonly ctx: SlateContext,
  ) {}

  get full(): boolean {
    return this.picks.length >= this.ctx.slots;
  }

  /** Whether `index` may join, with or without the (soft) diversity rule. */
  eligible(index: number, enforceDiversity: boolean): boolean {
    if (this.#taken.has(index) || this.ctx.isBlocked(index)) return false;
    const cap = this.policy.frequencyCap;
    if (cap !== false && this.ctx.impressionsOf(index) >= cap.maxImpressions) return false;
    const diversity = this.policy.diversity;
    if (enforceDiversity && diversity !== false) {
      const shown = this.#perAdvertiser.get(this.ctx.advertiserOf(index)) ?? 0;
      if (shown >= diversity.maxPerAdvertiser) return false;
    }
    return true;
  }

  add(pick: SlatePick): void {
    this.picks.push(pick);
    this.#taken.add(pick.index);
    const advertiser = this.ctx.advertiserOf(pick.index);
    this.#perAdvertiser.set(advertiser, (this.#perAdvertiser.get(advertiser) ?? 0) + 1);
  }
}

/**
 * Orders candidates for selection: by score, or by a Thompson sample of it.
 * @returns candidate positions in selection order
 */
function selectionOrder(candidates: TopK, policy: ResolvedPolicy, ctx: SlateContext): number[] {
  const order = Array.from(candidates.indices, (_, i) => i);
  const exploration = policy.exploration;
  if (exploration.kind !== 'thompson' || exploration.scale === 0) return order;
  const sampled = order.map((i) => {
    const index = candidates.indices[i] as number;
    const spread = exploration.scale / Math.sqrt(1 + ctx.impressionsOf(index));
    return (candidates.scores[i] as number) + spread * standardNormal(() => ctx.random());
  });
  return order.sort((a, b) => (sampled[b] as number) - (sampled[a] as number));
}

/** Fills the slate from `order`, first with every rule, then relaxing only diversity. */
function fill(
  builder: SlateBuilder,
  candidates: TopK,
  order: readonly number[],
  greedy: Set<number>,
): void {
  for (const enforceDiversity of [true, false]) {
    for (const position of order) {
      if (builder.full) return;
      const index = candidates.indices[position] as number;
      if (!builder.eligible(index, enforceDiversity)) continue;
      const score = candidates.scores[position] as number;
      builder.add({ index, score, explored: !greedy.has(index) });
    }
  }
}

/**
 * Chooses the ads of one slate from the engine's best candidates: frequency cap (hard), at most
 * `maxPerAdvertiser` per advertiser (relaxed only if the slots cannot be filled otherwise), and
 * exploration (Thompson perturbation of the candidate order, or ε-greedy random ads per slot).
 * @param candidates - the engine's top candidates, best first
 * @param policy - resolved policy
 * @param ctx - catalog and history accessors, random source
 * @returns at most `ctx.slots` picks, in display order
 */
export function selectSlate(
  candidates: TopK,
  policy: ResolvedPolicy,
  ctx: SlateContext,
): SlatePick[] {
  // The greedy slate (no exploration) marks which Thompson picks were exploratory.
  const byScore = Array.from(candidates.indices, (_, i) => i);
  const greedyBuilder = new SlateBuilder(policy, ctx);
  fill(greedyBuilder, candidates, byScore, new Set(candidates.indices));
  const greedy = new Set(greedyBuilder.picks.map((p) => p.index));
  if (policy.exploration.kind === 'none') return greedyBuilder.picks;

  const builder = new SlateBuilder(policy, ctx);
  if (policy.exploration.kind === 'epsilon-greedy') {
    const epsilon = policy.exploration.epsilon;
    while (!builder.full) {
      const explore = ctx.catalogSize > 0 && ctx.random() < epsilon;
      const pick =
        (explore ? drawEligible(builder, ctx) : undefined) ?? nextBest(builder, candidates);
      if (pick === undefined) break;
      builder.add(pick);
    }
    return builder.picks;
  }
  fill(builder, candidates, selectionOrder(candidates, policy, ctx), greedy);
  return builder.picks;
}

/** The best-scoring candidate that may join (diversity relaxed only when nothing else fits). */
function nextBest(builder: SlateBuilder, candidates: TopK): SlatePick | undefined {
  for (const enforceDiversity of [true, false]) {
    for (let i = 0; i < candidates.indices.length; i++) {
      const index = candidates.indices[i] as number;
      if (builder.eligible(index, enforceDiversity)) {
        return { index, score: candidates.scores[i] as number, explored: false };
      }
    }
  }
  return undefined;
}

/** A random ad that passes every rule and is not already in the slate, if one is found quickly. */
function drawEligible(builder: SlateBuilder, ctx: SlateContext): SlatePick | undefined {
  for (let attempt = 0; attempt < EXPLORATION_DRAWS; attempt++) {
    const index = Math.min(ctx.catalogSize - 1, Math.floor(ctx.random() * ctx.catalogSize));
    if (builder.eligible(index, true)) return { index, score: ctx.scoreOf(index), explored: true };
  }
  return undefined;
}
