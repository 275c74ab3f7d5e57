import { SseFrameClient } from './support/sse-frame-client.js';
import { RecordingSocket } from './support/socketio-client.js';
import { createTestApp, type TestApp } from './support/test-app.js';

const LIMIT = 3;
const REFUSAL = `This user already holds ${LIMIT} open streams, the most allowed`;

describe('streams per user, over both transports (STREAMS_PER_USER)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ STREAMS_PER_USER: String(LIMIT) });
  });
  afterAll(() => t.close());

  async function openStats() {
    const response = await t.as(t.admin).get('/events/stats').expect(200);
    const body = response.body as {
      sse: { connections: number };
      socketio: { connections: number };
    };
    return body.sse.connections + body.socketio.connections;
  }

  it('refuses a stream past the limit with 429 on SSE and connect_error on Socket.IO, and frees places as streams close', async () => {
    const user = await t.createUser();
    const other = await t.createUser();
    const first = await SseFrameClient.stream(t.baseUrl, '/sse', user.token);
    const second = await SseFrameClient.stream(t.baseUrl, '/sse', user.token);
    const socket = await RecordingSocket.open(t.baseUrl, { query: { token: user.token } });

    const refused = await t.http().get('/sse').set('Authorization', `Bearer ${user.token}`);
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/json/);
    expect(refused.headers['retry-after']).toBe('3');
    expect(refused.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: REFUSAL });

    const refusedSocket = new RecordingSocket(t.baseUrl, { query: { token: user.token } });
    const error = await refusedSocket.refused();
    expect(error.data).toEqual({ statusCode: 429, error: 'Too Many Requests', message: REFUSAL });
    await refusedSocket.close();

    // Another user is not affected.
    const others = await SseFrameClient.stream(t.baseUrl, '/sse', other.token);
    const before = await openStats();

    first.close();
    await socket.close();
    const deadline = Date.now() + 3000;
    // oxlint-disable-next-line no-await-in-loop -- waits for the server to see both closes
    while ((await openStats()) > before - 2 && Date.now() < deadline) {
      // oxlint-disable-next-line no-await-in-loop -- one look at a time
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const again = await SseFrameClient.stream(t.baseUrl, '/sse', user.token);
    const againSocket = await RecordingSocket.open(t.baseUrl, { query: { token: user.token } });
    expect(againSocket.socket.connected).toBe(true);
    await t.http().get('/sse').set('Authorization', `Bearer ${user.token}`).expect(429);

    for (const client of [second, again, others]) client.close();
    await againSocket.close();
  });
});
