/**
 * Starting and stopping the bench's server children: spawn node with the
 * given arguments, read JSON lines from one of its streams until a line says
 * it is ready, keep draining that stream (a full pipe would stall the child),
 * and stop it with SIGTERM then SIGKILL, bounded. Every child is registered
 * with the cleanup registry.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { killPid, onCleanup } from './cleanup.js';

export interface StartedChild<T> {
  child: ChildProcess;
  pid: number;
  ready: T;
  /** Calls `listener` with every later JSON line (non-JSON lines are ignored). */
  onLine(listener: (line: Record<string, unknown>) => void): () => void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it ended. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; forced: boolean }>;
}

export interface StartChildOptions<T> {
  /** The program to run (default: this node). */
  command?: string;
  args: string[];
  cwd: string;
  /** Which stream carries the JSON lines. */
  stream: 'stdout' | 'stderr';
  /** Returns the ready value when a line announces readiness. */
  ready(line: Record<string, unknown>): T | null;
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
}

export async function startChild<T>(options: StartChildOptions<T>): Promise<StartedChild<T>> {
  const child = spawn(options.command ?? process.execPath, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    // stdin is a pipe so a child can notice the bench going away (EOF).
    stdio: ['pipe', options.stream === 'stdout' ? 'pipe' : 'ignore', options.stream === 'stderr' ? 'pipe' : 'inherit'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${options.command ?? 'node'} ${options.args.join(' ')}`);
  const unregister = onCleanup(() => killPid(pid, 'SIGKILL'));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const source = options.stream === 'stdout' ? child.stdout : child.stderr;
  if (!source) throw new Error('child stream missing');
  const listeners = new Set<(line: Record<string, unknown>) => void>();
  const tail: string[] = [];
  let resolveReady: (value: T) => void = () => undefined;
  let rejectReady: (error: Error) => void = () => undefined;
  const readyPromise = new Promise<T>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  let isReady = false;
  createInterface({ input: source }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      if (!isReady) tail.push(text);
      return;
    }
    if (!isReady) {
      tail.push(text);
      const value = options.ready(line);
      if (value !== null) {
        isReady = true;
        resolveReady(value);
      }
      return;
    }
    for (const l of listeners) l(line);
  });
  void exited.then(({ code, signal }) => {
    if (!isReady) rejectReady(new Error(`child exited (${code ?? signal}) before it was ready: ${tail.slice(-5).join(' | ')}`));
  });
  const timer = setTimeout(() => rejectReady(new Error(`child not ready after ${options.timeoutMs} ms: ${tail.slice(-5).join(' | ')}`)), options.timeoutMs);
  let ready: T;
  try {
    ready = await readyPromise;
  } catch (error) {
    killPid(pid, 'SIGKILL');
    unregister();
    throw error;
  } finally {
    clearTimeout(timer);
  }

  return {
    child,
    pid,
    ready,
    onLine(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) {
        unregister();
        return { code: child.exitCode, signal: child.signalCode, forced: false };
      }
      killPid(pid, 'SIGTERM');
      let forced = false;
      const timer2 = setTimeout(() => {
        forced = true;
        killPid(pid, 'SIGKILL');
      }, graceMs);
      const result = await exited;
      clearTimeout(timer2);
      child.stdin?.destroy();
      unregister();
      return { ...result, forced };
    },
  };
}
