/**
 * The soak's server: the real `hostlens serve` (node dist/app/cli.js, like `npm start`; or
 * src/app/cli.ts through tsx for the test) on 127.0.0.1:0 with every toolset, a short session TTL
 * and a config file written for the run: one static token (sha256 in the file) with every scope per
 * client, plus an admin token for /metrics, so every client is its own principal and the
 * per-principal limits keep their defaults; the audit log in the run's directory.
 * Also: RSS and open fds of the server from /proc, and `hostlens_*` gauges from /metrics.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOOLSETS } from '../../src/contracts/scopes.js';
import { startChild } from '../child.js';
import type { StartedChild } from '../child.js';
import { readVm } from '../stats.js';
import { SERVER_NODE_FLAGS } from '../node-flags.js';

export const ALL_SCOPES = ['hostlens:read', 'hostlens:processes', 'hostlens:logs', 'hostlens:config', 'hostlens:admin'] as const;

export interface SoakServerSetup {
  /** Bearer token per client index. */
  clientTokens: string[];
  adminToken: string;
  /** How the clients authenticate, for the summary. */
  auth: 'per-client static tokens (auth.tokens)';
  /** The config file's contents (token digests, never tokens). */
  config: Record<string, unknown>;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const token = (): string => randomBytes(24).toString('base64url');

export function planServer(clients: number): SoakServerSetup {
  const adminToken = token();
  const clientTokens = Array.from({ length: clients }, token);
  const config = {
    auth: {
      tokens: [
        { name: 'soak-admin', sha256: sha256(adminToken), scopes: [...ALL_SCOPES] },
        ...clientTokens.map((t, i) => ({ name: `soak-${i}`, sha256: sha256(t), scopes: [...ALL_SCOPES] })),
      ],
    },
  };
  return { clientTokens, adminToken, auth: 'per-client static tokens (auth.tokens)', config };
}

export interface GcMemory {
  rss: number;
  heapUsed: number;
  external: number;
}

export interface SoakServer {
  child: StartedChild<{ url: string; port: number }>;
  pid: number;
  url: string;
  port: number;
  command: string;
  /** Request-log lines with status ≥ 500 seen so far, and the `stopped` line once it came. */
  serverErrors: Array<Record<string, unknown>>;
  stoppedLine: () => Record<string, unknown> | undefined;
  /** process.memoryUsage() right after a forced full GC (null without --gc or when it does not answer in 5 s). */
  gcMemory(): Promise<GcMemory | null>;
  /** The audit files the run wrote (name, bytes, lines), empty without an audit log. */
  audit(): Array<{ name: string; bytes: number; lines: number }>;
  cleanup(): void;
}

export async function startSoakServer(options: { repo: string; mode: 'dist' | 'tsx'; gc: boolean; ttlSec: number; setup: SoakServerSetup }): Promise<SoakServer> {
  const dir = mkdtempSync(join(tmpdir(), 'hostlens-soak-'));
  const configPath = join(dir, 'config.json');
  // The audit log goes to the run's own directory, rotated at 1 MiB so the soak rotates it.
  const auditPath = join(dir, 'audit', 'audit.jsonl');
  const config = { ...options.setup.config, auditLog: { path: auditPath, maxBytes: 1024 * 1024, keep: 3 } };
  writeFileSync(configPath, `${JSON.stringify(config)}\n`, { mode: 0o600 });
  const gcHook = options.gc ? ['--expose-gc', '--import', './bench/targets/gc-hook.mjs'] : [];
  const entry = options.mode === 'dist' ? [...SERVER_NODE_FLAGS, ...gcHook, 'dist/app/cli.js'] : [...gcHook, '--import', 'tsx', 'src/app/cli.ts'];
  const serveArgs = ['serve', '--port', '0', '--toolsets', TOOLSETS.join(','), '--session-ttl-sec', String(options.ttlSec), '--config', configPath];
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HOSTLENS_')) env[k] = v;
  env.HOSTLENS_LOG_LEVEL = 'info';
  const child = await startChild({
    args: [...entry, ...serveArgs],
    cwd: options.repo,
    stream: 'stderr',
    env,
    timeoutMs: 30_000,
    ready: (line) => (line.msg === 'listening' && typeof line.url === 'string' ? { url: line.url, port: Number(line.port) } : null),
  });
  const serverErrors: Array<Record<string, unknown>> = [];
  let stopped: Record<string, unknown> | undefined;
  let gcWaiter: ((m: GcMemory) => void) | undefined;
  child.onLine((line) => {
    const m = line.benchMemory as (GcMemory & { gc: boolean }) | undefined;
    if (m?.gc) gcWaiter?.(m);
    if (line.msg === 'request' && typeof line.status === 'number' && line.status >= 500) serverErrors.push(line);
    if (line.level === 'error') serverErrors.push(line);
    if (line.msg === 'stopped') stopped = line;
  });
  return {
    child,
    pid: child.pid,
    url: child.ready.url,
    port: child.ready.port,
    command: `node ${[...entry, ...serveArgs.slice(0, -1), '<config.json>'].join(' ')}`,
    serverErrors,
    stoppedLine: () => stopped,
    audit: () => auditFiles(join(dir, 'audit')),
    async gcMemory() {
      if (!options.gc) return null;
      const got = new Promise<GcMemory>((resolve) => (gcWaiter = resolve));
      process.kill(child.pid, 'SIGUSR2');
      let timer: NodeJS.Timeout | undefined;
      const m = await Promise.race([got, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 5_000)))]);
      clearTimeout(timer);
      gcWaiter = undefined;
      return m;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function auditFiles(dir: string): Array<{ name: string; bytes: number; lines: number }> {
  try {
    return readdirSync(dir)
      .sort()
      .map((name) => {
        const text = readFileSync(join(dir, name), 'utf8');
        return { name, bytes: Buffer.byteLength(text), lines: text.split('\n').filter(Boolean).length };
      });
  } catch {
    return [];
  }
}

export interface ProcessSample {
  rssKiB: number | null;
  fds: number | null;
}

export async function sampleProcess(pid: number): Promise<ProcessSample> {
  let rssKiB: number | null = null;
  let fds: number | null = null;
  try {
    rssKiB = (await readVm(pid)).rssKiB;
  } catch {
    /* gone */
  }
  try {
    fds = readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    /* gone */
  }
  return { rssKiB, fds };
}

/** `hostlens_*` gauges from GET /metrics (null when the route is not there or refuses). */
export async function scrapeMetrics(url: string, adminToken: string): Promise<Record<string, number> | null> {
  try {
    const res = await fetch(new URL('/metrics', url), { headers: { authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(5_000) });
    const text = await res.text();
    if (res.status !== 200) return null;
    const out: Record<string, number> = {};
    for (const line of text.split('\n')) {
      const m = /^(hostlens_(?:sessions_open|sse_streams_open))(?:\{[^}]*\})?\s+(\S+)/.exec(line);
      if (m?.[1] && m[2] !== undefined) out[m[1]] = (out[m[1]] ?? 0) + Number(m[2]);
    }
    return out;
  } catch {
    return null;
  }
}
