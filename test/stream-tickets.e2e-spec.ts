import { DatabaseService } from '../src/database/database.service.js';
import { RecordingEventSource } from './support/sse-client.js';
import { RecordingSocket } from './support/socketio-client.js';
import { createTestApp, type TestApp } from './support/test-app.js';

const TICKET_REFUSED = 'The stream ticket is unknown, already used or expired; ask for a new one';

async function ticketFor(t: TestApp, token: string): Promise<string> {
  const response = await t
    .http()
    .post('/auth/stream-ticket')
    .set('Authorization', `Bearer ${token}`)
    .expect(201);
  const body = response.body as { ticket: string; expiresIn: number };
  expect(body.expiresIn).toBe(30);
  expect(body.ticket).toMatch(/^[\w-]{43}$/);
  return body.ticket;
}

/** What `GET /sse?ticket=` answers, read as the status and body of a plain request. */
async function sseAnswer(t: TestApp, ticket: string): Promise<{ status: number; body: unknown }> {
  const controller = new AbortController();
  const response = await fetch(`${t.baseUrl}/sse?ticket=${encodeURIComponent(ticket)}`, {
    signal: controller.signal,
  });
  const status = response.status;
  const body: unknown = status === 200 ? undefined : await response.json();
  controller.abort();
  return { status, body };
}

describe('stream tickets', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('are issued only to an authenticated caller', async () => {
    const response = await t.http().post('/auth/stream-ticket').expect(401);
    expect(response.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
  });

  it('open one SSE stream, which gets the events of the user who asked', async () => {
    const ticket = await ticketFor(t, t.admin.token);
    expect(ticket).not.toContain(t.admin.token);
    const stream = new RecordingEventSource(`${t.baseUrl}/sse?ticket=${ticket}`, ['library']);
    try {
      await stream.opened();
      const library = await t.createLibrary({ name: 'Ticketed' });
      const [event] = await stream.waitFor(1);
      expect(JSON.stringify(event.data)).toContain(library);
    } finally {
      stream.source.close();
    }
    expect(await sseAnswer(t, ticket)).toEqual({
      status: 401,
      body: { statusCode: 401, error: 'Unauthorized', message: TICKET_REFUSED },
    });
  });

  it('open one Socket.IO connection, and only one', async () => {
    const ticket = await ticketFor(t, t.admin.token);
    const socket = await RecordingSocket.open(t.baseUrl, { query: { ticket } });
    try {
      const library = await t.createLibrary({ name: 'Ticketed socket' });
      const [event] = await socket.waitFor(1);
      expect(JSON.stringify(event.data)).toContain(library);
    } finally {
      await socket.close();
    }
    const again = await RecordingSocket.refusedHandshake(t.baseUrl, { query: { ticket } });
    expect(again).toMatchObject({
      status: 401,
      body: { statusCode: 401, error: 'Unauthorized', message: TICKET_REFUSED },
    });
  });

  it('cannot open two streams at once', async () => {
    const ticket = await ticketFor(t, t.admin.token);
    const answers = await Promise.all([sseAnswer(t, ticket), sseAnswer(t, ticket)]);
    expect(answers.map(({ status }) => status).sort((a, b) => a - b)).toEqual([200, 401]);
  });

  it('refuse an expired, an unknown or an empty ticket, with the same words', async () => {
    const ticket = await ticketFor(t, t.admin.token);
    await t.app
      .get(DatabaseService)
      .db.updateTable('stream_tickets')
      .set({ expires_at: Date.now() - 1 })
      .execute();
    for (const refused of [ticket, 'x'.repeat(43), '']) {
      // oxlint-disable-next-line no-await-in-loop -- one refusal after the other
      expect(await sseAnswer(t, refused)).toMatchObject({
        status: 401,
        body: { message: TICKET_REFUSED },
      });
    }
  });

  it("go with their user: a deleted user's ticket opens nothing", async () => {
    const user = await t.createUser();
    const ticket = await ticketFor(t, user.token);
    await t.as(t.admin).delete(`/users/${user.id}`).expect(204);
    expect((await sseAnswer(t, ticket)).status).toBe(401);
  });
});

describe('a ticketed stream', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ JWT_TTL: '3s' });
  });
  afterAll(() => t.close());

  it('ends when the token it was issued with expires', async () => {
    const ticket = await ticketFor(t, t.admin.token);
    const socket = await RecordingSocket.open(t.baseUrl, { query: { ticket } });
    try {
      expect(await socket.disconnected(6000)).toBe('io server disconnect');
    } finally {
      await socket.close();
    }
  });
});
