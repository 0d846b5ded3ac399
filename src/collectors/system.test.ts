import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCollectorContext } from './context.js';
import { parseOsRelease, readSystemInfo, readTimeSync } from './system.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/hosts/', import.meta.url));
const ctxFor = (host: string) => createCollectorContext({ root: FIX + host });

test('readSystemInfo: idle fixture', () => {
  assert.deepEqual(readSystemInfo(ctxFor('idle')), {
    hostname: 'idle-host',
    os: { name: 'Debian GNU/Linux', version: '12 (bookworm)', prettyName: 'Debian GNU/Linux 12 (bookworm)', id: 'debian', idLike: [] },
    kernel: '6.1.0-18-amd64',
    arch: 'x86_64',
    uptimeSec: 86400.5,
    bootedAt: '2025-11-23T12:13:20Z', // btime 1763900000
    virtualization: 'kvm',
    virtualizationEvidence: 'dmi: QEMU / Standard PC (Q35 + ICH9, 2009)',
    inContainer: false,
    containerRuntime: null,
    containerEvidence: null,
    rebootRequired: false, // Debian uses the marker file and it is absent
    timeSync: { synced: true, source: 'systemd-timesyncd' },
    warnings: [],
  });
});

test('readSystemInfo: busy fixture', () => {
  const s = readSystemInfo(ctxFor('busy'));
  assert.equal(s.hostname, 'db-busy-07');
  assert.deepEqual(s.os, { name: 'Ubuntu', version: '22.04.4 LTS (Jammy Jellyfish)', prettyName: 'Ubuntu 22.04.4 LTS', id: 'ubuntu', idLike: ['debian'] });
  assert.equal(s.kernel, '5.15.0-105-generic');
  assert.equal(s.arch, null); // no proc/sys/kernel/arch and not the live root
  assert.equal(s.uptimeSec, 259200);
  assert.equal(s.bootedAt, '2025-11-20T00:53:20Z');
  assert.equal(s.virtualization, 'kvm'); // Amazon EC2 (Nitro)
  assert.equal(s.inContainer, false);
  assert.equal(s.rebootRequired, true);
  assert.deepEqual(s.timeSync, { synced: null, source: null });
});

test('readSystemInfo: container-v2 fixture', () => {
  const s = readSystemInfo(ctxFor('container-v2'));
  assert.equal(s.hostname, 'a1b2c3d4e5f6');
  assert.equal(s.os.prettyName, 'Debian GNU/Linux 12 (bookworm)'); // from usr/lib/os-release
  assert.equal(s.kernel, '6.5.0-1017-azure');
  assert.equal(s.arch, 'x86_64');
  assert.equal(s.uptimeSec, 125000.25);
  assert.equal(s.bootedAt, '2025-11-24T16:00:00Z');
  assert.equal(s.virtualization, 'hyperv');
  assert.equal(s.inContainer, true);
  assert.equal(s.containerRuntime, 'docker');
  assert.equal(s.containerEvidence, '/.dockerenv');
  assert.equal(s.rebootRequired, false);
});

test('container and virtualization detection from other evidence; empty root never throws', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hostlens-sys-'));
  try {
    mkdirSync(join(dir, 'proc/1'), { recursive: true });
    mkdirSync(join(dir, 'run/systemd/timesync'), { recursive: true });
    writeFileSync(join(dir, 'proc/1/cgroup'), '0::/kubepods/burstable/pod1234/abcd\n');
    writeFileSync(join(dir, 'proc/cpuinfo'), 'processor\t: 0\nflags\t\t: fpu vme hypervisor\n');
    const s = readSystemInfo(createCollectorContext({ root: dir }));
    assert.equal(s.inContainer, true);
    assert.equal(s.containerRuntime, 'kubernetes');
    assert.equal(s.virtualization, 'unknown');
    assert.equal(s.virtualizationEvidence, 'cpuinfo hypervisor flag; no DMI');
    assert.deepEqual(readTimeSync(createCollectorContext({ root: dir })), { synced: false, source: 'systemd-timesyncd' });
    assert.equal(s.rebootRequired, null); // no os-release: cannot tell
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const empty = readSystemInfo(createCollectorContext({ root: '/nonexistent-root' }));
  assert.equal(empty.hostname, null);
  assert.equal(empty.virtualization, 'unknown');
  assert.ok(empty.warnings.length >= 3);
});

test('parseOsRelease: quotes, escapes, garbage', () => {
  const m = parseOsRelease('NAME="Foo \\"Bar\\""\nID=foo\nVERSION=\'1 (x)\'\nnot a line\n=bad\n');
  assert.equal(m.get('NAME'), 'Foo "Bar"');
  assert.equal(m.get('ID'), 'foo');
  assert.equal(m.get('VERSION'), '1 (x)');
  assert.equal(m.size, 3);
});
