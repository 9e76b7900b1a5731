import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProcessIdentity } from './processIdentity.js';

/** Record files read in parallel. */
const READ_AT_ONCE = 16;

/**
 * What a stranger (a later orchestrator process) needs to find and stop an instance that a
 * `ProcessProvider` started: one `<instanceName>.json` file in its `stateDir`.
 */
export interface InstanceRecord {
  workerName: string;
  instanceName: string;
  labels: Readonly<Record<string, string>>;
  /** The hub URL the instance was given, `LATENT_HUB_URL` in its processes' environment. */
  hubUrl: string;
  /** Milliseconds since the epoch, when the start began. */
  createdAt: number;
  /**
   * The instance's process group leader; its pid is the group's id. Missing while the spawn is
   * under way, or when the leader was gone before it was recorded.
   */
  leader?: ProcessIdentity;
  /** The orchestrator process that wrote the record: a record of a live one is its business. */
  writer?: ProcessIdentity;
}

/**
 * The instance records of one folder, one file each. A record is written to a file of its own
 * and renamed over the old one, so that a reader (or a crash) never sees half of it. Within
 * this process, the operations on one instance's file run in the order they were asked for.
 */
export class InstanceRecords {
  readonly #dir: string;
  #made: Promise<unknown> | undefined;
  /** The last operation asked for, per instance name. */
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  write(record: InstanceRecord): Promise<void> {
    return this.#inTurn(record.instanceName, async () => {
      await this.#folder();
      const path = this.#path(record.instanceName);
      const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        await writeFile(temporary, `${JSON.stringify(record)}\n`, { mode: 0o600, flag: 'wx' });
        await rename(temporary, path);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
    });
  }

  /** The record of `instanceName`, if there is one. */
  read(instanceName: string): Promise<InstanceRecord | undefined> {
    return this.#inTurn(instanceName, () => readRecord(this.#path(instanceName)));
  }

  /** Every record of the folder. A file that is not a record (a stray, a foreign file) is skipped. */
  async list(): Promise<InstanceRecord[]> {
    await this.#folder();
    const files = (await readdir(this.#dir)).filter((file) => file.endsWith('.json'));
    const records: Array<InstanceRecord | undefined> = [];
    for (let i = 0; i < files.length; i += READ_AT_ONCE) {
      const batch = files.slice(i, i + READ_AT_ONCE);
      records.push(...(await Promise.all(batch.map((file) => readRecord(join(this.#dir, file))))));
    }
    return records.filter((record) => record !== undefined);
  }

  remove(instanceName: string): Promise<void> {
    return this.#inTurn(instanceName, () => rm(this.#path(instanceName), { force: true }));
  }

  /** Made on first use, readable by this user only: records name processes one may kill. */
  #folder(): Promise<unknown> {
    return (this.#made ??= mkdir(this.#dir, { recursive: true, mode: 0o700 }).catch(
      (error: unknown) => {
        this.#made = undefined; // asked again next time
        throw error;
      }
    ));
  }

  /** Instance names are DNS labels; escaped anyway, so that no name leaves the folder. */
  #path(instanceName: string): string {
    return join(this.#dir, `${encodeURIComponent(instanceName)}.json`);
  }

  #inTurn<T>(instanceName: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(instanceName) ?? Promise.resolve();
    const result = previous.then(operation, operation);
    const settled = result.catch(() => undefined);
    this.#queues.set(instanceName, settled);
    void settled.then(() => {
      if (this.#queues.get(instanceName) === settled) this.#queues.delete(instanceName);
    });
    return result;
  }
}

async function readRecord(path: string): Promise<InstanceRecord | undefined> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as unknown;
    return isRecord(record) ? record : undefined;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is InstanceRecord {
  const record = value as Partial<InstanceRecord> | null;
  return (
    typeof record?.instanceName === 'string' &&
    typeof record.workerName === 'string' &&
    typeof record.hubUrl === 'string' &&
    typeof record.createdAt === 'number' &&
    typeof record.labels === 'object' &&
    record.labels !== null &&
    isIdentity(record.leader) &&
    isIdentity(record.writer)
  );
}

/** Missing, or a process that can be killed: a group id of 0 or 1, or negative, reaches too far. */
function isIdentity(value: unknown): value is ProcessIdentity | undefined {
  const identity = value as Partial<ProcessIdentity> | undefined;
  return (
    identity === undefined ||
    (typeof identity.pid === 'number' &&
      Number.isInteger(identity.pid) &&
      identity.pid > 1 &&
      typeof identity.startTime === 'number' &&
      typeof identity.bootId === 'string')
  );
}
