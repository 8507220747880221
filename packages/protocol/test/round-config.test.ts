import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PRIVACY_MODES,
  adListChecksum,
  maxUpdateBytes,
  meetsPrivacyFloor,
  parseRoundConfig,
  privacyModeStrength,
  roundConfigJsonSchema,
  updateVectorLength,
  type RoundConfig,
} from '@privads/protocol';
import { expectCode, protocolErrorOf } from './helpers.js';

const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');
const examples = (tag: string): unknown[] =>
  [...doc.matchAll(new RegExp('```json ' + tag + '\\n([\\s\\S]*?)```', 'g'))].map(
    (m) => JSON.parse(m[1] ?? '') as unknown,
  );

const ajv = new Ajv({ strict: true, strictRequired: false, allErrors: true });
const schemaValidate = ajv.compile(roundConfigJsonSchema);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests build deliberately malformed configs
type Draft = Record<string, any>;

const base = (): Record<string, unknown> => ({
  formatVersion: 2,
  roundId: 1,
  projectorVersion: 1,
  model: { kind: 'linear', contentDim: 384, userDim: 128, parameterCount: 49280 },
  clipNorm: 1,
  privacy: { mode: 'central', noiseMultiplier: 1, delta: 1e-6 },
  kMin: 10,
  deadline: '2025-06-01T00:00:00Z',
  participation: { maxParticipationsPerDevice: 50, minRoundGap: 1, samplingProbability: 0.5 },
  acceptedEncodings: ['f32'],
  maxUploadBytes: 300000,
});

const distributed = (): Record<string, unknown> => ({
  mode: 'distributed',
  noiseMultiplier: 1,
  delta: 1e-6,
  bits: 20,
  granularity: 2e-5,
  deviceSigma: 5000,
  paddedDimension: 65536,
  rotationSeed: 'AAECAwQFBgcICQoLDA0ODw',
  beta: Math.exp(-0.5),
  threshold: 4,
  degree: 8,
  maxCohort: 300,
});

/** A distributed-mode variant of the base config, further edited by `edit`. */
const distributedVariant = (edit: (c: Draft) => void = () => undefined) =>
  variant((c) => {
    c.privacy = distributed();
    c.acceptedEncodings = ['masked'];
    c.maxUploadBytes = maxUpdateBytes(65536, 'masked');
    edit(c);
  });

/** Applies `edit` to a deep copy of the base config. */
function variant(edit: (c: Draft) => void): Record<string, unknown> {
  const c = structuredClone(base());
  edit(c);
  return c;
}

describe('round config documentation', () => {
  const docExamples = examples('round-config');

  it('has examples, and each one parses and validates against the JSON Schema', () => {
    expect(docExamples.length).toBeGreaterThanOrEqual(2);
    for (const example of docExamples) {
      expect(schemaValidate(example), JSON.stringify(schemaValidate.errors)).toBe(true);
      const config = parseRoundConfig(example);
      expect(config).toEqual(example);
      // Every accepted encoding of a full-size update fits the advertised upload limit.
      for (const encoding of config.acceptedEncodings) {
        expect(maxUpdateBytes(config.model.parameterCount, encoding)).toBeLessThanOrEqual(
          config.maxUploadBytes,
        );
      }
    }
  });
});

