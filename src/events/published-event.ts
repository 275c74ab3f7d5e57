import type { AudienceRule } from './event-catalog.js';
import type { WireForms } from './http-chunk.js';

/** The facts the audience rule needs about one event. */
export interface AudienceFacts {
  readonly audience: AudienceRule;
  readonly library: string | undefined;
  readonly owner: string | undefined;
}

/**
 * One wire form of an event: built once, sent as-is to every connection that gets it. Its SSE
 * frame (`event: …\nid: …\ndata: …\n\n`) comes bare and as an HTTP/1.1 chunk.
 */
export interface EventVariant extends WireForms {
  /** The wrapped message as one line of JSON, the SSE `data` and the Socket.IO payload. */
  readonly data: string;
}

/** An event as the hub stamped it: global id, audience facts, and its prebuilt wire forms. */
export interface PublishedEvent extends AudienceFacts {
  readonly id: number;
  readonly name: string;
  /** What the library's admins (and every audience of events without a reader view) get. */
  readonly full: EventVariant;
  /** What readers who are not the library's admin get; the same object when nothing is hidden. */
  readonly forReaders: EventVariant;
  /** What it weighs in the resume history (`eventWeight`), weighed once for every bound. */
  readonly weight: number;
}
