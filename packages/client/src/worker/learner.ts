import type { EventRecord, ProfileRecord } from '../store/records.js';
import type { LoadedCatalog } from './catalog.js';
import { contextVector } from './ranker.js';
import { loadModel, type ModelModule } from './model-runtime.js';
import type { Runtime } from './runtime.js';

/** Reads shorter than this are bounces and teach nothing. */
export const MIN_READ_MS = 3000;
/** Dwell at which a read reaches its full weight. */
export const FULL_READ_MS = 30_000;

/** A profile rule: the next vector from the current one and the number of updates so far. */
type Rule = (model: ModelModule, u: Float32Array, updates: number) => Float32Array;

/**
 * Turns the reader's interactions into profile updates (DESIGN §2): a click is one gradient step of
 * the slate softmax loss (EMA toward the ad when no slate is known), a hide pushes the profile
 * away from the ad, a read pulls it toward the article with a weight growing with dwell time.
 * Every update is a read-modify-write under the store's cross-tab lock, logged in the same
 * transaction, then announced to the other tabs.
 */
export class Learner {
  /** The last query `rank` used: where a cold profile starts from. */
  lastQuery: Float32Array | undefined;

  /** @param runtime - the worker runtime */
  constructor(private readonly runtime: Runtime) {}

  /**
   * Logs a shown slate (for frequency caps and click attribution).
   * @param adIds - ads in display order
   */
  async impression(adIds: readonly string[]): Promise<void> {
    const { runtime } = this;
    if (runtime.paused || adIds.length === 0) return;
    const t = runtime.deps.now();
    runtime.history.add(adIds, t);
    runtime.broadcast({ type: 'impression', adIds, t });
    await runtime.store.appendEvent({ kind: 'impression', t, adIds: [...adIds] });
  }

  /**
   * Learns from a click.
   * @param adId - the clicked ad
   */
  async click(adId: string): Promise<void> {
    const catalog = await this.#catalogWith(adId);
    if (catalog === undefined) return;
    const now = this.runtime.deps.now();
    const shown = this.runtime.history.slateContaining(adId, now) ?? [adId];
    const slate = shown.filter((id) => catalog.indexOf(id) !== undefined);
    const indices = slate.map((id) => catalog.indexOf(id) as number);
    const clicked = slate.indexOf(adId);
    const projected = catalog.projectedRows(indices);
    // The softmax scores cosine plus the catalog's popularity bias, as the ranking does.
    const bias = catalog.biasRows(indices);
    const rule: Rule =
      slate.length > 1
        ? (m, u) => m.userGradientStep(u, projected, clicked, bias ? { bias } : {})
        : (m, u, updates) => m.emaUpdate(u, projected, updates);
    await this.#apply(catalog, rule, { kind: 'click', t: now, adId, slate });
  }

  /**
   * Learns from "not interested"; the ad is not shown again while the history remembers it.
   * @param adId - the hidden ad
   */
  async hide(adId: string): Promise<void> {
    const catalog = await this.#catalogWith(adId);
    if (catalog === undefined) return;
    const now = this.runtime.deps.now();
    this.runtime.history.hide(adId);
    const target = catalog.projectedRow(catalog.indexOf(adId) as number);
    await this.#apply(catalog, (m, u) => m.pushAway(u, target, m.DEFAULT_NEGATIVE_WEIGHT), {
      kind: 'hide',
      t: now,
      adId,
    });
  }

  /**
   * Learns from reading an article.
   * @param context - the article's text, or its embedding (content or user space)
   * @param dwellMs - time spent reading
   */
  async read(context: Float32Array | string, dwellMs: number): Promise<void> {
    const { runtime } = this;
    if (runtime.paused || !(dwellMs >= MIN_READ_MS)) return;
    await runtime.ready();
    const catalog = runtime.catalog;
    if (catalog === undefined) return;
    const target = await contextVector(runtime, catalog, context);
    if (target === undefined) return;
    const weight = Math.min(1, dwellMs / FULL_READ_MS);
    await this.#apply(
      catalog,
      (m, u) => m.pullToward(u, target, m.DEFAULT_READING_WEIGHT * weight),
      { kind: 'read', t: runtime.deps.now(), dwellMs },
    );
  }

  async #catalogWith(adId: string): Promise<LoadedCatalog | undefined> {
    const { runtime } = this;
    if (runtime.paused) return undefined;
    await runtime.ready();
    const catalog = runtime.catalog;
    if (catalog === undefined || catalog.indexOf(adId) === undefined) {
      runtime.emit('error', {
        code: 'NOT_FOUND',
        message: `ad ${JSON.stringify(adId)} is not in the current catalog`,
        operation: 'record',
      });
      return undefined;
    }
    return catalog;
  }

  async #apply(catalog: LoadedCatalog, rule: Rule, event: EventRecord): Promise<void> {
    const { runtime } = this;
    const model = await loadModel();
    const start = this.lastQuery ?? catalog.prior;
    const now = runtime.deps.now();
    const next = await runtime.store.updateProfile((current): ProfileRecord => {
      const usable = current !== undefined && current.vector.length === catalog.userDim;
      const u = usable ? current.vector : start;
      return {
        vector: rule(model, u, usable ? current.updates : 0),
        updates: (usable ? current.updates : 0) + 1,
        revision: (current?.revision ?? 0) + 1,
        updatedAt: now,
      };
    }, event);
    if (next !== undefined) runtime.announceProfile(next);
  }
}
