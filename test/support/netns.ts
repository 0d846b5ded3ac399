/**
 * Network namespaces as separate "hosts" for the fleet tests: `createTestNet`
 * makes `count` namespaces, each joined to the host by its own veth pair on a
 * /30 of a private 10.x.0.0/16 that no existing route or address touches, and
 * runs processes inside them with `ip netns exec` (no shell), tracked by PID.
 * `close()` kills them, deletes the veth pairs and the namespaces; a process
 * that exits without calling it still cleans up on 'exit' (best effort).
 *
 * Every name carries this process's PID (and a per-process counter), so two
 * test files running at once never share or delete each other's namespaces.
 * Outside CI a missing or unusable `ip netns` (no iproute2, not root, no
 * CAP_SYS_ADMIN in a container) skips the tests that need it (`netnsSkip`);
 * with CI=true it is a failure (scripts/test-deps.sh installs iproute2).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const IN_CI = process.env.CI === 'true';
/** Short enough that `<PREFIX><net><h|p><index>` fits the kernel's 15-character interface names. */
const PID36 = process.pid.toString(36);
const NS_PREFIX = `hl-${process.pid}-`;
/** Debian installs ip in /usr/sbin (/sbin before the /usr merge), which a non-root PATH may lack. */
const IP = ['ip', '/usr/sbin/ip', '/sbin/ip'].find((b) => spawnSync(b, ['-V'], { stdio: 'ignore' }).status === 0);

