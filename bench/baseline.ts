import type { Connection, InstanceRef, Provider } from '../src/index.js';

type State = 'idle' | 'starting' | 'connecting' | 'substantiated' | 'stopping';

const NEVER_ABORTED = new AbortController().signal;

/**
 * The yardstick: the same Promise API as a LatentWorker's happy path, hand-written as a
 * switch over states with no statechart library, no timers and no events. It shows what the
 * lifecycle costs when nothing but the bare transitions is paid for.
 */
export class SwitchWorker {
  state: State = 'idle';
  #attachedEarly = false;
  #instance: InstanceRef = { workerName: '', generation: 0, instanceName: '', labels: {} };
  #waiters: Array<(ok: boolean) => void> = [];
  #stopped: Array<() => void> = [];

  constructor(
    readonly name: string,
    private readonly provider: Provider
  ) {}

  substantiate(): Promise<boolean> {
    switch (this.state) {
      case 'substantiated':
        return Promise.resolve(true);
      case 'idle':
        this.state = 'starting';
        void Promise.resolve(
          this.provider.startInstance({
            ...this.#nextInstance(),
            password: '',
            props: undefined,
            signal: new AbortController().signal
          })
        ).then(() => this.#started());
        return new Promise((resolve) => this.#waiters.push(resolve));
      default:
        return new Promise((resolve) => this.#waiters.push(resolve));
    }
  }

  attached(_connection: Connection): void {
    switch (this.state) {
      case 'starting':
        this.#attachedEarly = true;
        return;
      case 'connecting':
        return this.#substantiated();
      default:
        throw new Error(`attach while ${this.state}`);
    }
  }

  insubstantiate(): Promise<void> {
    switch (this.state) {
      case 'substantiated':
        this.state = 'stopping';
        void Promise.resolve(
          // The engine makes a stop's signal only when it is read; this provider never does.
          this.provider.stopInstance({ ...this.#instance, fast: false, signal: NEVER_ABORTED })
        ).then(() => {
          this.state = 'idle';
          for (const resolve of this.#stopped.splice(0)) resolve();
        });
        return new Promise((resolve) => this.#stopped.push(resolve));
      default:
        return Promise.resolve();
    }
  }

  #nextInstance(): InstanceRef {
    const generation = this.#instance.generation + 1;
    const instanceName = `${this.name}-${generation}`;
    this.#instance = { workerName: this.name, generation, instanceName, labels: {} };
    return this.#instance;
  }

  #started(): void {
    this.state = 'connecting';
    if (this.#attachedEarly) this.#substantiated();
  }

  #substantiated(): void {
    this.#attachedEarly = false;
    this.state = 'substantiated';
    for (const resolve of this.#waiters.splice(0)) resolve(true);
  }
}
