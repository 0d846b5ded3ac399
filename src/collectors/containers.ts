/**
 * Docker Engine API client (Podman's compat API is the same) over its unix socket with `node:http`
 * `socketPath` — never the CLI, no dependency. Every request is a GET with a timeout (default 3 s), a
 * response size cap (default 8 MiB) and an abort signal; it never throws: failures come back as
 * `{ error }`, non-2xx statuses as `{ status }`, and JSON is parsed guarded.
 *
 * API version: a fixed `/v1.41` prefix (Docker 20.10+, Podman 3+ compat), no negotiation: one request
 * fewer per call, and every engine since 2020 serves it.
 *
 * Socket: the configured `containerSocket` is used as is (an explicit host path); otherwise the first
 * socket that exists among /var/run/docker.sock, /run/docker.sock, /run/podman/podman.sock and
 * /run/user/<uid>/podman/podman.sock, looked up under `ctx.root` (so a fixture tree without sockets has no
 * runtime, and the live host's root '/' finds the real ones).
 */
import { statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { CollectorContext } from './context.js';
import { show } from '../util/missing.js';

export const API_PREFIX = '/v1.41';
const DEFAULT_API_TIMEOUT_MS = 3000;
const DEFAULT_API_MAX_BYTES = 8 * 1024 * 1024;

function defaultSocketCandidates(uid: number = process.getuid?.() ?? 0): string[] {
  return ['/var/run/docker.sock', '/run/docker.sock', '/run/podman/podman.sock', `/run/user/${uid}/podman/podman.sock`];
}

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}

/** The socket to talk to, or null with the places tried. */
export function findContainerSocket(ctx: CollectorContext, configured: string | null): { socket: string | null; tried: string[] } {
  if (configured !== null) return { socket: isSocket(configured) ? configured : null, tried: [configured] };
  const tried = defaultSocketCandidates();
  for (const p of tried) if (isSocket(join(ctx.root, p))) return { socket: join(ctx.root, p), tried };
  return { socket: null, tried };
}

interface ApiResponse {
  /** HTTP status; null when no response arrived (error says why). */
  status: number | null;
  body: Buffer;
  /** The body exceeded maxBytes: the rest was not read (the connection was closed). */
  capped: boolean;
  /** Why no (complete) response arrived: timeout, refused, aborted, … */
  error: string | null;
  /** The Server response header (Docker: "Docker/…", Podman: "Libpod/…"). */
  server: string | null;
}

export interface ApiOptions {
  timeoutMs?: number;
  maxBytes?: number;
  signal?: AbortSignal;
}

/** One GET over the unix socket. Never throws. `path` must already be encoded. */
export function apiGet(socket: string, path: string, opts: ApiOptions = {}): Promise<ApiResponse> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_API_TIMEOUT_MS;
  const maxBytes = opts.maxBytes ?? DEFAULT_API_MAX_BYTES;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    let status: number | null = null;
    let server: string | null = null;
    const finish = (error: string | null, capped = false): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      resolve({ status, body: Buffer.concat(chunks, size), capped, error, server });
    };
    const onAbort = (): void => finish('aborted');
    const req = request({ socketPath: socket, path, method: 'GET', headers: { Host: 'docker', Accept: 'application/json' } }, (res) => {
      status = res.statusCode ?? null;
      const s = res.headers.server;
      server = typeof s === 'string' ? s : null;
      res.on('data', (chunk: Buffer) => {
        if (done) return;
        const room = maxBytes - size;
        if (chunk.length > room) {
          chunks.push(chunk.subarray(0, room));
          size += room;
          finish(null, true);
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => finish(null));
      res.on('error', (e) => finish(`response error: ${e.message}`));
      res.on('aborted', () => finish('the engine closed the connection mid-response'));
    });
    const timer = setTimeout(() => finish(`no complete answer within ${timeoutMs} ms`), timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => finish(`${e.code ?? 'error'}: ${e.message}`));
    if (opts.signal?.aborted) {
      finish('aborted');
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    req.end();
  });
}

type JsonResult = { ok: true; value: unknown } | { ok: false; status: number | null; message: string };