function ip(args: readonly string[]): { ok: boolean; out: string } {
  const r = spawnSync(IP ?? 'ip', args, { encoding: 'utf8', timeout: 10_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim() };
}

/**
 * Why namespaces cannot be used here, or undefined when they can. Probed by
 * really adding a namespace with a veth pair inside it (then deleting it):
 * being root is not enough in a container without CAP_SYS_ADMIN/CAP_NET_ADMIN.
 */
function probe(): string | undefined {
  if (IP === undefined) return 'ip (iproute2) is not installed (scripts/test-deps.sh installs it)';
  if (process.getuid?.() !== 0) return 'ip netns needs root';
  const name = `${NS_PREFIX}probe`;
  const added = ip(['netns', 'add', name]);
  if (!added.ok) return `ip netns add fails here: ${added.out}`;
  try {
    const veth = ip(['-n', name, 'link', 'add', 'probe0', 'type', 'veth', 'peer', 'name', 'probe1']);
    if (!veth.ok) return `veth pairs cannot be created here: ${veth.out}`;
  } finally {
    ip(['netns', 'del', name]);
  }
  return undefined;
}

const UNUSABLE = probe();

/** A skip reason for node:test when network namespaces are unusable outside CI; false otherwise (in CI the test runs and fails). */
export const netnsSkip: string | false = UNUSABLE !== undefined && !IN_CI ? UNUSABLE : false;

export interface TestHost {
  /** The namespace's name (`ip netns exec NAME`). */
  name: string;
  /** This host's address inside its namespace (bind servers here). */
  address: string;
  /** The host side of its veth pair, the namespace's only neighbour. */
  hostAddress: string;
  /** The host-side interface name. */
  hostInterface: string;
}

export interface TestNet {
  readonly hosts: readonly TestHost[];
  /** The /16 the hosts' /30s were carved from, e.g. 10.213.0.0/16. */
  readonly subnet: string;
  /** Runs argv inside namespace i (no shell); the ChildProcess is the program itself (ip execs it in place). */
  exec(i: number, argv: readonly string[], options?: SpawnOptions): ChildProcess;
  /** PIDs started in namespace i that have not exited. */
  pids(i: number): number[];
  /** SIGKILLs every process started in namespace i; resolves once they exited. */
  kill(i: number): Promise<void>;
  /** SIGSTOPs them: the host still accepts TCP connections (the kernel does) but never answers. */
  stop(i: number): void;
  /** SIGCONTs them. */
  cont(i: number): void;
  /** Kills every process, deletes the veth pairs and the namespaces. Idempotent. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------- address arithmetic

function toInt(dotted: string): number {
  const parts = dotted.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${dotted}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

function toDotted(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function parseCidr(cidr: string): { base: number; bits: number } {
  const [addr, len] = cidr.split('/');
  const bits = len === undefined ? 32 : Number(len);
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) throw new Error(`not a CIDR: ${cidr}`);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (toInt(addr!) & mask) >>> 0, bits };
}

function overlaps(a: { base: number; bits: number }, b: { base: number; bits: number }): boolean {
  const bits = Math.min(a.bits, b.bits);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((a.base & mask) >>> 0) === ((b.base & mask) >>> 0);
}

/**
 * Every IPv4 prefix the host already routes or holds an address in (any
 * table), so a test subnet never shadows a real network. The default route is
 * left out: it overlaps everything by definition.
 */
function prefixesInUse(): Array<{ base: number; bits: number }> {
  const out: Array<{ base: number; bits: number }> = [];
  const add = (text: string): void => {
    if (text === 'default' || text === '0.0.0.0/0') return;
    try {
      out.push(parseCidr(text));
    } catch {
      // Route types such as "broadcast" or "local" put a keyword first; the address follows and is caught below.
    }
  };
  for (const line of ip(['-4', 'route', 'show', 'table', 'all']).out.split('\n')) {
    const words = line.trim().split(/\s+/);
    add(words[0] ?? '');
    if (/^(broadcast|local|unreachable|blackhole|prohibit|throw|multicast|anycast|nat)$/.test(words[0] ?? '')) add(words[1] ?? '');
  }
  for (const line of ip(['-4', '-o', 'addr', 'show']).out.split('\n')) {
    const m = /\binet (\S+)/.exec(line);
    if (m) add(m[1]!);
  }
  return out;
}

/** /16s handed out by this process and not yet closed (routes appear only once the first veth is up). */
const claimed = new Set<string>();

function lockPath(cidr: string): string {
  return join(tmpdir(), `hostlens-testnet-${cidr.replace(/[./]/g, '_')}.lock`);
}

/**
 * Claims a subnet across processes: two test files starting at once both see
 * it free in `ip route`, so the first to create its lock file (O_EXCL) wins.
 * A lock whose PID is gone is stale (that process died before cleaning up).
 */
function lock(cidr: string): boolean {
  const path = lockPath(cidr);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let owner = NaN;
    try {
      owner = Number(readFileSync(path, 'utf8'));
    } catch {
      continue;
    }
    try {
      process.kill(owner, 0);
      return false;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EPERM') return false;
      rmSync(path, { force: true });
    }
  }
  return false;
}

function unlock(cidr: string): void {
  try {
    if (Number(readFileSync(lockPath(cidr), 'utf8')) === process.pid) rmSync(lockPath(cidr), { force: true });
  } catch {
    // Already gone.
  }
}

function pickSubnet(requested: string | undefined, count: number): { base: number; cidr: string } {
  const used = prefixesInUse();
  const free = (p: { base: number; bits: number }): boolean => !used.some((u) => overlaps(u, p)) && ![...claimed].some((c) => overlaps(parseCidr(c), p));
  if (requested !== undefined) {
    const p = parseCidr(requested);
    if (2 ** (32 - p.bits) < count * 4) throw new Error(`createTestNet: ${requested} cannot hold ${count} /30s`);
    const cidr = `${toDotted(p.base)}/${p.bits}`;
    if (!free(p) || !lock(cidr)) throw new Error(`createTestNet: ${requested} overlaps a route, an address or another test network on this host`);
    return { base: p.base, cidr };
  }
  if (count > 16_384) throw new Error('createTestNet: at most 16384 hosts fit a /16');
  // 10.213 first, then the rest of 10.200–10.254: far from the 10.0/10.1/10.10 ranges networks like to use.
  // Going on from a PID-dependent offset spreads concurrent test files over different /16s.
  const seconds = Array.from({ length: 55 }, (_, k) => 200 + ((13 + process.pid + k) % 55));
  for (const second of [213, ...seconds]) {
    const p = { base: toInt(`10.${second}.0.0`), bits: 16 };
    const cidr = `10.${second}.0.0/16`;
    if (free(p) && lock(cidr)) return { base: p.base, cidr };
  }
  throw new Error('createTestNet: every /16 in 10.200–10.254 overlaps a route on this host; pass options.subnet');
}

// ---------------------------------------------------------------- exit cleanup

const open = new Set<{ closeSync(): void }>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const net of open) net.closeSync();
  });
  // A signal that ends the process skips 'exit'; clean up, then die of the same signal as before.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = (): void => {
      for (const net of open) net.closeSync();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.once(signal, onSignal);
  }
}

// ---------------------------------------------------------------- the network

let netCounter = 0;

function isRunning(c: ChildProcess): boolean {
  return c.pid !== undefined && c.exitCode === null && c.signalCode === null;
}

function exited(c: ChildProcess): Promise<void> {
  if (!isRunning(c)) return Promise.resolve();
  return new Promise((resolve) => c.once('exit', () => resolve()));
}

