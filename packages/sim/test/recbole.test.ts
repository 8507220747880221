import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  datasetPopulation,
  findRecBoleName,
  loadRecBole,
  rebuildSequence,
  validationSplit,
} from '@privads/sim';
import { codeOf, fixture } from './dataset-helpers.js';

const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Writes files into a fresh temporary folder. */
async function folder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'privads-recbole-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

const INTER_HEADER = 'user_id:token\titem_id_list:token_seq\titem_id:token\n';

/**
 * The atomic files UniSRec's `process_amazon.py` writes for given user sequences: leave-one-out
 * (last item test, the one before valid), one train line per later training position with the
 * last `cap` items as history, latest position first.
 */
function uniSRecFiles(sequences: readonly (readonly number[])[], items: number, cap: number) {
  const join = (list: readonly number[]): string => list.join(' ');
  let train = INTER_HEADER;
  let valid = INTER_HEADER;
  let test = INTER_HEADER;
  sequences.forEach((seq, u) => {
    const trainSeq = seq.slice(0, -2);
    for (let k = trainSeq.length - 1; k >= 1; k--) {
      train += `${u}\t${join(trainSeq.slice(0, k).slice(-cap))}\t${trainSeq[k]}\n`;
    }
    valid += `${u}\t${join(trainSeq.slice(-cap))}\t${seq.at(-2)}\n`;
    test += `${u}\t${join(seq.slice(0, -1).slice(-cap))}\t${seq.at(-1)}\n`;
  });
  const ids = Array.from({ length: items }, (_, i) => i);
  return {
    'Gen.text': `item_id:token\ttext:token_seq\n${ids.map((i) => `I${i}\tItem number ${i}.\n`).join('')}`,
    'Gen.item2index': ids.map((i) => `I${i}\t${i}\n`).join(''),
    'Gen.user2index': sequences.map((_, u) => `U${u}\t${u}\n`).join(''),
    'Gen.train.inter': train,
    'Gen.valid.inter': valid,
    'Gen.test.inter': test,
  };
}

