import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Services } from '../definitions/host-services.js';
import type { ToolDefinition } from '../definitions/types.js';
import { isHostlensError } from '../contracts/errors.js';
import { limitsOf, toolLoad, withToolLimits } from './tool-limits.js';

const servicesWith = (limits: { toolConcurrency?: number; toolTimeoutSec?: number }): Services => ({ limits }) as unknown as Services;
const toolNamed = (name: string, timeoutSec?: number): ToolDefinition => ({ name, ...(timeoutSec !== undefined ? { timeoutSec } : {}) }) as ToolDefinition;
const never = (signal: AbortSignal): Promise<string> =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('handler saw abort')), { once: true }));

describe('tool limits (in process)', () => {
  test('defaults 4 / 30 s / queue 64 (16 per tenant); the definition overrides the deadline; the queues are 16 × and 4 × toolConcurrency', () => {
    assert.deepEqual(limitsOf(toolNamed('a'), servicesWith({})), { concurrency: 4, timeoutSec: 30, queue: 64, tenantQueue: 16 });
    assert.deepEqual(limitsOf(toolNamed('a', 120), servicesWith({ toolConcurrency: 2, toolTimeoutSec: 5 })), { concurrency: 2, timeoutSec: 120, queue: 32, tenantQueue: 8 });
  });

  test("one tenant's queued calls get their slot in arrival order", async () => {
    const services = servicesWith({ toolConcurrency: 1 });
    const tool = toolNamed('fifo');
    const order: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = withToolLimits(tool, services, new AbortController().signal, async () => {
      await gate;
      order.push(0);
    });
    const rest = [1, 2, 3, 4].map((i) => withToolLimits(tool, services, new AbortController().signal, async () => void order.push(i)));
    assert.deepEqual(toolLoad(services, 'fifo'), { running: 1, waiting: 4 });
    release();
    await Promise.all([first, ...rest]);
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
    assert.deepEqual(toolLoad(services, 'fifo'), { running: 0, waiting: 0 });
  });

  test('a call whose client already cancelled never runs and takes no slot', async () => {
    const services = servicesWith({});
    const cancelled = new AbortController();
    cancelled.abort(new Error('client gone'));
    let ran = false;
    await assert.rejects(
      withToolLimits(toolNamed('gone'), services, cancelled.signal, async (signal) => {
        ran = !signal.aborted;
        return 1;
      }),
      /client gone/,
    );
    assert.equal(ran, false);
    assert.deepEqual(toolLoad(services, 'gone'), { running: 0, waiting: 0 });
  });

  test('client cancellation (not the deadline) keeps its own reason; the deadline replaces whatever the handler threw', async () => {
    const services = servicesWith({ toolTimeoutSec: 0.1 });
    const client = new AbortController();
    const cancelledCall = withToolLimits(toolNamed('c'), servicesWith({}), client.signal, never);
    client.abort(new Error('cancelled by client'));
    await assert.rejects(cancelledCall, /cancelled by client/);

    const timed = withToolLimits(toolNamed('t'), services, new AbortController().signal, never);
    await assert.rejects(timed, (e: unknown) => isHostlensError(e, 'timeout') && /^t timed out after 0\.1 s \(toolTimeoutSec\)/.test(e.message));
  });

  test("a tenant over its share of the queue is refused with a rate_limited error naming the cap; another tenant still queues", async () => {
    const services = servicesWith({ toolConcurrency: 1 });
    const hold = new AbortController();
    const calls = Array.from({ length: 5 }, () => withToolLimits(toolNamed('busy'), services, hold.signal, never, 'a').catch((e: Error) => e.message));
    assert.deepEqual(toolLoad(services, 'busy', 'a'), { running: 1, waiting: 4 });
    await assert.rejects(withToolLimits(toolNamed('busy'), services, new AbortController().signal, never, 'a'), (e: unknown) => {
      return (
        isHostlensError(e, 'rate_limited') &&
        e.message === 'busy is busy: this client already has 4 calls of it waiting (its share of the queue; toolConcurrency 1, queue 4 per client, 16 in all); retry in a moment'
      );
    });
    const other = withToolLimits(toolNamed('busy'), services, hold.signal, never, 'b').catch((e: Error) => e.message);
    assert.deepEqual(toolLoad(services, 'busy', 'b'), { running: 0, waiting: 1 });
    hold.abort(new Error('done'));
    assert.deepEqual(await Promise.all([...calls, other]), Array.from({ length: 6 }, () => 'done'));
    assert.deepEqual(toolLoad(services, 'busy'), { running: 0, waiting: 0 });
  });
});
