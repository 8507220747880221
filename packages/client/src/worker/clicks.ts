import type { EventRecord } from '../store/records.js';
import type { LoadedCatalog } from './catalog.js';

/** A logged click learning can use: its slate's ads are all in the catalog, two or more. */
export interface UsableClick {
  readonly indices: number[];
  readonly clicked: number;
}

/**
 * The logged clicks on slates of two or more catalog ads, oldest first.
 * @param events - the event log, time-ordered
 * @param catalog - the catalog the device holds
 */
export function usableClicks(
  events: readonly EventRecord[],
  catalog: LoadedCatalog,
): UsableClick[] {
  const out: UsableClick[] = [];
  for (const event of events) {
    if (event.kind !== 'click') continue;
    const ids = event.slate.filter((id) => catalog.indexOf(id) !== undefined);
    const clicked = ids.indexOf(event.adId);
    // One-ad slates have a zero softmax gradient: they carry nothing to learn from.
    if (clicked < 0 || ids.length < 2) continue;
    out.push({ indices: ids.map((id) => catalog.indexOf(id) as number), clicked });
  }
  return out;
}
