import { DatabaseService } from '../src/database/database.service.js';
import { createTestApp, type TestApp, type TestUser } from './support/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FORBIDDEN = { statusCode: 403, error: 'Forbidden', message: 'This needs a server admin' };

describe('users', () => {
  let t: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    t = await createTestApp();
    user = await t.createUser('user', 'plain-user');
  });
  afterAll(() => t.close());

  it('lets a server admin create a user, who can then log in', async () => {
    const before = Date.now();
    const response = await t
      .as(t.admin)
      .post('/users')
      .send({ username: 'carol', password: 'carol-password', role: 'user' })
      .expect(201);
    expect(response.body).toEqual({
      id: expect.stringMatching(UUID),
      username: 'carol',
      role: 'user',
      createdAt: expect.any(Number),
    });
    expect((response.body as { createdAt: number }).createdAt).toBeGreaterThanOrEqual(before);
    const token = await t.login('carol', 'carol-password');
    const me = await t.http().get('/auth/me').set('Authorization', `Bearer ${token}`).expect(200);
    expect(me.body).toMatchObject({ id: (response.body as { id: string }).id, role: 'user' });
  });

  it('lists users to a server admin, never with a password or its hash', async () => {
    const response = await t.as(t.admin).get('/users').expect(200);
    const users = response.body as Record<string, unknown>[];
    expect(users.map((listed) => listed.username)).toEqual(
      expect.arrayContaining(['admin', 'plain-user']),
    );
    for (const listed of users) {
      expect(Object.keys(listed).sort()).toEqual(['createdAt', 'id', 'role', 'username']);
    }
    expect(JSON.stringify(users)).not.toMatch(/password|scrypt/);
  });

  it('refuses every users route to a user who is not a server admin, before validation', async () => {
    const responses = [
      await t.as(user).get('/users'),
      await t
        .as(user)
        .post('/users')
        .send({ username: 'mallory', password: 'x'.repeat(8), role: 'admin' }),
      await t.as(user).post('/users').send({ junk: true }),
      await t.as(user).delete(`/users/${t.admin.id}`),
    ];
    for (const response of responses) {
      expect(response.status).toBe(403);
      expect(response.body).toEqual(FORBIDDEN);
    }
    const list = await t.as(t.admin).get('/users').expect(200);
    expect((list.body as { username: string }[]).map((listed) => listed.username)).not.toContain(
      'mallory',
    );
  });

  it('gives a second server admin the same rights', async () => {
    const second = await t.createUser('admin');
    const created = await t
      .as(second)
      .post('/users')
      .send({ username: 'dave', password: 'dave-password', role: 'user' })
      .expect(201);
    await t.as(second).get('/users').expect(200);
    await t
      .as(second)
      .delete(`/users/${(created.body as { id: string }).id}`)
      .expect(204);
  });

  const NAME_RULE = 'username may hold 1 to 64 letters, digits, ".", "_" or "-"';
  const valid = { username: 'erin', password: 'long-enough', role: 'user' };
  it.each([
    ['a missing username', { ...valid, username: undefined }, NAME_RULE],
    ['a username with a space', { ...valid, username: 'has space' }, NAME_RULE],
    ['a username of 65 characters', { ...valid, username: 'a'.repeat(65) }, NAME_RULE],
    [
      'a short password',
      { ...valid, password: 'short' },
      'password must be longer than or equal to 8 characters',
    ],
    [
      'a password of 257 characters',
      { ...valid, password: 'p'.repeat(257) },
      'password must be shorter than or equal to 256 characters',
    ],
    ['a password that is a number', { ...valid, password: 12345678 }, 'password must be a string'],
    [
      'an unknown role',
      { ...valid, role: 'owner' },
      'role must be one of the following values: admin, user',
    ],
    [
      'a missing role',
      { ...valid, role: undefined },
      'role must be one of the following values: admin, user',
    ],
    [
      'a null role',
      { ...valid, role: null },
      'role must be one of the following values: admin, user',
    ],
    ['an unknown field', { ...valid, id: 'chosen' }, 'property id should not exist'],
  ])('refuses %s with a 400 that names the field', async (_label, body, message) => {
    const response = await t.as(t.admin).post('/users').send(body).expect(400);
    expect(response.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: expect.arrayContaining([message]),
    });
  });

  it('refuses a taken username with a 409, also when two requests race', async () => {
    const taken = await t
      .as(t.admin)
      .post('/users')
      .send({ username: 'plain-user', password: 'another-password', role: 'admin' })
      .expect(409);
    expect(taken.body).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: 'A user named "plain-user" already exists',
    });
    const racing = await Promise.all(
      [1, 2, 3].map((n) =>
        t
          .as(t.admin)
          .post('/users')
          .send({ username: 'racer', password: `racer-password-${n}`, role: 'user' }),
      ),
    );
    expect(racing.map((response) => response.status).sort((a, b) => a - b)).toEqual([
      201, 409, 409,
    ]);
    const list = await t.as(t.admin).get('/users').expect(200);
    const racers = (list.body as { username: string }[]).filter((u) => u.username === 'racer');
    expect(racers).toHaveLength(1);
  });

  it('deletes a user, whose login then fails', async () => {
    const doomed = await t.createUser();
    const response = await t.as(t.admin).delete(`/users/${doomed.id}`).expect(204);
    expect(response.text).toBe('');
    const list = await t.as(t.admin).get('/users').expect(200);
    expect((list.body as { id: string }[]).map((listed) => listed.id)).not.toContain(doomed.id);
    await t
      .http()
      .post('/auth/login')
      .send({ username: doomed.username, password: doomed.password })
      .expect(401);
  });

  it('answers 404 for an unknown user id and 400 for one that is not a UUID', async () => {
    const unknown = '9b2f3a52-1b6c-4e8e-9d35-0c8c7f3c1a11';
    const missing = await t.as(t.admin).delete(`/users/${unknown}`).expect(404);
    expect(missing.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: `User ${unknown} not found`,
    });
    const malformed = await t.as(t.admin).delete('/users/not-a-uuid').expect(400);
    expect(malformed.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
  });

  it('does not let a server admin delete their own account', async () => {
    const response = await t.as(t.admin).delete(`/users/${t.admin.id}`).expect(409);
    expect(response.body).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: 'You cannot delete your own account',
    });
    await t.as(t.admin).get('/users').expect(200);
  });

  it('drops the library grants of a deleted user', async () => {
    const member = await t.createUser();
    const libraryId = await t.createLibrary();
    await t.grant(libraryId, member.id, 'admin');
    await t.as(t.admin).delete(`/users/${member.id}`).expect(204);
    const grants = await t.app
      .get(DatabaseService)
      .db.selectFrom('library_users')
      .selectAll()
      .where('user_id', '=', member.id)
      .execute();
    expect(grants).toEqual([]);
  });
});
