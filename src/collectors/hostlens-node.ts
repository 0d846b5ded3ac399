/**
 * A client for one hostlens node, used by a hub that fans read-only tool calls out to a fleet. Built on the
 * official SDK client so both protocol eras are spoken the way the spec says: version negotiation `'auto'`
 * probes with `server/discover` (the 2026-07-28 stateless era) and falls back to a 2025-era `initialize`
 * session only on the SDK's own definitive legacy verdict. The verdict is kept per node and replayed as
 * `connect({ prior })`, so a reconnect costs no second probe.
 *
 * One SDK client per node, kept between calls: the stateless era needs no handshake per call, a legacy
 * node keeps its session, and Node's fetch pools keep-alive sockets per origin.
 *
 * Every HTTP request goes through a fetch wrapper that owns the security of the hop:
 * - the bearer token is attached only to requests for the node's own origin (the operator's URL);
 * - redirects are never followed (`redirect: 'manual'`), and any 3xx fails the call, so neither the token
 *   nor the request reaches a host the operator did not name;
 * - response bodies are capped, so a misbehaving node cannot make the hub buffer without bound.
 *
 * Failures become HostlensError with a code the hub can act on; messages name the node id and never the
 * token or the URL's credentials.
 */
import { Client, SdkError, SdkErrorCode, SdkHttpError, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import type { FetchLike, PriorDiscovery, Tool } from '@modelcontextprotocol/client';
import { HostlensError, isHostlensError } from '../contracts/errors.js';

type NodeEra = 'modern' | 'legacy';

interface NodeClientOptions {
  /** The operator's name for the node; the only thing error messages identify it by. */
  id: string;
  /** The node's MCP endpoint, e.g. `https://db1.internal:8765/mcp`. */
  url: string;
  /** Bearer token; sent only to `url`'s origin. */
  token?: string;
  /** Upper bound of one call (connect included), besides the caller's signal. Default 30 s. */
  timeoutMs?: number;
  /** Cap on one HTTP response body. Default 8 MiB. */
  maxResponseBytes?: number;
  /** The fetch underneath the wrapper (tests observe requests through it). Default: global fetch. */
  fetch?: FetchLike;
}

interface NodeCallResult {
  structuredContent: unknown;
  isError: boolean;
  content: unknown[];
  era: NodeEra;
}

interface NodeProgress {
  progress: number;
  total?: number;
  message?: string;
}

export interface NodeClient {
  callTool(name: string, args: Record<string, unknown>, options: { signal: AbortSignal; onProgress?: (p: NodeProgress) => void }): Promise<NodeCallResult>;
  listTools(options: { signal: AbortSignal }): Promise<Tool[]>;
  info(): { era?: NodeEra; serverVersion?: string; lastContactAt?: string };
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/**
 * The fetch the transport uses: token only for the node's origin, no redirects, bounded bodies. Its own
 * refusals are HostlensErrors, which the SDK wraps; `toHostlensError` finds them again in the cause chain.
 */
function guardedFetch(options: { id: string; origin: string; token?: string; maxResponseBytes: number; fetch: FetchLike }): FetchLike {
  const { id, origin, token, maxResponseBytes } = options;
  const inner = options.fetch;
  return async (input, init) => {
    const target = new URL(input instanceof Request ? input.url : String(input));
    const headers = new Headers(init?.headers);
    // The SDK may be handed an Authorization by the caller's requestInit; only this wrapper decides.
    headers.delete('authorization');
    if (token !== undefined && target.origin === origin) headers.set('authorization', `Bearer ${token}`);
    const res = await inner(target, { ...init, headers, redirect: 'manual' });
    if ((res.status >= 300 && res.status < 400) || res.type === 'opaqueredirect') {
      await res.body?.cancel().catch(() => undefined);
      throw new HostlensError('unavailable', `node ${id} answered with a redirect (HTTP ${res.status}); redirects are not followed`);
    }
    if (!res.body) return res;
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > maxResponseBytes) {
      await res.body.cancel().catch(() => undefined);
      throw new HostlensError('too_large', `node ${id} answered with more than ${maxResponseBytes} bytes`);
    }
    let seen = 0;
    const capped = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          seen += chunk.byteLength;
          if (seen > maxResponseBytes) controller.error(new HostlensError('too_large', `node ${id} answered with more than ${maxResponseBytes} bytes`));
          else controller.enqueue(chunk);
        },
      }),
    );
    return new Response(capped, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

/** The first HostlensError in an error's cause chain (the SDK wraps what the fetch wrapper throws). */
function findHostlensError(error: unknown): HostlensError | undefined {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 8; depth += 1) {
    if (isHostlensError(e)) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function httpStatusOf(error: unknown): number | undefined {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 8; depth += 1) {
    if (e instanceof SdkHttpError) return e.status;
    const data = (e as { data?: { status?: unknown } }).data;
    if (data && typeof data.status === 'number') return data.status;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** What a failed exchange with node `id` means to the hub. */
function toHostlensError(id: string, error: unknown, signal: AbortSignal): HostlensError {
  // An abort is the caller's (or our deadline's) decision, whatever the SDK reports underneath.
  if (signal.aborted) return new HostlensError('timeout', `node ${id} did not answer in time`, { cause: error });
  const own = findHostlensError(error);
  if (own) return own;
  const status = httpStatusOf(error);
  if (
    status === 401 ||
    status === 403 ||
    error instanceof UnauthorizedError ||
    (error instanceof SdkError && (error.code === SdkErrorCode.ClientHttpAuthentication || error.code === SdkErrorCode.ClientHttpForbidden))
  ) {
    return new HostlensError('forbidden', `node ${id} refused the hub's credentials`, { cause: error });
  }
  if (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout) {
    return new HostlensError('timeout', `node ${id} did not answer in time`, { cause: error });
  }
  return new HostlensError('unavailable', `node ${id} is unavailable`, { cause: error, data: status === undefined ? undefined : { status } });
}

export function createNodeClient(options: NodeClientOptions): NodeClient {
  const { id } = options;
  const url = new URL(options.url);
  if (url.username || url.password) throw new HostlensError('invalid_argument', `node ${id}: credentials go in the token file, not the URL`);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const fetchImpl = guardedFetch({
    id,
    origin: url.origin,
    ...(options.token === undefined ? {} : { token: options.token }),
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
  });

  let connecting: Promise<Client> | undefined;
  let prior: PriorDiscovery | undefined;
  let era: NodeEra | undefined;
  let serverVersion: string | undefined;
  let lastContactAt: string | undefined;
  let closed = false;

  const connect = (signal: AbortSignal): Promise<Client> => {
    if (connecting) return connecting;
    const attempt = (async () => {
      const client = new Client({ name: 'hostlens-hub', version: '1' }, { versionNegotiation: { mode: 'auto' } });
      const transport = new StreamableHTTPClientTransport(url, { fetch: fetchImpl, redirectPolicy: 'same-origin' });
      try {
        await client.connect(transport, { signal, timeout: timeoutMs, ...(prior ? { prior } : {}) });
      } catch (error) {
        await client.close().catch(() => undefined);
        throw error;
      }
      const negotiated = client.getProtocolEra();
      era = negotiated === 'modern' ? 'modern' : 'legacy';
      const discover = client.getDiscoverResult();
      prior = era === 'modern' && discover ? { kind: 'modern', discover } : { kind: 'legacy' };
      const v = client.getServerVersion();
      serverVersion = v ? `${v.name}@${v.version}` : serverVersion;
      return client;
    })();
    connecting = attempt;
    // A failed connect is not kept: the next call tries again (with the remembered era, if any).
    attempt.catch(() => {
      if (connecting === attempt) connecting = undefined;
    });
    return attempt;
  };

  /** Drops the kept client after a failure of the connection itself, so the next call reconnects. */
  const discard = async (client: Client): Promise<void> => {
    if (connecting === undefined) return;
    const current = await connecting.catch(() => undefined);
    if (current !== client) return;
    connecting = undefined;
    await client.close().catch(() => undefined);
  };

  async function run<T>(callerSignal: AbortSignal, work: (client: Client, signal: AbortSignal) => Promise<T>): Promise<T> {
    if (closed) throw new HostlensError('unavailable', `node ${id} client is closed`);
    const signal = AbortSignal.any([callerSignal, AbortSignal.timeout(timeoutMs)]);
    let client: Client | undefined;
    try {
      if (signal.aborted) throw signal.reason;
      client = await connect(signal);
      const result = await work(client, signal);
      lastContactAt = new Date().toISOString();
      return result;
    } catch (error) {
      const mapped = toHostlensError(id, error, signal);
      // A timeout or a refusal says nothing about the connection; anything else may leave it broken
      // (a lost legacy session, a dropped socket), so the next call starts afresh.
      if (client && mapped.code !== 'timeout' && mapped.code !== 'forbidden') await discard(client);
      throw mapped;
    }
  }

  return {
    callTool(name, args, { signal, onProgress }) {
      return run(signal, async (client, s) => {
        const r = await client.callTool(
          { name, arguments: args },
          {
            signal: s,
            timeout: timeoutMs,
            ...(onProgress ? { onprogress: (p) => onProgress({ progress: p.progress, ...(p.total === undefined ? {} : { total: p.total }), ...(p.message === undefined ? {} : { message: p.message }) }) } : {}),
          },
        );
        return {
          structuredContent: r.structuredContent,
          isError: r.isError === true,
          content: Array.isArray(r.content) ? r.content : [],
          era: era ?? 'legacy',
        };
      });
    },
    listTools({ signal }) {
      return run(signal, async (client, s) => (await client.listTools(undefined, { signal: s, timeout: timeoutMs })).tools);
    },
    info() {
      return {
        ...(era === undefined ? {} : { era }),
        ...(serverVersion === undefined ? {} : { serverVersion }),
        ...(lastContactAt === undefined ? {} : { lastContactAt }),
      };
    },
    async close() {
      closed = true;
      const pending = connecting;
      connecting = undefined;
      const client = await pending?.catch(() => undefined);
      await client?.close().catch(() => undefined);
    },
  };
}
