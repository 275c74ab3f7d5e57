export type { BackoffOptions } from './backoff.js';
export { ReelayRequestError } from './errors.js';
export * from './events.js';
export {
  type EventHandler,
  ReelayClient,
  type ReelayClientOptions,
  type ReelayStatus,
  type StreamData,
  type StreamEventName,
} from './reelay-client.js';
export type { ConnectionState } from './reconnector.js';
export { ReelaySession, type ReelaySessionOptions } from './session.js';
export {
  type SocketIoConnect,
  type SocketIoSocket,
  socketIoTransport,
  type SocketIoTransportOptions,
} from './socket-io-transport.js';
export { type SseTransportOptions, sseTransport } from './sse-transport.js';
export type {
  OpenStream,
  StreamEnd,
  StreamListener,
  StreamRequest,
  StreamTransport,
} from './transport.js';
