import { chmodSync, closeSync, mkdirSync, openSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import type Libsql from 'libsql';
import { LatentWorkerJournalError } from '../../errors.js';

type Database = Libsql.Database;

/**
 * Makes `path` ready for SQLite without ever opening an existing file: its folder (mode 0700)
 * and an empty file (mode 0600) if missing, the modes of an existing file and its WAL tightened
 * to 0600. Closing a descriptor of the file would drop the locks this process holds on it, and
 * the journal of another `openJournal` of this process may hold them.
 */
export function prepareFile(path: string): void {
  const stats = statOf(path);
  if (stats?.isDirectory()) throw unwritable(path, 'is a directory');
  if (stats && !stats.isFile()) throw unwritable(path, 'is not a regular file');
  if (!stats) {
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // SQLite gives the files it makes next to it (-wal) the mode of this one.
      closeSync(openSync(path, 'wx', 0o600));
    } catch (error) {
      // Another process made it meanwhile: its lock decides.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw unwritable(path, (error as Error).message, error);
      }
    }
  }
  for (const file of [path, `${path}-wal`]) {
    // A journal holds its secret: no one else may read it. Best effort: not ours to change.
    if (((statOf(file)?.mode ?? 0) & 0o077) !== 0) {
      try {
        chmodSync(file, 0o600);
      } catch {
        // Used as it is.
      }
    }
  }
}

/**
 * Opens `path` and takes its lock, which this connection holds until `release`: SQLite's
 * exclusive locking mode. The lock is taken first, before anything is read, so that of two
 * processes opening one journal at once one gets it; it is a lock of the operating system on
 * the open file, gone with the process, never a stale file. Statements only (`exec`) until the
 * lock is held: libsql 0.5's `close()` does not close a connection that prepared a statement
 * until it is garbage-collected (tursodatabase/libsql-js#228), and a failed attempt must let go
 * of the file at once.
 */
export function connect(Database: typeof Libsql, path: string): Database {
  let db: Database;
  try {
    db = new Database(path);
  } catch (error) {
    throw unwritable(path, (error as Error).message, error);
  }
  try {
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
  } catch (error) {
    db.close();
    throw journalErrorOf(error, path);
  }
  return db;
}

/**
 * Puts the locked `db` in WAL mode with `synchronous=FULL`: a commit is on disk when it returns,
 * at the cost of one fsync of the WAL. Done once the file was found to be a journal, so that a
 * file refused is not written.
 */
export function enterWal(db: Database): void {
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  const mode = (db.prepare('PRAGMA journal_mode').raw().get() as [string])[0];
  if (mode !== 'wal') throw new Error(`SQLite kept journal_mode ${mode} instead of wal`);
}

/**
 * Lets go of the lock, then closes. The lock must not wait for the garbage collector (see
 * `connect`), and an exclusive WAL connection can return to the normal locking mode only
 * outside WAL: so the WAL is checkpointed into the file and left first, and the next read in
 * the normal mode drops the lock. The next `openJournal` enters WAL again.
 */
export function release(db: Database): void {
  try {
    db.exec('PRAGMA journal_mode = DELETE');
    db.exec('PRAGMA locking_mode = NORMAL');
    db.exec('SELECT 1 FROM sqlite_schema LIMIT 1');
  } catch {
    // Every record is durable already (in the WAL if not in the file); the process's exit or
    // the garbage collector drops the lock.
  } finally {
    db.close();
  }
}

/** `error` as the journal's error of its kind, or as it is if SQLite did not say what it was. */
export function journalErrorOf(error: unknown, path: string): unknown {
  if (LatentWorkerJournalError.is(error)) return error;
  const { code = '' } = (error ?? {}) as { code?: string };
  const message = (error as Error).message;
  if (/^SQLITE_(BUSY|LOCKED)/.test(code)) {
    return new LatentWorkerJournalError(
      'locked',
      `openJournal: ${path} is held by another process (or another openJournal of this one): ` +
        'one process at a time uses a journal',
      { cause: error }
    );
  }
  if (/^SQLITE_(CORRUPT|NOTADB)/.test(code)) {
    return new LatentWorkerJournalError('corrupt', `openJournal: ${path}: ${message}`, {
      cause: error
    });
  }
  if (/^SQLITE_(CANTOPEN|READONLY|PERM|AUTH|IOERR|FULL)/.test(code)) {
    return unwritable(path, message, error);
  }
  return error;
}

function unwritable(path: string, why: string, cause?: unknown): LatentWorkerJournalError {
  return new LatentWorkerJournalError('unwritable', `openJournal: ${path}: ${why}`, { cause });
}

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unwritable(path, (error as Error).message, error);
  }
}
