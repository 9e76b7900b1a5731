import type { InstanceRef } from '../../src/index.js';
import type {
  Journal,
  JournalInstance,
  JournalRecord,
  JournalState
} from '../../src/runtime/journal/journal.js';
import { derivePassword } from '../../src/runtime/journal/password.js';

interface Row extends JournalInstance {
  stoppedAt?: number;
}

/**
 * A journal in memory, for tests that drive time by hand: what `openJournal` keeps in SQLite,
 * kept in a Map that outlives the workers using it (a "crash" drops the workers, not this).
 * `failing` makes the next writes (or reads) of a kind reject, as a full disk would.
 */
export class MemoryJournal implements Journal {
  readonly rows = new Map<string, Row>();
  /** Every record written, in order. */
  readonly history: JournalRecord[] = [];
  readonly failing = new Set<JournalRecord['type'] | 'read'>();
  readonly #secret: Uint8Array;
  #last = new Map<string, number>();

  constructor(secret = 'memory-journal-secret') {
    this.#secret = new TextEncoder().encode(secret);
  }

  /** An instance left open by an earlier process, as if it had recorded it. */
  leave(owner: string, instance: InstanceRef, state: JournalState, props?: unknown): void {
    const row: Row = { ...instance, owner, state, startedAt: this.rows.size, props };
    this.rows.set(key(owner, instance.instanceName), row);
    this.#bump(owner, instance.workerName, instance.generation);
  }

  async record(change: JournalRecord): Promise<void> {
    await Promise.resolve();
    if (this.failing.has(change.type)) throw new Error(`journal: cannot write ${change.type}`);
    if (change.type === 'starting') {
      const { owner, instance, props, at } = change;
      const id = key(owner, instance.instanceName);
      if (this.rows.has(id)) throw new Error(`journal: ${instance.instanceName} started twice`);
      const row: Row = { ...instance, owner, state: 'starting', startedAt: at };
      if (props !== undefined) row.props = JSON.parse(JSON.stringify(props)) as unknown;
      this.rows.set(id, row);
      this.#bump(owner, instance.workerName, instance.generation);
    } else {
      const row = this.rows.get(key(change.owner, change.instanceName));
      if (!row || row.stoppedAt !== undefined) return void this.history.push(change);
      if (change.type === 'started') {
        row.state = 'started';
        if (change.instanceId !== undefined) row.instanceId = change.instanceId;
      } else if (change.type === 'stopping') row.state = 'stopping';
      else row.stoppedAt = change.at;
    }
    this.history.push(change);
  }

  async openInstances(query: { owner?: string; workerName?: string } = {}) {
    await Promise.resolve();
    if (this.failing.has('read')) throw new Error('journal: cannot read');
    return [...this.rows.values()]
      .filter(
        (row) =>
          row.stoppedAt === undefined &&
          (query.owner === undefined || row.owner === query.owner) &&
          (query.workerName === undefined || row.workerName === query.workerName)
      )
      .sort((a, b) => a.startedAt - b.startedAt || a.generation - b.generation)
      .map(({ stoppedAt: _, ...instance }) => instance);
  }

  async lastGeneration(query: { owner: string; workerName: string }): Promise<number> {
    await Promise.resolve();
    if (this.failing.has('read')) throw new Error('journal: cannot read');
    return this.#last.get(key(query.owner, query.workerName)) ?? 0;
  }

  password(instanceName: string): string {
    return derivePassword(this.#secret, instanceName);
  }

  async close(): Promise<void> {}

  #bump(owner: string, workerName: string, generation: number): void {
    const id = key(owner, workerName);
    this.#last.set(id, Math.max(this.#last.get(id) ?? 0, generation));
  }
}

const key = (owner: string, name: string) => `${owner}/${name}`;
