import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createFleet,
  createLatentWorker,
  LatentWorkerCannotSubstantiate,
  LatentWorkerFailedToSubstantiate,
  LABELS,
  type CheckContext,
  type InstanceRef,
  type Provider,
  type StartContext,
  type StartResult,
  type StopContext
} from '../../src/index.js';
import { createAgentHub, type AgentHub } from '../../src/process.js';
import { ref } from '../support/instances.js';

/**
 * How the conformance suite reaches one provider's backend. Everything the suite asserts about
 * "what is left" it asks the backend itself through `exists`, never the provider under test.
 */
export interface ConformanceHarness<P> {
  /** Runs the real `latent-agent`, which attaches through the hub; false for a fake instance. */
  readonly agent: boolean;
  /** Holds several instances at once. @default true */
  readonly concurrent?: boolean;
  /** Per test, ms: real backends take seconds. */
  readonly timeout?: number;
  /** A provider whose instances dial `hubUrl` and live until they are stopped. */
  provider(hubUrl: string): Provider<P>;
  /** Whether any part of the instance is still there, as the backend tells. */
  exists(provider: Provider<P>, instance: InstanceRef): Promise<boolean>;
  /** Ends the instance behind the provider's back: it is then "already gone". */
  kill(provider: Provider<P>, instance: InstanceRef): Promise<void>;
  /** A provider whose instances die before their agent connects, and what a check must say. */
  dying(hubUrl: string): { provider: Provider<P>; message: RegExp };
  /** A provider and build properties that make a bad request. */
  badRequest(hubUrl: string): { provider: Provider<P>; props?: P };
  /** Resolves once `provider` is part-way through a start (the suite aborts it there). */
  midStart?(provider: Provider<P>, instance: InstanceRef): Promise<void>;
}

/** The `instanceId` a start returned, if it gave one. */
function instanceIdOf(result: StartResult): string | undefined {
  return result && typeof result === 'object' && 'instanceId' in result
    ? result.instanceId
    : undefined;
}

/** A hub URL nobody listens on: the instances of the direct tests never attach. */
const NOWHERE = 'ws://127.0.0.1:9/';

/**
 * The provider contract (`src/providers/provider.ts`, `design/instances.md`) checked on a real
 * backend: what every provider, today's and those to come, must do. Call it at the top level of
 * a test file.
 */
