import { Ajv } from 'ajv';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { sampleMessage } from '../../../test/support/event-samples.js';
import { EVENT_NAMES } from '../event-catalog.js';
import { EVENT_SCHEMAS } from './event-schemas.js';

const run = promisify(execFile);
const BASE = 'reelay:event-schemas';

/** The generated schemas, compiled the way the AsyncAPI document holds them. */
function schemaValidator(): (type: string, value: unknown) => string[] {
  const ajv = new Ajv({ allowUnionTypes: true, allErrors: true });
  // The schemas sit under `components.schemas`, as in the document: not a keyword of their own.
  ajv.addVocabulary(['components']);
  ajv.addSchema({ $id: BASE, components: { schemas: EVENT_SCHEMAS.types } });
  return (type, value) => {
    const validate = ajv.getSchema(`${BASE}#/components/schemas/${type}`);
    if (!validate) throw new Error(`no schema ${type}`);
    return validate(value)
      ? []
      : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
  };
}

describe('the event message schemas', () => {
  it('are what the generator writes from the server types today (npm run generate)', async () => {
    const root = new URL('../../../', import.meta.url);
    const [generated, { stdout }] = await Promise.all([
      readFile(new URL('src/events/asyncapi/event-schemas.ts', root), 'utf8'),
      run(process.execPath, ['scripts/generate-event-schemas.mjs', '--stdout'], { cwd: root }),
    ]);
    expect(generated).toBe(stdout);
  });

  it('name a message type for each event of the catalog', () => {
    expect(Object.keys(EVENT_SCHEMAS.messageTypes)).toEqual(EVENT_NAMES);
    for (const type of Object.values(EVENT_SCHEMAS.messageTypes)) {
      expect(EVENT_SCHEMAS.types[type]).toBeDefined();
    }
  });

  it('accept a message of each event type as the publisher builds it', () => {
    const errorsOf = schemaValidator();
    for (const name of EVENT_NAMES) {
      for (const library of ['lib-1', null]) {
        const message = sampleMessage(name, { library, userRef: 'user-1', tag: 7 });
        expect({ name, errors: errorsOf(EVENT_SCHEMAS.messageTypes[name], message) }).toEqual({
          name,
          errors: [],
        });
      }
    }
  });

  it('hold the types as written: required, optional, nullable, enums, closed and open objects', () => {
    const errorsOf = schemaValidator();
    const progress = { userRef: 'u', mediaRef: 'm', progress: 3, modified: 1 };
    expect(errorsOf('MediaProgress', progress)).toEqual([]);
    expect(errorsOf('MediaProgress', { ...progress, progress: undefined })).toEqual([
      " must have required property 'progress'",
    ]);
    // No index signature: nothing else may come.
    expect(errorsOf('MediaProgress', { ...progress, extra: 1 })).toEqual([
      ' must NOT have additional properties',
    ]);
    const media = {
      id: 'm',
      library: 'l',
      name: 'n',
      mimetype: 'video/mp4',
      size: 1,
      modified: 1,
      added: 1,
      updated: 1,
      origin: 'scan',
    };
    // `[extra: string]: unknown`: more may come; `description?: string | null`.
    expect(errorsOf('Media', { ...media, codec: 'h264', description: null })).toEqual([]);
    expect(errorsOf('Media', { ...media, origin: 'torrent' })).toEqual([
      '/origin must be equal to one of the allowed values',
    ]);
    expect(errorsOf('Media', { ...media, hasFile: 'yes' })).toEqual(['/hasFile must be boolean']);
    expect(errorsOf('MediaWithAction', { action: 'Moved', media })).toEqual([
      '/action must be equal to one of the allowed values',
    ]);
    expect(errorsOf('LaggedEvent', { Lagged: { skipped: 4 } })).toEqual([]);
    expect(errorsOf('ResyncEvent', { Resync: {} })).toEqual([
      "/Resync must have required property 'reason'",
    ]);
  });
});
