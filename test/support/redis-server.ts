/**
 * A real redis-server (Debian's) on a free loopback port for the tests: no
 * persistence, optionally a password, stopped by PID. Outside CI a missing
 * redis-server skips the tests that need it (`redisSkip`); with CI=true it is
 * a failure (scripts/test-deps.sh installs it).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

const PRESENT = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
const IN_CI = process.env.CI === 'true';

/** A skip reason for node:test when redis-server is absent outside CI; false otherwise (in CI the test runs and fails). */
export const redisSkip: string | false = !PRESENT && !IN_CI ? 'redis-server is not installed (scripts/test-deps.sh installs it)' : false;

export interface RedisServer {
  /** redis://[:password@]127.0.0.1:PORT */
  url: string;
  port: number;
  readonly pid: number | undefined;
  /** SIGTERM, then SIGKILL after 2 s; resolves once it exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port (after stop). */
  restart(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bound and released; the caller binds it next). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startRedis(options: { password?: string } = {}): Promise<RedisServer> {
  if (!PRESENT) throw new Error('redis-server is not installed: run scripts/test-deps.sh');
  const port = await freePort();
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--loglevel', 'warning'];
    if (options.password) args.push('--requirepass', options.password);
    const c = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server on ${port} did not start within 10 s: ${out.slice(-500)}`)), 10_000);
      const poll = setInterval(() => {
        // Ready once it accepts a TCP connection.
        const probe = spawnSync('redis-cli', ['-p', String(port), ...(options.password ? ['--no-auth-warning', '-a', options.password] : []), 'ping'], { encoding: 'utf8' });
        if (probe.stdout?.includes('PONG')) {
          clearTimeout(timer);
          clearInterval(poll);
          resolve();
        }
      }, 50);
      c.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      c.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      c.once('exit', (code) => {
        clearTimeout(timer);
        clearInterval(poll);
        reject(new Error(`redis-server exited (${code}): ${out.slice(-500)}`));
      });
    });
    c.removeAllListeners('exit');
  };

  const stop = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  return {
    url: `redis://${auth}127.0.0.1:${port}`,
    port,
    get pid() {
      return child?.pid;
    },
    stop,
    restart: launch,
  };
}
