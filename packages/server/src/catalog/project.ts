/**
 * Projection of content vectors with a projector version, on the server (catalog import and
 * re-projection after each round). The tfjs backend is chosen once per process by the model
 * package's own selection (WASM when it passes its self-test, else the plain CPU backend).
 */
import { createProjector, decodeProjectorFile } from '@privads/model';
import { selectNodeGradientBackend } from '@privads/model/node';
import { contentRange, type CatalogContent } from '@privads/protocol';

/** Rows reconstructed and projected at a time from coded content (24 MB of floats at 384-d). */
const RECONSTRUCT_CHUNK = 16_384;

let backend: Promise<string> | undefined;

/**
 * Activates a tfjs backend (once).
 * @returns the backend name
 */
export function ensureProjectionBackend(): Promise<string> {
  backend ??= selectNodeGradientBackend({ candidates: ['wasm', 'cpu'], measure: false }).then(
    (r) => r.backend,
  );
  return backend;
}

/**
 * Projects content vectors with a projector file.
 * @param projectorFile - projector safetensors bytes
 * @param content - `count × contentDim` content vectors
 * @param count - rows
 * @returns `count × userDim` L2-normalised rows
 * @throws ProtocolError for a malformed projector file; RangeError when dims disagree
 */
export async function projectWithFile(
  projectorFile: Uint8Array,
  content: CatalogContent,
  count: number,
): Promise<Float32Array> {
  const file = decodeProjectorFile(projectorFile);
  return projectWithParameters(file.spec, file.parameters, content, count);
}

/**
 * Projects content vectors with flat parameters. Coded content is reconstructed a chunk at a time,
 * never whole (a million 384-d rows would be 1.5 GB of floats).
 * @param spec - projector architecture
 * @param parameters - flat parameters in layout order
 * @param content - `count × contentDim` content vectors, exact or coded
 * @param count - rows
 * @returns `count × userDim` L2-normalised rows
 * @throws RangeError when dims disagree
 */
export async function projectWithParameters(
  spec: Parameters<typeof createProjector>[0],
  parameters: Float32Array,
  content: CatalogContent,
  count: number,
): Promise<Float32Array> {
  await ensureProjectionBackend();
  const projector = createProjector(spec, { parameters });
  try {
    if (content.encoding === 'f32') return await projector.projectAsync(content.values, count);
    const out = new Float32Array(count * spec.userDim);
    for (let start = 0; start < count; start += RECONSTRUCT_CHUNK) {
      const end = Math.min(count, start + RECONSTRUCT_CHUNK);
      const rows = contentRange(content, spec.contentDim, start, end);
      out.set(await projector.projectAsync(rows, end - start), start * spec.userDim);
    }
    return out;
  } finally {
    projector.dispose();
  }
}
