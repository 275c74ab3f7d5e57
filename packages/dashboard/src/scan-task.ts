import type { Task } from './activity';
import type { ScanStatus } from './types';

/** A scan's state as the API reads it, as the progress bar its events would have drawn. */
export function scanTask(scan: ScanStatus): Task {
  const detail =
    scan.status === 'running'
      ? `Scanning: ${scan.progress}%`
      : scan.status === 'completed'
        ? `Scan complete: ${scan.added} added, ${scan.updated} updated, ${scan.removed} removed`
        : `Scan failed: ${scan.error ?? 'unknown error'}`;
  return {
    key: `status:${scan.library}`,
    kind: 'scan',
    library: scan.library,
    label: 'Scan',
    detail,
    percent: scan.status === 'running' ? scan.progress : 100,
    state: scan.status === 'running' ? 'running' : scan.status === 'completed' ? 'done' : 'failed',
    phase: detail,
  };
}
