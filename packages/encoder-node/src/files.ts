import { readFile } from 'node:fs/promises';
import { EncoderFileError, type LoadedFile } from '@privads/encoder';

const EXPECTED: Record<string, string> = {
  spec: 'an encoder spec file (encoder.json)',
  model: 'an ONNX model file',
  tokenizer: 'a Hugging Face tokenizer.json',
  'tokenizer-config': 'a tokenizer_config.json',
};

/**
 * Reads an encoder file from disk; I/O failures (missing file, a directory, no permission) become
 * a typed error naming the file.
 * @param path - absolute or relative path
 * @param role - what the file is, for the message
 * @returns the bytes and the path
 * @throws {@link EncoderFileError} `ENCODER_MODEL_MISSING`
 */
export async function readEncoderFile(
  path: string,
  role: keyof typeof EXPECTED,
): Promise<LoadedFile> {
  try {
    return { bytes: await readFile(path), source: path };
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    const problem =
      code === 'ENOENT'
        ? 'does not exist'
        : `cannot be read (${cause instanceof Error ? cause.message : String(cause)})`;
    throw new EncoderFileError('ENCODER_MODEL_MISSING', path, problem, EXPECTED[role] ?? role, {
      cause,
    });
  }
}
