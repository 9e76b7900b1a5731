import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'libsql';
import { describe, expect, it } from 'vitest';
import {
  LatentWorkerError,
  LatentWorkerJournalError,
  openJournal,
  type JournalErrorCode
} from '../../../src/index.js';
import { ref, starting, useScratch } from './support.js';

const scratch = useScratch();

/** What `openJournal` on `path` rejects with: a LatentWorkerJournalError of `code`. */
async function refused(path: string, code: JournalErrorCode): Promise<LatentWorkerJournalError> {
  const error: unknown = await openJournal({ path }).then(
    async (journal) => {
      await journal.close();
      throw new Error(`openJournal(${path}) opened it`);
    },
    (e: unknown) => e
  );
  expect(LatentWorkerJournalError.is(error)).toBe(true);
  expect(LatentWorkerError.is(error)).toBe(true);
  expect(error).toMatchObject({ name: 'LatentWorkerJournalError', code });
  return error as LatentWorkerJournalError;
}

/** A journal with one open record, closed. */
async function realJournal(records = 1): Promise<Buffer> {
  const journal = await scratch.open();
  for (let g = 1; g <= records; g++) await journal.record(starting(ref('w1', g), g, { g }));
  await journal.close();
  return readFileSync(scratch.path);
}

describe('openJournal refuses, and leaves the file as it was', () => {
  it('random bytes: corrupt', async () => {
    const bytes = randomBytes(8192);
    writeFileSync(scratch.path, bytes);
    expect((await refused(scratch.path, 'corrupt')).message).toContain(scratch.path);
    expect(readFileSync(scratch.path)).toEqual(bytes);
    expect(existsSync(`${scratch.path}-wal`)).toBe(false);
  });

  it('a real journal cut in half: corrupt, at open', async () => {
    const whole = await realJournal(200);
    truncateSync(scratch.path, whole.length / 2);
    await refused(scratch.path, 'corrupt');
    expect(readFileSync(scratch.path)).toEqual(whole.subarray(0, whole.length / 2));
  });

  it('a journal whose last pages were overwritten: corrupt, at open', async () => {
    const whole = await realJournal(200);
    const damaged = Buffer.from(whole);
    damaged.fill(0xa5, whole.length - 2 * 4096); // the last two pages, of 4096 bytes
    writeFileSync(scratch.path, damaged);
    await refused(scratch.path, 'corrupt');
    expect(readFileSync(scratch.path)).toEqual(damaged);
  });

  it('a damaged index that opening does not otherwise read: corrupt, at open (quick_check)', async () => {
    const whole = await realJournal(200);
    const db = new Database(scratch.path);
    const [[root]] = db
      .prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'instances_open'")
      .raw()
      .all() as [[number]];
    db.close();
    const damaged = Buffer.from(whole);
    damaged.fill(0xa5, (root - 1) * 4096, root * 4096);
    writeFileSync(scratch.path, damaged);
    expect((await refused(scratch.path, 'corrupt')).message).toMatch(/is damaged: /);
    expect(readFileSync(scratch.path)).toEqual(damaged);
  });

  it('an SQLite database that is not a journal: corrupt', async () => {
    const db = new Database(scratch.path);
    db.exec("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine')");
    db.close();
    const bytes = readFileSync(scratch.path);
    expect((await refused(scratch.path, 'corrupt')).message).toMatch(
      /not a latent-workers journal/
    );
    expect(readFileSync(scratch.path)).toEqual(bytes);
  });

  it('a newer schema: newerSchema, naming both versions', async () => {
    await realJournal();
    const db = new Database(scratch.path);
    db.exec('PRAGMA user_version = 99');
    db.close();
    const bytes = readFileSync(scratch.path);
    expect((await refused(scratch.path, 'newerSchema')).message).toMatch(
      /schema version 99, newer than the 2 /
    );
    expect(readFileSync(scratch.path)).toEqual(bytes);
  });

  it('a path under a regular file, or a folder as the path: unwritable', async () => {
    const file = join(scratch.dir, 'plain.txt');
    writeFileSync(file, 'not a folder');
    await refused(join(file, 'journal.db'), 'unwritable');
    await refused(join(file, 'deeper', 'journal.db'), 'unwritable');
    expect(readFileSync(file, 'utf8')).toBe('not a folder');
    const folder = join(scratch.dir, 'folder');
    mkdirSync(folder);
    expect((await refused(folder, 'unwritable')).message).toMatch(/is a directory/);
  });

  it('a journal that this process holds already: locked, and the holder goes on', async () => {
    const journal = await scratch.open();
    await journal.record(starting(ref('w1', 1), 1));
    expect((await refused(scratch.path, 'locked')).message).toMatch(/one process at a time/);
    await journal.record(starting(ref('w1', 2), 2));
    expect(await journal.openInstances()).toHaveLength(2);
    await journal.close();
    // Closed, it is free.
    const again = await scratch.open();
    expect(await again.openInstances()).toHaveLength(2);
  });

  it('an empty file is a new journal (what a crash during the creation leaves)', async () => {
    writeFileSync(scratch.path, '');
    const journal = await scratch.open();
    expect(await journal.openInstances()).toEqual([]);
  });

  it('options without a path: TypeError', async () => {
    await expect(openJournal({} as never)).rejects.toThrow(TypeError);
    await expect(openJournal({ path: '' })).rejects.toThrow(TypeError);
  });
});
