import { randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The password of each started instance: random per start, stable until that instance is
 * stopped. Kept out of the machine's context so it never reaches an inspector or a snapshot.
 */
export class Credentials {
  #generation = -1;
  #password: string | undefined;

  /** The password for the instance of `generation`, made on first use. */
  issue(generation: number): string {
    if (this.#generation !== generation || this.#password === undefined) {
      this.#generation = generation;
      this.#password = randomBytes(15).toString('base64url');
    }
    return this.#password;
  }

  /** The instance of `generation` has been stopped: its password is void. */
  revoke(generation: number): void {
    if (this.#generation === generation) this.#password = undefined;
  }

  /** Constant-time comparison with the live instance's password. */
  verify(candidate: string): boolean {
    if (this.#password === undefined) return false;
    const expected = Buffer.from(this.#password);
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
