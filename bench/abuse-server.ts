/**
 * The abuse phase's fixtures and servers. Fixtures live in one temporary directory: a log directory
 * (the allow-list `<dir>/logs/*.log`) holding a log whose rotations are gzip bombs and the file the race
 * swaps, a canary outside it, a 1 MiB config file full of secrets (allow-list `<dir>/etc/**`), and a real
 * 60,000-entry journal built by systemd-journal-remote. Two real `hostlens serve` children (dist/, the
 * product's node flags, 127.0.0.1:0, every toolset, default limits): `local` without auth, `tokens` with
 * the fairness suite's noisy and victim tokens (read scope) and an admin token so the probe can read the
 * server's own event-loop delay from /metrics. Each writes its audit log into the temporary directory.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOOLSETS } from '../src/contracts/scopes.js';
import { sha256Hex } from '../src/http/auth/static-tokens.js';
import { buildBigJournal } from '../test/hostile/big-journal.js';
import { TOKENS } from '../test/hostile/fairness-harness.js';
import { writeGzipBombs } from '../test/hostile/gzip-bomb.js';
import { startChild } from './child.js';
import type { StartedChild } from './child.js';
import { SERVER_NODE_FLAGS } from './node-flags.js';

export const CANARY = 'CANARY-bench-abuse-7f3a';
/** Every secret value in the config file starts with this, so an answer can be searched for any of them. */
export const SECRET_MARK = 'hunter2cfg';

export interface AbuseFixtures {
  dir: string;
  /** The log whose rotations are the bombs. */
  bombLog: string;
  bombs: number;
  /** The file the race flips between a regular file and a symlink. */
  raceLog: string;
  /** Symlink targets outside the allow-list (the canary, and /etc/shadow when it exists). */
  raceTargets: string[];
  secretsConfig: string;
  journal: string;
  journalEntries: number;
  buildMs: { bombs: number; journal: number };
}

export function buildFixtures(options: { bombs: number; journalEntries: number }): AbuseFixtures {
  const dir = mkdtempSync(join(tmpdir(), 'hostlens-bench-abuse-'));
  try {
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    mkdirSync(join(dir, 'outside'));
    mkdirSync(join(dir, 'etc'));
    const t0 = performance.now();
    const bombLog = join(logs, 'bomb.log');
    writeFileSync(bombLog, 'Nov 24 10:00:00 host app: current\n');
    writeGzipBombs(bombLog, options.bombs);
    const t1 = performance.now();
    const raceLog = join(logs, 'race.log');
    writeFileSync(raceLog, 'Nov 24 10:00:00 host app: regular line\n');
    const canary = join(dir, 'outside', 'canary.log');
    writeFileSync(canary, `Nov 24 10:00:00 ${CANARY}\n`, { mode: 0o600 });
    const secretsConfig = join(dir, 'etc', 'secrets.conf');
    writeFileSync(secretsConfig, secretsText(1024 * 1024));
    const t2 = performance.now();
    const journal = buildBigJournal(join(dir, 'journal-src'), options.journalEntries);
    const t3 = performance.now();
    return {
      dir,
      bombLog,
      bombs: options.bombs,
      raceLog,
      raceTargets: [canary, '/etc/shadow'],
      secretsConfig,
      journal,
      journalEntries: options.journalEntries,
      buildMs: { bombs: Math.round(t1 - t0), journal: Math.round(t3 - t2) },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** `bytes` of config lines, nearly all of them a secret in a form the redactor knows (key=value, URL, header, PEM). */
function secretsText(bytes: number): string {
  const forms = [
    (i: number) => `db_password = ${SECRET_MARK}${i}-x9Qe`,
    (i: number) => `api_key: ${SECRET_MARK}${i}AbCdEfGhIjKlMnOp`,
    (i: number) => `url=postgres://admin:${SECRET_MARK}${i}@db-${i % 7}.internal:5432/app`,
    (i: number) => `Authorization: Bearer ${SECRET_MARK}${i}.eyJzdWIiOiIxMjM0NTY3ODkwIn0`,
    (i: number) => `token="${SECRET_MARK}${i}ghp_0123456789abcdef"`,
    (i: number) => `[section-${i}]`,
  ];
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = forms[i % forms.length]!(i);
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

export interface AbuseServer {
  name: 'local' | 'tokens';
  url: string;
  port: number;
  pid: number;
  authOn: boolean;
  /** Headers for GET /metrics (the admin token when auth is on). */
  metricsHeaders: Record<string, string>;
  /** Warning and error log lines the server wrote after it was listening. */
  warnings(): number;
  stop(): Promise<{ code: number | null; signal: string | null; forced: boolean }>;
}

export async function startAbuseServer(repo: string, fx: AbuseFixtures, name: AbuseServer['name']): Promise<AbuseServer> {
  const authOn = name === 'tokens';
  const admin = randomBytes(24).toString('base64url');
  const tokens = [
    ...Object.entries(TOKENS).map(([who, token]) => ({ name: who, sha256: sha256Hex(token), scopes: ['hostlens:read'] })),
    { name: 'bench-admin', sha256: sha256Hex(admin), scopes: ['hostlens:admin'] },
  ];
  const config = {
    logFiles: [`${join(fx.dir, 'logs')}/*.log`],
    configFiles: [`${join(fx.dir, 'etc')}/**`],
    journalDirectory: fx.journal,
    auditLog: { path: join(fx.dir, 'audit', `${name}.jsonl`) },
    ...(authOn ? { auth: { tokens } } : {}),
  };
  const file = join(fx.dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(config)}\n`, { mode: 0o600 });
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HOSTLENS_')) env[k] = v;
  const child: StartedChild<{ url: string; port: number }> = await startChild({
    args: [...SERVER_NODE_FLAGS, join(repo, 'dist', 'app', 'cli.js'), 'serve', '--host', '127.0.0.1', '--port', '0', '--toolsets', TOOLSETS.join(','), '--config', file, '--log-level', 'info'],
    cwd: repo,
    stream: 'stderr',
    env,
    timeoutMs: 30_000,
    ready: (line) => (line.msg === 'listening' && typeof line.url === 'string' ? { url: line.url, port: Number(line.port) } : null),
  });
  let warnings = 0;
  child.onLine((line) => {
    if (line.level === 'warn' || line.level === 'error') warnings += 1;
  });
  return {
    name,
    url: child.ready.url,
    port: child.ready.port,
    pid: child.pid,
    authOn,
    metricsHeaders: authOn ? { authorization: `Bearer ${admin}` } : {},
    warnings: () => warnings,
    stop: () => child.stop(10_000),
  };
}
