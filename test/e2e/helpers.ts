/**
 * Helpers for the end-to-end and CLI tests: spawn the real `hostlens` CLI
 * (`node --import tsx src/app/cli.ts …`, no build step), read its JSON logs from
 * stderr, wait for it to listen, run it to completion with a bound, and make
 * raw HTTP requests that fetch cannot (a forged Host header).
 *
 * Every spawned child is tracked; `killAll()` (call it from `after`) SIGKILLs
 * whatever is still running, so a failing test never leaves a server behind.
 * Children get the parent's environment minus every HOSTLENS_* variable, plus
 * what the test passes, so a developer's own settings cannot leak in.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { delay, within } from '../support/async.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = ['--import', 'tsx', 'src/app/cli.ts'] as const;
export const MODERN = '2026-07-28';

export interface LogLine {
  ts?: string;
  level?: string;
  msg?: string;
  [key: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Spawned {
  child: ChildProcessWithoutNullStreams;
  pid: number;
  /** Everything written to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** The stderr lines that parse as JSON objects (the structured logs). */
  logs(): LogLine[];
  /** Resolves with the first log line matching `pred` (already written or still to come); rejects on exit or timeout. */
  waitForLog(pred: (line: LogLine) => boolean, timeoutMs: number, what?: string): Promise<LogLine>;
  /** Waits for `{"msg":"listening","url":…}` and returns the URL and port. */
  listening(timeoutMs?: number): Promise<{ url: string; port: number; host: string }>;
  /** Resolves when the process has exited. */
  exited: Promise<Exit>;
  /** Sends a signal if the process is still running. */
  signal(sig: NodeJS.Signals): void;
  /** SIGKILL if still running, then waits (bounded) for the exit. */
  kill(): Promise<void>;
}

const running = new Set<Spawned>();

/**
 * The environment of a spawned hostlens. Without auth, one test process is one client (the tenant is the peer
 * process), and a test making more than 40 calls in a burst would meet the default rate limit (20/s, burst 40)
 * whenever the machine is fast: spawned servers run without it unless a test sets HOSTLENS_RATE_LIMIT (or passes
 * it as undefined to keep the default or its config file's rateLimit, which the variable would override).
 */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { HOSTLENS_RATE_LIMIT: '0' };
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HOSTLENS_')) env[k] = v;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function parseLogLines(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      const v = JSON.parse(t) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) out.push(v as LogLine);
    } catch {
      /* not a log line */
    }
  }
  return out;
}

/** Spawns `node --import tsx src/app/cli.ts ...args` in the repository root. */
export function spawnHostlens(args: readonly string[], options: { env?: Record<string, string | undefined> } = {}): Spawned {
  const child = spawn(process.execPath, [...CLI, ...args], {
    cwd: repoRoot,
    env: childEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  const poke = (): void => {
    for (const f of [...listeners]) f();
  };
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    out += d;
    poke();
  });
  child.stderr.on('data', (d: string) => {
    err += d;
    poke();
  });
  child.stdin.on('error', () => undefined);
  let exitInfo: Exit | null = null;
  const exited = new Promise<Exit>((resolveExit) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolveExit(exitInfo);
      poke();
    });
    child.once('error', () => {
      exitInfo ??= { code: null, signal: null };
      resolveExit(exitInfo);
      poke();
    });
  });
  const spawned: Spawned = {
    child,
    pid: child.pid ?? -1,
    stdout: () => out,
    stderr: () => err,
    logs: () => parseLogLines(err),
    waitForLog(pred, timeoutMs, what = 'a matching log line') {
      return new Promise<LogLine>((resolveLine, reject) => {
        const check = (): void => {
          const hit = parseLogLines(err).find(pred);
          if (hit) return finish(() => resolveLine(hit));
          if (exitInfo) finish(() => reject(new Error(`hostlens exited (${JSON.stringify(exitInfo)}) before ${what}; stderr:\n${err}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; stderr:\n${err}`))), timeoutMs);
        const finish = (f: () => void): void => {
          clearTimeout(timer);
          listeners.delete(check);
          f();
        };
        listeners.add(check);
        check();
      });
    },
    async listening(timeoutMs = 20_000) {
      const line = await spawned.waitForLog((l) => l.msg === 'listening' && typeof l.url === 'string', timeoutMs, 'the "listening" log line');
      const url = String(line.url);
      return { url, port: Number(new URL(url).port), host: String(line.host) };
    },
    exited,
    signal(sig) {
      if (exitInfo === null) child.kill(sig);
    },
    async kill() {
      if (exitInfo === null) child.kill('SIGKILL');
      await within(5_000, `pid ${child.pid} to die`, exited).catch(() => undefined);
      running.delete(spawned);
    },
  };
  running.add(spawned);
  void exited.then(() => running.delete(spawned));
  return spawned;
}

/** Kills every child spawned by this module that is still running. */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((s) => s.kill()));
}

export interface RunResult extends Exit {
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion; SIGKILLs it and fails when it runs longer than `timeoutMs`. */
export async function runHostlens(args: readonly string[], options: { env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<RunResult> {
  const s = spawnHostlens(args, options.env ? { env: options.env } : {});
  s.child.stdin.end();
  const timeoutMs = options.timeoutMs ?? 20_000;
  try {
    const exit = await within(timeoutMs, `hostlens ${args.join(' ')} to exit`, s.exited);
    return { ...exit, stdout: s.stdout(), stderr: s.stderr() };
  } finally {
    await s.kill();
  }
}

export { delay, within };

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r, j) => {
    server.once('error', j);
    server.listen(0, '127.0.0.1', () => r());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Distinct free ports. */
export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request to 127.0.0.1 through node:http, so any Host header can be sent. */
export function rawHttp(
  port: number,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<RawResponse> {
  return new Promise<RawResponse>((resolveRes, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: options.method ?? 'POST', path: options.path ?? '/mcp', headers: options.headers ?? {}, agent: false },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolveRes({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error('raw request timed out')));
    req.on('error', reject);
    req.end(options.body ?? undefined);
  });
}

export const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'e2e', version: '1.0.0' } },
});

export const MCP_POST_HEADERS: Record<string, string> = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

/** Asserts an HTTP error answer is a JSON-RPC 2.0 error (never HTML, never a stack) and returns it. */
export function expectJsonRpcErrorBody(res: RawResponse, status: number): { code: number; message: string } {
  assert.equal(res.status, status, `expected HTTP ${status}, got ${res.status}: ${res.body}`);
  assert.match(String(res.headers['content-type'] ?? ''), /^application\/json\b/, `content-type ${String(res.headers['content-type'])}`);
  assert.doesNotMatch(res.body, /<html|<!doctype|\n\s+at .+:\d+:\d+/i);
  const body = JSON.parse(res.body) as { jsonrpc?: string; error?: { code: number; message: string } };
  assert.equal(body.jsonrpc, '2.0');
  assert.ok(body.error && typeof body.error.code === 'number' && typeof body.error.message === 'string', res.body);
  return body.error;
}
