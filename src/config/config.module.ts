import { type DynamicModule, Global, Module } from '@nestjs/common';
import {
  APP_CONFIG,
  type AppConfigOverrides,
  appConfigProvider,
  configModuleFor,
} from './config.provider.js';

/**
 * Validates the environment once at start (through @nestjs/config) and exposes the typed
 * `AppConfig` under the `APP_CONFIG` token.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(overrides: AppConfigOverrides = {}): DynamicModule {
    return {
      module: AppConfigModule,
      imports: [configModuleFor(overrides)],
      providers: [appConfigProvider],
      exports: [APP_CONFIG],
    };
  }
}
