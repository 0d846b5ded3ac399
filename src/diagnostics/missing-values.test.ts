/**
 * Text the diagnostics build — assessment messages and evidence, kernel event summaries, change details,
 * group keys, warnings — reaches the user through the tools' results and renderings and through the
 * incident_report prompt. Where a value is missing it reads "n/a" or the clause is left out, never a bare
 * "?": checked over every recorded fixture host through the tools, and over inputs with the values taken
 * away, each site with the wording it now has.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { productCatalogue } from '../catalogue/index.js';
import { createCollectorContext } from '../collectors/context.js';
import { readCgroup } from '../collectors/cgroup.js';
import type { ContainerInspect } from '../collectors/containers.js';
import { createSampler } from '../collectors/sampler.js';
import type { Assessment } from '../contracts/assessment.js';
import type { Services } from '../definitions/host-services.js';
import type { ToolDefinition } from '../definitions/types.js';
import { incidentReportPrompt } from '../prompts/incident-report.js';
import { captureSnapshot } from '../tools/capture-snapshot.js';
import { FIXTURE_HOSTS, fixtureServices, servicesAt, servicesOf } from '../../test/fixtures/fixture-services.js';
import { buildJournal } from '../../test/fixtures/journal/build.js';
import { startDockerReplay } from '../../test/support/docker-replay.js';
import type { Replay } from '../../test/support/docker-replay.js';
import { toolContext } from '../../test/support/tool-context.js';
import { buildCgroupDetail } from './cgroup-detail.js';
import { collectChanges } from './changes.js';
import { containerAssessments, cgroupMismatch } from './containers.js';
import { classifyKernelMessage, classifyKernelMessages } from './kernel-events.js';
import { readLimitsHealth } from './limits.js';
import { readMemory } from './memory.js';
import { assessNetwork, readNetwork } from './network.js';
import { readProcessDetail } from './process.js';
import { restartsAssessment, unitFromProps } from './systemd-units.js';
import { collectSockets, findSocketOwners, groupSockets } from './sockets.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));

/** A "?" standing for a value ("(? since boot)", "comm[?]", "HTTP ?"): one that does not end a word, as a question does. */
const PLACEHOLDER = /(^|[^A-Za-z])\?/;

/** Every string of `value` the user reads as prose, with where it sits. */
function* prose(value: unknown, where: string): Generator<[string, string]> {
  if (typeof value === 'string') {
    yield [where, value];
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) yield* prose(v, `${where}[${i}]`);
  } else if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    for (const [k, v] of Object.entries(o)) {
      // A message is prose where it belongs to an assessment or finding (a log line's message is the host's text).
      const judged = k === 'message' && typeof o.code === 'string';
      if (judged || ['summary', 'detail', 'evidence', 'warnings', 'key', 'reason', 'label'].includes(k)) yield* prose(v, `${where}.${k}`);
      else if (typeof v === 'object') yield* prose(v, `${where}.${k}`);
    }
  }
}

function assertNoPlaceholder(value: unknown, where: string): void {
  for (const [at, text] of prose(value, where)) assert.doesNotMatch(text, PLACEHOLDER, `${at} holds "?" for a missing value: ${JSON.stringify(text)}`);
}

const message = (list: readonly Assessment[], code: string): Assessment => {
  const a = list.find((x) => x.code === code);
  assert.ok(a, `assessment ${code} in ${list.map((x) => x.code).join(', ')}`);
  return a;
};

/** A writable copy of a recorded host tree (links kept as links), edited by `edit`. */
function hostCopy(tmp: string, from: string, edit: (root: string) => void): string {
  const root = mkdtempSync(join(tmp, 'host-'));
  cpSync(from, root, { recursive: true, verbatimSymlinks: true });
  edit(root);
  return root;
}

const dropLines = (file: string, re: RegExp): void => writeFileSync(file, readFileSync(file, 'utf8').split('\n').filter((l) => !re.test(l)).join('\n'));

/** The arguments a tool needs here, or null to leave it out (every other tool runs with none). */
function argsFor(tool: ToolDefinition, selfPid: number | null): Record<string, unknown> | null {
  if (tool.input.safeParse({}).success) return {};
  switch (tool.name) {
    case 'get_process':
      return selfPid === null ? null : { pid: selfPid };
    case 'get_cgroup':
      return selfPid === null ? null : { target: { pid: selfPid }, windowSec: 0.2 };
    case 'get_sysctl':
      return { prefix: 'vm' };
    case 'get_service':
      return { unit: 'worker.service' };
    case 'get_container_logs':
      return { container: 'web' };
    default:
      return null;
  }
}

