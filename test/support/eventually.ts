/**
 * Resolves with the probe's value once `done` accepts it, probing every 10 ms; rejects with the
 * last value after `timeoutMs`.
 */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const attempt = async (): Promise<T> => {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`not done after ${timeoutMs} ms: ${JSON.stringify(value)?.slice(0, 2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
    return attempt();
  };
  return attempt();
}

/** Resolves once `assertion` stops throwing, trying every 10 ms; throws its last error after `timeoutMs`. */
export async function passes(
  assertion: () => void | Promise<void>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      // oxlint-disable-next-line no-await-in-loop -- one try after another
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    // Polling is sequential by nature.
    // oxlint-disable-next-line no-await-in-loop
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
