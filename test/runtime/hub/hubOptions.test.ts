import { describe, expect, it } from 'vitest';
import { createAgentHub } from '../../../src/runtime/hub/createAgentHub.js';
import { resolveHubOptions } from '../../../src/runtime/hub/hubOptions.js';

describe('agent hub options', () => {
  it('defaults: loopback, a free port, 10 s heartbeats, 1 MiB messages, 10 s to say hello', () => {
    expect(resolveHubOptions({})).toEqual({
      host: '127.0.0.1',
      port: 0,
      heartbeatInterval: 10_000,
      maxMessageBytes: 1024 * 1024,
      helloTimeout: 10_000
    });
  });

  it.each([
    [{ heartbeatInterval: 0 }, /heartbeatInterval must be a positive number, got 0/],
    [{ maxMessageBytes: Number.NaN }, /maxMessageBytes must be a positive number/],
    [{ helloTimeout: -1 }, /helloTimeout must be a positive number/],
    [{ port: 70_000 }, /port must be 0..65535, got 70000/],
    [{ port: 1.5 }, /port must be 0..65535/]
  ])('rejects %o', (options, message) => {
    expect(() => resolveHubOptions(options)).toThrow(message);
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
