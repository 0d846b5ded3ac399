/**
 * Which local user owns the other end of a loopback TCP connection, from the
 * kernel's socket tables `/proc/net/tcp` and `/proc/net/tcp6`.
 *
 * A connection accepted on (server addr:port) from (client addr:port) has a
 * twin socket owned by the client process: local = the client's endpoint,
 * remote = ours. Its `uid` column is the user that created that socket, which
 * the client cannot choose, and its `inode` names the socket itself (which
 * peer-process.ts maps to the process holding it). Lines are matched on the
 * exact local/remote pair.
 *
 * Lines that cannot speak for a live client are ignored (the lookup then
 * answers null, i.e. "unknown"): TIME_WAIT entries, and any entry with inode
 * 0 (a socket no process holds any more). The kernel prints uid 0 for both,
 * which would otherwise let a closed socket pass for root.
 *
 * Always the real `/proc` of this process's network namespace, never the
 * collectors' replay `root`: this is about who is connected here and now.
 *
 * Cost: with 10,000 sockets open (/proc/net/tcp ≈ 1.5 MB) one whole pass
 * takes ≈ 20 ms of kernel time on a quiet 2-core host and 40–60 ms under
 * load; the kernel hands out one ≈ 4 KiB page per read() whatever the buffer
 * size, so a pass is ≈ 400 reads. A synchronous read would hold the event
 * loop that long, so the tables are read with fs.promises (the loop stayed
 * within 3 ms of its schedule during a pass), stopping at the line sought
 * (a connection sits anywhere in the hash order: half a pass on average).
 * Lookups that arrive while a pass is under way wait for one shared next
 * pass, so a burst of N connections costs about one pass rather than N
 * (1,000 concurrent lookups: ≈ 0.1–0.4 s in all). See peer-uid.test.ts.
 */
import { endianness } from 'node:os';
import { open } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';

type TcpTable = 'tcp' | 'tcp6';

interface TcpLine {
  /** As printed: `0100007F:1F90` (tcp) or 32 hex digits and a port (tcp6). */
  local: string;
  remote: string;
  /** Kernel TCP state (1 ESTABLISHED … 6 TIME_WAIT … 10 LISTEN). */
  state: number;
  uid: number;
  inode: number;
}

interface Endpoint {
  address: string;
  port: number;
}

const TIME_WAIT = 6;
const LINE = /^\s*\d+:\s+([0-9A-Fa-f]{8}(?:[0-9A-Fa-f]{24})?:[0-9A-Fa-f]{4})\s+([0-9A-Fa-f]{8}(?:[0-9A-Fa-f]{24})?:[0-9A-Fa-f]{4})\s+([0-9A-Fa-f]{2})\s+\S+\s+\S+\s+\S+\s+(\d+)\s+-?\d+\s+(\d+)(?:\s|$)/;

/** One line of /proc/net/tcp or tcp6; null for the header or anything else. */
export function parseTcpLine(line: string): TcpLine | null {
  const m = LINE.exec(line);
  if (!m) return null;
  const [, local, remote, state, uid, inode] = m;
  if (local === undefined || remote === undefined || local.length !== remote.length) return null;
  return { local: local.toUpperCase(), remote: remote.toUpperCase(), state: parseInt(state ?? '', 16), uid: Number(uid), inode: Number(inode) };
}

/** The kernel prints each 32-bit word of an address with %08X in host byte order. */
function wordsHex(bytes: readonly number[], endian: 'LE' | 'BE'): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 4) {
    const word = endian === 'LE' ? [bytes[i + 3], bytes[i + 2], bytes[i + 1], bytes[i]] : bytes.slice(i, i + 4);
    for (const b of word) out += (b ?? 0).toString(16).padStart(2, '0');
  }
  return out.toUpperCase();
}

function ipv4Bytes(address: string): number[] | null {
  if (!isIPv4(address)) return null;
  return address.split('.').map(Number);
}

function ipv6Bytes(address: string): number[] | null {
  if (!isIPv6(address)) return null;
  let text = address.replace(/%.*$/, '');
  const tail4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let tail: number[] = [];
  if (tail4?.[1]) {
    const v4 = ipv4Bytes(tail4[1]);
    if (!v4) return null;
    tail = v4;
    text = text.slice(0, -tail4[1].length) + '0:0';
  }
  const [head = '', rest] = text.split('::');
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const h = groups(head);
  const r = rest === undefined ? [] : groups(rest);
  const fill = rest === undefined ? 0 : 8 - h.length - r.length;
  const all = [...h, ...Array<string>(fill).fill('0'), ...r];
  if (all.length !== 8) return null;
  const bytes: number[] = [];
  for (const g of all) {
    const n = parseInt(g, 16);
    bytes.push(n >> 8, n & 0xff);
  }
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

const portHex = (port: number): string => port.toString(16).toUpperCase().padStart(4, '0');

/**
 * How `address:port` is printed in `table`, or null when it cannot appear
 * there (an IPv6-only address in tcp). IPv4 addresses appear in tcp as they
 * are and in tcp6 v4-mapped (an AF_INET6 socket talking IPv4).
 */
export function endpointKey(endpoint: Endpoint, table: TcpTable, endian: 'LE' | 'BE' = endianness()): string | null {
  const { address, port } = endpoint;
  if (!Number.isInteger(port) || port < 0 || port > 65535) return null;
  let v4 = ipv4Bytes(address);
  const v6 = v4 ? null : ipv6Bytes(address);
  if (v6 && v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff) v4 = v6.slice(12);
  if (table === 'tcp') return v4 ? `${wordsHex(v4, endian)}:${portHex(port)}` : null;
  const bytes = v4 ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4] : v6;
  return bytes ? `${wordsHex(bytes, endian)}:${portHex(port)}` : null;
}

