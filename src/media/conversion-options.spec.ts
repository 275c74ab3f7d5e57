import * as fc from 'fast-check';
import {
  AUDIO_CODECS,
  CONTAINERS,
  type ConversionPlan,
  encodersFor,
  ffmpegArguments,
  MAX_HEIGHTS,
  planConversion,
  PRESETS,
  VIDEO_CODECS,
} from './conversion-options.js';

function plan(request: Parameters<typeof planConversion>[0]): ConversionPlan {
  const result = planConversion(request);
  if ('error' in result) throw new Error(result.error);
  return result;
}

describe('planConversion', () => {
  it('fills in the defaults of each container', () => {
    expect(plan({ container: 'mp4' })).toEqual({
      container: 'mp4',
      videoCodec: 'h264',
      audioCodec: 'aac',
      preset: 'fast',
      maxHeight: null,
    });
    expect(plan({ container: 'webm' })).toMatchObject({ videoCodec: 'vp9', audioCodec: 'opus' });
  });

  it('refuses codecs that do not fit the container', () => {
    expect(planConversion({ container: 'webm', videoCodec: 'h264' })).toEqual({
      error: expect.stringContaining('does not fit in webm') as string,
    });
    expect(planConversion({ container: 'mp4', audioCodec: 'opus' })).toHaveProperty('error');
    expect(planConversion({ container: 'mkv', videoCodec: 'copy', maxHeight: 720 })).toHaveProperty(
      'error',
    );
  });
});

describe('ffmpegArguments', () => {
  it('builds an h264 mp4 command line', () => {
    const args = ffmpegArguments(
      plan({ container: 'mp4', maxHeight: 720 }),
      { path: '/in/a.mkv', demuxer: 'matroska' },
      '/out/b',
    );
    expect(args).toEqual([
      '-hide_banner',
      '-nostdin',
      '-nostats',
      '-v',
      'error',
      '-progress',
      'pipe:1',
      '-protocol_whitelist',
      'file',
      '-f',
      'matroska',
      '-i',
      'file:/in/a.mkv',
      '-map',
      '0:v:0?',
      '-map',
      '0:a:0?',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '23',
      '-vf',
      "scale=-2:'min(720,ih)'",
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-b:a',
      '160k',
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      '-n',
      'file:/out/b',
    ]);
  });

  it('drops the audio when asked', () => {
    const args = ffmpegArguments(
      plan({ container: 'webm', audioCodec: 'none' }),
      { path: '/a', demuxer: 'mov' },
      '/b',
    );
    expect(args).toContain('-an');
    expect(args.filter((arg) => arg === '-map')).toHaveLength(1);
    expect(encodersFor(plan({ container: 'webm', audioCodec: 'none' }))).toEqual(['libvpx-vp9']);
  });

  it('only ever holds constants besides the two paths, and reads the input as one container through file: alone', () => {
    const allowed = new Set(
      CONTAINERS.flatMap((container) =>
        VIDEO_CODECS.flatMap((videoCodec) =>
          AUDIO_CODECS.flatMap((audioCodec) =>
            PRESETS.flatMap((preset) =>
              [undefined, ...MAX_HEIGHTS].flatMap((maxHeight) => {
                const result = planConversion({
                  container,
                  videoCodec,
                  audioCodec,
                  preset,
                  maxHeight,
                });
                return 'error' in result
                  ? []
                  : ffmpegArguments(result, { path: '/in', demuxer: 'mov' }, '/out');
              }),
            ),
          ),
        ),
      ),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...CONTAINERS),
        fc.constantFrom(...VIDEO_CODECS),
        fc.constantFrom(...AUDIO_CODECS),
        fc.constantFrom(...PRESETS),
        fc.option(fc.constantFrom(...MAX_HEIGHTS), { nil: undefined }),
        fc.string(),
        (container, videoCodec, audioCodec, preset, maxHeight, path) => {
          const result = planConversion({ container, videoCodec, audioCodec, preset, maxHeight });
          if ('error' in result) return;
          const args = ffmpegArguments(result, { path: `/${path}`, demuxer: 'mov' }, '/out');
          expect(args).toContain(`file:/${path}`);
          const input = args.indexOf('-i');
          expect(args.slice(input - 4, input)).toEqual([
            '-protocol_whitelist',
            'file',
            '-f',
            'mov',
          ]);
          for (const arg of args) {
            if (arg === `file:/${path}`) continue;
            expect(allowed).toContain(arg);
          }
        },
      ),
    );
  });
});
