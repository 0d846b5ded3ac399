/**
 * Cancellation against the real `hostlens serve`: a get_cpu call with a 10 s
 * window is aborted while it runs. Legacy era: the AbortSignal on the request
 * options makes the SDK send notifications/cancelled; modern era: the abort
 * closes the request's stream. Either way the call is rejected as aborted,
 * the server notices (request log), and it keeps serving the next call.
 *
 * "Promptly" is proven by the order of events, never by a stopwatch: an
 * identical get_cpu call with the same 10 s window runs alongside, uncancelled,
 * and everything the cancelled call should cause (the rejection, the server's
 * request line, the next call's answer) must happen before that window ends.
 * The server runs one get_cpu at a time beside that reference call
 * (toolConcurrency 2), so the next call gets a slot only if the cancelled
 * handler really stopped and released its own.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ClientOptions } from '@modelcontextprotocol/client';
import type { CpuData } from '../../src/diagnostics/cpu.js';
import { delay, killAll, MODERN, spawnHostlens, within } from './helpers.js';
import type { LogLine, Spawned } from './helpers.js';

const ERAS: ReadonlyArray<{ name: 'legacy' | 'modern'; options: ClientOptions }> = [
  { name: 'legacy', options: {} },
  { name: 'modern', options: { versionNegotiation: { mode: { pin: MODERN } } } },
];

async function connect(url: string, options: ClientOptions, name = 'e2e-cancel'): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' }, options);
  await within(15_000, 'connect', client.connect(new StreamableHTTPClientTransport(new URL(url))));
  return client;
}

/** The longest window get_cpu accepts: the cancelled calls and the reference call both ask for it. */
const WINDOW_SEC = 10;

/**
 * Starts get_cpu {windowSec: 10} and aborts it while it runs; returns the rejection and whether the abort had
 * already happened when it came (a rejection before the abort would be some other failure).
 *
 * Legacy era: the cancellation is a separate notifications/cancelled POST, which could overtake the call on a
 * loaded machine (the server then ignores it as naming no request), so the abort waits for the call's first
 * progress notification: the handler is running then. Modern era: the cancellation is the call's own stream
 * closing, which cannot overtake it, so it is aborted after ~300 ms (asking for progress would turn the answer
 * into an event stream, whose logged status is the 200 of its head).
 */
