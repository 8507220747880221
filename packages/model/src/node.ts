/**
 * Node-only helpers (`@privads/model/node`). The main entry stays isomorphic; this module knows how
 * Node finds the tfjs WASM binaries (by module resolution, so it works from any install layout).
 */
import {
  selectGradientBackend,
  type GradientBackendReport,
  type SelectGradientBackendOptions,
} from './backend-selection.js';

interface ImportMetaResolve {
  resolve?: (specifier: string) => string;
}

/**
 * The `file://` URL of the directory holding the tfjs WASM backend's `.wasm` binaries (its
 * installed `dist/`), with a trailing slash, as `setWasmPaths` expects.
 * @returns e.g. `file:///app/node_modules/@tensorflow/tfjs-backend-wasm/dist/`
 * @throws Error when `import.meta.resolve` is unavailable (Node < 20.6) or the package is not installed
 */
export function nodeWasmPaths(): string {
  const meta = import.meta as ImportMetaResolve;
  if (typeof meta.resolve !== 'function') {
    throw new Error('import.meta.resolve is not available: Node 20.6 or later is required');
  }
  const main = meta.resolve('@tensorflow/tfjs-backend-wasm');
  return main.slice(0, main.lastIndexOf('/') + 1);
}

/**
 * {@link selectGradientBackend} with the WASM binaries located for Node.
 * @param options - as for {@link selectGradientBackend}; `wasmPaths` defaults to {@link nodeWasmPaths}
 * @returns the selection report (never throws)
 */
export async function selectNodeGradientBackend(
  options: SelectGradientBackendOptions = {},
): Promise<GradientBackendReport> {
  let wasmPaths = options.wasmPaths;
  if (wasmPaths === undefined) {
    try {
      wasmPaths = nodeWasmPaths();
    } catch {
      // The backend's own default (next to its script) still works in a plain install.
    }
  }
  return selectGradientBackend(wasmPaths === undefined ? options : { ...options, wasmPaths });
}