describe('loadRecBole', () => {
  it('reads the atomic files: texts by original id, sequences in order, the split as given', async () => {
    const { dataset, problems } = await loadRecBole(fixture('recbole'));
    expect(problems).toEqual([]);
    expect(dataset.name).toBe('recbole:Shop');
    expect(dataset.items.map((item) => item.id)).toEqual([
      'B001',
      'B002',
      'B003',
      'B004',
      'B005',
      'B006',
    ]);
    expect(dataset.items[3]!.text).toBe('Cast iron skillet, 12 inch. Kitchen Lodge.');
    expect(dataset.userIds).toEqual(['A1X', 'A2Y', 'A3Z']);
    expect(dataset.clicks.map((list) => list.map((c) => c.item))).toEqual([
      [0, 1, 2, 3, 4, 5],
      [3, 4, 5, 0],
      [1, 2, 3],
    ]);
    expect(dataset.clicks[1]!.map((c) => c.time)).toEqual([0, 1, 2, 3]);
    expect(dataset.givenSplit).toEqual([
      { valid: 1, test: 1 },
      { valid: 1, test: 1 },
      { valid: 1, test: 1 },
    ]);
    expect(dataset.impressions).toEqual([]);
  });

  it('keeps the given split in the population: test held out, validation for selection only', async () => {
    const { dataset } = await loadRecBole(fixture('recbole'));
    const population = datasetPopulation(dataset, { seed: 3, slateSize: 4 });
    expect(population.hasImpressions).toBe(false);
    const t = population.timeline(0);
    const clickedItem = (s: { items: Int32Array; clicked: Uint8Array }): number =>
      s.items[s.clicked.indexOf(1)]!;
    expect(t.train.map(clickedItem)).toEqual([0, 1, 2, 3, 4]);
    expect(t.test.map(clickedItem)).toEqual([5]);
    expect(t.validation).toBe(1);
    for (const s of [...t.train, ...t.test]) expect(s.items).toHaveLength(4);
    const inner = validationSplit(t, 0.2);
    expect(inner.train.map(clickedItem)).toEqual([0, 1, 2, 3]);
    expect(inner.test.map(clickedItem)).toEqual([4]);
  });

  it('names every malformed line by file and line, and skips it', async () => {
    const { dataset, problems } = await loadRecBole(fixture('recbole-bad'));
    expect(problems.map((p) => `${p.file}:${p.line}`)).toEqual([
      'Shop.text:8',
      'Shop.text:9',
      'Shop.item2index:7',
      'Shop.train.inter:6',
      'Shop.train.inter:7',
      'Shop.train.inter:8',
      'Shop.train.inter:9',
    ]);
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/item B999 is not in Shop\.item2index/),
      expect.stringMatching(/duplicate item id B003/),
      expect.stringMatching(/item B007 has no text/),
      expect.stringMatching(/unknown item index 9 in the history/),
      expect.stringMatching(/expected 3 tab-separated fields, got 2/),
      expect.stringMatching(/unknown user index 7/),
      expect.stringMatching(/does not continue user A2Y's training sequence/),
    ]);
    expect(dataset.items).toHaveLength(6);
    expect(dataset.clicks.map((list) => list.map((c) => c.item))).toEqual([
      [0, 1, 2, 3, 4, 5],
      [3, 4, 5, 0],
      [1, 2, 3],
    ]);
  });

  it('stops at the first bad line with a typed error under onMalformed: fail', async () => {
    expect(await codeOf(loadRecBole(fixture('recbole-bad'), { onMalformed: 'fail' }))).toMatch(
      /^DATASET_MALFORMED: Shop\.text:8: /,
    );
  });

  it('reports a wrong header as line 1', async () => {
    const files = uniSRecFiles([[0, 1, 2, 3]], 4, 50);
    const dir = await folder({
      ...files,
      'Gen.test.inter': files['Gen.test.inter'].replace('item_id_list', 'items'),
    });
    const { problems } = await loadRecBole(dir);
    expect(problems.map((p) => `${p.file}:${p.line}`)).toEqual(['Gen.test.inter:1']);
  });

  it('finds the one NAME of a folder, and names what is missing or ambiguous', async () => {
    expect(await findRecBoleName(fixture('recbole'))).toBe('Shop');
    const files = uniSRecFiles([[0, 1, 2]], 3, 50);
    const { ['Gen.valid.inter']: _, ...withoutValid } = files;
    expect(await codeOf(loadRecBole(await folder(withoutValid)))).toMatch(
      /^DATASET_MISSING: cannot read .*Gen\.valid\.inter/,
    );
    expect(
      await codeOf(loadRecBole(await folder({ ...files, 'Other.text': 'item_id:token\n' }))),
    ).toMatch(/^DATASET_MISSING: ambiguous .*"Gen", "Other"/);
    expect(await codeOf(loadRecBole(await folder({ 'README.md': '# no data\n' })))).toMatch(
      /^DATASET_MISSING: no RecBole atomic files/,
    );
    expect(await codeOf(loadRecBole(fixture('nowhere')))).toMatch(/^DATASET_MISSING: .*nowhere/);
  });

  it('rebuilds a cap-1 sequence of repeated items ending with the validation history (fast-check counterexample)', () => {
    const truth = [2, 0, 0, 0, 0, 0, 0, 2];
    const lines = truth
      .slice(1)
      .map((target, i) => ({ file: 'Gen.train.inter', line: i + 2, history: [truth[i]!], target }))
      .reverse();
    expect(rebuildSequence(lines, [2])).toEqual({ sequence: truth, unused: [] });
  });

  it('loads any well-formed UniSRec-style set with the right counts and sequences', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 3, max: 8 }).chain((items) =>
          fc.record({
            items: fc.constant(items),
            cap: fc.integer({ min: 1, max: 6 }),
            sequences: fc.array(fc.array(fc.nat(items - 1), { minLength: 3, maxLength: 12 }), {
              minLength: 1,
              maxLength: 5,
            }),
          }),
        ),
        async ({ items, cap, sequences }) => {
          const { dataset, problems } = await loadRecBole(
            await folder(uniSRecFiles(sequences, items, cap)),
          );
          expect(problems).toEqual([]);
          expect(dataset.items).toHaveLength(items);
          expect(dataset.userIds).toHaveLength(sequences.length);
          expect(dataset.givenSplit).toEqual(sequences.map(() => ({ valid: 1, test: 1 })));
          // Chaining is exact unless a repeated history window makes two orders possible.
          dataset.clicks.forEach((list, u) => {
            expect(list).toHaveLength(sequences[u]!.length);
            expect(list.slice(-2).map((c) => c.item)).toEqual(sequences[u]!.slice(-2));
            expect([...list.map((c) => c.item)].sort()).toEqual([...sequences[u]!].sort());
          });
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('rebuildSequence', () => {
  const line = (n: number, history: number[], target: number) => ({
    file: 'X.train.inter',
    line: n,
    history,
    target,
  });

  it('chains truncated histories written latest first', () => {
    // Sequence 5 6 7 8 9 with a history cap of 2.
    const lines = [line(2, [7, 8], 9), line(3, [6, 7], 8), line(4, [5, 6], 7), line(5, [5], 6)];
    expect(rebuildSequence(lines, [])).toEqual({ sequence: [5, 6, 7, 8, 9], unused: [] });
  });

  it('falls back to the given history without train lines, and returns lines that do not chain', () => {
    expect(rebuildSequence([], [4])).toEqual({ sequence: [4], unused: [] });
    const { sequence, unused } = rebuildSequence([line(2, [1], 2), line(3, [7], 8)], []);
    expect(sequence).toEqual([1, 2]);
    expect(unused.map((l) => l.line)).toEqual([3]);
  });
});
