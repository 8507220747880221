/**
 * The project's models are generated, not downloaded: the committed files must be exactly what the
 * generator scripts produce from their seeds, and the seed must be what determines the vectors.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createNodeEncoder, defaultSpecPath } from '@privads/encoder-node';
import {
  DEFAULT_MODEL,
  buildDefaultModel,
  defaultSpecJson,
} from '../../encoder/scripts/generate-default-model.mjs';
import {
  defaultModelPath,
  maxAbsDiff,
  parityTexts,
  rowNorm,
  tinySpecPath,
} from '../../encoder/test/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'privads-generated-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const script = (name: string) =>
  fileURLToPath(new URL(`../../encoder/scripts/${name}`, import.meta.url));

/** Runs a generator script into a fresh folder; returns that folder. */
function generate(name: string, out: string): string {
  const target = join(dir, out);
  execFileSync(process.execPath, [script(name), target], { stdio: 'pipe' });
  return target;
}

/**
 * `regenerated` holds exactly the files of `committed`: models byte for byte, JSON files equal once
 * parsed (the repository's formatter may re-wrap the committed JSON).
 */
function expectSameFiles(regenerated: string, committed: string): void {
  const names = readdirSync(committed).sort();
  expect(readdirSync(regenerated).sort()).toEqual(names);
  for (const name of names) {
    const a = readFileSync(join(regenerated, name));
    const b = readFileSync(join(committed, name));
    if (name.endsWith('.json')) {
      expect(JSON.parse(a.toString('utf8')), name).toEqual(JSON.parse(b.toString('utf8')));
    } else {
      expect(a.equals(b), `${name} differs from the committed file`).toBe(true);
    }
  }
}

describe('generated models', () => {
  it('running the default-model script reproduces models/default (model.onnx byte for byte)', () => {
    expectSameFiles(generate('generate-default-model.mjs', 'default'), join(defaultSpecPath, '..'));
  });

  it('running the tiny-wordpiece script reproduces the test fixture (model.onnx byte for byte)', () => {
    expectSameFiles(generate('generate-tiny-wordpiece.mjs', 'tiny'), join(tinySpecPath, '..'));
  });

  it('the default model stays small', () => {
    expect(readFileSync(defaultModelPath).length).toBeLessThan(8 * 1024 * 1024);
  });

  it('the seed determines the vectors: same seed, same vectors; another seed, other vectors', async () => {
    const write = (folder: string, seed: number): string => {
      mkdirSync(join(dir, folder));
      writeFileSync(join(dir, folder, 'model.onnx'), buildDefaultModel({ ...DEFAULT_MODEL, seed }));
      writeFileSync(join(dir, folder, 'encoder.json'), JSON.stringify(defaultSpecJson()));
      return join(dir, folder, 'encoder.json');
    };
    const sameSeed = write('same-seed', DEFAULT_MODEL.seed);
    const otherSeed = write('other-seed', DEFAULT_MODEL.seed + 1);
    const encoders = await Promise.all([
      createNodeEncoder(),
      createNodeEncoder({ specPath: sameSeed }),
      createNodeEncoder({ specPath: otherSeed }),
    ]);
    try {
      const [committed, same, reseeded] = await Promise.all(
        encoders.map((e) => e.encode(parityTexts)),
      );
      expect(maxAbsDiff(same!, committed!)).toBe(0);
      for (let r = 0; r < parityTexts.length; r++)
        expect(rowNorm(reseeded!, 384, r)).toBeCloseTo(1, 5);
      expect(maxAbsDiff(reseeded!, committed!)).toBeGreaterThan(0.1);
    } finally {
      await Promise.all(encoders.map((e) => e.dispose()));
    }
  });
});
