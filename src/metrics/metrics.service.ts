import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import client, {
  AggregatorRegistry,
  Counter,
  Gauge,
  Histogram,
  type Metric,
  type PrometheusContentType,
  Registry,
} from 'prom-client';
import { AUTH_FAILURE_REASONS, AuthFailures } from '../auth/auth-failures.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.provider.js';
import type { ConnectionStats } from '../events/connection-registry.js';
import type { StreamCounters } from '../events/event-counters.js';
import { EventsTelemetry, TRANSPORTS } from '../events/events-telemetry.js';
import { askPrimaryForMetrics } from './cluster-metrics.js';

/**
 * prom-client's default metrics that list every handle or resource of the process (each socket)
 * at each scrape: with 10,000 streams open, most of a scrape's CPU. The open streams are
 * `reelay_stream_connections`, and `process_open_fds` still counts the descriptors.
 */
const PER_HANDLE_METRICS = [
  'nodejs_active_handles',
  'nodejs_active_handles_total',
  'nodejs_active_resources',
  'nodejs_active_resources_total',
];

/**
 * Node's process metrics (CPU, memory, file descriptors, event loop, GC), collected once per
 * process however many applications it runs (the tests run many): their collectors cannot be
 * stopped.
 */
let processRegistry: Registry | undefined;

function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    client.collectDefaultMetrics({ register: processRegistry });
    for (const name of PER_HANDLE_METRICS) processRegistry.removeSingleMetric(name);
  }
  return processRegistry;
}

/**
 * Reelay's Prometheus metrics. Every figure is read when scraped, from counts the code keeps as
 * plain numbers (EventsTelemetry, AuthFailures) and from what the streams hold at that moment:
 * nothing is counted per connection write. In a cluster's worker a scrape answers for every
 * worker: the primary gathers them (prom-client's AggregatorRegistry).
 */
@Injectable()
export class MetricsService implements OnModuleDestroy {
  private readonly registry = new Registry();
  /** In a cluster's worker: answers the primary's requests for this worker's figures. */
  private readonly clusterAnswer?: AggregatorRegistry<PrometheusContentType>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;

  constructor(
    telemetry: EventsTelemetry,
    authFailures: AuthFailures,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const { counters } = telemetry;
    const add = <M extends Metric>(metric: M): M => {
      this.registry.registerMetric(metric);
      return metric;
    };
    const streamCounter = (name: string, help: string, count: keyof StreamCounters) =>
      add(
        new Counter({
          name,
          help,
          labelNames: ['transport'],
          registers: [],
          collect() {
            this.reset();
            for (const transport of TRANSPORTS) this.inc({ transport }, counters[transport][count]);
          },
        }),
      );
    const streamGauge = (name: string, help: string, read: (stats: ConnectionStats) => number) =>
      add(
        new Gauge({
          name,
          help,
          labelNames: ['transport'],
          registers: [],
          collect() {
            for (const transport of TRANSPORTS) {
              this.set({ transport }, read(telemetry.streams(transport)));
            }
          },
        }),
      );
    // A cluster's workers each hold the whole history and see the same ids: the largest tells.
    const processGauge = (name: string, help: string, read: () => number) =>
      add(
        new Gauge({
          name,
          help,
          registers: [],
          aggregator: 'max',
          collect() {
            this.set(read());
          },
        }),
      );

    add(
      new Counter({
        name: 'reelay_events_published_total',
        help: 'Events this process published, by type',
        labelNames: ['type'],
        registers: [],
        collect() {
          this.reset();
          for (const [type, count] of telemetry.publishedByType()) this.inc({ type }, count);
        },
      }),
    );
    streamCounter(
      'reelay_event_deliveries_total',
      'Events handed to stream connections (live and replayed), by transport',
      'delivered',
    );
    streamCounter(
      'reelay_events_skipped_total',
      'Events dropped from the queue of a connection that did not keep up, by transport',
      'skipped',
    );
    streamCounter(
      'reelay_lagged_notices_total',
      'lagged notices sent to connections that did not keep up, by transport',
      'lagged',
    );
    streamCounter(
      'reelay_stream_resumes_total',
      'Streams opened with a resume point (Last-Event-ID), by transport',
      'resumes',
    );
    streamCounter(
      'reelay_stream_resyncs_total',
      'resync notices sent (a resume point no longer held, a gap in the ids), by transport',
      'resyncs',
    );
    streamGauge(
      'reelay_stream_connections',
      'Open stream connections, by transport',
      (stats) => stats.connections,
    );
    streamGauge(
      'reelay_stream_queued_bytes',
      'Bytes waiting in the queues of stream connections, by transport',
      (stats) => stats.queuedBytes,
    );
    streamGauge(
      'reelay_stream_queued_events',
      'Events waiting in the queues of stream connections, by transport',
      (stats) => stats.queuedEvents,
    );
    processGauge(
      'reelay_event_history_events',
      'Events the resume history holds',
      () => telemetry.history.events,
    );
    processGauge(
      'reelay_event_history_bytes',
      'Bytes of the events the resume history holds',
      () => telemetry.history.bytes,
    );
    processGauge(
      'reelay_last_event_id',
      'The id of the newest event delivered',
      () => telemetry.lastEventId,
    );
    add(
      new Counter({
        name: 'reelay_auth_failures_total',
        help: 'Refused authentications, by reason',
        labelNames: ['reason'],
        registers: [],
        collect() {
          this.reset();
          for (const reason of AUTH_FAILURE_REASONS) this.inc({ reason }, authFailures.of(reason));
        },
      }),
    );
    if (config.eventBus === 'redis') {
      add(
        new Gauge({
          name: 'reelay_event_bus_read_lag',
          help: 'Events in the Redis Stream this process has not read yet (NaN while Redis is out of reach)',
          registers: [],
          aggregator: 'max',
          async collect() {
            this.set((await telemetry.busReadLag()) ?? Number.NaN);
          },
        }),
      );
    }
    this.httpDuration = add(
      new Histogram({
        name: 'reelay_http_request_duration_seconds',
        help: 'REST request durations, by method, route and status (streams left out)',
        labelNames: ['method', 'route', 'status'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers: [],
      }),
    );
    if (config.workerIndex !== undefined) {
      this.clusterAnswer = new AggregatorRegistry();
      AggregatorRegistry.setRegistries([processMetrics(), this.registry]);
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The metrics in Prometheus's text format: this process's, or every worker's in a cluster. */
  scrape(): Promise<string> {
    if (this.clusterAnswer !== undefined) return askPrimaryForMetrics();
    return Registry.merge([processMetrics(), this.registry]).metrics();
  }

  onModuleDestroy(): void {
    this.registry.clear();
  }
}