/** Every tool that can run here, over `services`: results, renderings and error messages hold no placeholder. */
async function sweep(services: Services, label: string, selfPid: number | null): Promise<number> {
  const ctx = toolContext(services, { toolsets: ['core', 'config', 'network', 'history', 'containers', 'logs'] });
  let ran = 0;
  for (const tool of productCatalogue.tools as readonly ToolDefinition[]) {
    const args = argsFor(tool, selfPid);
    if (args === null) continue;
    const where = `${tool.name} over ${label}`;
    let out;
    try {
      out = await tool.handler(tool.input.parse(args) as never, ctx);
    } catch (e) {
      // A refusal (no such unit here, no engine) is text for the user too.
      assert.doesNotMatch((e as Error).message, PLACEHOLDER, `${where} threw ${(e as Error).message}`);
      continue;
    }
    ran++;
    assertNoPlaceholder(out.assessments ?? [], `${where} assessments`);
    assertNoPlaceholder(out.warnings ?? [], `${where} warnings`);
    assertNoPlaceholder(out.data, `${where} data`);
    assert.doesNotMatch(tool.render(out as never), PLACEHOLDER, `${where} text`);
  }
  return ran;
}

describe('recorded hosts: no "?" placeholder in what the diagnostics say', { timeout: 120_000 }, () => {
  const HOSTS: Array<[string, string, number]> = [
    // psi-stall and oom are idle with other counters: oom adds the OOM kill findings, busy the rest.
    ['busy', 'busy-later', 4242],
    ['cgroup-v1', 'cgroup-v1', 3107],
    ['container-v2', 'container-v2', 7],
    ['oom', 'oom-later', 4242],
    ['timewait-storm', 'timewait-storm', 0],
  ];
  for (const [first, second, self] of HOSTS) {
    test(`${first} → ${second}: every tool`, async () => {
      const ran = await sweep(fixtureServices(first, second), first, self || null);
      assert.ok(ran >= 15, `${ran} tools ran over ${first}`);
    });
  }

  test('kernel log (kmsg/mixed): events and their summaries', async () => {
    assert.ok((await sweep(servicesAt(join(FIXTURES, 'kmsg/mixed')), 'kmsg/mixed', null)) >= 10);
  });

  describe('systemd units (recorded systemctl) and a recorded Docker engine', () => {
    const savedPath = process.env.PATH;
    let replay: Replay;
    before(async () => {
      process.env.PATH = `${join(FIXTURES, 'systemd/bin')}:${savedPath ?? ''}`;
      replay = await startDockerReplay();
    });
    after(async () => {
      process.env.PATH = savedPath;
      await replay.close();
    });
    test('list_services, get_service and the crash-loop evidence; list_containers, get_container_logs', async () => {
      const services = servicesAt(join(FIXTURES, 'systemd/host'));
      services.limits = { ...services.limits, containerSocket: replay.socket };
      assert.ok((await sweep(services, 'systemd/host + docker', null)) >= 15);
    });
  });

  describe('package log and a journal over two boots', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'hl-missing-journal-'));
    after(() => rmSync(tmp, { recursive: true, force: true }));
    test('recent_changes (packages, reboots, kernels, services) and search_logs', async () => {
      const root = hostCopy(tmp, join(FIXTURES, 'dpkg/basic'), (r) => buildJournal(join(r, 'var/log/journal')));
      const services = servicesAt(root);
      assert.ok((await sweep(services, 'dpkg/basic + journal', null)) >= 10);
      const r = await collectChanges(services, { since: '-30d', nowMs: Date.parse('2026-11-25T00:00:00Z') });
      assert.ok(r.changes.some((c) => c.kind === 'reboot'), 'the journal names the boots');
      assertNoPlaceholder(r, 'collectChanges');
    });
  });
});

