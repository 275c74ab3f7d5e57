import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { REPO } from './support/server-process.js';

const run = promisify(execFile);

/** @reelay/client as its users get it: built, packed, and imported by plain Node. */
describe('the @reelay/client package', () => {
  beforeAll(async () => {
    await run('npm', ['run', 'build', '-w', '@reelay/client'], { cwd: REPO });
  }, 120_000);

  it('packs its build, its typings and its README, nothing else', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '-w', '@reelay/client'], {
      cwd: REPO,
    });
    const [{ files }] = JSON.parse(stdout) as [{ files: { path: string }[] }];
    const paths = files.map(({ path }) => path);
    expect(paths).toEqual(
      expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/react.js']),
    );
    expect(paths.filter((path) => !/^dist\/[\w-]+\.(js|d\.ts)$/.test(path)).sort()).toEqual([
      'README.md',
      'package.json',
    ]);
    expect(paths.some((path) => path.includes('.spec.'))).toBe(false);
  });

  it('is importable by plain Node through its exports, React entry included', async () => {
    const script = `
      const client = await import('@reelay/client');
      const react = await import('@reelay/client/react');
      console.log(JSON.stringify({
        client: ['ReelayClient', 'ReelaySession', 'sseTransport', 'socketIoTransport', 'EVENT_NAMES']
          .filter((name) => name in client),
        react: ['ReelayProvider', 'useReelayEvents', 'useReelayStatus'].filter((name) => name in react),
        events: client.EVENT_NAMES.length,
      }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: REPO,
    });
    expect(JSON.parse(stdout)).toEqual({
      client: ['ReelayClient', 'ReelaySession', 'sseTransport', 'socketIoTransport', 'EVENT_NAMES'],
      react: ['ReelayProvider', 'useReelayEvents', 'useReelayStatus'],
      events: 14,
    });
  });
});
