/**
 * The containers a conversion accepts as input, recognised by their first bytes. ffmpeg picks a
 * demuxer by content, whatever the file is called, and some demuxers open other files or URLs
 * (HLS and DASH playlists, concat lists, image sequences): a file is converted only when it is one
 * of these single-file containers, and ffmpeg is then told to read it as that container and
 * nothing else.
 */
export interface InputContainer {
  /** What clients are told. */
  readonly name: string;
  /** ffmpeg's demuxer for it, forced with `-f`. */
  readonly demuxer: string;
}

/** How many leading bytes `detectContainer` needs to see. */
export const CONTAINER_HEAD_BYTES = 1024;

const MPEG_TS_PACKET = 188;

interface Signature {
  container: InputContainer;
  matches(head: Buffer): boolean;
}

const ascii = (head: Buffer, offset: number, text: string) =>
  head.length >= offset + text.length &&
  head.toString('latin1', offset, offset + text.length) === text;

/** ISO base media (MP4, MOV, M4A, 3GP): a box of one of these types comes first. */
const ISO_BOX_TYPES = ['ftyp', 'moov', 'mdat', 'free', 'wide', 'skip'];

const SIGNATURES: readonly Signature[] = [
  {
    container: { name: 'MP4/QuickTime', demuxer: 'mov' },
    matches: (head) => ISO_BOX_TYPES.some((type) => ascii(head, 4, type)),
  },
  {
    container: { name: 'Matroska/WebM', demuxer: 'matroska' },
    matches: (head) => head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3,
  },
  {
    container: { name: 'AVI', demuxer: 'avi' },
    matches: (head) => ascii(head, 0, 'RIFF') && ascii(head, 8, 'AVI '),
  },
  {
    container: { name: 'WAVE', demuxer: 'wav' },
    matches: (head) => ascii(head, 0, 'RIFF') && ascii(head, 8, 'WAVE'),
  },
  {
    container: { name: 'MPEG transport stream', demuxer: 'mpegts' },
    matches: (head) =>
      head.length > 2 * MPEG_TS_PACKET &&
      [0, MPEG_TS_PACKET, 2 * MPEG_TS_PACKET].every((offset) => head[offset] === 0x47),
  },
  {
    container: { name: 'MPEG program stream', demuxer: 'mpeg' },
    matches: (head) => head.length >= 4 && head.readUInt32BE(0) === 0x000001ba,
  },
  { container: { name: 'FLV', demuxer: 'flv' }, matches: (head) => ascii(head, 0, 'FLV\x01') },
  { container: { name: 'Ogg', demuxer: 'ogg' }, matches: (head) => ascii(head, 0, 'OggS') },
  { container: { name: 'FLAC', demuxer: 'flac' }, matches: (head) => ascii(head, 0, 'fLaC') },
  {
    container: { name: 'MP3', demuxer: 'mp3' },
    // An ID3v2 tag, or an MPEG audio frame sync (11 bits set) with a valid layer.
    matches: (head) =>
      ascii(head, 0, 'ID3') ||
      (head.length >= 2 && head[0] === 0xff && (head[1] & 0xe0) === 0xe0 && (head[1] & 0x06) !== 0),
  },
];

/** The accepted containers, for error messages. */
export const ACCEPTED_CONTAINERS = SIGNATURES.map(({ container }) => container.name);

/** The container of a file from its first bytes, or null when it is not one that is accepted. */
export function detectContainer(head: Buffer): InputContainer | null {
  return SIGNATURES.find((signature) => signature.matches(head))?.container ?? null;
}
