/**
 * What the file-race, file-link and gzip-bomb suites need from the machine (root for hard links to root-owned files
 * and device nodes, mkfifo, /proc): missing outside CI → the test is skipped and says why; missing in CI
 * (CI=true) → the test FAILS, so a CI image that lost a capability cannot turn the suite green by skipping it.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';

export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/** True when `ok`; else skips the test (locally) or fails it (CI). */
export function requireCapability(t: TestContext, ok: boolean, what: string): boolean {
  if (ok) return true;
  if (IN_CI) assert.fail(`CI=true and this machine lacks ${what}`);
  t.skip(`needs ${what}`);
  return false;
}