describe('missing values: "n/a" or the clause left out', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'hl-missing-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('memory: OOM kills in the window without a since-boot count say nothing of boot', () => {
    // The window's kills come from the sampler (oom → oom-later); the since-boot count of the vmstat read now is gone.
    const now = hostCopy(tmp, FIXTURE_HOSTS + 'oom', (r) => dropLines(join(r, 'proc/vmstat'), /^oom_kill /));
    const ctx = createCollectorContext({ root: FIXTURE_HOSTS + 'oom' });
    let clock = 0;
    const sampler = createSampler({ ctx, now: () => clock, processScanEvery: 0 });
    sampler.tick();
    ctx.root = FIXTURE_HOSTS + 'oom-later';
    clock = 10_000;
    sampler.tick();
    ctx.root = now;
    const r = readMemory(servicesOf(ctx, sampler));
    assert.equal(r.data.oomKillsSinceBoot, null);
    assertNoPlaceholder(r, 'get_memory');
    assert.equal(message(r.assessments, 'memory.oom_kill').message, '2 OOM kill(s) in the last sampler window');
  });

  test('limits and get_process: a process whose name is not readable is named by its pid alone', async () => {
    const root = hostCopy(tmp, FIXTURE_HOSTS + 'busy', (r) => {
      // No comm file in the fixture: the name comes from stat, whose comm field is empty here (prctl allows "").
      dropLines(join(r, 'proc/812/status'), /^Name:/);
      const stat = readFileSync(join(r, 'proc/812/stat'), 'utf8');
      writeFileSync(join(r, 'proc/812/stat'), stat.replace(/\(.*\)/, '()'));
    });
    const unreadable = hostCopy(tmp, FIXTURE_HOSTS + 'busy', (r) => unlinkSync(join(r, 'proc/812/stat')));
    const limits = readLimitsHealth(servicesAt(unreadable));
    assert.equal(limits.data.topFdProcesses.find((p) => p.pid === 812)?.comm, null);
    assertNoPlaceholder(limits, 'get_limits');
    assert.match(message(limits.assessments, 'limits.process_fds').message, /^Open files of pid 812 of its soft limit /);
    const p = await readProcessDetail(servicesAt(root), { pid: 812, include: ['limits', 'fds'] });
    assert.ok(!('missing' in p), 'pid 812 is read');
    assert.equal(p.data.comm, '');
    assertNoPlaceholder(p, 'get_process');
    assert.match(message(p.assessments, 'process.fds').message, /^Open files of pid 812 of its soft limit /);
  });

  test('cgroup: usage counters that are not there read n/a beside the limits that are', () => {
    const root = hostCopy(tmp, FIXTURE_HOSTS + 'container-v2', (r) => {
      const cg = join(r, 'sys/fs/cgroup');
      unlinkSync(join(cg, 'memory.current'));
      unlinkSync(join(cg, 'pids.current'));
      dropLines(join(cg, 'cpu.stat'), /^nr_(periods|throttled) /);
    });
    const services = servicesAt(root);
    const r = buildCgroupDetail(services, readCgroup(services.collectors, 'self'), null, 1);
    assertNoPlaceholder(r, 'get_cgroup');
    assert.deepEqual(message(r.assessments, 'cgroup.memory_used').evidence, ['n/a of 536870912 bytes']);
    assert.deepEqual(message(r.assessments, 'cgroup.cpu_throttled').evidence, ['quota 0.5 cores, n/a of n/a periods throttled since creation']);
    assert.match(message(r.assessments, 'cgroup.pids').evidence?.[0] ?? '', /^n\/a of \d+$/);
  });

  test('kernel events: an OOM victim without a pid or a name is named by what is known', () => {
    const killed = classifyKernelMessage('Out of memory: Killed process 12345678901234567 (java) total-vm:1kB, anon-rss:1kB, file-rss:1kB');
    assert.equal(killed?.pid, null);
    assert.equal(killed?.summary, 'OOM killer killed java');
    const chosen = classifyKernelMessages([{ tsMs: 1, message: 'oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,pid=10,uid=0' }]);
    assert.equal(chosen.length, 1);
    assert.equal(chosen[0]!.summary, 'OOM killer chose pid 10 (kill line not in the log)');
  });

  test('sockets by process: an owner whose name is not readable is grouped as "pid N"', async () => {
    const storm = FIXTURE_HOSTS + 'timewait-storm';
    const services = servicesAt(storm);
    const r = await collectSockets(services, { state: 'all' });
    const owners = await findSocketOwners(services.collectors, null);
    const pid = [...owners.owners.values()][0];
    assert.ok(pid !== undefined, 'the fixture has socket owners');
    const root = hostCopy(tmp, storm, (x) => unlinkSync(join(x, 'proc', String(pid), 'comm')));
    const groups = groupSockets(servicesAt(root), r.rows, 'process', owners);
    assertNoPlaceholder(groups, 'list_sockets groups');
    assert.ok(groups.some((g) => g.key === `pid ${pid}` && g.pid === pid && g.comm === null), JSON.stringify(groups));
  });

  test('package and boot changes: versions and kernel releases not recorded', async () => {
    const root = join(tmp, 'changes');
    mkdirSync(join(root, 'var/log'), { recursive: true });
    mkdirSync(join(root, 'proc/sys/kernel/random'), { recursive: true });
    writeFileSync(
      join(root, 'var/log/dpkg.log'),
      ['2026-11-24 10:00:00 install newpkg:amd64 <none> <none>', '2026-11-24 10:01:00 upgrade oldpkg:amd64 <none> 2.0', '2026-11-24 10:02:00 upgrade halfpkg:amd64 1.0 <none>', ''].join('\n'),
    );
    // The current boot from btime, with neither the kernel release nor a journal to name it.
    writeFileSync(join(root, 'proc/stat'), `cpu  1 0 1 1 0 0 0 0 0 0\nbtime ${Date.parse('2026-11-24T09:00:00Z') / 1000}\n`);
    const r = await collectChanges(servicesAt(root), { since: '-30d', nowMs: Date.parse('2026-11-25T00:00:00Z') });
    assertNoPlaceholder(r, 'recent_changes');
    const detail = (subject: string): string | undefined => r.changes.find((c) => c.subject === subject)?.detail;
    assert.equal(detail('newpkg:amd64'), 'installed');
    assert.equal(detail('oldpkg:amd64'), 'n/a → 2.0');
    assert.equal(detail('halfpkg:amd64'), '1.0 → n/a');
    const boot = r.changes.find((c) => c.kind === 'reboot');
    assert.equal(boot?.detail, 'host booted (proc/stat btime)');
    assert.ok(!r.changes.some((c) => c.kind === 'kernel'), 'an unknown release is no kernel change');
  });

  test('services: a unit without a result or a restart count, and one without a name', () => {
    const unit = unitFromProps(null, new Map([['ActiveState', 'active'], ['SubState', 'running']]));
    assert.equal(unit.name, 'unknown');
    const a = restartsAssessment(servicesAt(join(FIXTURES, 'systemd/host')), { ...unit, name: 'x.service' });
    assertNoPlaceholder(a, 'restarts');
    assert.deepEqual(a.evidence, ['x.service: active/running, result n/a, restarts n/a']);
  });

  test('containers: an OOM-killed container without an exit code; a cgroup without a path', () => {
    const inspect: ContainerInspect = {
      id: 'a'.repeat(64), name: 'web', image: null, status: 'exited', health: null, restartCount: 0, exitCode: null, oomKilled: true,
      startedAt: null, finishedAt: null, pid: null, tty: false, memoryLimitBytes: null, nanoCpus: null, cpuQuotaUs: null, cpuPeriodUs: null,
    };
    const list = containerAssessments(servicesAt('/nonexistent'), [inspect], []);
    assertNoPlaceholder(list, 'list_containers');
    assert.equal(message(list, 'container.oom_killed').message, 'Container web was OOM-killed (exit code n/a, memory limit none)');
    const info = readCgroup(createCollectorContext({ root: '/nonexistent' }), 'self');
    const why = cgroupMismatch({ info: { ...info, path: null } }, 'a'.repeat(64));
    assert.equal(why, 'its cgroup does not name the container (another pid namespace?)');
  });

  test('network: retransmissions without a segment rate', async () => {
    const services = fixtureServices('busy', 'busy-later');
    const r = await readNetwork(services);
    const data = { ...r.data, tcp: { ...r.data.tcp, outSegsPerSec: null } };
    const list = assessNetwork(data, services, true);
    assertNoPlaceholder(list, 'get_network');
    assert.deepEqual(message(list, 'tcp.retrans').evidence, [`${data.tcp.retransSegsPerSec} retransmitted segments/s`]);
  });

  test('incident_report: a snapshot without a rate window leaves the window out', async () => {
    const services = fixtureServices('busy', 'busy-later');
    const captured = services.snapshots.get((await captureSnapshot.handler({}, toolContext(services))).data.snapshotId);
    assert.ok(captured);
    const { id: _id, ...bundle } = captured;
    // A bundle whose sections measured no rates (each failed or was withheld) has no window to name.
    const id = services.snapshots.add({ ...bundle, windowSec: null }).meta.id;
    const text = incidentReportPrompt.build(incidentReportPrompt.args.parse({ startedAt: '2026-05-04T13:20:00Z', severity: 'sev2', snapshotIds: id }) as never, services).map((m) => m.text).join('\n');
    assert.doesNotMatch(text, PLACEHOLDER);
    assert.match(text, new RegExp(`^### ${id} — captured \\S+, overall \\w+$`, 'm'));
  });
});
