import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import {
  EVENT_NAMES as SERVER_EVENT_NAMES,
  type StreamEventData as ServerStreamEventData,
} from '../../../src/events/event-catalog.js';
import { EVENT_KEYS, EVENT_NAMES } from './events.js';
import type { StreamData } from './reelay-client.js';

const run = promisify(execFile);

/** Compiles only if A and B are the same type. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const serverAndClientAgree: Same<StreamData, ServerStreamEventData> = true;

describe("the client's event types", () => {
  it('are what the generator writes from the server catalog today (npm run generate)', async () => {
    const root = new URL('../../../', import.meta.url);
    const [generated, { stdout }] = await Promise.all([
      readFile(new URL('packages/client/src/events.ts', root), 'utf8'),
      run(process.execPath, ['scripts/generate-client-events.mjs', '--stdout'], {
        cwd: root,
      }),
    ]);
    expect(generated).toBe(stdout);
  });

  it("list the server's event names, each with its wrapper key", () => {
    expect(serverAndClientAgree).toBe(true);
    expect(EVENT_NAMES).toEqual(SERVER_EVENT_NAMES);
    expect(EVENT_KEYS.medias).toBe('Medias');
    expect(EVENT_KEYS['library-status']).toBe('LibraryStatus');
  });
});
