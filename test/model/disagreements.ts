/**
 * Where the engine disagrees with the documents (a bug reported, not yet fixed) and the model,
 * for now, follows the engine, so that the property can judge everything else. Each entry is
 * the smallest counter-example the property found, replayed as the documents want it by
 * `test/runtime/recoveryDisagreements.test.ts` (a `test.fails` while the bug lasts). Once the
 * engine is fixed, that test fails: set the entry to false and make the test a plain one.
 */
export const FOLLOW_ENGINE = {
  /**
   * `insubstantiate({ fast: true })` during recovery: recovery's stops are `fast: false`
   * (instances.md), yet the wish outlives the recovery and makes the stop of the next instance
   * fast (lifecycle.md, decided corner 4: fast applies to the stop the call asked for). Only
   * while recovery stops a leftover; one during the wait for an agent leaves no trace.
   */
  fastOutlivesRecovery: true,
  /**
   * `insubstantiate()` while recovery stops an older leftover: the newest leftover, if it was
   * running, still waits for its agent and is adopted if it comes, so the `insubstantiate()`
   * resolves with an instance up and nothing stopped (api: it "resolves when the stop has
   * finished"). During the wait itself, an `insubstantiate()` does stop it.
   */
  adoptsAfterInsubstantiate: true
} as const;
