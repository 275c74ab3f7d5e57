import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { WireForms } from '../http-chunk.js';
import { LAST_CHUNK } from './response-handover.js';

/** What a stream writes to: a socket and a response both offer it. */
interface Writable {
  write(bytes: Buffer): boolean;
  cork(): void;
  uncork(): void;
  end(): unknown;
  end(last: Buffer): unknown;
  destroy(): unknown;
  readonly writableEnded: boolean;
  readonly writableFinished: boolean;
  readonly destroyed: boolean;
  on(event: 'drain', listener: () => void): unknown;
  once(event: 'close', listener: () => void): unknown;
}

const CRLF = Buffer.from('\r\n');

/**
 * Where an open stream's bytes go. The connection's queue, lag and keepalive logic is the same
 * for both kinds; a sink knows only which wire form to write and how to end.
 */
export class StreamSink {
  private constructor(
    private readonly target: Writable,
    /** The frames' HTTP/1.1 chunks when the stream frames its body itself; else the bare frames. */
    private readonly framesItself: boolean,
  ) {}

  /**
   * A handed-over stream (see response-handover.ts): the socket carries the chunked body, and
   * each frame goes to it as its prebuilt chunk, shared by every connection, with no per-write work.
   */
  static ofSocket(socket: Socket): StreamSink {
    return new StreamSink(socket, true);
  }

  /**
   * A stream whose response stays Node's (a client Node does not keep alive, requests pipelined
   * behind it, or a Node on which the hand-over does not hold): frames go through the response's
   * documented API, which frames them as its headers said.
   */
  static ofResponse(response: ServerResponse): StreamSink {
    return new StreamSink(response, false);
  }

  /**
   * Writes the frames in one go; false when the client has yet to take what came before.
   * Corked, a batch leaves in one writev, each frame's prebuilt bytes as they are, without a copy;
   * a stream that frames itself sends a batch as one chunk (one size line for all its frames).
   */
  write(frames: readonly WireForms[]): boolean {
    const target = this.target;
    if (frames.length === 1) {
      return target.write(this.framesItself ? frames[0].chunk : frames[0].frame);
    }
    target.cork();
    if (this.framesItself) {
      let size = 0;
      for (const forms of frames) size += forms.frame.length;
      // Frames are never empty, so this is never the size line of a last chunk.
      target.write(Buffer.from(`${size.toString(16)}\r\n`, 'latin1'));
    }
    let taken = true;
    for (const forms of frames) taken = target.write(forms.frame);
    if (this.framesItself) taken = target.write(CRLF);
    target.uncork();
    return taken;
  }

  /** Ends the body cleanly: the client sees a complete response and reconnects. */
  end(): void {
    if (this.framesItself) this.target.end(LAST_CHUNK);
    else this.target.end();
  }

  /** Cuts off a client that stopped reading: an end would wait behind what it never reads. */
  destroy(): void {
    this.target.destroy();
  }

  /** Ended or gone: nothing may be written any more. */
  get ended(): boolean {
    return this.target.writableEnded || this.target.destroyed;
  }

  /** Ended, and every byte taken by the operating system (or cut off). */
  get flushed(): boolean {
    return this.target.writableFinished || this.target.destroyed;
  }

  /** Listens for the client taking what waited, and once for the end of the stream. */
  listen(onDrain: () => void, onClose: () => void): void {
    this.target.on('drain', onDrain);
    this.target.once('close', onClose);
  }
}