export function describeProviderConformance<P>(name: string, harness: ConformanceHarness<P>): void {
  const owner = `conf-${process.pid}`;
  const timeout = harness.timeout ?? 20_000;
  /** Every instance a test started, with its provider: stopped (fast) after each test. */
  const started: { provider: Provider<P>; instance: InstanceRef }[] = [];
  let generation = 0;
  const instance = (worker = 'w') => ref(worker, ++generation, { owner });
  const startContext = (
    instance: InstanceRef,
    options: { signal?: AbortSignal; props?: P; password?: string } = {}
  ): StartContext<P> => ({
    ...instance,
    password: options.password ?? randomBytes(16).toString('hex'),
    props: options.props,
    signal: options.signal ?? new AbortController().signal
  });
  const stopContext = (instance: InstanceRef, instanceId?: string): StopContext => ({
    ...instance,
    ...(instanceId !== undefined ? { instanceId } : {}),
    fast: false,
    signal: new AbortController().signal
  });
  /** Starts `instance`, tracked for the clean-up; the start's `instanceId`, if it gave one. */
  const start = async (provider: Provider<P>, ctx: StartContext<P>) => {
    started.push({ provider, instance: ctx });
    return instanceIdOf(await provider.startInstance(ctx));
  };

  afterEach(async () => {
    for (const { provider, instance } of started.splice(0)) {
      await Promise.resolve(provider.stopInstance({ ...stopContext(instance), fast: true }));
    }
  });

  describe(`${name} conforms to the provider contract`, () => {
    it(
      'start then stop leaves nothing behind',
      async () => {
        const provider = harness.provider(NOWHERE);
        const a = instance();
        const instanceId = await start(provider, startContext(a));
        expect(await harness.exists(provider, a)).toBe(true);
        await provider.stopInstance(stopContext(a, instanceId));
        expect(await harness.exists(provider, a)).toBe(false);
      },
      timeout
    );

    it(
      'stop is idempotent and tolerates a never-started or already-gone instance',
      async () => {
        const provider = harness.provider(NOWHERE);
        await expect(
          Promise.resolve(provider.stopInstance(stopContext(instance())))
        ).resolves.toBeUndefined();
        const gone = instance();
        const instanceId = await start(provider, startContext(gone));
        await harness.kill(provider, gone);
        expect(await harness.exists(provider, gone)).toBe(false);
        await provider.stopInstance(stopContext(gone, instanceId));
        await provider.stopInstance(stopContext(gone, instanceId));
        const twice = instance();
        const twiceId = await start(provider, startContext(twice));
        await provider.stopInstance(stopContext(twice, twiceId));
        await provider.stopInstance(stopContext(twice, twiceId));
        expect(await harness.exists(provider, twice)).toBe(false);
      },
      timeout
    );

    it(
      'a start issued twice with one instanceName makes one instance',
      async () => {
        const provider = harness.provider(NOWHERE);
        const a = instance();
        const ctx = startContext(a);
        const first = await start(provider, ctx);
        const again = await start(provider, ctx);
        expect(again).toBe(first);
        const listed = await provider.listInstances?.({ labels: a.labels, signal: ctx.signal });
        if (listed) expect(listed.map((one) => one.instanceName)).toEqual([a.instanceName]);
        if (harness.concurrent !== false) {
          // Issued at once, as by two retries racing.
          const b = startContext(instance());
          const [one, two] = await Promise.all([start(provider, b), start(provider, b)]);
          expect(two).toBe(one);
          const both = await provider.listInstances?.({
            labels: { [LABELS.owner]: owner, [LABELS.generation]: b.labels[LABELS.generation]! },
            signal: ctx.signal
          });
          if (both) expect(both).toHaveLength(1);
          await provider.stopInstance(stopContext(b, one));
          expect(await harness.exists(provider, b)).toBe(false);
        }
        await provider.stopInstance(stopContext(a, first));
        expect(await harness.exists(provider, a)).toBe(false);
      },
      timeout
    );

    it(
      'the start honours its signal: aborted before or part-way, nothing is left after the stop',
      async () => {
        const provider = harness.provider(NOWHERE);
        // Whether it refuses or starts and returns, the stop that follows leaves nothing.
        const before = instance();
        const aborted = AbortSignal.abort(new Error('called off'));
        const beforeId = await start(provider, startContext(before, { signal: aborted })).catch(
          () => undefined
        );
        await provider.stopInstance(stopContext(before, beforeId));
        expect(await harness.exists(provider, before)).toBe(false);

        const during = instance();
        const controller = new AbortController();
        const midway = (harness.midStart?.(provider, during) ?? Promise.resolve()).then(() =>
          controller.abort(new Error('called off'))
        );
        const outcome = await start(provider, startContext(during, { signal: controller.signal }))
          .then((instanceId) => ({ instanceId }))
          .catch(() => ({ instanceId: undefined }));
        await midway;
        await provider.stopInstance(stopContext(during, outcome.instanceId));
        expect(await harness.exists(provider, during)).toBe(false);
      },
      timeout
    );

    it(
      'check reports an instance that died before its agent connected, with a useful message',
      async () => {
        const { provider, message } = harness.dying(NOWHERE);
        const a = instance();
        const instanceId = await start(provider, startContext(a));
        const check: CheckContext = {
          ...a,
          ...(instanceId !== undefined ? { instanceId } : {}),
          signal: new AbortController().signal
        };
        const result = await vi.waitFor(
          async () => {
            const result = await provider.checkInstance!(check);
            if (result.isGood) throw new Error('still good');
            return result;
          },
          { timeout: timeout / 2, interval: 50 }
        );
        expect(result.message).toMatch(message);
        await provider.stopInstance(stopContext(a, instanceId));
        expect(await harness.exists(provider, a)).toBe(false);
      },
      timeout
    );

    it(
      'listInstances finds exactly the instances with the given labels',
      async () => {
        const provider = harness.provider(NOWHERE);
        const signal = new AbortController().signal;
        const list = async (labels: Record<string, string>) =>
          (await provider.listInstances!({ labels, signal })).map((one) => one.instanceName).sort();
        const a = instance('list-a');
        const aId = await start(provider, startContext(a));
        const b = harness.concurrent !== false ? instance('list-b') : undefined;
        const bId = b && (await start(provider, startContext(b)));
        expect(await list(a.labels)).toEqual([a.instanceName]);
        expect(await list({ [LABELS.worker]: 'list-a', [LABELS.owner]: owner })).toEqual([
          a.instanceName
        ]);
        expect(await list({ [LABELS.owner]: owner })).toEqual(
          [a.instanceName, ...(b ? [b.instanceName] : [])].sort()
        );
        expect(await list({ [LABELS.owner]: `${owner}-other` })).toEqual([]);
        expect(await list({ ...a.labels, [LABELS.worker]: 'list-c' })).toEqual([]);
        const listed = await provider.listInstances!({ labels: a.labels, signal });
        expect(listed[0]).toMatchObject({ instanceName: a.instanceName, labels: a.labels });
        if (aId !== undefined && listed[0]?.instanceId !== undefined) {
          expect(listed[0].instanceId).toBe(aId);
        }
        await provider.stopInstance(stopContext(a, aId));
        if (b) await provider.stopInstance(stopContext(b, bId));
        expect(await list({ [LABELS.owner]: owner })).toEqual([]);
      },
      timeout
    );

    it(
      "through a worker, stop and check receive the start's instanceId, and a crash is reported",
      async () => {
        const { provider, message } = harness.dying(NOWHERE);
        const calls: { call: string; instanceId: string | undefined }[] = [];
        const recording: Provider<P> = {
          startInstance: async (ctx) => {
            const result = await provider.startInstance(ctx);
            calls.push({ call: 'start', instanceId: instanceIdOf(result) });
            return result;
          },
          stopInstance: (ctx) => {
            calls.push({ call: 'stop', instanceId: ctx.instanceId });
            return provider.stopInstance(ctx);
          },
          checkInstance: (ctx) => {
            calls.push({ call: 'check', instanceId: ctx.instanceId });
            return provider.checkInstance!(ctx);
          }
        };
        const worker = createLatentWorker<P>({
          name: 'crashing',
          owner,
          provider: recording,
          checkInstanceInterval: 50,
          missingTimeout: timeout / 2
        });
        try {
          const failure = await worker.substantiate().catch((error: unknown) => error);
          expect(failure).toBeInstanceOf(LatentWorkerFailedToSubstantiate);
          expect(failure).toMatchObject({ reason: 'crashed' });
          expect((failure as Error).message).toMatch(message);
          await vi.waitFor(() => expect(calls.at(-1)?.call).toBe('stop'), { timeout: timeout / 2 });
        } finally {
          await worker.shutdown();
        }
        const [first, ...rest] = calls;
        expect(first?.call).toBe('start');
        expect(rest.map((call) => call.call)).toContain('check');
        for (const call of rest) expect(call.instanceId).toBe(first?.instanceId);
        expect(await harness.exists(provider, ref('crashing', 1, { owner }))).toBe(false);
      },
      timeout
    );

    // A fake instance has no agent: this one is for providers that run the real one.
    if (harness.agent) {
      it(
        'the real agent attaches through the hub and runs a command through lease.exec',
        async () => {
          const hub: AgentHub = await createAgentHub();
          try {
            const provider = harness.provider(hub.url);
            const worker = createLatentWorker<P>({
              name: 'agent',
              owner,
              provider,
              missingTimeout: timeout / 2
            });
            hub.add(worker);
            const fleet = createFleet<P>({ workers: [worker], sweep: false });
            const build = fleet.submit({
              run: async (lease) => {
                const result = await lease.exec('echo', ['conformance', lease.worker.name]);
                expect(result).toMatchObject({ exitCode: 0, stdout: 'conformance agent\n' });
                return 'success';
              }
            });
            await expect(build.outcome).resolves.toMatchObject({ result: 'success' });
            await fleet.shutdown();
            expect(await harness.exists(provider, ref('agent', 1, { owner }))).toBe(false);
          } finally {
            await hub.close();
          }
        },
        timeout
      );
    }

    it(
      'a bad request is LatentWorkerCannotSubstantiate, and leaves nothing behind',
      async () => {
        const { provider, props } = harness.badRequest(NOWHERE);
        const a = instance();
        const error = await start(
          provider,
          startContext(a, props === undefined ? {} : { props })
        ).catch((error: unknown) => error);
        expect(LatentWorkerCannotSubstantiate.is(error)).toBe(true);
        await provider.stopInstance(stopContext(a));
        expect(await harness.exists(provider, a)).toBe(false);
        // Through a worker: the build fails without quarantine.
        const worker = createLatentWorker<P>({ name: 'bad', owner, provider });
        try {
          await expect(worker.substantiate(props)).rejects.toBeInstanceOf(
            LatentWorkerCannotSubstantiate
          );
          expect(worker.status.availability).toBe('available');
        } finally {
          await worker.shutdown();
        }
      },
      timeout
    );
  });
}
