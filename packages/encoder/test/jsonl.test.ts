import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EncoderInputError,
  encodeJsonlStream,
  readJsonl,
  type ContentEncoder,
  type EncodeProgress,
  type JsonlRecord,
} from '@privads/encoder';

const utf8 = (s: string) => new TextEncoder().encode(s);

async function* chunks(
  bytes: Uint8Array,
  cuts: readonly number[] = [],
): AsyncGenerator<Uint8Array> {
  let from = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    yield bytes.slice(from, cut);
    from = cut;
  }
  yield bytes.slice(from);
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function rejection(it: AsyncIterable<unknown>): Promise<EncoderInputError> {
  try {
    await collect(it);
  } catch (error) {
    expect(error).toBeInstanceOf(EncoderInputError);
    return error as EncoderInputError;
  }
  throw new Error('expected an EncoderInputError');
}

/** A fake encoder: vector = [text length, batch size]; rejects "bad" like a real one rejects empty text. */
function fakeEncoder(calls: number[] = []): ContentEncoder {
  return {
    id: 'fake',
    dim: 2,
    encode(texts) {
      calls.push(texts.length);
      const i = texts.indexOf('bad');
      if (i >= 0)
        return Promise.reject(
          new EncoderInputError('empty', 'index', i, 'text is empty or whitespace only'),
        );
      return Promise.resolve(Float32Array.from(texts.flatMap((t) => [t.length, texts.length])));
    },
    dispose: () => Promise.resolve(),
  };
}

describe('readJsonl', () => {
  it('handles CRLF, blank lines, a BOM and a missing final newline, counting lines and bytes', async () => {
    const text = '\uFEFF{"a":1}\r\n\n  \n{"a":"é"}\n{"a":3}';
    const records = await collect(readJsonl(chunks(utf8(text))));
    expect(records.map((r) => [r.line, r.record])).toEqual([
      [1, { a: 1 }],
      [4, { a: 'é' }],
      [5, { a: 3 }],
    ]);
    // BOM (3) + {"a":1} (7) + CRLF (2) = 12; + "\n" + "  \n" + {"a":"é"} (10) + "\n" = 27.
    expect(records.map((r) => r.bytes)).toEqual([12, 27, utf8(text).length]);
  });

  it('gives the same records whatever the chunking', async () => {
    const lines = Array.from({ length: 30 }, (_, i) =>
      JSON.stringify({ id: i, text: `ad ${i} 東京 😀`.repeat(i % 4) }),
    );
    const bytes = utf8(lines.join('\n') + '\n');
    const expected = await collect(readJsonl(chunks(bytes)));
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 }),
        async (cuts) => {
          const got: JsonlRecord[] = await collect(readJsonl(chunks(bytes, cuts)));
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('reads a web ReadableStream', async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(utf8('{"x":1}\n{"x"'));
        c.enqueue(utf8(':2}\n'));
        c.close();
      },
    });
    expect((await collect(readJsonl(stream))).map((r) => r.record)).toEqual([{ x: 1 }, { x: 2 }]);
  });

  it('rejects invalid JSON, non-objects and invalid UTF-8 with the line number', async () => {
    let e = await rejection(readJsonl(chunks(utf8('{"a":1}\n{"a":\n')), 'ads.jsonl'));
    expect(e).toMatchObject({ problem: 'invalid-json', location: 'line', position: 2 });
    expect(e.message).toMatch(/^line 2: ads\.jsonl: /);
    e = await rejection(readJsonl(chunks(utf8('[1,2]\n'))));
    expect(e.message).toBe('line 1: input: expected a JSON object, got an array');
    e = await rejection(readJsonl(chunks(utf8('"text"\n'))));
    expect(e.problem).toBe('invalid-json');
    const bad = Uint8Array.from([...utf8('{"a":"ok"}\n{"a":"'), 0xc3, 0x28, ...utf8('"}\n')]);
    e = await rejection(readJsonl(chunks(bad, [13]), 'ads.jsonl'));
    expect(e).toMatchObject({ problem: 'invalid-utf8', position: 2 });
    expect(e.message).toMatch(/^line 2: ads\.jsonl: invalid UTF-8 at byte 6 of the line \(0xc3\)/);
  });
});

describe('encodeJsonlStream', () => {
  const input = (n: number) =>
    utf8(
      Array.from({ length: n }, (_, i) =>
        JSON.stringify({ id: i, title: `t${i}`, body: 'x'.repeat(i) }),
      ).join('\n'),
    );

  it('encodes in batches, in order, reporting records and bytes', async () => {
    const calls: number[] = [];
    const progress: EncodeProgress[] = [];
    const bytes = input(7);
    const out = await collect(
      encodeJsonlStream(fakeEncoder(calls), chunks(bytes, [5, 50]), {
        textField: ['title', 'body'],
        batchSize: 3,
        totalBytes: bytes.length,
        onProgress: (p) => progress.push(p),
      }),
    );
    expect(calls).toEqual([3, 3, 1]);
    expect(out.map((r) => [r.line, r.record.id, Array.from(r.vector)])).toEqual(
      Array.from({ length: 7 }, (_, i) => [
        i + 1,
        i,
        [`t${i}\n${'x'.repeat(i)}`.length, i < 6 ? 3 : 1],
      ]),
    );
    expect(progress.map((p) => [p.done, p.totalBytes])).toEqual([
      [3, bytes.length],
      [6, bytes.length],
      [7, bytes.length],
    ]);
    expect(progress.at(-1)?.bytes).toBe(bytes.length);
  });

  it('uses the "text" field by default, skips null fields and accepts textOf', async () => {
    const bytes = utf8('{"text":"hello"}\n{"text":"hi","extra":null}\n');
    expect(
      (await collect(encodeJsonlStream(fakeEncoder(), chunks(bytes)))).map((r) => r.vector[0]),
    ).toEqual([5, 2]);
    const custom = await collect(
      encodeJsonlStream(fakeEncoder(), chunks(bytes), {
        textOf: (r, line) => `${line}:${String(r.text)}`,
      }),
    );
    expect(custom.map((r) => r.vector[0])).toEqual(['1:hello'.length, '2:hi'.length]);
  });

  it('names the line of a record without text or with a rejected text', async () => {
    let e = await rejection(
      encodeJsonlStream(fakeEncoder(), chunks(utf8('{"text":"a"}\n{"title":"b"}\n')), {
        source: 'ads.jsonl',
      }),
    );
    expect(e).toMatchObject({ problem: 'missing-field', position: 2 });
    expect(e.message).toBe('line 2: ads.jsonl: record has no "text" field to encode');
    e = await rejection(encodeJsonlStream(fakeEncoder(), chunks(utf8('{"text":5}\n'))));
    expect(e.message).toBe('line 1: input: field "text" is number, expected a string');
    e = await rejection(
      encodeJsonlStream(
        fakeEncoder(),
        chunks(utf8('{"text":"a"}\n\n{"text":"b"}\n{"text":"c"}\n{"text":"bad"}\n')),
        { batchSize: 2 },
      ),
    );
    expect(e).toMatchObject({ problem: 'empty', location: 'line', position: 5 });
    expect(e.message).toBe('line 5: input: text is empty or whitespace only');
  });

  it('checks its options', async () => {
    await expect(
      collect(encodeJsonlStream(fakeEncoder(), chunks(utf8('')), { batchSize: 0 })),
    ).rejects.toThrow(RangeError);
    await expect(
      collect(encodeJsonlStream(fakeEncoder(), chunks(utf8('')), { textField: [] })),
    ).rejects.toThrow(RangeError);
  });
});
