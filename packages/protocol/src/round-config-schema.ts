/**
 * JSON Schema (draft-07, the most widely supported draft) of the round config, for operators'
 * tooling and other languages. {@link parseRoundConfig} is the normative validator: it accepts
 * exactly what this schema accepts, and additionally rejects impossible calendar dates and the
 * cross-field rules of the distributed mode (`paddedDimension` a power of two ≥ `parameterCount`,
 * even `degree` ≥ `threshold`, `maxCohort` ≥ `kMin`, encodings exactly `["masked"]`).
 */
import { ISO_DATE_TIME_PATTERN } from './iso-time.js';
import { NONCE_PATTERN } from './nonce.js';
import {
  MAX_SECURE_SUM_BITS,
  MAX_UPLOAD_BYTES_LIMIT,
  MIN_SECURE_SUM_BITS,
  PROJECTOR_KINDS,
  ROUND_CONFIG_FORMAT_VERSION,
} from './round-config.js';
import { UPDATE_DEFAULT_LIMITS } from './limits.js';
import { UPLOAD_ENCODINGS } from './update-upload.js';

const nonNegativeInteger = {
  type: 'integer',
  minimum: 0,
  maximum: Number.MAX_SAFE_INTEGER,
} as const;
const positiveNumber = { type: 'number', exclusiveMinimum: 0 } as const;
const delta = { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 } as const;
const countAtLeast = (minimum: number) =>
  ({ type: 'integer', minimum, maximum: Number.MAX_SAFE_INTEGER }) as const;

const closedObject = (
  properties: Record<string, object>,
  required: readonly string[],
): Record<string, unknown> => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});

/** The round config schema (draft-07). */
export const roundConfigJsonSchema: Readonly<Record<string, unknown>> = Object.freeze({
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://privads.dev/schemas/round-config-v2.json',
  title: 'PrivAds round config',
  ...closedObject(
    {
      formatVersion: { const: ROUND_CONFIG_FORMAT_VERSION },
      roundId: nonNegativeInteger,
      projectorVersion: nonNegativeInteger,
      model: {
        ...closedObject(
          {
            kind: { enum: [...PROJECTOR_KINDS] },
            contentDim: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
            userDim: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
            hiddenDim: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
            parameterCount: { type: 'integer', minimum: 1, maximum: UPDATE_DEFAULT_LIMITS.maxDim },
          },
          ['kind', 'contentDim', 'userDim', 'parameterCount'],
        ),
        if: { properties: { kind: { const: 'mlp' } } },
        then: { required: ['hiddenDim'] },
        else: { not: { required: ['hiddenDim'] } },
      },
      clipNorm: positiveNumber,
      privacy: {
        oneOf: [
          closedObject(
            { mode: { const: 'local' }, epsilon: positiveNumber, delta, sigma: positiveNumber },
            ['mode', 'epsilon', 'delta', 'sigma'],
          ),
          closedObject(
            {
              mode: { const: 'central' },
              noiseMultiplier: positiveNumber,
              delta,
              targetEpsilon: positiveNumber,
            },
            ['mode', 'noiseMultiplier', 'delta'],
          ),
          closedObject(
            {
              mode: { const: 'distributed' },
              noiseMultiplier: positiveNumber,
              delta,
              bits: { type: 'integer', minimum: MIN_SECURE_SUM_BITS, maximum: MAX_SECURE_SUM_BITS },
              granularity: positiveNumber,
              deviceSigma: positiveNumber,
              paddedDimension: {
                type: 'integer',
                minimum: 1,
                maximum: UPDATE_DEFAULT_LIMITS.maxDim,
              },
              rotationSeed: { type: 'string', pattern: NONCE_PATTERN.source },
              beta: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
              threshold: countAtLeast(2),
              degree: countAtLeast(2),
              maxCohort: countAtLeast(2),
            },
            [
              'mode',
              'noiseMultiplier',
              'delta',
              'bits',
              'granularity',
              'deviceSigma',
              'paddedDimension',
              'rotationSeed',
              'beta',
              'threshold',
              'degree',
              'maxCohort',
            ],
          ),
          closedObject({ mode: { const: 'none' } }, ['mode']),
        ],
      },
      kMin: countAtLeast(1),
      deadline: { type: 'string', pattern: ISO_DATE_TIME_PATTERN },
      participation: closedObject(
        {
          maxParticipationsPerDevice: countAtLeast(1),
          minRoundGap: countAtLeast(1),
          samplingProbability: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        },
        ['maxParticipationsPerDevice', 'minRoundGap', 'samplingProbability'],
      ),
      acceptedEncodings: {
        type: 'array',
        items: { enum: [...UPLOAD_ENCODINGS] },
        minItems: 1,
        uniqueItems: true,
      },
      maxUploadBytes: { type: 'integer', minimum: 1, maximum: MAX_UPLOAD_BYTES_LIMIT },
      counts: closedObject(
        {
          catalogVersion: nonNegativeInteger,
          adCount: countAtLeast(1),
          adsChecksum: { type: 'string', pattern: '^crc32c:[0-9a-f]{8}$' },
          maxImpressions: countAtLeast(1),
          maxClicks: nonNegativeInteger,
          scale: positiveNumber,
        },
        ['catalogVersion', 'adCount', 'adsChecksum', 'maxImpressions', 'maxClicks', 'scale'],
      ),
    },
    [
      'formatVersion',
      'roundId',
      'projectorVersion',
      'model',
      'clipNorm',
      'privacy',
      'kMin',
      'deadline',
      'participation',
      'acceptedEncodings',
      'maxUploadBytes',
    ],
  ),
});

/** JSON Schema `pattern` of an upload nonce, for OpenAPI documents. */
export const NONCE_SCHEMA_PATTERN = NONCE_PATTERN.source;
