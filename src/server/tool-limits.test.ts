import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Services } from '../catalogue/services.js';
import type { ToolDefinition } from '../catalogue/types.js';
import { ToolError } from '../catalogue/types.js';
import { limitsOf, toolLoad, ToolTimedOut, withToolLimits } from './tool-limits.js';

const servicesWith = (limits: { toolConcurrency?: number; toolTimeoutSec?: number }): Services => ({ limits }) as unknown as Services;
const toolNamed = (name: string, timeoutSec?: number): ToolDefinition => ({ name, ...(timeoutSec !== undefined ? { timeoutSec } : {}) }) as ToolDefinition;
const never = (signal: AbortSignal): Promise<string> =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('handler saw abort')), { once: true }));

describe('tool limits (in process)', () => {
  test('defaults 4 / 30 s / queue 64; the definition overrides the deadline; the queue is 16 × toolConcurrency', () => {
    assert.deepEqual(limitsOf(toolNamed('a'), servicesWith({})), { concurrency: 4, timeoutSec: 30, queue: 64 });
    assert.deepEqual(limitsOf(toolNamed('a', 120), servicesWith({ toolConcurrency: 2, toolTimeoutSec: 5 })), { concurrency: 2, timeoutSec: 120, queue: 32 });
  });

  test('queued calls get their slot in arrival order', async () => {
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
    await assert.rejects(timed, (e: unknown) => e instanceof ToolTimedOut && e instanceof ToolError && /^t timed out after 0\.1 s \(toolTimeoutSec\)/.test(e.message));
  });

  test('the busy refusal is a ToolError naming the cap', async () => {
    const services = servicesWith({ toolConcurrency: 1 });
    const hold = new AbortController();
    const calls = Array.from({ length: 17 }, () => withToolLimits(toolNamed('busy'), services, hold.signal, never).catch((e: Error) => e.message));
    await assert.rejects(withToolLimits(toolNamed('busy'), services, new AbortController().signal, never), (e: unknown) => {
      return e instanceof ToolError && e.message === 'busy is busy: 1 calls of it are running and 16 waiting (toolConcurrency 1, queue 16); retry in a moment';
    });
    hold.abort(new Error('done'));
    assert.deepEqual(await Promise.all(calls), Array.from({ length: 17 }, () => 'done'));
  });
});
