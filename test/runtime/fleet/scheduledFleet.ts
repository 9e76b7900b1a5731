import type { fc } from '@fast-check/vitest';
import {
  createFleet,
  createLatentWorker,
  LatentWorkerCannotSubstantiate,
  type BuildOutcome,
  type BuildResult,
  type Connection,
  type Fleet,
  type FleetEvent,
  type LatentWorker,
  type Lease,
  type Provider,
  type StartContext,
  type StartResult
} from '../../../src/index.js';

export type StartAnswer = 'started' | 'refused' | 'rejects' | 'cannotSubstantiate';
export type BuildAnswer = 'success' | 'failure' | 'throws' | 'dropsConnection';

export interface FleetScript {
  workers: number;
  maxBuilds: number;
  buildWaitTimeout: number;
  maxConcurrentStarts: number;
  maxAttempts: number;
  /** Instances differ by the `kind` property: a build must run on an instance of its kind. */
  kinds: boolean;
  starts: StartAnswer[];
  builds: BuildAnswer[];
}

// The provider's and the builds' real work, named so that a shrunk schedule reads in our words.
async function startInstance(answer: StartAnswer): Promise<StartResult> {
  if (answer === 'refused') return false;
  if (answer === 'rejects') throw new Error('the cloud said no');
  if (answer === 'cannotSubstantiate') throw new LatentWorkerCannotSubstantiate('unknown image');
  return true;
}
async function stopInstance(): Promise<void> {}
async function build(answer: BuildAnswer): Promise<BuildResult> {
  if (answer === 'throws') throw new Error('the build broke');
  return answer === 'failure' ? 'failure' : 'success';
}

/** Answers taken in turn from a script, round and round. */
class Cursor<T> {
  #next = 0;
  constructor(readonly answers: readonly T[]) {}
  take(): T {
    return this.answers[this.#next++ % this.answers.length]!;
  }
}

/**
 * A fleet whose every provider call and build resolves when the fast-check scheduler says so,
 * with ledgers of what the caps and the pairing invariant need: starts in flight across the
 * fleet, builds running per worker, starts and stops per worker.
 */
export class ScheduledFleet {
  readonly fleet: Fleet<Record<string, unknown>>;
  readonly workers: LatentWorker<Record<string, unknown>>[];
  readonly outcomes = new Map<number, BuildOutcome | undefined>();
  readonly events: FleetEvent[] = [];
  readonly violations: string[] = [];
  readonly starts = new Map<string, number>();
  readonly stops = new Map<string, number>();
  startsInFlight = 0;
  readonly #running = new Map<string, number>();
  readonly #handles = new Map<number, { cancel(): void }>();
  readonly #connections = new Map<string, Connection>();
  /** The kind each live instance was started for. */
  readonly #kinds = new Map<string, unknown>();
  readonly #s: fc.Scheduler;
  readonly #script: FleetScript;
  readonly #startAnswers: Cursor<StartAnswer>;
  readonly #buildAnswers: Cursor<BuildAnswer>;

  constructor(s: fc.Scheduler, script: FleetScript) {
    this.#s = s;
    this.#script = script;
    this.#startAnswers = new Cursor(script.starts);
    this.#buildAnswers = new Cursor(script.builds);
    this.workers = Array.from({ length: script.workers }, (_, i) =>
      createLatentWorker({
        name: `w${i}`,
        provider: this.#provider(),
        maxBuilds: script.maxBuilds,
        buildWaitTimeout: script.buildWaitTimeout,
        missingTimeout: 60_000
      })
    );
    this.fleet = createFleet({
      workers: this.workers,
      maxConcurrentStarts: script.maxConcurrentStarts,
      maxAttempts: script.maxAttempts
    });
    this.fleet.events$.subscribe((event) => this.events.push(event));
  }

  submit(workerNames: string[] | undefined, kind = 'a'): number {
    const props = this.#script.kinds ? { kind } : {};
    const handle = this.fleet.submit({
      props,
      ...(workerNames ? { workerNames } : {}),
      run: (lease) => this.#build(lease, props.kind)
    });
    this.outcomes.set(handle.id, undefined);
    void handle.outcome.then((outcome) => {
      if (this.outcomes.get(handle.id) !== undefined)
        this.#violate(`build ${handle.id} settled twice`);
      this.outcomes.set(handle.id, outcome);
    });
    this.#handles.set(handle.id, handle);
    return handle.id;
  }

  cancel(id: number): void {
    this.#handles.get(id)?.cancel();
  }

  /** The instance's agent goes away (a crash, a network cut). */
  disconnect(worker: number): void {
    const w = this.workers[worker % this.workers.length]!;
    const connection = this.#connections.get(w.name);
    if (connection) w.detached(connection);
  }

  #provider(): Provider<Record<string, unknown>> {
    return {
      buildsMayBeIncompatible: this.#script.kinds,
      isCompatibleWithBuild: (props, startedWith) => props.kind === startedWith?.kind,
      startInstance: async (ctx: StartContext<Record<string, unknown>>) => {
        this.#kinds.set(ctx.workerName, ctx.props?.kind);
        this.starts.set(ctx.workerName, (this.starts.get(ctx.workerName) ?? 0) + 1);
        if (++this.startsInFlight > this.#script.maxConcurrentStarts) {
          this.#violate(
            `${this.startsInFlight} starts at once, cap ${this.#script.maxConcurrentStarts}`
          );
        }
        try {
          const answer = this.#startAnswers.take();
          await this.#s.schedule(Promise.resolve(), `startInstance(${answer})`);
          const result = await startInstance(answer);
          if (result !== false) this.#attach(ctx.workerName);
          return result;
        } finally {
          this.startsInFlight--;
        }
      },
      stopInstance: async (ctx) => {
        this.stops.set(ctx.workerName, (this.stops.get(ctx.workerName) ?? 0) + 1);
        await this.#s.schedule(Promise.resolve(), 'stopInstance');
        await stopInstance();
        this.#kinds.delete(ctx.workerName);
        const connection = this.#connections.get(ctx.workerName);
        if (connection) this.#worker(ctx.workerName).detached(connection);
      }
    };
  }

  #attach(name: string): void {
    const connection: Connection = { disconnect: () => undefined };
    this.#connections.set(name, connection);
    try {
      this.#worker(name).attached(connection);
    } catch {
      // refused: the substantiation was cancelled meanwhile
    }
  }

  async #build(lease: Lease<Record<string, unknown>>, kind: unknown): Promise<BuildResult> {
    const name = lease.worker.name;
    if (this.#kinds.get(name) !== kind) {
      this.#violate(
        `a ${String(kind)} build on ${name}, started for ${String(this.#kinds.get(name))}`
      );
    }
    const running = (this.#running.get(name) ?? 0) + 1;
    this.#running.set(name, running);
    if (running > this.#script.maxBuilds)
      this.#violate(`${running} builds on ${name}, max ${this.#script.maxBuilds}`);
    try {
      const answer = this.#buildAnswers.take();
      if (answer === 'dropsConnection') this.disconnect(Number(name.slice(1)));
      await this.#s.schedule(Promise.resolve(), `build(${answer})`);
      return await build(answer);
    } finally {
      this.#running.set(name, (this.#running.get(name) ?? 0) - 1);
    }
  }

  #worker(name: string): LatentWorker<Record<string, unknown>> {
    return this.workers.find((w) => w.name === name)!;
  }

  #violate(message: string): void {
    this.violations.push(message);
  }
}
