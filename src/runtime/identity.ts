import { createHash } from 'node:crypto';
import type { InstanceRef } from '../providers/provider.js';

/** The label keys every instance carries (`InstanceRef.labels`). */
export const LABELS = {
  owner: 'latent-workers.io/owner',
  worker: 'latent-workers.io/worker',
  generation: 'latent-workers.io/generation'
} as const;

/** The default `owner`: the namespace of instance names and labels. */
export const DEFAULT_OWNER = 'latent-workers';

/** A DNS label's limit, and the longest generation a start counter can reach. */
const MAX_NAME = 63;
const MAX_GENERATION_DIGITS = String(Number.MAX_SAFE_INTEGER).length;
/** Hex digits of the hash that tells shortened worker names apart (48 bits). */
const HASH_LENGTH = 12;

/** An owner: a short DNS label, so that every instance name built on it fits in 63 characters. */
export const OWNER_PATTERN = /^[a-z](?:(?:[a-z0-9]|-(?!-)){0,28}[a-z0-9])?$/;

/** Worker names used as they are: lowercase words joined by single dashes. */
const CLEAN_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * The instance name of a worker's `generation`-th start: `<owner>-<worker>-<generation>`, a DNS
 * label. A worker name that is not already lowercase words joined by single dashes, or too long
 * to fit, becomes a readable prefix, `--` and a hash of the whole name, so two worker names
 * never share an instance name (names used as they are never contain `--`).
 */
export function instanceName(owner: string, workerName: string, generation: number): string {
  return `${namePrefix(owner, workerName)}-${generation}`;
}

/** `<owner>-<worker>`: what all the instance names of one worker begin with. */
function namePrefix(owner: string, workerName: string): string {
  const room = MAX_NAME - owner.length - 2 - MAX_GENERATION_DIGITS;
  const part =
    CLEAN_NAME.test(workerName) && workerName.length <= room
      ? workerName
      : `${readablePrefix(workerName, room - HASH_LENGTH - 2)}--${hash(workerName)}`;
  return `${owner}-${part}`;
}

/** The labels of a worker's `generation`-th instance. */
export function instanceLabels(
  owner: string,
  workerName: string,
  generation: number
): Readonly<Record<string, string>> {
  return Object.freeze({
    [LABELS.owner]: owner,
    [LABELS.worker]: workerName,
    [LABELS.generation]: String(generation)
  });
}

/**
 * The identities of one worker's instances, made once per generation so that the start, its
 * checks and its stop receive equal (and identical) values.
 */
export class InstanceIdentity {
  readonly #owner: string;
  readonly workerName: string;
  /** Made on the first start, not for every worker created. */
  #prefix: string | undefined;
  #current: InstanceRef | undefined;
  /** Instances a journal holds: their recorded name and labels stand, whatever made them. */
  #recorded: Map<number, InstanceRef> | undefined;

  constructor(owner: string, workerName: string) {
    this.#owner = owner;
    this.workerName = workerName;
  }

  /** The name of the instance of `generation`. */
  nameOf(generation: number): string {
    return (
      this.#recorded?.get(generation)?.instanceName ??
      `${(this.#prefix ??= namePrefix(this.#owner, this.workerName))}-${generation}`
    );
  }

  /** An instance recorded by an earlier process: later calls name it as it was recorded. */
  remember(ref: InstanceRef): void {
    const { workerName, generation, instanceName, labels } = ref;
    (this.#recorded ??= new Map()).set(generation, {
      workerName,
      generation,
      instanceName,
      labels
    });
  }

  /** Who the instance of `generation` is, with the `instanceId` its start returned. */
  of(generation: number, instanceId: string | undefined): InstanceRef {
    const current = this.#current;
    if (current?.generation === generation && current.instanceId === instanceId) return current;
    const { workerName } = this;
    const named =
      current?.generation === generation
        ? current
        : (this.#recorded?.get(generation) ?? {
            instanceName: this.nameOf(generation),
            labels: instanceLabels(this.#owner, workerName, generation)
          });
    const ref: InstanceRef = {
      workerName,
      generation,
      instanceName: named.instanceName,
      labels: named.labels
    };
    if (instanceId !== undefined) ref.instanceId = instanceId;
    this.#current = ref;
    return ref;
  }
}

function readablePrefix(workerName: string, length: number): string {
  return workerName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, Math.max(0, length))
    .replace(/^-+|-+$/g, '');
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, HASH_LENGTH);
}
