import {
  ConflictException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { AccessService } from '../access/access.service.js';
import type { ServerRole } from '../access/roles.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.provider.js';
import { PasswordHasher } from './password-hasher.js';
import type { CreateUserDto, UserDto } from './users.dto.js';
import { type UserRecord, UsersRepository } from './users.repository.js';

function toDto(user: UserRecord): UserDto {
  return { id: user.id, username: user.username, role: user.role, createdAt: user.created_at };
}

@Injectable()
export class UsersService implements OnApplicationBootstrap {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly access: AccessService,
  ) {}

  /** Creates the first admin when no user exists yet. */
  async onApplicationBootstrap(): Promise<void> {
    if ((await this.repository.count()) > 0) return;
    const generated = this.config.adminPassword === undefined;
    const password = this.config.adminPassword ?? randomBytes(18).toString('base64url');
    const admin = await this.insert({
      username: this.config.adminUsername,
      password,
      role: 'admin',
    });
    // Another process on the same database (started at the same moment) created it first.
    if (!admin) return;
    if (generated) {
      // Printed once, on the console only: there is no other way to learn a generated password.
      console.warn(
        `\nReelay created the first admin. Username: ${this.config.adminUsername}  Password: ${password}\n` +
          'It is shown only this once; set ADMIN_PASSWORD to choose it yourself.\n',
      );
    } else {
      this.logger.log(`Created the first admin "${this.config.adminUsername}"`);
    }
  }

  async create(input: CreateUserDto): Promise<UserDto> {
    const user = await this.insert(input);
    if (!user) throw new ConflictException(`A user named "${input.username}" already exists`);
    return user;
  }

  /** The new user, or undefined when the username is taken. */
  private async insert(input: CreateUserDto): Promise<UserDto | undefined> {
    const user: UserRecord = {
      id: randomUUID(),
      username: input.username,
      password_hash: await this.hasher.hash(input.password),
      role: input.role,
      created_at: Date.now(),
    };
    if (!(await this.repository.insert(user))) return undefined;
    this.access.addAccount({ id: user.id, username: user.username, role: user.role });
    return toDto(user);
  }

  async list(): Promise<UserDto[]> {
    return (await this.repository.list()).map(toDto);
  }

  async delete(id: string, requesterId: string): Promise<void> {
    if (id === requesterId) throw new ConflictException('You cannot delete your own account');
    if (!(await this.repository.delete(id))) throw new NotFoundException(`User ${id} not found`);
    this.access.removeAccount(id);
  }

  /** The user whose password matches, or undefined; costs the same whether the name exists. */
  async authenticate(
    username: string,
    password: string,
  ): Promise<{ id: string; role: ServerRole } | undefined> {
    const user = await this.repository.findByUsername(username);
    const valid = await this.hasher.verify(password, user?.password_hash ?? DUMMY_HASH);
    return user && valid ? { id: user.id, role: user.role } : undefined;
  }
}

/** A well-formed hash of a random password, so unknown names cost a full scrypt too. */
const DUMMY_HASH =
  'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$' + Buffer.alloc(64).toString('base64url');
