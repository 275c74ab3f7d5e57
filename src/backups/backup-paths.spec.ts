import * as fc from 'fast-check';
import { isAbsolute, join, sep } from 'node:path';
import {
  archiveFileName,
  isInside,
  BackupPathError,
  relativeInside,
  resolveInside,
} from './backup-paths.js';

const BASE = '/srv/reelay/backups';

function resolvedOrRefused(requested: string): string {
  try {
    return resolveInside(BASE, requested);
  } catch (error) {
    if (error instanceof BackupPathError) return 'refused';
    throw error;
  }
}

describe('resolveInside', () => {
  it.each([
    ['nightly', join(BASE, 'nightly')],
    ['a/b/c', join(BASE, 'a/b/c')],
    ['./a/../b', join(BASE, 'b')],
    ['.', BASE],
    [`${BASE}/absolute/inside`, join(BASE, 'absolute/inside')],
    ['..backups-look-alike', join(BASE, '..backups-look-alike')],
  ])('keeps %j inside the backup directory', (requested, expected) => {
    expect(resolveInside(BASE, requested)).toBe(expected);
  });

  it.each([
    '..',
    '../elsewhere',
    'a/../../elsewhere',
    '/etc',
    '/srv/reelay/backups-evil',
    '/srv/reelay',
    '',
    '   ',
    'nul\0byte',
  ])('refuses %j', (requested) => {
    expect(() => resolveInside(BASE, requested)).toThrow(BackupPathError);
  });

  it('never returns a path outside the base, whatever the text', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('..', '.', 'a', 'b', '', '/', 'backups', '..a'), {
          maxLength: 8,
        }),
        fc.boolean(),
        (parts, absolute) => {
          const requested = (absolute ? '/' : '') + parts.join('/');
          const outcome = resolvedOrRefused(requested);
          expect(
            outcome === 'refused' || outcome === BASE || outcome.startsWith(`${BASE}${sep}`),
          ).toBe(true);
        },
      ),
    );
  });
});

describe('isInside', () => {
  it('tells a child from a sibling that shares a prefix', () => {
    expect(isInside('/a/b', '/a/b')).toBe(true);
    expect(isInside('/a/b', '/a/b/c')).toBe(true);
    expect(isInside('/a/b', '/a/bc')).toBe(false);
    expect(isInside('/a/b', '/a')).toBe(false);
    expect(isInside('/a/b', '/a/b/..c')).toBe(true);
  });
});

describe('relativeInside', () => {
  it('stores paths relative to the base, and the base itself as "."', () => {
    expect(relativeInside(BASE, join(BASE, 'x/y'))).toBe('x/y');
    expect(relativeInside(BASE, BASE)).toBe('.');
  });
});

describe('archiveFileName', () => {
  const at = new Date(Date.UTC(2026, 10, 28, 6, 42, 5, 123));

  it('keeps a plain name and stamps the time', () => {
    expect(archiveFileName('nightly', at)).toBe('nightly-2026-11-28T06-42-05-123Z.tar');
  });

  it('makes any name a single safe file name', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (name) => {
        const file = archiveFileName(name, at);
        expect(file).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*\.tar$/);
        expect(file.length).toBeLessThanOrEqual(64 + 30);
        expect(isAbsolute(file)).toBe(false);
      }),
    );
    expect(archiveFileName('../../etc/passwd', at)).toBe('etc-passwd-2026-11-28T06-42-05-123Z.tar');
    expect(archiveFileName('...', at)).toBe('backup-2026-11-28T06-42-05-123Z.tar');
  });
});
