/**
 * Long CPU loops in slices: the work runs until `sliceMs` (default 5 ms) has passed, then yields to the
 * event loop with setImmediate (so timers, other requests and /healthz are served) and goes on. The clock
 * is read every 32 steps (performance.now costs ≈ 50 ns; a step of journal parsing ≈ 5–30 µs). An
 * aborted signal stops the loop with its reason at the next slice boundary.
 *
 * Measured on search_logs (20,000 journal entries, patterns mode): ≈ 1 s in one piece before, /healthz
 * served within a few ms of each slice after; the total work is unchanged (one setImmediate per 5 ms).
 * Used by the journal line stream (collectors/journal-lines.ts), which parses, filters and groups each
 * line inside one sliced loop.
 */
export interface SliceOptions {
  signal?: AbortSignal | undefined;
  sliceMs?: number;
  /** Steps between two reads of the clock (default 32, for steps of microseconds; 1 when a step is a file or a batch). */
  stepsPerCheck?: number;
}

const DEFAULT_SLICE_MS = 5;

/**
 * Sliced loops waiting for their next slice, resumed one per event-loop turn. With a plain setImmediate each,
 * every waiting loop resumed in the same check phase: four search_logs calls ran 4 × 5 ms before the loop
 * polled again, and /healthz waited ≈ 20–25 ms at the median. One slice a turn keeps the wait near 5 ms
 * whatever the number of loops; they take turns in arrival order.
 */
const waiting: Array<() => void> = [];
let pumping = false;

function resumeOne(): void {
  waiting.shift()?.();
  // scheduled from the check phase, so the next loop runs after the next poll for I/O
  if (waiting.length > 0) setImmediate(resumeOne);
  else pumping = false;
}

/**
 * Yields to the event loop, taking turns with every other waiting loop (one resumed per turn, in arrival order).
 * Every cooperative loop in the server yields through here rather than a bare setImmediate, so N concurrent
 * requests never add up to N slices between two polls for I/O (4 get_config calls redacting 1 MiB each held
 * the loop ≈ 90 ms a turn with their own setImmediate).
 */
export function yieldTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!pumping) {
      pumping = true;
      setImmediate(resumeOne);
    }
  });
}

/** A slice clock: `await clock.tick()` in a loop yields once the current slice is used up. */
export function sliceClock(options: SliceOptions = {}): { tick(): Promise<void> | undefined } {
  const sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
  const every = Math.max(1, options.stepsPerCheck ?? 32);
  let started = performance.now();
  let steps = 0;
  return {
    tick() {
      if (++steps % every !== 0) return undefined;
      if (performance.now() - started < sliceMs) return undefined;
      return (async () => {
        options.signal?.throwIfAborted();
        await yieldTurn();
        options.signal?.throwIfAborted();
        started = performance.now();
      })();
    },
  };
}
