/**
 * Per-tool concurrency cap, fair queueing and timeout around a tool handler
 * (run-tool.ts).
 *
 * - At most `toolConcurrency` (default 4) calls of one tool run at once,
 *   server-wide: across sessions, eras and transports (the gate lives with the
 *   process-wide Services). A tenant (src/server/tenant.ts: the principal, or
 *   with auth off the local client) may use every idle slot.
 * - One more call waits. Waiting calls are kept per tenant, and a freed slot
 *   goes to the waiting tenant with the fewest calls of the tool running,
 *   ties in round-robin order (the tenant served last goes to the back), never
 *   first-come across everyone: one client that queued 64 calls used to make
 *   every other client's call wait behind all 64 (and time out). So a call
 *   waits for at most one call per other waiting tenant once a slot frees.
 * - Queues are bounded: 4 × toolConcurrency waiting calls per tenant (16 by
 *   default) and 16 × toolConcurrency in all (64). A tenant over its share is
 *   refused at once with a tool error naming the cap; when the whole queue is
 *   full, an arriving call of a tenant holding fewer waiting calls than the
 *   largest holder takes the place of that holder's newest waiting call
 *   (which gets the busy error), so a full queue refuses only its largest
 *   users. Waiting costs a closure, and the deadline bounds the wait.
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
import type { ToolDefinition } from '../definitions/types.js';
import { HostlensError } from '../contracts/errors.js';
import type { Services } from '../definitions/host-services.js';

export const DEFAULT_TOOL_CONCURRENCY = 4;
export const DEFAULT_TOOL_TIMEOUT_SEC = 30;
/** Waiting calls per tool, as a multiple of toolConcurrency. */
const QUEUE_FACTOR = 16;
/** Waiting calls per tool and tenant, as a multiple of toolConcurrency. */
const TENANT_QUEUE_FACTOR = 4;
/** How long a handler that ignores its aborted signal may keep its slot. */
export const SLOT_HOLD_MS = 5_000;
/** The tenant of calls made without one (stdio, in-process). */
const DEFAULT_TENANT = 'stdio';

interface Waiter {
  grant(): void;
  refuse(error: HostlensError): void;
}

interface TenantLoad {
  running: number;
  waiting: Waiter[];
}

interface Gate {
  running: number;
  waiting: number;
  /** Tenants with calls running or waiting, in round-robin order (a tenant granted a slot moves to the back). */
  tenants: Map<string, TenantLoad>;
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
    gate = { running: 0, waiting: 0, tenants: new Map() };
    byTool.set(name, gate);
  }
  return gate;
}

function loadOf(gate: Gate, tenant: string): TenantLoad {
  let load = gate.tenants.get(tenant);
  if (!load) {
    load = { running: 0, waiting: [] };
    gate.tenants.set(tenant, load);
  }
  return load;
}

function forgetIfIdle(gate: Gate, tenant: string, load: TenantLoad): void {
  if (load.running === 0 && load.waiting.length === 0) gate.tenants.delete(tenant);
}

/** Calls of `name` running and waiting right now, in all or of one tenant (for tests and metrics). */
export function toolLoad(services: Services, name: string, tenant?: string): { running: number; waiting: number } {
  const gate = gates.get(services)?.get(name);
  if (tenant !== undefined) {
    const load = gate?.tenants.get(tenant);
    return { running: load?.running ?? 0, waiting: load?.waiting.length ?? 0 };
  }
  return { running: gate?.running ?? 0, waiting: gate?.waiting ?? 0 };
}

export function limitsOf(tool: ToolDefinition, services: Services): { concurrency: number; timeoutSec: number; queue: number; tenantQueue: number } {
  const concurrency = Math.max(1, services.limits.toolConcurrency ?? DEFAULT_TOOL_CONCURRENCY);
  return {
    concurrency,
    timeoutSec: tool.timeoutSec ?? services.limits.toolTimeoutSec ?? DEFAULT_TOOL_TIMEOUT_SEC,
    queue: QUEUE_FACTOR * concurrency,
    tenantQueue: TENANT_QUEUE_FACTOR * concurrency,
  };
}

const seconds = (sec: number): string => `${Number(sec.toFixed(3))} s`;

/** The handler's signal plus a hook called once when it aborts (cheaper than an EventTarget listener). */
interface CallAbort {
  signal: AbortSignal;
  /** Replaces the hook; called at once when already aborted. */
  onAbort(hook: (() => void) | undefined): void;
}

/**
 * Runs `run` under the tool's concurrency cap, fair queue and deadline.
 * `cancel` is the client's cancellation signal; `run` receives the combined
 * one. `tenant` is who the call counts against (src/server/tenant.ts).
 */
