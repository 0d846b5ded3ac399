/**
 * A real node_exporter and a real Prometheus (Debian's) on free loopback
 * ports for the tests: node_exporter reads a given proc/sys tree, Prometheus
 * scrapes the given targets into a temporary TSDB. Both are stopped by PID and
 * their temporary directories removed. Outside CI a missing binary skips the
 * tests that need them (`prometheusSkip`); with CI=true it is a failure
 * (scripts/test-deps.sh installs them).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server.js';

const NODE_EXPORTER = ['prometheus-node-exporter', '/usr/bin/prometheus-node-exporter'].find(
  (bin) => spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0,
);
const PROMETHEUS_PRESENT = spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0;
const IN_CI = process.env.CI === 'true';

/** A skip reason for node:test when prometheus or node_exporter is absent outside CI; false otherwise (in CI the test runs and fails). */
export const prometheusSkip: string | false =
  (!PROMETHEUS_PRESENT || !NODE_EXPORTER) && !IN_CI ? 'prometheus or prometheus-node-exporter is not installed (scripts/test-deps.sh installs them)' : false;

/**
 * The collectors a recorded proc/sys tree can serve. The package's defaults also
 * include systemd (which dials the real host's D-Bus, not the tree) and hardware
 * collectors that fail on files a recording lacks, and diskstats waits on udev:
 * only these are enabled, so every scrape reads the tree alone and succeeds.
 */
const TREE_COLLECTORS = ['loadavg', 'meminfo', 'cpu', 'stat', 'vmstat', 'pressure', 'netdev', 'uname', 'time'];

export interface Exporter {
  /** host:port, as a scrape target. */
  target: string;
  /** http://127.0.0.1:PORT */
  url: string;
  readonly pid: number | undefined;
  /** SIGTERM, then SIGKILL after 2 s; resolves once it exited and its temporary directory is gone. */
  stop(): Promise<void>;
}

/** Polls `url` until it answers 200, the child exits, or 15 s pass. */
async function waitReady(child: ChildProcess, url: string, name: string, output: () => string): Promise<void> {
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`${name} exited (${exited}): ${output().slice(-800)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} was not ready at ${url} within 15 s: ${output().slice(-800)}`);
}

function launch(bin: string, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  // Keep only the tail, so a chatty child cannot grow the test's memory.
  const keep = (d: Buffer): void => void (out = (out + d.toString()).slice(-8_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: () => out };
}

function stopper(child: ChildProcess, dir: string): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 2_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
}

export async function startNodeExporter(options: { procfs?: string; sysfs?: string; rootfs?: string; port?: number; collectors?: string[] } = {}): Promise<Exporter> {
  if (!NODE_EXPORTER) throw new Error('prometheus-node-exporter is not installed: run scripts/test-deps.sh');
  const port = options.port ?? (await freePort());
  // An empty udev data dir, so nothing is read from the real host's /run/udev.
  const dir = await mkdtemp(join(tmpdir(), 'hostlens-node-exporter-'));
  const args = [
    `--web.listen-address=127.0.0.1:${port}`,
    `--path.udev.data=${dir}`,
    '--collector.disable-defaults',
    ...(options.collectors ?? TREE_COLLECTORS).map((c) => `--collector.${c}`),
    '--log.level=warn',
  ];
  if (options.procfs) args.push(`--path.procfs=${options.procfs}`);
  if (options.sysfs) args.push(`--path.sysfs=${options.sysfs}`);
  if (options.rootfs) args.push(`--path.rootfs=${options.rootfs}`);
  const { child, output } = launch(NODE_EXPORTER, args);
  const stop = stopper(child, dir);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(child, `${url}/metrics`, 'node_exporter', output);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    target: `127.0.0.1:${port}`,
    url,
    get pid() {
      return child.pid;
    },
    stop,
  };
}

export interface PrometheusServer {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  readonly pid: number | undefined;
  /** SIGTERM, then SIGKILL after 2 s; resolves once it exited and its config and TSDB are gone. */
  stop(): Promise<void>;
}

export async function startPrometheus(options: { targets: string[]; scrapeIntervalSec?: number }): Promise<PrometheusServer> {
  if (!PROMETHEUS_PRESENT) throw new Error('prometheus is not installed: run scripts/test-deps.sh');
  const interval = options.scrapeIntervalSec ?? 1;
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'hostlens-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  // JSON is YAML: no YAML writer needed.
  await writeFile(
    config,
    JSON.stringify({
      global: { scrape_interval: `${interval}s`, scrape_timeout: `${interval}s`, evaluation_interval: `${interval}s` },
      scrape_configs: [{ job_name: 'node', static_configs: [{ targets: options.targets }] }],
    }),
  );
  const args = [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ];
  const { child, output } = launch('prometheus', args);
  const stop = stopper(child, dir);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(child, `${url}/-/ready`, 'prometheus', output);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    port,
    get pid() {
      return child.pid;
    },
    stop,
  };
}
