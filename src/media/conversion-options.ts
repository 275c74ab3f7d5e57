/**
 * What a conversion may ask for. Every value is one of a fixed list and maps to constant ffmpeg
 * arguments below: no string from a request ever reaches ffmpeg's command line.
 */
export const CONTAINERS = ['mp4', 'mkv', 'webm'] as const;
export const VIDEO_CODECS = ['h264', 'hevc', 'vp9', 'copy'] as const;
export const AUDIO_CODECS = ['aac', 'opus', 'mp3', 'vorbis', 'copy', 'none'] as const;
export const PRESETS = ['fast', 'balanced', 'small'] as const;
export const MAX_HEIGHTS = [240, 360, 480, 720, 1080, 1440, 2160] as const;

export type Container = (typeof CONTAINERS)[number];
export type VideoCodec = (typeof VIDEO_CODECS)[number];
export type AudioCodec = (typeof AUDIO_CODECS)[number];
export type Preset = (typeof PRESETS)[number];
export type MaxHeight = (typeof MAX_HEIGHTS)[number];

export interface ConversionRequest {
  container: Container;
  videoCodec?: VideoCodec;
  audioCodec?: AudioCodec;
  preset?: Preset;
  maxHeight?: MaxHeight;
}

export interface ConversionPlan {
  container: Container;
  videoCodec: VideoCodec;
  audioCodec: AudioCodec;
  preset: Preset;
  maxHeight: MaxHeight | null;
}

interface ContainerFormat {
  muxer: string;
  /** The demuxer that reads the output back. */
  demuxer: string;
  extension: string;
  mimetype: string;
  video: readonly VideoCodec[];
  audio: readonly AudioCodec[];
  defaults: { video: VideoCodec; audio: AudioCodec };
}

export const CONTAINER_FORMATS: Readonly<Record<Container, ContainerFormat>> = {
  mp4: {
    muxer: 'mp4',
    demuxer: 'mov',
    extension: '.mp4',
    mimetype: 'video/mp4',
    video: ['h264', 'hevc', 'copy'],
    audio: ['aac', 'mp3', 'copy', 'none'],
    defaults: { video: 'h264', audio: 'aac' },
  },
  mkv: {
    muxer: 'matroska',
    demuxer: 'matroska',
    extension: '.mkv',
    mimetype: 'video/x-matroska',
    video: VIDEO_CODECS,
    audio: AUDIO_CODECS,
    defaults: { video: 'h264', audio: 'aac' },
  },
  webm: {
    muxer: 'webm',
    demuxer: 'matroska',
    extension: '.webm',
    mimetype: 'video/webm',
    video: ['vp9', 'copy'],
    audio: ['opus', 'vorbis', 'copy', 'none'],
    defaults: { video: 'vp9', audio: 'opus' },
  },
};

const VIDEO_ENCODERS: Record<Exclude<VideoCodec, 'copy'>, string> = {
  h264: 'libx264',
  hevc: 'libx265',
  vp9: 'libvpx-vp9',
};

const AUDIO_ENCODERS: Record<Exclude<AudioCodec, 'copy' | 'none'>, string> = {
  aac: 'aac',
  opus: 'libopus',
  mp3: 'libmp3lame',
  vorbis: 'libvorbis',
};

const X26X_PRESETS: Record<Preset, string> = {
  fast: 'veryfast',
  balanced: 'medium',
  small: 'slow',
};
const VP9_SPEED: Record<Preset, string[]> = {
  fast: ['-deadline', 'realtime', '-cpu-used', '8'],
  balanced: ['-deadline', 'good', '-cpu-used', '4'],
  small: ['-deadline', 'good', '-cpu-used', '1'],
};

