/**
 * With authentication off, the distinct clients each local uid has connected
 * at once: its processes (identified by local-peers.ts), and its connections
 * whose process could not be found (each its own client, tenant.ts).
 *
 * Every per-client limit (rate bucket, streams, sessions, queue share) is per
 * client, so a uid could multiply its share of the server by forking. Past
 * `maxClientsPerUid` live clients, further ones of that uid share one client,
 * `p:overflow`: one uid's total is then bounded by (ceiling + 1) clients'
 * worth, and a different uid (root's clients when an allowed user forks) keeps
 * its own ceiling untouched. The ceiling is per uid, not per principal-wide
 * bucket, because on most hosts every client is root: a single bucket for
 * a uid would put them all back in one (one noisy client got everyone 429).
 * Forking past the ceiling costs the forking uid's own late clients, never
 * another uid's. A client's slot is freed when its last connection closes.
 */
import type { Socket } from 'node:net';

/** Distinct live clients per uid before further ones share one (32 agent processes of one user at once is generous). */
const DEFAULT_MAX_CLIENTS_PER_UID = 32;

export const OVERFLOW_CLIENT = 'p:overflow';

interface LocalClients {
  /**
   * The client key of `socket` (`p:<pid>:<start>` for a known process, null
   * for an unknown one: its connection is the client), or `p:overflow` past
   * the ceiling; the slot is released when the socket closes.
   */
  bind(socket: Socket, uid: number, process: { pid: number; startTime: number } | null): `p:${string}` | null;
  /** Live clients of `uid` (tests). */
  count(uid: number): number;
}

export function createLocalClients(maxPerUid = DEFAULT_MAX_CLIENTS_PER_UID): LocalClients {
  /** uid → client key → open connections. An unknown process's connection is keyed by an object of its own. */
  const live = new Map<number, Map<string | object, number>>();

  const release = (uid: number, key: string | object): void => {
    const clients = live.get(uid);
    const n = (clients?.get(key) ?? 1) - 1;
    if (n > 0) clients?.set(key, n);
    else clients?.delete(key);
    if (clients?.size === 0) live.delete(uid);
  };

  return {
    bind(socket, uid, process) {
      let clients = live.get(uid);
      if (!clients) live.set(uid, (clients = new Map()));
      const own: `p:${string}` | null = process ? `p:${process.pid}:${process.startTime}` : null;
      let slot: string | object = own ?? {};
      let key = own;
      if (!clients.has(slot) && clients.size - (clients.has(OVERFLOW_CLIENT) ? 1 : 0) >= maxPerUid) {
        slot = OVERFLOW_CLIENT;
        key = OVERFLOW_CLIENT;
      }
      clients.set(slot, (clients.get(slot) ?? 0) + 1);
      if (socket.destroyed) release(uid, slot);
      else socket.once('close', () => release(uid, slot));
      return key;
    },
    count: (uid) => live.get(uid)?.size ?? 0,
  };
}
