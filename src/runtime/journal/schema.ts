import type Libsql from 'libsql';
import { LatentWorkerJournalError } from '../../errors.js';

type Database = Libsql.Database;

/** SQLite's `application_id` of a journal ('LWJR'): tells a journal from other SQLite files. */
export const APPLICATION_ID = 0x4c574a52;

/**
 * The journal's schema, one version after the other: version N is `MIGRATIONS[N - 1]`, and a
 * file at version K is brought up to date by running the ones after K in order, each in its own
 * transaction with the `PRAGMA user_version` it reaches. A released migration never changes:
 * files written with it exist. The next change of schema is a new entry at the end.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: one record per instance, open until its stop returned; the file's identity and secret.
  `PRAGMA application_id = ${APPLICATION_ID};
  CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) STRICT;
  CREATE TABLE instances (
    owner TEXT NOT NULL,
    instance_name TEXT NOT NULL,
    worker_name TEXT NOT NULL,
    generation INTEGER NOT NULL,
    labels TEXT NOT NULL,
    props TEXT,
    instance_id TEXT,
    state TEXT NOT NULL,
    started_at REAL NOT NULL,
    stopped_at REAL,
    PRIMARY KEY (owner, instance_name)
  ) STRICT;
  CREATE INDEX instances_open ON instances (owner, worker_name) WHERE stopped_at IS NULL;`,
  // 2: the highest generation of each worker, kept apart from the records so that closed ones
  // can be pruned without a restarted worker reusing a generation (and an instance name).
  `CREATE TABLE generations (
    owner TEXT NOT NULL,
    worker_name TEXT NOT NULL,
    generation INTEGER NOT NULL,
    PRIMARY KEY (owner, worker_name)
  ) STRICT;
  INSERT INTO generations
    SELECT owner, worker_name, max(generation) FROM instances GROUP BY owner, worker_name;
  CREATE INDEX instances_closed ON instances (stopped_at) WHERE stopped_at IS NOT NULL;`
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * The schema version of the journal in `db` (locked by this connection), 0 for an empty
 * database. Reads only: throws, leaving the file as it was, when the file is damaged, is some
 * other SQLite database, or was written by a newer schema.
 */
export function schemaVersion(db: Database, path: string): number {
  const problems = db.prepare('PRAGMA quick_check').raw().all() as [string][];
  if (problems[0]?.[0] !== 'ok') {
    const found = problems.slice(0, 3).map(([problem]) => problem);
    throw new LatentWorkerJournalError(
      'corrupt',
      `openJournal: ${path} is damaged: ${found.join('; ')}`
    );
  }
  const version = pragma(db, 'user_version');
  const fresh = version === 0 && pragma(db, 'application_id') === 0 && isEmpty(db);
  if (!fresh && pragma(db, 'application_id') !== APPLICATION_ID) {
    throw new LatentWorkerJournalError(
      'corrupt',
      `openJournal: ${path} is an SQLite database, but not a latent-workers journal`
    );
  }
  if (version > SCHEMA_VERSION) {
    throw new LatentWorkerJournalError(
      'newerSchema',
      `openJournal: ${path} has schema version ${version}, newer than the ${SCHEMA_VERSION} ` +
        'this version of latent-workers knows: open it with the version that wrote it, or a newer one'
    );
  }
  return version;
}

/** Brings the journal in `db` from schema version `from` to `SCHEMA_VERSION`. */
export function migrate(db: Database, from: number): void {
  MIGRATIONS.slice(from).forEach((sql, i) => {
    db.transaction(() => {
      db.exec(sql);
      db.exec(`PRAGMA user_version = ${from + i + 1}`);
    })();
  });
}

function pragma(db: Database, name: string): number {
  return (db.prepare(`PRAGMA ${name}`).raw().get() as [number])[0];
}

function isEmpty(db: Database): boolean {
  return (db.prepare('SELECT count(*) FROM sqlite_schema').raw().get() as [number])[0] === 0;
}
