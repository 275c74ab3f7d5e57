import { Inject, Injectable, Logger } from '@nestjs/common';
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.provider.js';
import { inputArguments } from './conversion-options.js';
import {
  type FfmpegProgress,
  FfmpegProgressParser,
  parseProbe,
  type ProbeResult,
} from './ffmpeg-output.js';

const STDERR_TAIL_BYTES = 4096;
const PROBE_STDERR_BYTES = 64 * 1024;

export interface FfmpegExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The end of what ffmpeg wrote on stderr: its error, when it failed. */
  stderrTail: string;
}

/** A running ffmpeg. */
export interface FfmpegRun {
  readonly exited: Promise<FfmpegExit>;
  readonly kill: () => void;
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Keeps the last `limit` characters of a growing text. */
function keepTail(text: string, chunk: string, limit: number): string {
  const joined = text + chunk;
  return joined.length > limit ? joined.slice(-limit) : joined;
}

/**
 * ffmpeg, as a program: where it is, what it can encode, what it says about a file, and running
 * it with `-progress` output read as it goes. Arguments are passed as an array, never through a
 * shell.
 */
@Injectable()
export class FfmpegAdapter {
  private readonly logger = new Logger(FfmpegAdapter.name);
  private binary?: Promise<string | null>;
  private encoders?: Promise<ReadonlySet<string>>;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /**
   * The ffmpeg to run: FFMPEG_PATH if set (and nothing else then), else `ffmpeg` on the PATH,
   * else the binary of the `@ffmpeg-installer/ffmpeg` package; null when there is none.
   */
  locate(): Promise<string | null> {
    this.binary ??= this.find().then((binary) => {
      if (binary === null) this.logger.warn('No ffmpeg found: conversions are unavailable');
      return binary;
    });
    return this.binary;
  }

  /** The encoder names the ffmpeg build offers (`ffmpeg -encoders`). */
  availableEncoders(binary: string): Promise<ReadonlySet<string>> {
    this.encoders ??= this.capture(binary, ['-hide_banner', '-encoders'], 'stdout', 1024 * 1024)
      .then((listing) => {
        const names = listing
          .split('\n')
          .map((line) => /^\s*[VAS][A-Z.]{5}\s+(\S+)/.exec(line)?.[1])
          .filter((name): name is string => name !== undefined && name !== '=');
        return new Set(names);
      })
      .catch(() => new Set<string>());
    return this.encoders;
  }

  /** Duration and size of a media file, from what `ffmpeg -i` prints about it, read as `demuxer`. */
  async probe(binary: string, path: string, demuxer: string): Promise<ProbeResult> {
    const stderr = await this.capture(
      binary,
      ['-hide_banner', '-nostdin', ...inputArguments(path, demuxer)],
      'stderr',
      PROBE_STDERR_BYTES,
    );
    return parseProbe(stderr);
  }

  run(binary: string, args: string[], onProgress: (progress: FfmpegProgress) => void): FfmpegRun {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const parser = new FfmpegProgressParser();
    let stderrTail = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      for (const block of parser.push(chunk)) onProgress(block);
    });
    child.stderr.on('data', (chunk: string) => {
      stderrTail = keepTail(stderrTail, chunk, STDERR_TAIL_BYTES);
    });
    const exited = new Promise<FfmpegExit>((resolve) => {
      child.once('error', (error) =>
        resolve({ code: null, signal: null, stderrTail: `${stderrTail}${error.message}` }),
      );
      child.once('close', (code, signal) => resolve({ code, signal, stderrTail }));
    });
    return {
      exited,
      kill: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
    };
  }

  private async find(): Promise<string | null> {
    if (this.config.ffmpegPath !== undefined) {
      return (await isExecutableFile(this.config.ffmpegPath)) ? this.config.ffmpegPath : null;
    }
    const onPath = (process.env.PATH ?? '')
      .split(delimiter)
      .filter((folder) => folder !== '')
      .map((folder) => join(folder, 'ffmpeg'));
    const found = await Promise.all(onPath.map((path) => isExecutableFile(path)));
    const first = onPath.find((_path, index) => found[index]);
    if (first !== undefined) return first;
    try {
      const bundled = (await import('@ffmpeg-installer/ffmpeg')) as { default: { path: string } };
      return (await isExecutableFile(bundled.default.path)) ? bundled.default.path : null;
    } catch {
      return null;
    }
  }

  /** Runs ffmpeg to completion and returns the start of one of its outputs. */
  private capture(
    binary: string,
    args: string[],
    output: 'stdout' | 'stderr',
    limit: number,
  ): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child[output].setEncoding('utf8');
      child[output].on('data', (chunk: string) => {
        if (text.length < limit) text += chunk.slice(0, limit - text.length);
      });
      child[output === 'stdout' ? 'stderr' : 'stdout'].resume();
      child.once('error', reject);
      child.once('close', () => resolve(text));
    });
  }
}
