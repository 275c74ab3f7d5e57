/** One scrape in Prometheus's text format, its samples read by name and labels. */
export class Scrape {
  private readonly samples = new Map<string, number>();

  constructor(readonly text: string) {
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels = match[2] === undefined ? {} : parseLabels(match[2]);
      this.samples.set(keyOf(match[1], labels), Number(match[3]));
    }
  }

  /** The sample's value; undefined when the scrape has no such sample. */
  find(name: string, labels: Record<string, string> = {}): number | undefined {
    return this.samples.get(keyOf(name, labels));
  }

  /** The sample's value; throws when the scrape has no such sample. */
  value(name: string, labels: Record<string, string> = {}): number {
    const value = this.find(name, labels);
    if (value === undefined) throw new Error(`no sample ${keyOf(name, labels)} in the scrape`);
    return value;
  }
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [, name, value] of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
    labels[name] = value.replace(/\\(.)/g, (_, char: string) => (char === 'n' ? '\n' : char));
  }
  return labels;
}

function keyOf(name: string, labels: Record<string, string>): string {
  const sorted = Object.keys(labels)
    .toSorted()
    .map((label) => `${label}="${labels[label]}"`);
  return `${name}{${sorted.join(',')}}`;
}
