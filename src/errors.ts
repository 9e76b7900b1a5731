/**
 * The error family of latent-workers. Every error the library raises extends
 * {@link LatentWorkerError}, sets `name`, and keeps the underlying failure in `cause`.
 *
 * Each class brands its instances (and those of its subclasses) with a registry symbol of its
 * own, so that `X.is(error)` recognises an error thrown by another copy of the package in the
 * same process (a provider package with its own dependency), where `instanceof` cannot.
 */
// One registry symbol per class; declared on instances too, so that the classes are also
// distinct types (structurally they would all be `Error`).
const errorBrand: unique symbol = Symbol.for('latent-workers/LatentWorkerError');
const failedBrand: unique symbol = Symbol.for('latent-workers/LatentWorkerFailedToSubstantiate');
const cannotBrand: unique symbol = Symbol.for('latent-workers/LatentWorkerCannotSubstantiate');
const cancelledBrand: unique symbol = Symbol.for(
  'latent-workers/LatentWorkerSubstantiationCancelled'
);
const unavailableBrand: unique symbol = Symbol.for('latent-workers/LatentWorkerUnavailable');
const lostBrand: unique symbol = Symbol.for('latent-workers/LatentWorkerConnectionLost');
const rejectedBrand: unique symbol = Symbol.for('latent-workers/LatentWorkerConnectionRejected');
const journalBrand: unique symbol = Symbol.for('latent-workers/LatentWorkerJournalError');

export class LatentWorkerError extends Error {
  /** The registry symbol that marks instances of this class, from any copy of the package. */
  static readonly brand: symbol = errorBrand;
  declare readonly [errorBrand]: true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    for (let c: unknown = new.target; c !== Error; c = Object.getPrototypeOf(c)) {
      if (Object.hasOwn(c as object, 'brand')) {
        Object.defineProperty(this, (c as typeof LatentWorkerError).brand, { value: true });
      }
    }
  }

  /**
   * True for an instance of this class or of a subclass, from this copy of the package or
   * another. Call it on the class you mean: `LatentWorkerCannotSubstantiate.is(error)`.
   */
  static is<T extends LatentWorkerError>(
    this: (abstract new (...args: never[]) => T) & { readonly brand: symbol },
    value: unknown
  ): value is T {
    if (typeof value !== 'object' || value === null) return false;
    // A user's subclass without a brand of its own is told apart by `instanceof` only.
    if (!Object.hasOwn(this, 'brand')) return value instanceof this;
    return (value as Record<symbol, unknown>)[this.brand] === true;
  }
}

/** Why a substantiation failed for infrastructure reasons (`LatentWorkerFailedToSubstantiate`). */
export type FailureReason =
  /** `startInstance` returned `false`. */
  | 'refused'
  /** `startInstance` returned something the contract does not allow (a provider bug). */
  | 'invalidResult'
  /** `startInstance` threw (any error but `LatentWorkerCannotSubstantiate`). */
  | 'threw'
  /** The health check said the instance is not good, or threw, before it connected. */
  | 'crashed'
  /** The instance did not connect within `missingTimeout` of the request. */
  | 'timedOut'
  /** The orchestrator could not take the instance's connection into use. */
  | 'attachRejected'
  /** The request's deadline passed while the previous instance was still being stopped. */
  | 'stopping';

/**
 * Infrastructure failure while substantiating: the start was refused or threw, the instance
 * crashed before connecting, or it never connected in time (`timedOut`). Quarantines the
 * worker and counts toward pausing (except `reason: 'stopping'`: the worker never got to
 * start); an orchestrator retries the request elsewhere.
 */
export class LatentWorkerFailedToSubstantiate extends LatentWorkerError {
  static override readonly brand: symbol = failedBrand;
  declare readonly [failedBrand]: true;
  readonly workerName: string;
  /** The request's deadline passed (`reason` is `timedOut` or `stopping`). */
  readonly timedOut: boolean;
  readonly reason: FailureReason;

