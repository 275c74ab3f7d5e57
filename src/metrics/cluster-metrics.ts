import cluster from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';

/** A worker's request for every worker's metrics, and the primary's answer. */
const METRICS_REQUEST = 'reelay:metrics-request';
const METRICS_ANSWER = 'reelay:metrics-answer';

interface MetricsRequest {
  type: typeof METRICS_REQUEST;
  id: number;
}

interface MetricsAnswer {
  type: typeof METRICS_ANSWER;
  id: number;
  text?: string;
  error?: string;
}

const ANSWER_TIMEOUT_MS = 10_000;
let nextRequestId = 0;

/** In a worker: the metrics of every worker, which only the primary can gather. */
export function askPrimaryForMetrics(): Promise<string> {
  const id = nextRequestId++;
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      const answer = message as MetricsAnswer | undefined;
      if (answer?.type !== METRICS_ANSWER || answer.id !== id) return;
      settle();
      if (answer.text === undefined) reject(new Error(answer.error ?? 'no metrics'));
      else resolve(answer.text);
    };
    const timer = setTimeout(() => {
      settle();
      reject(new Error('the cluster primary did not answer'));
    }, ANSWER_TIMEOUT_MS);
    const settle = () => {
      clearTimeout(timer);
      process.off('message', onMessage);
    };
    process.on('message', onMessage);
    process.send?.({ type: METRICS_REQUEST, id } satisfies MetricsRequest);
  });
}

/**
 * In the primary: gathers every worker's metrics (prom-client asks them over IPC and sums or
 * takes the largest, metric by metric), for its own METRICS_PORT and for the workers that ask.
 */
export class ClusterMetrics {
  private readonly aggregator = new AggregatorRegistry();

  get contentType(): string {
    return this.aggregator.contentType;
  }

  scrape(): Promise<string> {
    return this.aggregator.clusterMetrics();
  }

  answerWorkers(): void {
    cluster.on('message', (worker, message: unknown) => {
      const request = message as MetricsRequest | undefined;
      if (request?.type !== METRICS_REQUEST) return;
      const answer = (reply: Omit<MetricsAnswer, 'type' | 'id'>) => {
        if (worker.isConnected()) worker.send({ type: METRICS_ANSWER, id: request.id, ...reply });
      };
      this.scrape().then(
        (text) => answer({ text }),
        (error: unknown) => answer({ error: String(error) }),
      );
    });
  }
}
