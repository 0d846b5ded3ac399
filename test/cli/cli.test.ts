/**
 * The `hostlens` command line, run as a real process (`node --import tsx
 * src/app/cli.ts …`): help and version, usage errors and configuration errors
 * (exit 2, naming what is wrong), the precedence flag > HOSTLENS_* > config
 * file (observed through the port it listens on), the refusal to bind a
 * non-loopback address without auth, bearer auth, and graceful shutdown on
 * SIGTERM and SIGINT (exit 0).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { productCatalogue } from '../../src/catalogue/index.js';
import { TOOLSETS } from '../../src/contracts/scopes.js';
import { delay, freePorts, killAll, rawHttp, repoRoot, runHostlens, spawnHostlens, within } from '../e2e/helpers.js';

const PKG_VERSION = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
const TOKEN = 'cli-test-token-0123456789abcdef';

let dir: string;
const file = (name: string, content: unknown): string => {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hostlens-cli-'));
});
after(async () => {
  await killAll();
  rmSync(dir, { recursive: true, force: true });
});

/** Asserts a usage/config error: exit 2, message on stderr naming `pattern`, nothing on stdout, no stack. */
function expectUsageError(r: { code: number | null; stdout: string; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, `expected exit 2, got ${r.code}; stderr:\n${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.match(r.stderr, /^hostlens: /m);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
  assert.equal(r.stdout, '', 'errors go to stderr');
}

/** The help's toolsets section names "all" with the tool count, and each toolset with exactly its catalogue tools. */
function assertToolsetsListed(help: string): void {
  const section = help.slice(help.indexOf('Toolsets ('));
  assert.equal(Number(/all = every toolset, (\d+) tools/.exec(section)?.[1]), productCatalogue.tools.length, section);
  // Each toolset's entry runs from its name to the next toolset's (wrapped lines included).
  const starts = TOOLSETS.map((set) => section.search(new RegExp(`^  ${set} +\\d+ tools?:`, 'm')));
  for (const [i, set] of TOOLSETS.entries()) {
    assert.ok(starts[i]! > 0, `toolset ${set} is listed:\n${section}`);
    const entry = section.slice(starts[i], starts[i + 1] ?? section.length);
    const listed = entry.replace(/^ *\S+ +\d+ tools?:/, '').split(/[\s,]+/).filter(Boolean);
    assert.deepEqual(listed, productCatalogue.tools.filter((t) => t.toolset === set).map((t) => t.name), `toolset ${set}`);
  }
}

describe('help, version and usage errors', { timeout: 120_000, concurrency: 4 }, () => {
  test('--help: exit 0, usage on stdout mentioning serve and its flags, every toolset with the tools the catalogue puts in it', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await runHostlens([flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /hostlens serve/);
      for (const f of ['--host', '--port', '--stdio', '--config']) assert.ok(r.stdout.includes(f), `help mentions ${f}`);
      assert.equal(r.stderr, '');
      assertToolsetsListed(r.stdout);
    }
  });

  test('--version prints the package.json version', async () => {
    for (const flag of ['--version', '-v']) {
      const r = await runHostlens([flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${PKG_VERSION}\n`);
    }
  });

  test('no arguments: usage and exit 2', async () => {
    const r = await runHostlens([]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Usage:/, 'usage as an error goes to stderr');
    assert.match(r.stderr, /hostlens serve/);
    assert.equal(r.stdout, '');
  });

  test('an unknown flag: exit 2 naming it', async () => {
    expectUsageError(await runHostlens(['serve', '--frobnicate']), /--frobnicate/);
    expectUsageError(await runHostlens(['--frobnicate']), /--frobnicate/);
  });

  test('an unknown command or a stray argument: exit 2 naming it', async () => {
    expectUsageError(await runHostlens(['frob']), /unknown command "frob"/);
    expectUsageError(await runHostlens(['serve', 'now']), /unexpected argument "now"/);
  });

  test('--port abc, --port "", --port 70000, --port 1.5: exit 2 naming port', async () => {
    expectUsageError(await runHostlens(['serve', '--port', 'abc']), /port/);
    expectUsageError(await runHostlens(['serve', '--port', '']), /port/);
    expectUsageError(await runHostlens(['serve', '--port', '70000']), /"port"/);
    expectUsageError(await runHostlens(['serve', '--port', '1.5']), /"port"/);
    expectUsageError(await runHostlens(['serve', '--port']), /--port/);
  });

  test('other bad flag values name the setting', async () => {
    expectUsageError(await runHostlens(['serve', '--log-level', 'loud']), /"logLevel"/);
    expectUsageError(await runHostlens(['serve', '--toolsets', 'core,kitchen-sink']), /"toolsets/);
    expectUsageError(await runHostlens(['serve', '--max-sessions', '0']), /"maxSessions"/);
    expectUsageError(await runHostlens(['serve', '--allowed-origin', 'not a url']), /"allowedOrigins/);
  });
});

