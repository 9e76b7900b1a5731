import { chmodSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'libsql';
import { describe, expect, it } from 'vitest';
import { derivePassword, LatentWorkerJournalError, type Journal } from '../../../src/index.js';
import { ref, starting, useScratch } from './support.js';

const scratch = useScratch();

/** Rows of `sql` in the journal file, read outside the journal (which must be closed). */
function query(path: string, sql: string): unknown[][] {
  const db = new Database(path);
  try {
    return db.prepare(sql).raw().all() as unknown[][];
  } finally {
    db.close();
  }
}

describe('records', () => {
  it('starting, started, stopping and stopped, each as openInstances tells them back', async () => {
    const journal = await scratch.open();
    const w1 = ref('w1', 1);
    await journal.record(starting(w1, 1_000, { branch: 'main' }));
    const open = {
      ...w1,
      owner: 'latent-workers',
      startedAt: 1_000,
      state: 'starting',
      props: { branch: 'main' }
    };
    expect(await journal.openInstances()).toEqual([open]);
    await journal.record({
      type: 'started',
      owner: 'latent-workers',
      instanceName: w1.instanceName,
      instanceId: 'i-123',
      at: 1_100
    });
    expect(await journal.openInstances()).toEqual([
      { ...open, state: 'started', instanceId: 'i-123' }
    ]);
    await journal.record({
      type: 'stopping',
      owner: 'latent-workers',
      instanceName: w1.instanceName,
      at: 1_200
    });
    expect(await journal.openInstances()).toEqual([
      { ...open, state: 'stopping', instanceId: 'i-123' }
    ]);
    await journal.record({
      type: 'stopped',
      owner: 'latent-workers',
      instanceName: w1.instanceName,
      at: 1_300
    });
    expect(await journal.openInstances()).toEqual([]);
    expect(await journal.lastGeneration({ owner: 'latent-workers', workerName: 'w1' })).toBe(1);
  });

  it('a start without an instanceId leaves none; the records outlive a close', async () => {
    let journal = await scratch.open();
    const w1 = ref('w1', 1);
    await journal.record(starting(w1, 1));
    await journal.record({
      type: 'started',
      owner: 'latent-workers',
      instanceName: w1.instanceName,
      at: 2
    });
    await journal.close();
    journal = await scratch.open();
    const [instance] = await journal.openInstances();
    expect(instance).toEqual({ ...w1, owner: 'latent-workers', startedAt: 1, state: 'started' });
    expect(instance).not.toHaveProperty('instanceId');
    expect(instance).not.toHaveProperty('props');
  });

  it('open instances come oldest first (startedAt, then generation), filtered by owner and worker', async () => {
    const journal = await scratch.open();
    await journal.record(starting(ref('w2', 1), 30));
    await journal.record(starting(ref('w1', 2), 10));
    await journal.record(starting(ref('w1', 1, { owner: 'other' }), 10, undefined, 'other'));
    await journal.record(starting(ref('w3', 7), 10));
    await journal.record(starting(ref('w1', 3), 20));
    const names = (instances: Awaited<ReturnType<Journal['openInstances']>>) =>
      instances.map((i) => `${i.owner}/${i.workerName}#${i.generation}`);
    expect(names(await journal.openInstances())).toEqual([
      'other/w1#1',
      'latent-workers/w1#2',
      'latent-workers/w3#7',
      'latent-workers/w1#3',
      'latent-workers/w2#1'
    ]);
    expect(names(await journal.openInstances({ workerName: 'w1' }))).toEqual([
      'other/w1#1',
      'latent-workers/w1#2',
      'latent-workers/w1#3'
    ]);
    expect(names(await journal.openInstances({ owner: 'other' }))).toEqual(['other/w1#1']);
    expect(
      names(await journal.openInstances({ owner: 'latent-workers', workerName: 'w1' }))
    ).toEqual(['latent-workers/w1#2', 'latent-workers/w1#3']);
  });

  it('lastGeneration: the highest recorded per owner and worker, 0 if none', async () => {
    const journal = await scratch.open();
    await journal.record(starting(ref('w1', 1), 1));
    await journal.record(starting(ref('w1', 4), 2));
    await journal.record(starting(ref('w1', 9, { owner: 'other' }), 3, undefined, 'other'));
    const last = (owner: string, workerName: string) =>
      journal.lastGeneration({ owner, workerName });
    expect(await last('latent-workers', 'w1')).toBe(4);
    expect(await last('other', 'w1')).toBe(9);
    expect(await last('latent-workers', 'w2')).toBe(0);
    expect(await last('nobody', 'w1')).toBe(0);
  });

  it('a generation is never started twice: a second starting (or an older one) rejects and records nothing', async () => {
    const journal = await scratch.open();
    await journal.record(starting(ref('w1', 2), 1, { first: true }));
    await expect(journal.record(starting(ref('w1', 2), 5, { first: false }))).rejects.toThrow(
      /never started twice/
    );
    await expect(journal.record(starting(ref('w1', 1), 6))).rejects.toThrow(/never started twice/);
    const stopped = { owner: 'latent-workers', instanceName: ref('w1', 2).instanceName, at: 7 };
    await journal.record({ type: 'stopped', ...stopped });
    await expect(journal.record(starting(ref('w1', 2), 8))).rejects.toThrow(/never started twice/);
    expect(await journal.openInstances()).toEqual([]);
    // The same generation of another worker or owner is its own.
    await journal.record(starting(ref('w2', 2), 9));
    await journal.record(starting(ref('w1', 2, { owner: 'other' }), 9, undefined, 'other'));
    expect(await journal.openInstances()).toHaveLength(2);
  });

  it('updates of a record that is closed or was never written change nothing', async () => {
    const journal = await scratch.open();
    const owner = 'latent-workers';
    const { instanceName } = ref('w1', 1);
    await journal.record({ type: 'started', owner, instanceName, instanceId: 'x', at: 1 });
    await journal.record({ type: 'stopping', owner, instanceName, at: 2 });
    await journal.record({ type: 'stopped', owner, instanceName, at: 3 });
    expect(await journal.openInstances()).toEqual([]);
    expect(await journal.lastGeneration({ owner, workerName: 'w1' })).toBe(0);
    await journal.record(starting(ref('w1', 1), 4));
    await journal.record({ type: 'stopped', owner, instanceName, at: 5 });
    await journal.record({ type: 'started', owner, instanceName, instanceId: 'late', at: 6 });
    await journal.record({ type: 'stopping', owner, instanceName, at: 7 });
    expect(await journal.openInstances()).toEqual([]);
    await journal.record(starting(ref('w1', 2), 8));
    await journal.record({ type: 'started', owner, instanceName, instanceId: 'late', at: 9 });
    expect(await journal.openInstances()).toMatchObject([{ generation: 2, state: 'starting' }]);
  });

  it('an unknown record type is a TypeError', async () => {
    const journal = await scratch.open();
    await expect(
      journal.record({ type: 'exploded', owner: 'o', instanceName: 'x', at: 1 } as never)
    ).rejects.toThrow(TypeError);
  });
});

describe('props', () => {
  it('come back as JSON gave them; what JSON cannot encode is stored as none, never a throw', async () => {
    const journal = await scratch.open();
    const cycle: Record<string, unknown> = { name: 'cycle' };
    cycle.self = cycle;
    const cases: [unknown, unknown][] = [
      [
        { n: 1, list: ['a', null], nested: { t: true } },
        { n: 1, list: ['a', null], nested: { t: true } }
      ],
      [{ when: new Date(0), gone: undefined, f: () => 1 }, { when: '1970-01-01T00:00:00.000Z' }],
      [null, null],
      ['text', 'text'],
      [undefined, undefined],
      [{ big: 1n }, undefined],
      [cycle, undefined],
      [() => 1, undefined]
    ];
    for (const [i, [props]] of cases.entries())
      await journal.record(starting(ref(`w${i}`, 1), i, props));
    const instances = await journal.openInstances();
    expect(instances.map((instance) => instance.props)).toEqual(cases.map(([, back]) => back));
    expect(instances.filter((instance) => 'props' in instance)).toHaveLength(4);
  });
});

describe('pruning', () => {
  it('drops closed records older than 7 days at open, keeping open ones and lastGeneration', async () => {
    let journal = await scratch.open();
    const owner = 'latent-workers';
    const stop = (workerName: string, generation: number, at: number) =>
      journal.record({
        type: 'stopped',
        owner,
        instanceName: ref(workerName, generation).instanceName,
        at
      });
    const now = Date.now();
    const old = now - 8 * 24 * 3_600_000;
    await journal.record(starting(ref('w1', 1), old));
    await stop('w1', 1, old);
    await journal.record(starting(ref('w1', 2), old)); // open: never pruned
    await journal.record(starting(ref('w2', 5), old));
    await stop('w2', 5, old);
    await journal.record(starting(ref('w3', 1), old));
    await stop('w3', 1, now - 6 * 24 * 3_600_000); // closed, but not long enough ago
    await journal.close();
    journal = await scratch.open();
    await journal.close();
    expect(
      query(scratch.path, 'SELECT instance_name FROM instances ORDER BY instance_name')
    ).toEqual([[ref('w1', 2).instanceName], [ref('w3', 1).instanceName]]);
    journal = await scratch.open();
    expect(await journal.lastGeneration({ owner, workerName: 'w2' })).toBe(5);
    expect(await journal.lastGeneration({ owner, workerName: 'w1' })).toBe(2);
    await expect(journal.record(starting(ref('w2', 5), now))).rejects.toThrow(
      /never started twice/
    );
    expect((await journal.openInstances()).map((i) => i.instanceName)).toEqual([
      ref('w1', 2).instanceName
    ]);
  });
});

describe('passwords', () => {
  it('are the same after a reopen, different for every instance name', async () => {
    let journal = await scratch.open();
    const first = [journal.password('a-w1-1'), journal.password('a-w1-2')];
    expect(first[0]).not.toBe(first[1]);
    expect(first[0]).toMatch(/^[A-Za-z0-9_-]{27}$/);
    await journal.close();
    journal = await scratch.open();
    expect([journal.password('a-w1-1'), journal.password('a-w1-2')]).toEqual(first);
    // Another journal has a secret of its own.
    const other = await scratch.open({ path: join(scratch.dir, 'other.db') });
    expect(other.password('a-w1-1')).not.toBe(first[0]);
  });

  it('come from options.secret when given, string or bytes, which is never stored', async () => {
    const secret = 'a secret of more than 16 bytes';
    let journal = await scratch.open({ secret });
    expect(journal.password('a-w1-1')).toBe(derivePassword(Buffer.from(secret), 'a-w1-1'));
    await journal.close();
    expect(query(scratch.path, 'SELECT key FROM meta')).toEqual([]);
    journal = await scratch.open({ secret: new TextEncoder().encode(secret) });
    expect(journal.password('a-w1-1')).toBe(derivePassword(Buffer.from(secret), 'a-w1-1'));
    await journal.close();
    // Without the option, the journal makes one of its own and keeps it.
    journal = await scratch.open();
    const own = journal.password('a-w1-1');
    expect(own).not.toBe(derivePassword(Buffer.from(secret), 'a-w1-1'));
    await journal.close();
    const [[stored]] = query(scratch.path, "SELECT value FROM meta WHERE key = 'secret'") as [
      [Buffer]
    ];
    expect(stored).toHaveLength(32);
    expect(own).toBe(derivePassword(stored, 'a-w1-1'));
  });

  it('a secret shorter than 16 bytes, or not a string or bytes, is a TypeError', async () => {
    for (const secret of ['short', new Uint8Array(15), 42, null]) {
      await expect(scratch.open({ secret: secret as string })).rejects.toThrow(TypeError);
    }
    await expect(scratch.open({ secret: 'é'.repeat(8) })).resolves.toBeDefined(); // 16 bytes
  });
});

describe('close', () => {
  it('is idempotent; every call after it rejects (or throws) with code closed', async () => {
    const journal = await scratch.open();
    await journal.close();
    await journal.close();
    const calls = [
      () => journal.openInstances(),
      () => journal.record(starting(ref('w1', 1), 1)),
      () => journal.lastGeneration({ owner: 'o', workerName: 'w' })
    ];
    for (const call of calls) {
      const error: unknown = await call().catch((e: unknown) => e);
      expect(LatentWorkerJournalError.is(error)).toBe(true);
      expect(error).toMatchObject({ code: 'closed' });
      expect((error as Error).message).toMatch(/^journal\.\w+: .* is closed$/);
    }
    expect(() => journal.password('x')).toThrow(/journal\.password: .* is closed/);
  });
});

describe('the file', () => {
  it('is created with mode 0600, its WAL too, its missing folders 0700', async () => {
    const path = join(scratch.dir, 'deep', 'er', 'journal.db');
    const journal = await scratch.open({ path });
    await journal.record(starting(ref('w1', 1), 1));
    const mode = (file: string) => statSync(file).mode & 0o777;
    expect(mode(path)).toBe(0o600);
    expect(mode(`${path}-wal`)).toBe(0o600);
    expect([mode(join(scratch.dir, 'deep')), mode(join(scratch.dir, 'deep', 'er'))]).toEqual([
      0o700, 0o700
    ]);
  });

  it('an existing file readable by others is made 0600', async () => {
    await (await scratch.open()).close();
    chmodSync(scratch.path, 0o644);
    await scratch.open();
    expect(statSync(scratch.path).mode & 0o777).toBe(0o600);
  });
});

describe('the schema', () => {
  it('a version 1 journal is upgraded with its data intact, its pruned generations kept', async () => {
    const secret = Buffer.alloc(32, 7);
    const old = Date.now() - 30 * 24 * 3_600_000;
    const db = new Database(scratch.path);
    // Version 1 as it was released: migrations never change, so this copy must not either.
    db.exec(`PRAGMA application_id = 1280789074;
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
      CREATE INDEX instances_open ON instances (owner, worker_name) WHERE stopped_at IS NULL;
      PRAGMA user_version = 1;
      INSERT INTO meta VALUES ('secret', x'${secret.toString('hex')}');
      INSERT INTO instances VALUES
        ('latent-workers', '${ref('w1', 3).instanceName}', 'w1', 3,
          '${JSON.stringify(ref('w1', 3).labels)}', '{"branch":"main"}', 'i-3', 'started', ${old}, NULL),
        ('latent-workers', '${ref('w1', 2).instanceName}', 'w1', 2,
          '${JSON.stringify(ref('w1', 2).labels)}', NULL, NULL, 'stopped', ${old}, ${old}),
        ('latent-workers', '${ref('w2', 5).instanceName}', 'w2', 5,
          '${JSON.stringify(ref('w2', 5).labels)}', NULL, NULL, 'stopped', ${old}, ${old});`);
    db.close();
    const journal = await scratch.open();
    expect(await journal.openInstances()).toEqual([
      {
        ...ref('w1', 3),
        owner: 'latent-workers',
        instanceId: 'i-3',
        startedAt: old,
        state: 'started',
        props: { branch: 'main' }
      }
    ]);
    expect(await journal.lastGeneration({ owner: 'latent-workers', workerName: 'w2' })).toBe(5);
    expect(await journal.lastGeneration({ owner: 'latent-workers', workerName: 'w1' })).toBe(3);
    expect(journal.password('x')).toBe(derivePassword(secret, 'x'));
    await journal.close();
    expect(query(scratch.path, 'PRAGMA user_version')).toEqual([[2]]);
    expect(query(scratch.path, 'SELECT count(*) FROM instances')).toEqual([[1]]);
  });
});
