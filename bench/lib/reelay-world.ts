import { mapConcurrently, callJson } from './rest.js';
import { pick, seededRandom } from './random.js';

export type GrantRole = 'read' | 'write' | 'admin';

export interface WorldUser {
  id: string;
  username: string;
  token: string;
  serverAdmin: boolean;
  grants: Record<string, GrantRole>;
}

/** The users, libraries and grants the benchmark creates in Reelay through its REST API. */
export interface ReelayWorld {
  adminToken: string;
  libraries: string[];
  users: WorldUser[];
}

export interface WorldShape {
  libraries: number;
  users: number;
  serverAdminShare: number;
  minGrants: number;
  maxGrants: number;
}

export const DEFAULT_WORLD: WorldShape = {
  libraries: 10,
  users: 200,
  serverAdminShare: 0.05,
  minGrants: 1,
  maxGrants: 4,
};

export const ADMIN_CREDENTIALS = { username: 'admin', password: 'bench-admin-password' };
const ROLES: GrantRole[] = ['read', 'write', 'admin'];

async function login(baseUrl: string, username: string, password: string): Promise<string> {
  const { accessToken } = await callJson<{ accessToken: string }>(baseUrl, 'POST', '/auth/login', {
    body: { username, password },
  });
  return accessToken;
}

/**
 * Creates the world through the real API: libraries, users (a few server admins, the others
 * with read, write or admin on some libraries), grants, and a token for each user.
 */
export async function seedWorld(baseUrl: string, shape: WorldShape): Promise<ReelayWorld> {
  const random = seededRandom(20261128);
  const adminToken = await login(baseUrl, ADMIN_CREDENTIALS.username, ADMIN_CREDENTIALS.password);
  const libraries = await mapConcurrently(
    Array.from({ length: shape.libraries }, (_, i) => i),
    1,
    async (i) => {
      const library = await callJson<{ id: string }>(baseUrl, 'POST', '/libraries', {
        token: adminToken,
        body: { name: `Bench library ${i + 1}`, type: i % 2 === 0 ? 'movies' : 'shows' },
      });
      return library.id;
    },
  );
  const plans = Array.from({ length: shape.users }, (_, i) => {
    const serverAdmin = i < Math.round(shape.users * shape.serverAdminShare);
    const grantCount =
      shape.minGrants + Math.floor(random() * (shape.maxGrants - shape.minGrants + 1));
    const grants: Record<string, GrantRole> = {};
    if (!serverAdmin) {
      for (const library of pick(libraries, grantCount, random)) {
        grants[library] = ROLES[Math.floor(random() * ROLES.length)];
      }
    }
    return { username: `bench-user-${i + 1}`, serverAdmin, grants };
  });
  // scrypt runs on libuv's thread pool: a few at a time keep both cores busy.
  const users = await mapConcurrently(plans, 4, async (plan) => {
    const password = `password-of-${plan.username}`;
    const { id } = await callJson<{ id: string }>(baseUrl, 'POST', '/users', {
      token: adminToken,
      body: { username: plan.username, password, role: plan.serverAdmin ? 'admin' : 'user' },
    });
    await Promise.all(
      Object.entries(plan.grants).map(([library, role]) =>
        callJson(baseUrl, 'PUT', `/libraries/${library}/users/${id}`, {
          token: adminToken,
          body: { role },
        }),
      ),
    );
    const token = await login(baseUrl, plan.username, password);
    return { id, token, ...plan };
  });
  return { adminToken, libraries, users };
}

/** The libraries a user may read: every one for a server admin, else those granted. */
export function readableLibraries(world: ReelayWorld, user: WorldUser): Set<string> {
  return new Set(user.serverAdmin ? world.libraries : Object.keys(user.grants));
}
