/**
 * The tool gate's fairness between tenants (tool-limits.ts): a freed slot
 * goes to the waiting tenant with the fewest calls running, ties in
 * round-robin order; a full queue pushes out its largest holder's newest
 * call rather than refusing a smaller holder; a lone tenant may use every slot.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Services } from '../definitions/host-services.js';
import type { ToolDefinition } from '../definitions/types.js';
import { HostlensError } from '../contracts/errors.js';
import { toolLoad, withToolLimits } from './tool-limits.js';

const servicesWith = (limits: { toolConcurrency?: number }): Services => ({ limits }) as unknown as Services;
const tool = { name: 'fair' } as ToolDefinition;

/** A call that runs until released; `ran` records the order the handlers started in. */
function harness(services: Services) {
  const ran: string[] = [];
  const releases: Array<() => void> = [];
  const call = (tenant: string, label = tenant, signal = new AbortController().signal): Promise<string> =>
    withToolLimits(
      tool,
      services,
      signal,
      () =>
        new Promise<string>((resolve) => {
          ran.push(label);
          releases.push(() => resolve(label));
        }),
      tenant,
    ).catch((e: Error) => `refused: ${e.message}`);
  /** Releases the oldest running call and lets the next one start. */
  const step = async (): Promise<void> => {
    releases.shift()!();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { ran, call, step };
}

describe('tool gate fairness between tenants', () => {
  test('a lone tenant uses every idle slot', async () => {
    const services = servicesWith({ toolConcurrency: 4 });
    const h = harness(services);
    const calls = Array.from({ length: 4 }, (_, i) => h.call('a', `a${i}`));
    assert.deepEqual(toolLoad(services, 'fair', 'a'), { running: 4, waiting: 0 });
    for (let i = 0; i < 4; i++) await h.step();
    assert.deepEqual(await Promise.all(calls), ['a0', 'a1', 'a2', 'a3']);
  });

  test('a late tenant waits behind at most one call per other waiting tenant, not behind the noisy queue', async () => {
    const services = servicesWith({ toolConcurrency: 1 });
    const h = harness(services);
    const calls = [h.call('noisy', 'n0')];
    for (let i = 1; i <= 4; i++) calls.push(h.call('noisy', `n${i}`));
    calls.push(h.call('b', 'b0'), h.call('b', 'b1'), h.call('c', 'c0'), h.call('victim', 'v0'));
    for (let i = 0; i < 9; i++) await h.step();
    assert.deepEqual(await Promise.all(calls), ['n0', 'n1', 'n2', 'n3', 'n4', 'b0', 'b1', 'c0', 'v0']);
    // n0 ran first; then one call per tenant in turn, the noisy tenant last in each round (it was just served).
    assert.deepEqual(h.ran, ['n0', 'b0', 'c0', 'v0', 'n1', 'b1', 'n2', 'n3', 'n4']);
    assert.deepEqual(toolLoad(services, 'fair'), { running: 0, waiting: 0 });
  });

  test('a freed slot goes to the waiting tenant with the fewest calls running', async () => {
    const services = servicesWith({ toolConcurrency: 2 });
    const h = harness(services);
    const calls = [h.call('noisy', 'n0'), h.call('noisy', 'n1'), h.call('noisy', 'n2'), h.call('noisy', 'n3'), h.call('victim', 'v0')];
    assert.deepEqual(toolLoad(services, 'fair', 'noisy'), { running: 2, waiting: 2 });
    await h.step(); // n0 ends: the victim (0 running) goes before the noisy tenant's third call
    assert.deepEqual(h.ran, ['n0', 'n1', 'v0']);
    for (let i = 0; i < 4; i++) await h.step();
    assert.equal((await Promise.all(calls)).length, 5);
  });

  test('with the whole queue full, a tenant holding fewer pushes out the largest holder’s newest call; a largest holder is refused', async () => {
    // toolConcurrency 1: queue 16 in all, 4 per tenant.
    const services = servicesWith({ toolConcurrency: 1 });
    const h = harness(services);
    const calls: Array<Promise<string>> = [h.call('a', 'running')];
    for (const t of ['a', 'b', 'c', 'd']) for (let i = 0; i < 4; i++) calls.push(h.call(t, `${t}${i}`));
    assert.deepEqual(toolLoad(services, 'fair'), { running: 1, waiting: 16 });
    // e holds fewer than the largest each time: its calls push out a3, b3, c3 and d3.
    const e = [0, 1, 2, 3].map((i) => h.call('e', `e${i}`));
    assert.deepEqual(toolLoad(services, 'fair', 'e'), { running: 0, waiting: 4 });
    assert.equal(await calls[4], 'refused: fair is busy: the queue is full (toolConcurrency 1, queue 16) and this client held the most of it (4 calls waiting); retry in a moment');
    for (const k of [8, 12, 16]) assert.match(await calls[k]!, /^refused: fair is busy: the queue is full/);
    // A newcomer with nothing waiting pushes out e's newest; e, now among the largest, is refused itself.
    const f = h.call('f', 'f0');
    assert.match(await e[3]!, /^refused: fair is busy: the queue is full/);
    assert.match(await h.call('e', 'e4'), /^refused: fair is busy: 1 calls of it are running and 16 waiting \(toolConcurrency 1, queue 16\)/);
    assert.deepEqual(toolLoad(services, 'fair'), { running: 1, waiting: 16 });
    for (let i = 0; i < 17; i++) if (toolLoad(services, 'fair').running > 0) await h.step();
    const results = await Promise.all([...calls, ...e, f]);
    assert.equal(results.filter((r) => r.startsWith('refused')).length, 5);
    assert.deepEqual(toolLoad(services, 'fair'), { running: 0, waiting: 0 });
  });

  test('a waiting call that is cancelled leaves its tenant’s queue; the tenant is forgotten once idle', async () => {
    const services = servicesWith({ toolConcurrency: 1 });
    const h = harness(services);
    const first = h.call('a', 'a0');
    const cancel = new AbortController();
    const waiting = withToolLimits(tool, services, cancel.signal, async () => 'never', 'b').catch((e: unknown) => (e instanceof HostlensError ? 'tool error' : String(e)));
    assert.deepEqual(toolLoad(services, 'fair', 'b'), { running: 0, waiting: 1 });
    cancel.abort('gone');
    assert.equal(await waiting, 'gone');
    assert.deepEqual(toolLoad(services, 'fair', 'b'), { running: 0, waiting: 0 });
    await h.step();
    assert.equal(await first, 'a0');
    assert.deepEqual(toolLoad(services, 'fair'), { running: 0, waiting: 0 });
  });
});
