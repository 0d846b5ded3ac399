/**
 * Which collectors can work on this host and, for each that cannot, why not
 * (systemd, journald, cgroups, PSI, /dev/kmsg, a container API socket,
 * other processes' fds). Everything is read from the collector root;
 * nothing is spawned.
 */
import { closeSync, constants, accessSync, openSync, readdirSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { detectCgroup } from './cgroup.js';
import type { CollectorContext } from './context.js';
import { readText } from './read.js';
import { systemdStatus } from './systemd.js';

/** Where to look: the host root and the configured journal directory and container socket (null = the usual places). */
interface CapabilityHost {
  collectors: CollectorContext;
  limits: { journalDirectory: string | null; containerSocket: string | null };
}

const CONTAINER_SOCKETS: readonly string[] = ['/var/run/docker.sock', '/run/docker.sock', '/run/podman/podman.sock'];
const JOURNAL_DIRS: readonly string[] = ['/var/log/journal', '/run/log/journal'];

/** The first PATH directory holding an executable `name`, or null (no spawn). */
export function findInPath(name: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return null;
}

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? String(e);
}

/** Counts *.journal files one level below a journal directory (machine-id subdirectories), bounded. */
function journalFiles(dir: string): number {
  let n = 0;
  const walk = (d: string, depth: number): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names.slice(0, 256)) {
      if (name.endsWith('.journal') || name.endsWith('.journal~')) n += 1;
      else if (depth < 1) walk(join(d, name), depth + 1);
    }
  };
  walk(dir, 0);
  return n;
}

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}

function kmsgStatus(root: string): { readable: boolean; reason: string | null } {
  try {
    const fd = openSync(join(root, 'dev/kmsg'), constants.O_RDONLY | constants.O_NONBLOCK);
    closeSync(fd);
    return { readable: true, reason: null };
  } catch (e) {
    return { readable: false, reason: `dev/kmsg cannot be opened (${errCode(e)}): get_kernel_events falls back to the journal's kernel messages` };
  }
}

export function readCapabilities(services: CapabilityHost): Record<string, unknown> {
  const ctx = services.collectors;
  const root = ctx.root;
  const systemd = systemdStatus(ctx);
  const systemctl = findInPath('systemctl');
  const journalctl = findInPath('journalctl');
  const configuredJournal = services.limits.journalDirectory;
  const journalDirs = configuredJournal ? [configuredJournal] : JOURNAL_DIRS;
  const files = journalDirs.reduce((sum, d) => sum + journalFiles(join(root, d)), 0);
  const journalReason = !journalctl
    ? 'journalctl is not installed (not in PATH)'
    : files === 0
      ? `no journal files under ${journalDirs.join(' or ')}${systemd.available ? '' : ' (systemd-journald does not run here: systemd is not PID 1)'}`
      : null;
  const cgroup = detectCgroup(ctx);
  const psiText = readText(join(root, 'proc/pressure/cpu'), 4096);
  const socketCandidates = services.limits.containerSocket ? [services.limits.containerSocket] : CONTAINER_SOCKETS;
  const socket = socketCandidates.find((p) => isSocket(join(root, p))) ?? null;
  let fdReadable = false;
  let fdReason: string | null = null;
  try {
    readdirSync(join(root, 'proc/1/fd'));
    fdReadable = true;
  } catch (e) {
    fdReason = `proc/1/fd cannot be read (${errCode(e)}): other users' open files and socket owners are hidden; run as root or with CAP_SYS_PTRACE`;
  }
  const euid = typeof process.geteuid === 'function' ? process.geteuid() : null;
  return {
    root,
    systemd: {
      available: systemd.available && systemctl !== null,
      pid1: systemd.pid1Comm,
      systemctlPath: systemctl,
      reason: systemd.reason ?? (systemctl === null ? 'systemctl is not installed (not in PATH)' : null),
      tools: ['list_services', 'get_service'],
    },
    journald: {
      available: journalReason === null,
      journalctlPath: journalctl,
      directories: journalDirs,
      journalFileCount: files,
      reason: journalReason,
      tools: ['search_logs', 'get_kernel_events', 'get_service (recentLogs)'],
    },
    cgroup: { mode: cgroup.mode, version: cgroup.mode === 'v2' ? 2 : cgroup.mode === 'none' ? null : 1, warnings: cgroup.warnings },
    psi: {
      available: psiText !== null && psiText.startsWith('some'),
      reason: psiText === null ? 'proc/pressure/cpu is not readable (kernel without CONFIG_PSI or psi=0)' : null,
    },
    kmsg: kmsgStatus(root),
    containers: {
      available: socket !== null,
      socket,
      checked: socketCandidates,
      reason: socket === null ? `no Docker/Podman API socket at ${socketCandidates.join(', ')}` : null,
      tools: ['list_containers', 'get_container_logs'],
    },
    processVisibility: {
      euid,
      otherProcessesFdsReadable: fdReadable,
      reason: fdReason,
    },
    note: 'Toolsets are chosen per server (--toolsets / HOSTLENS_TOOLSETS); tools/list shows the tools enabled on this connection.',
  };
}