/** A JSON Schema (draft-07, the dialect AsyncAPI 3.0 payloads default to), as plain JSON. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/**
 * The schemas of the event messages, generated from their TypeScript types
 * (scripts/generate-event-schemas.mjs writes Reelay's, event-schemas.ts).
 */
export interface EventSchemas {
  /** Each message type by name; they refer to one another as `#/components/schemas/<name>`. */
  readonly types: Readonly<Record<string, JsonSchema>>;
  /** Event name -> the name of its message type in `types`. */
  readonly messageTypes: Readonly<Record<string, string>>;
}

/** An AsyncAPI 3.0 Security Scheme Object, for the credentials a stream request may carry. */
export type SecurityScheme =
  | { type: 'http'; scheme: string; bearerFormat?: string; description?: string }
  | { type: 'httpApiKey'; name: string; in: 'query' | 'header' | 'cookie'; description?: string };

/**
 * What the application that embeds the events module says of itself in the AsyncAPI document:
 * the events module knows its events and transports, not who it runs in nor its credentials.
 */
export interface EventApiDescription {
  /** `info.title` and `info.version`. */
  title: string;
  version: string;
  /** Put before the document's own description of the event API. */
  description?: string;
  /** `host[:port]` the clients connect to: the default of the servers' `host` variable. */
  host: string;
  /** The credentials the authentication port reads, by name: any one of them admits a stream. */
  securitySchemes: Readonly<Record<string, SecurityScheme>>;
}

/** The AsyncAPI 3.0 document, as JSON; its parts are typed only as far as the builder needs. */
export interface AsyncApiDocument {
  asyncapi: '3.0.0';
  info: { title: string; version: string; description: string };
  defaultContentType: string;
  servers: Record<string, Record<string, unknown>>;
  channels: Record<string, AsyncApiChannel>;
  operations: Record<string, Record<string, unknown>>;
  components: {
    schemas: Record<string, JsonSchema>;
    messages: Record<string, AsyncApiMessage>;
    securitySchemes: Record<string, SecurityScheme>;
  };
}

export interface AsyncApiReference {
  $ref: string;
}

export interface AsyncApiChannel {
  address: string;
  title: string;
  description: string;
  servers: AsyncApiReference[];
  messages: Record<string, AsyncApiReference>;
  bindings?: Record<string, unknown>;
}

export interface AsyncApiMessage {
  /** The event name, as the `event:` field of SSE and the event of Socket.IO's emit. */
  name: string;
  title: string;
  summary: string;
  description: string;
  /** The event's `data` (SSE) and first argument (Socket.IO); JSON, the document's default. */
  payload: JsonSchema;
}
