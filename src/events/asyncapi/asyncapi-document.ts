import type { AudienceRule, EventCatalog, EventDefinition } from '../event-catalog.js';
import type { StreamSettings } from '../events.options.js';
import { MAX_FILTER_LIBRARIES, MAX_LIBRARY_ID_LENGTH } from '../sse/sse-query.js';
import type {
  AsyncApiChannel,
  AsyncApiDocument,
  AsyncApiMessage,
  AsyncApiReference,
  EventApiDescription,
  EventSchemas,
  JsonSchema,
} from './asyncapi.types.js';

export interface AsyncApiOptions extends EventApiDescription {
  /** What the SSE channel's description tells of its `retry:` and keepalive. */
  streams: Pick<StreamSettings, 'retryMs' | 'keepaliveMs'>;
}

const SCHEMAS = '#/components/schemas/';
const SSE_CHANNEL = 'sse';
const SOCKET_CHANNEL = 'socketio';

/** Who receives an event of each rule (docs/permissions.md); a server admin is admin of every library. */
const AUDIENCES: Record<AudienceRule, string> = {
  'library-readers': 'the users with at least `read` on its library',
  'library-admins': "its library's admins",
  'library-admins-else-server-admins':
    "its library's admins, or the server admins when it belongs to no library",
  'server-admins': 'the server admins',
  owner: 'only the user it names, not even a server admin',
};

/** The streams' own notices, beside the catalog's events: they carry no event id. */
const NOTICES = {
  lagged: {
    type: 'LaggedEvent',
    title: 'Lagged',
    summary: 'Events were skipped for this connection, which fell behind.',
    description:
      'Sent, without an id, to a connection whose queue went over its bounds: its oldest pending events were dropped, `skipped` of them, and it stays connected. A client that must hold every change reloads what it shows.',
  },
  resync: {
    type: 'ResyncEvent',
    title: 'Resync',
    summary: 'What the client holds may be stale: reload, then go on.',
    description:
      'Sent, without an id, first on a resume from a point the history no longer holds, and to open connections after a gap in the event ids (the event log lost, the bus restarted empty): events may have gone out that this connection will never get. The events that follow it are live.',
  },
} as const;

/** The payload of a host's event type whose message type has no generated schema. */
const UNDESCRIBED_MESSAGE: JsonSchema = {
  type: 'object',
  description: 'A message type the generated schemas do not describe (an application event type).',
};

/**
 * The AsyncAPI 3.0 document of the event API: both transports (`GET /sse`, Socket.IO), one
 * message per event type of the catalog with the schema of its payload (the message wrapped in
 * its key, as it goes on the wire), and the `lagged` and `resync` notices. A catalog row whose
 * message type has no schema (a host's own) is described as an object under its key.
 */