export async function withToolLimits<T>(
  tool: ToolDefinition,
  services: Services,
  cancel: AbortSignal,
  run: (signal: AbortSignal) => Promise<T>,
  tenant: string = DEFAULT_TENANT,
): Promise<T> {
  const limits = limitsOf(tool, services);
  const { concurrency, timeoutSec } = limits;
  const gate = gateOf(services, tool.name);
  const mustWait = gate.running >= concurrency;
  if (mustWait) admitToQueue(tool.name, gate, tenant, limits);
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
      new HostlensError(
        'timeout',
        queued
          ? `${tool.name} timed out after ${seconds(timeoutSec)} waiting for a free slot (toolConcurrency ${concurrency} calls of it were running); retry later`
          : `${tool.name} timed out after ${seconds(timeoutSec)} (toolTimeoutSec) and was stopped; narrow the query or retry`,
      ),
    );
  }, timeoutSec * 1000);
  try {
    if (mustWait) {
      queued = true;
      await waitForSlot(gate, tenant, call);
      queued = false;
    } else {
      gate.running += 1;
      loadOf(gate, tenant).running += 1;
    }
    return await runHolding(gate, tenant, call, run);
  } catch (error) {
    // At the deadline the reason is the timeout, whatever the handler threw.
    if (timedOut) throw controller.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
    if (!cancel.aborted) cancel.removeEventListener('abort', onCancel);
  }
}

/**
 * Checks that `tenant` may add one waiting call (throws the busy rate_limited error when not); with the whole
 * queue full, refuses the largest holder's newest waiting call to make room when that holder has more
 * waiting than `tenant`.
 */
function admitToQueue(name: string, gate: Gate, tenant: string, limits: ReturnType<typeof limitsOf>): void {
  const { concurrency, queue, tenantQueue } = limits;
  const mine = gate.tenants.get(tenant)?.waiting.length ?? 0;
  if (mine >= tenantQueue) {
    throw new HostlensError(
      'rate_limited',
      `${name} is busy: this client already has ${mine} calls of it waiting (its share of the queue; toolConcurrency ${concurrency}, queue ${tenantQueue} per client, ${queue} in all); retry in a moment`,
    );
  }
  if (gate.waiting < queue) return;
  let largest: TenantLoad | undefined;
  for (const load of gate.tenants.values()) if (!largest || load.waiting.length > largest.waiting.length) largest = load;
  // Strictly more than this tenant holds: a client spreading one call each over many connections (auth off) fills
  // the queue with single calls, and a newcomer must still get in.
  if (!largest || largest.waiting.length <= mine) {
    throw new HostlensError('rate_limited', `${name} is busy: ${gate.running} calls of it are running and ${gate.waiting} waiting (toolConcurrency ${concurrency}, queue ${queue}); retry in a moment`);
  }
  const pushedOut = largest.waiting.at(-1)!;
  pushedOut.refuse(
    new HostlensError(
      'rate_limited',
      `${name} is busy: the queue is full (toolConcurrency ${concurrency}, queue ${queue}) and this client held the most of it (${largest.waiting.length} calls waiting); retry in a moment`,
    ),
  );
}

/** Waits for a slot (the slot is ours when this resolves); leaves the queue on abort or when pushed out. */
function waitForSlot(gate: Gate, tenant: string, call: CallAbort): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const load = loadOf(gate, tenant);
    const leave = (): boolean => {
      const i = load.waiting.indexOf(waiter);
      if (i < 0) return false;
      load.waiting.splice(i, 1);
      gate.waiting -= 1;
      forgetIfIdle(gate, tenant, load);
      return true;
    };
    const waiter: Waiter = {
      grant: () => {
        call.onAbort(undefined);
        resolve();
      },
      refuse: (error) => {
        if (!leave()) return;
        call.onAbort(undefined);
        reject(error);
      },
    };
    load.waiting.push(waiter);
    gate.waiting += 1;
    call.onAbort(() => {
      leave();
      reject(call.signal.reason);
    });
  });
}

/**
 * Gives `tenant`'s slot to the waiting tenant with the fewest calls running (ties: the first in
 * round-robin order, which then moves to the back), or frees it when nobody waits.
 */
function releaseSlot(gate: Gate, tenant: string): void {
  const own = gate.tenants.get(tenant);
  if (own) {
    own.running -= 1;
    // It was just served: to the back of the round, so a tenant that waited behind it goes first on a tie.
    gate.tenants.delete(tenant);
    if (own.running > 0 || own.waiting.length > 0) gate.tenants.set(tenant, own);
  }
  let next: [string, TenantLoad] | undefined;
  for (const entry of gate.tenants) {
    if (entry[1].waiting.length > 0 && (!next || entry[1].running < next[1].running)) next = entry;
  }
  if (!next) {
    gate.running -= 1;
    return;
  }
  const [key, load] = next;
  // The slot passes straight to the waiter: `gate.running` stays the same.
  const waiter = load.waiting.shift()!;
  gate.waiting -= 1;
  load.running += 1;
  gate.tenants.delete(key);
  gate.tenants.set(key, load);
  waiter.grant();
}

/** Runs the handler holding a slot; answers at abort even if the handler does not. */
async function runHolding<T>(gate: Gate, tenant: string, call: CallAbort, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    releaseSlot(gate, tenant);
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
