import type { ConnectionSpec } from '../generator/protocol.js';
import { type ReelayWorld, readableLibraries } from './reelay-world.js';

/**
 * The connections of one measurement and who receives what: for each library, how many of the
 * connections get an event published in it. Events go round-robin over `libraries`.
 */
export interface Fleet {
  specs: ConnectionSpec[];
  libraries: string[];
  recipients: Map<string, number>;
  /** The libraries whose events each connection receives, in the order of `specs`. */
  receives: readonly (readonly string[])[];
}

/**
 * Servers without permissions: every connection receives every event. The clients are Reelay's
 * (each sends its user's token, which these servers ignore), so that what a connection costs
 * differs only by the server.
 */
export function broadcastFleet(world: ReelayWorld, count: number, path: string): Fleet {
  const { libraries } = world;
  return {
    specs: Array.from({ length: count }, (_, i) => ({
      path,
      token: world.users[i % world.users.length].token,
    })),
    libraries,
    recipients: new Map(libraries.map((library) => [library, count])),
    receives: Array.from({ length: count }, () => libraries),
  };
}

/**
 * A server without permissions given the audiences of a Reelay fleet: each connection asks with
 * `?libraries=` for what its Reelay counterpart receives, so that each event reaches as many
 * connections on both servers and a publish request is shared by as many deliveries.
 */
export function routedFleet(like: Fleet, path: string): Fleet {
  return {
    ...like,
    specs: like.receives.map((libraries, i) => ({
      path: `${path}?libraries=${libraries.length > 0 ? libraries.join(',') : NO_LIBRARY}`,
      token: like.specs[i].token,
    })),
  };
}

/** What a connection that receives no library's events asks for: a library no event is in. */
const NO_LIBRARY = '-';

/**
 * The fleet cut into `parts` runs of consecutive connections (one per load generator), each
 * with its own recipients.
 */
export function splitFleet(fleet: Fleet, parts: number): Fleet[] {
  const size = Math.ceil(fleet.specs.length / parts);
  return Array.from({ length: parts }, (_, part) => {
    const receives = fleet.receives.slice(part * size, (part + 1) * size);
    const recipients = new Map(fleet.libraries.map((library) => [library, 0]));
    for (const libraries of receives) {
      for (const library of libraries) recipients.set(library, (recipients.get(library) ?? 0) + 1);
    }
    return {
      specs: fleet.specs.slice(part * size, (part + 1) * size),
      libraries: fleet.libraries,
      recipients,
      receives,
    };
  });
}

export interface ReelayFleetOptions {
  /** Every `filterEvery`-th connection asks for `?libraries=` (one it reads, one it may not). */
  filterEvery?: number;
  onlyServerAdmins?: boolean;
}

/**
 * Reelay connections spread over the world's users in turn, each with its user's token, so
 * that the permission filter decides who gets which event.
 */
export function reelayFleet(
  world: ReelayWorld,
  count: number,
  path: string,
  options: ReelayFleetOptions = {},
): Fleet {
  const users = options.onlyServerAdmins
    ? world.users.filter((user) => user.serverAdmin)
    : world.users;
  const recipients = new Map(world.libraries.map((library) => [library, 0]));
  const specs: ConnectionSpec[] = [];
  const receivesOf: string[][] = [];
  for (let i = 0; i < count; i++) {
    const user = users[i % users.length];
    const readable = readableLibraries(world, user);
    let receives = readable;
    let specPath = path;
    if (options.filterEvery !== undefined && i % options.filterEvery === options.filterEvery - 1) {
      const readableList = world.libraries.filter((library) => readable.has(library));
      const other = world.libraries.find((library) => !readable.has(library));
      const asked = [readableList[i % readableList.length], ...(other ? [other] : [])];
      receives = new Set(asked.filter((library) => readable.has(library)));
      specPath = `${path}?libraries=${asked.join(',')}`;
    }
    for (const library of receives) recipients.set(library, (recipients.get(library) ?? 0) + 1);
    specs.push({ path: specPath, token: user.token });
    receivesOf.push([...receives]);
  }
  return { specs, libraries: world.libraries, recipients, receives: receivesOf };
}

/** Deliveries of one event in each library, summed over the libraries. */
function recipientsPerRound(fleet: Fleet): number {
  let total = 0;
  for (const library of fleet.libraries) total += fleet.recipients.get(library) ?? 0;
  return total;
}

export interface EventPlan {
  /** Events, the i-th in `libraries[i % libraries.length]`. */
  count: number;
  libraries: string[];
  /** Deliveries the fleet should receive in all. */
  expected: number;
}

/**
 * Enough events, in whole rounds over the libraries, that each connection receives about
 * `perConnection` of them: the same load per connection whether or not the server filters.
 */
export function eventPlan(fleet: Fleet, perConnection: number): EventPlan {
  const perRound = recipientsPerRound(fleet);
  const rounds = Math.max(1, Math.round((perConnection * fleet.specs.length) / perRound));
  return {
    count: rounds * fleet.libraries.length,
    libraries: fleet.libraries,
    expected: rounds * perRound,
  };
}

/** Deliveries of one event, on average over the fleet's libraries. */
export function meanRecipients(fleet: Fleet): number {
  return recipientsPerRound(fleet) / fleet.libraries.length;
}
