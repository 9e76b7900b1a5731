import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { connect, type PeerCertificate } from 'node:tls';
import { generate } from 'selfsigned';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../src/agent/agent.js';
import {
  createAgentHub,
  createLatentWorker,
  isCommandRunner,
  ProcessProvider,
  type AgentHub,
  type LatentWorker
} from '../../../src/index.js';
import { builtAgent } from './builtAgent.js';
import { hubWorld, realAgent, type HubWorld } from './support.js';

// Compiling the agent takes seconds on a busy machine: once per file, outside the tests' timeout.
beforeAll(() => void builtAgent(), 120_000);

let world: HubWorld | undefined;
let agent: Agent | undefined;
let hub: AgentHub | undefined;
let worker: LatentWorker | undefined;
afterEach(async () => {
  await agent?.stop();
  await worker?.shutdown();
  await world?.close();
  await hub?.close();
  world = agent = hub = worker = undefined;
});

/** The certificate a TLS client is shown at `url`. */
function servedCertificate(url: string): Promise<PeerCertificate> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: hostname, port: Number(port), rejectUnauthorized: false },
      () => {
        resolve(socket.getPeerCertificate());
        socket.destroy();
      }
    );
    socket.on('error', reject);
  });
}

const FINGERPRINT = /^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/;

describe('agent hub over TLS', () => {
  it('a generated certificate: the in-process agent pins it, attaches and runs a command', async () => {
    world = await hubWorld({ tls: { selfSigned: true, hostnames: ['ci.example.com'] } });
    const { url, fingerprint } = world.hub;
    expect(url).toBe(`wss://127.0.0.1:${world.hub.port}`);
    expect(fingerprint).toMatch(FINGERPRINT);
    const served = await servedCertificate(url);
    expect(served.fingerprint256).toBe(fingerprint);
    expect(served.subjectaltname?.split(', ').sort()).toEqual([
      'DNS:ci.example.com',
      'DNS:localhost',
      'IP Address:0:0:0:0:0:0:0:1',
      'IP Address:127.0.0.1'
    ]);

    let runner;
    ({ agent, runner } = await realAgent(world, { fingerprint: fingerprint! }));
    await expect(runner.exec('sh', ['-c', 'echo over tls'])).resolves.toMatchObject({
      exitCode: 0,
      stdout: 'over tls\n'
    });
  });

  it('the built agent, a process given LATENT_HUB_FINGERPRINT, attaches and runs a command', async () => {
    hub = await createAgentHub({ tls: { selfSigned: true } });
    expect(hub.url).toMatch(/^wss:\/\//);
    const provider = new ProcessProvider({
      hubUrl: hub.url,
      command: builtAgent(),
      env: { LATENT_HUB_FINGERPRINT: hub.fingerprint! }
    });
    worker = createLatentWorker({ name: 'w1', provider, missingTimeout: 20_000 });
    hub.add(worker);
    await expect(worker.substantiate()).resolves.toBe(true);
    const connection = worker.connection;
    if (!isCommandRunner(connection)) throw new Error('not a command runner');
    await expect(connection.exec('sh', ['-c', 'echo $0'])).resolves.toMatchObject({
      exitCode: 0,
      stdout: 'sh\n'
    });
  });

  it('a wrong fingerprint: the agent exits 5 and the hub never hears its hello', async () => {
    world = await hubWorld({ tls: { selfSigned: true } });
    const { password, up } = await world.substantiate();
    up.catch(() => undefined); // cancelled by the shutdown after the test
    const [node, main] = builtAgent();
    const child = spawn(node!, [main!], {
      env: {
        PATH: process.env.PATH ?? '',
        LATENT_HUB_URL: world.hub.url,
        LATENT_WORKER_NAME: 'w1',
        LATENT_WORKER_PASSWORD: password,
        LATENT_HUB_FINGERPRINT: world.hub.fingerprint!.replace(/^../, '00')
      },
      stdio: ['ignore', 'ignore', 'pipe']
    });
    let stderr = '';
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(5);
    expect(stderr).toMatch(/the password was not sent/);
    // No hello: no event names a worker, nothing attached or was refused as w1.
    expect(world.hubEvents.filter((e) => 'worker' in e)).toEqual([]);
    expect(world.worker.status).toMatchObject({ state: 'substantiating', connected: false });
  });

  it('a key and certificate of its own: the hub serves them and reports their fingerprint', async () => {
    const { private: key, cert } = await generate([{ name: 'commonName', value: 'own' }], {
      keyType: 'rsa',
      keySize: 2048,
      algorithm: 'sha256'
    });
    hub = await createAgentHub({ tls: { key: Buffer.from(key), cert } });
    const fingerprint = new X509Certificate(cert).fingerprint256;
    expect(hub.fingerprint).toBe(fingerprint);
    expect(hub.url).toBe(`wss://127.0.0.1:${hub.port}`);
    await expect(servedCertificate(hub.url)).resolves.toMatchObject({
      fingerprint256: fingerprint,
      subject: { CN: 'own' }
    });
  });

  it('a key that is not the certificate’s rejects createAgentHub with a TypeError', async () => {
    const [one, other] = await Promise.all(
      [1, 2].map(() => generate(undefined, { keyType: 'ec', algorithm: 'sha256' }))
    );
    await expect(createAgentHub({ tls: { key: one!.private, cert: other!.cert } })).rejects.toThrow(
      /createAgentHub: tls.key and tls.cert: .*key values mismatch/
    );
  });
});
