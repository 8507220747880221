import type { AdMetadata } from '@privads/protocol';
import { explain } from '../policy/explain.js';
import { selectSlate } from '../policy/select-slate.js';
import type { WireRankRequest } from '../protocol.js';
import type { RankedAd, RankResult } from '../types.js';
import { biasedTopK } from './biased-top-k.js';
import type { LoadedCatalog } from './catalog.js';
import type { Runtime } from './runtime.js';
import { normalize } from './vector.js';

/** Weight of the page context when it is blended into a warm profile. */
export const CONTEXT_BLEND_WEIGHT = 0.5;

/** The query vector and where it came from. */
export interface Query {
  readonly vector: Float32Array;
  readonly source: 'profile' | 'context' | 'prior';
}

/**
 * Maps a page context to user space: text is encoded by the content encoder first; user-space
 * vectors are used as they are; content vectors go through the projector of the catalog's version.
 * @param runtime - the worker runtime
 * @param catalog - the catalog in use (encoder id, dims and projector version)
 * @param context - the page's text, or its embedding
 * @returns a unit vector in user space, or `undefined` (with a `fallback` event) when it cannot be mapped
 */
export async function contextVector(
  runtime: Runtime,
  catalog: LoadedCatalog,
  context: Float32Array | string,
): Promise<Float32Array | undefined> {
  if (typeof context === 'string') {
    if (!runtime.networkAllowed) {
      runtime.emit('fallback', {
        what: 'context',
        reason: 'paused: the page text is not encoded, the context is ignored',
      });
      return undefined;
    }
    const content = await runtime.contextEncoder.encode(context, catalog);
    return content === undefined ? undefined : projectContent(runtime, catalog, content);
  }
  if (context.length === catalog.userDim) return normalize(context);
  if (context.length !== catalog.contentDim) {
    runtime.emit('fallback', {
      what: 'context',
      reason: `context embedding has ${context.length} values; expected ${catalog.contentDim} (content) or ${catalog.userDim} (user space)`,
    });
    return undefined;
  }
  return projectContent(runtime, catalog, context);
}

/** Projects a content vector with the catalog's projector (downloaded on first use). */
async function projectContent(
  runtime: Runtime,
  catalog: LoadedCatalog,
  embedding: Float32Array,
): Promise<Float32Array | undefined> {
  try {
    const projector = runtime.networkAllowed
      ? await runtime.projectors.get(catalog.projectorVersion)
      : undefined;
    if (projector === undefined) {
      runtime.emit('fallback', {
        what: 'context',
        reason: runtime.networkAllowed
          ? `projector ${catalog.projectorVersion} is not available`
          : 'paused: the projector is not downloaded, the context is ignored',
      });
      return undefined;
    }
    return normalize(await projector.projectAsync(embedding, 1));
  } catch (error) {
    runtime.reportError('context', error);
    return undefined;
  }
}

/**
 * Chooses the query: the reader's profile (blended with the page context when given), else the
 * context alone, else the catalog prior.
 * @param runtime - the worker runtime
 * @param catalog - the catalog in use
 * @param request - the rank request
 * @returns the query
 */
export async function chooseQuery(
  runtime: Runtime,
  catalog: LoadedCatalog,
  request: WireRankRequest,
): Promise<Query> {
  const context =
    request.context === undefined
      ? undefined
      : await contextVector(
          runtime,
          catalog,
          'text' in request.context ? request.context.text : request.context.embedding,
        );
  const profile = runtime.profile;
  if (profile !== undefined && profile.updates > 0 && profile.vector.length === catalog.userDim) {
    if (context === undefined) return { vector: profile.vector, source: 'profile' };
    const blend = profile.vector.map((x, i) => x + CONTEXT_BLEND_WEIGHT * (context[i] as number));
    return { vector: normalize(blend) ?? profile.vector, source: 'profile' };
  }
  if (context !== undefined) return { vector: context, source: 'context' };
  return { vector: catalog.prior, source: 'prior' };
}

/**
 * Ranks the catalog for one request: top-K of the PQ index (when the catalog has one that loaded)
 * or of the scoring engine, re-ranked with the popularity prior the catalog carries (`biasedTopK`), then the policy (frequency cap, diversity, exploration), then explanations.
 * @param runtime - the worker runtime (with a catalog)
 * @param catalog - the catalog to rank
 * @param request - slots and context
 * @returns the ranked ads
 */
export async function rankCatalog(
  runtime: Runtime,
  catalog: LoadedCatalog,
  request: WireRankRequest,
): Promise<{ result: RankResult; query: Query }> {
  const query = await chooseQuery(runtime, catalog, request);
  const ranker = await runtime.rankerFor(catalog);
  const k = Math.min(catalog.count, request.slots * runtime.policy.candidatesPerSlot);
  const candidates = await biasedTopK(ranker, query.vector, k, catalog.bias, catalog.count);
  const now = runtime.deps.now();
  const picks = selectSlate(candidates, runtime.policy, {
    slots: request.slots,
    catalogSize: catalog.count,
    advertiserOf: (i) => (catalog.ads[i] as AdMetadata).advertiser,
    impressionsOf: (i) => runtime.history.countOf((catalog.ads[i] as AdMetadata).id, now),
    isBlocked: (i) => runtime.history.isHidden((catalog.ads[i] as AdMetadata).id),
    scoreOf: (i) => catalog.scoreOf(i, query.vector),
    random: runtime.deps.random,
  });
  const ads: RankedAd[] = picks.map((pick) => {
    const ad = catalog.ads[pick.index] as AdMetadata;
    const code = pick.explored ? 'exploration' : query.source;
    return { ...ad, score: pick.score, why: explain(code, ad) };
  });
  return {
    query,
    result: {
      ads,
      source: query.source,
      personalised: query.source === 'profile',
      engine: ranker.name,
      catalogVersion: catalog.version,
    },
  };
}