async function cancelledCpuCall(client: Client, era: 'legacy' | 'modern'): Promise<{ abortedFirst: boolean; error: unknown }> {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  const timer = era === 'modern' ? setTimeout(abort, 300) : undefined;
  const options = era === 'legacy' ? { signal: controller.signal, onprogress: () => void setImmediate(abort) } : { signal: controller.signal };
  try {
    // A hang guard only: the reference window (referenceWindow) is what proves the call returned early.
    const result = await within(60_000, 'the cancelled get_cpu call to settle', client.callTool({ name: 'get_cpu', arguments: { windowSec: WINDOW_SEC } }, options));
    assert.fail(`a cancelled call must not resolve with a result (aborted: ${controller.signal.aborted}): ${JSON.stringify(result).slice(0, 300)}`);
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error;
    return { abortedFirst: controller.signal.aborted, error };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * An uncancelled get_cpu with the same 10 s window on a client of its own: `open()` is true until its result
 * arrives, so an event seen while it is open happened before a full window could have run.
 */
async function referenceWindow(url: string, options: ClientOptions): Promise<{ open: () => boolean; finish: () => Promise<void>; close: () => Promise<void> }> {
  const client = await connect(url, options, 'e2e-cancel-reference');
  let state: 'open' | 'done' | Error = 'open';
  const call = client.callTool({ name: 'get_cpu', arguments: { windowSec: WINDOW_SEC } }).then(
    (r) => void (state = r.isError ? new Error(`the reference call failed: ${JSON.stringify(r.content)}`) : 'done'),
    (error: unknown) => void (state = new Error(`the reference call failed: ${String(error)}`)),
  );
  const settled = (): boolean => {
    if (state instanceof Error) throw state;
    return state === 'done';
  };
  return {
    open: () => !settled(),
    finish: async () => {
      try {
        await within(60_000, 'the uncancelled reference get_cpu call', call);
        settled();
      } finally {
        await client.close().catch(() => undefined);
      }
    },
    close: () => client.close().catch(() => undefined),
  };
}

describe('cancellation of a long get_cpu window', { timeout: 120_000 }, () => {
  let server: Spawned;
  let url: string;

  before(async () => {
    // Two get_cpu calls at once: the reference window holds one slot, so the cancelled call's slot is the only
    // other one and a call after it runs only once the cancelled handler has let go.
    server = spawnHostlens(['serve', '--port', '0'], { env: { HOSTLENS_TOOL_CONCURRENCY: '2' } });
    ({ url } = await server.listening());
  });
  after(async () => {
    await killAll();
  });

  for (const era of ERAS) {
    test(`${era.name}: aborting a running call returns before the window ends and the server keeps serving`, async () => {
      const client = await connect(url, era.options);
      const reference = await referenceWindow(url, era.options);
      try {
        const before = server.logs().length;
        const { abortedFirst, error } = await cancelledCpuCall(client, era.name);
        assert.ok(abortedFirst, `rejected before the abort: ${String(error)}`);
        assert.match(String((error as Error)?.message ?? error), /abort/i, 'the rejection says it was aborted');
        assert.ok(reference.open(), 'the cancelled call returned only once a full window had run');

        // The server saw the cancellation before the window ended.
        const since = (l: LogLine, i: number): boolean => i >= before && l.msg === 'request';
        if (era.name === 'legacy') {
          const line = await server.waitForLog(
            (l) => l.msg === 'request' && l.rpcMethod === 'notifications/cancelled' && l.era === 'legacy',
            30_000,
            'notifications/cancelled to reach the server',
          );
          assert.equal(line.status, 202);
        } else {
          const line = await server.waitForLog(
            (l) => l.msg === 'request' && l.rpcMethod === 'tools/call' && l.tool === 'get_cpu' && l.era === 'modern' && typeof l.durationMs === 'number' && l.durationMs > 100,
            30_000,
            'the aborted modern tools/call to finish on the server',
          );
          assert.notEqual(line.status, 200, `an aborted modern call is not logged as a plain success: ${JSON.stringify(line)}`);
        }
        assert.ok(reference.open(), 'the server ended the cancelled call only once a full window had run');
        assert.ok(server.logs().some(since), 'request lines were logged');

        // The same client keeps working, with a fresh measurement, in the slot the cancelled call gave back: had
        // its handler kept measuring, this call would wait for a slot until a 10 s window ended.
        const next = await within(60_000, 'the next get_cpu call', client.callTool({ name: 'get_cpu', arguments: { windowSec: 0.3 } }));
        assert.ok(!next.isError, JSON.stringify(next.content));
        assert.equal((next.structuredContent as { data: CpuData }).data.source, 'measured');
        assert.ok(reference.open(), 'the next call was queued behind the cancelled one');

        // And so does a brand-new client.
        const other = await connect(url, era.options, 'e2e-cancel-2');
        try {
          const r = await within(60_000, 'a call from another client', other.callTool({ name: 'get_memory', arguments: {} }));
          assert.ok(!r.isError);
        } finally {
          await other.close().catch(() => undefined);
        }
        await reference.finish();
      } finally {
        await reference.close();
        await client.close().catch(() => undefined);
      }
    });
  }

  test('several cancelled calls in a row leave the server healthy', async () => {
    for (const era of ERAS) {
      const client = await connect(url, era.options);
      const reference = await referenceWindow(url, era.options);
      try {
        for (let i = 0; i < 3; i++) {
          const { abortedFirst, error } = await cancelledCpuCall(client, era.name);
          assert.ok(abortedFirst, `cancel #${i + 1} (${era.name}) rejected before the abort: ${String(error)}`);
        }
        // Each cancelled handler gave its slot back: a 4th get_cpu call runs beside the reference window.
        const next = await within(60_000, 'get_cpu after cancellations', client.callTool({ name: 'get_cpu', arguments: { windowSec: 0.3 } }));
        assert.ok(!next.isError, JSON.stringify(next.content));
        assert.ok(reference.open(), `(${era.name}) a call after three cancelled ones waited for a full window`);
        const r = await within(60_000, 'triage after cancellations', client.callTool({ name: 'triage_host', arguments: {} }));
        assert.ok(!r.isError);
        await reference.finish();
      } finally {
        await reference.close();
        await client.close().catch(() => undefined);
      }
    }
    const ready = await fetch(url.replace(/\/mcp$/, '/readyz'));
    assert.equal(ready.status, 200, await ready.text());
  });
});

describe('shutdown after a cancelled legacy call', { timeout: 60_000 }, () => {
  after(async () => {
    await killAll();
  });

  test(
    'SIGTERM does not wait out the grace period for a call that was already cancelled',
    async () => {
      const server = spawnHostlens(['serve', '--port', '0'], { env: { HOSTLENS_SHUTDOWN_GRACE_SEC: '300' } });
      const { url } = await server.listening();
      const client = await connect(url, {});
      try {
        const { abortedFirst } = await cancelledCpuCall(client, 'legacy');
        assert.ok(abortedFirst, 'the call was rejected before it was aborted');
        await server.waitForLog((l) => l.rpcMethod === 'notifications/cancelled', 30_000, 'the cancellation');
        await delay(200);
        // The grace period (300 s, the most the config accepts) is far beyond the test's own timeout: exiting at
        // all proves the cancelled call was not waited for, with no timing threshold a loaded machine could cross.
        server.signal('SIGTERM');
        const exit = await within(25_000, 'exit after SIGTERM (a cancelled call must not be waited out)', server.exited);
        assert.equal(exit.code, 0);
      } finally {
        await client.close().catch(() => undefined);
      }
    },
  );
});
