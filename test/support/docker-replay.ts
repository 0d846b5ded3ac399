/**
 * A Docker Engine API replay server on a real unix socket (node:http), serving the recorded responses in
 * test/fixtures/containers: GET /v1.41/{_ping, version, containers/json, containers/{ref}/json,
 * containers/{ref}/stats, containers/{ref}/logs}. {ref} is a full id, a unique id prefix or a name;
 * anything else is 404 {"message": "No such container: …"} like the engine. Logs honour `tail` (frames /
 * lines) and are multiplexed or raw (TTY) as recorded.
 *
 * Fault modes for the client's bounds: 'hang' accepts and never answers, 'huge' answers the container
 * list with a body larger than 8 MiB, 'malformed' answers it with broken JSON. `bulk` adds synthetic
 * containers (bulk-000, …) cloned from web (running) or worker (exited), and `statsDelayMs` holds each stats
 * answer that long so tests can see how many are in flight (`maxStatsInFlight`).
 */
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'containers');

export type ReplayMode = 'normal' | 'hang' | 'huge' | 'malformed';

export interface Replay {
  socket: string;
  /** Every request path seen, in order. */
  requests: string[];
  /** The most stats requests answered concurrently. */
  maxStatsInFlight(): number;
  close(): Promise<void>;
}

export interface ReplayOptions {
  mode?: ReplayMode;
  /** Called before a stats answer (tests advance cgroup counters here). */
  onStats?: (name: string) => void;
  bulk?: { count: number; state: 'running' | 'exited' };
  statsDelayMs?: number;
  /** Answer every logs request with this error (e.g. 501 for a logging driver without read support). */
  logsError?: { status: number; message: string };
}

interface Entry {
  id: string;
  name: string;
  tty: boolean;
  /** The recorded container whose documents this one answers with. */
  template: string;
}

const json = (name: string): unknown => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

function containers(opts: ReplayOptions): Entry[] {
  const list = json('containers-json.json') as Array<{ Id: string; Names: string[] }>;
  const out: Entry[] = list.map((c) => {
    const name = c.Names[0]!.slice(1);
    const inspect = json(`inspect-${name}.json`) as { Config: { Tty: boolean } };
    return { id: c.Id, name, tty: inspect.Config.Tty, template: name };
  });
  for (let i = 0; i < (opts.bulk?.count ?? 0); i++) {
    const name = `bulk-${String(i).padStart(3, '0')}`;
    out.push({ id: `e${String(i).padStart(11, '0')}${'0'.repeat(52)}`, name, tty: false, template: opts.bulk!.state === 'running' ? 'web' : 'worker' });
  }
  return out;
}

/** A recorded document of the entry's template, with the entry's own id and name. */
function doc(kind: 'inspect' | 'stats', e: Entry): unknown {
  const d = json(`${kind}-${e.template}.json`) as Record<string, unknown>;
  if (e.template === e.name) return d;
  return kind === 'inspect' ? { ...d, Id: e.id, Name: `/${e.name}` } : { ...d, id: e.id, name: `/${e.name}` };
}

function listing(opts: ReplayOptions): unknown {
  const recorded = json('containers-json.json') as Array<Record<string, unknown>>;
  const bulk = containers(opts)
    .filter((e) => e.template !== e.name)
    .map((e) => ({ ...recorded.find((r) => (r.Names as string[])[0] === `/${e.template}`)!, Id: e.id, Names: [`/${e.name}`] }));
  return [...recorded, ...bulk];
}

function resolveRef(ref: string, opts: ReplayOptions): Entry | null {
  const all = containers(opts);
  const byName = all.find((c) => c.name === ref || c.id === ref);
  if (byName) return byName;
  const prefixed = all.filter((c) => c.id.startsWith(ref.toLowerCase()));
  return prefixed.length === 1 ? prefixed[0]! : null;
}

/** The last `tail` multiplexed frames (each recorded frame is one line). */
function tailFrames(buf: Buffer, tail: number): Buffer {
  const frames: Buffer[] = [];
  for (let off = 0; off + 8 <= buf.length; ) {
    const end = off + 8 + buf.readUInt32BE(off + 4);
    frames.push(buf.subarray(off, end));
    off = end;
  }
  return Buffer.concat(frames.slice(-tail));
}

function logs(c: { name: string; tty: boolean }, tail: number): Buffer {
  if (c.tty) {
    const lines = readFileSync(join(FIXTURES, `logs-${c.name}.txt`), 'utf8').split(/(?<=\n)/);
    return Buffer.from(lines.slice(-tail).join(''));
  }
  return tailFrames(Buffer.from(readFileSync(join(FIXTURES, `logs-${c.name}.b64`), 'utf8').trim(), 'base64'), tail);
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const data = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': data.length, Server: 'Docker/24.0.7 (linux)', 'Api-Version': '1.43' });
  res.end(data);
}

function route(req: IncomingMessage, res: ServerResponse, opts: ReplayOptions, stats: { now: number; max: number }): void {
  const url = new URL(req.url ?? '/', 'http://docker');
  const m = /^\/v1\.\d+(\/.*)$/.exec(url.pathname);
  const path = m ? m[1]! : url.pathname;
  if (path === '/_ping') return send(res, 200, 'OK', 'text/plain');
  if (path === '/version') return send(res, 200, json('version.json'));
  if (path === '/containers/json') {
    if (opts.mode === 'huge') return send(res, 200, Buffer.alloc(9 * 1024 * 1024, 0x20));
    if (opts.mode === 'malformed') return send(res, 200, '[{"Id": "a1b2c3d4e5f6", "Names": ["/web"');
    return send(res, 200, listing(opts));
  }
  const cm = /^\/containers\/([^/]+)\/(json|stats|logs)$/.exec(path);
  if (cm) {
    const c = resolveRef(decodeURIComponent(cm[1]!), opts);
    if (c === null) return send(res, 404, { message: `No such container: ${cm[1]}` });
    if (cm[2] === 'json') return send(res, 200, doc('inspect', c));
    if (cm[2] === 'stats') {
      let body: unknown;
      try {
        body = doc('stats', c);
      } catch {
        return send(res, 409, { message: `container ${c.name} is not running` });
      }
      opts.onStats?.(c.name);
      stats.max = Math.max(stats.max, ++stats.now);
      setTimeout(() => {
        stats.now--;
        send(res, 200, body);
      }, opts.statsDelayMs ?? 0);
      return;
    }
    if (opts.logsError) return send(res, opts.logsError.status, { message: opts.logsError.message });
    const tail = Number(url.searchParams.get('tail') ?? '1000000');
    return send(res, 200, logs({ name: c.template, tty: c.tty }, Number.isFinite(tail) && tail > 0 ? tail : 1000000), c.tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
  }
  return send(res, 404, { message: 'page not found' });
}

/** Starts the replay server on a fresh socket in a temp directory. */
export async function startDockerReplay(opts: ReplayOptions = {}): Promise<Replay> {
  const dir = mkdtempSync(join(tmpdir(), 'hl-docker-'));
  const socket = join(dir, 'docker.sock');
  const requests: string[] = [];
  const stats = { now: 0, max: 0 };
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (opts.mode === 'hang') return; // accepted, never answered
    route(req, res, opts, stats);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(socket, () => ok());
  });
  return {
    socket,
    requests,
    maxStatsInFlight: () => stats.max,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
