import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { DemoSummary } from '../../src/cli/summary.js';
import { builtAgent } from '../runtime/hub/builtAgent.js';
import { isAlive } from '../runtime/hub/processes.js';

// Compiling the agent takes seconds on a busy machine: once per file, outside the tests' timeout.
beforeAll(() => void builtAgent(), 120_000);

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the demo's CLI in this process; `onLine` sees each stdout line as it is written. */
async function cli(
  argv: string[],
  options: {
    tty?: boolean;
    signal?: AbortSignal;
    onLine?: (line: string) => void;
    onStderr?: (text: string) => void;
  } = {}
): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const out = Object.assign(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        const text = chunk.toString();
        stdout += text;
        for (const line of text.split('\n')) if (line) options.onLine?.(line);
        done();
      }
    }),
    { isTTY: options.tty ?? false, columns: 100 }
  );
  const code = await runCli({
    argv,
    stdout: out,
    stderr: {
      write: (text: string) => {
        stderr += text;
        options.onStderr?.(text);
        return true;
      }
    },
    agentCommand: builtAgent(),
    ...(options.signal ? { signal: options.signal } : {})
  });
  return { code, stdout, stderr };
}

type JsonLine = { source: string; type: string; [key: string]: unknown };

const jsonLines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as JsonLine);

const summaryOf = (lines: JsonLine[]) =>
  lines.find((l) => l.source === 'demo' && l.type === 'summary') as unknown as DemoSummary;

describe('the npm start demo', () => {
  it('runs 6 builds on process workers end to end: one failed start, quarantine, all stopped', async () => {
    const { code, stdout } = await cli([
      '--builds',
      '6',
      '--workers',
      '3',
      '--json',
      '--idle-timeout',
      '0.3'
    ]);
    const lines = jsonLines(stdout);
    const summary = summaryOf(lines);
    expect(code).toBe(0);
    expect(summary).toMatchObject({
      builds: 6,
      results: { success: 6 },
      failedStarts: 1,
      quarantines: 1,
      interrupted: false
    });
    expect(summary.starts).toBe(summary.stops);
    expect(summary.starts).toBeGreaterThanOrEqual(3);
    expect(summary.pids.filter(isAlive)).toEqual([]);
    // The story is in the events: w3's start failed with its stderr, the build went elsewhere.
    const failed = lines.find((l) => l.type === 'substantiationFailed');
    expect(failed).toMatchObject({ worker: 'w3' });
    expect(JSON.stringify(failed)).toContain('disk full');
    expect(lines.some((l) => l.type === 'queued' && l.reason === 'retry')).toBe(true);
    expect(lines.filter((l) => l.type === 'step').length).toBe(6 * 4);
  });

  it('Ctrl-C shuts the fleet down: exit 130, every started process stopped', async () => {
    const interrupt = new AbortController();
    const { code, stdout } = await cli(['--builds', '8', '--json'], {
      signal: interrupt.signal,
      onLine: (line) => line.includes('"type":"step"') && interrupt.abort()
    });
    const summary = summaryOf(jsonLines(stdout));
    expect(code).toBe(130);
    expect(summary.interrupted).toBe(true);
    expect(summary.starts).toBe(summary.stops);
    expect(summary.pids.length).toBeGreaterThan(0);
    expect(summary.pids.filter(isAlive)).toEqual([]);
    // The builds cut short or never run are cancelled: not 'retry', not finished.
    expect(summary.cancelled).toBeGreaterThan(0);
    expect(summary.results.retry).toBeUndefined();
    const finished = Object.values(summary.results).reduce((a, b) => a + b, 0);
    expect(finished + summary.cancelled).toBe(8);
  });

  it('redraws in place on a TTY and ends with the summary table', async () => {
    const { code, stdout } = await cli(
      ['--builds', '2', '--workers', '2', '--idle-timeout', '0.2'],
      {
        tty: true
      }
    );
    expect(code).toBe(0);
    expect(stdout).toContain('\x1b[1G\x1b[0J'); // cursor to column 1, clear the old frame
    expect(stdout).toMatch(/w1 +\d+ +substantiated +available +#\d/);
    expect(stdout).toMatch(/\[#+\] 2\/2 finished/);
    expect(stdout).toMatch(/instance starts \/ stops +(\d+) \/ \1 \(every start stopped\)/);
  });

  it('prints plain log lines when stdout is not a TTY', async () => {
    // With two workers the one whose start fails (w2) is never needed.
    const { code, stdout } = await cli([
      '--builds',
      '1',
      '--workers',
      '2',
      '--idle-timeout',
      '0.2'
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ +\d+\.\d\ds {2}build #1 -> w1 \(attempt 1, idle\)$/m);
    expect(stdout).toMatch(/w1: agent connected/);
    expect(stdout).not.toContain('\x1b[');
    expect(stdout).toMatch(/builds success +1/);
  });

  it('--help, --version and usage errors', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--workers <n>[\s\S]*--builds <n>[\s\S]*--json[\s\S]*--inspect/);
    const version = await cli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const zero = await cli(['--workers', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/--workers <n>.*expected a whole number >= 1/);
    expect((await cli(['--fast'])).code).toBe(2);
    const badPort = await cli(['--inspect', '65536']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toMatch(/--inspect \[port\].*expected a port, 0 to 65535/);
  });

  it('--ui serves the live page of the fleet until Ctrl-C, then stops serving', async () => {
    const interrupt = new AbortController();
    let url: string | undefined;
    const metrics: string[] = [];
    const done = cli(
      ['--ui', '--builds', '2', '--workers', '2', '--idle-timeout', '0.2', '--json'],
      {
        signal: interrupt.signal,
        onLine: (line) => {
          const event = JSON.parse(line) as JsonLine;
          if (event.type !== 'notice' || !String(event.message).includes('stay up')) return;
          // Every build done: the page still serves the fleet.
          void fetch(`${url!}/metrics`)
            .then((response) => response.text())
            .then((text) => metrics.push(text))
            .finally(() => interrupt.abort());
        },
        onStderr: (text) => {
          url ??= /Live page: open (http:\/\/127\.0\.0\.1:\d+) /.exec(text)?.[1];
        }
      }
    );
    const { code, stderr } = await done;
    expect(stderr).toContain('no internet needed');
    expect(code).toBe(0);
    expect(metrics[0]).toMatch(/^latent_workers_builds_total\{result="success"\} 2$/m);
    expect(metrics[0]).toContain('latent_workers_worker_state{worker="w2"');
    await expect(fetch(`${url!}/state`)).rejects.toThrow();
  });

  it('--ui on a taken port: one line saying so, exit 4', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const { port } = taken.address() as AddressInfo;
    try {
      const { code, stderr } = await cli(['--ui', String(port), '--json']);
      expect(code).toBe(4);
      expect(stderr).toBe(
        `error: the live page cannot be served: createDashboard: 127.0.0.1:${port} is in use; pass another port, or 0 for a free one\n`
      );
    } finally {
      taken.close();
    }
  });

  it('--inspect on a taken port: one line saying so, exit 4, nothing started', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const { port } = taken.address() as AddressInfo;
    try {
      const { code, stdout, stderr } = await cli(['--inspect', String(port), '--json']);
      expect(code).toBe(4);
      expect(stderr).toBe(
        `error: the inspector cannot listen on 127.0.0.1:${port} (the port is taken): give another port (--inspect <port>), or none for a free one\n`
      );
      expect(stdout).toBe('');
    } finally {
      taken.close();
    }
  });
});
