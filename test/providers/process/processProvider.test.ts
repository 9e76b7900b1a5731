import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProcessProvider } from '../../../src/providers/process/processProvider.js';
import type {
  ProcessEvent,
  ProcessProviderOptions
} from '../../../src/providers/process/processProviderOptions.js';
import type {
  CheckContext,
  InstanceRef,
  StartContext,
  StopContext
} from '../../../src/providers/provider.js';
import { DEFAULT_OWNER, instanceLabels, instanceName } from '../../../src/runtime/identity.js';
import { listenForReports, type Reports } from './reports.js';
import { isAlive, next } from './support.js';

type Props = Record<string, unknown>;

const node = process.execPath;
const hubUrl = 'ws://127.0.0.1:9';

/** Who `workerName`'s `generation`-th instance is, as the engine names it. */
function ref(workerName = 'w1', generation = 1): InstanceRef {
  return {
    workerName,
    generation,
    instanceName: instanceName(DEFAULT_OWNER, workerName, generation),
    labels: instanceLabels(DEFAULT_OWNER, workerName, generation)
  };
}

const never = new AbortController().signal;
const startOf = (instance: InstanceRef, password = 'secret-1'): StartContext<Props> => ({
  ...instance,
  password,
  props: undefined,
  signal: never
});
const stopOf = (instance: InstanceRef, fast = false, signal = never): StopContext => ({
  ...instance,
  fast,
  signal
});
const checkOf = (instance: InstanceRef): CheckContext => ({ ...instance, signal: never });

let reports: Reports;
/** The process groups whose leader has not exited: killed after a test that left them. */
const running = new Set<number>();
beforeEach(async () => {
  reports = await listenForReports();
});
afterEach(async () => {
  for (const group of running) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  running.clear();
  await reports.close();
});

/** A provider whose events are recorded; by default it runs a process that ignores SIGTERM. */
function watched(options: Partial<ProcessProviderOptions<Props>> = {}) {
  const events: ProcessEvent[] = [];
  const provider = new ProcessProvider<Props>({ hubUrl, command: reports.command(), ...options });
  provider.events$.subscribe((event) => {
    events.push(event);
    if (event.type === 'spawned') running.add(event.pid);
    else running.delete(event.pid);
  });
  const spawned = () => events.flatMap((e) => (e.type === 'spawned' ? [e.pid] : []));
  const exits = () => events.filter((e) => e.type === 'exited');
  return { provider, events, spawned, exits };
}

