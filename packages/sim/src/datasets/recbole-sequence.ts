/**
 * Rebuilding a user's training sequence from RecBole `.inter` lines. UniSRec writes one line per
 * position of the sequence — the items before it (the last 50 only) and the item at it — so no
 * line holds the whole sequence once it is longer than the history cap, and the lines' order in
 * the file is not the sequence's (UniSRec writes the latest position first). The lines are chained
 * instead: each next line's history is the tail of what is rebuilt so far.
 */

/** One `.inter` line: the items seen before (catalog indices, in order) and the next one. */
export interface SequenceLine {
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
  readonly history: readonly number[];
  readonly target: number;
}

/**
 * Chains a user's train lines into one sequence: it starts from a line with the shortest history
 * (the sequence's beginning), then repeatedly takes a line whose history is the last
 * `min(length, cap)` items rebuilt so far, where `cap` is the longest history of the user's lines
 * (the writer's truncation, or the whole prefix for shorter sequences), and appends its target.
 * Where a repeated history window offers several lines, it backtracks until every line is used
 * (within a step budget: long repetitive sequences keep the longest chain found).
 * @param lines - the user's train lines, in file order
 * @param tail - the validation line's history: the sequence's last items, which the chain must
 *   end with (with a history cap of 1, several orders use every line), and the whole sequence when
 *   there is no train line (a one-item training sequence appears only there)
 * @returns the sequence, and the lines that never continued it (in line order: malformed)
 */
export function rebuildSequence(
  lines: readonly SequenceLine[],
  tail: readonly number[] = [],
): { sequence: number[]; unused: SequenceLine[] } {
  if (lines.length === 0) return { sequence: [...tail], unused: [] };
  const tailKey = tail.join(' ');
  const shortest = Math.min(...lines.map((l) => l.history.length));
  const cap = Math.max(...lines.map((l) => l.history.length));
  const window = (items: readonly number[]): string =>
    items.slice(items.length - Math.min(items.length, cap)).join(' ');
  // Lines by history; a repeated history keeps file order.
  const byHistory = new Map<string, SequenceLine[]>();
  for (const line of lines) {
    const key = line.history.join(' ');
    const list = byHistory.get(key);
    if (list === undefined) byHistory.set(key, [line]);
    else list.push(line);
  }
  // A start is a shortest history no other line leads to (only a history cap of 1 makes several
  // lines shortest); the others are tried after it.
  const reached = new Set(lines.map((l) => window([...l.history, l.target])));
  const starts = lines
    .filter((l) => l.history.length === shortest)
    .sort(
      (a, b) => Number(reached.has(a.history.join(' '))) - Number(reached.has(b.history.join(' '))),
    );

  let budget = 100 * lines.length + 1000;
  let best: { sequence: number[]; used: Set<SequenceLine> } | undefined;
  const sequence: number[] = [];
  const used = new Set<SequenceLine>();
  const extend = (): boolean => {
    if (best === undefined || sequence.length > best.sequence.length) {
      best = { sequence: [...sequence], used: new Set(used) };
    }
    if (
      used.size === lines.length &&
      sequence.slice(sequence.length - tail.length).join(' ') === tailKey
    ) {
      best = { sequence: [...sequence], used: new Set(used) };
      return true;
    }
    if (--budget < 0) return false;
    // Lines with the same history and target are interchangeable: trying one of each target keeps
    // repeated items from multiplying the search (k identical lines would be k! orders).
    const tried = new Set<number>();
    for (const next of byHistory.get(window(sequence)) ?? []) {
      if (used.has(next) || tried.has(next.target)) continue;
      tried.add(next.target);
      used.add(next);
      sequence.push(next.target);
      if (extend()) return true;
      used.delete(next);
      sequence.pop();
    }
    return false;
  };
  const triedStarts = new Set<string>();
  for (const start of starts) {
    const key = `${start.history.join(' ')}>${start.target}`;
    if (triedStarts.has(key)) continue;
    triedStarts.add(key);
    sequence.push(...start.history, start.target);
    used.add(start);
    if (extend()) break;
    sequence.length = 0;
    used.clear();
  }
  const found = best!;
  return {
    sequence: found.sequence,
    unused: lines.filter((l) => !found.used.has(l)),
  };
}
