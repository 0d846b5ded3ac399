/**
 * The one way hostlens runs a program: a fixed table of allowed programs
 * (journalctl, systemctl), an argv array (never a shell, so no argument is
 * ever interpreted), no stdin, a minimal environment, a timeout, an output
 * cap and an abort signal. A program that overruns any bound is SIGKILLed and
 * the result says which bound it hit; nothing here throws.
 */
import { spawn } from 'node:child_process';

/** The programs hostlens may run, and nothing else. */
const PROGRAMS = ['journalctl', 'systemctl'] as const;
type Program = (typeof PROGRAMS)[number];

interface RunOptions {
  /** Kill the program after this long (default 5000 ms, at most 30000). */
  timeoutMs?: number;
  /** Kill the program once stdout exceeds this many bytes (default 4 MiB, at most 64 MiB); the result keeps the first maxOutputBytes. */
  maxOutputBytes?: number;
  signal?: AbortSignal;
  /**
   * Executable to run instead of the program's name looked up in PATH: tests
   * point this at a recorded-output stand-in. Production leaves it unset.
   */
  executable?: string;
  /**
   * Receives stdout chunk by chunk (cut at maxOutputBytes like the collected form) instead of collecting
   * it: `stdout` is then ''. A consumer that parses as bytes arrive never holds the whole output as one
   * string (9 MB of journal JSON was a 9 MB string plus 20,000 objects alive at once).
   */
  onStdout?: (chunk: Buffer) => void;
}

export interface RunResult {
  program: Program;
  stdout: string;
  /** The first 4 KiB of stderr, for error messages. */
  stderr: string;
  exitCode: number | null;
  /** The signal that ended the program (SIGKILL when we killed it). */
  killedBy: NodeJS.Signals | null;
  /** Which bound stopped it, if any. */
  stopped: 'timeout' | 'output-cap' | 'aborted' | null;
  /** stdout was cut at maxOutputBytes. */
  truncated: boolean;
  durationMs: number;
  /** Why it could not start (ENOENT: not installed, EACCES, ...). */
  spawnError: string | null;
}

const DEFAULT_TIMEOUT_MS = 5000;
const MAX_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_OUTPUT = 4 * 1024 * 1024;
const MAX_OUTPUT = 64 * 1024 * 1024;
const STDERR_CAP = 4096;

/** Runs an allowed program with a fixed argv; resolves (never rejects) with what happened. */
export function runProgram(program: Program, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  const timeoutMs = Math.min(MAX_TIMEOUT_MS, Math.max(1, options.timeoutMs ?? DEFAULT_TIMEOUT_MS));
  const cap = Math.min(MAX_OUTPUT, Math.max(1, options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT));
  if (!(PROGRAMS as readonly string[]).includes(program)) {
    return Promise.resolve(result(program, started, { spawnError: `program "${String(program)}" is not allowed` }));
  }
  if (args.some((a) => typeof a !== 'string' || a.includes('\0'))) {
    return Promise.resolve(result(program, started, { spawnError: 'arguments must be strings without NUL bytes' }));
  }
  if (options.signal?.aborted) return Promise.resolve(result(program, started, { stopped: 'aborted' }));
  return new Promise((resolve) => {
    const child = spawn(options.executable ?? program, [...args], {
      shell: false,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', SYSTEMD_PAGER: '', SYSTEMD_COLORS: '0' },
      windowsHide: true,
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let stopped: RunResult['stopped'] = null;
    let truncated = false;
    let spawnError: string | null = null;
    let settled = false;
    const stop = (why: NonNullable<RunResult['stopped']>): void => {
      if (stopped === null) stopped = why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop('timeout'), timeoutMs);
    const onAbort = (): void => stop('aborted');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      if (truncated) return;
      const room = cap - outBytes;
      const keep = options.onStdout ?? ((c: Buffer) => void out.push(c));
      if (chunk.length > room) {
        keep(chunk.subarray(0, room));
        outBytes = cap;
        truncated = true;
        stop('output-cap');
        return;
      }
      keep(chunk);
      outBytes += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < STDERR_CAP) err += chunk.toString('utf8', 0, Math.min(chunk.length, STDERR_CAP - err.length));
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e.code ?? e.message;
    });
    child.on('close', (code, sig) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(
        result(program, started, {
          stdout: options.onStdout ? '' : Buffer.concat(out, outBytes).toString('utf8'),
          stderr: err,
          exitCode: code,
          killedBy: sig,
          stopped,
          truncated,
          spawnError,
        }),
      );
    });
  });
}

function result(program: Program, started: number, r: Partial<RunResult>): RunResult {
  return {
    program,
    stdout: '',
    stderr: '',
    exitCode: null,
    killedBy: null,
    stopped: null,
    truncated: false,
    spawnError: null,
    ...r,
    durationMs: Math.round((performance.now() - started) * 10) / 10,
  };
}

/** One line for a warning or tool error: why a run did not give a clean answer, or null if it did. */
export function describeRunFailure(r: RunResult): string | null {
  if (r.spawnError) return `${r.program} could not run (${r.spawnError})`;
  if (r.stopped === 'timeout') return `${r.program} was killed after its time limit (${r.durationMs} ms)`;
  if (r.stopped === 'aborted') return `${r.program} was stopped: the call was cancelled`;
  if (r.stopped === 'output-cap') return null; // truncation is reported by the caller as truncated output
  if (r.exitCode !== 0) return `${r.program} exited with ${r.exitCode ?? r.killedBy}${r.stderr ? `: ${r.stderr.trim().split('\n')[0]!.slice(0, 200)}` : ''}`;
  return null;
}
