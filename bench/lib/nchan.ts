import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Debian's nginx and its nchan module (`apt-get install -y nginx libnginx-mod-nchan`). */
export const NGINX = '/usr/sbin/nginx';
const NCHAN_MODULE = '/usr/lib/nginx/modules/ngx_nchan_module.so';

/**
 * Messages a channel keeps: more than any measurement publishes to one library, so that nchan
 * never drops a message it has yet to deliver.
 */
const MESSAGE_BUFFER_LENGTH = 5000;

function aptInstallNchan() {
  return spawnSync('apt-get', ['install', '-y', 'nginx', 'libnginx-mod-nchan'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** Installs nginx and nchan from Debian when either is missing; throws when it cannot. */
export function ensureNchan(log: (message: string) => void): void {
  if (existsSync(NGINX) && existsSync(NCHAN_MODULE)) return;
  log('nginx+nchan: installing nginx and libnginx-mod-nchan from Debian ...');
  let result = aptInstallNchan();
  if (result.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'ignore' });
    result = aptInstallNchan();
  }
  if (result.status !== 0 || !existsSync(NCHAN_MODULE)) {
    throw new Error(
      `nginx+nchan could not be installed (apt-get install -y nginx libnginx-mod-nchan): ${result.stderr ?? ''}`,
    );
  }
}

/**
 * Writes the configuration of an nginx with one worker serving nchan on `port` under `prefix`,
 * and returns its path. Subscribers open `GET /sse?libraries=a,b`: an EventSource subscription
 * to one channel per library, multiplexed on the connection, as the servers without permissions
 * route events by `?libraries=`. An event is published with `POST /pub?library=a`, its body the
 * event's data line, and goes out as `event: medias` like the others' frames.
 */
export function writeNchanConfig(prefix: string, port: number): string {
  const temp = join(prefix, 'temp');
  mkdirSync(temp, { recursive: true });
  const config = join(prefix, 'nginx.conf');
  writeFileSync(
    config,
    [
      `load_module ${NCHAN_MODULE};`,
      'daemon off;',
      // The bench runs as root: the worker stays root, to read and write what the bench made.
      'user root;',
      'worker_processes 1;',
      `pid ${join(prefix, 'nginx.pid')};`,
      `error_log ${join(prefix, 'error.log')} warn;`,
      // One process holds up to ~19,000 sockets here (the hard limit on open files).
      'worker_rlimit_nofile 20000;',
      'events { worker_connections 19500; }',
      'http {',
      '  access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
        (kind) => `  ${kind}_temp_path ${join(temp, kind)};`,
      ),
      '  nchan_shared_memory_size 256m;',
      '  server {',
      `    listen 127.0.0.1:${port} backlog=4096;`,
      '    location = /health {',
      '      default_type application/json;',
      `      return 200 '{"status":"ok"}';`,
      '    }',
      '    location = /sse {',
      '      nchan_subscriber eventsource;',
      '      nchan_channel_id $arg_libraries;',
      '      nchan_channel_id_split_delimiter ",";',
      '      nchan_eventsource_event medias;',
      // As Reelay's /sse without Last-Event-ID: only what is published from now on (nchan's
      // default, `oldest`, first sends a new subscriber every message its channels still hold).
      '      nchan_subscriber_first_message newest;',
      '    }',
      '    location = /pub {',
      '      nchan_publisher;',
      '      nchan_channel_id $arg_library;',
      `      nchan_message_buffer_length ${MESSAGE_BUFFER_LENGTH};`,
      '      nchan_message_timeout 10m;',
      '    }',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  return config;
}
