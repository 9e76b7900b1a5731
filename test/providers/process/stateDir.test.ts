import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  InstanceRecords,
  type InstanceRecord
} from '../../../src/providers/process/instanceRecords.js';
import { identityOf } from '../../../src/providers/process/processIdentity.js';
import { ProcessProvider } from '../../../src/providers/process/processProvider.js';
import type { ProcessEvent } from '../../../src/providers/process/processProviderOptions.js';
import type {
  InstanceRef,
  ListedInstance,
  StartContext,
  StopContext
} from '../../../src/providers/provider.js';
import { instanceLabels, instanceName, LABELS } from '../../../src/runtime/identity.js';
import { within } from '../../agent/program.js';
import { builtPackage } from '../../support/builtPackage.js';
import { listenForReports, type Reports } from './reports.js';
import { isAlive } from './support.js';

// Building the package takes seconds on a busy machine: once per file, outside the tests' timeout.
beforeAll(() => void builtPackage(), 120_000);

type Props = Record<string, unknown>;

const node = process.execPath;
/** Where a crashed orchestrator's hub was, and where the one after it is. */
const oldHub = 'ws://127.0.0.1:9';
const newHub = 'ws://127.0.0.1:10';
const never = new AbortController().signal;
const anyNumber = expect.any(Number) as number;

/** `owner`'s worker `workerName`'s first instance. */
function ref(owner: string, workerName = 'w1'): InstanceRef {
  return {
    workerName,
    generation: 1,
    instanceName: instanceName(owner, workerName, 1),
    labels: instanceLabels(owner, workerName, 1)
  };
}
/** The instance `listInstances` reported, as the orphan sweep would stop it. */
function refOf({ instanceName, labels, instanceId }: ListedInstance): InstanceRef {
  const [workerName = '', generation] = [labels[LABELS.worker], labels[LABELS.generation]];
  return { workerName, generation: Number(generation), instanceName, labels, instanceId };
}
const stopOf = (instance: InstanceRef, fast = false): StopContext => ({
  ...instance,
  fast,
  signal: never
});
const startOf = (instance: InstanceRef, password: string): StartContext<Props> => ({
  ...instance,
  password,
  props: undefined,
  signal: never
});
const ofOwner = (owner: string, more: Record<string, string> = {}) => ({
  labels: { [LABELS.owner]: owner, ...more },
  signal: never
});

let scratch: string;
let stateDir: string;
let reports: Reports;
/** Process groups a failed test may leave: killed after it. */
const leftovers = new Set<number>();
beforeEach(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'latent-state-'));
  stateDir = join(scratch, 'state', 'instances'); // made by the provider
  reports = await listenForReports();
});
afterEach(async () => {
  for (const group of leftovers) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // gone
    }
  }
  leftovers.clear();
  await reports.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** A provider of a later orchestrator process: its hub on another port. */
function later(options: { stopGracePeriod?: number } = {}): ProcessProvider<Props> {
  return new ProcessProvider<Props>({
    hubUrl: newHub,
    stateDir,
    stopGracePeriod: 2_000,
    ...options
  });
}

/** Writes a record as a crashed orchestrator would have left it. */
function leaveRecord(instance: InstanceRef, fields: Partial<InstanceRecord> = {}): string {
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, `${instance.instanceName}.json`);
  const { workerName, instanceName, labels } = instance;
  const record: InstanceRecord = { workerName, instanceName, labels, hubUrl: oldHub, createdAt: 1 };
  writeFileSync(path, JSON.stringify({ ...record, ...fields }));
  return path;
}

interface Started {
  owner: string;
  name: string;
  hubUrl: string;
  pid: number;
}

