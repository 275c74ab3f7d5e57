import * as fc from 'fast-check';
import { dirname } from 'node:path';
import {
  fileInside,
  MAX_LABEL_LENGTH,
  mediaLabel,
  partialFileName,
  safeExtension,
  storedFileName,
} from './safe-names.js';

const MEDIA_ID = '0b5a3b52-4d4f-4a8e-9b8e-6f1d2c3b4a59';

describe('safeExtension', () => {
  it.each([
    ['movie.MP4', '.mp4'],
    ['a/b/c.mkv', '.mkv'],
    ['C:\\Users\\me\\clip.webm', '.webm'],
    ['archive.tar.gz', '.gz'],
    ['.bashrc', ''],
    ['noext', ''],
    ['evil.mp4/../../x', ''],
    ['x.m p4', ''],
    ['x.abcdefghijk', ''],
    ['x.mp4\0', ''],
    ['x\0y.mp4', '.mp4'],
    ['x.', ''],
  ])('%p gives %p', (name, expected) => {
    expect(safeExtension(name)).toBe(expected);
  });
});

describe('mediaLabel', () => {
  it('keeps the last segment and drops unprintable characters', () => {
    expect(mediaLabel('../../etc/passwd')).toBe('passwd');
    expect(mediaLabel('C:\\temp\\Holiday 2024.mp4')).toBe('Holiday 2024.mp4');
    expect(mediaLabel('bad\u0000name\n.mp4')).toBe('badname.mp4');
    expect(mediaLabel('gpj.\u202Eexe')).toBe('gpj.exe');
  });

  it('falls back when nothing is left', () => {
    expect(mediaLabel('')).toBe('upload');
    expect(mediaLabel('dir/')).toBe('upload');
    expect(mediaLabel('..')).toBe('upload');
    expect(mediaLabel('\u0001\u0002', 'clip')).toBe('clip');
  });

  it('is never longer than the limit and never holds a separator', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 1000, unit: 'binary' }), (name) => {
        const label = mediaLabel(name);
        expect(Array.from(label).length).toBeLessThanOrEqual(MAX_LABEL_LENGTH);
        expect(label).not.toMatch(/[/\\\0]/);
        expect(label.length).toBeGreaterThan(0);
      }),
    );
  });
});

describe('storedFileName', () => {
  it('is the media id and the extension', () => {
    expect(storedFileName(MEDIA_ID, '.mp4')).toBe(`${MEDIA_ID}.mp4`);
    expect(storedFileName(MEDIA_ID, '')).toBe(MEDIA_ID);
    expect(partialFileName(`${MEDIA_ID}.mp4`)).toBe(`.${MEDIA_ID}.mp4.part`);
  });

  it('refuses anything but a media id and a safe extension', () => {
    expect(() => storedFileName('../x', '.mp4')).toThrow('not a media id');
    expect(() => storedFileName(MEDIA_ID, '/../x')).toThrow('not a safe extension');
    expect(() => storedFileName(MEDIA_ID, '.mp4\0')).toThrow('not a safe extension');
  });

  it('always lands directly in the storage folder, whatever the client sent', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (clientName) => {
        const path = fileInside('/data/lib', storedFileName(MEDIA_ID, safeExtension(clientName)));
        expect(dirname(path)).toBe('/data/lib');
      }),
    );
  });
});

describe('fileInside', () => {
  it.each(['', '.', '..', 'a/b', '..\\x', 'a\0b', '/etc/passwd'])('refuses %p', (name) => {
    expect(() => fileInside('/data/lib', name)).toThrow('not a plain file name');
  });

  it('joins a plain name', () => {
    expect(fileInside('/data/lib/', 'x.mp4')).toBe('/data/lib/x.mp4');
  });
});
