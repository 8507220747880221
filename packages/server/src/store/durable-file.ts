/**
 * Crash-safe file writes for the embedded store: a file becomes visible under its name only once
 * its bytes are on disk (write a temporary file, fsync it, rename, fsync the directory), so after a
 * crash a name holds either nothing or the complete file.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * fsyncs a directory, making renames and unlinks inside it durable.
 * @param dir - directory path
 */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `bytes` to `path` atomically and durably.
 * @param path - destination (replaced if it exists)
 * @param bytes - content
 */
export async function writeFileDurable(path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  await rename(temp, path);
  await fsyncDirectory(dirname(path));
}
