/** A V8 CPU profile as `node --cpu-prof` writes it (the fields this summary reads). */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  /** Share of the profile's sampled time, idle included, 0-1. */
  share: number;
  ms: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Time in the function itself. */
  self: ProfileEntry[];
  /** Time in the function and everything it called. */
  inclusive: ProfileEntry[];
}

function frameName(frame: CpuProfile['nodes'][number]['callFrame']): string {
  const where = frame.url.split('/').slice(-3).join('/');
  return `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
}

const PSEUDO_FRAMES = new Set(['(root)', '(program)', '(idle)']);

/** The functions that took the most sampled time, by self and by inclusive time. */
export function summariseProfile(profile: CpuProfile, top: number): ProfileSummary {
  const parent = new Map<number, number>();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const selfByNode = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    selfByNode.set(id, (selfByNode.get(id) ?? 0) + delta);
    total += delta;
  });
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, micros] of selfByNode) {
    const node = byId.get(id);
    if (!node) continue;
    const name = frameName(node.callFrame);
    self.set(name, (self.get(name) ?? 0) + micros);
    const seen = new Set<string>();
    for (
      let current: number | undefined = id;
      current !== undefined;
      current = parent.get(current)
    ) {
      const frame = byId.get(current)?.callFrame;
      if (!frame || PSEUDO_FRAMES.has(frame.functionName)) continue;
      const ancestor = frameName(frame);
      if (seen.has(ancestor)) continue;
      seen.add(ancestor);
      inclusive.set(ancestor, (inclusive.get(ancestor) ?? 0) + micros);
    }
  }
  const rank = (times: Map<string, number>): ProfileEntry[] =>
    [...times]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({ name, share: micros / total, ms: micros / 1000 }));
  return { totalMs: total / 1000, self: rank(self), inclusive: rank(inclusive) };
}

function entryLines(entries: ProfileEntry[]): string[] {
  return entries.map(
    (entry) =>
      `  ${(entry.share * 100).toFixed(1).padStart(5)}% ${entry.ms.toFixed(0).padStart(7)} ms  ${entry.name}`,
  );
}

export function profileText(summary: ProfileSummary): string {
  return [
    `sampled ${summary.totalMs.toFixed(0)} ms`,
    'self time:',
    ...entryLines(summary.self),
    'inclusive time:',
    ...entryLines(summary.inclusive),
  ].join('\n');
}
