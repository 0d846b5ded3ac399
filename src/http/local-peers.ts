/**
 * With authentication off, who may use the server: the local user the kernel
 * says owns the connecting socket (src/collectors/peer-uid.ts), looked up
 * once per TCP connection when it is accepted. Root, the user hostlens runs
 * as and the configured `allowedLocalUsers` are served, as the principal
 * `local:uid:<n>` with every scope; anyone else, or a peer that cannot be
 * identified (its socket already gone, no /proc), gets 403 with a JSON-RPC
 * error on every path but /healthz and /readyz, and the connection is closed.
 *
 * Without this, hostlens running as root hands any local user what only root
 * may read (a 0600 log file came back whole through read_log_file).
 *
 * The same lookup names the client: the kernel's socket line also carries the
 * client socket's inode, and src/collectors/peer-process.ts finds the process
 * holding it. The connection's requests then count against that process
 * (tenant.ts `p:<pid>:<starttime>`; local-clients.ts bounds how many such
 * clients one uid has at once). A request waits for both answers before it is
 * routed: its first request would otherwise count against the connection, and
 * a burst over 400 connections is 400 first requests. One shared pass over the
 * fd tables answers a whole burst, in slices that leave the event loop free.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createPeerProcessLookup } from '../collectors/peer-process.js';
import type { PeerProcessLookup } from '../collectors/peer-process.js';
import { createPeerSocketLookup } from '../collectors/peer-uid.js';
import type { PeerSocket, PeerSocketLookup } from '../collectors/peer-uid.js';
import type { Logger } from '../util/log.js';
import { localAuthInfo } from '../server/principal.js';
import { TRANSPORT_ERROR } from '../server/jsonrpc-errors.js';
import { createLocalClients } from './local-clients.js';
import { setConnectionClient } from '../server/tenant.js';

export interface LocalPeerPolicy {
  /** uids served besides root and the server's own effective uid. */
  allowedUids?: readonly number[];
  /**
   * The peer lookup (default: /proc/net/tcp and tcp6); tests substitute their
   * own. A bare uid names no socket: the connection is then its own client.
   */
  lookup?: (socket: Socket) => Promise<number | PeerSocket | null>;
  /** Socket inode → process (default: the fd tables under /proc). */
  process?: PeerProcessLookup;
  /** Distinct clients one uid may have at once before further ones share one (local-clients.ts). */
  maxClientsPerUid?: number;
}

interface LocalPeerGate {
  /** Starts the uid lookup of a freshly accepted connection. */
  identify(socket: Socket): void;
  /** Passes the request on (with its principal's AuthInfo) or answers 403. */
  admit(req: IncomingMessage, res: ServerResponse, next: () => void): void;
}

/** Liveness and readiness say nothing about the host: probes by any user keep working. */
const OPEN_PATHS = new Set(['/healthz', '/readyz']);

function pathOf(target: string | undefined): string {
  const t = target ?? '/';
  const end = t.search(/[?#]/);
  return end < 0 ? t : t.slice(0, end);
}

function socketLookup(lookup: PeerSocketLookup = createPeerSocketLookup()): (socket: Socket) => Promise<PeerSocket | null> {
  return (socket) => {
    const { remoteAddress, remotePort, localAddress, localPort } = socket;
    if (!remoteAddress || !remotePort || !localAddress || !localPort) return Promise.resolve(null);
    return lookup({ address: remoteAddress, port: remotePort }, { address: localAddress, port: localPort });
  };
}

export function createLocalPeerGate(policy: LocalPeerPolicy, logger?: Logger): LocalPeerGate {
  const allowed = new Set<number>([0, process.geteuid?.() ?? 0, ...(policy.allowedUids ?? [])]);
  const lookup = policy.lookup ?? socketLookup();
  const processOf = policy.process ?? createPeerProcessLookup();
  const clients = createLocalClients(policy.maxClientsPerUid);
  const peers = new WeakMap<Socket, Promise<number | null>>();
  /** The peer's uid once its client is named (setConnectionClient); null: unknown. */
  const identified = async (socket: Socket): Promise<number | null> => {
    const peer = await lookup(socket);
    if (peer === null || typeof peer === 'number') return peer;
    if (!allowed.has(peer.uid)) return peer.uid;
    const found = await processOf(peer.inode, peer.uid, () => !socket.destroyed).catch(() => null);
    const client = clients.bind(socket, peer.uid, found);
    if (client !== null) setConnectionClient(socket, client);
    return peer.uid;
  };
  const uidOf = (socket: Socket): Promise<number | null> => {
    let uid = peers.get(socket);
    if (!uid) {
      uid = identified(socket).catch(() => null);
      peers.set(socket, uid);
    }
    return uid;
  };

  const refuse = (req: IncomingMessage, res: ServerResponse, uid: number | null): void => {
    logger?.info('client error', { status: 403, code: uid === null ? 'LOCAL_PEER_UNKNOWN' : 'LOCAL_USER_NOT_ALLOWED', ...(uid === null ? {} : { uid }) });
    const message =
      uid === null
        ? 'Forbidden: authentication is off and the connecting local user could not be identified'
        : 'Forbidden: authentication is off and this local user is not allowed (root, the user hostlens runs as, and allowedLocalUsers are)';
    const body = JSON.stringify({ jsonrpc: '2.0', error: { code: TRANSPORT_ERROR, message }, id: null });
    res.writeHead(403, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), connection: 'close' });
    res.end(body);
    req.resume();
  };

  return {
    identify: (socket) => void uidOf(socket),
    admit(req, res, next) {
      if (OPEN_PATHS.has(pathOf(req.url))) return next();
      void uidOf(req.socket).then((uid) => {
        if (res.destroyed || res.headersSent) return;
        if (uid === null || !allowed.has(uid)) return refuse(req, res, uid);
        (req as IncomingMessage & { auth?: unknown }).auth = localAuthInfo(uid);
        next();
      });
    },
  };
}
