import { describe, expect, it } from 'vitest';
import { createAgentHub } from '../../../src/runtime/hub/createAgentHub.js';
import { resolveHubOptions } from '../../../src/runtime/hub/hubOptions.js';

describe('agent hub options', () => {
  it('defaults: loopback, a free port, no TLS, 10 s heartbeats, 1 MiB messages, bounded admission', () => {
    expect(resolveHubOptions({})).toEqual({
      host: '127.0.0.1',
      port: 0,
      advertisedUrl: undefined,
      tls: undefined,
      allowPlaintext: false,
      heartbeatInterval: 10_000,
      maxMessageBytes: 1024 * 1024,
      headerTimeout: 5_000,
      helloTimeout: 10_000,
      maxPendingConnections: 128,
      lockout: { after: 5, base: 1_000, max: 300_000 }
    });
  });

  it.each([
    [{ heartbeatInterval: 0 }, /heartbeatInterval must be a positive number, got 0/],
    [{ maxMessageBytes: Number.NaN }, /maxMessageBytes must be a positive number/],
    [{ helloTimeout: -1 }, /helloTimeout must be a positive number/],
    [{ headerTimeout: Infinity }, /headerTimeout must be a positive number/],
    [{ port: 70_000 }, /port must be 0..65535, got 70000/],
    [{ port: 1.5 }, /port must be 0..65535/],
    [{ host: '' }, /host must be a non-empty string/],
    [{ maxPendingConnections: 0 }, /maxPendingConnections must be a positive integer, got 0/],
    [{ maxPendingConnections: 2.5 }, /maxPendingConnections must be a positive integer/],
    [{ lockout: { after: 0 } }, /lockout.after must be a positive integer/],
    [{ lockout: { base: -1 } }, /lockout.base must be a positive number/],
    [{ lockout: { base: 10, max: 5 } }, /lockout.max \(5\) must not be below lockout.base/],
    [{ advertisedUrl: 'http://hub:80' }, /advertisedUrl must be a ws:\/\/ or wss:\/\/ URL/],
    [{ advertisedUrl: 'not a url' }, /advertisedUrl must be a ws:\/\/ or wss:\/\/ URL/],
    [{ advertisedUrl: 42 }, /advertisedUrl must be a ws:\/\/ or wss:\/\/ URL or a function/],
    [{ tls: {} }, /tls must be \{ key, cert \}/],
    [{ tls: { key: 'k' } }, /tls must be \{ key, cert \}/],
    [{ tls: { selfSigned: true, hostnames: [''] } }, /tls.hostnames must be an array/],
    [{ allowPlaintext: 'yes' }, /allowPlaintext must be a boolean/]
  ])('rejects %o with a TypeError naming it', (options, message) => {
    const resolve = () => resolveHubOptions(options as Parameters<typeof resolveHubOptions>[0]);
    expect(resolve).toThrow(TypeError);
    expect(resolve).toThrow(message);
  });

  it('no password in plain text across a network, unless allowPlaintext', () => {
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'ci.example.com']) {
      expect(() => resolveHubOptions({ host })).toThrow(
        `createAgentHub: host ${host} is not loopback: agents would send their passwords`
      );
      expect(resolveHubOptions({ host, allowPlaintext: true }).host).toBe(host);
      expect(resolveHubOptions({ host, tls: { selfSigned: true } }).host).toBe(host);
    }
    for (const host of ['127.0.0.1', '127.8.9.10', '::1', 'localhost']) {
      expect(resolveHubOptions({ host }).host).toBe(host);
    }
    // A loopback hub advertised as plain ws:// elsewhere (a port forward) is the same risk.
    expect(() => resolveHubOptions({ advertisedUrl: 'ws://10.0.0.2:9000' })).toThrow(
      /advertisedUrl ws:\/\/10.0.0.2:9000 is ws:\/\/ to another machine/
    );
    expect(resolveHubOptions({ advertisedUrl: 'ws://[::1]:9000' }).advertisedUrl).toBe(
      'ws://[::1]:9000'
    );
    // wss:// in front of a plain hub: a proxy that terminates TLS.
    expect(resolveHubOptions({ advertisedUrl: 'wss://ci.example.com/agents' })).toBeDefined();
    expect(() =>
      resolveHubOptions({ tls: { selfSigned: true }, advertisedUrl: 'ws://localhost:1' })
    ).toThrow(/is ws:\/\/ but the hub serves TLS/);
  });

  it('a taken port rejects createAgentHub; a worker name is registered once', async () => {
    const hub = await createAgentHub();
    await expect(createAgentHub({ port: hub.port })).rejects.toThrow(/EADDRINUSE/);
    const worker = { name: 'w1' } as Parameters<typeof hub.add>[0];
    hub.add(worker);
    expect(() => hub.add(worker)).toThrow(/already registered/);
    await hub.close();
  });
});
