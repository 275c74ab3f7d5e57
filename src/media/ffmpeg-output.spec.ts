import { conversionPercent, FfmpegProgressParser, parseProbe } from './ffmpeg-output.js';

const BLOCK = [
  'frame=30',
  'fps=0.00',
  'bitrate= 157.0kbits/s',
  'total_size=39912',
  'out_time_us=1500000',
  'out_time_ms=1500000',
  'out_time=00:00:01.500000',
  'speed=8.72x',
  'progress=continue',
  '',
].join('\n');

describe('FfmpegProgressParser', () => {
  it('reads blocks split anywhere between chunks', () => {
    const parser = new FfmpegProgressParser();
    const text = `${BLOCK}out_time_us=2034000\nprogress=end\n`;
    const blocks = [];
    for (let i = 0; i < text.length; i += 7) blocks.push(...parser.push(text.slice(i, i + 7)));
    expect(blocks).toEqual([
      { outTimeUs: 1_500_000, end: false },
      { outTimeUs: 2_034_000, end: true },
    ]);
  });

  it('falls back to out_time_ms and out_time on older ffmpeg', () => {
    const parser = new FfmpegProgressParser();
    expect(parser.push('out_time_ms=250000\nprogress=continue\n')).toEqual([
      { outTimeUs: 250_000, end: false },
    ]);
    expect(parser.push('out_time=01:02:03.5\r\nprogress=continue\r\n')).toEqual([
      { outTimeUs: 3_723_500_000, end: false },
    ]);
  });

  it('leaves an unknown time unknown', () => {
    const parser = new FfmpegProgressParser();
    expect(parser.push('out_time_us=N/A\nout_time=N/A\nprogress=continue\n')).toEqual([
      { outTimeUs: null, end: false },
    ]);
    expect(parser.push('garbage\n=x\nprogress=end\n')).toEqual([{ outTimeUs: null, end: true }]);
  });
});

describe('parseProbe', () => {
  it('reads duration and size from ffmpeg -i', () => {
    const stderr = [
      "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:/tmp/clip.mp4':",
      '  Duration: 00:00:02.02, start: 0.000000, bitrate: 110 kb/s',
      '    Stream #0:0(und): Video: h264 (High) (avc1 / 0x31637661), yuv420p, 160x120 [SAR 1:1 DAR 4:3], 27 kb/s, 15 fps',
      '    Stream #0:1(und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, mono, fltp, 73 kb/s',
      'At least one output file must be specified',
    ].join('\n');
    expect(parseProbe(stderr)).toEqual({
      durationMs: 2020,
      width: 160,
      height: 120,
      hasVideo: true,
      hasAudio: true,
    });
  });

  it('knows nothing of an unreadable input', () => {
    expect(parseProbe('file:/x: Invalid data found when processing input')).toEqual({
      durationMs: null,
      width: null,
      height: null,
      hasVideo: false,
      hasAudio: false,
    });
    expect(parseProbe('  Duration: N/A, start: 0.0')).toMatchObject({ durationMs: null });
  });
});

describe('conversionPercent', () => {
  it('compares output time with the input duration', () => {
    expect(conversionPercent(1_000_000, 2000)).toBe(50);
    expect(conversionPercent(2_100_000, 2000)).toBe(100);
    expect(conversionPercent(null, 2000)).toBe(0);
    expect(conversionPercent(1_000_000, null)).toBe(0);
    expect(conversionPercent(1_000_000, 0)).toBe(0);
  });
});
