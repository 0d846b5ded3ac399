/**
 * Auth off, real users, real HTTP: the real `hostlens serve` (root, loopback,
 * no token) is asked by a real other local user (nobody, or a uid with no
 * passwd entry, through setpriv/runuser) with a small client script: plain
 * fetch, and once the official SDK client. That user gets 403 on /mcp (both
 * eras, GET, DELETE) and /metrics over IPv4 and IPv6, and a planted 0600
 * file it cannot read itself never comes back through any tool; root still
 * gets it. `allowedLocalUsers` lets a named user in; a server running as an
 * unprivileged user serves that user and root, and nobody else.
 *
 * Needs root and setpriv or runuser: skipped without them, except under CI
 * (CI=true), where missing them fails.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { killAll, MODERN, repoRoot, runHostlens, spawnHostlens, within } from '../e2e/helpers.js';
import type { Spawned } from '../e2e/helpers.js';
import { CLIENT_SCRIPT } from './local-users-client.js';

const NOBODY = 65534;
/** A uid with no passwd entry: only setpriv can become it. */
const STRANGER = 4242;

function has(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;
}
const isRoot = process.geteuid?.() === 0;
const setpriv = has('setpriv');
const runuser = has('runuser');
const missing = !isRoot ? 'these tests need root' : !setpriv && !runuser ? 'neither setpriv nor runuser is installed' : '';
if (missing && process.env.CI === 'true') {
  test('real-user tests can run here', () => assert.fail(`CI: ${missing}`));
}

/** argv prefix that runs a command as `uid` (root: nothing). */
function asUser(uid: number): string[] {
  if (uid === 0) return [];
  if (setpriv) return ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--'];
  if (uid !== NOBODY) throw new Error('only setpriv can become a uid without a passwd entry');
  return ['runuser', '-u', 'nobody', '--'];
}

interface Req {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
}
interface Res {
  status: number;
  body: string;
  connection: string | null;
  error?: string;
}

