import { extname } from 'node:path';

export const DEFAULT_MIMETYPE = 'application/octet-stream';

const MIMETYPES_BY_EXTENSION: Readonly<Record<string, string>> = {
  // video
  '.mp4': 'video/mp4',
  '.m4v': 'video/x-m4v',
  '.mkv': 'video/x-matroska',
  '.webm': 'video/webm',
  '.mov': 'video/quicktime',
  '.avi': 'video/x-msvideo',
  '.wmv': 'video/x-ms-wmv',
  '.flv': 'video/x-flv',
  '.mpg': 'video/mpeg',
  '.mpeg': 'video/mpeg',
  '.ts': 'video/mp2t',
  '.m2ts': 'video/mp2t',
  '.3gp': 'video/3gpp',
  '.ogv': 'video/ogg',
  // audio
  '.mp3': 'audio/mpeg',
  '.aac': 'audio/aac',
  '.m4a': 'audio/mp4',
  '.flac': 'audio/flac',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
  '.oga': 'audio/ogg',
  '.opus': 'audio/opus',
  '.wma': 'audio/x-ms-wma',
  // images
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.heic': 'image/heic',
  '.heif': 'image/heif',
  '.bmp': 'image/bmp',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.svg': 'image/svg+xml',
  // subtitles, books, documents
  '.srt': 'application/x-subrip',
  '.vtt': 'text/vtt',
  '.ass': 'text/x-ssa',
  '.ssa': 'text/x-ssa',
  '.epub': 'application/epub+zip',
  '.pdf': 'application/pdf',
  '.cbz': 'application/vnd.comicbook+zip',
  '.cbr': 'application/vnd.comicbook-rar',
  '.txt': 'text/plain',
  '.nfo': 'text/plain',
  '.json': 'application/json',
  '.m3u': 'audio/x-mpegurl',
  '.m3u8': 'application/vnd.apple.mpegurl',
};

/** The mimetype a file name's extension stands for; `application/octet-stream` if unknown. */
export function mimetypeFor(fileName: string): string {
  return MIMETYPES_BY_EXTENSION[extname(fileName).toLowerCase()] ?? DEFAULT_MIMETYPE;
}

/** `type/subtype`, as a client may declare it; parameters are not accepted. */
export const MIMETYPE_PATTERN =
  /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;

/**
 * Types a browser may show inline from our origin without running anything. Everything else
 * (HTML, SVG, XML, unknown types) is served as an attachment, so that an uploaded page cannot
 * run script in the API's origin.
 */
export function isSafeInline(mimetype: string): boolean {
  const type = mimetype.toLowerCase();
  if (type === 'image/svg+xml') return false;
  return (
    type.startsWith('video/') ||
    type.startsWith('audio/') ||
    type.startsWith('image/') ||
    type === 'text/plain' ||
    type === 'text/vtt' ||
    type === 'application/pdf'
  );
}
