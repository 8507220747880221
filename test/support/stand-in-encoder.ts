/**
 * Stand-in content encoders for end-to-end servers: the client never encodes text in those tests,
 * so any deterministic unit vectors of the encoder's dimension will do.
 */
import type { ContentEncoder } from '@privads/encoder';

/**
 * An encoder whose rows come from `start()`'s filler (one filler per `encode` call, so a stateful
 * generator restarts with each call) and are then scaled to unit length.
 * @param id - encoder id (the bundle records it)
 * @param dim - output dimension
 * @param start - returns the function that fills row `index` for `text`
 * @returns the encoder
 */
export function unitRowEncoder(
  id: string,
  dim: number,
  start: () => (text: string, index: number, row: Float32Array) => void,
): ContentEncoder {
  return {
    id,
    dim,
    encode: async (texts) => {
      const out = new Float32Array(texts.length * dim);
      const fill = start();
      texts.forEach((text, i) => {
        const row = out.subarray(i * dim, (i + 1) * dim);
        fill(text, i, row);
        const norm = Math.sqrt(row.reduce((sum, x) => sum + x * x, 0));
        for (let j = 0; j < dim; j++) row[j] = (row[j] as number) / norm;
      });
      return out;
    },
    dispose: async () => undefined,
  };
}
