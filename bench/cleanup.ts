/**
 * Last-resort cleanup: every child the bench starts (load target, memory
 * target, 1,000 sleepers) registers a synchronous killer here. They run on
 * normal exit, on an uncaught error, and on SIGINT/SIGTERM/SIGHUP, so nothing
 * the bench spawned outlives it. Killers only ever signal PIDs the bench
 * itself spawned.
 */

type Killer = () => void;

const killers = new Map<number, Killer>();
let nextId = 1;
let installed = false;

function runAll(): void {
  for (const [id, kill] of [...killers]) {
    killers.delete(id);
    try {
      kill();
    } catch {
      /* already gone */
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, killing every process the bench started\n`);
      runAll();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/** Registers a synchronous killer; returns a function that unregisters it. */
export function onCleanup(kill: Killer): () => void {
  install();
  const id = nextId++;
  killers.set(id, kill);
  return () => {
    killers.delete(id);
  };
}

/** Sends `signal` to a PID the bench spawned, ignoring ESRCH. */
export function killPid(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, signal);
  } catch {
    /* gone already */
  }
}
