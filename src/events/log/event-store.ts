/** An event as the hub encodes it, before it has an id: all its bytes but the frame's `id:`. */
export interface EncodedEvent {
  /** A name of the module's catalog. */
  name: string;
  /** The wrapped message as one line of JSON, as the library's admins got it. */
  data: string;
  /** What readers who are not its admins got; null when it is `data`. */
  readerData: string | null;
  library: string | null;
  owner: string | null;
}

/** What the log keeps of an event: enough to rebuild its wire forms, in any process. */
export interface StoredEvent extends EncodedEvent {
  id: number;
}

export interface RestoredLog {
  /** The id the next event must be above: no id up to it is ever issued again. */
  lastId: number;
  /**
   * The newest stored events, oldest first, with consecutive ids ending at `lastId`; empty when
   * the log cannot vouch for what came before `lastId` (after a crash, say).
   */
  events: StoredEvent[];
}

/**
 * Where the hub's events outlive the process. The hub issues ids itself and must have each one
 * reserved before it goes out, so that a crash never lets an id be issued twice; events are
 * handed over after delivery and may be written later, in batches.
 */
export abstract class EventStore {
  /** Reads the log at start: where ids go on from, and the newest events for resume. */
  abstract open(): Promise<RestoredLog>;

  /**
   * Makes sure no later start can issue `id` again: undefined when that already holds, else a
   * promise that settles once it does (or could not be made to), and the event must wait for
   * it. Throws once the store is closed.
   */
  abstract reserveThrough(id: number): Promise<void> | undefined;

  /** Keeps an event that went out, of `weight` in the history; written off the delivery path. */
  abstract append(event: StoredEvent, weight: number): void;
}