/** Runs crashingOrchestrator.js with `workers` substantiated, then kills it with SIGKILL. */
async function crashedOrchestrator(workers: Array<{ owner: string; name: string }>) {
  const [pkg] = builtPackage() as [string];
  // The agents must not give up on their hub during the test.
  const env = { LATENT_GIVE_UP_AFTER: '120' };
  const orchestrator = spawn(
    node,
    [
      join(import.meta.dirname, 'crashingOrchestrator.js'),
      ...[pkg, stateDir, JSON.stringify(env), JSON.stringify(workers)]
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] }
  );
  const exited = once(orchestrator, 'exit');
  const [line] = (await within(
    20_000,
    'the agents substantiated',
    once(createInterface(orchestrator.stdout), 'line')
  )) as [string];
  const started = JSON.parse(line) as Started[];
  for (const { pid } of started) leftovers.add(pid);
  orchestrator.kill('SIGKILL');
  await within(5_000, 'the orchestrator dead', exited);
  return { started, orchestrator: orchestrator.pid! };
}

/**
 * Resolves once `count` connections reached `hubUrl`'s port, each cut at once (an agent logs
 * the failed dial to its stderr and dials again after a backoff).
 */
async function redials(hubUrl: string, count: number): Promise<void> {
  let connections = 0;
  const { promise, resolve } = withResolvers();
  const server = createServer((socket) => {
    socket.destroy();
    if (++connections === count) resolve();
  });
  const { hostname, port } = new URL(hubUrl);
  await new Promise<void>((listening) => server.listen(Number(port), hostname, listening));
  await promise;
  await new Promise((closed) => server.close(closed));
}

