/**
 * JSON Schema (draft-07, the most widely supported draft) of the round config, for operators'
 * tooling and other languages. {@link parseRoundConfig} is the normative validator: it accepts
 * exactly what this schema accepts, and additionally rejects impossible calendar dates.
 */
import { ISO_DATE_TIME_PATTERN } from './iso-time.js';
import { NONCE_PATTERN } from './nonce.js';
import {
  MAX_UPLOAD_BYTES_LIMIT,
  PROJECTOR_KINDS,
  ROUND_CONFIG_FORMAT_VERSION,
} from './round-config.js';
import { UPDATE_DEFAULT_LIMITS } from './limits.js';
import { UPDATE_ENCODINGS } from './update-upload.js';

const nonNegativeInteger = {
  type: 'integer',
  minimum: 0,
  maximum: Number.MAX_SAFE_INTEGER,
} as const;
const positiveNumber = { type: 'number', exclusiveMinimum: 0 } as const;
const delta = { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 } as const;

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
  $id: 'https://privads.dev/schemas/round-config-v1.json',
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
          closedObject({ mode: { const: 'none' } }, ['mode']),
        ],
      },
      kMin: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
      deadline: { type: 'string', pattern: ISO_DATE_TIME_PATTERN },
      participation: closedObject(
        {
          minEventsPerRound: nonNegativeInteger,
          maxParticipationsPerDevice: {
            type: 'integer',
            minimum: 1,
            maximum: Number.MAX_SAFE_INTEGER,
          },
          samplingProbability: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        },
        ['minEventsPerRound', 'samplingProbability'],
      ),
      acceptedEncodings: {
        type: 'array',
        items: { enum: [...UPDATE_ENCODINGS] },
        minItems: 1,
        uniqueItems: true,
      },
      maxUploadBytes: { type: 'integer', minimum: 1, maximum: MAX_UPLOAD_BYTES_LIMIT },
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
