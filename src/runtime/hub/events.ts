interface HubEventBase {
  /** The peer's address and port, e.g. `127.0.0.1:51234`. */
  remote: string;
}

/** An agent authenticated and its worker accepted the connection. */
export interface AgentConnectedEvent extends HubEventBase {
  type: 'connected';
  worker: string;
}

/**
 * A connection was closed before or instead of attaching: wrong password, unknown worker,
 * refused by the lifecycle, duplicate, silent, malformed or oversized first message.
 * Nothing else changed.
 */
export interface AgentRefusedEvent extends HubEventBase {
  type: 'refused';
  /** The worker it claimed to be, when it said so. */
  worker?: string;
  code: number;
  reason: string;
}

/** An attached agent's connection ended; the worker was told (`detached`). */
export interface AgentDisconnectedEvent extends HubEventBase {
  type: 'disconnected';
  worker: string;
  code: number;
  reason: string;
}

export type HubEvent = AgentConnectedEvent | AgentRefusedEvent | AgentDisconnectedEvent;
