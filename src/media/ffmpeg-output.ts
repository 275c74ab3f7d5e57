/** One block of ffmpeg's `-progress` output, which ends with a `progress=` line. */
export interface FfmpegProgress {
  /** How far the output has got, in microseconds of media time; null before the first frame. */
  outTimeUs: number | null;
  /** True on the last block (`progress=end`). */
  end: boolean;
}

function parseClock(value: string): number | null {
  const match = /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(value.trim());
  if (!match) return null;
  return (Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3])) * 1e6;
}

function parseMicroseconds(value: string): number | null {
  return /^\d+$/.test(value.trim()) ? Number(value.trim()) : null;
}

/**
 * Reads `-progress pipe:1` output, chunk by chunk, into progress blocks. Newer ffmpeg writes
 * `out_time_us`; older versions only `out_time_ms` (microseconds, despite the name) and
 * `out_time`; the most precise one present wins. `N/A` values leave the time unknown.
 */
export class FfmpegProgressParser {
  private pending = '';
  private fields = new Map<string, string>();

  push(chunk: string): FfmpegProgress[] {
    const blocks: FfmpegProgress[] = [];
    const lines = (this.pending + chunk).split(/\r?\n/);
    this.pending = lines.pop() ?? '';
    for (const line of lines) {
      const separator = line.indexOf('=');
      if (separator <= 0) continue;
      const key = line.slice(0, separator).trim();
      const value = line.slice(separator + 1).trim();
      if (key !== 'progress') {
        this.fields.set(key, value);
        continue;
      }
      blocks.push({ outTimeUs: this.outTime(), end: value === 'end' });
      this.fields = new Map();
    }
    return blocks;
  }

  private outTime(): number | null {
    const us = this.fields.get('out_time_us');
    const ms = this.fields.get('out_time_ms');
    const clock = this.fields.get('out_time');
    return (
      (us === undefined ? null : parseMicroseconds(us)) ??
      (ms === undefined ? null : parseMicroseconds(ms)) ??
      (clock === undefined ? null : parseClock(clock))
    );
  }
}

export interface ProbeResult {
  durationMs: number | null;
  width: number | null;
  height: number | null;
  hasVideo: boolean;
  hasAudio: boolean;
}

/** What `ffmpeg -i file` prints about its input on stderr (ffprobe may not be installed). */
export function parseProbe(stderr: string): ProbeResult {
  const duration = /^\s*Duration:\s*(\d+:\d{2}:\d{2}(?:\.\d+)?)/m.exec(stderr);
  const durationUs = duration ? parseClock(duration[1]) : null;
  const video = /^\s*Stream #\d+:\d+.*?: Video: .*?\b(\d{1,5})x(\d{1,5})\b/m.exec(stderr);
  return {
    durationMs: durationUs === null ? null : Math.round(durationUs / 1000),
    width: video ? Number(video[1]) : null,
    height: video ? Number(video[2]) : null,
    hasVideo: /^\s*Stream #\d+:\d+.*?: Video: /m.test(stderr),
    hasAudio: /^\s*Stream #\d+:\d+.*?: Audio: /m.test(stderr),
  };
}

/** Percent done of an output at `outTimeUs` for an input of `durationMs`; 0 when unknown. */
export function conversionPercent(outTimeUs: number | null, durationMs: number | null): number {
  if (outTimeUs === null || durationMs === null || durationMs <= 0) return 0;
  return Math.max(0, Math.min(100, Math.floor(outTimeUs / 10 / durationMs)));
}
