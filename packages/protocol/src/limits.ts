/**
 * Resource limits every decoder enforces before it allocates. Each decoder documents what `maxCount`
 * and `maxDim` bound for its format; omitted fields take that decoder's defaults.
 */
export interface DecodeLimits {
  /** Largest accepted input, in bytes; checked before anything is parsed. */
  maxBytes?: number;
  /** Largest JSON header, in bytes. */
  maxHeaderBytes?: number;
  /** Largest item count (catalog: ads; safetensors: tensors). */
  maxCount?: number;
  /** Largest dimension (catalog: vector dims; update: vector length; safetensors: tensor rank). */
  maxDim?: number;
}

/** {@link DecodeLimits} with every field set. */
export type ResolvedLimits = Readonly<Required<DecodeLimits>>;

const MiB = 1024 * 1024;

/**
 * Default limits of {@link decodeSafetensors}: 1 GiB file, 16 MiB header, 65 536 tensors, rank 16.
 * @defaultValue `{ maxBytes: 1 GiB, maxHeaderBytes: 16 MiB, maxCount: 65536, maxDim: 16 }`
 */
export const SAFETENSORS_DEFAULT_LIMITS: ResolvedLimits = Object.freeze({
  maxBytes: 1024 * MiB,
  maxHeaderBytes: 16 * MiB,
  maxCount: 65_536,
  maxDim: 16,
});

/**
 * Default limits of {@link decodeCatalogBundle}: 512 MiB bundle, 1 MiB header, one million ads,
 * 4096-dimensional vectors.
 * @defaultValue `{ maxBytes: 512 MiB, maxHeaderBytes: 1 MiB, maxCount: 1_000_000, maxDim: 4096 }`
 */
export const CATALOG_DEFAULT_LIMITS: ResolvedLimits = Object.freeze({
  maxBytes: 512 * MiB,
  maxHeaderBytes: MiB,
  maxCount: 1_000_000,
  maxDim: 4096,
});

/**
 * Default limits of {@link decodeUpdate}: 8 MiB upload, 4 KiB header, vectors of up to 2²⁰ entries.
 * @defaultValue `{ maxBytes: 8 MiB, maxHeaderBytes: 4096, maxCount: 1, maxDim: 1_048_576 }`
 */
export const UPDATE_DEFAULT_LIMITS: ResolvedLimits = Object.freeze({
  maxBytes: 8 * MiB,
  maxHeaderBytes: 4096,
  maxCount: 1,
  maxDim: 1_048_576,
});

/**
 * Merges caller limits over defaults and checks them.
 * @param limits - caller's partial limits (may be undefined)
 * @param defaults - the decoder's defaults
 * @returns every field set
 * @throws RangeError when a limit is not a non-negative safe integer
 */
export function resolveLimits(
  limits: DecodeLimits | undefined,
  defaults: ResolvedLimits,
): ResolvedLimits {
  const resolved = { ...defaults };
  for (const key of Object.keys(defaults) as (keyof DecodeLimits)[]) {
    const value = limits?.[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(
        `limits.${key} must be a non-negative safe integer, got ${String(value)}`,
      );
    }
    resolved[key] = value;
  }
  return resolved;
}
