/**
 * The error family of latent-workers. Every error the library raises extends
 * {@link LatentWorkerError}, sets `name`, and keeps the underlying failure in `cause`.
 *
 * Instances are branded with a registry symbol so that two copies of the package in one
 * dependency tree still recognise each other's errors (`LatentWorkerError.is(err)`).
 */
const brand = Symbol.for('latent-workers/LatentWorkerError');

export class LatentWorkerError extends Error {
  declare readonly [brand]: true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    Object.defineProperty(this, brand, { value: true });
  }

  /** True for any latent-workers error, from this copy of the package or another. */
  static is(value: unknown): value is LatentWorkerError {
    return typeof value === 'object' && value !== null && brand in value;
  }
}

/**
 * Infrastructure failure while substantiating: the start was refused or threw, the instance
 * crashed before connecting, or it never connected in time (`timedOut`). Quarantines the
 * worker and counts toward pausing; an orchestrator retries the request elsewhere.
 */
export class LatentWorkerFailedToSubstantiate extends LatentWorkerError {
  readonly workerName: string;
  readonly timedOut: boolean;

  constructor(
    workerName: string,
    message: string,
    options?: { cause?: unknown; timedOut?: boolean }
  ) {
    super(`latent worker ${workerName} failed to substantiate: ${message}`, options);
    this.workerName = workerName;
    this.timedOut = options?.timedOut ?? false;
  }
}

/**
 * Thrown by a provider when the request itself is bad (an unknown image, an impossible
 * size): retrying cannot help, so the build fails without quarantining the worker.
 */
export class LatentWorkerCannotSubstantiate extends LatentWorkerError {}

/** Rejects the waiters of a substantiation that `insubstantiate()` or `shutdown()` cancelled. */
export class LatentWorkerSubstantiationCancelled extends LatentWorkerError {}

/** Why a worker refuses new substantiations without touching its provider. */
export type UnavailableReason = 'quarantined' | 'paused';

/** `substantiate()` on a quarantined or paused worker. */
export class LatentWorkerUnavailable extends LatentWorkerError {
  readonly reason: UnavailableReason;
  /** For a quarantine: milliseconds until it ends. */
  readonly retryAfter?: number;

  constructor(workerName: string, reason: UnavailableReason, retryAfter?: number) {
    super(
      reason === 'quarantined'
        ? `latent worker ${workerName} is quarantined for ${retryAfter ?? '?'} ms more`
        : `latent worker ${workerName} is paused`
    );
    this.reason = reason;
    if (retryAfter !== undefined) this.retryAfter = retryAfter;
  }
}

/**
 * The worker's connection went away while something needed it (a remote command, a build):
 * the build ends `retry` and may run elsewhere.
 */
export class LatentWorkerConnectionLost extends LatentWorkerError {}

/** An `attached()` call the lifecycle refused; the connection has been disconnected. */
export class LatentWorkerConnectionRejected extends LatentWorkerError {}
