/**
 * Preloaded (`--import`, with `--expose-gc`) into every server under test, which the
 * orchestrator starts with an IPC channel: a `gc` message runs a full garbage collection, so
 * that memory is compared after the same collection everywhere rather than at whatever point
 * each heap happens to be; the answer carries `process.memoryUsage()`. The server also ends when the orchestrator goes away.
 */
const collect = (globalThis as { gc?: () => void }).gc;

process.on('message', (message) => {
  if (message !== 'gc') return;
  collect?.();
  process.send?.({ collected: process.memoryUsage() });
});
process.on('disconnect', () => process.exit(0));
process.channel?.unref();