describe('parseRoundConfig', () => {
  it('returns a typed copy with only documented fields', () => {
    const input = base();
    const config: RoundConfig = parseRoundConfig(input);
    expect(config).toEqual(input);
    expect(config).not.toBe(input);
    expect('targetEpsilon' in config.privacy).toBe(false);
  });

  it('accepts each privacy mode and optional field', () => {
    const ok = [
      variant((c) => (c.privacy = { mode: 'none' })),
      variant((c) => (c.privacy = { mode: 'local', epsilon: 2, delta: 1e-5, sigma: 3 })),
      variant((c) => (c.privacy.targetEpsilon = 8)),
      variant(
        (c) =>
          (c.model = {
            kind: 'mlp',
            contentDim: 384,
            userDim: 128,
            hiddenDim: 256,
            parameterCount: 131456,
          }),
      ),
      variant((c) => (c.participation.maxParticipationsPerDevice = 5)),
      variant((c) => (c.participation.minRoundGap = 24)),
      distributedVariant(),
      variant((c) => (c.deadline = '2025-12-31T23:59:59.999-05:30')),
      variant((c) => (c.participation.samplingProbability = 1)),
      variant((c) => (c.acceptedEncodings = ['int8', 'f16', 'f32'])),
    ];
    for (const c of ok) {
      expect(parseRoundConfig(c)).toEqual(c);
      expect(schemaValidate(c)).toBe(true);
    }
  });

  it('UNSUPPORTED_VERSION for another formatVersion, even with new fields', () => {
    expectCode(
      () => parseRoundConfig(variant((c) => (c.formatVersion = 1))),
      'UNSUPPORTED_VERSION',
    );
    expectCode(
      () => parseRoundConfig(variant((c) => ((c.formatVersion = 3), (c.newField = 1)))),
      'UNSUPPORTED_VERSION',
    );
  });

  const badHeader: [string, (c: Draft) => void][] = [
    ['unknown top-level field', (c) => (c.uploadUrl = 'https://x')],
    ['unknown privacy field', (c) => (c.privacy.sigma = 1)],
    ['unknown model field', (c) => (c.model.layers = 2)],
    ['missing roundId', (c) => delete c.roundId],
    ['string roundId', (c) => (c.roundId = '1')],
    ['fractional kMin', (c) => (c.kMin = 1.5)],
    ['unknown mode', (c) => (c.privacy = { mode: 'strong' })],
    [
      'distributed without its parameters',
      (c) => (c.privacy = { mode: 'distributed', noiseMultiplier: 1, delta: 1e-6 }),
    ],
    ['the v1 event minimum', (c) => (c.participation.minEventsPerRound = 1)],
    ['no lifetime cap', (c) => delete c.participation.maxParticipationsPerDevice],
    ['local without sigma', (c) => (c.privacy = { mode: 'local', epsilon: 1, delta: 1e-5 })],
    ['mlp without hiddenDim', (c) => (c.model.kind = 'mlp')],
    ['linear with hiddenDim', (c) => (c.model.hiddenDim = 4)],
    ['deadline without offset', (c) => (c.deadline = '2025-06-01T00:00:00')],
    ['deadline date only', (c) => (c.deadline = '2025-06-01')],
    ['deadline impossible date', (c) => (c.deadline = '2025-02-29T00:00:00Z')],
    ['deadline hour 24', (c) => (c.deadline = '2025-06-01T24:00:00Z')],
    ['empty encodings', (c) => (c.acceptedEncodings = [])],
    ['duplicate encodings', (c) => (c.acceptedEncodings = ['f32', 'f32'])],
    ['unknown encoding', (c) => (c.acceptedEncodings = ['f64'])],
    ['participation not object', (c) => (c.participation = 1)],
  ];
  const distributedRules: [string, (c: Draft) => void][] = [
    ['float encodings', (c) => (c.acceptedEncodings = ['f32'])],
    ['masked beside a float encoding', (c) => (c.acceptedEncodings = ['masked', 'f32'])],
    ['padded dimension not a power of two', (c) => (c.privacy.paddedDimension = 65535)],
    ['padded dimension below the parameter count', (c) => (c.privacy.paddedDimension = 32768)],
    ['odd degree', (c) => (c.privacy.degree = 7)],
    ['threshold above the degree', (c) => (c.privacy.threshold = 9)],
    ['maxCohort below kMin', (c) => (c.privacy.maxCohort = 9)],
  ];
  it.each(distributedRules)('BAD_HEADER in distributed mode: %s', (_name, edit) => {
    expectCode(() => parseRoundConfig(distributedVariant(edit)), 'BAD_HEADER');
  });

  it('BAD_HEADER for masked uploads outside distributed mode', () => {
    expectCode(
      () => parseRoundConfig(variant((c) => (c.acceptedEncodings = ['masked']))),
      'BAD_HEADER',
    );
  });

  it.each([
    ['bits 7', (c: Draft) => (c.privacy.bits = 7)],
    ['bits 21', (c: Draft) => (c.privacy.bits = 21)],
    ['beta 1', (c: Draft) => (c.privacy.beta = 1)],
    ['threshold 1', (c: Draft) => (c.privacy.threshold = 1)],
    ['zero device sigma', (c: Draft) => (c.privacy.deviceSigma = 0)],
    ['minRoundGap 0', (c: Draft) => (c.participation.minRoundGap = 0)],
  ])('OUT_OF_RANGE in distributed mode: %s (and the schema agrees)', (_name, edit) => {
    const c = distributedVariant(edit);
    expectCode(() => parseRoundConfig(c), 'OUT_OF_RANGE');
    expect(schemaValidate(c)).toBe(false);
  });

  it.each(badHeader)('BAD_HEADER: %s (and the schema agrees)', (_name, edit) => {
    const c = variant(edit);
    expectCode(() => parseRoundConfig(c), 'BAD_HEADER');
    if (_name !== 'deadline impossible date' && _name !== 'deadline hour 24')
      expect(schemaValidate(c)).toBe(false);
  });

  const outOfRange: [string, (c: Draft) => void][] = [
    ['negative roundId', (c) => (c.roundId = -1)],
    ['zero clipNorm', (c) => (c.clipNorm = 0)],
    ['negative clipNorm', (c) => (c.clipNorm = -1)],
    ['delta = 1', (c) => (c.privacy.delta = 1)],
    ['delta = 0', (c) => (c.privacy.delta = 0)],
    ['zero noise multiplier', (c) => (c.privacy.noiseMultiplier = 0)],
    ['negative targetEpsilon', (c) => (c.privacy.targetEpsilon = -1)],
    ['local epsilon 0', (c) => (c.privacy = { mode: 'local', epsilon: 0, delta: 1e-5, sigma: 1 })],
    ['kMin 0', (c) => (c.kMin = 0)],
    ['sampling 0', (c) => (c.participation.samplingProbability = 0)],
    ['sampling > 1', (c) => (c.participation.samplingProbability = 1.5)],
    ['parameterCount too big', (c) => (c.model.parameterCount = 2 ** 21)],
    ['maxUploadBytes 0', (c) => (c.maxUploadBytes = 0)],
    ['maxUploadBytes > 1 GiB', (c) => (c.maxUploadBytes = 2 ** 31)],
    ['maxParticipations 0', (c) => (c.participation.maxParticipationsPerDevice = 0)],
  ];
  it.each(outOfRange)('OUT_OF_RANGE: %s (and the schema agrees)', (_name, edit) => {
    const c = variant(edit);
    expectCode(() => parseRoundConfig(c), 'OUT_OF_RANGE');
    expect(schemaValidate(c)).toBe(false);
  });

  it('rejects non-objects', () => {
    for (const bad of [null, [], 'x', 3, undefined])
      expectCode(() => parseRoundConfig(bad), 'BAD_HEADER');
  });

  it('never throws anything but ProtocolError on arbitrary JSON, and agrees with the schema when it accepts', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          parseRoundConfig(value);
          expect(schemaValidate(value)).toBe(true);
        } catch {
          protocolErrorOf(() => parseRoundConfig(value));
        }
      }),
      { numRuns: 300 },
    );
    // Mutating one field of a valid config at a time.
    const keys = Object.keys(base());
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.jsonValue(), (key, value) => {
        const c = { ...base(), [key]: value };
        let parsed = true;
        try {
          parseRoundConfig(c);
        } catch {
          parsed = false;
          expect(['BAD_HEADER', 'OUT_OF_RANGE', 'UNSUPPORTED_VERSION']).toContain(
            protocolErrorOf(() => parseRoundConfig(c)).code,
          );
        }
        if (parsed) expect(schemaValidate(c)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('privacy mode strength', () => {
  it('orders none < central < distributed < local', () => {
    expect(PRIVACY_MODES.map(privacyModeStrength)).toEqual([0, 1, 2, 3]);
    expect(meetsPrivacyFloor('local', 'central')).toBe(true);
    expect(meetsPrivacyFloor('central', 'central')).toBe(true);
    expect(meetsPrivacyFloor('none', 'central')).toBe(false);
    expect(meetsPrivacyFloor('central', 'distributed')).toBe(false);
    expect(() => privacyModeStrength('max' as 'local')).toThrow(RangeError);
  });
});

describe('round config counts query', () => {
  const counts = {
    catalogVersion: 4,
    adCount: 100,
    adsChecksum: 'crc32c:0a1b2c3d',
    maxImpressions: 20,
    maxClicks: 2,
    scale: 0.02,
  };

  it('is optional, validated, and matches the JSON Schema', () => {
    const c = variant((d) => (d.counts = counts));
    expect(parseRoundConfig(c).counts).toEqual(counts);
    expect(schemaValidate(c)).toBe(true);
    expect(updateVectorLength(parseRoundConfig(c))).toBe(49280 + 200);
    expect(parseRoundConfig(base()).counts).toBeUndefined();
  });

  it('refuses unknown fields, bad bounds and a checksum of the wrong form', () => {
    expectCode(
      () => parseRoundConfig(variant((d) => (d.counts = { ...counts, x: 1 }))),
      'BAD_HEADER',
    );
    expectCode(
      () => parseRoundConfig(variant((d) => (d.counts = { ...counts, maxImpressions: 0 }))),
      'OUT_OF_RANGE',
    );
    expectCode(
      () => parseRoundConfig(variant((d) => (d.counts = { ...counts, scale: 0 }))),
      'OUT_OF_RANGE',
    );
    expectCode(
      () => parseRoundConfig(variant((d) => (d.counts = { ...counts, adsChecksum: 'x' }))),
      'BAD_HEADER',
    );
  });

  it('in distributed mode needs a padded dimension that holds the gradient and the counts', () => {
    const wide = { ...counts, adCount: 10_000 };
    expectCode(() => parseRoundConfig(distributedVariant((d) => (d.counts = wide))), 'BAD_HEADER');
    expect(parseRoundConfig(distributedVariant((d) => (d.counts = counts))).counts).toEqual(counts);
  });

  it('adListChecksum identifies an ordered id list', () => {
    expect(adListChecksum(['a', 'b'])).toMatch(/^crc32c:[0-9a-f]{8}$/);
    expect(adListChecksum(['a', 'b'])).not.toBe(adListChecksum(['b', 'a']));
  });
});
