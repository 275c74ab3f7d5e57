import { detectContainer } from './media-container.js';

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(
    parts.map((part) =>
      typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part),
    ),
  );

/** Three MPEG-TS packets: a sync byte every 188 bytes. */
const transportStream = () => {
  const head = Buffer.alloc(3 * 188);
  for (const offset of [0, 188, 376]) head[offset] = 0x47;
  return head;
};

describe('detectContainer', () => {
  it.each([
    ['MP4', bytes([0, 0, 0, 0x20], 'ftypisom'), 'mov'],
    ['QuickTime with a moov first', bytes([0, 0, 0, 8], 'moov'), 'mov'],
    ['Matroska', bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f]), 'matroska'],
    ['AVI', bytes('RIFF', [0, 0, 0, 0], 'AVI LIST'), 'avi'],
    ['WAVE', bytes('RIFF', [0, 0, 0, 0], 'WAVEfmt '), 'wav'],
    ['MPEG-TS', transportStream(), 'mpegts'],
    ['MPEG-PS', bytes([0, 0, 1, 0xba, 0x44]), 'mpeg'],
    ['FLV', bytes('FLV', [1, 5]), 'flv'],
    ['Ogg', bytes('OggS', [0]), 'ogg'],
    ['FLAC', bytes('fLaC'), 'flac'],
    ['MP3 with a tag', bytes('ID3', [4, 0]), 'mp3'],
    ['MP3 frames', bytes([0xff, 0xfb, 0x90, 0x64]), 'mp3'],
  ])('reads %s as its demuxer', (_name, head, demuxer) => {
    expect(detectContainer(head)?.demuxer).toBe(demuxer);
  });

  it.each([
    ['an HLS playlist', bytes('#EXTM3U\n#EXTINF:10,\n/etc/passwd\n')],
    ['a concat list', bytes("ffconcat version 1.0\nfile '/etc/passwd'\n")],
    ['a DASH manifest', bytes('<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011">')],
    ['an SDP description', bytes('v=0\no=- 0 0 IN IP4 127.0.0.1\n')],
    ['a PNG image', bytes([0x89], 'PNG\r\n', [0x1a, 0x0a])],
    ['a JPEG image', bytes([0xff, 0xd8, 0xff, 0xe0])],
    ['text', bytes('just some words')],
    ['an empty file', Buffer.alloc(0)],
    ['a lone sync byte, too short for a transport stream', bytes([0x47])],
  ])('refuses %s', (_name, head) => {
    expect(detectContainer(head)).toBeNull();
  });
});
