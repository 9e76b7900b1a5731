import { createServer } from 'node:net';
import { filter, firstValueFrom, ReplaySubject, take, toArray } from 'rxjs';

/** What a reporting process says: its pid and environment once it is set up, or a signal it ignored. */
export interface Report {
  pid: number;
  /** Its `LATENT_*` variables. */
  env?: Record<string, string>;
  ignored?: NodeJS.Signals;
}

export interface Reports {
  /**
   * A `node` argv: a process that ignores SIGTERM (and reports it), starts `children` more of its
   * kind in its own process group, then reports its pid and environment.
   */
  command(children?: number): string[];
  /** The first `count` processes to have set up, by their reports with `env`. */
  setUp(count?: number): Promise<Report[]>;
  /** The first `count` SIGTERMs ignored. */
  ignored(count: number): Promise<Report[]>;
  close(): Promise<void>;
}

/** A loopback server that the processes of {@link Reports.command} report to. */
export async function listenForReports(): Promise<Reports> {
  const reports$ = new ReplaySubject<Report>();
  const server = createServer((socket) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => (text += data));
    socket.on('end', () => reports$.next(JSON.parse(text) as Report));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const first = (count: number, match: (report: Report) => boolean) =>
    firstValueFrom(reports$.pipe(filter(match), take(count), toArray()));
  const script = `
    const { connect } = require('node:net');
    const send = (report) => {
      const socket = connect(${port}, '127.0.0.1', () =>
        socket.end(JSON.stringify({ pid: process.pid, ...report })));
      socket.on('error', () => {});
    };
    process.on('SIGTERM', () => send({ ignored: 'SIGTERM' }));
    const children = Number(process.argv[1] ?? 0);
    for (let i = 0; i < children; i++) {
      require('node:child_process').spawn(process.execPath, process.execArgv, { stdio: 'ignore' });
    }
    const env = Object.entries(process.env).filter(([name]) => name.startsWith('LATENT_'));
    send({ env: Object.fromEntries(env) });
    setInterval(() => {}, 1000);`;
  return {
    command: (children = 0) => [process.execPath, '-e', script, String(children)],
    setUp: (count = 1) => first(count, (report) => report.env !== undefined),
    ignored: (count) => first(count, (report) => report.ignored === 'SIGTERM'),
    close: () => new Promise((resolve) => server.close(() => resolve()))
  };
}
