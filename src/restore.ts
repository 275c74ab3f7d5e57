import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { parseArgs } from 'node:util';
import { RestoreError, restoreBackup } from './backups/backup-restore.js';
import { ConfigError, loadAppConfig } from './config/app-config.js';
import { processLogger } from './logging/app-logger.js';

const USAGE = `Usage: npm run restore -- [--files] <archive.tar | reelay.db>

Restores a server backup into the database Reelay is configured with, which must be empty:
PostgreSQL when DATABASE_URL is set, else SQLite under DATA_DIR (./data). Run it before the
server's first start on that database. --files also writes each media file back to its path
inside its library's root folder, where nothing is yet.`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { files: { type: 'boolean', default: false }, help: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (values.help || positionals.length !== 1) {
    console.error(USAGE);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const config = loadAppConfig(process.env);
  Logger.overrideLogger(processLogger(config.log));
  const report = await restoreBackup(config, positionals[0], { files: values.files });
  const where =
    config.database.engine === 'postgres'
      ? 'PostgreSQL (DATABASE_URL)'
      : `SQLite under ${config.dataDir}`;
  const files =
    report.filesRestored === undefined
      ? ''
      : `; ${report.filesRestored} media files written back, ${report.filesSkipped} left alone`;
  // The report is the command's output, on stdout.
  process.stdout.write(
    `Restored ${report.users} users, ${report.libraries} libraries and ${report.medias} medias ` +
      `into ${where}${files}\n`,
  );
}

main().catch((error: unknown) => {
  const expected =
    error instanceof ConfigError || error instanceof RestoreError || error instanceof TypeError;
  console.error(expected ? `Restore failed: ${error.message}` : error);
  process.exitCode = 1;
});
