import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type Libsql from 'libsql';
import { LatentWorkerError, LatentWorkerJournalError } from '../../errors.js';
import type { InstanceRef } from '../../providers/provider.js';
import type { Journal, JournalInstance, JournalRecord, JournalState } from './journal.js';
import { connect, enterWal, journalErrorOf, prepareFile, release } from './journalFile.js';
import { derivePassword } from './password.js';
import { migrate, schemaVersion } from './schema.js';

type Database = Libsql.Database;

export interface JournalOptions {
  /** The journal's file, created (mode 0600, its missing folders 0700) if missing. */
  path: string;
  /**
   * The secret that instance passwords are derived from, at least 16 bytes; never stored. By
   * default a journal makes one of 32 random bytes, stored in the file.
   */
  secret?: string | Uint8Array;
}

/** Closed records are pruned at open once they are this old (ms); generations never are. */
const RETENTION = 7 * 24 * 3_600_000;

/**
 * The embedded journal: one SQLite file, in WAL mode with `synchronous=FULL`, so that a record
 * is on disk when `record()` resolves. One process at a time holds it, until `close()` or its
 * end; a second one gets a `LatentWorkerJournalError` with code `locked`. A file that is not a
 * journal, is damaged or has a newer schema is refused the same way, never replaced. Keep the
 * journal referenced while it is meant to hold the file (the workers using it do): libsql
 * closes a connection the garbage collector takes, and its lock goes with it.
 */
export async function openJournal(options: JournalOptions): Promise<Journal> {
  if (typeof options?.path !== 'string' || options.path === '') {
    throw new TypeError('openJournal: options.path must be a non-empty string');
  }
  const path = resolve(options.path);
  const secret = options.secret === undefined ? undefined : secretBytes(options.secret);
  prepareFile(path);
  // Loaded here, so that importing the package never loads the native binding. CommonJS: its
  // module.exports is the default export (the types of its `export =` say otherwise).
  const { default: Database } = (await import('libsql')) as unknown as { default: typeof Libsql };
  const db = connect(Database, path);
  try {
    const version = schemaVersion(db, path);
    enterWal(db);
    migrate(db, version);
    const stored = db.transaction(() => {
      db.prepare('DELETE FROM instances WHERE stopped_at < ?').run([Date.now() - RETENTION]);
      return secret ?? storedSecret(db, path);
    })();
    return new SqliteJournal(db, path, stored);
  } catch (error) {
    release(db);
    throw journalErrorOf(error, path);
  }
}

function secretBytes(secret: unknown): Uint8Array {
  const bytes =
    typeof secret === 'string'
      ? Buffer.from(secret)
      : secret instanceof Uint8Array
        ? Buffer.from(secret) // a copy: the caller's may change
        : undefined;
  if (!bytes) throw new TypeError('openJournal: options.secret must be a string or a Uint8Array');
  if (bytes.length < 16) {
    throw new TypeError(
      `openJournal: options.secret must be at least 16 bytes, not ${bytes.length}`
    );
  }
  return bytes;
}

/** The file's secret, made at its first use. */
function storedSecret(db: Database, path: string): Uint8Array {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'secret'").raw().get() as
    [unknown] | undefined;
  if (row === undefined) {
    const secret = randomBytes(32);
    db.prepare("INSERT INTO meta (key, value) VALUES ('secret', ?)").run([secret]);
    return secret;
  }
  if (!(row[0] instanceof Uint8Array) || row[0].length !== 32) {
    throw new LatentWorkerJournalError('corrupt', `openJournal: ${path}: its secret is damaged`);
  }
  return row[0];
}

/** The statements a journal runs, prepared once. */
function statements(db: Database) {
  const sql = (source: string) => db.prepare(source);
  const insert = sql(`INSERT INTO instances
      (owner, instance_name, worker_name, generation, labels, props, state, started_at)
    SELECT ?1, ?2, ?3, ?4, ?5, ?6, 'starting', ?7
    WHERE ?4 > coalesce(
      (SELECT generation FROM generations WHERE owner = ?1 AND worker_name = ?3), 0)
    ON CONFLICT DO NOTHING`);
  const keepGeneration = sql(`INSERT INTO generations (owner, worker_name, generation)
    VALUES (?1, ?2, ?3)
    ON CONFLICT DO UPDATE SET generation = max(generation, excluded.generation)`);
  return {
    // One transaction: the record and its worker's highest generation. A closed record of
    // the same name counts, and a pruned one through that generation.
    start: db.transaction(
      (owner: string, instance: InstanceRef, props: string | null, at: number) => {
        const { workerName, generation } = instance;
        const row = [owner, instance.instanceName, workerName, generation];
        if (insert.run([...row, JSON.stringify(instance.labels), props, at]).changes === 0) {
          return false;
        }
        keepGeneration.run([owner, workerName, generation]);
        return true;
      }
    ),
    started: sql(`UPDATE instances SET state = 'started', instance_id = coalesce(?3, instance_id)
      WHERE owner = ?1 AND instance_name = ?2 AND stopped_at IS NULL`),
    stopping: sql(`UPDATE instances SET state = 'stopping'
      WHERE owner = ?1 AND instance_name = ?2 AND stopped_at IS NULL`),
    stopped: sql(`UPDATE instances SET state = 'stopped', stopped_at = ?3
      WHERE owner = ?1 AND instance_name = ?2 AND stopped_at IS NULL`),
    open: sql(`SELECT owner, worker_name, generation, instance_name, labels, instance_id, state,
        started_at, props
      FROM instances
      WHERE stopped_at IS NULL AND (?1 IS NULL OR owner = ?1) AND (?2 IS NULL OR worker_name = ?2)
      ORDER BY started_at, generation, rowid`).raw(),
    lastGeneration: sql(
      'SELECT generation FROM generations WHERE owner = ?1 AND worker_name = ?2'
    ).raw()
  };
}

