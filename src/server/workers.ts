/**
 * Multi-core serving. On the native transport N worker threads each run the entry script and bind the same
 * port with SO_REUSEPORT (the kernel spreads connections); each thread has its own poller and arena. On
 * node:net, node:cluster forks N processes and the primary distributes connections.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { isMainThread, Worker, workerData } from 'node:worker_threads';
import { loadNative } from '../transport/binding.js';

/** True inside a worker started by {@link runWorkers}. */
export function isHayateWorker(): boolean {
  if (!isMainThread) return (workerData as { hayateWorker?: boolean } | null)?.hayateWorker === true;
  return cluster.isWorker && process.env['HAYATE_WORKER'] === '1';
}

/** Options of {@link runWorkers}. */
export interface WorkerOptions {
  /** Number of workers; default: available cores. 1 runs `main` in this thread. */
  readonly workers?: number;
  /** Which transport the workers use: threads + SO_REUSEPORT for native, cluster for net. */
  readonly transport?: 'auto' | 'native' | 'net';
  /** The entry script the workers run (default: process.argv[1]). */
  readonly entry?: string;
}

/** The primary's view of its workers. */
export interface WorkerGroup {
  readonly count: number;
  readonly kind: 'threads' | 'cluster' | 'inline';
  /** Stops every worker. */
  close(): Promise<void>;
}

/**
 * Runs `main` (which creates and starts a server on a fixed port) in `workers` workers. Call it from the
 * entry script: in the primary it starts the workers and returns a {@link WorkerGroup}; inside a worker it
 * runs `main` and returns `undefined`.
 */
export async function runWorkers(
  main: () => void | Promise<void>,
  options: WorkerOptions = {},
): Promise<WorkerGroup | undefined> {
  if (isHayateWorker()) {
    await main();
    return undefined;
  }
  const count = Math.max(1, options.workers ?? availableParallelism());
  if (count === 1) {
    await main();
    return { count: 1, kind: 'inline', close: () => Promise.resolve() };
  }
  const entry = options.entry ?? process.argv[1] ?? '';
  const useThreads = options.transport !== 'net' && loadNative(true) !== undefined;
  if (useThreads) {
    const workers: Worker[] = [];
    for (let i = 0; i < count; i++) {
      workers.push(
        new Worker(entry, { workerData: { hayateWorker: true, index: i }, argv: process.argv.slice(2) }),
      );
    }
    return {
      count,
      kind: 'threads',
      close: async () => {
        await Promise.all(workers.map((w) => w.terminate()));
      },
    };
  }
  cluster.setupPrimary({ exec: entry, args: process.argv.slice(2) });
  const forks: ReturnType<typeof cluster.fork>[] = [];
  for (let i = 0; i < count; i++)
    forks.push(cluster.fork({ HAYATE_WORKER: '1', HAYATE_WORKER_INDEX: String(i) }));
  return {
    count,
    kind: 'cluster',
    close: async () => {
      await Promise.all(
        forks.map(
          (w) =>
            new Promise<void>((resolve) => {
              w.once('exit', () => {
                resolve();
              });
              w.kill();
            }),
        ),
      );
    },
  };
}
