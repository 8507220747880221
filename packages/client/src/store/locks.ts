/**
 * Origin-wide mutual exclusion. With the Web Locks API (every current browser, in pages and
 * workers) the lock holds across tabs; without it, an in-process queue still serialises callers
 * of this realm.
 */

interface LockManagerLike {
  request<T>(
    name: string,
    options: { mode: 'exclusive'; ifAvailable?: boolean },
    callback: (lock: unknown) => Promise<T>,
  ): Promise<T>;
}

function lockManager(): LockManagerLike | undefined {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return nav?.locks;
}

const localQueues = new Map<string, Promise<unknown>>();

/**
 * Runs `task` while holding the exclusive lock `name`.
 * @param name - lock name (origin-wide)
 * @param task - work to do under the lock; the lock is released when its promise settles
 * @returns the task's result
 */
export function withLock<T>(name: string, task: () => Promise<T>): Promise<T> {
  const locks = lockManager();
  if (locks !== undefined) return locks.request(name, { mode: 'exclusive' }, task);
  const previous = localQueues.get(name) ?? Promise.resolve();
  const run = previous.then(task, task);
  localQueues.set(
    name,
    run.catch(() => undefined),
  );
  return run;
}

/**
 * Runs `task` under the lock `name` only if nobody holds it now.
 * @param name - lock name (origin-wide)
 * @param task - work to do under the lock
 * @returns the task's result, or `undefined` when the lock was taken
 */
export async function withLockIfAvailable<T>(
  name: string,
  task: () => Promise<T>,
): Promise<T | undefined> {
  const locks = lockManager();
  if (locks === undefined) return withLock(name, task);
  return locks.request(name, { mode: 'exclusive', ifAvailable: true }, async (lock) =>
    lock === null ? undefined : task(),
  );
}
