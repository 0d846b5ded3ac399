/**
 * diag://local/overview subscriptions through the real `hostlens serve`, over
 * Streamable HTTP and over stdio, in both eras, on a temporary copy of the idle
 * fixture tree whose proc/meminfo the test rewrites:
 * - legacy era: resources/subscribe → notifications/resources/updated (HTTP: on
 *   the session's GET stream) when memory turns critical, none while nothing
 *   changes status, none after resources/unsubscribe;
 * - modern era: subscriptions/listen with resourceSubscriptions → acknowledged
 *   filter, then the same notification on the listen stream, none after close.
 * The watcher runs every 0.5 s (HOSTLENS_OVERVIEW_CHECK_SEC); the server's
 * "overview changed" log line tells the test when a change has been seen.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ClientOptions } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { FIXTURE_HOSTS } from '../fixtures/fixture-services.js';
import { CLI, childEnv, delay, killAll, MODERN, parseLogLines, repoRoot, spawnHostlens, within } from './helpers.js';
import type { LogLine, Spawned } from './helpers.js';

const OVERVIEW = 'diag://local/overview';
const ENV = { HOSTLENS_OVERVIEW_CHECK_SEC: '0.5' };
/** Several watcher periods (each also measures CPU for 0.5 s on a frozen tree). */
const QUIET_MS = 3_000;
const ERAS: Record<'legacy' | 'modern', ClientOptions> = { legacy: {}, modern: { versionNegotiation: { mode: { pin: MODERN } } } };

interface Connection {
  client: Client;
  /** URIs of the notifications/resources/updated received, in order. */
  updates: string[];
  /** The server's log lines so far. */
  logs(): LogLine[];
}

describe('diag://local/overview subscriptions, real server', { timeout: 180_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'hostlens-subs-'));
  const meminfo = join(root, 'proc/meminfo');
  let original = '';
  let server: Spawned;
  let url: string;

  const setMemAvailableKb = (kb: number): void => writeFileSync(meminfo, original.replace(/^MemAvailable:.*$/m, `MemAvailable: ${kb} kB`));
  const critical = (): void => setMemAvailableKb(81_304); // 1 % of MemTotal → memory.available_low critical
  const healthy = (): void => setMemAvailableKb(7_402_112);

  before(async () => {
    cpSync(join(FIXTURE_HOSTS, 'idle'), root, { recursive: true, verbatimSymlinks: true });
    original = readFileSync(meminfo, 'utf8');
    server = spawnHostlens(['serve', '--port', '0', '--root', root], { env: ENV });
    ({ url } = await server.listening());
  });
  after(async () => {
    await killAll();
    rmSync(root, { recursive: true, force: true });
  });

  const connect = async (transport: 'http' | 'stdio', options: ClientOptions): Promise<Connection> => {
    const client = new Client({ name: `subs-${transport}`, version: '1.0.0' }, options);
    const updates: string[] = [];
    client.setNotificationHandler('notifications/resources/updated', (n) => {
      updates.push(n.params.uri);
    });
    if (transport === 'http') {
      await within(15_000, 'connect', client.connect(new StreamableHTTPClientTransport(new URL(url))));
      return { client, updates, logs: () => server.logs() };
    }
    const stdio = new StdioClientTransport({
      command: process.execPath,
      args: [...CLI, 'serve', '--stdio', '--root', root],
      cwd: repoRoot,
      env: childEnv(ENV) as Record<string, string>,
      stderr: 'pipe',
    });
    let stderr = '';
    stdio.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    await within(20_000, 'stdio connect', client.connect(stdio));
    return { client, updates, logs: () => parseLogLines(stderr) };
  };

  const changesLogged = (c: Connection): number => c.logs().filter((l) => l.msg === 'overview changed').length;
  const waitFor = async (what: string, done: () => boolean): Promise<void> => {
    await within(15_000, what, (async () => {
      while (!done()) await delay(50);
    })());
  };
  const memoryStatus = async (client: Client): Promise<string> => {
    const read = await within(10_000, 'resources/read', client.readResource({ uri: OVERVIEW }, { cacheMode: 'bypass' }));
    const text = read.contents[0] && 'text' in read.contents[0] ? read.contents[0].text : '';
    return (JSON.parse(text) as { triage: { data: { areas: { memory: { status: string } } } } }).triage.data.areas.memory.status;
  };

  /** Quiet while nothing changes status, one update on the change, none after `stop`, while the server does see the change back. */
  const scenario = async (c: Connection, stop: () => Promise<void>): Promise<void> => {
    await delay(QUIET_MS);
    assert.deepEqual(c.updates, [], 'no status changed: no notification');
    const before = changesLogged(c);
    critical();
    await waitFor('the update', () => c.updates.length >= 1);
    assert.deepEqual(c.updates, [OVERVIEW]);
    assert.equal(await memoryStatus(c.client), 'critical', 're-reading the resource shows the new status');
    assert.equal(changesLogged(c), before + 1);

    await stop();
    healthy();
    await waitFor('the change back to ok', () => changesLogged(c) >= before + 2);
    await delay(500);
    assert.equal(c.updates.length, 1, 'after unsubscribing, the change back to ok is not notified');
    assert.equal(await memoryStatus(c.client), 'ok');
  };

  for (const transport of ['http', 'stdio'] as const) {
    test(`${transport}, legacy era: resources/subscribe, one update per status change, none after unsubscribe`, async () => {
      healthy();
      const c = await connect(transport, ERAS.legacy);
      try {
        assert.equal(c.client.getProtocolEra(), 'legacy');
        assert.equal(c.client.getServerCapabilities()?.resources?.subscribe, true);
        await within(10_000, 'resources/subscribe', c.client.subscribeResource({ uri: OVERVIEW }));
        assert.equal(await memoryStatus(c.client), 'ok');
        await scenario(c, async () => {
          await within(10_000, 'resources/unsubscribe', c.client.unsubscribeResource({ uri: OVERVIEW }));
        });
      } finally {
        await c.client.close().catch(() => undefined);
      }
    });

    test(`${transport}, modern era: subscriptions/listen, acknowledged filter, one update per status change, none after close`, async () => {
      healthy();
      const c = await connect(transport, ERAS.modern);
      try {
        assert.equal(c.client.getProtocolEra(), 'modern');
        assert.equal(c.client.getServerCapabilities()?.resources?.subscribe, true);
        assert.equal(await memoryStatus(c.client), 'ok');
        const sub = await within(10_000, 'subscriptions/listen', c.client.listen({ resourceSubscriptions: [OVERVIEW] }));
        assert.deepEqual(sub.honoredFilter, { resourceSubscriptions: [OVERVIEW] });
        await scenario(c, async () => {
          await sub.close();
          assert.equal(await within(5_000, 'subscription closed', sub.closed), 'local');
        });
      } finally {
        await c.client.close().catch(() => undefined);
      }
    });
  }
});
