import { Global, Module } from '@nestjs/common';
import { ShutdownGrace } from './shutdown-grace.js';

/** The drain's one deadline, for every module whose work must end before the server does. */
@Global()
@Module({ providers: [ShutdownGrace], exports: [ShutdownGrace] })
export class ShutdownModule {}
