/**
 * Projection of content vectors with a projector version, on the server (catalog import and
 * re-projection after each round). The tfjs backend is chosen once per process by the model
 * package's own selection (WASM when it passes its self-test, else the plain CPU backend).
 */
import { createProjector, decodeProjectorFile } from '@privads/model';
import { selectNodeGradientBackend } from '@privads/model/node';

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
  content: Float32Array,
  count: number,
): Promise<Float32Array> {
  const file = decodeProjectorFile(projectorFile);
  return projectWithParameters(file.spec, file.parameters, content, count);
}

/**
 * Projects content vectors with flat parameters.
 * @param spec - projector architecture
 * @param parameters - flat parameters in layout order
 * @param content - `count × contentDim` content vectors
 * @param count - rows
 * @returns `count × userDim` L2-normalised rows
 * @throws RangeError when dims disagree
 */
export async function projectWithParameters(
  spec: Parameters<typeof createProjector>[0],
  parameters: Float32Array,
  content: Float32Array,
  count: number,
): Promise<Float32Array> {
  await ensureProjectionBackend();
  const projector = createProjector(spec, { parameters });
  try {
    return await projector.projectAsync(content, count);
  } finally {
    projector.dispose();
  }
}
