/**
 * Per-tool concurrency caps and timeouts over real HTTP, in both eras, with a
 * test-only catalogue whose tools wait on their AbortSignal: the cap is
 * server-wide (across sessions and eras), one more call queues, a client
 * over its share of the queue is refused with a tool error naming the cap, the deadline aborts the handler
 * (which sees signal.aborted) and answers "timed out after N s", and the
 * server keeps serving.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { defineTool } from '../../src/definitions/types.js';
import { runProgram } from '../../src/collectors/exec.js';
import type { ToolDefinition } from '../../src/definitions/types.js';
import { createHttpApp } from '../../src/http/app.js';
import type { HttpApp } from '../../src/http/app.js';
import { buildServer } from '../../src/server/build.js';
import { createServices } from '../../src/app/create-services.js';
import type { RunningServices } from '../../src/app/create-services.js';
import { SLOT_HOLD_MS, toolLoad } from '../../src/server/tool-limits.js';
import { delay, LEGACY_VERSIONS, modernMeta, openLegacySession, postLegacy, postModern, readResponse, within } from './helpers.js';
import type { JsonRpcMessage } from './helpers.js';

const V = LEGACY_VERSIONS[0];

/** What the handlers saw. */
const probe = {
  started: 0,
  abortedSeen: [] as string[],
  release: null as (() => void) | null,
  released: Promise.resolve(),
  stubbornReturned: false,
};
function arm(): void {
  probe.released = new Promise<void>((resolve) => (probe.release = resolve));
}

/** Resolves when `signal` aborts or `other` settles; returns whether it was the abort. */
function untilAbort(signal: AbortSignal, other: Promise<void>): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    if (signal.aborted) return resolve(true);
    signal.addEventListener('abort', () => resolve(true), { once: true });
    void other.then(() => resolve(false));
  });
}

const data = z.object({ aborted: z.boolean() });
const render = (o: { data: { aborted: boolean } }): string => (o.data.aborted ? 'aborted' : 'released');

const held = defineTool({
  name: 'held',
  title: 'Held',
  description: 'Waits until the test releases it or its signal aborts.',
  toolset: 'core',
  input: z.object({}).strict(),
  data,
  async handler(_args, { signal }) {
    probe.started += 1;
    const aborted = await untilAbort(signal, probe.released);
    if (aborted) probe.abortedSeen.push(`held:${String((signal.reason as Error)?.name)}`);
    return { data: { aborted } };
  },
  render,
});

const deadline = defineTool({
  name: 'deadline',
  title: 'Deadline',
  description: 'Waits on its signal only; its own deadline is 0.5 s.',
  toolset: 'core',
  timeoutSec: 0.5,
  input: z.object({ tag: z.string() }).strict(),
  data,
  async handler({ tag }, { signal }) {
    await untilAbort(signal, new Promise<void>(() => undefined));
    probe.abortedSeen.push(`deadline:${tag}:${signal.aborted}`);
    return { data: { aborted: signal.aborted } };
  },
  render,
});

const stubborn = defineTool({
  name: 'stubborn',
  title: 'Stubborn',
  description: 'Ignores its signal and sleeps, or with hold waits for the test to release it; deadline 0.3 s.',
  toolset: 'core',
  timeoutSec: 0.3,
  input: z.object({ ms: z.number().int().min(0).max(5000), hold: z.boolean().optional() }).strict(),
  data,
  async handler({ ms, hold }) {
    probe.stubbornReturned = false;
    await (hold ? probe.released : delay(ms));
    probe.stubbornReturned = true;
    return { data: { aborted: false } };
  },
  render,
});

const quick = defineTool({
  name: 'quick',
  title: 'Quick',
  description: 'Answers at once.',
  toolset: 'core',
  input: z.object({}).strict(),
  data,
  async handler() {
    return { data: { aborted: false } };
  },
  render,
});

/** A stand-in for journalctl that records its pid and sleeps (tools run programs only through runProgram). */
const standIn = join(mkdtempSync(join(tmpdir(), 'hostlens-limits-')), 'journalctl');
writeFileSync(standIn, '#!/bin/sh\necho $$ > "$0.pid"\nexec sleep 30\n', { mode: 0o755 });

const spawner = defineTool({
  name: 'spawner',
  title: 'Spawner',
  description: 'Runs the journalctl stand-in with the tool signal; deadline 0.5 s.',
  toolset: 'core',
  timeoutSec: 0.5,
  input: z.object({}).strict(),
  data,
  async handler(_args, { signal }) {
    const run = await runProgram('journalctl', ['--no-pager'], { executable: standIn, signal, timeoutMs: 30_000 });
    return { data: { aborted: run.stopped === 'aborted' } };
  },
  render,
});

const tools = [held, deadline, stubborn, quick, spawner] as unknown as ToolDefinition[];

