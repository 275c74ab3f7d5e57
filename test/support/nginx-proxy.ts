import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Exit, exitOf, freePort, REPO } from './server-process.js';

const run = promisify(execFile);

/** Debian's nginx (`apt-get install -y nginx`; `.ci/run` installs it when missing). */
export const NGINX = '/usr/sbin/nginx';
export const OPENSSL = '/usr/bin/openssl';
/** The configuration docs/deploy.md shows, which the proxy runs. */
export const DEPLOY_NGINX_CONF = join(REPO, 'docs', 'deploy', 'nginx.conf');

/**
 * The lines of docs/deploy/nginx.conf that name the machine it runs on, and what the test's
 * proxy puts in their place; nothing else of the file changes.
 */
function localised(
  conf: string,
  places: { listen: string; cert: string; key: string; upstream: string },
): string {
  const replacements: [RegExp, string][] = [
    [/^(\s*)listen 443 ssl http2;$/m, `$1listen ${places.listen} ssl http2;`],
    [/^(\s*ssl_certificate\s+)\S+;$/m, `$1${places.cert};`],
    [/^(\s*ssl_certificate_key\s+)\S+;$/m, `$1${places.key};`],
    [/^(\s*)server 127\.0\.0\.1:3000;$/m, `$1server ${places.upstream};`],
  ];
  return replacements.reduce((text, [line, replacement]) => {
    const global = new RegExp(line.source, 'gm');
    const count = text.match(global)?.length ?? 0;
    if (count !== 1) {
      throw new Error(`${DEPLOY_NGINX_CONF} has ${count} lines matching ${line}, not 1`);
    }
    return text.replace(line, replacement);
  }, conf);
}

/**
 * A real nginx in front of a Reelay, with docs/deploy/nginx.conf as its server, TLS with a
 * throwaway self-signed certificate for 127.0.0.1 and localhost, on a free port of 127.0.0.1.
 * Everything it writes (pid, logs, temporary files) stays in a folder of its own, so that it
 * runs as any user. One process (no master), in the foreground: stop it in afterAll.
 */
export class NginxProxy {
  /** What nginx printed, for failure messages. */
  output = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly exited: Promise<Exit>,
    private readonly prefix: string,
    readonly port: number,
    /** The certificate, PEM: the clients' `ca`. */
    readonly certificate: string,
  ) {
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** Starts nginx in front of `upstream` (`host:port`) and waits until its port accepts. */
  static async start(upstream: string): Promise<NginxProxy> {
    if (!existsSync(NGINX)) {
      throw new Error(
        `${NGINX} is missing: the reverse-proxy test runs Debian's nginx (apt-get install -y nginx)`,
      );
    }
    const prefix = mkdtempSync(join(tmpdir(), 'reelay-nginx-'));
    try {
      const cert = join(prefix, 'cert.pem');
      const key = join(prefix, 'key.pem');
      await run(OPENSSL, [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-days',
        '1',
      ]);
      const port = await freePort();
      const site = localised(readFileSync(DEPLOY_NGINX_CONF, 'utf8'), {
        listen: `127.0.0.1:${port}`,
        cert,
        key,
        upstream,
      });
      writeFileSync(join(prefix, 'reelay.conf'), site);
      const temp = join(prefix, 'temp');
      mkdirSync(temp);
      writeFileSync(
        join(prefix, 'nginx.conf'),
        [
          'daemon off;',
          'master_process off;',
          `pid ${join(prefix, 'nginx.pid')};`,
          `error_log ${join(prefix, 'error.log')} info;`,
          'events { worker_connections 256; }',
          'http {',
          // A site that compresses text wherever it can: the event stream must stream all the same.
          '  gzip on;',
          '  gzip_types text/event-stream application/json;',
          `  access_log ${join(prefix, 'access.log')};`,
          ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
            (kind) => `  ${kind}_temp_path ${join(temp, kind)};`,
          ),
          `  include ${join(prefix, 'reelay.conf')};`,
          '}',
          '',
        ].join('\n'),
      );
      // -e: the log of the start itself, before the configuration's error_log is read.
      const child = spawn(NGINX, ['-p', prefix, '-e', 'stderr', '-c', join(prefix, 'nginx.conf')], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const proxy = new NginxProxy(child, exitOf(child), prefix, port, readFileSync(cert, 'utf8'));
      await proxy.accepting();
      return proxy;
    } catch (error) {
      rmSync(prefix, { recursive: true, force: true });
      throw error;
    }
  }

  /** Stops nginx and removes its folder. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
    rmSync(this.prefix, { recursive: true, force: true });
  }

  private async accepting(): Promise<void> {
    const deadline = Date.now() + 10_000;
    let failed: Error | undefined;
    this.child.once('error', (error) => (failed = error));
    // oxlint-disable-next-line no-await-in-loop -- polls until the port accepts
    while (!(await this.accepts())) {
      if (
        failed ||
        this.child.exitCode !== null ||
        this.child.signalCode !== null ||
        Date.now() > deadline
      ) {
        // oxlint-disable-next-line no-await-in-loop -- leaves the loop
        await this.stop();
        throw new Error(`nginx did not start: ${failed?.message ?? ''}\n${this.output}`);
      }
      // oxlint-disable-next-line no-await-in-loop -- polls until the port accepts
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      // Another process held the port, and nginx could not have it.
      await this.stop();
      throw new Error(`nginx exited at start:\n${this.output}`);
    }
  }

  private accepts(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect(this.port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  }
}