/** The full plan for a request, or the reason it cannot be done. */
export function planConversion(request: ConversionRequest): ConversionPlan | { error: string } {
  const format = CONTAINER_FORMATS[request.container];
  const plan: ConversionPlan = {
    container: request.container,
    videoCodec: request.videoCodec ?? format.defaults.video,
    audioCodec: request.audioCodec ?? format.defaults.audio,
    preset: request.preset ?? 'fast',
    maxHeight: request.maxHeight ?? null,
  };
  if (!format.video.includes(plan.videoCodec)) {
    return {
      error: `videoCodec ${plan.videoCodec} does not fit in ${plan.container}; use one of ${format.video.join(', ')}`,
    };
  }
  if (!format.audio.includes(plan.audioCodec)) {
    return {
      error: `audioCodec ${plan.audioCodec} does not fit in ${plan.container}; use one of ${format.audio.join(', ')}`,
    };
  }
  if (plan.maxHeight !== null && plan.videoCodec === 'copy') {
    return { error: 'maxHeight needs the video to be encoded, not copied' };
  }
  return plan;
}

/** The ffmpeg encoders a plan needs, to check against what the installed ffmpeg has. */
export function encodersFor(plan: ConversionPlan): string[] {
  const encoders: string[] = [];
  if (plan.videoCodec !== 'copy') encoders.push(VIDEO_ENCODERS[plan.videoCodec]);
  if (plan.audioCodec !== 'copy' && plan.audioCodec !== 'none') {
    encoders.push(AUDIO_ENCODERS[plan.audioCodec]);
  }
  return encoders;
}

function videoArguments(plan: ConversionPlan): string[] {
  if (plan.videoCodec === 'copy') return ['-c:v', 'copy'];
  const scale = plan.maxHeight === null ? [] : ['-vf', `scale=-2:'min(${plan.maxHeight},ih)'`];
  const common = [...scale, '-pix_fmt', 'yuv420p'];
  switch (plan.videoCodec) {
    case 'h264':
      return ['-c:v', 'libx264', '-preset', X26X_PRESETS[plan.preset], '-crf', '23', ...common];
    case 'hevc':
      return [
        '-c:v',
        'libx265',
        '-preset',
        X26X_PRESETS[plan.preset],
        '-crf',
        '28',
        '-tag:v',
        'hvc1',
        ...common,
      ];
    case 'vp9':
      return [
        '-c:v',
        'libvpx-vp9',
        '-b:v',
        '0',
        '-crf',
        '32',
        '-row-mt',
        '1',
        ...VP9_SPEED[plan.preset],
        ...common,
      ];
  }
}

function audioArguments(plan: ConversionPlan): string[] {
  switch (plan.audioCodec) {
    case 'none':
      return ['-an'];
    case 'copy':
      return ['-c:a', 'copy'];
    case 'aac':
      return ['-c:a', 'aac', '-b:a', '160k'];
    case 'opus':
      return ['-c:a', 'libopus', '-b:a', '128k'];
    case 'mp3':
      return ['-c:a', 'libmp3lame', '-b:a', '192k'];
    case 'vorbis':
      return ['-c:a', 'libvorbis', '-q:a', '5'];
  }
}

/**
 * How ffmpeg is to read a file: as the given container only (never as a playlist, a concat
 * list or an image sequence, whatever its contents), through the `file:` protocol alone, so that
 * nothing in it can make ffmpeg open another file or a URL, and a name is never read as another
 * protocol or an option.
 */
export function inputArguments(path: string, demuxer: string): string[] {
  return ['-protocol_whitelist', 'file', '-f', demuxer, '-i', `file:${path}`];
}

/** The command line for a plan; `-progress pipe:1` reports on stdout. */
export function ffmpegArguments(
  plan: ConversionPlan,
  input: { path: string; demuxer: string },
  output: string,
): string[] {
  const maps = ['-map', '0:v:0?'];
  if (plan.audioCodec !== 'none') maps.push('-map', '0:a:0?');
  const mp4 = plan.container === 'mp4' ? ['-movflags', '+faststart'] : [];
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-v',
    'error',
    '-progress',
    'pipe:1',
    ...inputArguments(input.path, input.demuxer),
    ...maps,
    ...videoArguments(plan),
    ...audioArguments(plan),
    ...mp4,
    '-f',
    CONTAINER_FORMATS[plan.container].muxer,
    '-n',
    `file:${output}`,
  ];
}
