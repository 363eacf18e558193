/**
 * Like Promise.all, but waits for every step to finish before failing: a step still starting a
 * server when another fails would otherwise leave that server running after the stop.
 */
export async function allOrFirstError<T extends readonly unknown[]>(steps: {
  [K in keyof T]: Promise<T[K]>;
}): Promise<T> {
  const results = await Promise.allSettled(steps);
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
