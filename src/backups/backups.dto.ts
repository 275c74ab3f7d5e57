import { ApiProperty, ApiPropertyOptional, PartialType, PickType } from '@nestjs/swagger';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
  ValidateBy,
} from 'class-validator';
import { MAX_BACKUP_KEEP } from '../config/app-config.js';
import type { BackupStatus } from '../events/events.types.js';
import { IsOptionalNotNull } from '../common/validation.decorators.js';
import { scheduleProblem } from './backup-schedule.js';

const IsBackupSchedule = () =>
  ValidateBy({
    name: 'isBackupSchedule',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && !scheduleProblem(value),
      defaultMessage: (args) =>
        `schedule: ${typeof args?.value === 'string' ? scheduleProblem(args.value) : 'must be a string'}`,
    },
  });

export class CreateBackupDto {
  @ApiProperty({ example: 'Nightly' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiPropertyOptional({
    description: 'the library to back up; leave out for a server-wide backup',
  })
  @IsOptionalNotNull()
  @IsUUID()
  library?: string;

  @ApiProperty({
    example: 'nightly',
    description:
      'folder for the archives, inside BACKUP_DIR (relative to it, or absolute inside it); ' +
      'a path that leads out of it, by `..`, elsewhere or through a link, is refused with 400',
  })
  @IsString()
  @Length(1, 4096)
  @Matches(/^[^\0]*$/, { message: 'path must not contain NUL characters' })
  path!: string;

  @ApiPropertyOptional({
    nullable: true,
    type: String,
    example: '30 3 * * *',
    description:
      'when the server runs it by itself: a five-field cron expression evaluated in UTC ' +
      '(numbers, `*`, ranges, lists and steps), `@hourly`, `@daily`, `@weekly`, `@monthly`, ' +
      '`@yearly`, or `@every <duration>` (at least 1m, such as 30m, 6h, 1d). Runs missed while ' +
      'the server was down are not caught up.',
  })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  @IsBackupSchedule()
  schedule?: string | null;

  @ApiPropertyOptional({
    nullable: true,
    type: Number,
    example: 7,
    description:
      'archives to keep: after a run the oldest beyond this many are deleted. Null or absent: ' +
      "the server's BACKUP_KEEP, which is also the most a library admin may ask for",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_BACKUP_KEEP)
  keep?: number | null;
}

/**
 * Any of name, path, schedule (null: no schedule) and keep (null: the server's default); a null
 * name or path is validated, and refused, rather than skipped.
 */
export class UpdateBackupDto extends PartialType(
  PickType(CreateBackupDto, ['name', 'path', 'schedule', 'keep'] as const),
  { skipNullProperties: false },
) {}

export class DeleteBackupQueryDto {
  @ApiPropertyOptional({
    enum: ['keep', 'delete'],
    default: 'keep',
    description: 'whether the archives the backup kept are deleted from disk with it',
  })
  @IsOptional()
  @IsIn(['keep', 'delete'])
  archives?: 'keep' | 'delete';
}

export class BackupArchiveDto {
  @ApiProperty({ description: 'relative to BACKUP_DIR' }) path!: string;
  @ApiProperty({ description: 'bytes' }) size!: number;
  @ApiProperty({ description: 'epoch milliseconds' }) started!: number;
  @ApiProperty({ description: 'epoch milliseconds' }) finished!: number;
}

export class BackupDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String, description: 'null for a server-wide backup' })
  library!: string | null;
  @ApiProperty({ enum: ['idle', 'inProgress', 'done', 'error'] }) status!: BackupStatus;
  @ApiProperty({ description: 'folder of the archives, relative to BACKUP_DIR' }) path!: string;
  @ApiProperty({ nullable: true, type: String }) schedule!: string | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: "archives kept; null for the server's BACKUP_KEEP",
  })
  keep!: number | null;
  @ApiProperty({ description: 'epoch milliseconds' }) added!: number;
  @ApiProperty({ description: 'epoch milliseconds' }) updated!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'start of the last run' })
  started!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'end of the last run' })
  finished!: number | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'the archive of the last successful run, relative to BACKUP_DIR',
  })
  archive!: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'its size in bytes' })
  archiveSize!: number | null;
  @ApiProperty({ description: 'files of the run: the database and every media file' })
  files!: number;
  @ApiProperty() filesDone!: number;
  @ApiProperty({ description: 'medias whose file was missing, left out of the archive' })
  filesMissing!: number;
  @ApiProperty({ description: 'bytes of those files' }) bytes!: number;
  @ApiProperty() bytesDone!: number;
  @ApiProperty({ nullable: true, type: String, description: 'why the last run failed' })
  error!: string | null;
  @ApiPropertyOptional({
    enum: [true],
    description: 'only in the `backups` event that tells the backup was deleted',
  })
  deleted?: true;
}
