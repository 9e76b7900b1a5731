import { randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The password of each started instance: random per start, or derived from a journal's secret
 * and the instance's name (so that it survives a restart), and live until that instance is
 * stopped. Kept out of the machine's context so it never reaches an inspector or a snapshot.
 * Only the newest generation's password is live; one asked for an older or already stopped
 * generation is handed out but never accepted, and never displaces the live one.
 */
export class Credentials {
  readonly #derive: ((generation: number) => string) | undefined;
  #generation = -1;
  #password: string | undefined;

  constructor(derive?: (generation: number) => string) {
    this.#derive = derive;
  }

  /** A password for the instance of `generation`; the live one while that instance runs. */
  issue(generation: number): string {
    if (generation === this.#generation && this.#password !== undefined) return this.#password;
    const password = this.#derive?.(generation) ?? randomBytes(15).toString('base64url');
    if (generation > this.#generation) {
      this.#generation = generation;
      this.#password = password;
    }
    return password;
  }

  /** The instance of `generation` has been stopped: its password is void. */
  revoke(generation: number): void {
    if (generation < this.#generation) return;
    this.#generation = generation;
    this.#password = undefined;
  }

  /** Constant-time comparison with the live instance's password. */
  verify(candidate: string): boolean {
    if (this.#password === undefined) return false;
    const expected = Buffer.from(this.#password);
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
