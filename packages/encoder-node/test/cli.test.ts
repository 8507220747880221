import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createNodeEncoder, runEncodeCli } from '@privads/encoder-node';
import { maxAbsDiff } from '../../encoder/test/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'privads-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sink(): PassThrough & { text(): string } {
  const chunks: Buffer[] = [];
  const stream = new PassThrough() as PassThrough & { text(): string };
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.text = () => Buffer.concat(chunks).toString('utf8');
  return stream;
}

async function cli(args: string[], stdin = '') {
  const stdout = sink();
  const stderr = sink();
  const code = await runEncodeCli(args, {
    stdin: Readable.from([Buffer.from(stdin)]),
    stdout,
    stderr,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const ads = [
  { id: 'a1', title: 'Cheap running shoes', body: 'Marathon ready, 40% off' },
  { id: 'a2', title: 'Organic vegetables', body: 'Delivered fresh every week' },
  { id: 'a3', title: '東京のホテル', body: '週末の特別プラン' },
];

describe('privads-encode', () => {
  it('encodes a JSONL file, adds the vector, and matches the library', async () => {
    const input = join(dir, 'ads.jsonl');
    const output = join(dir, 'out.jsonl');
    writeFileSync(input, ads.map((a) => JSON.stringify(a)).join('\n') + '\n');
    const r = await cli([
      '-i',
      input,
      '-o',
      output,
      '-f',
      'title,body',
      '-b',
      '2',
      '--no-progress',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^privads-encode: 3 records with privads-hashed-ngrams-384-v1 in \d+\.\d s \(\d+ texts\/s\)\n$/,
    );
    const rows = readFileSync(output, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; z: number[] });
    expect(rows.map((r) => r.id)).toEqual(['a1', 'a2', 'a3']);
    const encoder = await createNodeEncoder();
    try {
      // The CLI ran batches of 2 + 1; onnxruntime's kernels may sum in another order for another
      // batch shape, hence a float32-rounding tolerance rather than equality.
      const expected = await encoder.encode(ads.map((a) => `${a.title}\n${a.body}`));
      expect(maxAbsDiff(Float32Array.from(rows.flatMap((r) => r.z)), expected)).toBeLessThan(1e-6);
    } finally {
      await encoder.dispose();
    }
  });

  it('reads stdin, writes stdout, uses a cache and draws progress on stderr', async () => {
    const cache = join(dir, 'vectors.cache');
    const stdin = ads.map((a) => JSON.stringify({ text: a.title })).join('\n');
    const first = await cli(['--input', '-', '--cache', cache, '--vector-field', 'vec'], stdin);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/encoding 3 texts/);
    expect(first.stderr).toMatch(/cache hits 0, misses 3/);
    const second = await cli(['--input', '-', '--cache', cache, '--vector-field', 'vec'], stdin);
    expect(second.stderr).toMatch(/cache hits 3, misses 0/);
    expect(second.stdout).toBe(first.stdout);
    expect(
      (JSON.parse(first.stdout.split('\n')[0] as string) as { vec: number[] }).vec,
    ).toHaveLength(384);
  });

  it('fails with a typed message and exit code 1 on bad input', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(
      bad,
      Buffer.concat([
        Buffer.from('{"text":"ok"}\n{"text":"'),
        Buffer.from([0xff]),
        Buffer.from('"}\n'),
      ]),
    );
    let r = await cli(['-i', bad, '--no-progress']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `privads-encode: [ENCODER_INPUT_INVALID] line 2: ${bad}: invalid UTF-8 at byte 9 of the line (0xff); expected UTF-8 text\n`,
    );
    writeFileSync(bad, '{"text":"ok"}\n{"text":"   "}\n');
    r = await cli(['-i', bad, '--no-progress']);
    expect(r.stderr).toMatch(
      /\[ENCODER_INPUT_INVALID\] line 2: .*text is empty or whitespace only/,
    );
    r = await cli(['-i', bad, '--spec', join(dir, 'missing.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[ENCODER_MODEL_MISSING\] .*missing\.json: does not exist/);
    r = await cli(['-i', join(dir, 'nope.jsonl')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ENOENT/);
  });

  it('exits 2 with usage on bad arguments', async () => {
    for (const args of [
      [],
      ['-i', 'x', '--batch-size', '0'],
      ['--bogus'],
      ['-i', 'x', '-f', ','],
    ]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('Usage: privads-encode');
    }
    const help = await cli(['--help']);
    expect([help.code, help.stdout.startsWith('Usage: privads-encode')]).toEqual([0, true]);
  });
});
