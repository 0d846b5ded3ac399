/**
 * A hostlens cluster on loopback for the replica tests and the bench: one
 * real redis-server (test/support/redis-server.ts), N real `hostlens serve`
 * replicas (`node --import tsx src/app/cli.ts`, test/e2e/helpers.ts) sharing it
 * through `--store`, and nginx round-robin in front (test/support/nginx.ts,
 * rendered from deploy/nginx/hostlens.conf).
 *
 * Each replica reads its own copy of a fixture host tree (`replica.root`), so
 * a test can change what one replica sees (e.g. its proc/meminfo) and not the
 * others. Auth is on with two static tokens of different scopes, because
 * behind nginx every connection comes from nginx's worker, which the
 * auth-off local-user check would refuse (or take for one client).
 *
 * Everything is stopped by PID: `kill(i)` SIGKILLs one replica, `restart(i)`
 * starts it again on the same port and root, `stopRedis()`/`startRedis()`
 * stop and start the store, and `close()` (call it from `after`) ends every
 * process and removes every temporary directory.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE_HOSTS } from '../fixtures/fixture-services.js';
import { freePorts, spawnHostlens } from '../e2e/helpers.js';
import type { LogLine, Spawned } from '../e2e/helpers.js';
import { nginxSkip, startNginx } from './nginx.js';
import type { Nginx } from './nginx.js';
import { redisSkip, startRedis } from './redis-server.js';
import type { RedisServer } from './redis-server.js';

/** A skip reason when redis-server or nginx is missing outside CI; false otherwise. */
export const clusterSkip: string | false = redisSkip || nginxSkip;

/** Two static tokens: `ops` holds every scope, `reader` only hostlens:read. */
export const TOKENS = {
  ops: 'cluster-ops-token-0f5a1c9e7b3d42a8',
  reader: 'cluster-reader-token-6e2b8d4f1a9c3e75',
} as const;
export const PRINCIPALS = { ops: 'static:ops', reader: 'static:reader' } as const;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** HOSTLENS_AUTH for the two tokens. */
export const AUTH_JSON = JSON.stringify({
  tokens: [
    { name: 'ops', sha256: sha256(TOKENS.ops), scopes: ['hostlens:read', 'hostlens:processes', 'hostlens:logs', 'hostlens:config', 'hostlens:admin'] },
    { name: 'reader', sha256: sha256(TOKENS.reader), scopes: ['hostlens:read'] },
  ],
});

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

export interface ClusterOptions {
  /** Replicas behind nginx (default 3). */
  replicas?: number;
  /** Extra environment for every replica (HOSTLENS_* settings). */
  env?: Record<string, string>;
  /** Extra `serve` arguments for every replica. */
  args?: readonly string[];
  /** Redis requirepass (the store URL then carries it). */
  redisPassword?: string;
  /** The fixture host tree each replica gets a copy of (default `idle`). */
  fixture?: string;
  /** false: replicas run without `--store` (each its own memory store): nginx and the processes alone. */
  shareStore?: boolean;
  /** How long one replica may take to listen (default 60 s: several start at once on a small machine). */
  listenTimeoutMs?: number;
}

export interface Replica {
  index: number;
  port: number;
  /** 127.0.0.1:PORT, as nginx's $upstream_addr names it. */
  address: string;
  /** http://127.0.0.1:PORT/mcp: the replica itself, not through nginx. */
  url: string;
  origin: string;
  /** This replica's own copy of the fixture tree (`--root`). */
  root: string;
  readonly pid: number | undefined;
  alive(): boolean;
  /** The replica's JSON log lines since it was last started. */
  logs(): LogLine[];
  stderr(): string;
}

export interface Cluster {
  redis: RedisServer;
  nginx: Nginx;
  replicas: Replica[];
  /** nginx's /mcp */
  url: string;
  /** The --store URL every replica got. */
  storeUrl: string;
  replicaAt(address: string | undefined): Replica | undefined;
  /** SIGKILL by PID; resolves once it exited. */
  kill(index: number): Promise<void>;
  /**
   * Starts a killed replica again on the same port and root; resolves once nginx routes to it again
   * (after a failure nginx skips a replica for its fail_timeout, 5 s).
   */
  restart(index: number): Promise<void>;
  stopRedis(): Promise<void>;
  startRedis(): Promise<void>;
  close(): Promise<void>;
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const n = options.replicas ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'hostlens-cluster-'));
  const servers: Array<Spawned | undefined> = [];
  let redis: RedisServer | undefined;
  let nginx: Nginx | undefined;

  const close = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s?.kill()));
    await nginx?.stop().catch(() => undefined);
    await redis?.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    redis = await startRedis(options.redisPassword !== undefined ? { password: options.redisPassword } : {});
    const storeUrl = redis.url;
    const ports = await freePorts(n);
    const roots = ports.map((_, i) => {
      const root = join(dir, `replica-${i}`);
      cpSync(join(FIXTURE_HOSTS, options.fixture ?? 'idle'), root, { recursive: true, verbatimSymlinks: true });
      return root;
    });
    const env = {
      HOSTLENS_AUTH: AUTH_JSON,
      HOSTLENS_AUDIT_LOG: 'off',
      HOSTLENS_OVERVIEW_CHECK_SEC: '0.5',
      ...options.env,
    };
    const launch = async (i: number): Promise<void> => {
      const s = spawnHostlens(['serve', '--port', String(ports[i]), '--root', roots[i] ?? '', ...(options.shareStore === false ? [] : ['--store', storeUrl]), ...(options.args ?? [])], { env });
      servers[i] = s;
      await s.listening(options.listenTimeoutMs ?? 60_000);
    };
    await Promise.all(ports.map((_, i) => launch(i)));
    nginx = await startNginx({ upstreams: ports.map((p) => `127.0.0.1:${p}`) });

    const replicas: Replica[] = ports.map((port, index) => ({
      index,
      port,
      address: `127.0.0.1:${port}`,
      url: `http://127.0.0.1:${port}/mcp`,
      origin: `http://127.0.0.1:${port}`,
      root: roots[index] ?? '',
      get pid() {
        return servers[index]?.pid;
      },
      alive: () => {
        const c = servers[index]?.child;
        return c !== undefined && c.exitCode === null && c.signalCode === null;
      },
      logs: () => servers[index]?.logs() ?? [],
      stderr: () => servers[index]?.stderr() ?? '',
    }));
    const started = { redis, nginx };
    return {
      ...started,
      replicas,
      url: `${nginx.origin}/mcp`,
      storeUrl,
      replicaAt: (address) => replicas.find((r) => r.address === address),
      kill: async (index) => {
        await servers[index]?.kill();
      },
      restart: async (index) => {
        await servers[index]?.kill();
        await launch(index);
        const address = replicas[index]?.address;
        const deadline = Date.now() + 20_000;
        for (;;) {
          const mark = started.nginx.mark();
          const probe = await fetch(`${started.nginx.origin}/healthz`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
          await probe?.arrayBuffer();
          const lines = await started.nginx.waitAccess(mark, 1).catch(() => []);
          if (lines.some((l) => l.upstream === address && l.status === 200)) return;
          if (Date.now() > deadline) throw new Error(`nginx did not route to the restarted replica ${address} within 20 s`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      stopRedis: () => started.redis.stop(),
      startRedis: () => started.redis.restart(),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
