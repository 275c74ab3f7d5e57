import { Injectable, NotFoundException } from '@nestjs/common';
import type { Principal } from '../access/principal.js';
import { violates } from '../database/database-errors.js';
import { EventsPublisher } from '../events/events.publisher.js';
import type { MediaProgress, MediaRating } from '../events/events.types.js';
import { LibrariesService } from '../libraries/libraries.service.js';
import { ProgressRepository, type StoredValue, type TrackedValue } from './progress.repository.js';

/** What clients receive for each tracked value, over HTTP and in its event. */
export interface TrackedMessage {
  progress: MediaProgress;
  rating: MediaRating;
}

/**
 * A user's own playback position and rating of a media. Anyone who may read the library keeps
 * their own; the events go to that user alone (the `owner` audience of the event catalog).
 */
@Injectable()
export class ProgressService {
  constructor(
    private readonly repository: ProgressRepository,
    private readonly libraries: LibrariesService,
    private readonly events: EventsPublisher,
  ) {}

  async set<T extends TrackedValue>(
    tracked: T,
    principal: Principal,
    libraryId: string,
    mediaId: string,
    value: number,
  ): Promise<TrackedMessage[T]> {
    await this.requireMedia(principal, libraryId, mediaId);
    const stored = { value, modified: Date.now() };
    try {
      await this.repository.set(principal.userId, mediaId, tracked, stored);
    } catch (error) {
      // The media went between the check and the write.
      if (violates(error, 'FOREIGNKEY')) throw this.mediaNotFound(mediaId);
      throw error;
    }
    const message = this.messageOf(tracked, principal, mediaId, stored);
    if (tracked === 'progress') this.events.mediaProgress(libraryId, message as MediaProgress);
    else this.events.mediaRating(libraryId, message as MediaRating);
    return message;
  }

  async get<T extends TrackedValue>(
    tracked: T,
    principal: Principal,
    libraryId: string,
    mediaId: string,
  ): Promise<TrackedMessage[T]> {
    await this.requireMedia(principal, libraryId, mediaId);
    const stored = await this.repository.get(principal.userId, mediaId, tracked);
    if (!stored) throw new NotFoundException(`You have no ${tracked} on media ${mediaId}`);
    return this.messageOf(tracked, principal, mediaId, stored);
  }

  private async requireMedia(
    principal: Principal,
    libraryId: string,
    mediaId: string,
  ): Promise<void> {
    await this.libraries.requireRole(principal, libraryId, 'read');
    if (!(await this.repository.mediaInLibrary(libraryId, mediaId))) {
      throw this.mediaNotFound(mediaId);
    }
  }

  private mediaNotFound(mediaId: string): NotFoundException {
    return new NotFoundException(`Media ${mediaId} not found`);
  }

  private messageOf<T extends TrackedValue>(
    tracked: T,
    principal: Principal,
    mediaId: string,
    stored: StoredValue,
  ): TrackedMessage[T] {
    const { userId: userRef } = principal;
    const { value, modified } = stored;
    const message: MediaProgress | MediaRating =
      tracked === 'progress'
        ? { userRef, mediaRef: mediaId, progress: value, modified }
        : { userRef, mediaRef: mediaId, rating: value, modified };
    return message as TrackedMessage[T];
  }
}
