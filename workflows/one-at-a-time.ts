/**
 * Local activities called through this run one after another, in the order they were called.
 *
 * When two coroutines (the main loop and an update handler) have local activities in flight at once,
 * a first execution resumes them in the order they finish and a replay in the order they were
 * scheduled; the two interleavings differ and the replay fails with a nondeterminism error. With at
 * most one in flight, both orders are the same.
 */
export function oneAtATime<T extends object>(activities: T): T {
  let tail: Promise<unknown> = Promise.resolve();
  return new Proxy(activities, {
    get(target, name) {
      const activity: unknown = Reflect.get(target, name);
      if (typeof activity !== 'function') return activity;
      return (...args: unknown[]) => {
        const run = tail.then(() => (activity as (...parameters: unknown[]) => Promise<unknown>)(...args));
        tail = run.catch(() => undefined);
        return run;
      };
    },
  });
}
