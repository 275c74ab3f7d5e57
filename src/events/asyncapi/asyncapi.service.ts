import { Inject, Injectable } from '@nestjs/common';
import { type EventCatalog } from '../event-catalog.js';
import {
  EVENT_API_DESCRIPTION,
  EVENTS_CATALOG,
  EVENTS_OPTIONS,
  type EventsModuleOptions,
} from '../events.options.js';
import { asyncApiDocument } from './asyncapi-document.js';
import type { EventApiDescription } from './asyncapi.types.js';
import { EVENT_SCHEMAS } from './event-schemas.js';

/**
 * The AsyncAPI document of what this module delivers: its catalog (Reelay's, or a host's that
 * extends it), its transports and its stream settings, with what the application says of itself.
 * Built once, as the module starts, so that a catalog it cannot describe stops the start rather
 * than a request.
 */
@Injectable()
export class AsyncApiService {
  /** The document as JSON text, as it is served. */
  readonly json: string;

  constructor(
    @Inject(EVENTS_CATALOG) catalog: EventCatalog,
    @Inject(EVENTS_OPTIONS) options: EventsModuleOptions,
    @Inject(EVENT_API_DESCRIPTION) description: EventApiDescription,
  ) {
    this.json = JSON.stringify(
      asyncApiDocument(catalog, EVENT_SCHEMAS, { ...description, streams: options.sse }),
    );
  }
}
