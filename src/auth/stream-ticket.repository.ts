import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service.js';
import type { StreamTicketsTable } from '../database/schema.js';

/** What a redeemed ticket was issued for. */
export interface TicketGrant {
  userId: string;
  tokenExpiresAt: number;
  /** The session of the token it was asked with, if that token had one. */
  sessionId: string | undefined;
}

/**
 * Stream tickets in the database, where every process of a deployment (workers sharing the
 * SQLite file, machines sharing PostgreSQL) can redeem them, each once.
 */
@Injectable()
export class StreamTicketRepository {
  constructor(private readonly database: DatabaseService) {}

  async insert(ticket: StreamTicketsTable): Promise<void> {
    await this.database.db.insertInto('stream_tickets').values(ticket).execute();
  }

  /**
   * Removes the ticket and gives what it was issued for when it had not expired: one statement,
   * so that of two redemptions at once, on any processes, one gets it.
   */
  async take(hash: string, now: number): Promise<TicketGrant | undefined> {
    const row = await this.database.db
      .deleteFrom('stream_tickets')
      .where('hash', '=', hash)
      .returning(['user_id', 'expires_at', 'token_expires_at', 'session_id'])
      .executeTakeFirst();
    if (row === undefined || row.expires_at <= now) return undefined;
    return {
      userId: row.user_id,
      tokenExpiresAt: row.token_expires_at,
      sessionId: row.session_id ?? undefined,
    };
  }

  async deleteExpired(now: number): Promise<void> {
    await this.database.db.deleteFrom('stream_tickets').where('expires_at', '<=', now).execute();
  }
}
