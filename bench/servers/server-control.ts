import cluster, { type Worker } from 'node:cluster';

/**
 * Preloaded (`--import`, with `--expose-gc`) into every server under test, which the
 * orchestrator starts with an IPC channel: a `gc` message runs a full garbage collection, so
 * that memory is compared after the same collection everywhere rather than at whatever point
 * each heap happens to be; the answer carries `process.memoryUsage()`. The server also ends when the orchestrator goes away.
 *
 * A cluster's workers inherit the flags, so they load this too: a primary passes the `gc` on to
 * each worker and answers with the sum of every process's figures.
 */
const collect = (globalThis as { gc?: () => void }).gc;

const WORKER_ANSWER_MS = 8000;

type Usage = NodeJS.MemoryUsage;

function collectIn(worker: Worker): Promise<Usage | undefined> {
  return new Promise((resolve) => {
    const done = (usage: Usage | undefined) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      resolve(usage);
    };
    const timer = setTimeout(() => done(undefined), WORKER_ANSWER_MS);
    const onMessage = (message: { collected?: Usage }) => {
      if (message?.collected !== undefined) done(message.collected);
    };
    worker.on('message', onMessage);
    worker.send('gc');
  });
}

function sum(usages: Usage[]): Usage {
  const total: Usage = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  for (const usage of usages) {
    for (const key of Object.keys(total) as (keyof Usage)[]) total[key] += usage[key];
  }
  return total;
}

process.on('message', (message) => {
  if (message !== 'gc') return;
  collect?.();
  const own = process.memoryUsage();
  const workers = cluster.isPrimary
    ? Object.values(cluster.workers ?? {}).filter(
        (worker): worker is Worker => worker?.isConnected() === true,
      )
    : [];
  if (workers.length === 0) {
    process.send?.({ collected: own });
    return;
  }
  void Promise.all(workers.map(collectIn)).then((answers) =>
    process.send?.({
      collected: sum([own, ...answers.filter((usage): usage is Usage => usage !== undefined)]),
    }),
  );
});
process.on('disconnect', () => process.exit(0));
process.channel?.unref();
