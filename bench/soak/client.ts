/**
 * One virtual soak client: a real SDK v2 client (`@modelcontextprotocol/client`) in one era,
 * looping until told to stop: connect (a legacy client opens a session; a modern one is
 * stateless), run 5–40 operations of the mix with think time, then end the connection — a legacy
 * client DELETEs its session half of the time and abandons it (no DELETE, stream dropped) the
 * other half. When the load stops, every open legacy session is abandoned, so the TTL check
 * afterwards has sessions to expire. Abandoned session ids are kept for that probe.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ClientOptions } from '@modelcontextprotocol/client';
import { MODERN } from '../wire.js';
import { isKeepAliveReset, pickOp, seeded } from './ops.js';
import type { OpContext } from './ops.js';
import type { Recorder } from './recorder.js';

export interface ClientPlan {
  index: number;
  era: 'legacy' | 'modern';
  url: string;
  port: number;
  token: string;
  serverPid: number;
  windowSec: number;
  thinkMs: { min: number; max: number };
  seed: number;
}

export interface Abandoned {
  sessionId: string;
  token: string;
}

export const eraOptions = (era: 'legacy' | 'modern'): ClientOptions => (era === 'modern' ? { versionNegotiation: { mode: { pin: MODERN } } } : {});

/** A connected SDK client with a bearer token; the transport is returned for session handling. */
export async function connectClient(url: string, token: string, era: 'legacy' | 'modern', name: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name, version: '1.0.0' }, eraOptions(era));
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  await client.connect(transport);
  return { client, transport };
}

/** Waits `ms`, or less when `stop` aborts. */
export const sleepUnless = (ms: number, stop: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (stop.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      stop.removeEventListener('abort', done);
      resolve();
    }
    stop.addEventListener('abort', done, { once: true });
  });

/** Waits for `promise` at most `ms` (the timer is cleared either way, so nothing is kept alive). */
export async function upTo(ms: number, promise: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.then(() => undefined, () => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

export interface ClientRun {
  /** Transport errors reported outside any call (e.g. a GET stream the server closed); informational. */
  transportErrors: number;
  /** The first few of their messages. */
  transportErrorMessages: string[];
}

export async function runClient(plan: ClientPlan, rec: Recorder, stop: AbortSignal, abandoned: Abandoned[]): Promise<ClientRun> {
  const rng = seeded(plan.seed);
  const run: ClientRun = { transportErrors: 0, transportErrorMessages: [] };
  while (!stop.aborted) {
    let connected: Awaited<ReturnType<typeof connectClient>>;
    const t0 = performance.now();
    try {
      connected = await connectClient(plan.url, plan.token, plan.era, `soak-${plan.index}`);
      rec.ok(plan.era === 'legacy' ? 'initialize' : 'server/discover', performance.now() - t0);
    } catch (error) {
      if (isKeepAliveReset(error)) rec.reset(); // the loop connects again
      else rec.fail(`connect (${plan.era})`, error);
      await sleepUnless(1_000, stop);
      continue;
    }
    const { client, transport } = connected;
    client.onerror = (error) => {
      if (/abort/i.test(error.message)) return;
      run.transportErrors += 1;
      if (run.transportErrorMessages.length < 3) run.transportErrorMessages.push(`${plan.era}: ${error.message.slice(0, 200)}`);
    };
    const sessionId = transport.sessionId;
    if (plan.era === 'legacy') rec.session('opened');
    const ctx: OpContext = { client, era: plan.era, sessionId, port: plan.port, token: plan.token, serverPid: plan.serverPid, windowSec: plan.windowSec, rec, rng };
    const ops = 5 + Math.floor(rng() * 36);
    for (let i = 0; i < ops && !stop.aborted; i += 1) {
      await pickOp(rng).run(ctx);
      await sleepUnless(plan.thinkMs.min + rng() * (plan.thinkMs.max - plan.thinkMs.min), stop);
    }
    if (plan.era === 'legacy' && sessionId) {
      if (!stop.aborted && rng() < 0.5) {
        try {
          await transport.terminateSession();
          rec.session('deleted');
        } catch (error) {
          rec.fail('DELETE session', error);
        }
      } else {
        rec.session('abandoned');
        abandoned.push({ sessionId, token: plan.token });
      }
    }
    // close() aborts the transport's streams without a DELETE.
    await client.close().catch(() => undefined);
  }
  return run;
}
