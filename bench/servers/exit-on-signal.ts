/**
 * Preloaded (`--import`) into a server under `--cpu-prof`: V8 writes the profile only on a
 * normal exit, so SIGTERM and SIGINT must end the process through `process.exit`.
 */
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => process.exit(0));
}
