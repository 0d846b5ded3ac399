/** Real child processes for live tests: spawned, awaited until they print a first line, always killable. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

export class Children {
  readonly all: ChildProcess[] = [];

  /** Runs `node -e script ...args` and resolves once it prints its first stdout line (bounded by timeoutMs). */
  node(script: string, args: string[] = [], timeoutMs = 15_000): Promise<{ child: ChildProcess; line: string }> {
    const child = spawn(process.execPath, ['-e', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.all.push(child);
    return new Promise((resolve, reject) => {
      let out = '';
      const fail = (why: string): void => {
        clearTimeout(timer);
        reject(new Error(`child ${child.pid}: ${why}`));
      };
      const timer = setTimeout(() => fail(`no output within ${timeoutMs} ms`), timeoutMs);
      child.once('exit', (code, sig) => fail(`exited early (${code ?? sig})`));
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const end = out.indexOf('\n');
        if (end < 0) return;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ child, line: out.slice(0, end).trim() });
      });
    });
  }

  /** SIGKILLs every child still running (call from `after`). */
  killAll(): void {
    for (const c of this.all) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}
