export interface AgentHubOptions {
  /** Interface to listen on. @default '127.0.0.1' (loopback only) */
  host?: string;
  /** 0 picks a free port; read it back from `hub.port`. @default 0 */
  port?: number;
  /** Ping period; two missed pongs end a connection. @default 10_000 */
  heartbeatInterval?: number;
  /** Largest message accepted; a bigger one closes the connection (1009). @default 1 MiB */
  maxMessageBytes?: number;
  /** Time an agent has to say hello after connecting. @default 10_000 */
  helloTimeout?: number;
}

export type ResolvedHubOptions = Required<AgentHubOptions>;

/** Fills in the defaults and rejects bad values with a `TypeError` naming the option. */
export function resolveHubOptions(options: AgentHubOptions): ResolvedHubOptions {
  const resolved = {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    heartbeatInterval: options.heartbeatInterval ?? 10_000,
    maxMessageBytes: options.maxMessageBytes ?? 1024 * 1024,
    helloTimeout: options.helloTimeout ?? 10_000
  };
  const positive = ['heartbeatInterval', 'maxMessageBytes', 'helloTimeout'] as const;
  for (const key of positive) {
    const value = resolved[key];
    if (!Number.isFinite(value) || value <= 0) {
      throw new TypeError(`createAgentHub: ${key} must be a positive number, got ${value}`);
    }
  }
  if (!Number.isInteger(resolved.port) || resolved.port < 0 || resolved.port > 65_535) {
    throw new TypeError(`createAgentHub: port must be 0..65535, got ${resolved.port}`);
  }
  return resolved;
}