describe('per-tool concurrency caps and timeouts over HTTP', () => {
  let services: RunningServices;
  let app: HttpApp;
  let url: string;
  let sids: string[];
  let nextId = 1;

  before(async () => {
    services = createServices({ startSampler: false, changeWatch: false, toolConcurrency: 4, toolTimeoutSec: 30 });
    const factory = () => buildServer({ catalogue: { tools, resources: [], prompts: [] }, services, toolsets: ['core'], name: 'limits-test', version: '1.0.0' });
    // Every client here is this one process, which would make them one client (src/server/tenant.ts): the peer is
    // named by uid only, as when its process cannot be found, so each session and connection is a client of its own.
    app = createHttpApp({ factory, port: 0, localPeers: { lookup: async () => process.geteuid?.() ?? 0 } });
    url = (await app.listen()).url;
    sids = [await openLegacySession(url, V), await openLegacySession(url, V)];
  });
  after(async () => {
    probe.release?.();
    await app.close();
    services.stop();
    rmSync(dirname(standIn), { recursive: true, force: true });
  });

  const callModern = async (name: string, args: Record<string, unknown> = {}): Promise<JsonRpcMessage> => {
    const res = await postModern(url, { method: 'tools/call', id: nextId++, params: { name, arguments: args, _meta: modernMeta() } });
    assert.equal(res.status, 200);
    return readResponse(res);
  };
  const callLegacy = async (sid: string, name: string, args: Record<string, unknown> = {}): Promise<JsonRpcMessage> => {
    const res = await postLegacy(url, V, sid, { jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name, arguments: args } });
    assert.equal(res.status, 200);
    return readResponse(res);
  };
  const resultOf = (m: JsonRpcMessage): { isError?: boolean; text: string; structured?: { data?: { aborted?: boolean } } } => {
    const r = m.result as { isError?: boolean; content: Array<{ text?: string }>; structuredContent?: { data?: { aborted?: boolean } } };
    assert.ok(r, `no result: ${JSON.stringify(m)}`);
    return { ...(r.isError ? { isError: true } : {}), text: r.content.map((c) => c.text ?? '').join(''), ...(r.structuredContent ? { structured: r.structuredContent } : {}) };
  };
  const waitFor = async (what: string, pred: () => boolean): Promise<void> => {
    await within(5_000, what, (async () => {
      while (!pred()) await delay(10);
    })());
  };

  test('4 calls of one tool run at once across eras and sessions; the 5th queues; a client beyond its share of the queue (16) → tool error naming the cap, others still queue', async () => {
    arm();
    probe.started = 0;
    const calls: Array<Promise<JsonRpcMessage>> = [];
    // Two modern calls and one on each legacy session fill the 4 slots.
    calls.push(callModern('held'), callModern('held'), callLegacy(sids[0]!, 'held'), callLegacy(sids[1]!, 'held'));
    await waitFor('4 running', () => probe.started === 4);
    calls.push(callLegacy(sids[0]!, 'held'));
    await waitFor('the 5th waiting', () => toolLoad(services, 'held').waiting === 1);
    await delay(200);
    assert.equal(probe.started, 4, 'the 5th call does not start while 4 run');
    assert.deepEqual(toolLoad(services, 'held'), { running: 4, waiting: 1 });
    // Without auth each legacy session is its own client (src/server/tenant.ts): the second one fills its share.
    for (let i = 0; i < 16; i++) calls.push(callLegacy(sids[1]!, 'held'));
    await waitFor('17 waiting', () => toolLoad(services, 'held').waiting === 17);

    const refused = resultOf(await callLegacy(sids[1]!, 'held'));
    assert.equal(refused.isError, true);
    assert.match(refused.text, /^held is busy: this client already has 16 calls of it waiting \(its share of the queue; toolConcurrency 4, queue 16 per client, 64 in all\); retry in a moment$/);
    // The other session and a modern client still queue.
    calls.push(callLegacy(sids[0]!, 'held'), callModern('held'));
    await waitFor('19 waiting', () => toolLoad(services, 'held').waiting === 19);
    assert.equal(probe.started, 4);
    // Another tool is not held up by this one's cap.
    assert.equal(resultOf(await callModern('quick')).isError, undefined);

    probe.release?.();
    const results = (await within(10_000, 'all 23 calls', Promise.all(calls))).map(resultOf);
    assert.equal(results.length, 23);
    for (const r of results) {
      assert.equal(r.isError, undefined, r.text);
      assert.equal(r.structured?.data?.aborted, false);
    }
    assert.equal(probe.started, 23, 'every queued call ran once a slot was free');
    assert.deepEqual(toolLoad(services, 'held'), { running: 0, waiting: 0 });
  });

  for (const era of ['modern', 'legacy'] as const) {
    // The handler waits on its signal and nothing else, so an answer at all proves the deadline aborted it (the
    // text names the 0.5 s deadline, not the server-wide 30 s one). "Not before the deadline" is an order of
    // timers in this one process: a reference timer of the same 0.5 s, set before the call is sent, is queued
    // ahead of the server's deadline timer (started when the call arrives) and so fires no later than it.
    test(`${era}: the deadline aborts the handler (it sees signal.aborted) and the call answers "timed out after N s"`, async (t) => {
      const started = performance.now();
      let referenceDue = false;
      const reference = setTimeout(() => (referenceDue = true), 500);
      const msg = era === 'modern' ? await callModern('deadline', { tag: era }) : await callLegacy(sids[0]!, 'deadline', { tag: era });
      clearTimeout(reference);
      t.diagnostic(`answered after ${Math.round(performance.now() - started)} ms`);
      const r = resultOf(msg);
      assert.equal(r.isError, true);
      assert.equal(r.text, 'deadline timed out after 0.5 s (toolTimeoutSec) and was stopped; narrow the query or retry');
      assert.equal(referenceDue, true, 'answered before its 0.5 s deadline could have passed');
      await waitFor('handler saw the abort', () => probe.abortedSeen.includes(`deadline:${era}:true`));
      assert.deepEqual(toolLoad(services, 'deadline'), { running: 0, waiting: 0 });
      assert.equal(resultOf(await callModern('quick')).isError, undefined, 'the server keeps serving');
    });
  }

  test('at the deadline a program the tool runs (journalctl through runProgram) is killed', async () => {
    const r = resultOf(await callModern('spawner'));
    assert.equal(r.isError, true);
    assert.match(r.text, /^spawner timed out after 0\.5 s/);
    const pid = Number(readFileSync(`${standIn}.pid`, 'utf8').trim());
    assert.ok(pid > 0);
    await waitFor('the stand-in process is gone', () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    await waitFor('slot freed', () => toolLoad(services, 'spawner').running === 0);
  });

  test('a handler that ignores its signal: the call still answers at the deadline; the slot is held until the handler returns', { timeout: 30_000 }, async () => {
    // The handler returns only when the test releases it, so the answer came at the deadline and not when the
    // handler returned — by the order of events, not by a duration. Waiting for the handler would hang (the
    // test's timeout is the guard).
    arm();
    const r = resultOf(await callLegacy(sids[1]!, 'stubborn', { ms: 0, hold: true }));
    assert.equal(r.isError, true);
    assert.match(r.text, /^stubborn timed out after 0\.3 s/);
    assert.equal(probe.stubbornReturned, false, 'answered while the handler was still running');
    assert.deepEqual(toolLoad(services, 'stubborn'), { running: 1, waiting: 0 }, 'the still-running handler keeps its slot');
    probe.release?.();
    await waitFor('slot freed when the handler returns', () => toolLoad(services, 'stubborn').running === 0);
    assert.equal(probe.stubbornReturned, true);
    assert.ok(SLOT_HOLD_MS > 2_000);
  });

  test('a queued call whose deadline passes before a slot frees says it timed out waiting', async () => {
    // Four stubborn handlers keep their slots past their 0.3 s deadline, until the test releases them.
    arm();
    const holders = [0, 1, 2, 3].map(() => callModern('stubborn', { ms: 0, hold: true }));
    await waitFor('4 running', () => toolLoad(services, 'stubborn').running === 4);
    const r = resultOf(await callModern('stubborn', { ms: 0 }));
    assert.equal(r.isError, true);
    assert.equal(r.text, 'stubborn timed out after 0.3 s waiting for a free slot (toolConcurrency 4 calls of it were running); retry later');
    assert.equal(toolLoad(services, 'stubborn').waiting, 0, 'the timed-out waiter left the queue');
    for (const h of await Promise.all(holders)) assert.match(resultOf(h).text, /timed out after 0\.3 s \(toolTimeoutSec\)/);
    probe.release?.();
    await waitFor('all slots free', () => toolLoad(services, 'stubborn').running === 0);
  });

  test('a queued modern call cancelled by closing its stream leaves the queue; the server keeps serving', async () => {
    arm();
    probe.started = 0;
    const running = [0, 1, 2, 3].map(() => callModern('held'));
    await waitFor('4 running', () => probe.started === 4);
    const controller = new AbortController();
    const queued = postModern(url, { method: 'tools/call', id: 'cancel-me', params: { name: 'held', arguments: {}, _meta: modernMeta() }, signal: controller.signal });
    await waitFor('1 waiting', () => toolLoad(services, 'held').waiting === 1);
    controller.abort();
    await queued.catch(() => undefined);
    await waitFor('the cancelled waiter left the queue', () => toolLoad(services, 'held').waiting === 0);
    probe.release?.();
    for (const r of await Promise.all(running)) assert.equal(resultOf(r).isError, undefined);
    assert.equal(probe.started, 4, 'the cancelled call never started');
    assert.equal(resultOf(await callLegacy(sids[0]!, 'quick')).isError, undefined);
  });
});