export async function createTestNet(options: { count: number; subnet?: string }): Promise<TestNet> {
  if (UNUSABLE !== undefined) throw new Error(`network namespaces are unusable: ${UNUSABLE}`);
  const { count } = options;
  if (!Number.isInteger(count) || count < 1) throw new Error('createTestNet: count must be a positive integer');
  const net = (netCounter++).toString(36);
  const { base, cidr } = pickSubnet(options.subnet, count);
  claimed.add(cidr);

  const hosts: TestHost[] = [];
  const children: ChildProcess[][] = [];
  /** What exists so far, so a failure halfway and close() remove exactly that. */
  const created = { namespaces: [] as string[], links: [] as string[] };

  const closeSync = (): void => {
    for (const list of children) for (const c of list) if (isRunning(c)) c.kill('SIGKILL');
    for (const name of created.namespaces) {
      // Anything else in our namespace was started from inside it by our processes.
      for (const pid of ip(['netns', 'pids', name]).out.split('\n').map(Number).filter((n) => n > 0)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    for (const link of created.links.splice(0)) ip(['link', 'del', link]);
    for (const name of created.namespaces.splice(0)) ip(['netns', 'del', name]);
    claimed.delete(cidr);
    unlock(cidr);
    open.delete(handle);
  };
  const handle = { closeSync };
  open.add(handle);
  hookExit();

  const must = (args: string[]): void => {
    const r = ip(args);
    if (!r.ok) throw new Error(`ip ${args.join(' ')}: ${r.out}`);
  };

  try {
    for (let i = 0; i < count; i++) {
      const name = `${NS_PREFIX}${net}-${i}`;
      const hostInterface = `hl${PID36}${net}h${i}`;
      const peer = `hl${PID36}${net}p${i}`;
      if (hostInterface.length > 15) throw new Error(`createTestNet: interface name ${hostInterface} exceeds 15 characters`);
      const slot = (base + i * 4) >>> 0;
      const hostAddress = toDotted(slot + 1);
      const address = toDotted(slot + 2);

      must(['netns', 'add', name]);
      created.namespaces.push(name);
      must(['link', 'add', hostInterface, 'type', 'veth', 'peer', 'name', peer]);
      created.links.push(hostInterface);
      must(['link', 'set', peer, 'netns', name]);
      must(['addr', 'add', `${hostAddress}/30`, 'dev', hostInterface]);
      must(['link', 'set', hostInterface, 'up']);
      must(['-n', name, 'addr', 'add', `${address}/30`, 'dev', peer]);
      must(['-n', name, 'link', 'set', peer, 'up']);
      must(['-n', name, 'link', 'set', 'lo', 'up']);
      hosts.push({ name, address, hostAddress, hostInterface });
      children.push([]);
    }
  } catch (error) {
    closeSync();
    throw error;
  }

  const host = (i: number): TestHost => {
    const h = hosts[i];
    if (h === undefined) throw new Error(`TestNet: no host ${i} (there are ${hosts.length})`);
    return h;
  };
  const live = (i: number): ChildProcess[] => {
    host(i);
    return children[i]!.filter(isRunning);
  };
  const signal = (i: number, sig: NodeJS.Signals): void => {
    for (const c of live(i)) process.kill(c.pid!, sig);
  };
  let closing: Promise<void> | undefined;

  return {
    hosts,
    subnet: cidr,
    exec(i, argv, spawnOptions = {}) {
      const { name } = host(i);
      if (open.has(handle) === false) throw new Error('TestNet: closed');
      if (argv.length === 0) throw new Error('TestNet.exec: empty argv');
      const child = spawn(IP!, ['netns', 'exec', name, ...argv], { ...spawnOptions, shell: false });
      children[i]!.push(child);
      return child;
    },
    pids: (i) => live(i).map((c) => c.pid!),
    async kill(i) {
      const list = live(i);
      for (const c of list) process.kill(c.pid!, 'SIGKILL');
      await Promise.all(list.map(exited));
    },
    stop: (i) => signal(i, 'SIGSTOP'),
    cont: (i) => signal(i, 'SIGCONT'),
    close() {
      closing ??= (async () => {
        const all = children.flat().filter(isRunning);
        for (const c of all) c.kill('SIGKILL');
        // Bounded: a process in uninterruptible sleep must not hang the suite; closeSync kills again by namespace.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.all(all.map(exited)), new Promise<void>((resolve) => (timer = setTimeout(resolve, 5_000)))]);
        clearTimeout(timer);
        closeSync();
      })();
      return closing;
    },
  };
}
