import type { LockScope } from './lockout.js';

export type { LockScope } from './lockout.js';

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
 * Why a connection was refused. The agent is told less: an unknown worker and a wrong
 * password get the same close code and reason (`authentication failed`), so that a scanner
 * cannot tell which workers exist; this event is for the operator.
 */
export type RefusalCause =
  /** The first message was not a hello alone, or spoke another protocol version. */
  | 'malformed'
  | 'unknownWorker'
  | 'wrongPassword'
  /** The address or the worker name is locked out after failed authentications: 4429. */
  | 'lockedOut'
  /** Another connection of the worker is alive. */
  | 'duplicate'
  /** The worker's lifecycle refused the attach. */
  | 'rejected'
  | 'helloTimeout'
  /** A frame over `maxMessageBytes` (1009). */
  | 'tooBig'
  /** A WebSocket protocol error (1002). */
  | 'protocolError'
  /** The agent closed the connection before attaching. */
  | 'closed';

/**
 * A connection was closed before or instead of attaching: wrong password, unknown worker,
 * locked out, refused by the lifecycle, duplicate, silent, malformed or oversized first
 * message. Nothing else changed.
 */
export interface AgentRefusedEvent extends HubEventBase {
  type: 'refused';
  /** The worker it claimed to be, when it said so. */
  worker?: string;
  code: number;
  cause: RefusalCause;
  /** What happened, in words; may say more than the close reason the agent got. */
  reason: string;
}

/** An attached agent's connection ended; the worker was told (`detached`). */
export interface AgentDisconnectedEvent extends HubEventBase {
  type: 'disconnected';
  worker: string;
  code: number;
  reason: string;
}

/**
 * A failed authentication locked a remote address or a worker name: the hub refuses its
 * hellos with 4429 (`tryLater`), without checking them, for `duration` ms.
 */
export interface LockedOutEvent extends HubEventBase {
  type: 'lockedOut';
  scope: LockScope;
  /** The address (IP) or the worker name. */
  key: string;
  /** Consecutive failed authentications of the key. */
  failures: number;
  duration: number;
}

/** Why a connection was destroyed before it became a WebSocket. */
export type DropCause =
  /** The oldest of `maxPendingConnections` connections waiting to attach, for a new one. */
  | 'tooManyPending'
  /** No upgrade request within `headerTimeout` of the accept (TLS handshake included). */
  | 'headerTimeout'
  /** A failed TLS handshake, a request that is not HTTP or not an upgrade. */
  | 'badRequest';

/** A connection was destroyed before it became a WebSocket: no hello was read from it. */
export interface ConnectionDroppedEvent extends HubEventBase {
  type: 'dropped';
  cause: DropCause;
}

/** The hub could not accept a connection (`EMFILE`: out of file descriptors); it goes on. */
export interface AcceptFailedEvent {
  type: 'acceptFailed';
  code: string | undefined;
  message: string;
}

export type HubEvent =
  | AgentConnectedEvent
  | AgentRefusedEvent
  | AgentDisconnectedEvent
  | LockedOutEvent
  | ConnectionDroppedEvent
  | AcceptFailedEvent;
