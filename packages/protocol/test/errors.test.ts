import { describe, expect, it } from 'vitest';
import {
  AggregationError,
  BackendError,
  DatasetError,
  ERROR_CODES,
  EncoderError,
  PROTOCOL_ERROR_CODES,
  PrivAdsError,
  PrivacyError,
  PrivacyParameterError,
  ProtocolError,
  SECAGG_ERROR_CODES,
  SecAggError,
  StorageError,
  deserializeError,
  isErrorCode,
  isPrivAdsError,
  serializeError,
} from '@privads/protocol';

describe('error hierarchy', () => {
  it('keeps code, name, message and cause', () => {
    const cause = new SyntaxError('bad json');
    const e = new ProtocolError('BAD_HEADER', 'header broken', { cause });
    expect(e).toBeInstanceOf(PrivAdsError);
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('BAD_HEADER');
    expect(e.name).toBe('ProtocolError');
    expect(e.message).toBe('header broken');
    expect(e.cause).toBe(cause);
    expect(new ProtocolError('TRUNCATED', 'x').cause).toBeUndefined();
  });

  it('gives each area its class and codes', () => {
    expect(new PrivacyParameterError('epsilon must be > 0, got -1').code).toBe('PRIVACY_PARAMETER');
    expect(new PrivacyParameterError('x')).toBeInstanceOf(PrivacyError);
    expect(new PrivacyError('PRIVACY_BUDGET_EXHAUSTED', 'spent').name).toBe('PrivacyError');
    expect(new StorageError('STORAGE_QUOTA', 'full').name).toBe('StorageError');
    expect(new BackendError('BACKEND_UNAVAILABLE', 'no gpu').name).toBe('BackendError');
    expect(new AggregationError('AGGREGATION_TOO_FEW', 'k').name).toBe('AggregationError');
    expect(new EncoderError('ENCODER_MODEL_INVALID', 'm').name).toBe('EncoderError');
    expect(new DatasetError('DATASET_MALFORMED', 'u.data:3: bad').name).toBe('DatasetError');
    expect(new SecAggError('SECAGG_TOO_FEW', 'u2').name).toBe('SecAggError');
  });

  it('lists every documented format code once', () => {
    for (const code of [
      'TRUNCATED',
      'BAD_MAGIC',
      'UNSUPPORTED_VERSION',
      'DIM_MISMATCH',
      'NON_FINITE',
      'LENGTH_OVERFLOW',
      'CHECKSUM_MISMATCH',
      'OVERSIZE',
      'BAD_HEADER',
      'OUT_OF_RANGE',
    ]) {
      expect(PROTOCOL_ERROR_CODES).toContain(code);
    }
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    expect(isErrorCode('STORAGE_QUOTA')).toBe(true);
    expect(isErrorCode('NOPE')).toBe(false);
    expect(isErrorCode(42)).toBe(false);
  });
});

describe('serializeError / deserializeError', () => {
  it('round-trips every code through JSON and structured clone with the right class', () => {
    for (const code of ERROR_CODES) {
      const original = deserializeError({ name: 'X', code, message: `m-${code}` });
      const viaJson = deserializeError(JSON.parse(JSON.stringify(serializeError(original))));
      const viaClone = deserializeError(structuredClone(serializeError(original)));
      for (const e of [viaJson, viaClone]) {
        expect(e.code).toBe(code);
        expect(e.message).toBe(`m-${code}`);
        expect(e.constructor).toBe(original.constructor);
      }
    }
  });

  it('restores the subclass so instanceof works on the other side', () => {
    const e = deserializeError(serializeError(new ProtocolError('CHECKSUM_MISMATCH', 'crc')));
    expect(e).toBeInstanceOf(ProtocolError);
    expect(
      deserializeError(serializeError(new DatasetError('DATASET_MISSING', 'u.data'))),
    ).toBeInstanceOf(DatasetError);
    expect(e.name).toBe('ProtocolError');
    expect(deserializeError(serializeError(new PrivacyParameterError('p')))).toBeInstanceOf(
      PrivacyParameterError,
    );
    expect(
      deserializeError(serializeError(new StorageError('STORAGE_BLOCKED', 's'))),
    ).toBeInstanceOf(StorageError);
    for (const code of SECAGG_ERROR_CODES) {
      expect(deserializeError(serializeError(new SecAggError(code, 's')))).toBeInstanceOf(
        SecAggError,
      );
    }
    expect(
      deserializeError({ name: 'PrivAdsError', code: 'RATE_LIMITED', message: 'slow down' })
        .constructor,
    ).toBe(PrivAdsError);
  });

  it('serialises foreign errors as INTERNAL without stack or cause', () => {
    const s = serializeError(new TypeError('boom'));
    expect(s).toEqual({ name: 'TypeError', code: 'INTERNAL', message: 'boom' });
    expect(serializeError('plain string')).toEqual({
      name: 'Error',
      code: 'INTERNAL',
      message: 'plain string',
    });
  });

  it('never throws on malformed input', () => {
    for (const bad of [
      null,
      undefined,
      42,
      'x',
      {},
      { code: 'UNKNOWN', message: 'm' },
      { code: 'TRUNCATED' },
    ]) {
      const e = deserializeError(bad);
      expect(e).toBeInstanceOf(PrivAdsError);
    }
    expect(deserializeError({ code: 'UNKNOWN', message: 'm' }).code).toBe('INTERNAL');
  });
});

describe('isPrivAdsError', () => {
  it('recognises instances and code-carrying errors from another bundle', () => {
    expect(isPrivAdsError(new ProtocolError('OVERSIZE', 'x'))).toBe(true);
    const foreign = Object.assign(new Error('x'), { code: 'STORAGE_QUOTA' });
    expect(isPrivAdsError(foreign)).toBe(true);
    expect(isPrivAdsError(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(false);
    expect(isPrivAdsError({ code: 'TRUNCATED', message: 'not an Error' })).toBe(false);
    expect(isPrivAdsError(new Error('x'))).toBe(false);
  });
});
