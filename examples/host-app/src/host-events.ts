import { defineEvent, EVENT_CATALOG } from '../../../src/events/event-catalog.js';

/** The host's own event: a note posted to a project (a library, in Reelay's terms). */
export interface ProjectNote {
  library: string;
  author: string;
  text: string;
}

/** Reelay's event types and the host's own: one row added, with its message type. */
export const HOST_EVENTS = {
  ...EVENT_CATALOG,
  'project-note': defineEvent<ProjectNote>()({
    key: 'ProjectNote',
    audience: 'library-readers',
    library: (note) => note.library,
  }),
};
