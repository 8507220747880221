/**
 * The scoring-engine contract. An engine holds one catalog of projected ad vectors (int8 rows with
 * a per-row scale, exactly as the catalog bundle ships them) and answers `score(u, ad) = u · p_ad`
 * for a query `u`. Engines register by name and priority; {@link resolveEngine} (resolver.ts)
 * picks one at run time and records why each faster one was skipped.
 */

/** Projected ad vectors as every engine receives them: `p_i ≈ scales[i] · data[i·dim … (i+1)·dim)`. */
export interface QuantizedMatrix {
  /** Identifies the content (the catalog version); an engine re-uploads only when it changes. */
  readonly version: string;
  /** Number of rows (ads). */
  readonly rows: number;
  /** Row length (the user dimension, 128 by default). */
  readonly dim: number;
  /** Row-major int8 values, `rows × dim`. */
  readonly data: Int8Array;
  /** One dequantisation scale per row. */
  readonly scales: Float32Array;
}

/** The best `k` rows for a query, best first. */
export interface TopK {
  /** Row indices, descending by score (ties: lower index first). */
  readonly indices: Int32Array;
  /** Their scores, same order. */
  readonly scores: Float32Array;
}

/** One loaded scoring engine. */
export interface ScoringEngine {
  /** Registry name, e.g. `webgpu` or `cpu`. */
  readonly name: string;
  /** Version of the matrix currently loaded, if any. */
  readonly loadedVersion: string | undefined;
  /**
   * Makes `matrix` the catalog to score. Idempotent per version: loading the version that is
   * already resident costs nothing (the WebGPU engine keeps it on the GPU).
   * @param matrix - the quantised catalog
   */
  load(matrix: QuantizedMatrix): Promise<void>;
  /**
   * Scores of every row (for conformance tests and exploration).
   * @param query - user-space vector of length `dim`
   * @returns `rows` scores
   * @throws Error when nothing is loaded or the query has the wrong length
   */
  scoreAll(query: Float32Array): Promise<Float32Array>;
  /**
   * The `k` best rows.
   * @param query - user-space vector of length `dim`
   * @param k - how many (clamped to the row count)
   * @returns indices and scores, best first
   */
  topK(query: Float32Array, k: number): Promise<TopK>;
  /** Frees memory and GPU resources; the engine is unusable afterwards. */
  dispose(): void;
}

/** Outcome of probing whether an engine can run here. */
export type EngineProbe =
  | {
      readonly ok: true;
      /** What was found, e.g. the adapter's vendor/architecture. */
      readonly detail: string;
      /** Builds the engine (allocates its device or buffers). */
      readonly create: () => Promise<ScoringEngine>;
    }
  | { readonly ok: false; /** Why the engine cannot or should not run. */ readonly reason: string };

/** What the registry stores for each engine. */
export interface EngineProvider {
  /** Unique name; also what `engine` preferences name. */
  readonly name: string;
  /** Higher is tried first. */
  readonly priority: number;
  /**
   * Checks whether the engine can run here.
   * @param options.force - the caller named this engine explicitly: accept conditions that are
   *   skipped by default (a software WebGPU adapter)
   */
  probe(options: { readonly force: boolean }): Promise<EngineProbe>;
}

/** Engines by name, tried in descending priority. */
export class EngineRegistry {
  readonly #providers = new Map<string, EngineProvider>();

  /**
   * Adds or replaces an engine.
   * @param provider - the engine's name, priority and probe
   * @returns this registry, for chaining
   * @throws TypeError when the name is empty
   */
  register(provider: EngineProvider): this {
    if (provider.name === '') throw new TypeError('engine name must be non-empty, got ""');
    this.#providers.set(provider.name, provider);
    return this;
  }

  /**
   * @param name - a registered name
   * @returns the provider, if registered
   */
  get(name: string): EngineProvider | undefined {
    return this.#providers.get(name);
  }

  /** @returns every provider, highest priority first (ties: registration order) */
  ordered(): EngineProvider[] {
    return [...this.#providers.values()].sort((a, b) => b.priority - a.priority);
  }
}

/**
 * Checks a query against a loaded matrix.
 * @param engine - engine name for the message
 * @param loaded - the loaded matrix, if any
 * @param query - the query vector
 * @returns the loaded matrix
 * @throws Error when nothing is loaded; RangeError on a length mismatch
 */
export function checkQuery(
  engine: string,
  loaded: QuantizedMatrix | undefined,
  query: Float32Array,
): QuantizedMatrix {
  if (loaded === undefined) throw new Error(`${engine} engine: no catalog loaded`);
  if (query.length !== loaded.dim) {
    throw new RangeError(
      `${engine} engine: query length must be ${loaded.dim}, got ${query.length}`,
    );
  }
  return loaded;
}

/**
 * Checks a matrix's internal consistency before an engine accepts it.
 * @param matrix - the matrix
 * @throws RangeError quoting the mismatching sizes
 */
export function checkMatrix(matrix: QuantizedMatrix): void {
  const { rows, dim, data, scales } = matrix;
  if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`rows must be >= 0, got ${rows}`);
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be >= 1, got ${dim}`);
  if (data.length !== rows * dim) {
    throw new RangeError(`data length must be rows×dim = ${rows * dim}, got ${data.length}`);
  }
  if (scales.length !== rows) {
    throw new RangeError(`scales length must be rows = ${rows}, got ${scales.length}`);
  }
}
