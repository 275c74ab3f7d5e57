import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import jwt from 'jsonwebtoken';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { RecordingSocket } from '../../../test/support/socketio-client.js';
import { SseFrameClient } from '../../../test/support/sse-frame-client.js';
import { hostToken } from '../src/host-auth.js';
import { HostDirectory } from '../src/host-directory.js';
import { HostAppModule } from '../src/host-app.module.js';

/** What a receiver must agree on: each event's name, id and data. */
const received = (client: SseFrameClient) =>
  client.events.map(({ event, id, data }) => ({ event, id, data }));

describe('a host application embedding the events module', () => {
  let app: INestApplication;
  let url: string;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [HostAppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    const directory = app.get(HostDirectory);
    directory.addProject({ id: 'red-project', team: 'red' });
    directory.addProject({ id: 'blue-project', team: 'blue' });
    for (const [id, team, lead, operator] of [
      ['alice', 'red', false, false],
      ['carol', 'red', true, false],
      ['bob', 'blue', false, false],
      ['oscar', 'ops', false, true],
    ] as const) {
      directory.addMember({ id, name: id, team, lead, operator });
      tokens[id] = hostToken(id);
    }
  });
  afterAll(() => app.close());

  const as = (member: string) => ({
    get: (path: string) => request(url).get(path).set('Authorization', `Bearer ${tokens[member]}`),
    post: (path: string) =>
      request(url).post(path).set('Authorization', `Bearer ${tokens[member]}`),
  });

  it("keeps the host's own routes as if Reelay were absent: its guard, its users, no route of Reelay's", async () => {
    const me = await as('alice').get('/me').expect(200);
    expect(me.body).toEqual({
      id: 'alice',
      name: 'alice',
      team: 'red',
      lead: false,
      operator: false,
    });
    await request(url).get('/me').expect(401);
    const reelayToken = jwt.sign({}, 'reelay-secret-that-is-long-enough-0123456789', {
      issuer: 'reelay',
      subject: 'alice',
    });
    await request(url).get('/me').set('Authorization', `Bearer ${reelayToken}`).expect(401);
    // No AsyncAPI document either: the host gave the events module no `apiDocument`.
    const paths = ['/libraries', '/auth/me', '/users', '/health', '/api/events.json'];
    for (const path of [...paths, '/events/stats']) {
      // oxlint-disable-next-line no-await-in-loop -- one route after another
      const response = await as('oscar').get(path);
      expect({ path, status: response.status }).toEqual({
        path,
        status: path === '/events/stats' ? 200 : 404,
      });
    }
    await as('alice').get('/events/stats').expect(403);
    await as('bob').post('/projects/red-project/notes').send({ text: 'not mine' }).expect(403);
  });

  it("delivers Reelay's and the host's events on /sse and Socket.IO under the host's rule", async () => {
    const [alice, bob, oscar] = await Promise.all(
      ['alice', 'bob', 'oscar'].map((member) => SseFrameClient.stream(url, '/sse', tokens[member])),
    );
    const aliceSocket = await RecordingSocket.open(url, { query: { access_token: tokens.alice } });
    await as('carol').post('/projects/red-project/notes').send({ text: 'Ship it' }).expect(201);
    await as('carol').post('/projects/red-project/tags').send({ name: 'release' }).expect(201);
    await as('bob').post('/projects/blue-project/notes').send({ text: 'Blue only' }).expect(201);

    await oscar.waitUntil((client) => client.events.length >= 3);
    await bob.waitUntil((client) => client.events.length >= 1);
    await alice.waitUntil((client) => client.events.length >= 2);
    await aliceSocket.waitFor(2);
    const aliceSaw = received(alice);
    expect(aliceSaw.map((event) => event.event)).toEqual(['project-note', 'tags']);
    expect(JSON.parse(aliceSaw[0].data ?? '')).toEqual({
      ProjectNote: { library: 'red-project', author: 'carol', text: 'Ship it' },
    });
    expect(received(bob).map((event) => JSON.parse(event.data ?? '') as unknown)).toEqual([
      { ProjectNote: { library: 'blue-project', author: 'bob', text: 'Blue only' } },
    ]);
    expect(received(oscar)).toHaveLength(3);
    expect(aliceSocket.events.map(({ type, id }) => ({ type, id }))).toEqual(
      aliceSaw.map(({ event, id }) => ({ type: event, id: Number(id) })),
    );
    // A stream refused by the host's authenticator, with its words.
    const refused = await request(url).get('/sse').query({ access_token: 'forged' });
    expect(refused.status).toBe(401);
    expect((refused.body as { message: string }).message).toBe('The host token is not valid');
    for (const client of [alice, bob, oscar]) client.close();
    await aliceSocket.close();
  });

  it("serves the same frames on the host's own @Sse() route, built on observe()", async () => {
    const [raw, observed] = await Promise.all([
      SseFrameClient.stream(url, '/sse', tokens.alice),
      SseFrameClient.stream(url, '/host-events', tokens.alice),
    ]);
    await as('carol').post('/projects/red-project/notes').send({ text: 'Twice' }).expect(201);
    await as('bob').post('/projects/blue-project/tags').send({ name: 'hidden' }).expect(201);
    await as('alice').post('/projects/red-project/tags').send({ name: 'seen' }).expect(201);
    await raw.waitUntil((client) => client.events.length >= 2);
    await observed.waitUntil((client) => client.events.length >= 2);
    raw.close();
    observed.close();
    expect(received(raw).map((event) => event.event)).toEqual(['project-note', 'tags']);
    expect(received(observed)).toEqual(received(raw));
  });
});
