import { isSafeInline, MIMETYPE_PATTERN, mimetypeFor } from './mimetypes.js';

describe('mimetypeFor', () => {
  it.each([
    ['movie.mp4', 'video/mp4'],
    ['Holiday.MKV', 'video/x-matroska'],
    ['/a/b/song.flac', 'audio/flac'],
    ['photo.jpeg', 'image/jpeg'],
    ['episode.en.srt', 'application/x-subrip'],
    ['archive.tar.gz', 'application/octet-stream'],
    ['no-extension', 'application/octet-stream'],
    ['.mp4', 'application/octet-stream'],
    ['trailing.', 'application/octet-stream'],
  ])('%s is %s', (name, expected) => {
    expect(mimetypeFor(name)).toBe(expected);
  });
});

describe('MIMETYPE_PATTERN', () => {
  it.each(['video/mp4', 'application/vnd.apple.mpegurl', 'image/svg+xml'])('accepts %s', (type) => {
    expect(MIMETYPE_PATTERN.test(type)).toBe(true);
  });

  it.each(['video', 'video/', '/mp4', 'text/html; charset=utf-8', 'a/b\nc', 'video/mp4 '])(
    'refuses %p',
    (type) => {
      expect(MIMETYPE_PATTERN.test(type)).toBe(false);
    },
  );
});

describe('isSafeInline', () => {
  it('shows media inline and sends active content as an attachment', () => {
    expect(isSafeInline('video/mp4')).toBe(true);
    expect(isSafeInline('IMAGE/PNG')).toBe(true);
    expect(isSafeInline('audio/flac')).toBe(true);
    expect(isSafeInline('image/svg+xml')).toBe(false);
    expect(isSafeInline('text/html')).toBe(false);
    expect(isSafeInline('application/octet-stream')).toBe(false);
  });
});