export function asyncApiDocument(
  catalog: EventCatalog,
  schemas: EventSchemas,
  options: AsyncApiOptions,
): AsyncApiDocument {
  const messages: Record<string, AsyncApiMessage> = {};
  for (const [name, definition] of Object.entries(catalog)) {
    if (name in NOTICES) {
      throw new Error(`The event catalog may not name an event "${name}": a stream notice has it`);
    }
    messages[componentKey(name, messages)] = eventMessage(name, definition, schemas);
  }
  for (const [name, notice] of Object.entries(NOTICES)) {
    if (!schemas.types[notice.type]) {
      throw new Error(`The event schemas have no ${notice.type}, the payload of "${name}"`);
    }
    messages[componentKey(name, messages)] = {
      name,
      title: notice.title,
      summary: notice.summary,
      description: notice.description,
      payload: { $ref: `${SCHEMAS}${notice.type}` },
    };
  }
  const keys = Object.keys(messages);
  const channelMessages = Object.fromEntries(
    keys.map((key) => [key, { $ref: `#/components/messages/${key}` }]),
  );
  const operationMessages = (channel: string): AsyncApiReference[] =>
    keys.map((key) => ({ $ref: `#/channels/${channel}/messages/${key}` }));
  const security = Object.keys(options.securitySchemes).map((name) => ({
    $ref: `#/components/securitySchemes/${name}`,
  }));
  const variables = {
    host: { default: options.host, description: 'Where the server listens: its host and port.' },
  };

  const sse: AsyncApiChannel = {
    address: '/sse',
    title: 'GET /sse',
    description: sseDescription(options.streams),
    servers: [{ $ref: '#/servers/http' }],
    messages: channelMessages,
  };
  const socketio: AsyncApiChannel = {
    address: '/',
    title: 'Socket.IO, default namespace',
    description: SOCKET_DESCRIPTION,
    servers: [{ $ref: '#/servers/socketio' }],
    messages: channelMessages,
    bindings: { ws: { method: 'GET', query: optionsQuery('socketio'), bindingVersion: '0.1.0' } },
  };

  return {
    asyncapi: '3.0.0',
    info: {
      title: options.title,
      version: options.version,
      description: [options.description, API_DESCRIPTION].filter(Boolean).join('\n\n'),
    },
    defaultContentType: 'application/json',
    servers: {
      http: {
        host: '{host}',
        protocol: 'http',
        title: 'HTTP',
        description: 'The HTTP server (`https` behind TLS): `GET /sse`.',
        variables,
        security,
      },
      socketio: {
        host: '{host}',
        protocol: 'ws',
        pathname: '/socket.io',
        title: 'Socket.IO',
        description:
          'The same HTTP server, Socket.IO 4 (engine.io protocol 4) at `/socket.io`: a WebSocket (`wss` behind TLS), or HTTP long-polling then an upgrade.',
        variables,
        security,
      },
    },
    channels: { [SSE_CHANNEL]: sse, [SOCKET_CHANNEL]: socketio },
    operations: {
      sseEvents: {
        action: 'send',
        channel: { $ref: `#/channels/${SSE_CHANNEL}` },
        title: 'Events on GET /sse',
        summary: 'Each event goes to the open streams of the users it is for.',
        description: DELIVERY_DESCRIPTION,
        bindings: { http: { method: 'GET', query: optionsQuery('sse'), bindingVersion: '0.3.0' } },
        messages: operationMessages(SSE_CHANNEL),
      },
      socketIoEvents: {
        action: 'send',
        channel: { $ref: `#/channels/${SOCKET_CHANNEL}` },
        title: 'Events on Socket.IO',
        summary: 'Each event goes to the connected sockets of the users it is for.',
        description: DELIVERY_DESCRIPTION,
        messages: operationMessages(SOCKET_CHANNEL),
      },
    },
    components: {
      schemas: { ...schemas.types },
      messages,
      securitySchemes: { ...options.securitySchemes },
    },
  };
}

function eventMessage(
  name: string,
  definition: EventDefinition,
  schemas: EventSchemas,
): AsyncApiMessage {
  const type = schemas.messageTypes[name];
  const described = type !== undefined && schemas.types[type] !== undefined;
  const audience = `Who receives it: ${AUDIENCES[definition.audience]}.`;
  const view = definition.forReaders
    ? " Readers who are not admins of its library get a view of it without the library's admin-only fields."
    : '';
  return {
    name,
    title: definition.key,
    summary: described
      ? `A ${type}, wrapped in \`${definition.key}\`.`
      : `A message wrapped in \`${definition.key}\`.`,
    description: `${audience}${view}`,
    payload: {
      type: 'object',
      required: [definition.key],
      properties: {
        [definition.key]: described ? { $ref: `${SCHEMAS}${type}` } : UNDESCRIBED_MESSAGE,
      },
      additionalProperties: false,
    },
  };
}

/**
 * The key of a message among the components, which allow letters, digits, `.`, `-` and `_`:
 * the event's name where it fits, made to fit and unique otherwise (its `name` stays as it is).
 */
