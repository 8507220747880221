/**
 * The SecAgg+ communication graph: a k-regular Harary graph over a random ring order of the slots.
 * Each slot is joined to the k/2 slots before and the k/2 after it on the ring, so every device
 * shares secrets with k neighbours instead of the whole cohort (Bell et al. 2020). When n ≤ k + 1
 * there is no room for a sparse graph and every slot neighbours every other.
 */

/** Neighbour lists by slot (1..n), each sorted ascending and never containing the slot itself. */
export type NeighbourGraph = ReadonlyMap<number, readonly number[]>;

/**
 * Builds the graph, deterministically from its arguments.
 * @param n - number of slots, ≥ 1 (slots are 1..n)
 * @param degree - k: even, ≥ 2
 * @param permutation - the ring order: a permutation of 1..n
 * @returns each slot's neighbours
 * @throws RangeError on a bad n, an odd or non-positive degree, or an argument that is not a
 *   permutation of 1..n
 */
export function buildNeighbourGraph(
  n: number,
  degree: number,
  permutation: readonly number[],
): NeighbourGraph {
  if (!Number.isSafeInteger(n) || n < 1)
    throw new RangeError(`n must be a positive integer, got ${n}`);
  if (!Number.isInteger(degree) || degree < 2 || degree % 2 !== 0) {
    throw new RangeError(`degree must be an even integer ≥ 2, got ${degree}`);
  }
  checkPermutation(n, permutation);
  const graph = new Map<number, number[]>();
  if (n <= degree + 1) {
    const all = Array.from({ length: n }, (_, i) => i + 1);
    for (const slot of all)
      graph.set(
        slot,
        all.filter((s) => s !== slot),
      );
    return graph;
  }
  const half = degree / 2;
  permutation.forEach((slot, position) => {
    const neighbours: number[] = [];
    for (let d = 1; d <= half; d++) {
      // n > degree + 1 ≥ 2·half + 1, so the 2·half ring positions are distinct and never `position`.
      neighbours.push(permutation[(position + d) % n] as number);
      neighbours.push(permutation[(position - d + n) % n] as number);
    }
    graph.set(
      slot,
      neighbours.sort((a, b) => a - b),
    );
  });
  return graph;
}

function checkPermutation(n: number, permutation: readonly number[]): void {
  if (permutation.length !== n) {
    throw new RangeError(`permutation must list ${n} slots, got ${permutation.length}`);
  }
  const seen = new Uint8Array(n + 1);
  for (const slot of permutation) {
    if (!Number.isInteger(slot) || slot < 1 || slot > n || seen[slot] === 1) {
      throw new RangeError(
        `permutation must be a permutation of 1..${n}, got ${slot} out of place`,
      );
    }
    seen[slot] = 1;
  }
}
