/**
 * Per-tool concurrency cap and timeout around a tool handler (run-tool.ts).
 *
 * - At most `toolConcurrency` (default 4) calls of one tool run at once,
 *   server-wide: across sessions, eras and transports (the gate lives with the
 *   process-wide Services). One more waits in a FIFO queue of
 *   16 × toolConcurrency (64 by default: waiting costs a closure, and the
 *   deadline bounds the wait); with the queue full the call is refused at once with
 *   a tool error naming the cap.
 * - Every call has a deadline, `toolTimeoutSec` (default 30) or the
 *   definition's own `timeoutSec`, counted from its arrival (queueing
 *   included). The handler's signal is the client's cancellation signal
 *   combined with the deadline, so collectors and spawns
 *   that honour it stop (journalctl is killed). At the deadline the call
 *   answers a tool error saying it timed out after N s, whether or not the
 *   handler has returned yet.
 * - A handler that ignores its signal keeps its slot until it settles, but at
 *   most SLOT_HOLD_MS past the abort, so a stuck handler cannot block a tool
 *   for ever.
 */
import type { ToolDefinition } from '../catalogue/types.js';
import { ToolError } from '../catalogue/types.js';
import type { Services } from '../catalogue/services.js';

export const DEFAULT_TOOL_CONCURRENCY = 4;
export const DEFAULT_TOOL_TIMEOUT_SEC = 30;
/** Waiting calls per tool, as a multiple of toolConcurrency. */
export const QUEUE_FACTOR = 16;
/** How long a handler that ignores its aborted signal may keep its slot. */
export const SLOT_HOLD_MS = 5_000;

interface Waiter {
  grant(): void;
}

interface Gate {
  running: number;
  queue: Waiter[];
}

const gates = new WeakMap<Services, Map<string, Gate>>();

function gateOf(services: Services, name: string): Gate {
  let byTool = gates.get(services);
  if (!byTool) {
    byTool = new Map();
    gates.set(services, byTool);
  }
  let gate = byTool.get(name);
  if (!gate) {
    gate = { running: 0, queue: [] };
    byTool.set(name, gate);
  }
  return gate;
}

/** Calls of `name` running and waiting right now (for tests and metrics). */
export function toolLoad(services: Services, name: string): { running: number; waiting: number } {
  const gate = gates.get(services)?.get(name);
  return { running: gate?.running ?? 0, waiting: gate?.queue.length ?? 0 };
}

export function limitsOf(tool: ToolDefinition, services: Services): { concurrency: number; timeoutSec: number; queue: number } {
  const concurrency = Math.max(1, services.limits.toolConcurrency ?? DEFAULT_TOOL_CONCURRENCY);
  return {
    concurrency,
    timeoutSec: tool.timeoutSec ?? services.limits.toolTimeoutSec ?? DEFAULT_TOOL_TIMEOUT_SEC,
    queue: QUEUE_FACTOR * concurrency,
  };
}

/** Thrown (as a ToolError) when the tool's deadline passed. */
export class ToolTimedOut extends ToolError {
  override name = 'ToolTimedOut';
}

const seconds = (sec: number): string => `${Number(sec.toFixed(3))} s`;

/** The handler's signal plus a hook called once when it aborts (cheaper than an EventTarget listener). */
interface CallAbort {
  signal: AbortSignal;
  /** Replaces the hook; called at once when already aborted. */
  onAbort(hook: (() => void) | undefined): void;
}

/**
 * Runs `run` under the tool's concurrency cap and deadline. `cancel` is the
 * client's cancellation signal; `run` receives the combined one.
 */
export async function withToolLimits<T>(tool: ToolDefinition, services: Services, cancel: AbortSignal, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const { concurrency, timeoutSec, queue } = limitsOf(tool, services);
  const gate = gateOf(services, tool.name);
  if (gate.running >= concurrency && gate.queue.length >= queue) {
    throw new ToolError(
      `${tool.name} is busy: ${gate.running} calls of it are running and ${gate.queue.length} waiting (toolConcurrency ${concurrency}, queue ${queue}); retry in a moment`,
    );
  }
  // The handler's signal: the client's cancellation or the deadline, whichever comes first. Combined by hand
  // with one listener: AbortSignal.any costs ≈ 40 µs per call on Node 20, and each EventTarget listener ≈ 7 µs.
  const controller = new AbortController();
  let hook: (() => void) | undefined;
  const abort = (reason: unknown): void => {
    if (controller.signal.aborted) return;
    controller.abort(reason);
    hook?.();
  };
  const call: CallAbort = {
    signal: controller.signal,
    onAbort(next) {
      hook = next;
      if (controller.signal.aborted) next?.();
    },
  };
  const onCancel = (): void => abort(cancel.reason);
  if (cancel.aborted) onCancel();
  else cancel.addEventListener('abort', onCancel, { once: true });
  let queued = false;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = !controller.signal.aborted;
    abort(
      new ToolTimedOut(
        queued
          ? `${tool.name} timed out after ${seconds(timeoutSec)} waiting for a free slot (toolConcurrency ${concurrency} calls of it were running); retry later`
          : `${tool.name} timed out after ${seconds(timeoutSec)} (toolTimeoutSec) and was stopped; narrow the query or retry`,
      ),
    );
  }, timeoutSec * 1000);
  try {
    if (gate.running >= concurrency) {
      queued = true;
      await waitForSlot(gate, call);
      queued = false;
    } else {
      gate.running += 1;
    }
    return await runHolding(gate, call, run);
  } catch (error) {
    // At the deadline the reason is the timeout, whatever the handler threw.
    if (timedOut) throw controller.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
    if (!cancel.aborted) cancel.removeEventListener('abort', onCancel);
  }
}

/** Waits in FIFO order for a slot (the slot is ours when this resolves); leaves the queue on abort. */
function waitForSlot(gate: Gate, call: CallAbort): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const waiter: Waiter = {
      grant: () => {
        call.onAbort(undefined);
        resolve();
      },
    };
    gate.queue.push(waiter);
    call.onAbort(() => {
      const i = gate.queue.indexOf(waiter);
      if (i >= 0) gate.queue.splice(i, 1);
      reject(call.signal.reason);
    });
  });
}

function releaseSlot(gate: Gate): void {
  const next = gate.queue.shift();
  // The slot passes straight to the next waiter: `running` stays the same.
  if (next) next.grant();
  else gate.running -= 1;
}

/** Runs the handler holding a slot; answers at abort even if the handler does not. */
async function runHolding<T>(gate: Gate, call: CallAbort, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    releaseSlot(gate);
  };
  const work = (async () => run(call.signal))();
  work.then(release, release);
  const aborted = new Promise<never>((_, reject) => {
    call.onAbort(() => {
      setTimeout(release, SLOT_HOLD_MS).unref?.();
      reject(call.signal.reason);
    });
  });
  aborted.catch(() => undefined);
  try {
    return await Promise.race([work, aborted]);
  } finally {
    call.onAbort(undefined);
  }
}
