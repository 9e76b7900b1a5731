import { EMPTY } from 'rxjs';
import { LatentWorkerConnectionLost } from '../../errors.js';
import type { LatentWorker } from '../createLatentWorker.js';
import { isCommandRunner, type ExecOptions, type RemoteExecution } from '../exec.js';
import type { Lease } from './types.js';

/** The lease handed to `run()`: its `exec` goes through the worker's live connection. */
export function createLease<P>(
  worker: LatentWorker<P>,
  signal: AbortSignal,
  attempt: number
): Lease<P> {
  return {
    worker,
    signal,
    attempt,
    exec(command: string, args?: readonly string[], options?: ExecOptions): RemoteExecution {
      const connection = worker.connection;
      if (!isCommandRunner(connection)) {
        const lost = new LatentWorkerConnectionLost(
          `lease.exec(${command}): worker ${worker.name} has no connection that runs commands`
        );
        return Object.assign(Promise.reject(lost), { output$: EMPTY });
      }
      const own = options?.signal;
      return connection.exec(command, args, {
        ...options,
        signal: own ? AbortSignal.any([signal, own]) : signal
      });
    }
  };
}