describe('ProcessProvider', () => {
  it("returns its process group leader's pid as instanceId", async () => {
    const { provider, spawned } = watched();
    const result = await provider.startInstance(startOf(ref()));
    const [pid] = spawned();
    expect(result).toEqual({ instanceId: String(pid) });
    expect(provider.pidOf('w1')).toBe(pid);
    expect(() => process.kill(-pid!, 0)).not.toThrow(); // a group of its own, led by pid
    await provider.stopInstance(stopOf(ref(), true));
  });

  it('tags the process with the connection details and the instance name and labels', async () => {
    const { provider } = watched({ env: { LATENT_EXTRA: 'x', LATENT_INSTANCE_NAME: 'no' } });
    const instance = ref('w1', 3);
    const { instanceId } = await provider.startInstance(startOf(instance, 'secret-3'));
    const [report] = await reports.setUp();
    expect(report).toEqual({
      pid: Number(instanceId),
      env: {
        LATENT_EXTRA: 'x',
        LATENT_HUB_URL: hubUrl,
        LATENT_WORKER_NAME: 'w1',
        LATENT_WORKER_PASSWORD: 'secret-3',
        LATENT_INSTANCE_NAME: 'latent-workers-w1-3',
        LATENT_LABELS: JSON.stringify(instance.labels)
      }
    });
    expect(JSON.parse(report!.env!.LATENT_LABELS!)).toEqual({
      'latent-workers.io/owner': 'latent-workers',
      'latent-workers.io/worker': 'w1',
      'latent-workers.io/generation': '3'
    });
    await provider.stopInstance(stopOf(instance, true));
  });

  it('hands a hub fingerprint to the instance as LATENT_HUB_FINGERPRINT', async () => {
    const hubFingerprint = Array(32).fill('AB').join(':');
    const { provider } = watched({ hubUrl: 'wss://hub.example:9000', hubFingerprint });
    await provider.startInstance(startOf(ref()));
    const [report] = await reports.setUp();
    expect(report!.env).toMatchObject({
      LATENT_HUB_URL: 'wss://hub.example:9000',
      LATENT_HUB_FINGERPRINT: hubFingerprint
    });
    await provider.stopInstance(stopOf(ref(), true));
  });

  it('reports the process good while it runs, bad once stopped', async () => {
    const { provider } = watched();
    await provider.startInstance(startOf(ref()));
    expect(provider.checkInstance(checkOf(ref()))).toEqual({ isGood: true });
    await provider.stopInstance(stopOf(ref(), true));
    expect(provider.checkInstance(checkOf(ref()))).toEqual({
      isGood: false,
      message: `no process for ${ref().instanceName}`
    });
  });

  it('stop sends SIGTERM, SIGKILL after the grace, and resolves when the process is gone', async () => {
    const grace = 300;
    const { provider, spawned, exits } = watched({ stopGracePeriod: grace });
    await provider.startInstance(startOf(ref()));
    await reports.setUp();
    const began = Date.now();
    await provider.stopInstance(stopOf(ref()));
    expect(Date.now() - began).toBeGreaterThanOrEqual(grace - 10);
    const [pid] = spawned();
    expect(isAlive(pid!)).toBe(false);
    expect(exits()).toEqual([
      {
        type: 'exited',
        worker: 'w1',
        instanceName: ref().instanceName,
        pid,
        exitCode: null,
        signal: 'SIGKILL'
      }
    ]);
    expect(provider.pidOf('w1')).toBeUndefined();
  });

  it('a fast stop kills at once', async () => {
    const { provider, spawned, exits } = watched({ stopGracePeriod: 60_000 });
    await provider.startInstance(startOf(ref()));
    await reports.setUp();
    await provider.stopInstance(stopOf(ref(), true));
    expect(isAlive(spawned()[0]!)).toBe(false);
    expect(exits()).toMatchObject([{ signal: 'SIGKILL' }]);
  });

  it('a process that honours SIGTERM ends without waiting for the grace period', async () => {
    const { provider, exits } = watched({
      stopGracePeriod: 60_000,
      command: [node, '-e', 'setInterval(() => {}, 1000)']
    });
    await provider.startInstance(startOf(ref()));
    await provider.stopInstance(stopOf(ref()));
    expect(exits()).toMatchObject([{ signal: 'SIGTERM' }]);
  });

  it('a stop whose signal aborts while the process ignores SIGTERM kills its group at once', async () => {
    const { provider, spawned, exits } = watched({
      stopGracePeriod: 60_000,
      command: reports.command(1)
    });
    await provider.startInstance(startOf(ref()));
    const members = (await reports.setUp(2)).map((report) => report.pid);
    expect(members).toContain(spawned()[0]);

    const deadline = new AbortController();
    const stopped = provider.stopInstance(stopOf(ref(), false, deadline.signal));
    await reports.ignored(2); // the leader's and its child's
    const began = Date.now();
    deadline.abort();
    await expect(stopped).resolves.toBeUndefined();
    expect(exits()).toMatchObject([{ signal: 'SIGKILL' }]);
    await reports.gone(members); // the leader is reaped; its child dies of the same SIGKILL
    expect(Date.now() - began).toBeLessThan(2_000); // not the minute of the grace period
    expect(provider.pidOf('w1')).toBeUndefined();
  });

  // Found by their environment in /proc: Linux only (elsewhere the leader's group only).
  it.runIf(process.platform === 'linux')(
    "a stop ends the instance's processes in other groups, also once the leader is gone",
    async () => {
      // The leader starts a reporting process in a group of its own, as the agent does a command.
      const [reporter, ...args] = reports.command(1);
      const leader = `require('child_process').spawn(${JSON.stringify(reporter)}, ${JSON.stringify(args)}, { detached: true, stdio: 'ignore' }); setInterval(() => {}, 1000)`;
      const { provider, spawned } = watched({
        stopGracePeriod: 300,
        command: [node, '-e', leader]
      });
      // The same instance name under another hub: another orchestrator's, left alone.
      const other = watched({ hubUrl: 'ws://127.0.0.1:10' }).provider;
      await provider.startInstance(startOf(ref()));
      const members = (await reports.setUp(2)).map((report) => report.pid);
      await other.startInstance(startOf(ref()));
      const [bystander] = await reports.setUp(3).then((all) => all.slice(2));
      process.kill(spawned()[0]!, 'SIGKILL');
      const gone = reports.gone(members);
      await provider.stopInstance(stopOf(ref()));
      await expect(reports.ignored(2)).resolves.toHaveLength(2); // SIGTERM, then SIGKILL
      await gone;
      expect(isAlive(bystander!.pid)).toBe(true);
      await other.stopInstance(stopOf(ref(), true));
    }
  );

  it('a start issued twice for one instance name adopts its process', async () => {
    const { provider, spawned } = watched();
    const [first, second] = await Promise.all([
      provider.startInstance(startOf(ref())),
      provider.startInstance(startOf(ref()))
    ]);
    const third = await provider.startInstance(startOf(ref()));
    expect(spawned()).toHaveLength(1);
    const instanceId = String(spawned()[0]);
    expect([first, second, third]).toEqual(Array(3).fill({ instanceId }));
    await provider.stopInstance(stopOf(ref(), true));
    expect(isAlive(Number(instanceId))).toBe(false);
  });

  it('a start for an instance whose process has exited spawns it anew', async () => {
    const { provider, spawned } = watched({ command: [node, '-e', ''] });
    const exited = next(provider.events$, (e) => e.type === 'exited');
    const first = await provider.startInstance(startOf(ref()));
    await exited;
    const second = await provider.startInstance(startOf(ref()));
    expect(spawned()).toHaveLength(2);
    expect([first, second]).toEqual(spawned().map((pid) => ({ instanceId: String(pid) })));
    await provider.stopInstance(stopOf(ref(), true));
  });

  it('stopping an unknown, never started or already gone instance succeeds, also twice', async () => {
    const { provider, events } = watched({ command: [node, '-e', ''] });
    await expect(provider.stopInstance(stopOf(ref('w9')))).resolves.toBeUndefined();

    const unspawnable = watched({ command: ['/nonexistent/latent-agent'] }).provider;
    await expect(unspawnable.startInstance(startOf(ref()))).rejects.toThrow(/ENOENT/);
    await expect(unspawnable.stopInstance(stopOf(ref()))).resolves.toBeUndefined();

    const exited = next(provider.events$, (e) => e.type === 'exited');
    await provider.startInstance(startOf(ref()));
    await exited;
    await expect(provider.stopInstance(stopOf(ref()))).resolves.toBeUndefined();
    await expect(provider.stopInstance(stopOf(ref()))).resolves.toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(['spawned', 'exited']);
  });

  it("two workers' instances do not interfere", async () => {
    const { provider } = watched();
    const [one, two] = [ref('w1'), ref('w2')];
    const ids = [
      await provider.startInstance(startOf(one)),
      await provider.startInstance(startOf(two))
    ];
    const [w1, w2] = ids.map(({ instanceId }) => Number(instanceId));
    expect(w1).not.toBe(w2);
    expect([provider.pidOf('w1'), provider.pidOf('w2')]).toEqual([w1, w2]);
    const names = Object.fromEntries(
      (await reports.setUp(2)).map((report) => [report.pid, report.env!.LATENT_INSTANCE_NAME])
    );
    expect(names).toEqual({ [w1!]: one.instanceName, [w2!]: two.instanceName });

    await provider.stopInstance(stopOf(one, true));
    expect(isAlive(w1!)).toBe(false);
    expect(isAlive(w2!)).toBe(true);
    expect(provider.checkInstance(checkOf(one)).isGood).toBe(false);
    expect(provider.checkInstance(checkOf(two))).toEqual({ isGood: true });
    expect([provider.pidOf('w1'), provider.pidOf('w2')]).toEqual([undefined, w2]);
    await provider.stopInstance(stopOf(two, true));
    expect(isAlive(w2!)).toBe(false);
  });

  it('without stateDir, lists its own instances that run and carry the labels', async () => {
    const { provider } = watched();
    const [one, two] = [ref('w1'), ref('w2')];
    const ids = [
      await provider.startInstance(startOf(one)),
      await provider.startInstance(startOf(two))
    ].map(({ instanceId }) => instanceId);
    const list = (labels: Record<string, string>) =>
      provider.listInstances({ labels, signal: never });
    const listed = (instance: InstanceRef, instanceId: string | undefined) => ({
      instanceName: instance.instanceName,
      instanceId,
      labels: instance.labels,
      createdAt: expect.any(Number) as number
    });
    expect(await list({ 'latent-workers.io/owner': DEFAULT_OWNER })).toEqual([
      listed(one, ids[0]),
      listed(two, ids[1])
    ]);
    expect(await list({ 'latent-workers.io/worker': 'w2' })).toEqual([listed(two, ids[1])]);
    expect(await list({ 'latent-workers.io/owner': 'someone-else' })).toEqual([]);
    await provider.stopInstance(stopOf(one, true));
    expect(await list({})).toEqual([listed(two, ids[1])]);
    await provider.stopInstance(stopOf(two, true));
    expect(await list({})).toEqual([]);
  });

  it('an early exit is reported with its code and the last lines of stderr', async () => {
    const { provider } = watched({
      stderrLines: 2,
      command: [node, '-e', 'console.error("one\\ntwo\\nthree\\nfour"); process.exit(5)']
    });
    const exited = next(provider.events$, (e) => e.type === 'exited');
    await provider.startInstance(startOf(ref(), 'pw'));
    await exited;
    const result = provider.checkInstance(checkOf(ref()));
    expect(result.isGood).toBe(false);
    expect(result.message).toMatch(/^process \d+ exited with code 5: three\nfour$/);
  });
});
