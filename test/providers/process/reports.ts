import { createServer, type Socket } from 'node:net';
import { filter, firstValueFrom, ReplaySubject, take, toArray } from 'rxjs';

/**
 * What a reporting process says: its environment once it is set up, a signal it ignored, or
 * (said by the server, when the process's connection closed) that it is gone.
 */
export interface Report {
  pid: number;
  /** Its `LATENT_*` variables. */
  env?: Record<string, string>;
  ignored?: NodeJS.Signals;
  gone?: true;
}

export interface Reports {
  /**
   * A `node` argv: a process that ignores SIGTERM (and reports it), starts `children` more of its
   * kind in its own process group, then reports its pid and environment. It lives as long as its
   * connection to the server: closing the server ends any left behind.
   */
  command(children?: number): string[];
  /** The first `count` processes to have set up, by their reports with `env`. */
  setUp(count?: number): Promise<Report[]>;
  /** The first `count` SIGTERMs ignored. */
  ignored(count: number): Promise<Report[]>;
  /** Resolves once each of `pids` is gone: the kernel closes a process's sockets as it dies. */
  gone(pids: readonly number[]): Promise<unknown>;
  close(): Promise<void>;
}

/** A loopback server that the processes of {@link Reports.command} report to. */
export async function listenForReports(): Promise<Reports> {
  const reports$ = new ReplaySubject<Report>();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let pid: number | undefined;
    let partial = '';
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => {
      const lines = (partial + data).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const report = JSON.parse(line) as Report;
        pid = report.pid;
        reports$.next(report);
      }
    });
    socket.on('close', () => {
      sockets.delete(socket);
      if (pid !== undefined) reports$.next({ pid, gone: true });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const first = (count: number, match: (report: Report) => boolean) =>
    firstValueFrom(reports$.pipe(filter(match), take(count), toArray()));
  const script = `
    const socket = require('node:net').connect(${port}, '127.0.0.1');
    socket.on('error', () => {});
    const send = (report) => socket.write(JSON.stringify({ pid: process.pid, ...report }) + '\\n');
    process.on('SIGTERM', () => send({ ignored: 'SIGTERM' }));
    const children = Number(process.argv[1] ?? 0);
    for (let i = 0; i < children; i++) {
      require('node:child_process').spawn(process.execPath, process.execArgv, { stdio: 'ignore' });
    }
    const env = Object.entries(process.env).filter(([name]) => name.startsWith('LATENT_'));
    send({ env: Object.fromEntries(env) });`;
  return {
    command: (children = 0) => [process.execPath, '-e', script, String(children)],
    setUp: (count = 1) => first(count, (report) => report.env !== undefined),
    ignored: (count) => first(count, (report) => report.ignored === 'SIGTERM'),
    gone: (pids) =>
      first(pids.length, (report) => report.gone === true && pids.includes(report.pid)),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      })
  };
}
