/**
 * A real nginx (Debian's) in front of hostlens replicas for the tests and the
 * bench: deploy/nginx/hostlens.conf rendered into a temporary prefix
 * directory, started in the foreground on a free loopback port, stopped by PID
 * (SIGQUIT, then SIGKILL for the master and each of its workers) and its
 * directory removed. Outside CI a missing nginx skips the tests that need it
 * (`nginxSkip`); with CI=true it is a failure (scripts/test-deps.sh installs it).
 *
 * The template logs `$upstream_addr` per request to PREFIX/access.log, so a
 * test reads which replica served each request from nginx's own record.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './redis-server.js';

/** Debian installs nginx in /usr/sbin, which a non-root PATH may lack. */
const BINARY = ['nginx', '/usr/sbin/nginx'].find((b) => spawnSync(b, ['-v'], { stdio: 'ignore' }).status === 0);
const IN_CI = process.env.CI === 'true';

/** A skip reason for node:test when nginx is absent outside CI; false otherwise (in CI the test runs and fails). */
export const nginxSkip: string | false = BINARY === undefined && !IN_CI ? 'nginx is not installed (scripts/test-deps.sh installs it)' : false;

export const NGINX_TEMPLATE = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'deploy', 'nginx', 'hostlens.conf');

/** The `server` line of one replica, with the parameters scripts/replicas.sh writes too. */
export function upstreamLine(address: string): string {
  return `        server ${address} max_fails=1 fail_timeout=5s;`;
}

/** The template with its placeholders filled; throws if one is left. */
export function renderNginxConf(template: string, values: { listen: string; upstreams: readonly string[]; prefix: string }): string {
  if (values.upstreams.length === 0) throw new Error('renderNginxConf: at least one upstream');
  const out = template
    .replaceAll('{{LISTEN}}', values.listen)
    .replaceAll('{{UPSTREAMS}}', values.upstreams.map(upstreamLine).join('\n'))
    .replaceAll('{{PREFIX}}', values.prefix);
  const left = /\{\{[A-Z_]+\}\}/.exec(out);
  if (left) throw new Error(`renderNginxConf: placeholder ${left[0]} left unfilled`);
  return out;
}

/** One line of the access log. */
export interface AccessEntry {
  method: string;
  path: string;
  status: number;
  /** Every upstream tried, in order ("127.0.0.1:8766"); empty when none was. */
  upstreams: string[];
  /** The one that answered (the last tried). */
  upstream: string | undefined;
}

export function parseAccessLine(line: string): AccessEntry | null {
  const m = /^\S+ (\S+) (\S+) (\d{3}) upstream=(.*?) upstream_status=/.exec(line);
  if (!m) return null;
  const upstreams = (m[4] ?? '')
    .split(/[\s,]+/)
    .filter((s) => /^\S+:\d+$/.test(s));
  return { method: m[1] ?? '', path: m[2] ?? '', status: Number(m[3]), upstreams, upstream: upstreams.at(-1) };
}

export interface Nginx {
  port: number;
  /** http://127.0.0.1:PORT */
  origin: string;
  prefix: string;
  readonly pid: number | undefined;
  /** Lines of the access log so far; `since` a value of `mark()` to see only later requests. */
  access(since?: number): AccessEntry[];
  /** The number of access log lines written so far. */
  mark(): number;
  /**
   * Waits (at most `timeoutMs`) until `count` lines were written after `since`, and returns them:
   * nginx writes a line once the response is sent, a moment after the client saw its end.
   */
  waitAccess(since: number, count: number, timeoutMs?: number): Promise<AccessEntry[]>;
  /** SIGQUIT, SIGKILL after 5 s (the master and its workers); removes the prefix directory. */
  stop(): Promise<void>;
}

/** The PIDs whose parent is `pid` (nginx's workers), from /proc. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

async function answers(origin: string): Promise<boolean> {
  try {
    const res = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/** Renders the template for `upstreams` ("127.0.0.1:PORT") and starts nginx; it answers before this resolves. */
export async function startNginx(options: { upstreams: readonly string[]; port?: number }): Promise<Nginx> {
  if (BINARY === undefined) throw new Error('nginx is not installed: run scripts/test-deps.sh');
  const prefix = mkdtempSync(join(tmpdir(), 'hostlens-nginx-'));
  // Started as root, nginx's workers run as nobody: they must be able to enter the prefix.
  chmodSync(prefix, 0o755);
  mkdirSync(join(prefix, 'tmp'));
  const port = options.port ?? (await freePort());
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, renderNginxConf(readFileSync(NGINX_TEMPLATE, 'utf8'), { listen: `127.0.0.1:${port}`, upstreams: options.upstreams, prefix }));
  const accessLog = join(prefix, 'access.log');
  const origin = `http://127.0.0.1:${port}`;

  const child: ChildProcess = spawn(BINARY, ['-p', prefix, '-c', conf, '-e', join(prefix, 'error.log'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let workers: number[] = [];

  const stop = async (): Promise<void> => {
    const pid = child.pid;
    if (pid !== undefined && child.exitCode === null && child.signalCode === null) {
      workers = [...new Set([...workers, ...childrenOf(pid)])];
      signal(pid, 'SIGQUIT');
      const timer = setTimeout(() => {
        signal(pid, 'SIGKILL');
        for (const w of workers) signal(w, 'SIGKILL');
      }, 5_000);
      await exited;
      clearTimeout(timer);
    }
    // A master killed outright leaves its workers behind: end them by PID too.
    for (const w of workers) if (existsSync(`/proc/${w}`)) signal(w, 'SIGKILL');
    rmSync(prefix, { recursive: true, force: true });
  };

  const deadline = Date.now() + 10_000;
  while (!(await answers(origin))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      const log = existsSync(join(prefix, 'error.log')) ? readFileSync(join(prefix, 'error.log'), 'utf8') : '';
      await stop();
      throw new Error(`nginx on ${port} did not answer within 10 s: ${stderr}${log}`.slice(0, 2_000));
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (child.pid !== undefined) workers = childrenOf(child.pid);

  const access = (since = 0): AccessEntry[] =>
    lines()
      .slice(since)
      .map(parseAccessLine)
      .filter((e): e is AccessEntry => e !== null);
  const lines = (): string[] => (existsSync(accessLog) ? readFileSync(accessLog, 'utf8').split('\n').filter((l) => l !== '') : []);
  return {
    port,
    origin,
    prefix,
    get pid() {
      return child.pid;
    },
    access,
    mark: () => lines().length,
    async waitAccess(since, count, timeoutMs = 5_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const got = access(since);
        if (got.length >= count) return got;
        if (Date.now() > end) throw new Error(`nginx wrote ${got.length} access lines, not ${count}, within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    stop,
  };
}
