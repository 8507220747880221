import type { LoadedCatalog } from './catalog.js';
import type { UsableClick } from './clicks.js';
import { loadModel } from './model-runtime.js';
import type { Runtime } from './runtime.js';

/**
 * Device-side personalisation before a round's projector gradient (`refitUserVector` of
 * `@privads/model`, the simulator's rule too): the profile was learned click by click against the
 * catalog versions of their time; one pass over every retained click against the catalog held now
 * fits it to the projector the gradient is taken for, scoring cosine plus the catalog's popularity
 * bias as the ranking does. The refitted profile is stored under the
 * cross-tab lock and announced like any other update. Nothing leaves the device.
 * @param runtime - the worker runtime
 * @param catalog - the catalog of the round's projector
 * @param remembered - every retained usable click, oldest first
 * @returns the vector to take the gradient at: the refitted profile, or the cold-start prior when
 *   the reader has no profile for this catalog
 */
export async function personalizeProfile(
  runtime: Runtime,
  catalog: LoadedCatalog,
  remembered: readonly UsableClick[],
): Promise<Float32Array> {
  const fits = (vector: Float32Array | undefined): vector is Float32Array =>
    vector !== undefined && vector.length === catalog.userDim;
  if (!fits(runtime.profile?.vector)) return catalog.prior;
  const model = await loadModel();
  const clicks = remembered.map((click) => {
    const bias = catalog.biasRows(click.indices);
    return {
      slate: catalog.projectedRows(click.indices),
      clickedIndex: click.clicked,
      ...(bias ? { bias } : {}),
    };
  });
  if (clicks.length === 0) return runtime.profile.vector;
  const now = runtime.deps.now();
  const next = await runtime.store.updateProfile((current) =>
    current === undefined || !fits(current.vector)
      ? undefined
      : {
          ...current,
          vector: model.refitUserVector(current.vector, clicks),
          revision: current.revision + 1,
          updatedAt: now,
        },
  );
  if (next === undefined || !fits(next.vector)) return catalog.prior;
  runtime.announceProfile(next);
  return next.vector;
}
