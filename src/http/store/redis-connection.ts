/**
 * The two Redis connections of the session store (commands, and a duplicate
 * for pub/sub, which a subscribed RESP connection cannot share), their
 * startup, their health, and how their failures become HostlensErrors.
 *
 * - Startup retries until `connectRetryMs`, then fails with
 *   `invalid_argument` (the CLI exits 2): a replica that cannot reach its
 *   store at boot is misconfigured more often than unlucky.
 * - While serving, node-redis reconnects forever (backoff capped at 1 s) and
 *   commands fail at once while it does (no offline queue), each bounded by
 *   `commandTimeoutMs` even after it was sent, so a request never waits on a
 *   dead server.
 * - The password never leaves this module: URLs are shown with `***`, and
 *   every message that passes through is scrubbed of it.
 */
import { createClient } from 'redis';
import { HostlensError } from '../../contracts/errors.js';
import type { StoreHealth } from './types.js';
import { SCRIPTS } from './redis-scripts.js';
import { redactStoreUrl } from './store-setting.js';

const SERVING_BACKOFF_CAP_MS = 1_000;

interface ConnectionOptions {
  url: string;
  connectRetryMs: number;
  commandTimeoutMs: number;
  onerror?: (error: Error) => void;
  onstate?: (health: StoreHealth) => void;
}

const makeClient = (url: string, timeoutMs: number, strategy: (retries: number) => number | Error, connectTimeout: number) =>
  createClient({
    url,
    scripts: SCRIPTS,
    disableOfflineQueue: true,
    // rejectInFlight: without it the timeout only covers commands not yet written, and a
    // server that stops answering (SIGSTOP, a full network partition) would hold requests forever.
    commandOptions: { timeout: timeoutMs, rejectInFlight: true },
    socket: { connectTimeout, reconnectStrategy: (retries: number) => strategy(retries) },
  });

export type StoreClient = ReturnType<typeof makeClient>;

interface Connection {
  cmd: StoreClient;
  sub: StoreClient;
  health(): StoreHealth;
  /** The HostlensError('unavailable') for a failed command (reason only: no password, no key). */
  unavailable(error: unknown): HostlensError;
  /** Removes the password from any text. */
  scrub(text: string): string;
  close(): Promise<void>;
}

function secretsOf(url: string): string[] {
  try {
    const raw = new URL(url).password;
    if (!raw) return [];
    let decoded = raw;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      // A malformed escape: node-redis will fail on it too; scrub the raw form.
    }
    return [...new Set([raw, decoded])].filter((s) => s.length > 0);
  } catch {
    return [];
  }
}

/** A short, secret-free name for what went wrong: the errno code, else the error class. */
function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code)) return code;
  const name = error instanceof Error ? (error.name !== 'Error' ? error.name : error.constructor.name) : '';
  return /^[A-Za-z]{1,60}$/.test(name) && name !== 'Error' ? name : 'error';
}

export async function connect(options: ConnectionOptions): Promise<Connection> {
  const shown = redactStoreUrl(options.url);
  const secrets = secretsOf(options.url);
  const scrub = (text: string): string => secrets.reduce((t, s) => t.split(s).join('***'), text);
  const refuse = (reason: string): HostlensError => new HostlensError('invalid_argument', `cannot reach Redis at ${shown}: ${scrub(reason)}`);

  let protocol = '';
  try {
    protocol = new URL(options.url).protocol;
  } catch {
    // Refused just below.
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') throw refuse('the URL must start with redis:// or rediss://');

  const started = Date.now();
  let serving = false;
  let lastError: unknown;
  // Startup: back off (≤ 1 s) until the window closes, then give up; serving: forever.
  const strategy = (retries: number): number | Error => {
    const backoff = Math.min(50 * 2 ** retries, SERVING_BACKOFF_CAP_MS);
    if (serving) return backoff;
    const left = options.connectRetryMs - (Date.now() - started);
    return left <= 0 ? new Error('startup retry window closed') : Math.min(backoff, left);
  };
  const connectTimeout = Math.max(500, Math.min(5_000, options.connectRetryMs));
  const cmd = makeClient(options.url, options.commandTimeoutMs, strategy, connectTimeout);
  const sub = cmd.duplicate();

  let down: string | undefined;
  let reportedOk = true;
  const health = (): StoreHealth =>
    cmd.isReady && sub.isReady ? { ok: true } : { ok: false, detail: `redis: connection lost (${down ?? 'not connected'}); reconnecting` };
  const changed = (): void => {
    if (!serving) return;
    const h = health();
    if (h.ok === reportedOk) return;
    reportedOk = h.ok;
    if (h.ok) down = undefined;
    options.onstate?.(h);
  };
  for (const client of [cmd, sub]) {
    client.on('error', (error: unknown) => {
      lastError = error;
      const wasUp = down === undefined;
      down = codeOf(error);
      // Reconnect attempts repeat the error every backoff: report the loss once.
      if (serving && wasUp) options.onerror?.(new Error(`redis: connection lost (${down}): ${scrub(error instanceof Error ? error.message : String(error))}`));
      changed();
    });
    client.on('ready', changed);
  }

  const destroy = (): void => {
    for (const c of [cmd, sub]) {
      try {
        c.destroy();
      } catch {
        // Already torn down.
      }
    }
  };
  try {
    await cmd.connect();
    await sub.connect();
  } catch (error) {
    destroy();
    const cause = lastError ?? error;
    const reason = cause instanceof Error && cause.message ? cause.message : codeOf(cause);
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    throw refuse(`${reason} (retried for ${seconds} s)`);
  }
  serving = true;
  down = undefined;

  let closing: Promise<void> | undefined;
  return {
    cmd,
    sub,
    health,
    scrub,
    unavailable(error: unknown): HostlensError {
      const name = codeOf(error);
      let reason: string;
      if (name === 'ClientOfflineError') reason = `redis: connection lost (${down ?? 'offline'}); reconnecting`;
      else if (name === 'ClientClosedError' || name === 'DisconnectsClientError') reason = 'the store is closed';
      else if (/Timeout/.test(name)) reason = `redis did not answer within ${options.commandTimeoutMs} ms`;
      else if (/ErrorReply|SimpleError|BlobError/.test(name)) reason = `redis refused the command (${/^[A-Z]{2,20}\b/.exec(error instanceof Error ? error.message : '')?.[0] ?? 'error'})`;
      else reason = `redis: ${name}`;
      const detail = error instanceof Error ? scrub(error.message) : name;
      return new HostlensError('unavailable', `Session store unavailable: ${reason}`, { cause: new Error(`${name}: ${detail}`) });
    },
    close() {
      closing ??= (async () => {
        await Promise.all(
          [cmd, sub].map(async (c) => {
            if (!c.isOpen) return c.destroy();
            // close() waits for pending replies; a dead server would keep it waiting.
            const timer = setTimeout(() => c.destroy(), options.commandTimeoutMs);
            try {
              await c.close();
            } catch {
              c.destroy();
            } finally {
              clearTimeout(timer);
            }
          }),
        );
      })();
      return closing;
    },
  };
}