describe('configuration errors', { timeout: 120_000, concurrency: 4 }, () => {
  test('a config file with an unknown key: exit 2 naming the key and the file', async () => {
    const p = file('unknown-key.json', { port: 0, colour: 'blue' });
    const r = await runHostlens(['serve', '--config', p]);
    expectUsageError(r, /"colour"/);
    assert.ok(r.stderr.includes(p), 'names the file');
  });

  test('a config file via HOSTLENS_CONFIG is read too', async () => {
    const p = file('unknown-key-env.json', { prot: 1 });
    expectUsageError(await runHostlens(['serve'], { env: { HOSTLENS_CONFIG: p } }), /"prot"/);
  });

  test('an unknown nested key in thresholds: exit 2 naming it', async () => {
    const p = file('bad-threshold.json', { thresholds: { 'cpu.busyPercent': { warning: 1, critical: 2 } } });
    expectUsageError(await runHostlens(['serve', '--config', p]), /cpu\.busyPercent/);
  });

  test('a config file that is missing, not JSON, or not an object: exit 2', async () => {
    expectUsageError(await runHostlens(['serve', '--config', join(dir, 'nope.json')]), /nope\.json.*ENOENT/);
    expectUsageError(await runHostlens(['serve', '--config', file('broken.json', '{"port": ')]), /not valid JSON/);
    expectUsageError(await runHostlens(['serve', '--config', file('array.json', [1, 2])]), /JSON object/);
  });

  test('a config file may not hold the auth token', async () => {
    const p = file('token.json', { authToken: TOKEN });
    const r = await runHostlens(['serve', '--config', p]);
    expectUsageError(r, /authToken/);
    assert.ok(!r.stderr.includes(TOKEN), 'the token is never echoed');
  });

  test('HOSTLENS_PORT=99999: exit 2 naming port and the variable', async () => {
    const r = await runHostlens(['serve'], { env: { HOSTLENS_PORT: '99999' } });
    expectUsageError(r, /"port"/);
    assert.match(r.stderr, /HOSTLENS_PORT/);
  });

  test('HOSTLENS_PORT=abc, HOSTLENS_STDIO=maybe, HOSTLENS_PORT="": exit 2 naming the setting', async () => {
    expectUsageError(await runHostlens(['serve'], { env: { HOSTLENS_PORT: 'abc' } }), /"port".*HOSTLENS_PORT/);
    expectUsageError(await runHostlens(['serve'], { env: { HOSTLENS_STDIO: 'maybe' } }), /"stdio".*HOSTLENS_STDIO/);
    expectUsageError(await runHostlens(['serve'], { env: { HOSTLENS_PORT: '' } }), /"port".*HOSTLENS_PORT/);
  });

  test('an unknown HOSTLENS_FOO: exit 2 naming it', async () => {
    expectUsageError(await runHostlens(['serve'], { env: { HOSTLENS_FOO: '1' } }), /HOSTLENS_FOO/);
  });

  test('--host 0.0.0.0 without auth: exit 2, nothing bound', async () => {
    const r = await runHostlens(['serve', '--host', '0.0.0.0', '--port', '0']);
    expectUsageError(r, /0\.0\.0\.0/);
    assert.match(r.stderr, /auth/i);
    assert.doesNotMatch(r.stderr, /"msg":"listening"/);
  });

  test('a short HOSTLENS_AUTH_TOKEN is refused without echoing it', async () => {
    const r = await runHostlens(['serve', '--host', '0.0.0.0', '--port', '0'], { env: { HOSTLENS_AUTH_TOKEN: 'short-secret' } });
    expectUsageError(r, /authToken/);
    assert.ok(!r.stderr.includes('short-secret'), 'the token is never echoed');
  });

  test('an auth token file that is missing or too short: exit 2 without echoing its content', async () => {
    expectUsageError(await runHostlens(['serve', '--auth-token-file', join(dir, 'missing-token')]), /missing-token/);
    const short = file('short-token', 'tiny-secret\n');
    const r = await runHostlens(['serve', '--auth-token-file', short]);
    expectUsageError(r, /at least 16/);
    assert.ok(!r.stderr.includes('tiny-secret'));
  });
});

describe('precedence: flag > HOSTLENS_* > config file', { timeout: 120_000 }, () => {
  let ports: number[] = [];
  before(async () => {
    ports = await freePorts(3);
  });

  const listenPort = async (args: string[], env: Record<string, string> = {}): Promise<number> => {
    const s = spawnHostlens(args, { env });
    try {
      return (await s.listening()).port;
    } finally {
      await s.kill();
    }
  };

  test('the config file alone sets the port', async () => {
    const [a] = ports as [number, number, number];
    const p = file('port-a.json', { port: a });
    assert.equal(await listenPort(['serve', '--config', p]), a);
  });

  test('HOSTLENS_PORT beats the config file', async () => {
    const [a, b] = ports as [number, number, number];
    const p = file('port-a2.json', { port: a });
    assert.equal(await listenPort(['serve', '--config', p], { HOSTLENS_PORT: String(b) }), b);
  });

  test('--port beats HOSTLENS_PORT and the config file', async () => {
    const [a, b, c] = ports as [number, number, number];
    const p = file('port-a3.json', { port: a });
    assert.equal(await listenPort(['serve', '--config', p, '--port', String(c)], { HOSTLENS_PORT: String(b) }), c);
  });

  test('--config beats HOSTLENS_CONFIG', async () => {
    const [a, b] = ports as [number, number, number];
    const pa = file('port-a4.json', { port: a });
    const pb = file('port-b4.json', { port: b });
    assert.equal(await listenPort(['serve', '--config', pa], { HOSTLENS_CONFIG: pb }), a);
  });

  test('an unknown key in the config file is refused even when flags are given', async () => {
    const p = file('overridden-and-unknown.json', { port: 1, nope: true });
    expectUsageError(await runHostlens(['serve', '--config', p, '--port', '0']), /"nope"/);
  });
});