function componentKey(name: string, taken: Record<string, unknown>): string {
  const base = name.replace(/[^a-zA-Z0-9._-]/g, '_') || '_';
  let key = base;
  for (let suffix = 2; key in taken; suffix += 1) key = `${base}_${suffix}`;
  return key;
}

/** The `libraries` filter and the resume point, read the same on both transports. */
function optionsQuery(transport: 'sse' | 'socketio'): JsonSchema {
  const resume =
    transport === 'sse'
      ? 'The `Last-Event-ID` header, which EventSource sends when it reconnects, wins over it.'
      : 'Socket.IO clients may give it as `auth.lastEventId` instead (a number or its decimal string), which wins over the query.';
  return {
    type: 'object',
    properties: {
      libraries: {
        type: 'string',
        description: `Comma-separated library ids (at most ${MAX_FILTER_LIBRARIES}, each at most ${MAX_LIBRARY_ID_LENGTH} characters; a repeated parameter is one list): only the events of these libraries, and those without a library. Without it, the events of every library the caller may see.`,
      },
      lastEventId: {
        type: 'string',
        pattern: '^\\s*\\d{1,15}\\s*$',
        description: `Resume after this event id: what the connection missed comes from the history first, then the live events; a point the history no longer holds gets \`resync\` first. ${resume}`,
      },
    },
  };
}

const API_DESCRIPTION = [
  'The real-time event API: the same events, under the same names and with the same payloads, on two transports, `GET /sse` (Server-Sent Events) and Socket.IO. Each event type is one message here; its payload is the event message wrapped in the event type\'s key, e.g. `{"Medias": {...}}`. Timestamps are epoch milliseconds.',
  'Every event has an id: global, increasing, never repeated, across restarts and processes. A client that reconnects with the last id it saw gets what it missed, or `resync` when that is no longer kept. `lagged` and `resync` are notices of the stream itself and carry no id.',
  'Each event goes only to the users its rule names (each message says who; a server admin counts as admin of every library) and, among their connections, to those whose `libraries` filter lets it through.',
].join('\n\n');

const DELIVERY_DESCRIPTION =
  'The server sends; clients only listen. Within a connection, events come in the order of their ids.';

function sseDescription({ retryMs, keepaliveMs }: AsyncApiOptions['streams']): string {
  return [
    'A `text/event-stream` (UTF-8) of the events the caller may see. Each event is one frame: `event: <name>`, `id: <event id>`, `data: <payload, JSON on one line>`, then a blank line; `lagged` and `resync` have no `id:` line, so that a resume point is always an event.',
    `The stream opens with \`retry: ${retryMs}\`, the reconnection delay for EventSource clients, and sends the comment \`:ping\` after ${keepaliveMs} ms without a frame (a keepalive, which EventSource ignores).`,
    'Options are in the query (`libraries`, `lastEventId`; see the operation binding), the resume point also in the `Last-Event-ID` header. A refusal comes before any stream byte, with a JSON body `{statusCode, error, message}`: 401 without valid credentials, 400 for bad options, 429 when the user holds too many streams. The stream ends when its credentials expire or their session ends.',
  ].join('\n\n');
}

const SOCKET_DESCRIPTION = [
  'Each event is `emit(name, payload, id)`: a handler `(data, id) => ...` gets the payload, parsed, and the event id as a number (on the wire, the Socket.IO packet `2["<name>",<payload>,<id>]`). `lagged` and `resync` come without an id. The server reads no event from clients.',
  'The credentials come with the first HTTP request, the polling handshake or the WebSocket upgrade (`auth.token` is not read): without valid ones that request gets HTTP 401 with the JSON error body `{statusCode, error, message}` and no session is opened. Joining the namespace checks the credentials again, the stream quota (429) and the options (400): a refusal is a `connect_error` whose `message` says why and whose `data` is the error body. A session that does not join within 10 s is closed, and a socket is disconnected when its credentials expire or their session ends.',
].join('\n\n');
