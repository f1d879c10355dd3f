/**
 * The one time bound of the key-set cache's outside calls: fetches of key sets and discovery
 * documents, and reads and writes of the store tier, all held to `fetchTimeoutSeconds`.
 */

/**
 * `work`'s outcome, or the error `onTimeout` returns once `timeoutSeconds` have passed, whichever
 * comes first; the timer is cleared either way. The deadline rejects on its own, so a `fetch`
 * that ignores its abort signal, a body that never ends or a store that never answers cannot
 * hold the caller; `onTimeout` is where a caller that can cancel `work` does so.
 */
export async function withDeadline<T>(
  work: Promise<T>,
  timeoutSeconds: number,
  onTimeout: () => Error,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.max(1, Math.round(timeoutSeconds * 1000)));
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
