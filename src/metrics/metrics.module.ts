import {
  Inject,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  RequestMethod,
} from '@nestjs/common';
import type { Server } from 'node:http';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.provider.js';
import { HttpMetricsMiddleware } from './http-metrics.middleware.js';
import { listenForScrapes } from './metrics-listener.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsGuard } from './metrics.guard.js';
import { MetricsService } from './metrics.service.js';

/**
 * Prometheus metrics: `GET /metrics` on the API's port (server admins, METRICS_TOKEN), and on
 * METRICS_PORT without credentials. A cluster's primary serves METRICS_PORT itself
 * (ClusterPrimary): workers never open it.
 */
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, MetricsGuard, HttpMetricsMiddleware],
  exports: [MetricsService],
})
export class MetricsModule implements NestModule, OnApplicationBootstrap, OnApplicationShutdown {
  private listener?: Server;

  constructor(
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(HttpMetricsMiddleware)
      .forRoutes({ path: '{*splat}', method: RequestMethod.ALL });
  }

  async onApplicationBootstrap(): Promise<void> {
    const { metricsPort, workers, workerIndex, metricsHost } = this.config;
    if (metricsPort === undefined || workers > 1 || workerIndex !== undefined) return;
    this.listener = await listenForScrapes(this.metrics, metricsPort, metricsHost);
  }

  /** The METRICS_PORT listener's address, once open (its port when METRICS_PORT=0). */
  get listenerPort(): number | undefined {
    const address = this.listener?.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    const listener = this.listener;
    if (listener === undefined) return;
    await new Promise((resolve) => listener.close(resolve));
  }
}
