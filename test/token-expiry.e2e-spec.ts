import jwt from 'jsonwebtoken';
import { TokenService } from '../src/auth/token.service.js';
import { EventsPublisher } from '../src/events/events.publisher.js';
import { SseFrameClient } from './support/sse-frame-client.js';
import { RecordingSocket } from './support/socketio-client.js';
import { createTestApp, type TestApp } from './support/test-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ignore = () => undefined;

/**
 * A token's expiry ends its streams on both transports within a second, and no event published
 * after it reaches them, however the sweep that closes them is timed.
 */
describe('token expiry on open streams', () => {
  let t: TestApp;
  let publisher: EventsPublisher;
  let library: string;

  beforeAll(async () => {
    t = await createTestApp();
    publisher = t.app.get(EventsPublisher);
    library = await t.createLibrary();
  });
  afterAll(() => t.close());

  /** A token of a new server admin that expires at the next whole second but one. */
  async function shortToken() {
    const user = await t.createUser('admin');
    const expiresAt = (Math.floor(Date.now() / 1000) + 2) * 1000;
    const token = jwt.sign({ exp: expiresAt / 1000 }, t.app.get(TokenService).key, {
      algorithm: 'HS256',
      issuer: 'reelay',
      subject: user.id,
    });
    return { token, expiresAt };
  }

  const tag = (name: string) =>
    publisher.tags(library, [{ action: 'Added', tag: { id: name, library, name } }]);

  it.each([1, 2, 3])(
    'delivers nothing published 250 ms after expiry, and ends both streams within a second (try %i)',
    async (attempt) => {
      const { token, expiresAt } = await shortToken();
      const sse = await SseFrameClient.stream(t.baseUrl, '/sse', token);
      const socket = await RecordingSocket.open(t.baseUrl, { query: { token } });
      let sseEndedAt = 0;
      let socketEndedAt = 0;
      // A wait that times out leaves its time at 0, which the checks below refuse.
      void sse
        .waitUntil((client) => client.ended || client.closed, 10_000)
        .then(() => {
          sseEndedAt = Date.now();
          return sseEndedAt;
        }, ignore);
      void socket.disconnected(10_000).then(() => {
        socketEndedAt = Date.now();
        return socketEndedAt;
      }, ignore);
      tag(`before-${attempt}`);
      await sleep(expiresAt + 250 - Date.now());
      tag(`after-${attempt}`);
      await sleep(expiresAt + 1000 - Date.now());

      const names = (texts: string[]) => texts.filter((text) => text.includes(`-${attempt}`));
      const sseTexts = sse.frames.map((frame) => frame.data ?? '');
      const socketTexts = socket.events.map((event) => JSON.stringify(event.data));
      expect(names(sseTexts).some((text) => text.includes(`before-${attempt}`))).toBe(true);
      expect(names(socketTexts).some((text) => text.includes(`before-${attempt}`))).toBe(true);
      expect(names(sseTexts).some((text) => text.includes(`after-${attempt}`))).toBe(false);
      expect(names(socketTexts).some((text) => text.includes(`after-${attempt}`))).toBe(false);
      expect(sseEndedAt).toBeGreaterThanOrEqual(expiresAt);
      expect(sseEndedAt).toBeLessThanOrEqual(expiresAt + 1000);
      expect(socketEndedAt).toBeGreaterThanOrEqual(expiresAt);
      expect(socketEndedAt).toBeLessThanOrEqual(expiresAt + 1000);
      sse.close();
      await socket.close();
    },
  );
});
