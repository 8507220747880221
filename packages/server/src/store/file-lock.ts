/**
 * One process per embedded store directory. The lock is a file holding the owner's pid; a lock
 * left by a process that no longer exists (e.g. after `kill -9`) is taken over.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { StorageError } from '@privads/protocol';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Directories locked by this process (a second open in the same process is refused too). */
const heldHere = new Set<string>();

/**
 * Takes the lock of `dir`.
 * @param dir - the store directory
 * @returns a function that releases the lock
 * @throws StorageError `STORAGE_BLOCKED` when a live process holds it
 */
export async function lockDirectory(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, 'LOCK');
  const key = resolve(dir);
  if (heldHere.has(key)) {
    throw new StorageError(
      'STORAGE_BLOCKED',
      `the store ${dir} is already open in this process; close it first`,
    );
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.sync();
      await handle.close();
      heldHere.add(key);
      return async () => {
        heldHere.delete(key);
        await unlink(path).catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new StorageError(
          'STORAGE_BLOCKED',
          `the store ${dir} is in use by process ${owner}; stop it first (one process per embedded store)`,
        );
      }
      await unlink(path).catch(() => undefined);
    }
  }
  throw new StorageError('STORAGE_BLOCKED', `could not lock ${dir}`);
}
