/**
 * The instances the workers of this process own right now (from the moment their start is
 * issued, or recovery takes them over, until their stop returned), by owner: the orphan sweep
 * never touches them, whatever the journal or the provider's listing says.
 */
class InstancesInUse {
  readonly #byOwner = new Map<string, Set<string>>();

  add(owner: string, instanceName: string): void {
    let names = this.#byOwner.get(owner);
    if (!names) this.#byOwner.set(owner, (names = new Set()));
    names.add(instanceName);
  }

  delete(owner: string, instanceName: string): void {
    const names = this.#byOwner.get(owner);
    if (names?.delete(instanceName) && names.size === 0) this.#byOwner.delete(owner);
  }

  has(owner: string, instanceName: string): boolean {
    return this.#byOwner.get(owner)?.has(instanceName) === true;
  }
}

export const instancesInUse = new InstancesInUse();