  constructor(
    workerName: string,
    message: string,
    options?: { cause?: unknown; reason?: FailureReason }
  ) {
    super(`latent worker ${workerName} failed to substantiate: ${message}`, options);
    this.workerName = workerName;
    this.reason = options?.reason ?? 'threw';
    this.timedOut = this.reason === 'timedOut' || this.reason === 'stopping';
  }
}

/**
 * Thrown by a provider when the request itself is bad (an unknown image, an impossible
 * size): retrying cannot help, so the build fails without quarantining the worker.
 */
export class LatentWorkerCannotSubstantiate extends LatentWorkerError {
  static override readonly brand: symbol = cannotBrand;
  declare readonly [cannotBrand]: true;
}

/** Who called a substantiation off (`LatentWorkerSubstantiationCancelled`). */
export type CancelledBy = 'caller' | 'insubstantiate' | 'shutdown';

/** Rejects the waiters of a substantiation that `insubstantiate()` or `shutdown()` cancelled. */
export class LatentWorkerSubstantiationCancelled extends LatentWorkerError {
  static override readonly brand: symbol = cancelledBrand;
  declare readonly [cancelledBrand]: true;
  /** `caller`: this caller's signal aborted; otherwise the call that cancelled it. */
  readonly by: CancelledBy;

  constructor(message: string, options?: { cause?: unknown; by?: CancelledBy }) {
    super(message, options);
    this.by = options?.by ?? 'caller';
  }
}

/** Why a worker refuses new substantiations without touching its provider. */
export type UnavailableReason = 'quarantined' | 'paused';

/** `substantiate()` on a quarantined or paused worker. */
export class LatentWorkerUnavailable extends LatentWorkerError {
  static override readonly brand: symbol = unavailableBrand;
  declare readonly [unavailableBrand]: true;
  readonly workerName: string;
  readonly reason: UnavailableReason;
  /** For a quarantine: milliseconds until it ends. */
  readonly retryAfter?: number;

  constructor(workerName: string, reason: UnavailableReason, retryAfter?: number) {
    super(
      reason === 'quarantined'
        ? `latent worker ${workerName} is quarantined for ${retryAfter ?? '?'} ms more`
        : `latent worker ${workerName} is paused`
    );
    this.workerName = workerName;
    this.reason = reason;
    if (retryAfter !== undefined) this.retryAfter = retryAfter;
  }
}

/**
 * The worker's connection went away while something needed it (a remote command, a build):
 * the build ends `retry` and may run elsewhere.
 */
export class LatentWorkerConnectionLost extends LatentWorkerError {
  static override readonly brand: symbol = lostBrand;
  declare readonly [lostBrand]: true;
}

/** An `attached()` call the lifecycle refused; the connection has been disconnected. */
export class LatentWorkerConnectionRejected extends LatentWorkerError {
  static override readonly brand: symbol = rejectedBrand;
  declare readonly [rejectedBrand]: true;
}

/** Why a journal refused (`LatentWorkerJournalError`). */
export type JournalErrorCode =
  /** The file is not a journal, or it is damaged (random bytes, cut short, failed its check). */
  | 'corrupt'
  /** A newer version of latent-workers wrote it: its schema version is above this one's. */
  | 'newerSchema'
  /** The path cannot be created or written: a directory, under a regular file, read-only. */
  | 'unwritable'
  /** Another live process, or another `openJournal` of this one, holds the journal. */
  | 'locked'
  /** The journal was closed. */
  | 'closed';

/**
 * `openJournal` cannot use the file it was given, or a journal was used after `close()`. A
 * journal never answers bad input with an empty journal: the file is left as it was.
 */
export class LatentWorkerJournalError extends LatentWorkerError {
  static override readonly brand: symbol = journalBrand;
  declare readonly [journalBrand]: true;
  readonly code: JournalErrorCode;

  constructor(code: JournalErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
