import { ConfigModule, ConfigService } from '@nestjs/config';
import type { Provider } from '@nestjs/common';
import { type AppConfig, type Environment, loadAppConfig } from './app-config.js';

export const APP_CONFIG = Symbol('APP_CONFIG');

/** Values that take the place of environment variables, for tests and embedding. */
export type AppConfigOverrides = Environment;

export function configModuleFor(overrides: AppConfigOverrides) {
  return ConfigModule.forRoot({
    ignoreEnvFile: true,
    cache: true,
    load: [() => ({ app: loadAppConfig({ ...process.env, ...overrides }) })],
  });
}

export const appConfigProvider: Provider = {
  provide: APP_CONFIG,
  inject: [ConfigService],
  useFactory: (config: ConfigService): AppConfig => config.getOrThrow<AppConfig>('app'),
};