/** GET + JSON.parse, guarded: a transport error, a non-2xx status, a capped body and malformed JSON are all `ok: false`. */
export async function apiJson(socket: string, path: string, opts: ApiOptions = {}): Promise<JsonResult> {
  const r = await apiGet(socket, path, opts);
  const what = `GET ${path}`;
  if (r.error !== null) return { ok: false, status: r.status, message: `${what}: ${r.error}` };
  if (r.status === null || r.status < 200 || r.status > 299) return { ok: false, status: r.status, message: `${what}: HTTP ${show(r.status)} ${engineMessage(r.body)}`.trim() };
  if (r.capped) return { ok: false, status: r.status, message: `${what}: response larger than ${opts.maxBytes ?? DEFAULT_API_MAX_BYTES} bytes, not parsed` };
  try {
    return { ok: true, value: JSON.parse(r.body.toString('utf8')) as unknown };
  } catch {
    return { ok: false, status: r.status, message: `${what}: malformed JSON (${r.body.length} bytes)` };
  }
}

/** The engine's `{"message": …}` error text, clipped; '' when absent. */
export function engineMessage(body: Buffer): string {
  try {
    const m = (JSON.parse(body.subarray(0, 4096).toString('utf8')) as { message?: unknown }).message;
    return typeof m === 'string' ? m.slice(0, 200) : '';
  } catch {
    return '';
  }
}

// ---- typed views of the engine's JSON (every field optional; wrong types read as null) ----

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);

interface ContainerSummary {
  id: string;
  name: string | null;
  image: string | null;
  state: string | null;
}

