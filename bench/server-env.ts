/**
 * The in-process server the processes and tools phases time: N extra `sleep 600` children (checked
 * alive), real Services (the 1 Hz sampler on /), the product factory for the given toolsets and the
 * product's createHttpApp on a loopback port, with a logger capturing each request line (durationMs).
 * After the body, every sleeper is killed by PID and checked gone; everything is torn down on error too.
 */
import type { Toolset } from '../src/contracts/scopes.js';
import { createHttpApp } from '../src/http/app.js';
import type { McpFactory } from '../src/http/sessions/manager.js';
import { createProductFactory } from '../src/app/product-factory.js';
import { createServices } from '../src/app/create-services.js';
import { createLogger } from '../src/util/log.js';
import type { Logger } from '../src/util/log.js';
import { spawnSleepers } from './sleepers.js';
import type { Sleepers } from './sleepers.js';
import { sleep } from './stats.js';
import { keepAliveAgent } from './wire.js';

/**
 * One Services (and sampler) for every phase of a bench run. Besides being one process's reality, this
 * sidesteps src/server/prompts.ts wrapping the same prompt-argument schema with completable() once per
 * Services: a second Services in one process makes every later server build fail with "Cannot redefine
 * property: Symbol(mcp.completable)" (HTTP 500), which broke the tools phase after the processes phase.
 */
let shared: ReturnType<typeof createServices> | undefined;
export function benchServices(): ReturnType<typeof createServices> {
  shared ??= createServices({ root: '/', samplerIntervalMs: 1000 });
  return shared;
}
export function stopBenchServices(): void {
  shared?.stop();
  shared = undefined;
}

/** The app's own JSON logger, with request lines captured (for durationMs) and warnings passed on. */
export function captureLogger(lines: Array<Record<string, unknown>>): Logger {
  return createLogger({
    level: 'debug',
    write: (line) => {
      const record = JSON.parse(line) as Record<string, unknown>;
      if (record.msg === 'request') lines.push(record);
      else if (record.level === 'warn' || record.level === 'error') process.stderr.write(`bench: app ${line}`);
    },
  });
}

export interface BenchServer {
  services: ReturnType<typeof createServices>;
  factory: McpFactory;
  app: ReturnType<typeof createHttpApp>;
  port: number;
  agent: ReturnType<typeof keepAliveAgent>;
  /** Request log lines captured since the last lastRequestMs(). */
  lines: Array<Record<string, unknown>>;
  /** durationMs of the last request line, which must be for `tool`; clears the captured lines. */
  lastRequestMs(tool: string): number;
}

export interface BenchServerRun<T> {
  value: T;
  sleepers: { requested: number; alive: number; spawnMs: number; firstPid: number | undefined; lastPid: number | undefined };
  kill: Awaited<ReturnType<Sleepers['killAll']>>;
}

export async function withBenchServer<T>(
  options: { sleepers: number; toolsets: readonly Toolset[]; log: (line: string) => void },
  body: (env: BenchServer, alive: number) => Promise<T>,
): Promise<BenchServerRun<T>> {
  const { log } = options;
  log(`  spawning ${options.sleepers} × sleep 600 …`);
  const sleepers = await spawnSleepers(options.sleepers);
  const lines: Array<Record<string, unknown>> = [];
  let app: ReturnType<typeof createHttpApp> | undefined;
  const agent = keepAliveAgent(1);
  let kill: BenchServerRun<T>['kill'] | undefined;
  try {
    const alive = await sleepers.countAlive();
    log(`  ${alive}/${options.sleepers} sleepers alive after ${sleepers.spawnMs} ms (pids ${sleepers.pids[0]}…${sleepers.pids[sleepers.pids.length - 1]})`);
    if (alive < options.sleepers) throw new Error(`only ${alive} of ${options.sleepers} sleepers are alive`);
    const services = benchServices();
    const factory = createProductFactory({ services, toolsets: options.toolsets });
    app = createHttpApp({ factory, host: '127.0.0.1', port: 0, logger: captureLogger(lines), version: 'bench' });
    const { port } = await app.listen();
    // Let the sampler take two ticks and its first process baseline.
    await sleep(2_500);
    const lastRequestMs = (tool: string): number => {
      const line = lines.pop();
      lines.length = 0;
      if (!line || line.tool !== tool || typeof line.durationMs !== 'number') throw new Error(`no request log line for ${tool}: ${JSON.stringify(line)}`);
      return line.durationMs;
    };
    const value = await body({ services, factory, app, port, agent, lines, lastRequestMs }, alive);
    kill = await sleepers.killAll();
    log(`  killed ${kill.killed} sleepers by PID in ${kill.ms} ms; ${kill.exited} exits seen; ${kill.stillAlive} still alive`);
    if (kill.stillAlive > 0) throw new Error(`${kill.stillAlive} sleepers are still alive after SIGKILL`);
    return {
      value,
      sleepers: { requested: options.sleepers, alive, spawnMs: sleepers.spawnMs, firstPid: sleepers.pids[0], lastPid: sleepers.pids[sleepers.pids.length - 1] },
      kill,
    };
  } finally {
    agent.destroy();
    await app?.close().catch(() => undefined);
    if (!kill) {
      const k = await sleepers.killAll();
      log(`  (cleanup) killed ${k.killed} sleepers; ${k.stillAlive} still alive`);
    }
  }
}
