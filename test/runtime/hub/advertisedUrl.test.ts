import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { createAgentHub, type AgentHub } from '../../../src/runtime/hub/createAgentHub.js';
import { isLoopback } from '../../../src/protocol.js';

let hub: AgentHub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

/** Whether `port` can be bound again on loopback: nothing was left listening on it. */
async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  const bound = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  await new Promise((resolve) => server.close(resolve));
  return bound;
}

describe('the URL agents dial', () => {
  it('is the advertised string as given, whatever the hub is bound to', async () => {
    hub = await createAgentHub({ advertisedUrl: 'ws://localhost:9999/agents' });
    expect(hub.url).toBe('ws://localhost:9999/agents');
  });

  it('a function receives the bound address', async () => {
    const seen: unknown[] = [];
    hub = await createAgentHub({
      tls: { selfSigned: true },
      advertisedUrl: (address) => {
        seen.push(address);
        return `wss://ci.example.com:${address.port + 1}`;
      }
    });
    expect(seen).toEqual([{ host: '127.0.0.1', port: hub.port }]);
    expect(hub.url).toBe(`wss://ci.example.com:${hub.port + 1}`);
  });

  it('a wildcard bind advertises the host name of this machine, wss with TLS', async () => {
    hub = await createAgentHub({ host: '0.0.0.0', allowPlaintext: true });
    expect(hub.url).toBe(`ws://${hostname()}:${hub.port}`);
    await hub.close();
    hub = await createAgentHub({ host: '::', tls: { selfSigned: true } });
    expect(hub.url).toBe(`wss://${hostname()}:${hub.port}`);
  });

  it('a specific bind is advertised as it is, IPv6 in brackets', async () => {
    hub = await createAgentHub({ host: '::1' });
    expect(hub.url).toBe(`ws://[::1]:${hub.port}`);
  });

  it('a bad function result rejects createAgentHub and leaves nothing listening', async () => {
    let port = 0;
    const creating = createAgentHub({
      advertisedUrl: (address) => ((port = address.port), 'https://ci.example.com')
    });
    await expect(creating).rejects.toThrow(TypeError);
    await expect(creating).rejects.toThrow(/advertisedUrl must be a ws:\/\/ or wss:\/\/ URL/);
    await expect(isFree(port)).resolves.toBe(true);
  });

  it('the plain-text rule holds for a function result too', async () => {
    await expect(createAgentHub({ advertisedUrl: () => 'ws://10.9.8.7:1' })).rejects.toThrow(
      /is ws:\/\/ to another machine/
    );
    await expect(createAgentHub({ host: '0.0.0.0' })).rejects.toThrow(
      /host 0\.0\.0\.0 is not loopback/
    );
  });

  it.each([
    ['127.0.0.1', true],
    ['127.255.0.1', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['LocalHost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.1', false],
    ['128.0.0.1', false],
    ['localhost.example.com', false]
  ])('isLoopback(%s) is %s', (host, loopback) => {
    expect(isLoopback(host)).toBe(loopback);
  });
});
