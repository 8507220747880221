/** `resolveOptions`: asset and encoder URLs resolve against the page and are checked, as are the choices. */
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../src/options.js';

const BASE = 'https://news.test/section/page.html';
const resolve = (extra: object) =>
  resolveOptions({ server: 'https://ads.test', ...extra }, 'news.test', BASE);

describe('resolveOptions: assets and encoder', () => {
  it('leaves unset locations to the worker (defaults next to its script)', () => {
    const config = resolve({});
    expect(config.assets).toEqual({
      baseUrl: undefined,
      tfjsWasmPath: undefined,
      ortWasmPath: undefined,
    });
    expect(config.encoder).toEqual({ specUrl: undefined, modelUrl: undefined });
  });

  it('resolves relative URLs against the page', () => {
    const config = resolve({
      assets: {
        baseUrl: '/static/privads/',
        tfjsWasmPath: 'tfjs/',
        ortWasmPath: new URL('https://news.test/o.wasm'),
      },
      encoder: { specUrl: '../models/encoder.json' },
    });
    expect(config.assets).toEqual({
      baseUrl: 'https://news.test/static/privads/',
      tfjsWasmPath: 'https://news.test/section/tfjs/',
      ortWasmPath: 'https://news.test/o.wasm',
    });
    expect(config.encoder).toMatchObject({ specUrl: 'https://news.test/models/encoder.json' });
    expect(resolve({ encoder: false }).encoder).toBe(false);
  });

  it('rejects what is not a URL, quoting it', () => {
    expect(() => resolve({ assets: { baseUrl: '' } })).toThrow(
      new TypeError('assets.baseUrl must be a URL, got ""'),
    );
    expect(() => resolve({ encoder: { specUrl: 42 } })).toThrow(
      /encoder.specUrl must be a URL, got 42/,
    );
    expect(() =>
      resolveOptions({ server: 'https://ads.test', assets: { baseUrl: 'rel/' } }, 'h', undefined),
    ).toThrow(TypeError);
  });
});

describe('resolveOptions: rounds', () => {
  it('joins rounds by itself by default, every five minutes', () => {
    expect(resolve({}).rounds).toEqual({ autoJoin: true, checkIntervalMs: 300_000 });
    expect(resolve({ rounds: { autoJoin: false } }).rounds.autoJoin).toBe(false);
  });

  it('rejects a non-boolean autoJoin and an interval under a second, quoting the value', () => {
    expect(() => resolve({ rounds: { autoJoin: 'yes' } })).toThrow(/rounds.autoJoin .*"yes"/);
    expect(() => resolve({ rounds: { checkIntervalMs: 10 } })).toThrow(RangeError);
    expect(() => resolve({ rounds: { checkIntervalMs: Infinity } })).toThrow(/Infinity/);
  });
});

describe('resolveOptions: pqIndex', () => {
  it('times the index by default and passes the choices on', () => {
    expect(resolve({}).pqIndex).toBe('auto');
    expect(resolve({ pqIndex: 'always' }).pqIndex).toBe('always');
    expect(resolve({ pqIndex: 'never' }).pqIndex).toBe('never');
  });

  it('rejects anything else with a TypeError quoting it', () => {
    expect(() => resolve({ pqIndex: 'sometimes' })).toThrow(
      new TypeError('pqIndex must be one of auto, always, never, got "sometimes"'),
    );
  });
});
