/** diag://local/capabilities over fixture roots and the live host: each capability with available and, when not, why. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, constants, mkdirSync, openSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { servicesAt } from '../../test/fixtures/fixture-services.js';
import { capabilitiesResource } from './capabilities.js';
import { findInPath } from '../collectors/capabilities.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/systemd/', import.meta.url));
type Caps = Record<string, Record<string, unknown>>;
const read = async (root?: string): Promise<Caps> => JSON.parse(await capabilitiesResource.read(servicesAt(root))) as Caps;

test('findInPath finds executables without spawning, and only executables', () => {
  assert.equal(findInPath('systemctl', join(FIX, 'bin')), join(FIX, 'bin/systemctl'));
  assert.equal(findInPath('list-units.json', FIX), null, 'not executable');
  assert.equal(findInPath('no-such-program', join(FIX, 'bin')), null);
});

test('a root without systemd, journal, kmsg or sockets says so, with reasons', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hostlens-caps-'));
  try {
    mkdirSync(join(root, 'proc/1'), { recursive: true });
    writeFileSync(join(root, 'proc/1/comm'), 'process_api\n');
    const c = await read(root);
    assert.equal(c.systemd!.available, false);
    assert.match(String(c.systemd!.reason), /not PID 1.*process_api/);
    assert.equal(c.journald!.available, false);
    assert.match(String(c.journald!.reason), /no journal files|not installed/);
    assert.equal(c.kmsg!.readable, false);
    assert.match(String(c.kmsg!.reason), /ENOENT/);
    assert.equal(c.psi!.available, false);
    assert.equal(c.containers!.available, false);
    assert.equal(c.processVisibility!.otherProcessesFdsReadable, false);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('journal files, a container socket and PSI are found under the root', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hostlens-caps-'));
  const server = createServer();
  try {
    mkdirSync(join(root, 'proc/1/fd'), { recursive: true });
    mkdirSync(join(root, 'proc/pressure'), { recursive: true });
    writeFileSync(join(root, 'proc/pressure/cpu'), 'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n');
    writeFileSync(join(root, 'proc/1/comm'), 'systemd\n');
    mkdirSync(join(root, 'var/log/journal/0123abcd'), { recursive: true });
    writeFileSync(join(root, 'var/log/journal/0123abcd/system.journal'), '');
    mkdirSync(join(root, 'run'), { recursive: true });
    await new Promise<void>((resolve) => server.listen(join(root, 'run/docker.sock'), resolve));
    const c = await read(root);
    assert.equal(c.journald!.journalFileCount, 1);
    assert.equal(c.containers!.available, true);
    assert.equal(c.containers!.socket, '/run/docker.sock');
    assert.equal(c.psi!.available, true);
    assert.equal(c.processVisibility!.otherProcessesFdsReadable, true);
    assert.equal(c.systemd!.pid1, 'systemd');
  } finally {
    server.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('live: systemd and kmsg answers match this machine', async () => {
  const c = await read();
  const comm = readFileSync('/proc/1/comm', 'utf8').trim();
  assert.equal(c.systemd!.pid1, comm);
  if (comm !== 'systemd') assert.match(String(c.systemd!.reason), /systemd is not PID 1/);
  let kmsg = true;
  try {
    closeSync(openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK));
  } catch {
    kmsg = false;
  }
  assert.equal(c.kmsg!.readable, kmsg);
});
