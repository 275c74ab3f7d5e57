import { ADMIN, createTestApp, type TestApp } from './support/test-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('POST /auth/login: throttling failures', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  const login = (username: string, password: string) =>
    t.http().post('/auth/login').send({ username, password });

  it('answers a burst of 30 wrong passwords with 401 five times, then 429 with Retry-After', async () => {
    const responses = await Promise.all(
      Array.from({ length: 30 }, () => login(ADMIN.username, 'wrong-password')),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(25);
    const refused = responses.find((response) => response.status === 429);
    expect(refused?.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // The right password is refused too while the wait lasts: guessing gains nothing.
    await login(ADMIN.username, ADMIN.password).expect(429);
  });

  it('lets the user in once the wait has passed: nobody is locked out for good', async () => {
    for (let attempt = 0; attempt < 6; attempt++) {
      // oxlint-disable-next-line no-await-in-loop -- failures one after another
      await login(ADMIN.username, 'wrong-password');
    }
    const refused = await login(ADMIN.username, ADMIN.password).expect(429);
    await sleep(Number(refused.headers['retry-after']) * 1000 + 100);
    await login(ADMIN.username, ADMIN.password).expect(200);
    // A success starts the count afresh.
    await login(ADMIN.username, 'wrong-password').expect(401);
  });

  it('throttles an address that tries many usernames, and counts unknown names alike', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 22; attempt++) {
      // oxlint-disable-next-line no-await-in-loop -- one guess after another, as a scanner would
      statuses.push((await login(`nobody-${attempt}`, 'guess')).status);
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(statuses.slice(20)).toEqual([429, 429]);
  });

  it('does not count successful logins against the address', async () => {
    for (let attempt = 0; attempt < 25; attempt++) {
      // oxlint-disable-next-line no-await-in-loop -- one login after another
      await login(ADMIN.username, ADMIN.password).expect(200);
    }
  });
});
