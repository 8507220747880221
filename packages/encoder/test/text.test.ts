import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EncoderInputError,
  decodeUtf8Strict,
  firstInvalidUtf8Offset,
  prepareText,
  truncateCodePoints,
} from '@privads/encoder';

function inputError(fn: () => unknown): EncoderInputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(EncoderInputError);
    return error as EncoderInputError;
  }
  throw new Error('expected an EncoderInputError');
}

describe('prepareText', () => {
  it('rejects empty and whitespace-only text with its index', () => {
    for (const text of ['', ' ', '\n\t  \r\n', '\u3000']) {
      const e = inputError(() => prepareText(text, 4, 100));
      expect(e).toMatchObject({
        code: 'ENCODER_INPUT_INVALID',
        problem: 'empty',
        location: 'index',
        position: 4,
      });
      expect(e.message).toMatch(/^index 4: text is empty/);
    }
  });

  it('rejects non-strings', () => {
    for (const value of [undefined, null, 3, {}, ['a'], new Uint8Array(2)]) {
      expect(inputError(() => prepareText(value, 0, 100)).problem).toBe('not-string');
    }
  });

  it('rejects lone surrogates but accepts pairs', () => {
    for (const text of ['a\uD800b', 'x\uDC00', '\uDBFF', 'ok\uDC00\uD800']) {
      const e = inputError(() => prepareText(text, 1, 100));
      expect(e.problem).toBe('malformed-unicode');
      expect(e.message).toMatch(/lone UTF-16 surrogate U\+D[89A-F][0-9A-F]{2} at offset \d+/);
    }
    expect(prepareText('emoji 😀', 0, 100).text).toBe('emoji 😀');
  });

  it('truncates to maxChars code points without splitting a surrogate pair', () => {
    expect(prepareText('abcdef', 0, 4)).toEqual({ text: 'abcd', truncated: true });
    expect(prepareText('abcd', 0, 4)).toEqual({ text: 'abcd', truncated: false });
    expect(truncateCodePoints('😀😀😀', 2)).toEqual({ text: '😀😀', truncated: true });
    expect(truncateCodePoints('😀😀', 2)).toEqual({ text: '😀😀', truncated: false });
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 60 }),
        fc.integer({ min: 1, max: 80 }),
        (s, n) => {
          const { text, truncated } = truncateCodePoints(s, n);
          const points = Array.from(s);
          expect(Array.from(text)).toEqual(points.slice(0, n));
          expect(truncated).toBe(points.length > n);
        },
      ),
    );
  });
});

describe('decodeUtf8Strict', () => {
  it('decodes valid UTF-8 and drops a byte-order mark', () => {
    expect(decodeUtf8Strict(new TextEncoder().encode('héllo 東京 😀'), 1, 'f')).toBe(
      'héllo 東京 😀',
    );
    expect(decodeUtf8Strict(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61), 1, 'f')).toBe('a');
  });

  it('rejects invalid bytes with line, source and byte offset', () => {
    const cases: [number[], number][] = [
      [[0x61, 0xff, 0x62], 1], // never valid
      [[0x61, 0x62, 0xc3], 2], // truncated sequence
      [[0xc0, 0xaf], 0], // overlong
      [[0xed, 0xa0, 0x80], 0], // encoded surrogate
      [[0x61, 0x80], 1], // stray continuation
      [[0xf4, 0x90, 0x80, 0x80], 0], // > U+10FFFF
    ];
    for (const [bytes, offset] of cases) {
      const e = inputError(() => decodeUtf8Strict(Uint8Array.from(bytes), 7, 'ads.jsonl'));
      expect(e).toMatchObject({ problem: 'invalid-utf8', location: 'line', position: 7 });
      expect(e.message).toContain(`line 7: ads.jsonl: invalid UTF-8 at byte ${offset} `);
    }
  });

  it('locates the first invalid byte exactly where a fatal TextDecoder fails', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (bytes) => {
        const offset = firstInvalidUtf8Offset(bytes);
        let valid = true;
        try {
          decoder.decode(bytes);
        } catch {
          valid = false;
        }
        expect(offset === bytes.length).toBe(valid);
        if (!valid) {
          // Everything before the offset decodes; the byte at the offset starts a bad sequence.
          expect(() => decoder.decode(bytes.subarray(0, offset))).not.toThrow();
        }
      }),
      { numRuns: 2000 },
    );
  });
});