describe('auth off: a real other local user is refused', { skip: missing || false }, () => {
  const work = mkdtempSync(join(tmpdir(), 'hostlens-local-users-'));
  const secret = mkdtempSync(join(tmpdir(), 'hostlens-local-secret-'));
  const marker = `ROOT-ONLY-${process.pid}-${Date.now().toString(36)}`;
  const logFile = join(secret, 'app.log');
  const confFile = join(secret, 'app.conf');
  let root: Spawned;
  let v6: Spawned | null = null;
  let port = 0;
  let v6port = 0;
  let script = '';

  before(async () => {
    chmodSync(work, 0o755);
    script = join(work, 'client.mjs');
    writeFileSync(script, CLIENT_SCRIPT, { mode: 0o644 });
    writeFileSync(logFile, `Dec  7 10:00:00 host app: ${marker} one\nDec  7 10:00:01 host app: ${marker} two\n`, { mode: 0o600 });
    writeFileSync(confFile, `setting = ${marker}\n`, { mode: 0o600 });
    chmodSync(secret, 0o755); // the directory may be listed; the files are root's alone
    const env = { HOSTLENS_LOG_FILES: `${secret}/*.log`, HOSTLENS_CONFIG_FILES: `${secret}/**`, HOSTLENS_TOOLSETS: 'core,logs,config' };
    root = spawnHostlens(['serve', '--port', '0'], { env });
    ({ port } = await root.listening(30_000));
    v6 = spawnHostlens(['serve', '--port', '0', '--host', '::1'], { env });
    try {
      ({ port: v6port } = await v6.listening(30_000));
    } catch {
      v6 = null; // no IPv6 loopback here
    }
  });
  after(async () => {
    await killAll();
    rmSync(work, { recursive: true, force: true });
    rmSync(secret, { recursive: true, force: true });
  });

  /** Runs the client script as `uid` over `requests`; one result per request. */
  const send = (uid: number, requests: Req[]): Res[] => {
    const file = join(work, `req-${uid}-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(requests), { mode: 0o644 });
    const [cmd = process.execPath, ...args] = [...asUser(uid), process.execPath, script, 'raw', file];
    const out = execFileSync(cmd, args, { cwd: work, encoding: 'utf8', timeout: 60_000 });
    return JSON.parse(out) as Res[];
  };

  const base = (p: number, host = '127.0.0.1') => `http://${host}:${p}`;
  const legacyInit = (url: string): Req => ({
    url: `${url}/mcp`,
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'local-users', version: '1' } } },
  });
  const modernCall = (url: string, name: string, args: Record<string, unknown>): Req => ({
    url: `${url}/mcp`,
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': name },
    body: {
      jsonrpc: '2.0',
      id: name,
      method: 'tools/call',
      params: {
        name,
        arguments: args,
        _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {}, 'io.modelcontextprotocol/clientInfo': { name: 'local-users', version: '1' } },
      },
    },
  });
  const everything = (url: string): Array<[string, Req]> => [
    ['initialize (2025-11-25)', legacyInit(url)],
    ['2026-07-28 tools/call read_log_file', modernCall(url, 'read_log_file', { path: logFile, lines: 10 })],
    ['2026-07-28 tools/call get_config', modernCall(url, 'get_config', { path: confFile })],
    ['GET /mcp', { url: `${url}/mcp`, method: 'GET', headers: { accept: 'text/event-stream', 'mcp-session-id': 'x' } }],
    ['DELETE /mcp', { url: `${url}/mcp`, method: 'DELETE', headers: { 'mcp-session-id': 'x' } }],
    ['GET /metrics', { url: `${url}/metrics`, method: 'GET' }],
  ];
  const expectRefused = (what: string, res: Res | undefined): void => {
    assert.ok(res, what);
    assert.equal(res.status, 403, `${what}: ${res.error ?? res.body}`);
    const body = JSON.parse(res.body) as { jsonrpc: string; error: { code: number; message: string } };
    assert.equal(body.jsonrpc, '2.0');
    assert.equal(body.error.code, -32000, what);
    assert.match(body.error.message, /^Forbidden: authentication is off/);
    assert.ok(!res.body.includes(marker), `${what}: the secret leaked`);
  };

  test('the planted file is root\'s alone: nobody cannot read it directly', () => {
    const [cmd = 'cat', ...args] = [...asUser(NOBODY), 'cat', logFile];
    assert.notEqual(spawnSync(cmd, args).status, 0);
  });

  test('nobody → 403 -32000 on /mcp (legacy initialize, 2026-07-28 tools/call, GET, DELETE) and /metrics; /healthz, /readyz 200', async () => {
    const cases = everything(base(port));
    const results = send(NOBODY, [...cases.map(([, r]) => r), { url: `${base(port)}/healthz` }, { url: `${base(port)}/readyz` }]);
    cases.forEach(([what], i) => expectRefused(`nobody ${what}`, results[i]));
    assert.equal(results[cases.length]?.status, 200, 'healthz');
    assert.equal(results[cases.length + 1]?.status, 200, 'readyz');
    await root.waitForLog((l) => l.msg === 'client error' && l.status === 403 && l.uid === NOBODY, 5_000, 'the refusal logged with the uid');
  });

  test('a uid without a passwd entry is refused the same way', { skip: !setpriv && 'needs setpriv' }, () => {
    const cases = everything(base(port));
    const results = send(STRANGER, cases.map(([, r]) => r));
    cases.forEach(([what], i) => expectRefused(`uid ${STRANGER} ${what}`, results[i]));
  });

  test('root is served: 200 everywhere, and the planted file comes back (so the refusals above are meaningful)', () => {
    const cases = everything(base(port)).filter(([what]) => !what.startsWith('GET /mcp') && !what.startsWith('DELETE'));
    const results = send(0, cases.map(([, r]) => r));
    cases.forEach(([what], i) => assert.equal(results[i]?.status, 200, `root ${what}: ${results[i]?.body}`));
    assert.ok(results[1]?.body.includes(marker), 'root reads the log through read_log_file');
    assert.ok(results[2]?.body.includes(marker), 'root reads the config through get_config');
  });

  test('IPv6 [::1]: nobody 403, root 200', (t) => {
    if (!v6) return t.skip('no IPv6 loopback');
    const url = base(v6port, '[::1]');
    const nobody = send(NOBODY, everything(url).map(([, r]) => r));
    everything(url).forEach(([what], i) => expectRefused(`[::1] nobody ${what}`, nobody[i]));
    const asRoot = send(0, [legacyInit(url), modernCall(url, 'read_log_file', { path: logFile })]);
    assert.equal(asRoot[0]?.status, 200, asRoot[0]?.body);
    assert.ok(asRoot[1]?.body.includes(marker));
  });

  test('the official SDK client as nobody cannot connect (legacy and 2026-07-28)', async () => {
    const sdk = import.meta.resolve('@modelcontextprotocol/client');
    for (const era of ['legacy', 'modern']) {
      const out = await runAs(NOBODY, [process.execPath, script, 'sdk', sdk, `${base(port)}/mcp`, era, logFile]);
      const result = JSON.parse(out) as { connected: boolean; error?: string; text?: string };
      assert.equal(result.connected, false, `${era}: ${out}`);
      assert.match(result.error ?? '', /403|Forbidden/, era);
      assert.ok(!out.includes(marker));
    }
  });

  async function runAs(uid: number, argv: string[]): Promise<string> {
    const [cmd = process.execPath, ...args] = [...asUser(uid), ...argv];
    const child = spawn(cmd, args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    await within(60_000, `${argv.join(' ')} as ${uid}`, new Promise((resolve) => child.once('close', resolve)));
    return out;
  }

  describe('allowedLocalUsers and a server running as an unprivileged user', () => {
    test('--allowed-local-user nobody: nobody is served (the SDK client connects and lists tools), uid 4242 is not', async () => {
      const server = spawnHostlens(['serve', '--port', '0', '--allowed-local-user', 'nobody'], { env: { HOSTLENS_TOOLSETS: 'core' } });
      const { port: p } = await server.listening(30_000);
      const [init] = send(NOBODY, [legacyInit(base(p))]);
      assert.equal(init?.status, 200, init?.body);
      const out = await runAs(NOBODY, [process.execPath, script, 'sdk', import.meta.resolve('@modelcontextprotocol/client'), `${base(p)}/mcp`, 'modern', '']);
      const result = JSON.parse(out) as { connected: boolean; tools?: number; error?: string };
      assert.equal(result.connected, true, out);
      assert.ok((result.tools ?? 0) > 0);
      await server.waitForLog((l) => l.msg === 'request' && l.principal === `local:uid:${NOBODY}`, 5_000, 'nobody as the principal local:uid:65534');
      if (setpriv) expectRefused('uid 4242', send(STRANGER, [legacyInit(base(p))])[0]);
      await server.kill();
    });

    test('a server running as nobody serves nobody (its own user) and root, and refuses uid 4242', { skip: !setpriv && 'needs setpriv' }, async () => {
      const server = await spawnAs(NOBODY);
      try {
        const url = base(server.port);
        assert.equal(send(NOBODY, [legacyInit(url)])[0]?.status, 200, 'its own user');
        assert.equal(send(0, [legacyInit(url)])[0]?.status, 200, 'root');
        expectRefused('uid 4242', send(STRANGER, [legacyInit(url)])[0]);
      } finally {
        server.child.kill('SIGKILL');
      }
    });
  });

  /** `hostlens serve` as `uid` (spawnHostlens runs as the test's user). */
  async function spawnAs(uid: number): Promise<{ port: number; child: ReturnType<typeof spawn> }> {
    const [cmd = process.execPath, ...args] = [...asUser(uid), process.execPath, '--import', 'tsx', 'src/app/cli.ts', 'serve', '--port', '0'];
    const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp' } });
    let err = '';
    child.stderr?.setEncoding('utf8');
    const port = await within(
      30_000,
      `hostlens as uid ${uid} listening (${err.slice(-300)})`,
      new Promise<number>((resolve, reject) => {
        child.stderr?.on('data', (d: string) => {
          err += d;
          const m = /"msg":"listening".*?"port":(\d+)/.exec(err);
          if (m?.[1]) resolve(Number(m[1]));
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${err.slice(-500)}`)));
      }),
    );
    return { port, child };
  }
});

describe('allowedLocalUsers on the command line', () => {
  after(() => killAll());
  test('an unknown user name: exit 2 naming the setting, nothing bound', async () => {
    const run = await runHostlens(['serve', '--port', '0', '--allowed-local-user', 'no-such-user-hostlens']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /allowedLocalUsers.*no user "no-such-user-hostlens"/);
    assert.doesNotMatch(run.stderr, /listening/);
  });
});
