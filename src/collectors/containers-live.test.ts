/**
 * LIVE: a REAL Podman API service (`podman system service` on a temp unix socket) read through the same
 * client and tools. This sandbox cannot start containers (crun/runc refuse its hybrid cgroup layout), so
 * the container is created but never started: list, inspect, logs of a never-started container, runtime
 * detection and the engine's real 404 are exercised; running-container stats are covered by the recorded
 * Docker API responses (containers.test.ts). Skipped without podman, except under CI=true (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { ToolOutput } from '../definitions/types.js';
import { HostlensError } from '../contracts/errors.js';
import { createServices } from '../app/create-services.js';
import type { RunningServices } from '../app/create-services.js';
import { getContainerLogs } from '../tools/get-container-logs.js';
import { listContainers } from '../tools/list-containers.js';
import { delay } from '../../test/support/async.js';

const run = promisify(execFile);

function podmanVersion(): string | null {
  try {
    return /(\d+\.\d+\.\d+)/.exec(execFileSync('podman', ['--version'], { timeout: 10_000, encoding: 'utf8' }))?.[1] ?? null;
  } catch {
    return null;
  }
}
const version = podmanVersion();
const skip = version === null && process.env.CI !== 'true' ? 'podman is not installed here' : false;

describe('LIVE podman API service over a unix socket', { skip, timeout: 90_000 }, () => {
  const name = `hostlens-live-${process.pid}`;
  let dir: string;
  let service: ChildProcess | undefined;
  let services: RunningServices;

  before(async () => {
    assert.ok(version, 'podman is required (CI installs it in .ci/run)');
    dir = mkdtempSync(join(tmpdir(), 'hl-podman-'));
    const socket = join(dir, 'podman.sock');
    service = spawn('podman', ['--log-level=error', 'system', 'service', '--time=0', `unix://${socket}`], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !existsSync(socket); i++) await delay(100);
    assert.ok(existsSync(socket), 'podman system service did not create its socket within 10 s');
    // The secret is in the command line the engine stores, never in what hostlens returns.
    await run('podman', ['create', '--name', name, '--rootfs', '/', 'sh', '-c', 'echo password=PlantedLivePodman'], { timeout: 30_000 });
    services = createServices({ root: '/', containerSocket: socket, startSampler: false, changeWatch: false });
  });
  after(async () => {
    services?.stop();
    await run('podman', ['rm', '-f', name], { timeout: 30_000 }).catch(() => undefined);
    service?.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const ctx = () => ({ services, served: new Map(), signal: new AbortController().signal, progress: async () => undefined });

  test('list_containers: runtime podman with its version; the created container, state created, no healthcheck', async () => {
    const out = (await listContainers.handler(listContainers.input.parse({ state: 'created' }), ctx())) as ToolOutput<{ available: boolean; runtime: { kind: string; version: string }; containers: Array<Record<string, unknown>> }>;
    listContainers.data.parse(out.data);
    assert.equal(out.data.available, true);
    assert.equal(out.data.runtime.kind, 'podman');
    assert.equal(out.data.runtime.version, version);
    const mine = out.data.containers.find((c) => c.name === name);
    assert.ok(mine, JSON.stringify(out.data.containers.map((c) => c.name)));
    assert.match(String(mine.id), /^[0-9a-f]{12}$/);
    assert.deepEqual([mine.state, mine.health, mine.oomKilled, mine.startedAt, mine.cpuPct], ['created', 'none', false, null, null]);
    assert.doesNotMatch(JSON.stringify(out), /Planted/);
  });

  test('get_container_logs: a never-started container has no lines; an unknown one is the engine\'s real 404 → HostlensError', async () => {
    const out = (await getContainerLogs.handler(getContainerLogs.input.parse({ container: name }), ctx())) as ToolOutput<{ lines: unknown[]; container: { state: string } }>;
    assert.deepEqual(out.data.lines, []);
    assert.equal(out.data.container.state, 'created');
    await assert.rejects(() => getContainerLogs.handler(getContainerLogs.input.parse({ container: `${name}-ghost` }), ctx()), (e: unknown) => e instanceof HostlensError && /no container/.test((e as Error).message));
  });
});
