/**
 * What both stores do with a catalog publication before committing it: separate the bundle from its
 * PQ index and describe the index, so the version's description announces it.
 */
import { strongEtag } from './etag.js';
import type { CatalogPublication, CloseCommit, PqIndexInfo } from './store.js';

/** A publication ready to commit: the bundle, and the index with its description. */
export interface PreparedPublication {
  /** The bundle (or projector) bytes. */
  readonly bytes: Uint8Array;
  /** The PQ index, when the publication has one. */
  readonly pqIndex?: { readonly bytes: Uint8Array; readonly info: PqIndexInfo };
}

/**
 * @param built - what a publication's `build` produced
 * @returns the bytes, and the index described
 */
export function preparePublication(built: Uint8Array | CatalogPublication): PreparedPublication {
  if (built instanceof Uint8Array) return { bytes: built };
  const index = built.pqIndex;
  return {
    bytes: built.bytes,
    ...(index === undefined
      ? {}
      : {
          pqIndex: {
            bytes: index.bytes,
            info: {
              etag: strongEtag(index.bytes),
              byteLength: index.bytes.byteLength,
              stages: [...index.stages],
            },
          },
        }),
  };
}

/**
 * The new catalog of a round close, if it publishes one.
 * @param commit - the close's catalog bytes and index
 * @returns the catalog ready to commit
 */
export function closeCatalogPublication(
  commit: Pick<CloseCommit, 'catalog' | 'catalogPqIndex'>,
): PreparedPublication | undefined {
  if (commit.catalog === undefined) return undefined;
  return preparePublication({
    bytes: commit.catalog,
    ...(commit.catalogPqIndex === undefined ? {} : { pqIndex: commit.catalogPqIndex }),
  });
}