/** GET /containers/json?all=1 → summaries; entries without an Id are dropped and counted. */
export function parseContainerList(v: unknown): { items: ContainerSummary[]; bad: number } {
  if (!Array.isArray(v)) return { items: [], bad: 1 };
  const items: ContainerSummary[] = [];
  let bad = 0;
  for (const e of v) {
    const o = obj(e);
    const id = str(o?.Id);
    if (o === null || id === null || !/^[0-9a-f]{12,64}$/i.test(id)) {
      bad++;
      continue;
    }
    const names = Array.isArray(o.Names) ? o.Names.map(str).filter((n): n is string => n !== null) : [];
    items.push({ id, name: names[0]?.replace(/^\//, '') ?? null, image: str(o.Image) || null, state: str(o.State) });
  }
  return { items, bad };
}

export interface ContainerInspect {
  id: string;
  name: string | null;
  image: string | null;
  status: string | null;
  health: string | null;
  restartCount: number | null;
  exitCode: number | null;
  oomKilled: boolean | null;
  startedAt: string | null;
  finishedAt: string | null;
  pid: number | null;
  tty: boolean;
  memoryLimitBytes: number | null;
  nanoCpus: number | null;
  cpuQuotaUs: number | null;
  cpuPeriodUs: number | null;
}

/** Docker's zero time ("0001-01-01T00:00:00Z") and unparsable times are null; others RFC 3339 UTC. */
export function engineTime(v: unknown): string | null {
  const s = str(v);
  if (s === null || s.startsWith('0001-')) return null;
  const t = Date.parse(s);
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
}

/** GET /containers/{id}/json → the fields hostlens reports; null when the document has no Id. */
export function parseInspect(v: unknown): ContainerInspect | null {
  const o = obj(v);
  const id = str(o?.Id);
  if (o === null || id === null) return null;
  const st = obj(o.State) ?? {};
  const hc = obj(o.HostConfig) ?? {};
  const cfg = obj(o.Config) ?? {};
  const pos = (x: unknown): number | null => {
    const n = num(x);
    return n !== null && n > 0 ? n : null;
  };
  const pid = num(st.Pid);
  return {
    id,
    name: str(o.Name)?.replace(/^\//, '') ?? null,
    image: str(cfg.Image) || str(o.Image) || null,
    status: str(st.Status),
    // Podman reports Health {Status: ''} for a container without a healthcheck.
    health: str(obj(st.Health)?.Status) || 'none',
    restartCount: num(o.RestartCount),
    exitCode: num(st.ExitCode),
    oomKilled: bool(st.OOMKilled),
    startedAt: engineTime(st.StartedAt),
    finishedAt: engineTime(st.FinishedAt),
    pid: pid !== null && pid > 0 && Number.isInteger(pid) ? pid : null,
    tty: bool(cfg.Tty) ?? false,
    memoryLimitBytes: pos(hc.Memory),
    nanoCpus: pos(hc.NanoCpus),
    cpuQuotaUs: pos(hc.CpuQuota),
    cpuPeriodUs: pos(hc.CpuPeriod),
  };
}

interface ContainerStats {
  /** CPU % of one core × online CPUs (docker stats semantics: 200 = two full cores); null without a precpu sample. */
  cpuPct: number | null;
  /** Usage minus inactive file cache (v2 inactive_file, v1 total_inactive_file), like `docker stats`. */
  memBytes: number | null;
  /** The engine's memory limit (the host's memory when the container has none). */
  memLimitBytes: number | null;
  pids: number | null;
  /** Seconds between the engine's two samples (read − preread); null when unknown. */
  windowSec: number | null;
}

/** GET /containers/{id}/stats?stream=false → CPU % over the engine's own window, memory, pids. */
export function parseStats(v: unknown): ContainerStats {
  const o = obj(v) ?? {};
  const cpu = obj(o.cpu_stats) ?? {};
  const pre = obj(o.precpu_stats) ?? {};
  const total = num(obj(cpu.cpu_usage)?.total_usage);
  const preTotal = num(obj(pre.cpu_usage)?.total_usage);
  const sys = num(cpu.system_cpu_usage);
  const preSys = num(pre.system_cpu_usage);
  const percpu = obj(cpu.cpu_usage)?.percpu_usage;
  const online = num(cpu.online_cpus) ?? (Array.isArray(percpu) ? percpu.length : null);
  let cpuPct: number | null = null;
  if (total !== null && preTotal !== null && sys !== null && preSys !== null && online !== null && online > 0 && preSys > 0) {
    const dc = total - preTotal;
    const ds = sys - preSys;
    if (ds > 0 && dc >= 0) cpuPct = Math.round((dc / ds) * online * 1000) / 10;
  }
  const mem = obj(o.memory_stats) ?? {};
  const usage = num(mem.usage);
  const ms = obj(mem.stats) ?? {};
  // docker stats: cgroup v1 total_inactive_file (hierarchical), else v2 inactive_file; very old engines only give cache.
  const inactive = num(ms.total_inactive_file) ?? num(ms.inactive_file) ?? num(ms.cache);
  const memBytes = usage === null ? null : Math.max(0, usage - (inactive !== null && inactive <= usage ? inactive : 0));
  const read = Date.parse(str(o.read) ?? '');
  const preread = Date.parse(str(o.preread) ?? '');
  const windowSec = Number.isFinite(read) && Number.isFinite(preread) && preread > 0 && read > preread ? Math.round(read - preread) / 1000 : null;
  return { cpuPct, memBytes, memLimitBytes: num(mem.limit), pids: num(obj(o.pids_stats)?.current), windowSec };
}

export interface LogFrame {
  stream: 'stdout' | 'stderr';
  text: string;
}

/**
 * The logs endpoint body. Without a TTY it is multiplexed: frames of an 8-byte header
 * [stream (1 = stdout, 2 = stderr), 0, 0, 0, size uint32 BE] and `size` bytes; with a TTY it is raw
 * (all stdout). A truncated last frame is kept (its bytes so far) and reported; a body that does not
 * look multiplexed is read raw.
 */
export function demuxLogs(body: Buffer, tty: boolean): { frames: LogFrame[]; raw: boolean; partial: boolean } {
  const multiplexed = !tty && body.length >= 8 && body[0]! <= 2 && body[1] === 0 && body[2] === 0 && body[3] === 0;
  if (!multiplexed) return { frames: body.length ? [{ stream: 'stdout', text: body.toString('utf8') }] : [], raw: true, partial: false };
  const frames: LogFrame[] = [];
  let off = 0;
  let partial = false;
  while (off + 8 <= body.length) {
    const kind = body[off]!;
    const size = body.readUInt32BE(off + 4);
    if (kind > 2 || body[off + 1] !== 0 || body[off + 2] !== 0 || body[off + 3] !== 0) {
      partial = true;
      break;
    }
    const end = Math.min(body.length, off + 8 + size);
    if (end < off + 8 + size) partial = true;
    frames.push({ stream: kind === 2 ? 'stderr' : 'stdout', text: body.toString('utf8', off + 8, end) });
    off = end;
  }
  if (off < body.length && !partial) partial = true;
  return { frames, raw: false, partial };
}
