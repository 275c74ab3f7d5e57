import { Parser } from '@asyncapi/parser';
import { defineEvent, EVENT_CATALOG, EVENT_NAMES } from '../event-catalog.js';
import { asyncApiDocument, type AsyncApiOptions } from './asyncapi-document.js';
import type { AsyncApiDocument, JsonSchema } from './asyncapi.types.js';
import { EVENT_SCHEMAS } from './event-schemas.js';

const OPTIONS: AsyncApiOptions = {
  title: 'Host',
  version: '2.3.4',
  description: 'A host of the event system.',
  host: 'events.example:8080',
  securitySchemes: {
    bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
    ticket: { type: 'httpApiKey', in: 'query', name: 'ticket' },
  },
  streams: { retryMs: 2500, keepaliveMs: 12_000 },
};

/** A host's catalog: Reelay's rows and two of its own, whose message types have no schema. */
const HOST_CATALOG = {
  ...EVENT_CATALOG,
  'project-note': defineEvent<{ library: string; text: string }>()({
    key: 'ProjectNote',
    audience: 'library-readers',
    library: (note) => note.library,
  }),
  'audit log': defineEvent<{ entry: string }>()({
    key: 'Audit',
    audience: 'server-admins',
    library: () => null,
  }),
};

/** Every `$ref` in the document, with where it is. */
function references(value: unknown, path = '#'): { ref: string; at: string }[] {
  if (Array.isArray(value))
    return value.flatMap((item, index) => references(item, `${path}/${index}`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) =>
    key === '$ref' && typeof child === 'string'
      ? [{ ref: child, at: path }]
      : references(child, `${path}/${key}`),
  );
}

/** The value a local `$ref` (`#/a/b`) points to in the document, if any. */
function resolve(document: AsyncApiDocument, ref: string): unknown {
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>(
      (node, part) => (node as Record<string, unknown> | undefined)?.[part],
      document,
    );
}

/** Event name -> the name of its message in each channel. */
function messageNames(document: AsyncApiDocument, channel: string): string[] {
  return Object.values(document.channels[channel].messages).map(
    ({ $ref }) => (resolve(document, $ref) as { name: string }).name,
  );
}

describe('asyncApiDocument', () => {
  const document = asyncApiDocument(EVENT_CATALOG, EVENT_SCHEMAS, OPTIONS);

  it('lists, on each transport, exactly the catalog events and the two notices', () => {
    const expected = [...EVENT_NAMES, 'lagged', 'resync'];
    expect(messageNames(document, 'sse')).toEqual(expected);
    expect(messageNames(document, 'socketio')).toEqual(expected);
    for (const operation of Object.values(document.operations)) {
      const channel = (operation.channel as { $ref: string }).$ref.split('/').pop() as string;
      expect(operation.action).toBe('send');
      expect(operation.messages).toEqual(
        Object.keys(document.channels[channel].messages).map((key) => ({
          $ref: `#/channels/${channel}/messages/${key}`,
        })),
      );
    }
  });

  it("gives each event the wrapper of its row and its message type's schema", () => {
    for (const name of EVENT_NAMES) {
      const { key } = EVENT_CATALOG[name];
      const message = document.components.messages[name];
      expect(message).toMatchObject({ name, title: key });
      expect(message.payload).toEqual({
        type: 'object',
        required: [key],
        properties: { [key]: { $ref: `#/components/schemas/${EVENT_SCHEMAS.messageTypes[name]}` } },
        additionalProperties: false,
      });
    }
    expect(document.components.messages.lagged.payload).toEqual({
      $ref: '#/components/schemas/LaggedEvent',
    });
    expect(document.components.messages.resync.payload).toEqual({
      $ref: '#/components/schemas/ResyncEvent',
    });
  });

  it('has every reference point at something in the document', () => {
    const dangling = references(document).filter(({ ref }) => resolve(document, ref) === undefined);
    expect(dangling).toEqual([]);
    expect(references(document).length).toBeGreaterThan(EVENT_NAMES.length * 3);
  });

  it("says who receives each event, from its row's audience rule", () => {
    const { messages } = document.components;
    expect(messages.media_progress.description).toContain('only the user it names');
    expect(messages['backups-files'].description).toContain('the server admins');
    expect(messages.medias.description).toContain('at least `read` on its library');
    expect(messages.library.description).toContain("without the library's admin-only fields");
    expect(messages.medias.description).not.toContain('admin-only fields');
  });

  it("carries the application's info, server address, credentials and stream settings", () => {
    expect(document.info).toMatchObject({ title: 'Host', version: '2.3.4' });
    expect(document.info.description.startsWith('A host of the event system.\n\n')).toBe(true);
    for (const server of Object.values(document.servers)) {
      expect(server.variables).toEqual({
        host: expect.objectContaining({ default: 'events.example:8080' }),
      });
      expect(server.security).toEqual([
        { $ref: '#/components/securitySchemes/bearer' },
        { $ref: '#/components/securitySchemes/ticket' },
      ]);
    }
    expect(document.components.securitySchemes).toEqual(OPTIONS.securitySchemes);
    expect(document.channels.sse.description).toContain('`retry: 2500`');
    expect(document.channels.sse.description).toContain('`:ping` after 12000 ms');
  });

  it("describes a host's own rows under their keys, as objects, with names kept as they are", async () => {
    const extended = asyncApiDocument(HOST_CATALOG, EVENT_SCHEMAS, OPTIONS);
    const note = extended.components.messages['project-note'];
    expect(note.name).toBe('project-note');
    const payload = note.payload as { required: string[]; properties: Record<string, JsonSchema> };
    expect(payload.required).toEqual(['ProjectNote']);
    expect(payload.properties.ProjectNote).toMatchObject({ type: 'object' });
    // Component keys take no spaces: the key is made to fit, the event's name stays.
    expect(extended.components.messages['audit_log'].name).toBe('audit log');
    expect(messageNames(extended, 'socketio')).toEqual([
      ...Object.keys(HOST_CATALOG),
      'lagged',
      'resync',
    ]);

    const { diagnostics } = await new Parser().parse(JSON.stringify(extended));
    // The parser's DiagnosticSeverity comes from two versions of a package, whose members do not
    // compare: severities by number, the first being errors.
    const severities = ['error', 'warning', 'information', 'hint'];
    expect(diagnostics.filter(({ severity }) => severities[severity] === 'error')).toEqual([]);
  });

  it('refuses a catalog that names an event like a notice of the streams', () => {
    const clashing = {
      ...EVENT_CATALOG,
      lagged: defineEvent<{ n: number }>()({
        key: 'Lagged',
        audience: 'server-admins',
        library: () => null,
      }),
    };
    expect(() => asyncApiDocument(clashing, EVENT_SCHEMAS, OPTIONS)).toThrow(
      'The event catalog may not name an event "lagged"',
    );
  });
});
