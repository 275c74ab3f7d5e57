import { dirname, join, resolve } from 'node:path';

const SAFE_EXTENSION = /^\.[a-z0-9]{1,10}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const MAX_LABEL_LENGTH = 255;

/** C0 and C1 control characters, DEL, and the bidirectional overrides that disguise names. */
function isUnprintable(character: string): boolean {
  const code = character.codePointAt(0) ?? 0;
  return (
    code <= 0x1f ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/** The last path segment of a client-side name, whichever separator the client's OS uses. */
function lastSegment(clientName: string): string {
  return clientName.split(/[/\\]/).pop() ?? '';
}

/** The client's extension, lower-cased, if it is short and plain; otherwise none. */
export function safeExtension(clientName: string): string {
  const segment = lastSegment(clientName);
  const dot = segment.lastIndexOf('.');
  if (dot <= 0) return '';
  const extension = segment.slice(dot).toLowerCase();
  return SAFE_EXTENSION.test(extension) ? extension : '';
}

/** A client's file name as a display label: its last segment, printable, at most 255 chars. */
export function mediaLabel(clientName: string, fallback = 'upload'): string {
  const printable = Array.from(lastSegment(clientName)).filter((char) => !isUnprintable(char));
  const label = printable.join('').trim();
  const shortened = Array.from(label).slice(0, MAX_LABEL_LENGTH).join('').trim();
  return shortened === '' || shortened === '.' || shortened === '..' ? fallback : shortened;
}

/** The name Reelay gives a file it stores: the media id and a safe extension, nothing else. */
export function storedFileName(mediaId: string, extension: string): string {
  if (!UUID.test(mediaId)) throw new Error(`not a media id: ${mediaId}`);
  if (extension !== '' && !SAFE_EXTENSION.test(extension)) {
    throw new Error(`not a safe extension: ${extension}`);
  }
  return `${mediaId}${extension}`;
}

/** Where a file is written while it is incomplete; scans skip dot-files, so they never see it. */
export function partialFileName(storedName: string): string {
  return `.${storedName}.part`;
}

/** `dir/name`, refusing any name that could land anywhere but directly inside `dir`. */
export function fileInside(dir: string, name: string): string {
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new Error(`not a plain file name: ${JSON.stringify(name)}`);
  }
  const path = join(dir, name);
  if (dirname(path) !== resolve(dir)) throw new Error(`${name} would leave ${dir}`);
  return path;
}