describe('runtime failures', { timeout: 60_000 }, () => {
  test('a port already in use: exit 1 with a one-line reason, no stack', async () => {
    const blocker = createServer();
    await new Promise<void>((r, j) => {
      blocker.once('error', j);
      blocker.listen(0, '127.0.0.1', () => r());
    });
    try {
      const { port } = blocker.address() as AddressInfo;
      const r = await runHostlens(['serve', '--port', String(port)]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE`));
      assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/);
      assert.equal(r.stdout, '');
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });
});

describe('auth on a non-loopback bind', { timeout: 60_000 }, () => {
  test('--host 0.0.0.0 with HOSTLENS_AUTH_TOKEN starts; /mcp needs the bearer token', async () => {
    // This binds 0.0.0.0 (the point of the test) on a random port, guarded by the token, for a few seconds.
    const s = spawnHostlens(['serve', '--host', '0.0.0.0', '--port', '0'], { env: { HOSTLENS_AUTH_TOKEN: TOKEN } });
    try {
      const { url, port, host } = await s.listening();
      assert.equal(host, '0.0.0.0');
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);

      const none = await rawHttp(port, { headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', host: `127.0.0.1:${port}` }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
      assert.equal(none.status, 401, none.body);
      assert.match(String(none.headers['www-authenticate'] ?? ''), /^Bearer/i);
      assert.match(String(none.headers['content-type'] ?? ''), /^application\/json/);
      assert.ok(!none.body.includes(TOKEN));

      const wrong = await rawHttp(port, { headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', host: `127.0.0.1:${port}`, authorization: `Bearer ${TOKEN}x` }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
      assert.equal(wrong.status, 401);

      const client = new Client({ name: 'e2e-auth', version: '1.0.0' });
      try {
        await within(15_000, 'connect with the token', client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } })));
        const r = await within(10_000, 'get_memory with the token', client.callTool({ name: 'get_memory', arguments: {} }));
        assert.ok(!r.isError);
      } finally {
        await client.close().catch(() => undefined);
      }
      assert.ok(!s.stderr().includes(TOKEN), 'the token never reaches the logs');
    } finally {
      await s.kill();
    }
  });
});

describe('graceful shutdown', { timeout: 60_000 }, () => {
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    test(`${sig} → "stopped" and exit 0`, async () => {
      const s = spawnHostlens(['serve', '--port', '0']);
      const { url } = await s.listening();
      const health = await fetch(url.replace(/\/mcp$/, '/healthz'));
      assert.equal(health.status, 200);
      await health.body?.cancel();
      s.signal(sig);
      const exit = await within(15_000, `exit after ${sig}`, s.exited);
      assert.equal(exit.code, 0, `exit ${JSON.stringify(exit)}; stderr:\n${s.stderr()}`);
      const logs = s.logs();
      assert.ok(logs.some((l) => l.msg === 'shutting down' && l.signal === sig), s.stderr());
      assert.ok(logs.some((l) => l.msg === 'stopped'), s.stderr());
    });
  }

  test('SIGTERM lets an in-flight windowed call finish, then exits 0', async () => {
    const s = spawnHostlens(['serve', '--port', '0']);
    const { url } = await s.listening();
    const client = new Client({ name: 'e2e-shutdown', version: '1.0.0' });
    try {
      await within(15_000, 'connect', client.connect(new StreamableHTTPClientTransport(new URL(url))));
      const pending = client.callTool({ name: 'get_cpu', arguments: { windowSec: 1.5 } });
      await delay(400);
      s.signal('SIGTERM');
      const r = await within(10_000, 'the in-flight call to finish', pending);
      assert.ok(!r.isError, JSON.stringify(r.content));
      assert.equal((r.structuredContent as { data: { source: string } }).data.source, 'measured');
      const exit = await within(15_000, 'exit after SIGTERM', s.exited);
      assert.equal(exit.code, 0, s.stderr());
      // New work is refused while draining (or the socket is already closed).
      await assert.rejects(fetch(url.replace(/\/mcp$/, '/healthz')));
    } finally {
      await client.close().catch(() => undefined);
      await s.kill();
    }
  });
});