/** `0100007F:1F90` → 127.0.0.1:8080 (v4-mapped tcp6 addresses as `::ffff:a.b.c.d`); null if malformed. */
export function decodeEndpoint(hex: string, endian: 'LE' | 'BE' = endianness()): Endpoint | null {
  const m = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(hex);
  if (!m?.[1] || !m[2]) return null;
  const bytes: number[] = [];
  for (let i = 0; i < m[1].length; i += 8) {
    const word = m[1].slice(i, i + 8).match(/../g)?.map((b) => parseInt(b, 16)) ?? [];
    bytes.push(...(endian === 'LE' ? word.reverse() : word));
  }
  const port = parseInt(m[2], 16);
  if (bytes.length === 4) return { address: bytes.join('.'), port };
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return { address: `::ffff:${bytes.slice(12).join('.')}`, port };
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return { address: groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::').replace(/:::+/, '::'), port };
}

interface PeerUidLookupOptions {
  /** Directory holding `tcp` and `tcp6` (default /proc/net; tests point it at recorded tables). */
  procNet?: string;
  /** Bytes per read (default 64 KiB). */
  chunkBytes?: number;
  /** Passes over the tables before a socket counts as not found (default 2: a table read while it changes may skip a line). */
  passes?: number;
}

/** The uid owning the client end of the connection client → server; null when no live socket says so. */
type PeerUidLookup = (client: Endpoint, server: Endpoint) => Promise<number | null>;

/** The client end's owner uid and socket inode (which peer-process.ts maps to the process holding it). */
export interface PeerSocket {
  uid: number;
  inode: number;
}

export type PeerSocketLookup = (client: Endpoint, server: Endpoint) => Promise<PeerSocket | null>;

interface Pending {
  keys: Partial<Record<TcpTable, string>>;
  passesLeft: number;
  resolve(found: PeerSocket | null): void;
}

export function createPeerUidLookup(options: PeerUidLookupOptions = {}): PeerUidLookup {
  const lookup = createPeerSocketLookup(options);
  return async (client, server) => (await lookup(client, server))?.uid ?? null;
}

export function createPeerSocketLookup(options: PeerUidLookupOptions = {}): PeerSocketLookup {
  const dir = options.procNet ?? '/proc/net';
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  const passes = Math.max(1, options.passes ?? 2);
  let queue: Pending[] = [];
  let running = false;

  /** Reads `table` until every wanted pair is found or the table ends; found ones are removed from `wanted`. */
  const scan = async (table: TcpTable, wanted: Map<string, Pending[]>): Promise<void> => {
    const keyLength = table === 'tcp' ? 13 : 37;
    const handle = await open(`${dir}/${table}`, 'r');
    try {
      const buffer = Buffer.allocUnsafe(chunkBytes);
      let carry = '';
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, chunkBytes, null);
        const text = carry + buffer.toString('latin1', 0, bytesRead);
        const end = bytesRead === 0 ? text.length : text.lastIndexOf('\n') + 1;
        carry = text.slice(end);
        let start = 0;
        while (start < end) {
          let stop = text.indexOf('\n', start);
          if (stop < 0 || stop > end) stop = end;
          // The local and remote fields follow "sl: " side by side: compare that slice before parsing the line.
          const colon = text.indexOf(': ', start);
          if (colon >= 0 && colon < stop) {
            const pair = text.slice(colon + 2, colon + 3 + 2 * keyLength).toUpperCase();
            const waiting = wanted.get(pair);
            const line = waiting ? parseTcpLine(text.slice(start, stop)) : null;
            if (waiting && line && line.state !== TIME_WAIT && line.inode !== 0) {
              wanted.delete(pair);
              for (const p of waiting) p.resolve({ uid: line.uid, inode: line.inode });
            }
          }
          start = stop + 1;
        }
        if (wanted.size === 0 || bytesRead === 0) return;
      }
    } finally {
      await handle.close();
    }
  };

  const pass = async (batch: Pending[]): Promise<void> => {
    let remaining = batch;
    for (const table of ['tcp', 'tcp6'] as const) {
      const wanted = new Map<string, Pending[]>();
      for (const p of remaining) {
        const key = p.keys[table];
        if (key !== undefined) wanted.set(key, [...(wanted.get(key) ?? []), p]);
      }
      if (wanted.size === 0) continue;
      try {
        await scan(table, wanted);
      } catch {
        // Unreadable table (no IPv6, a sandbox without /proc): whatever is still wanted stays unknown.
      }
      const left = new Set([...wanted.values()].flat());
      remaining = remaining.filter((p) => left.has(p) || p.keys[table] === undefined);
    }
    for (const p of remaining) {
      p.passesLeft -= 1;
      if (p.passesLeft > 0) queue.push(p);
      else p.resolve(null);
    }
  };

  const drain = async (): Promise<void> => {
    running = true;
    try {
      while (queue.length > 0) {
        const batch = queue;
        queue = [];
        await pass(batch).catch(() => batch.forEach((p) => p.resolve(null)));
      }
    } finally {
      running = false;
    }
  };

  return (client, server) =>
    new Promise<PeerSocket | null>((resolve) => {
      const keys: Partial<Record<TcpTable, string>> = {};
      for (const table of ['tcp', 'tcp6'] as const) {
        const local = endpointKey(client, table);
        const remote = endpointKey(server, table);
        if (local !== null && remote !== null) keys[table] = `${local} ${remote}`;
      }
      if (keys.tcp === undefined && keys.tcp6 === undefined) return resolve(null);
      let settled = false;
      queue.push({
        keys,
        passesLeft: passes,
        resolve: (found) => {
          if (settled) return;
          settled = true;
          resolve(found);
        },
      });
      if (!running) void drain();
    });
}
