/**
 * list_containers and get_container_logs against recorded Docker API responses over a unix socket (the replay
 * server), with a fixture root holding the web container's cgroup so throttling is read from the cgroup
 * around the stats request; and with no engine at all (available:false, not an error).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ToolDefinition, ToolOutput } from '../definitions/types.js';
import { HostlensError } from '../contracts/errors.js';
import { createServices } from '../app/create-services.js';
import type { RunningServices } from '../app/create-services.js';
import { getContainerLogs } from '../tools/get-container-logs.js';
import { listContainers } from '../tools/list-containers.js';
import { startDockerReplay } from '../../test/support/docker-replay.js';
import type { Replay } from '../../test/support/docker-replay.js';

const WEB_SCOPE = 'sys/fs/cgroup/system.slice/docker-a1b2c3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff00.scope';
const PLANTED = /Planted/;

function cpuStat(periods: number, throttled: number): string {
  return `usage_usec 5000000\nuser_usec 4000000\nsystem_usec 1000000\nnr_periods ${periods}\nnr_throttled ${throttled}\nthrottled_usec ${throttled * 20000}\n`;
}

function fixtureRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'hl-ctr-root-'));
  mkdirSync(join(root, 'proc/4242'), { recursive: true });
  writeFileSync(join(root, 'proc/4242/cgroup'), '0::/system.slice/docker-a1b2c3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff00.scope\n');
  // api's process is in a cgroup this view does not contain (another cgroup namespace): not its cgroup.
  mkdirSync(join(root, 'proc/4343'), { recursive: true });
  writeFileSync(join(root, 'proc/4343/cgroup'), '0::/system.slice/docker-b2c3d4e5f6a70718293a4b5c6d7e8f90112233445566778899aabbccddeeff11.scope\n');
  // shell's pid names an unrelated process here (hostlens in another pid namespace): its cgroup is not the container's.
  mkdirSync(join(root, 'proc/4444'), { recursive: true });
  writeFileSync(join(root, 'proc/4444/cgroup'), '0::/user.slice/session-1.scope\n');
  mkdirSync(join(root, WEB_SCOPE), { recursive: true });
  writeFileSync(join(root, 'sys/fs/cgroup/cgroup.procs'), '1\n');
  writeFileSync(join(root, 'sys/fs/cgroup/cgroup.controllers'), 'cpu memory pids io\n');
  writeFileSync(join(root, WEB_SCOPE, 'cgroup.procs'), '4242\n');
  writeFileSync(join(root, WEB_SCOPE, 'cpu.stat'), cpuStat(1000, 100));
  writeFileSync(join(root, WEB_SCOPE, 'cpu.max'), '100000 100000\n');
  writeFileSync(join(root, WEB_SCOPE, 'memory.max'), '536870912\n');
  writeFileSync(join(root, WEB_SCOPE, 'memory.current'), '125829120\n');
  return root;
}

async function call<D>(tool: ToolDefinition, args: Record<string, unknown>, services: RunningServices): Promise<ToolOutput<D>> {
  const parsed = tool.input.parse(args);
  const out = (await tool.handler(parsed as never, { services, served: new Map(), signal: new AbortController().signal, progress: async () => undefined })) as ToolOutput<D>;
  tool.data.parse(out.data);
  assert.doesNotMatch(JSON.stringify(out), PLANTED, 'a planted secret leaked');
  assert.equal(typeof tool.render(out as never), 'string');
  return out;
}

describe('recorded Docker API responses over a unix socket: list_containers and get_container_logs', () => {
  let replay: Replay;
  let services: RunningServices;
  let root: string;
  before(async () => {
    root = fixtureRoot();
    // The engine's stats request takes time; the cgroup's counters advance meanwhile (100 periods, 30 throttled).
    replay = await startDockerReplay({ onStats: (name) => name === 'web' && writeFileSync(join(root, WEB_SCOPE, 'cpu.stat'), cpuStat(1100, 130)) });
    services = createServices({ root, containerSocket: replay.socket, startSampler: false, changeWatch: false });
  });
  after(async () => {
    services.stop();
    await replay.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('list_containers: problems first, state/health/restarts/OOM, stats, throttling from the cgroup, assessments', async () => {
    type D = { available: boolean; runtime: { kind: string; version: string } | null; containers: Array<Record<string, unknown>>; counts: Record<string, number> };
    const out = await call<D>(listContainers, {}, services);
    const d = out.data;
    assert.equal(d.available, true);
    assert.equal(d.runtime?.kind, 'docker');
    assert.equal(d.runtime?.version, '24.0.7');
    assert.deepEqual(d.containers.map((c) => c.name), ['worker', 'api', 'shell', 'web']);
    assert.deepEqual(d.counts, { total: 4, running: 3, unhealthy: 1, oomKilled: 1, inspected: 4 });
    const [worker, api, shell, web] = d.containers as Array<Record<string, unknown>>;
    assert.deepEqual(
      { id: worker!.id, state: worker!.state, oomKilled: worker!.oomKilled, exitCode: worker!.exitCode, restarts: worker!.restarts, cpuPct: worker!.cpuPct, memLimitBytes: worker!.memLimitBytes },
      { id: 'c3d4e5f6a7b8', state: 'exited', oomKilled: true, exitCode: 137, restarts: 12, cpuPct: null, memLimitBytes: 134217728 },
    );
    assert.equal(api!.health, 'unhealthy');
    assert.equal(api!.cpuPct, 180);
    assert.equal(api!.memUsedPct, 99.6);
    assert.equal(api!.throttledPct, null, 'the root cgroup is not the container\'s');
    assert.ok(out.warnings?.some((w) => /api: its cgroup \(pid 4343\) is not visible .*not under this cgroup mount/.test(w)), JSON.stringify(out.warnings));
    assert.equal(web!.health, 'healthy');
    assert.equal(web!.cpuPct, 25);
    assert.equal(web!.memBytes, 104857600);
    assert.equal(web!.memUsedPct, 19.5);
    assert.equal(web!.throttledPct, 30, '30 of 100 periods throttled between the two cgroup reads');
    assert.equal(web!.pids, 12);
    assert.equal(shell!.memLimitBytes, null, 'no limit: the engine reports host memory, hostlens says unlimited');
    assert.equal(shell!.memUsedPct, null);
    assert.equal(shell!.throttledPct, null, 'pid 4444 here is another process');
    assert.ok(out.warnings?.some((w) => /shell: its cgroup \(pid 4444\) is not visible .*does not name the container/.test(w)), JSON.stringify(out.warnings));
    assert.equal(out.windowSec, 1.001);
    const byCode = new Map(out.assessments!.map((a) => [a.code, a]));
    assert.equal(byCode.get('container.oom_killed')?.status, 'critical');
    assert.match(byCode.get('container.oom_killed')!.message, /worker/);
    assert.equal(byCode.get('container.unhealthy')?.status, 'critical');
    assert.equal(byCode.get('container.restarts')?.status, 'critical');
    assert.equal(byCode.get('container.restarts')?.value, 12);
    assert.equal(byCode.get('container.memory_used')?.status, 'critical');
    assert.match(byCode.get('container.memory_used')!.message, /api/);
    assert.equal(byCode.get('container.cpu_throttled')?.status, 'critical');
    assert.equal(byCode.get('container.cpu_throttled')?.value, 30);
  });

  test('list_containers: state filter and paging (limit + cursor) visit every container once', async () => {
    const running = await call<{ containers: Array<{ name: string }> }>(listContainers, { state: 'running' }, services);
    assert.deepEqual(running.data.containers.map((c) => c.name), ['api', 'shell', 'web']);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 5; i++) {
      const page = await call<{ containers: Array<{ name: string }> }>(listContainers, { limit: 3, ...(cursor ? { cursor } : {}) }, services);
      seen.push(...page.data.containers.map((c) => c.name));
      cursor = page.truncated?.nextCursor;
      if (!cursor) break;
    }
    assert.deepEqual(seen, ['worker', 'api', 'shell', 'web']);
  });

  test('get_container_logs: multiplexed stream → timestamped stdout/stderr lines, secrets redacted, --port kept', async () => {
    type D = { lines: Array<{ ts: string | null; stream: string; text: string }>; redactionCount: number; scannedLines: number; matchedLines: number; moreBefore: boolean; container: { id: string; tty: boolean } };
    const out = await call<D>(getContainerLogs, { container: 'web' }, services);
    const d = out.data;
    assert.equal(d.container.id, 'a1b2c3d4e5f6');
    assert.equal(d.lines.length, 7);
    assert.equal(d.scannedLines, 7);
    assert.equal(d.moreBefore, false);
    assert.deepEqual(d.lines.slice(0, 4).map((l) => l.stream), ['stdout', 'stderr', 'stdout', 'stderr']);
    assert.equal(d.lines[0]!.ts, '2026-11-24T19:59:50.100Z');
    assert.match(d.lines[0]!.text, /^10\.0\.0\.5 - - "GET \/health/);
    assert.ok(d.redactionCount >= 3, String(d.redactionCount));
    assert.match(d.lines[1]!.text, /postgres:\/\/app:\[REDACTED\]@db/);
    assert.match(d.lines[2]!.text, /Bearer \[REDACTED\]/);
    assert.match(d.lines[3]!.text, /password=\[REDACTED\]/);
    assert.match(d.lines[4]!.text, /--port 8080 with workers=4/, 'over-redaction: a port is not a secret');
  });

  test('get_container_logs: tail, grep (case-insensitive literal), truncated when more matched than returned', async () => {
    const tail = await call<{ lines: Array<{ text: string }>; moreBefore: boolean }>(getContainerLogs, { container: 'a1b2c3d4', tail: 2 }, services);
    assert.equal(tail.data.lines.length, 2);
    assert.match(tail.data.lines[1]!.text, /504/);
    assert.equal(tail.data.moreBefore, true);
    const g = await call<{ lines: Array<{ text: string }>; matchedLines: number; scannedLines: number }>(getContainerLogs, { container: 'api', grep: 'PANIC', tail: 2 }, services);
    assert.equal(g.data.matchedLines, 5);
    assert.equal(g.data.lines.length, 2);
    assert.match(g.data.lines[1]!.text, /attempt 4/);
    assert.deepEqual(g.truncated, { returned: 2, total: 5 });
    const none = await call<{ lines: unknown[] }>(getContainerLogs, { container: 'web', grep: 'no such text' }, services);
    assert.equal(none.data.lines.length, 0);
    assert.match(replay.requests.at(-1)!, /\/logs\?stdout=1&stderr=1&timestamps=1&tail=1000$/, 'grep scans 10 × tail lines');
    await call(getContainerLogs, { container: 'web', since: '2026-11-24T19:00:00Z', tail: 7 }, services);
    assert.match(replay.requests.at(-1)!, new RegExp(`tail=7&since=${Date.parse('2026-11-24T19:00:00Z') / 1000}$`), 'since goes to the engine as unix seconds');
  });

  test('get_container_logs: a TTY container has raw logs (all stdout, CR stripped, redacted)', async () => {
    const out = await call<{ lines: Array<{ stream: string; text: string; ts: string | null }>; container: { tty: boolean } }>(getContainerLogs, { container: 'shell' }, services);
    assert.equal(out.data.container.tty, true);
    assert.equal(out.data.lines.length, 3);
    assert.ok(out.data.lines.every((l) => l.stream === 'stdout' && !l.text.endsWith('\r') && l.ts !== null));
    assert.match(out.data.lines[0]!.text, /token=\[REDACTED\]/);
  });

  test('get_container_logs: an unknown container is a HostlensError; a bad name never reaches the API', async () => {
    await assert.rejects(() => call(getContainerLogs, { container: 'nope' }, services), (e: unknown) => e instanceof HostlensError && /no container "nope"/.test((e as Error).message));
    const before = replay.requests.length;
    assert.throws(() => getContainerLogs.input.parse({ container: '../../version' }));
    assert.throws(() => getContainerLogs.input.parse({ container: 'web?x=1' }));
    assert.equal(replay.requests.length, before);
    await assert.rejects(() => call(getContainerLogs, { container: 'web', since: 'yesterday' }, services), HostlensError);
  });
});

describe('no container engine', () => {
  test('list_containers and get_container_logs: available:false with an unknown assessment and a warning, not an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hl-ctr-none-'));
    const services = createServices({ root: dir, startSampler: false, changeWatch: false });
    try {
      const l = await call<{ available: boolean; containers: unknown[] }>(listContainers, {}, services);
      assert.equal(l.data.available, false);
      assert.deepEqual(l.data.containers, []);
      assert.equal(l.assessments?.[0]?.status, 'unknown');
      assert.match(l.warnings?.[0] ?? '', /no Docker\/Podman API socket \(looked for \/var\/run\/docker\.sock/);
      const g = await call<{ available: boolean; lines: unknown[] }>(getContainerLogs, { container: 'web' }, services);
      assert.equal(g.data.available, false);
    } finally {
      services.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // The engine never answers, so answering at all proves the API timeout ended the wait; the warning says it was
  // that timeout. The test's timeout is a hang guard, ten times the 3 s API timeout.
  test('a hung engine: list_containers answers available:false at the API timeout', { timeout: 30_000 }, async () => {
    const hung = await startDockerReplay({ mode: 'hang' });
    const services = createServices({ root: '/nonexistent', containerSocket: hung.socket, startSampler: false, changeWatch: false });
    try {
      const l = await call<{ available: boolean }>(listContainers, {}, services);
      assert.equal(l.data.available, false);
      assert.match(l.warnings?.[0] ?? '', /did not answer: GET \/v1\.41\/version: no complete answer within 3000 ms/);
    } finally {
      services.stop();
      await hung.close();
    }
  });
});

describe('recorded Docker API responses over a unix socket: bounded stats fan-out', () => {
  test('list_containers sends at most 8 stats requests at once, and reports progress per container', async () => {
    const bulk = await startDockerReplay({ bulk: { count: 20, state: 'running' }, statsDelayMs: 150 });
    const services = createServices({ root: '/nonexistent', containerSocket: bulk.socket, startSampler: false, changeWatch: false });
    try {
      const fractions: number[] = [];
      const parsed = listContainers.input.parse({ limit: 20 });
      const out = await listContainers.handler(parsed, { services, served: new Map(), signal: new AbortController().signal, progress: async (f) => void fractions.push(f) });
      // page: worker (OOM), api (unhealthy), then 18 running by name: bulk-000 … bulk-017
      assert.equal(out.data.containers.length, 20);
      const running = out.data.containers.filter((c) => c.state === 'running').length;
      assert.equal(running, 19);
      // 19 stats requests, never more than 8 answered at once: at least three rounds, none run all together.
      assert.equal(bulk.maxStatsInFlight(), 8);
      assert.equal(fractions.length, 19);
      assert.equal(fractions.at(-1), 1);
    } finally {
      services.stop();
      await bulk.close();
    }
  });
});

describe('recorded Docker API responses over a unix socket: cancellation', () => {
  test('an aborted list_containers stops waiting for the engine at once', async () => {
    // The engine holds each stats answer 4 s (under the 5 s stats timeout, so only the abort can end the wait).
    // The abort comes as the first stats request reaches the engine, and the handler must return before that
    // answer is even due: the order of events, not a duration, says it did not wait.
    const STATS_DELAY_MS = 4000;
    const ac = new AbortController();
    let firstAnswerDue = false;
    let answerTimer: NodeJS.Timeout | undefined;
    const slow = await startDockerReplay({
      bulk: { count: 8, state: 'running' },
      statsDelayMs: STATS_DELAY_MS,
      onStats: () => {
        if (ac.signal.aborted) return;
        // Scheduled just before the engine's own answer timer, so it fires no later than that answer.
        answerTimer = setTimeout(() => (firstAnswerDue = true), STATS_DELAY_MS);
        ac.abort();
      },
    });
    const services = createServices({ root: '/nonexistent', containerSocket: slow.socket, startSampler: false, changeWatch: false });
    try {
      const out = await listContainers.handler(listContainers.input.parse({}), { services, served: new Map(), signal: ac.signal, progress: async () => undefined });
      assert.ok(ac.signal.aborted, 'the handler returned before any stats request reached the engine');
      assert.equal(firstAnswerDue, false, 'the aborted handler waited for the engine to answer');
      assert.ok(out.warnings?.some((w) => /stats unavailable .*aborted/.test(w)), JSON.stringify(out.warnings));
    } finally {
      clearTimeout(answerTimer);
      services.stop();
      await slow.close();
    }
  });
});

describe('recorded Docker API responses over a unix socket: logs the engine cannot read', () => {
  test('a 501 from the logs endpoint (syslog/none logging driver) is a HostlensError with the engine message and where to look', async () => {
    const msg = 'configured logging driver does not support reading';
    const r = await startDockerReplay({ logsError: { status: 501, message: msg } });
    const services = createServices({ root: '/nonexistent', containerSocket: r.socket, startSampler: false, changeWatch: false });
    try {
      await assert.rejects(
        () => getContainerLogs.handler(getContainerLogs.input.parse({ container: 'web' }), { services, served: new Map(), signal: new AbortController().signal, progress: async () => undefined }),
        (e: unknown) => e instanceof HostlensError && (e as Error).message.includes(`HTTP 501 ${msg}`) && /journal or syslog/.test((e as Error).message),
      );
    } finally {
      services.stop();
      await r.close();
    }
  });
});
