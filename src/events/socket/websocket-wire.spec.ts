import { Socket as NetSocket } from 'node:net';
import { type EngineConnection, websocketWire } from './websocket-wire.js';

/** engine.io's session as websocketWire reads it, open on a websocket with nothing waiting. */
function session(overrides: {
  readyState?: string;
  transport?: string;
  writeBuffer?: unknown[];
  websocketState?: number;
  wire?: unknown;
}) {
  const wire = 'wire' in overrides ? overrides.wire : new NetSocket();
  return {
    engine: {
      readyState: overrides.readyState ?? 'open',
      writeBuffer: overrides.writeBuffer ?? [],
      transport: {
        name: overrides.transport ?? 'websocket',
        socket: { readyState: overrides.websocketState ?? 1, _socket: wire },
      },
    } as unknown as EngineConnection,
    wire,
  };
}

describe('websocketWire', () => {
  it('gives the TCP socket of an open websocket session that engine.io has nothing waiting on', () => {
    const { engine, wire } = session({});
    (wire as NetSocket & { writable: boolean }).writable = true;
    expect(websocketWire(engine)).toBe(wire);
  });

  it.each([
    ['a polling session', { transport: 'polling' }],
    ['a session engine.io is closing', { readyState: 'closing' }],
    ['packets waiting in engine.io', { writeBuffer: [{ type: 'message' }] }],
    ['a websocket that sent or received its close frame', { websocketState: 2 }],
    ['no TCP socket', { wire: undefined }],
  ])('gives nothing for %s', (_case, overrides) => {
    const { engine, wire } = session(overrides);
    if (wire instanceof NetSocket) (wire as NetSocket & { writable: boolean }).writable = true;
    expect(websocketWire(engine)).toBeUndefined();
  });

  it('gives nothing once the TCP socket stopped taking writes', () => {
    const { engine, wire } = session({});
    (wire as NetSocket).destroy();
    expect(websocketWire(engine)).toBeUndefined();
  });
});
