/**
 * The container engine client against recorded Docker API responses over a unix socket (a replay server on a
 * real socket, test/support/docker-replay.ts) and against faulty servers: a hung engine is bounded by the
 * timeout, a huge answer by the size cap, broken JSON is a warning; plus the log stream framing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { startDockerReplay } from '../../test/support/docker-replay.js';
import type { Replay } from '../../test/support/docker-replay.js';
import { createCollectorContext } from './context.js';
import { API_PREFIX, apiGet, apiJson, demuxLogs, engineTime, findContainerSocket, parseContainerList, parseInspect, parseStats } from './containers.js';

const open: Replay[] = [];
after(async () => {
  for (const r of open) await r.close();
});
async function replay(mode?: 'hang' | 'huge' | 'malformed'): Promise<Replay> {
  const r = await startDockerReplay(mode ? { mode } : {});
  open.push(r);
  return r;
}

describe('recorded Docker API responses over a unix socket', () => {
  test('list, inspect and stats parse into the fields hostlens reports', async () => {
    const r = await replay();
    const list = await apiJson(r.socket, `${API_PREFIX}/containers/json?all=1`);
    assert.ok(list.ok);
    const { items, bad } = parseContainerList(list.ok ? list.value : null);
    assert.equal(bad, 0);
    assert.deepEqual(items.map((i) => [i.name, i.state]), [['web', 'running'], ['api', 'running'], ['worker', 'exited'], ['shell', 'running']]);
    const w = await apiJson(r.socket, `${API_PREFIX}/containers/worker/json`);
    const worker = parseInspect(w.ok ? w.value : null)!;
    assert.equal(worker.oomKilled, true);
    assert.equal(worker.exitCode, 137);
    assert.equal(worker.restartCount, 12);
    assert.equal(worker.pid, null, 'an exited container has no pid');
    assert.equal(worker.health, 'none');
    assert.equal(worker.memoryLimitBytes, 134217728);
    const web = parseInspect(((await apiJson(r.socket, `${API_PREFIX}/containers/a1b2c3/json`)) as { value: unknown }).value)!;
    assert.equal(web.name, 'web', 'an id prefix resolves');
    assert.equal(web.startedAt, '2026-11-24T18:00:00.123Z');
    assert.equal(web.tty, false);
    const s = await apiJson(r.socket, `${API_PREFIX}/containers/${web.id}/stats?stream=false`);
    const st = parseStats(s.ok ? s.value : null);
    // 0.25 s of CPU over 2 CPU-seconds of system time on 2 online CPUs: 25 % of one core
    assert.equal(st.cpuPct, 25);
    assert.equal(st.memBytes, 100 * 1024 * 1024, 'usage minus inactive_file');
    assert.equal(st.pids, 12);
    assert.equal(st.windowSec, 1.001);
  });

  test('an unknown container is a 404 with the engine message; a stopped container has no stats', async () => {
    const r = await replay();
    const miss = await apiJson(r.socket, `${API_PREFIX}/containers/nope/json`);
    assert.equal(miss.ok, false);
    assert.equal(miss.ok ? 0 : miss.status, 404);
    assert.match(miss.ok ? '' : miss.message, /No such container: nope/);
    const stopped = await apiJson(r.socket, `${API_PREFIX}/containers/worker/stats?stream=false`);
    assert.equal(stopped.ok ? 0 : stopped.status, 409);
  });

  test('multiplexed logs demux into stdout/stderr frames; TTY logs are raw', async () => {
    const r = await replay();
    const mux = await apiGet(r.socket, `${API_PREFIX}/containers/web/logs?stdout=1&stderr=1&timestamps=1&tail=3`);
    assert.equal(mux.status, 200);
    const d = demuxLogs(mux.body, false);
    assert.equal(d.raw, false);
    assert.equal(d.partial, false);
    assert.deepEqual(d.frames.map((f) => f.stream), ['stdout', 'stderr', 'stdout']);
    assert.match(d.frames[2]!.text, /504/);
    const tty = await apiGet(r.socket, `${API_PREFIX}/containers/shell/logs?stdout=1&stderr=1&timestamps=1&tail=10`);
    const t = demuxLogs(tty.body, true);
    assert.equal(t.raw, true);
    assert.equal(t.frames.length, 1);
    assert.match(t.frames[0]!.text, /\r\n/);
  });
});

describe('container API client bounds', () => {
  test('a hung engine (accepts, never answers) is bounded by the timeout', { timeout: 30_000 }, async (t) => {
    const r = await replay('hang');
    // The client's timer is mocked and the engine never answers: the request can only end when the clock is
    // ticked to its timeout — not a millisecond before, and at once when it is reached. A client without a
    // timeout would hang (the test's timeout is the guard).
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let res: Awaited<ReturnType<typeof apiGet>> | undefined;
    const pending = apiGet(r.socket, `${API_PREFIX}/version`, { timeoutMs: 300 }).then((v) => (res = v));
    while (r.requests.length === 0) await new Promise((done) => setImmediate(done));
    assert.equal(r.requests.length, 1, 'the request reached the server');
    t.mock.timers.tick(299);
    await new Promise((done) => setImmediate(done));
    assert.equal(res, undefined, 'still waiting 1 ms before the timeout');
    t.mock.timers.tick(1);
    const answered = await pending;
    t.mock.timers.reset();
    assert.equal(answered.status, null);
    assert.match(answered.error ?? '', /within 300 ms/);
  });

  test('an abort signal ends a pending request', async () => {
    const r = await replay('hang');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const res = await apiGet(r.socket, `${API_PREFIX}/version`, { timeoutMs: 5000, signal: ac.signal });
    assert.equal(res.error, 'aborted');
  });

  test('a huge answer is capped, not buffered whole, and not parsed', async () => {
    const r = await replay('huge');
    const raw = await apiGet(r.socket, `${API_PREFIX}/containers/json?all=1`, { maxBytes: 64 * 1024 });
    assert.equal(raw.capped, true);
    assert.equal(raw.body.length, 64 * 1024);
    const j = await apiJson(r.socket, `${API_PREFIX}/containers/json?all=1`);
    assert.equal(j.ok, false);
    assert.match(j.ok ? '' : j.message, /larger than 8388608 bytes/);
  });

  test('malformed JSON is a failure message, never a throw', async () => {
    const r = await replay('malformed');
    const j = await apiJson(r.socket, `${API_PREFIX}/containers/json?all=1`);
    assert.equal(j.ok, false);
    assert.match(j.ok ? '' : j.message, /malformed JSON/);
  });

  test('a missing socket: connection error from the client, null from discovery', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hl-nosock-'));
    try {
      const res = await apiGet(join(dir, 'docker.sock'), '/v1.41/version', { timeoutMs: 1000 });
      assert.equal(res.status, null);
      assert.match(res.error ?? '', /ENOENT/);
      const ctx = createCollectorContext({ root: dir, pageSize: 4096 });
      assert.equal(findContainerSocket(ctx, null).socket, null);
      assert.equal(findContainerSocket(ctx, join(dir, 'docker.sock')).socket, null);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('discovery: a configured socket is used as is; defaults are looked up under the collector root', async () => {
    const r = await replay();
    const ctx = createCollectorContext({ root: '/nonexistent-root', pageSize: 4096 });
    assert.equal(findContainerSocket(ctx, r.socket).socket, r.socket);
    assert.ok(findContainerSocket(ctx, null).tried.includes('/var/run/docker.sock'));
  });
});

describe('engine document parsing over damaged input', () => {
  test('garbage never throws and reads as null/empty', () => {
    for (const v of [null, 42, 'x', [], {}, { Id: 5 }, [{ Id: 'zz' }, null]]) {
      assert.doesNotThrow(() => parseContainerList(v));
      assert.doesNotThrow(() => parseInspect(v));
      assert.doesNotThrow(() => parseStats(v));
    }
    assert.deepEqual(parseContainerList([{ Id: 'zz' }, null]), { items: [], bad: 2 });
    assert.equal(parseInspect({ Name: '/x' }), null);
    assert.equal(parseInspect({ Id: 'ab', State: { Health: { Status: '' } }, Config: { Image: '' }, Image: '' })?.health, 'none', 'Podman: empty health status = no healthcheck');
    assert.equal(parseInspect({ Id: 'ab', Config: { Image: '' }, Image: '' })?.image, null);
    assert.deepEqual(parseStats({}), { cpuPct: null, memBytes: null, memLimitBytes: null, pids: null, windowSec: null });
    assert.equal(engineTime('0001-01-01T00:00:00Z'), null);
    assert.equal(engineTime('yesterday'), null);
  });

  test('memory: cgroup v1 subtracts total_inactive_file (as docker stats does), v2 inactive_file', () => {
    assert.equal(parseStats({ memory_stats: { usage: 1000, limit: 4000, stats: { inactive_file: 100, total_inactive_file: 300 } } }).memBytes, 700);
    assert.equal(parseStats({ memory_stats: { usage: 1000, limit: 4000, stats: { inactive_file: 100 } } }).memBytes, 900);
    assert.equal(parseStats({ memory_stats: { usage: 1000, stats: { inactive_file: 5000 } } }).memBytes, 1000, 'a cache larger than usage is ignored');
  });

  test('one-shot stats without a previous sample give no CPU %', () => {
    const s = parseStats({ cpu_stats: { cpu_usage: { total_usage: 5e9 }, system_cpu_usage: 9e14, online_cpus: 2 }, precpu_stats: { cpu_usage: { total_usage: 0 }, system_cpu_usage: 0 } });
    assert.equal(s.cpuPct, null);
  });

  test('a truncated multiplexed stream keeps the complete frames and says it was partial', () => {
    const frame = (k: number, t: string): Buffer => Buffer.concat([Buffer.from([k, 0, 0, 0]), Buffer.from([0, 0, 0, Buffer.byteLength(t)]), Buffer.from(t)]);
    const whole = Buffer.concat([frame(1, 'a\n'), frame(2, 'bb\n'), frame(1, 'cccc\n')]);
    const cut = demuxLogs(whole.subarray(0, whole.length - 3), false);
    assert.equal(cut.partial, true);
    assert.deepEqual(cut.frames.map((f) => f.text), ['a\n', 'bb\n', 'cc']);
    const junk = demuxLogs(Buffer.from('plain text that is not multiplexed\n'), false);
    assert.equal(junk.raw, true);
  });
});
