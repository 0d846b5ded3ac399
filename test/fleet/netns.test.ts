/**
 * The namespaces the fleet tests build "hosts" from: two hostlens nodes, each
 * bound to its own namespace's address with a token, reachable from the host;
 * a SIGSTOPped one accepts connections but never answers; close() leaves no
 * namespace, link or process behind.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { postModern, readResponse } from '../http/helpers.js';
import { createTestNet, netnsSkip } from '../support/netns.js';
import type { TestNet } from '../support/netns.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUILT = join(ROOT, 'dist', 'app', 'cli.js');
/** The built CLI when there is one (as a node would run it), else the sources through tsx. */
const CLI = existsSync(BUILT) ? [BUILT] : ['--import', 'tsx', join(ROOT, 'src', 'app', 'cli.ts')];
const PORT = 8765;

/** Polls /healthz until it answers 200 (bounded); the node's stderr tail explains a failure. */
async function waitHealthy(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`node exited (${child.exitCode ?? child.signalCode}): ${log()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.body?.cancel();
      if (res.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not healthy within 20 s: ${log()}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('test network namespaces', { skip: netnsSkip, timeout: 90_000 }, () => {
  let net: TestNet;
  let dir: string;
  const token = randomBytes(24).toString('hex');
  const logs: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hostlens-netns-'));
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    net = await createTestNet({ count: 2 });
    await Promise.all(
      net.hosts.map((h, i) => {
        const child = net.exec(i, [process.execPath, ...CLI, 'serve', '--host', h.address, '--port', String(PORT), '--auth-token-file', tokenFile], {
          cwd: ROOT,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        logs[i] = '';
        child.stderr!.on('data', (d: Buffer) => (logs[i] = (logs[i]! + d.toString()).slice(-2_000)));
        return waitHealthy(`http://${h.address}:${PORT}/healthz`, child, () => logs[i]!);
      }),
    );
  });

  after(async () => {
    await net?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('each host has its own namespace, /30 and veth pair', () => {
    assert.equal(net.hosts.length, 2);
    const names = new Set(net.hosts.map((h) => h.name));
    assert.equal(names.size, 2);
    const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    for (const h of net.hosts) {
      assert.match(h.name, new RegExp(`^hl-${process.pid}-`));
      assert.ok(listed.includes(h.name), `${h.name} in ip netns list`);
      assert.ok(h.hostInterface.length <= 15);
      assert.match(h.address, /^10\.\d+\.\d+\.\d+$/);
      // Loopback is up inside, so a node can talk to itself too.
      const lo = spawnSync('ip', ['-n', h.name, '-o', 'link', 'show', 'lo'], { encoding: 'utf8' }).stdout;
      assert.match(lo, /\bUP\b/);
    }
  });

  test('a subnet already in use is refused before anything is created', async () => {
    await assert.rejects(createTestNet({ count: 1, subnet: net.subnet }), /overlaps/);
    await assert.rejects(createTestNet({ count: 2, subnet: '10.199.0.0/31' }), /cannot hold/);
  });

  test('every node answers /healthz and an authenticated MCP call from the host', async () => {
    for (const h of net.hosts) {
      const health = await fetch(`http://${h.address}:${PORT}/healthz`, { signal: AbortSignal.timeout(5_000) });
      assert.equal(health.status, 200);
      await health.body?.cancel();

      const url = `http://${h.address}:${PORT}/mcp`;
      const refused = await postModern(url, { method: 'tools/list', signal: AbortSignal.timeout(5_000) });
      assert.equal(refused.status, 401, 'a non-loopback node wants the token');
      await refused.body?.cancel();

      const res = await postModern(url, { method: 'tools/list', headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5_000) });
      assert.equal(res.status, 200, logs.join('\n'));
      const msg = await readResponse(res);
      const tools = (msg.result as { tools?: Array<{ name: string }> } | undefined)?.tools ?? [];
      assert.ok(tools.length > 0, JSON.stringify(msg).slice(0, 500));
    }
  });

  test('a SIGSTOPped node times out; SIGCONT brings it back', async () => {
    const [frozen, other] = net.hosts;
    net.stop(0);
    try {
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(new Error('frozen')), 1_500);
      await assert.rejects(fetch(`http://${frozen!.address}:${PORT}/healthz`, { signal: ac.signal }), (e: unknown) => {
        assert.ok(ac.signal.aborted, `rejected by the abort, not by ${String(e)}`);
        return true;
      });
      clearTimeout(timer);
      // The other host is a separate process in a separate namespace: unaffected.
      const res = await fetch(`http://${other!.address}:${PORT}/healthz`, { signal: AbortSignal.timeout(5_000) });
      assert.equal(res.status, 200);
      await res.body?.cancel();
    } finally {
      net.cont(0);
    }
    const res = await fetch(`http://${frozen!.address}:${PORT}/healthz`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(res.status, 200);
    await res.body?.cancel();
  });

  test('close() removes the namespaces and links and leaves no process; a second close() is a no-op', async () => {
    const pids = net.hosts.flatMap((_, i) => net.pids(i));
    assert.equal(pids.length, 2);
    // A stopped process must die too.
    net.stop(1);
    await net.close();
    await net.close();
    const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    for (const h of net.hosts) {
      assert.ok(!listed.includes(h.name), `${h.name} still listed`);
      assert.notEqual(spawnSync('ip', ['link', 'show', h.hostInterface], { stdio: 'ignore' }).status, 0, `${h.hostInterface} still exists`);
    }
    for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} still alive`);
    assert.throws(() => net.exec(0, ['true']), /closed/);
  });
});
