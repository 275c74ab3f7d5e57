import 'reflect-metadata';
import { AppModule } from './app.module.js';
import { runServer } from './server.js';

runServer(() => AppModule.forRoot());
