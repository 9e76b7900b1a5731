/**
 * A provider's starts under way, by instance name: a start issued again for a name while one
 * runs joins it (one name, one instance, also for two starts at once), and a stop of that name
 * can wait for it to end first.
 */
export class StartsUnderWay<T> {
  readonly #starts = new Map<string, Promise<T>>();

  /** The start under way for `instanceName`, else a new one made by `start`. */
  join(instanceName: string, start: () => Promise<T>): Promise<T> {
    let starting = this.#starts.get(instanceName);
    if (!starting) {
      starting = start().finally(() => this.#starts.delete(instanceName));
      this.#starts.set(instanceName, starting);
    }
    return starting;
  }

  /** Resolves once no start of `instanceName` is under way, however it ended. */
  async ended(instanceName: string): Promise<void> {
    await this.#starts.get(instanceName)?.catch(() => undefined);
  }

  has(instanceName: string): boolean {
    return this.#starts.has(instanceName);
  }
}
