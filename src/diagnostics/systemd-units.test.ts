/**
 * list_services / get_service over recorded systemctl output: the stand-in
 * systemctl (test/fixtures/systemd/bin) is first in PATH, the collector root
 * is a fixture tree whose PID 1 is systemd, and the tool handlers run the
 * same code path as on a live host. Plus the live machine's answer.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HostlensError } from '../contracts/errors.js';
import type { Services } from '../definitions/host-services.js';
import { servicesAt } from '../../test/fixtures/fixture-services.js';
import { systemdStatus } from '../collectors/systemd.js';
import { listServicesTool } from '../tools/list-services.js';
import { getServiceTool } from '../tools/get-service.js';
import { getServiceDataSchema, listServicesDataSchema } from './systemd-units.js';
import type { GetServiceData, ListServicesData } from './systemd-units.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/systemd/', import.meta.url));
const PLANTED = ['hunter2-planted-42', 'tok_plantedvalue9', 'planted world'];

const ctxOf = (services: Services) => ({ services, served: new Map(), signal: AbortSignal.timeout(20_000), progress: async () => undefined });
async function list(services: Services, args: Record<string, unknown> = {}) {
  const out = await listServicesTool.handler(listServicesTool.input.parse(args), ctxOf(services));
  return { ...out, data: listServicesDataSchema.parse(out.data) as ListServicesData };
}
async function get(services: Services, args: Record<string, unknown>) {
  const out = await getServiceTool.handler(getServiceTool.input.parse(args), ctxOf(services));
  return { ...out, data: getServiceDataSchema.parse(out.data) as GetServiceData };
}

describe('recorded systemctl output: list_services and get_service', () => {
  const savedPath = process.env.PATH;
  let services: Services;
  before(() => {
    process.env.PATH = `${join(FIX, 'bin')}:${savedPath ?? ''}`;
    services = servicesAt(join(FIX, 'host'));
  });
  after(() => {
    process.env.PATH = savedPath;
  });

  test('failed first, then activating, active, inactive; counts over every unit', async () => {
    const r = await list(services);
    assert.deepEqual(r.data.systemd, { available: true, reason: null });
    assert.deepEqual(r.data.units.map((u) => u.name), [
      'backup.service', 'nginx.service', 'worker.service', 'cron.service', 'postgresql.service', 'ssh.service', 'systemd-journald.service', 'redis.service', 'rsync.service',
    ]);
    assert.deepEqual(r.data.counts, { failed: 2, active: 4, inactive: 2, activating: 1, total: 9 });
    const ssh = r.data.units.find((u) => u.name === 'ssh.service')!;
    assert.deepEqual(ssh, {
      name: 'ssh.service', description: 'OpenBSD Secure Shell server', load: 'loaded', active: 'active', sub: 'running', result: 'success',
      since: '2026-11-18T11:06:40Z', restarts: 0, memoryBytes: 5242880, cpuSec: 1.25, tasks: 1, mainPid: 611,
    });
    const nginx = r.data.units.find((u) => u.name === 'nginx.service')!;
    assert.equal(nginx.memoryBytes, null, '[not set] is null, not 0');
    assert.equal(nginx.mainPid, null);
  });

  test('assessments: failed units and the crash-looping unit', async () => {
    const r = await list(services);
    const failed = r.assessments!.find((a) => a.code === 'services.failed')!;
    assert.equal(failed.status, 'warning');
    assert.equal(failed.value, 2);
    assert.deepEqual(failed.evidence, ['backup.service', 'nginx.service']);
    const loop = r.assessments!.find((a) => a.code === 'services.crash_loop')!;
    assert.equal(loop.status, 'critical', '17 restarts is at or above the critical level 10');
    assert.equal(loop.value, 17);
    assert.match(loop.evidence![0]!, /^worker\.service: activating\/auto-restart/);
    const quiet = await list(services, { pattern: 'ssh*' });
    assert.deepEqual(quiet.assessments!.find((a) => a.code === 'services.crash_loop')!.status, 'ok');
  });

  test('filters: state and pattern; a bad pattern is a tool error', async () => {
    assert.deepEqual((await list(services, { state: 'failed' })).data.units.map((u) => u.name), ['backup.service', 'nginx.service']);
    assert.deepEqual((await list(services, { state: 'inactive' })).data.units.map((u) => u.name), ['redis.service', 'rsync.service']);
    assert.deepEqual((await list(services, { state: 'active', pattern: '[wc]*' })).data.units.map((u) => u.name), ['worker.service', 'cron.service']);
    await assert.rejects(list(services, { pattern: 'x; rm -rf /' }), HostlensError);
    await assert.rejects(list(services, { pattern: '--all' }), HostlensError);
  });

  test('paging: limit + cursor visit every unit once, in order', async () => {
    const first = await list(services, { limit: 4 });
    assert.equal(first.data.units.length, 4);
    assert.equal(first.page?.field, 'units');
    assert.equal(first.truncated?.total, 9);
    const second = await list(services, { limit: 4, cursor: first.truncated!.nextCursor });
    const third = await list(services, { limit: 4, cursor: second.truncated!.nextCursor });
    assert.equal(third.truncated?.nextCursor, undefined);
    const all = (await list(services)).data.units.map((u) => u.name);
    assert.deepEqual([...first.data.units, ...second.data.units, ...third.data.units].map((u) => u.name), all);
    await assert.rejects(list(services, { limit: 4, state: 'failed', cursor: first.truncated!.nextCursor }), /different query/);
  });

  test('get_service: exit, limits, drop-ins, failed dependencies; environment names only', async () => {
    const r = await get(services, { unit: 'worker' });
    const u = r.data.unit!;
    assert.equal(u.name, 'worker.service');
    assert.equal(u.execMainCode, 'killed');
    assert.equal(u.execMainStatus, 9);
    assert.equal(u.execMainPid, 5120);
    assert.equal(u.restarts, 17);
    assert.equal(u.memoryMaxBytes, 268435456);
    assert.equal(u.tasksMax, 64);
    assert.equal(u.restartPolicy, 'always');
    assert.equal(u.controlGroup, '/system.slice/worker.service');
    assert.deepEqual(u.environmentNames, ['DB_PASSWORD', 'GREETING', 'API_TOKEN', 'QUEUE']);
    assert.deepEqual(u.dependenciesFailed, [
      { name: 'redis.service', relation: 'Requires', load: 'not-found', active: 'inactive', result: 'success' },
      { name: 'backup.service', relation: 'Wants', load: 'loaded', active: 'failed', result: 'oom-kill' },
    ]);
    const state = r.assessments!.find((a) => a.code === 'service.state')!;
    assert.equal(state.status, 'warning');
    const text = JSON.stringify(r) + getServiceTool.render(r);
    for (const secret of PLANTED) assert.ok(!text.includes(secret), `planted value ${secret} leaked`);
  });

  test('get_service: a failed unit is critical; drop-ins and RFC 3339 since', async () => {
    const r = await get(services, { unit: 'nginx.service', logLines: 0 });
    const u = r.data.unit!;
    assert.deepEqual(u.dropIns, ['/etc/systemd/system/nginx.service.d/override.conf', '/etc/systemd/system/nginx.service.d/limits.conf']);
    assert.equal(u.execMainCode, 'exited');
    assert.equal(u.execMainStatus, 1);
    assert.equal(u.since, '2026-11-18T12:06:40Z');
    assert.equal(u.memoryMaxBytes, null, 'infinity');
    assert.deepEqual(u.dependenciesFailed, []);
    assert.equal(r.assessments!.find((a) => a.code === 'service.state')!.status, 'critical');
  });

  test('get_service: unknown and hostile unit names are tool errors', async () => {
    await assert.rejects(get(services, { unit: 'nosuch.service' }), (e: unknown) => e instanceof HostlensError && /unknown unit "nosuch.service"/.test(e.message));
    for (const bad of ['x; rm -rf /', '--help', '../x', '-x', 'a b']) {
      await assert.rejects(get(services, { unit: bad }), (e: unknown) => e instanceof HostlensError && /is not a unit name/.test(e.message), bad);
    }
  });

  // The stand-in sleeps 60 s, three times the test's timeout: a tool error at all proves the hung systemctl was
  // killed rather than waited out, with no timing threshold a loaded machine could cross.
  test('a hung systemctl becomes a tool error naming the time limit', { timeout: 20_000 }, async () => {
    process.env.PATH = `${join(FIX, 'hang')}:${savedPath ?? ''}`;
    try {
      await assert.rejects(list(services), (e: unknown) => e instanceof HostlensError && /killed after its time limit/.test(e.message));
    } finally {
      process.env.PATH = `${join(FIX, 'bin')}:${savedPath ?? ''}`;
    }
  });
});

test('systemd not PID 1: available false with the reason and an unknown assessment, not an error', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hostlens-nosystemd-'));
  try {
    mkdirSync(join(root, 'proc/1'), { recursive: true });
    writeFileSync(join(root, 'proc/1/comm'), 'process_api\n');
    const services = servicesAt(root);
    const l = await list(services);
    assert.equal(l.data.systemd.available, false);
    assert.match(l.data.systemd.reason!, /not PID 1.*"process_api"/);
    assert.equal(l.data.counts, null);
    assert.deepEqual(l.assessments!.map((a) => [a.code, a.status]), [['services.systemd_unavailable', 'unknown']]);
    assert.match(l.warnings!.join(' '), /not PID 1/);
    const g = await get(services, { unit: 'ssh.service' });
    assert.equal(g.data.unit, null);
    assert.equal(g.data.systemd.available, false);
    assert.match(listServicesTool.render(l), /systemd not available/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('live: the answer matches how this machine was booted', async () => {
  const services = servicesAt();
  const status = systemdStatus(services.collectors);
  const r = await list(services).catch((e: unknown) => e);
  if (!status.available) {
    // e.g. this CI machine: PID 1 is not systemd
    assert.ok(!(r instanceof Error), String(r));
    const out = r as Awaited<ReturnType<typeof list>>;
    assert.equal(out.data.systemd.available, false);
    assert.match(out.data.systemd.reason!, /systemd is not PID 1/);
    assert.ok(out.data.systemd.reason!.includes(status.pid1Comm ?? 'unreadable'));
  } else {
    assert.ok(!(r instanceof Error), String(r));
    const out = r as Awaited<ReturnType<typeof list>>;
    assert.ok(out.data.counts!.total > 0, 'a systemd host has service units');
  }
});

test('live systemctl on a root that claims systemd: where no manager answers, available false with systemctl\'s reason, not an error', async () => {
  const services = servicesAt(join(FIX, 'host')); // proc/1/comm says systemd; the real systemctl asks the real manager
  const live = systemdStatus(servicesAt().collectors);
  const l = await list(services);
  const g = await get(services, { unit: 'ssh.service' }).catch((e: unknown) => e);
  if (!live.available) {
    assert.equal(l.data.systemd.available, false);
    assert.match(l.data.systemd.reason!, /systemctl cannot reach the service manager: systemctl exited with 1: System has not been booted with systemd/);
    assert.equal(l.assessments![0]!.status, 'unknown');
    assert.ok(!(g instanceof Error), String(g));
    assert.equal((g as Awaited<ReturnType<typeof get>>).data.systemd.available, false);
  } else {
    assert.equal(l.data.systemd.available, true);
    assert.ok(l.data.counts!.total > 0);
  }
});