type Row = [
  string,
  string,
  number,
  string,
  string,
  string | null,
  JournalState,
  number,
  string | null
];

type Statements = ReturnType<typeof statements>;

class SqliteJournal implements Journal {
  readonly #path: string;
  readonly #secret: Uint8Array;
  #db: Database | undefined;
  #statements: Statements | undefined;

  constructor(db: Database, path: string, secret: Uint8Array) {
    this.#db = db;
    this.#path = path;
    this.#secret = secret;
    this.#statements = statements(db);
  }

  openInstances(query: { owner?: string; workerName?: string } = {}): Promise<JournalInstance[]> {
    return this.#run('openInstances', (s) =>
      (s.open.all([query.owner ?? null, query.workerName ?? null]) as Row[]).map(instanceOf)
    );
  }

  record(change: JournalRecord): Promise<void> {
    return this.#run('record', (s) => {
      try {
        write(s, change);
      } catch (error) {
        if (error instanceof TypeError || LatentWorkerError.is(error)) throw error;
        throw new LatentWorkerJournalError(
          'unwritable',
          `journal.record: ${this.#path}: ${(error as Error).message}`,
          { cause: error }
        );
      }
    });
  }

  lastGeneration(query: { owner: string; workerName: string }): Promise<number> {
    return this.#run('lastGeneration', (s) => {
      const row = s.lastGeneration.get([query.owner, query.workerName]) as [number] | undefined;
      return row?.[0] ?? 0;
    });
  }

  password(instanceName: string): string {
    this.#use('password');
    return derivePassword(this.#secret, instanceName);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      const db = this.#db;
      this.#db = this.#statements = undefined;
      if (db) release(db);
      resolve();
    });
  }

  /** `work` on the open journal's statements; what it throws rejects. */
  #run<T>(call: string, work: (s: Statements) => T): Promise<T> {
    return new Promise((resolve) => resolve(work(this.#use(call))));
  }

  #use(call: string): Statements {
    if (this.#statements) return this.#statements;
    throw new LatentWorkerJournalError('closed', `journal.${call}: ${this.#path} is closed`);
  }
}

function write(s: Statements, change: JournalRecord): void {
  const { owner } = change;
  switch (change.type) {
    case 'starting': {
      const { instance } = change;
      if (!s.start(owner, instance, encode(change.props), change.at)) {
        throw new LatentWorkerError(
          `journal.record: ${instance.instanceName} (owner ${owner}), or a later generation of ` +
            'its worker, was started before: a generation is never started twice'
        );
      }
      return;
    }
    // Of a record that is closed or was never written (the engine closes every stop, also of
    // a start whose record failed): nothing.
    case 'started':
      s.started.run([owner, change.instanceName, change.instanceId ?? null]);
      return;
    case 'stopping':
      s.stopping.run([owner, change.instanceName]);
      return;
    case 'stopped':
      s.stopped.run([owner, change.instanceName, change.at]);
      return;
    default:
      throw new TypeError(
        `journal.record: unknown type ${JSON.stringify((change as { type: unknown }).type)}`
      );
  }
}

/** Props as JSON; null when there are none or JSON cannot encode them (a BigInt, a cycle). */
function encode(props: unknown): string | null {
  try {
    return JSON.stringify(props) ?? null;
  } catch {
    return null;
  }
}

function instanceOf(row: Row): JournalInstance {
  const [owner, workerName, generation, instanceName, labels, instanceId, state, startedAt, props] =
    row;
  const instance: JournalInstance = {
    workerName,
    generation,
    instanceName,
    labels: JSON.parse(labels) as Record<string, string>,
    owner,
    startedAt,
    state
  };
  if (instanceId !== null) instance.instanceId = instanceId;
  if (props !== null) instance.props = JSON.parse(props);
  return instance;
}
