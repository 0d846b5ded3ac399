/**
 * `npm run soak`: 50 concurrent MCP clients (half legacy sessions, half 2026-07-28 stateless)
 * against the real `hostlens serve` for 5 minutes, then the session-TTL check and a SIGTERM
 * with calls in flight. Loopback only; stops by itself (a watchdog ends it after the load plus
 * 3 minutes); kills what it started. Exit 1 when a hard check fails.
 *
 *   npm run soak                               # 50 clients, 300 s, session TTL 20 s
 *   SOAK_SEC=60 SOAK_CLIENTS=20 npm run soak   # shorter (or: npm run soak -- --sec 60 --clients 20)
 *   npm run soak -- --ttl 10 --seed 42 --no-build --think-min 100 --think-max 600
 *
 * Figures: bench/results/soak-latest.json (see bench/README.md, "Soak").
 */
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSoakArgs } from './soak/options.js';
import { renderSoakSummary, writeSoakReport } from './soak/report.js';
import { runSoak } from './soak/run.js';

const REPO = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const log = (line: string): void => void process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  const options = parseSoakArgs(process.argv.slice(2), process.env);
  const watchdogMs = (options.durationSec + options.sessionTtlSec + 180) * 1000;
  const watchdog = setTimeout(() => {
    process.stderr.write(`soak: watchdog: still running after ${watchdogMs / 1000} s, giving up\n`);
    process.exit(2); // the cleanup registry's exit handler kills the server
  }, watchdogMs);
  watchdog.unref();
  const report = await runSoak(options, REPO, log);
  const out = isAbsolute(options.out) ? options.out : join(REPO, options.out);
  writeSoakReport(out, report);
  log(`\n${renderSoakSummary(report, out)}`);
  clearTimeout(watchdog);
  return report.pass ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`soak: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exit(2);
  },
);
