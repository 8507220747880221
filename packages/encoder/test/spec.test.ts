import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HASHED_NGRAMS_WEIGHTS,
  DEFAULT_MAX_CHARS,
  DEFAULT_MAX_TOKENS,
  EncoderFileError,
  defaultEncoderSpec,
  parseEncoderSpec,
} from '@privads/encoder';
import { defaultSpecJson } from '../scripts/generate-default-model.mjs';
import { tinySpecJson } from '../scripts/generate-tiny-wordpiece.mjs';
import { defaultSpecPath, tinySpecPath } from './helpers.js';

const base = () =>
  JSON.parse(JSON.stringify(defaultEncoderSpec)) as Record<string, unknown> & {
    model: Record<string, unknown>;
    tokenizer: Record<string, unknown>;
  };

function rejects(json: unknown, pattern: RegExp): EncoderFileError {
  let caught: unknown;
  try {
    parseEncoderSpec(json, 'spec.json');
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(EncoderFileError);
  const error = caught as EncoderFileError;
  expect(error.code).toBe('ENCODER_MODEL_INVALID');
  expect(error.file).toBe('spec.json');
  expect(error.message).toMatch(/^spec\.json: /);
  expect(error.message).toMatch(pattern);
  return error;
}

describe('encoder spec', () => {
  it('the committed default spec file, the TS constant and the generator agree', () => {
    const file = JSON.parse(readFileSync(defaultSpecPath, 'utf8')) as unknown;
    expect(file).toEqual(defaultEncoderSpec);
    expect(defaultSpecJson()).toEqual(defaultEncoderSpec);
    const tinyFile = JSON.parse(readFileSync(tinySpecPath, 'utf8')) as unknown;
    expect(tinyFile).toEqual(tinySpecJson());
  });

  it('fills defaults for the default (hashed-ngrams) spec', () => {
    const spec = parseEncoderSpec(defaultEncoderSpec, 'x');
    expect(spec).toEqual({
      id: 'privads-hashed-ngrams-384-v1',
      dim: 384,
      modelFile: 'model.onnx',
      output: 'embedding',
      pooling: 'none',
      normalize: 'l2',
      tokenizer: {
        kind: 'hashed-ngrams',
        buckets: 16384,
        seed: 0,
        weights: DEFAULT_HASHED_NGRAMS_WEIGHTS,
        maxChars: DEFAULT_MAX_CHARS,
        inputs: { ids: 'ids', weights: 'weights' },
      },
    });
  });

  it('fills MiniLM-style defaults for a wordpiece spec', () => {
    const spec = parseEncoderSpec(
      {
        format: 'privads-encoder',
        version: 1,
        id: 'all-MiniLM-L6-v2',
        dim: 384,
        model: { file: 'onnx/model.onnx' },
        tokenizer: { kind: 'wordpiece', file: 'tokenizer.json' },
        pooling: 'mean',
        normalize: 'l2',
      },
      'x',
    );
    expect(spec.output).toBe('last_hidden_state');
    expect(spec.tokenizer).toEqual({
      kind: 'wordpiece',
      file: 'tokenizer.json',
      configFile: undefined,
      maxTokens: DEFAULT_MAX_TOKENS,
      maxChars: DEFAULT_MAX_CHARS,
      inputs: {
        inputIds: 'input_ids',
        attentionMask: 'attention_mask',
        tokenTypeIds: 'token_type_ids',
      },
    });
  });

  it('rejects malformed specs, naming the file, the field and what was expected', () => {
    rejects(null, /spec is null; expected spec to be a JSON object/);
    rejects([], /spec is \[\]/);
    rejects({ ...base(), format: 'onnx' }, /format is "onnx"; expected "privads-encoder"/);
    rejects({ ...base(), version: 2 }, /version is 2; expected version 1/);
    rejects({ ...base(), id: '' }, /id is ""; expected id to be a non-empty string/);
    rejects({ ...base(), id: 'has space' }, /id is "has space"/);
    rejects({ ...base(), dim: 0 }, /dim is 0; expected dim to be an integer in \[1, 65536\]/);
    rejects({ ...base(), dim: 1.5 }, /dim is 1\.5/);
    rejects({ ...base(), dim: undefined }, /dim is missing/);
    rejects(
      { ...base(), pooling: 'max' },
      /pooling is "max"; expected pooling to be one of "none", "mean", "cls"/,
    );
    rejects({ ...base(), normalize: 'l1' }, /normalize is "l1"/);
    rejects({ ...base(), extra: 1 }, /spec has unknown key\(s\) "extra"/);
    rejects(
      { ...base(), model: { file: 'm.onnx', outptu: 'x' } },
      /model has unknown key\(s\) "outptu"/,
    );
    rejects({ ...base(), model: {} }, /model\.file is missing/);
    rejects(
      { ...base(), model: { file: 'm.onnx', inputs: { ids: 3 } } },
      /model\.inputs\.ids is 3/,
    );
    rejects(
      { ...base(), model: { file: 'm.onnx', inputs: { inputIds: 'x' } } },
      /model\.inputs has unknown key\(s\) "inputIds"/,
    );
    rejects({ ...base(), tokenizer: { kind: 'bpe' } }, /tokenizer\.kind is "bpe"/);
    rejects(
      { ...base(), tokenizer: { kind: 'hashed-ngrams', buckets: 1 } },
      /tokenizer\.buckets is 1; expected .*\[2, 16777216\]/,
    );
    rejects(
      { ...base(), tokenizer: { kind: 'hashed-ngrams', buckets: 8, file: 't.json' } },
      /no file for a hashed-ngrams tokenizer/,
    );
    rejects(
      { ...base(), tokenizer: { kind: 'hashed-ngrams', buckets: 8, weights: { word: -1 } } },
      /weights\.word is -1/,
    );
    rejects(
      {
        ...base(),
        tokenizer: {
          kind: 'hashed-ngrams',
          buckets: 8,
          weights: { word: 0, bigram: 0, trigram: 0 },
        },
      },
      /weights are all 0/,
    );
    rejects(
      { ...base(), tokenizer: { kind: 'hashed-ngrams', buckets: 8, maxChars: 0 } },
      /tokenizer\.maxChars is 0/,
    );
    rejects({ ...base(), pooling: 'mean' }, /expected pooling "none" for a hashed-ngrams model/);
    rejects({ ...base(), tokenizer: { kind: 'wordpiece' } }, /tokenizer\.file is missing/);
    rejects(
      { ...base(), pooling: 'mean', tokenizer: { kind: 'wordpiece', file: 't.json', buckets: 8 } },
      /no buckets for a wordpiece/,
    );
    rejects(
      {
        ...base(),
        pooling: 'mean',
        tokenizer: { kind: 'wordpiece', file: 't.json', maxTokens: 1 },
      },
      /maxTokens is 1/,
    );
  });
});
