/**
 * 1,000 extra sleeping processes for the process-table phase: `sleep 600`
 * children (not detached, stdio ignored), their PIDs recorded, killed by PID
 * with SIGKILL afterwards (and from the cleanup registry on any exit or
 * signal), then verified gone: every child reported its exit, and no
 * /proc/<pid> of ours is still a `sleep` whose parent is this process.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { killPid, onCleanup } from './cleanup.js';
import { now, round, within } from './stats.js';

export interface Sleepers {
  pids: readonly number[];
  spawnMs: number;
  /** Sleepers seen alive in /proc (comm "sleep", parent = this process). */
  countAlive(): Promise<number>;
  /** Kills every PID, waits for every exit (bounded), and checks /proc. */
  killAll(): Promise<{ killed: number; exited: number; stillAlive: number; ms: number }>;
}

async function isOurSleeper(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    const ppid = Number(fields[1]);
    return comm === 'sleep' && ppid === process.pid && state !== 'Z';
  } catch {
    return false;
  }
}

export async function spawnSleepers(count: number, seconds = 600): Promise<Sleepers> {
  const children: ChildProcess[] = [];
  const pids: number[] = [];
  const exits: Array<Promise<void>> = [];
  const unregister = onCleanup(() => {
    for (const pid of pids) killPid(pid, 'SIGKILL');
  });
  const t0 = now();
  try {
    for (let i = 0; i < count; i++) {
      const child = spawn('sleep', [String(seconds)], { detached: false, stdio: 'ignore' });
      if (child.pid === undefined) {
        const error = await new Promise<Error>((resolve) => child.once('error', resolve));
        throw new Error(`could not spawn sleeper ${i + 1}/${count}: ${error.message}`);
      }
      children.push(child);
      pids.push(child.pid);
      exits.push(
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) resolve();
          else child.once('exit', () => resolve());
        }),
      );
      // Yield now and then so exit/error events are not starved while spawning.
      if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
    }
  } catch (error) {
    for (const pid of pids) killPid(pid, 'SIGKILL');
    unregister();
    throw error;
  }
  const spawnMs = round(now() - t0, 0);

  const countAlive = async (): Promise<number> => {
    let alive = 0;
    for (const pid of pids) if (await isOurSleeper(pid)) alive++;
    return alive;
  };

  return {
    pids,
    spawnMs,
    countAlive,
    async killAll() {
      const k0 = now();
      for (const pid of pids) killPid(pid, 'SIGKILL');
      let exited = 0;
      for (const e of exits) void e.then(() => exited++);
      await within(20_000, 'sleepers to exit', Promise.all(exits)).catch(() => undefined);
      const stillAlive = await countAlive();
      if (stillAlive === 0) unregister();
      return { killed: pids.length, exited, stillAlive, ms: round(now() - k0, 0) };
    },
  };
}