function withResolvers() {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe.runIf(process.platform === 'linux')('ProcessProvider({ stateDir })', () => {
  it('a later process lists and stops exactly what a SIGKILLed orchestrator left running', async () => {
    // Arrange: four agents of an orchestrator killed with SIGKILL
    const { started, orchestrator } = await crashedOrchestrator([
      { owner: 'alpha', name: 'w1' },
      { owner: 'alpha', name: 'w2' },
      { owner: 'alpha', name: 'w3' },
      { owner: 'beta', name: 'w1' }
    ]);
    const [w1, w2, w3, beta] = started as [Started, Started, Started, Started];
    // Each agent outlives it: it dials again after a dial it failed and logged to its stderr,
    // a broken pipe now (its group and session are its own, so the kill did not reach it).
    await within(10_000, 'redials', Promise.all(started.map(({ hubUrl }) => redials(hubUrl, 2))));
    expect(started.map(({ pid }) => isAlive(pid))).toEqual([true, true, true, true]);
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    const w1Path = join(stateDir, `${ref('alpha').instanceName}.json`);
    expect(statSync(w1Path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(w1Path, 'utf8'))).toEqual({
      ...ref('alpha'),
      generation: undefined,
      hubUrl: w1.hubUrl,
      createdAt: anyNumber,
      leader: identityOf(w1.pid),
      writer: { ...identityOf(w1.pid), pid: orchestrator, startTime: anyNumber }
    });
    // One instance ended on its own meanwhile: its record leads to nothing.
    process.kill(w3.pid, 'SIGKILL');
    await expect.poll(() => isAlive(w3.pid), { timeout: 5_000, interval: 20 }).toBe(false);

    // Act: a provider of a later process, on another hub URL
    const provider = later();
    const alpha = await provider.listInstances(ofOwner('alpha'));

    // Assert
    const listed = ({ owner, name, pid }: Started) => ({
      instanceName: instanceName(owner, name, 1),
      instanceId: String(pid),
      labels: instanceLabels(owner, name, 1),
      createdAt: expect.any(Number) as number
    });
    expect(alpha).toHaveLength(2);
    expect(alpha).toEqual(expect.arrayContaining([listed(w1), listed(w2)]));
    expect(existsSync(join(stateDir, `${ref('alpha', 'w3').instanceName}.json`))).toBe(false);
    expect(await provider.listInstances(ofOwner('alpha', { [LABELS.worker]: 'w2' }))).toEqual([
      listed(w2)
    ]);
    expect(await provider.listInstances(ofOwner('beta'))).toEqual([listed(beta)]);

    await Promise.all(alpha.map((instance) => provider.stopInstance(stopOf(refOf(instance)))));
    expect([isAlive(w1.pid), isAlive(w2.pid), isAlive(beta.pid)]).toEqual([false, false, true]);
    expect(await provider.listInstances(ofOwner('alpha'))).toEqual([]);
    expect(readdirSync(stateDir)).toEqual([`${ref('beta').instanceName}.json`]);

    await provider.stopInstance(stopOf(ref('beta')));
    expect(isAlive(beta.pid)).toBe(false);
    expect(readdirSync(stateDir)).toEqual([]);
    expect(await provider.listInstances({ labels: {}, signal: never })).toEqual([]);
  });

  it('a record whose pid now names another process neither lists it nor kills its group', async () => {
    // Arrange: the pid and group of a live bystander, and the test runner's own pid, with
    // start times of processes that ended since (their pids handed out again)
    const bystander = spawn(node, ['-e', 'setInterval(() => {}, 1000)'], {
      detached: true,
      stdio: 'ignore',
      env: { PATH: process.env.PATH ?? '' }
    });
    await once(bystander, 'spawn');
    const pid = bystander.pid!;
    leftovers.add(pid);
    const [reused, ours] = [identityOf(pid)!, identityOf(process.pid)!];
    // Written by a live process (this one): listed or not, kept.
    const writer = ours;
    const paths = [
      leaveRecord(ref('test', 'w1'), {
        leader: { ...reused, startTime: reused.startTime - 1 },
        writer
      }),
      leaveRecord(ref('test', 'w2'), { leader: { ...ours, startTime: ours.startTime + 1 }, writer })
    ];
    const provider = later({ stopGracePeriod: 60_000 });

    // Act, Assert
    expect(await provider.listInstances(ofOwner('test'))).toEqual([]);
    expect(paths.map((path) => existsSync(path))).toEqual([true, true]);
    await provider.stopInstance(stopOf(ref('test', 'w1')));
    await provider.stopInstance(stopOf(ref('test', 'w2')));
    expect(isAlive(pid)).toBe(true);
    expect(() => process.kill(-pid, 0)).not.toThrow();
    expect(bystander.exitCode).toBeNull();
    expect(paths.map((path) => existsSync(path))).toEqual([false, false]);
  });

  it('a record written before its spawn leads to the processes with its name and recorded hub URL', async () => {
    // Arrange: the writer died between the record and the spawn's; the instance's processes
    // run, and a bystander carries its name under another hub URL
    const instance = ref('test');
    const path = leaveRecord(instance);
    const [reporter, ...args] = reports.command();
    const tagged = (hubUrl: string) => {
      const env = { PATH: process.env.PATH ?? '', LATENT_INSTANCE_NAME: instance.instanceName };
      const child = spawn(reporter!, args, {
        detached: true,
        stdio: 'ignore',
        env: { ...env, LATENT_HUB_URL: hubUrl }
      });
      leftovers.add(child.pid!);
      return child.pid!;
    };
    const [orphan, bystander] = [tagged(oldHub), tagged('ws://127.0.0.1:11')];
    await within(5_000, 'set up', reports.setUp(2));
    const provider = later({ stopGracePeriod: 300 });

    // Act, Assert
    expect(await provider.listInstances(ofOwner('test'))).toEqual([
      { instanceName: instance.instanceName, labels: instance.labels, createdAt: 1 }
    ]);
    const gone = reports.gone([orphan]);
    await provider.stopInstance(stopOf(instance));
    await within(1_000, 'SIGTERM first', reports.ignored(1));
    await within(1_000, 'the orphan gone', gone);
    expect(isAlive(bystander)).toBe(true);
    expect(existsSync(path)).toBe(false);
    expect(await provider.listInstances(ofOwner('test'))).toEqual([]);
  });

  it('writes each record whole: a reader sees the old record or the new one, never a part', async () => {
    // Arrange: a record of a megabyte, many pages per write
    const records = new InstanceRecords(stateDir);
    const { workerName, instanceName, labels } = ref('test');
    const filler = 'x'.repeat(1 << 20);
    const record = (n: number): InstanceRecord => ({
      workerName,
      instanceName,
      labels: { ...labels, filler },
      hubUrl: oldHub,
      createdAt: n
    });
    await records.write(record(0));
    const path = join(stateDir, `${instanceName}.json`);

    // Act: 30 writes while a reader reads the file again and again
    let writing = true;
    const seen: number[] = [];
    const reader = (async () => {
      while (writing) {
        const text = await readFile(path, 'utf8');
        seen.push(
          (() => {
            try {
              return (JSON.parse(text) as InstanceRecord).createdAt;
            } catch {
              return -1; // a part
            }
          })()
        );
      }
    })();
    for (let n = 1; n <= 30; n++) await records.write(record(n));
    writing = false;
    await reader;

    // Assert
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((n) => n < 0)).toEqual([]);
    expect(readdirSync(stateDir)).toEqual([`${instanceName}.json`]); // no temporary file left
    expect(await records.read(instanceName)).toEqual(record(30));
  });

  it('a stop of an instance never started and never recorded succeeds', async () => {
    const provider = later();
    await expect(provider.stopInstance(stopOf(ref('test', 'never')))).resolves.toBeUndefined();
    await expect(provider.stopInstance(stopOf(ref('test', 'never')))).resolves.toBeUndefined();
    expect(await provider.listInstances({ labels: {}, signal: never })).toEqual([]);
    expect(readdirSync(stateDir)).toEqual([]);
  });

  it('a start for a name left running adopts it if it dials this hub so, and replaces it otherwise', async () => {
    const idle = [node, '-e', 'setInterval(() => {}, 1000)'];
    const instance = ref('test');
    const provider = (hubUrl: string) => {
      const events: ProcessEvent[] = [];
      const made = new ProcessProvider<Props>({ hubUrl, stateDir, command: idle });
      made.events$.subscribe((event) => {
        events.push(event);
        if (event.type === 'spawned') leftovers.add(event.pid);
      });
      return { provider: made, events };
    };
    const first = provider(oldHub).provider;
    const { instanceId } = await first.startInstance(startOf(instance, 'pw'));

    // The same hub URL and password (a restart that kept its port, passwords derived from a
    // journal's secret): its agent can attach, adopted.
    const same = provider(oldHub);
    await expect(same.provider.startInstance(startOf(instance, 'pw'))).resolves.toEqual({
      instanceId
    });
    expect(same.events).toEqual([]);
    expect(same.provider.checkInstance({ ...instance, signal: never })).toEqual({ isGood: true });

    // Another hub URL: it would dial a hub that is gone; ended first, then spawned anew.
    const moved = provider(newHub);
    const replaced = await moved.provider.startInstance(startOf(instance, 'pw'));
    expect(replaced.instanceId).not.toBe(instanceId);
    expect(moved.events.map((event) => event.type)).toEqual(['spawned']);
    expect(isAlive(Number(instanceId))).toBe(false);
    expect(same.provider.checkInstance({ ...instance, signal: never })).toEqual({
      isGood: false,
      message: `process ${instanceId}, adopted from an earlier orchestrator, is gone`
    });
    const record = JSON.parse(
      readFileSync(join(stateDir, `${instance.instanceName}.json`), 'utf8')
    ) as InstanceRecord;
    expect(record).toMatchObject({ hubUrl: newHub, leader: { pid: Number(replaced.instanceId) } });

    await moved.provider.stopInstance(stopOf(instance, true));
    expect(isAlive(Number(replaced.instanceId))).toBe(false);
    expect(readdirSync(stateDir)).toEqual([]);
  });
});
