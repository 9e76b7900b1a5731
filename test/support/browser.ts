import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (`.ci/run` installs it); `LW_TEST_CHROMIUM` names another binary. */
export const CHROMIUM = process.env.LW_TEST_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Why browser tests cannot run here, or `undefined` when they can. In CI
 * (`LW_TEST_REQUIRE_ENGINES=1`) a missing browser is a failure, not a skip.
 */
export function browserMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const reason = `no Chromium at ${CHROMIUM} (apt-get install chromium, or set LW_TEST_CHROMIUM)`;
  if (process.env.LW_TEST_REQUIRE_ENGINES) throw new Error(reason);
  return reason;
}

/**
 * A headless Chromium with a fresh profile. The flags keep it from dialling Google's services,
 * which this machine's closed network refuses many times a second.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync'
    ]
  });
}
