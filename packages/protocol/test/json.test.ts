import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIsoDateTime } from '@privads/protocol';
import { parseJsonBytes, parseJsonStrict } from '../src/json.js';
import { expectCode } from './helpers.js';

describe('strict JSON', () => {
  it('parses like JSON.parse for every JSON.stringify output', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        expect(parseJsonStrict(text, 't')).toEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it('rejects duplicate keys, including escaped spellings, at any depth', () => {
    for (const text of [
      '{"a":1,"a":2}',
      '{"a":1,"\\u0061":2}',
      '{"x":[{"k":1,"k":1}]}',
      '{"o":{"p":{"q":1,"r":2,"q":3}}}',
      '{"a":"},{\\"a\\":","a":0}',
    ]) {
      expectCode(() => parseJsonStrict(text, 't'), 'BAD_HEADER');
    }
  });

  it('does not confuse equal keys in sibling objects, values or strings', () => {
    for (const text of [
      '[{"a":1},{"a":1}]',
      '{"a":{"a":{"a":1}},"b":{"a":2}}',
      '{"a":"a","b":["a","a"]}',
      '{"s":"{\\"b\\":1,\\"b\\":2}","b":1}',
      '{"a":[],"b":{},"c":[{}],"d":1}',
    ]) {
      expect(() => parseJsonStrict(text, 't')).not.toThrow();
    }
  });

  it('rejects syntax errors, deep nesting and malformed UTF-8', () => {
    expectCode(() => parseJsonStrict('{"a":1,}', 't'), 'BAD_HEADER');
    expectCode(() => parseJsonStrict('', 't'), 'BAD_HEADER');
    expectCode(() => parseJsonStrict('['.repeat(65) + ']'.repeat(65), 't'), 'BAD_HEADER');
    expect(parseJsonStrict('['.repeat(64) + ']'.repeat(64), 't')).toBeTruthy();
    expectCode(() => parseJsonBytes(Uint8Array.of(0x22, 0xc3, 0x28, 0x22), 't'), 'BAD_HEADER');
    expectCode(
      () => parseJsonBytes(Uint8Array.of(0xef, 0xbb, 0xbf, 0x7b, 0x7d), 't'),
      'BAD_HEADER',
    ); // BOM
    const cause = (() => {
      try {
        parseJsonStrict('{', 't');
      } catch (e) {
        return (e as Error).cause;
      }
    })();
    expect(cause).toBeInstanceOf(SyntaxError);
  });
});

describe('parseIsoDateTime', () => {
  it('parses strict ISO 8601 date-times with offsets', () => {
    expect(parseIsoDateTime('2025-06-01T12:00:00Z')).toBe(Date.UTC(2025, 5, 1, 12));
    expect(parseIsoDateTime('2025-06-01T14:00:00+02:00')).toBe(Date.UTC(2025, 5, 1, 12));
    expect(parseIsoDateTime('2025-06-01T10:30:00.250-01:30')).toBe(
      Date.UTC(2025, 5, 1, 12, 0, 0, 250),
    );
    expect(parseIsoDateTime('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
    expect(parseIsoDateTime('0025-01-01T00:00:00Z')).toBe(
      new Date('0025-01-01T00:00:00Z').getTime(),
    );
  });

  it('agrees with Date.parse on every valid instant', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0001-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        (d) => {
          expect(parseIsoDateTime(d.toISOString())).toBe(d.getTime());
        },
      ),
    );
  });

  it('rejects dates without offset, impossible dates and other syntaxes', () => {
    for (const bad of [
      '2025-06-01',
      '2025-06-01T12:00:00',
      '2025-02-29T00:00:00Z',
      '2025-13-01T00:00:00Z',
      '2025-06-31T00:00:00Z',
      '2025-06-01T24:00:00Z',
      '2025-06-01T12:60:00Z',
      '2025-06-01T12:00:60Z',
      '2025-06-01T12:00:00+24:00',
      '2025-06-01 12:00:00Z',
      'Sun, 01 Jun 2025 12:00:00 GMT',
      '+002025-06-01T12:00:00Z',
    ]) {
      expect(parseIsoDateTime(bad), bad).toBeUndefined();
    }
  });
});
