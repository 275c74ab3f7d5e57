/**
 * Follows the event ids one SSE connection receives, for the reconnect storm. The storm's
 * connections belong to server admins, who are due every event, and ids rise by one from one
 * event to the next: an id more than one above the last one means events lost, one at or below
 * it an event received twice.
 */
export class ResumeTracker {
  resyncs = 0;
  lost = 0;
  repeated = 0;
  /** The first id this connection received, and when (performance.now()). */
  firstId?: number;
  firstAt?: number;

  /**
   * @param lastId the last id seen before (the Last-Event-ID of a reconnection), 0 for none
   * @param onFirst called at the connection's first event id
   */
  constructor(
    public lastId = 0,
    private readonly onFirst?: (tracker: ResumeTracker) => void,
  ) {}

  see(id: number, now: number): void {
    if (this.lastId > 0) {
      if (id <= this.lastId) this.repeated++;
      else this.lost += id - this.lastId - 1;
    }
    if (id > this.lastId) this.lastId = id;
    if (this.firstId === undefined) {
      this.firstId = id;
      this.firstAt = now;
      this.onFirst?.(this);
    }
  }
}
