import type { Counts, WaitResult } from '../generator/protocol.js';
import type { Contender } from '../lib/contenders.js';
import { listenOverflows } from '../lib/proc.js';
import { callJson } from '../lib/rest.js';
import { type BenchContext, fleetFor, type Metrics, sleep, withSession } from './context.js';

/**
 * Sockets one load generator holds: the machine lets a process open 20,000 files, and one source
 * address has ~28,000 ephemeral ports towards a server port; the generators of this case each
 * connect from an address of their own.
 */
export const CONNECTIONS_PER_GENERATOR = 15_000;

/** Rounds of events (one per library each) that prove every held connection still receives. */
const PROOF_ROUNDS = 5;

/**
 * Opens more SSE connections than one process can hold (Reelay over several workers), spread
 * over several load generators, keeps them a few seconds, then publishes a few rounds of events
 * and checks that every connection is still open and gets all it may see. Memory is the RSS of
 * all the server's processes, per connection, after a full GC in each.
 */
export function holdCase(context: BenchContext, contender: Contender): Promise<Metrics> {
  const n = context.options.holdConnections;
  const generators = Math.max(2, Math.ceil(n / CONNECTIONS_PER_GENERATOR));
  return withSession(
    context,
    contender,
    async (session) => {
      const { server } = session;
      const fleet = fleetFor(context, contender, n);
      const parts = session.parts(fleet);
      const before = await server.settledMemory();
      const split = session.processCpuSplit();
      const serverCpu = session.serverCpu();
      const generatorCpu = session.generatorCpu();
      const machine = session.watchMachine();
      const overflows = listenOverflows();
      const opened = await session.open(fleet, 'count');
      const share = machine();
      const openBusy = share.busyShare;
      const overflowed = listenOverflows() - overflows;
      context.log(
        `  ${contender.key}: opened ${opened.opened} in ${(opened.elapsedMs / 1000).toFixed(1)} s, CPU-s: server ` +
          `${(session.serverCpu() - serverCpu).toFixed(2)} (${split() ?? 'one process'}), generators ` +
          `${(session.generatorCpu() - generatorCpu).toFixed(2)}; machine ${(openBusy * 100).toFixed(0)}% busy; ` +
          `${overflowed} connections dropped with the accept queue full`,
      );
      await sleep(2000);
      const idle = await server.settledMemory();
      // One request publishes the rounds; each generator awaits its own part's deliveries.
      const rounds = PROOF_ROUNDS;
      const expected = parts.map((part) =>
        fleet.libraries.reduce(
          (total, library) => total + rounds * (part.recipients.get(library) ?? 0),
          0,
        ),
      );
      await Promise.all(
        session.generators.map((generator) =>
          generator.call({ type: 'reset', recordLatency: false }),
        ),
      );
      await callJson(server.baseUrl, 'POST', '/bench/publish', {
        headers: server.publishHeaders,
        body: {
          count: rounds * fleet.libraries.length,
          size: context.options.eventSize,
          libraries: fleet.libraries,
        },
      });
      const proofs = await Promise.all(
        session.generators.map((generator, index) =>
          generator.call<WaitResult>({
            type: 'await',
            expected: expected[index],
            timeoutMs: 20_000,
          }),
        ),
      );
      // A moment more: anything beyond the plan reached a connection that should not have had it.
      await sleep(300);
      const counts = await Promise.all(
        session.generators.map((generator) =>
          generator.call<Counts>({ type: 'reset', recordLatency: false }),
        ),
      );
      const held = counts.reduce((total, count) => total + count.open, 0);
      const received = counts.reduce((total, count) => total + count.received, 0);
      const due = expected.reduce((total, value) => total + value, 0);
      return {
        connections: n,
        generators,
        opened: opened.opened,
        failedConnections: opened.failed,
        held,
        lostConnections: counts.reduce((total, count) => total + count.lost, 0),
        acceptedPerSecond: opened.opened / (opened.elapsedMs / 1000),
        acceptQueueOverflows: overflowed,
        machineBusyShare: openBusy,
        otherProcessesCores: share.otherCores,
        expectedDeliveries: due,
        deliveries: received,
        unexpectedDeliveries: Math.max(0, received - due),
        complete: proofs.every((proof) => proof.complete),
        heldReceiving: proofs.every((proof) => proof.complete) ? held : 0,
        rssPerHeldConnectionBytes: (idle.rss - before.rss) / Math.max(1, opened.opened),
        serverRssBytes: idle.rss,
      };
    },
    { generators },
  );
}
