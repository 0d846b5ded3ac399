/**
 * diag://local/overview subscriptions through the real `hostlens serve`, over a
 * temporary copy of the idle fixture tree whose proc/meminfo the test rewrites:
 * - legacy era: resources/subscribe → notifications/resources/updated on the
 *   session's GET stream when memory turns critical, none while nothing changes
 *   status, none after resources/unsubscribe;
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
import { FIXTURE_HOSTS } from '../fixtures/services.js';
import { delay, killAll, MODERN, spawnHostlens, within } from './helpers.js';
import type { Spawned } from './helpers.js';

const OVERVIEW = 'diag://local/overview';
const CHECK_SEC = 0.5;
/** Long enough for several watcher periods (each also measures CPU for 0.5 s on a frozen tree). */
const QUIET_MS = 3_000;

describe('diag://local/overview subscriptions over Streamable HTTP', { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'hostlens-subs-'));
  const meminfo = join(root, 'proc/meminfo');
  let original = '';
  let server: Spawned;
  let url: string;

  const setMemAvailableKb = (kb: number): void => writeFileSync(meminfo, original.replace(/^MemAvailable:.*$/m, `MemAvailable: ${kb} kB`));
  const changesLogged = (): number => server.logs().filter((l) => l.msg === 'overview changed').length;
  const waitForChange = async (count: number): Promise<void> => {
    await server.waitForLog(() => changesLogged() >= count, 15_000, `overview change #${count}`);
  };
  const memoryStatus = async (client: Client): Promise<string> => {
    const read = await within(10_000, 'resources/read', client.readResource({ uri: OVERVIEW }, { cacheMode: 'bypass' }));
    const text = read.contents[0] && 'text' in read.contents[0] ? read.contents[0].text : '';
    return (JSON.parse(text) as { triage: { data: { areas: { memory: { status: string } } } } }).triage.data.areas.memory.status;
  };

  before(async () => {
    cpSync(join(FIXTURE_HOSTS, 'idle'), root, { recursive: true, verbatimSymlinks: true });
    original = readFileSync(meminfo, 'utf8');
    server = spawnHostlens(['serve', '--port', '0', '--root', root], { env: { HOSTLENS_OVERVIEW_CHECK_SEC: String(CHECK_SEC) } });
    ({ url } = await server.listening());
  });
  after(async () => {
    await killAll();
    rmSync(root, { recursive: true, force: true });
  });

  const connect = async (name: string, options: ClientOptions): Promise<{ client: Client; updates: string[] }> => {
    const client = new Client({ name, version: '1.0.0' }, options);
    const updates: string[] = [];
    client.setNotificationHandler('notifications/resources/updated', (n) => {
      updates.push(n.params.uri);
    });
    await within(15_000, 'connect', client.connect(new StreamableHTTPClientTransport(new URL(url))));
    return { client, updates };
  };

  const waitForUpdate = async (updates: string[], count: number): Promise<void> => {
    await within(15_000, `notification #${count}`, (async () => {
      while (updates.length < count) await delay(50);
    })());
  };

  test('legacy: subscribe, no notification while nothing changes, one when memory turns critical, none after unsubscribe', async () => {
    const { client, updates } = await connect('subs-legacy', {});
    try {
      assert.equal(client.getServerCapabilities()?.resources?.subscribe, true);
      await within(10_000, 'resources/subscribe', client.subscribeResource({ uri: OVERVIEW }));
      assert.equal(await memoryStatus(client), 'ok');
      await delay(QUIET_MS);
      assert.deepEqual(updates, [], 'no status changed: no notification');

      const before = changesLogged();
      setMemAvailableKb(81_304); // 1 % of MemTotal → memory.available_low critical
      await waitForUpdate(updates, 1);
      assert.deepEqual(updates, [OVERVIEW]);
      assert.equal(await memoryStatus(client), 'critical', 're-reading the resource shows the new status');
      assert.equal(changesLogged(), before + 1);
      await delay(QUIET_MS);
      assert.equal(updates.length, 1, 'still critical: no further notification');

      await within(10_000, 'resources/unsubscribe', client.unsubscribeResource({ uri: OVERVIEW }));
      setMemAvailableKb(7_402_112);
      await waitForChange(before + 2);
      await delay(500);
      assert.equal(updates.length, 1, 'unsubscribed: the change back to ok is not notified');
      assert.equal(await memoryStatus(client), 'ok');
    } finally {
      await client.close().catch(() => undefined);
    }
  });

  test('modern: subscriptions/listen acknowledges the filter, streams the update on a status change, nothing after close', async () => {
    const { client, updates } = await connect('subs-modern', { versionNegotiation: { mode: { pin: MODERN } } });
    try {
      assert.equal(client.getServerCapabilities()?.resources?.subscribe, true);
      assert.equal(await memoryStatus(client), 'ok');
      const sub = await within(10_000, 'subscriptions/listen', client.listen({ resourceSubscriptions: [OVERVIEW] }));
      assert.deepEqual(sub.honoredFilter, { resourceSubscriptions: [OVERVIEW] });
      await delay(QUIET_MS);
      assert.deepEqual(updates, [], 'no status changed: no notification');

      const before = changesLogged();
      setMemAvailableKb(81_304);
      await waitForUpdate(updates, 1);
      assert.deepEqual(updates, [OVERVIEW]);
      assert.equal(await memoryStatus(client), 'critical');

      await sub.close();
      assert.equal(await within(5_000, 'subscription closed', sub.closed), 'local');
      setMemAvailableKb(7_402_112);
      await waitForChange(before + 2);
      await delay(500);
      assert.equal(updates.length, 1, 'closed: the change back to ok is not notified');
    } finally {
      await client.close().catch(() => undefined);
    }
  });
});
