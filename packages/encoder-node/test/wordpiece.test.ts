import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createWordpieceTokenizer,
  parseEncoderSpec,
  type ResolvedWordpiece,
} from '@privads/encoder';
import { createNodeEncoder } from '@privads/encoder-node';
import { cosine, maxAbsDiff, rowNorm, tinySpecPath } from '../../encoder/test/helpers.js';

const tinyDir = join(tinySpecPath, '..');
const tinySpec = JSON.parse(readFileSync(tinySpecPath, 'utf8')) as Record<string, unknown>;
const tokenizerJson = JSON.parse(readFileSync(join(tinyDir, 'tokenizer.json'), 'utf8')) as unknown;
const dir = mkdtempSync(join(tmpdir(), 'privads-wordpiece-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('wordpiece tokenizer', () => {
  const resolved = (maxTokens: number) =>
    parseEncoderSpec(
      { ...tinySpec, tokenizer: { kind: 'wordpiece', file: 'tokenizer.json', maxTokens } },
      'x',
    ).tokenizer as ResolvedWordpiece;

  it('tokenizes like BERT: lower-case, accents stripped, CJK split, [CLS] … [SEP], padding 0', async () => {
    const tokenizer = await createWordpieceTokenizer(resolved(64), {
      tokenizer: tokenizerJson,
      tokenizerSource: 't',
    });
    const batch = tokenizer.tokenizeBatch(['Running SHOES', 'Café 東京'], 0);
    const vocab = (tokenizerJson as { model: { vocab: Record<string, number> } }).model.vocab;
    const ids = (tokens: string[]) => tokens.map((t) => BigInt(vocab[t] as number));
    expect(batch.sequenceLength).toBe(6);
    expect(Array.from(batch.feeds.get('input_ids')?.data as BigInt64Array)).toEqual([
      ...ids(['[CLS]', 'run', '##ning', 'shoe', '##s', '[SEP]']),
      ...ids(['[CLS]', 'cafe', '東', '京', '[SEP]']),
      0n,
    ]);
    expect(Array.from(batch.feeds.get('attention_mask')?.data as BigInt64Array)).toEqual([
      1n,
      1n,
      1n,
      1n,
      1n,
      1n,
      1n,
      1n,
      1n,
      1n,
      1n,
      0n,
    ]);
    expect(Array.from(batch.feeds.get('token_type_ids')?.data as BigInt64Array)).toEqual(
      new Array(12).fill(0n),
    );
    expect(Array.from(batch.mask)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
  });

  it('cuts long sequences to maxTokens, keeping [SEP] last', async () => {
    const tokenizer = await createWordpieceTokenizer(resolved(5), {
      tokenizer: tokenizerJson,
      tokenizerSource: 't',
    });
    const batch = tokenizer.tokenizeBatch(['the cheap fresh organic food and coffee'], 0);
    const vocab = (tokenizerJson as { model: { vocab: Record<string, number> } }).model.vocab;
    expect(Array.from(batch.feeds.get('input_ids')?.data as BigInt64Array)).toEqual(
      ['[CLS]', 'the', 'cheap', 'fresh', '[SEP]'].map((t) => BigInt(vocab[t] as number)),
    );
  });
});

describe('wordpiece encoder (tiny model, onnxruntime-node)', () => {
  it('runs through the shared code path: mean pooling over real tokens, L2 norm', async () => {
    const encoder = await createNodeEncoder({ specPath: tinySpecPath });
    try {
      expect([encoder.id, encoder.dim, encoder.tokenizerKind]).toEqual([
        'privads-tiny-wordpiece-test-v1',
        32,
        'wordpiece',
      ]);
      const v = await encoder.encode(['running shoes', 'running shoes for sale today', 'café']);
      for (let i = 0; i < 3; i++) expect(rowNorm(v, 32, i)).toBeCloseTo(1, 5);
      // Padding must not change a vector: the short text alone equals the short text in a padded batch.
      const alone = await encoder.encode(['running shoes']);
      expect(maxAbsDiff(alone, v.subarray(0, 32))).toBeLessThan(1e-6);
      expect(cosine(v, 32, 0, 1)).toBeLessThan(0.9999);
    } finally {
      await encoder.dispose();
    }
  });

  it('pools as the spec says (cls takes token 0, so every text gets the [CLS] vector)', async () => {
    // Absolute file paths in a spec are allowed: this spec reuses the fixture's model and tokenizer.
    const spec = {
      ...tinySpec,
      id: 'tiny-cls',
      pooling: 'cls',
      model: { file: join(tinyDir, 'model.onnx') },
      tokenizer: { kind: 'wordpiece', file: join(tinyDir, 'tokenizer.json') },
    };
    const specPath = join(dir, 'cls-encoder.json');
    writeFileSync(specPath, JSON.stringify(spec));
    const cls = await createNodeEncoder({ specPath });
    try {
      const v = await cls.encode(['running shoes', 'fresh organic food']);
      expect(maxAbsDiff(v.subarray(0, 32), v.subarray(32, 64))).toBe(0);
    } finally {
      await cls.dispose();
    }
  });
});
