/**
 * Host identity: hostname, OS, kernel, architecture, uptime, virtualisation, container detection,
 * reboot-required and time sync. Only files that hold no secrets are read (never proc/1/environ or sched).
 */
import { join } from 'node:path';
import type { CollectorContext } from './context.js';
import type { CpuInfo } from './cpu.js';
import { readCpuInfo, readCpuStat } from './cpu.js';
import { epochSecToRfc3339, parseDecimal, pathExists, readLine, readText } from './read.js';

type Virtualization = 'kvm' | 'vmware' | 'xen' | 'hyperv' | 'none' | 'unknown';
type ContainerRuntime = 'docker' | 'podman' | 'kubernetes' | 'containerd' | 'lxc' | 'unknown';

interface OsRelease {
  name: string | null;
  version: string | null;
  prettyName: string | null;
  id: string | null;
  idLike: string[];
}

interface SystemInfo {
  hostname: string | null;
  os: OsRelease;
  kernel: string | null;
  arch: string | null;
  uptimeSec: number | null;
  /** RFC 3339 UTC. */
  bootedAt: string | null;
  virtualization: Virtualization;
  /** What the virtualization verdict rests on (e.g. "dmi: QEMU", "cpuinfo hypervisor flag"). */
  virtualizationEvidence: string | null;
  inContainer: boolean;
  containerRuntime: ContainerRuntime | null;
  /** What the container verdict rests on (e.g. "/.dockerenv", "proc/1/cgroup"). */
  containerEvidence: string | null;
  /** True when a reboot-required marker exists; false where the distro uses one and it is absent; else null. */
  rebootRequired: boolean | null;
  /** synced is null when no file tells (e.g. chrony, ntpd). */
  timeSync: { synced: boolean | null; source: string | null };
  warnings: string[];
}

/** Parses os-release (KEY=value, optionally quoted, with backslash escapes). */
export function parseOsRelease(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(raw.trim());
    if (!m) continue;
    let v = m[2]!.trim();
    const q = v[0];
    if ((q === '"' || q === "'") && v.length >= 2 && v.endsWith(q)) v = v.slice(1, -1);
    out.set(m[1]!, v.replace(/\\(.)/g, '$1'));
  }
  return out;
}

function readOsRelease(ctx: CollectorContext): OsRelease {
  const text = readText(join(ctx.root, 'etc/os-release'), 64 * 1024) ?? readText(join(ctx.root, 'usr/lib/os-release'), 64 * 1024);
  const kv = parseOsRelease(text ?? '');
  return {
    name: kv.get('NAME') ?? null,
    version: kv.get('VERSION') ?? kv.get('VERSION_ID') ?? null,
    prettyName: kv.get('PRETTY_NAME') ?? null,
    id: kv.get('ID') ?? null,
    idLike: (kv.get('ID_LIKE') ?? '').split(/\s+/).filter((s) => s !== ''),
  };
}

const NODE_ARCH_TO_UNAME: Record<string, string> = {
  x64: 'x86_64',
  arm64: 'aarch64',
  arm: 'armv7l',
  ia32: 'i686',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loongarch64',
  mips: 'mips',
  mipsel: 'mips',
};

/** uname-style architecture: proc/sys/kernel/arch, else (live host only) node's process.arch mapped. */
function readArch(ctx: CollectorContext): string | null {
  const a = readLine(join(ctx.root, 'proc/sys/kernel/arch'));
  if (a !== null) return a;
  return ctx.root === '/' ? (NODE_ARCH_TO_UNAME[process.arch] ?? process.arch) : null;
}

/** Uptime seconds from proc/uptime. */
function readUptimeSec(ctx: CollectorContext): number | null {
  const t = readLine(join(ctx.root, 'proc/uptime'));
  const n = parseDecimal(t?.split(/\s+/)[0]);
  return n !== null && n >= 0 ? n : null;
}

function dmi(ctx: CollectorContext, name: string): string | null {
  return readLine(join(ctx.root, 'sys/class/dmi/id', name));
}

/** Virtualisation from DMI strings, sys/hypervisor/type and the cpuinfo hypervisor flag. */
function detectVirtualization(ctx: CollectorContext, hypervisorFlag: boolean | null): { kind: Virtualization; evidence: string | null } {
  const vendor = dmi(ctx, 'sys_vendor');
  const product = dmi(ctx, 'product_name');
  const dmiText = [vendor, product].filter((s) => s !== null).join(' / ');
  if (dmiText !== '') {
    const ev = `dmi: ${dmiText}`;
    if (/QEMU|KVM|Amazon EC2|Google|OpenStack|oVirt|Red Hat/i.test(dmiText)) return { kind: 'kvm', evidence: ev };
    if (/VMware/i.test(dmiText)) return { kind: 'vmware', evidence: ev };
    if (/Xen/i.test(dmiText)) return { kind: 'xen', evidence: ev };
    if (/Microsoft/i.test(vendor ?? '') && /Virtual Machine/i.test(product ?? '')) return { kind: 'hyperv', evidence: ev };
  }
  const hv = readLine(join(ctx.root, 'sys/hypervisor/type'));
  if (hv === 'xen') return { kind: 'xen', evidence: 'sys/hypervisor/type: xen' };
  if (hypervisorFlag === true) return { kind: 'unknown', evidence: dmiText !== '' ? `cpuinfo hypervisor flag; dmi: ${dmiText}` : 'cpuinfo hypervisor flag; no DMI' };
  if (hypervisorFlag === false) return { kind: 'none', evidence: 'no cpuinfo hypervisor flag' };
  return { kind: 'unknown', evidence: dmiText !== '' ? `dmi: ${dmiText}` : null };
}

/** Container detection from marker files, proc/1/cgroup and an overlay root. */
function detectContainer(ctx: CollectorContext): { inContainer: boolean; runtime: ContainerRuntime | null; evidence: string | null } {
  if (pathExists(join(ctx.root, '.dockerenv'))) return { inContainer: true, runtime: 'docker', evidence: '/.dockerenv' };
  if (pathExists(join(ctx.root, 'run/.containerenv'))) return { inContainer: true, runtime: 'podman', evidence: '/run/.containerenv' };
  const cg = readText(join(ctx.root, 'proc/1/cgroup'), 64 * 1024) ?? '';
  const patterns: Array<[RegExp, ContainerRuntime]> = [
    [/kubepods/, 'kubernetes'],
    [/libpod/, 'podman'],
    [/docker/, 'docker'],
    [/containerd|cri-containerd/, 'containerd'],
    [/\/lxc[./]|lxc\.payload/, 'lxc'],
  ];
  for (const [re, rt] of patterns) if (re.test(cg)) return { inContainer: true, runtime: rt, evidence: 'proc/1/cgroup' };
  const mi = readText(join(ctx.root, 'proc/self/mountinfo'), 4 * 1024 * 1024) ?? '';
  if (/^\S+ \S+ \S+ \S+ \/ .* - overlay /m.test(mi)) return { inContainer: true, runtime: 'unknown', evidence: 'overlay root filesystem' };
  return { inContainer: false, runtime: null, evidence: null };
}

/** Debian/Ubuntu's reboot-required marker. */
function readRebootRequired(ctx: CollectorContext, os: OsRelease): boolean | null {
  if (pathExists(join(ctx.root, 'var/run/reboot-required')) || pathExists(join(ctx.root, 'run/reboot-required'))) return true;
  const family = [os.id ?? '', ...os.idLike];
  return family.some((f) => f === 'debian' || f === 'ubuntu') ? false : null;
}

/** systemd-timesyncd's marker files; null when no file tells. */
export function readTimeSync(ctx: CollectorContext): { synced: boolean | null; source: string | null } {
  if (pathExists(join(ctx.root, 'run/systemd/timesync/synchronized'))) return { synced: true, source: 'systemd-timesyncd' };
  if (pathExists(join(ctx.root, 'run/systemd/timesync'))) return { synced: false, source: 'systemd-timesyncd' };
  return { synced: null, source: null };
}

interface ReadSystemInfoOptions {
  /** Reuse an already-read cpuinfo (for the hypervisor flag). */
  cpuInfo?: CpuInfo;
}

/** Everything get_system_info needs about the host itself. Never throws. */
export function readSystemInfo(ctx: CollectorContext, opts: ReadSystemInfoOptions = {}): SystemInfo {
  const warnings: string[] = [];
  const hostname = readLine(join(ctx.root, 'proc/sys/kernel/hostname'));
  if (hostname === null) warnings.push('proc/sys/kernel/hostname: unreadable');
  const kernel = readLine(join(ctx.root, 'proc/sys/kernel/osrelease'));
  if (kernel === null) warnings.push('proc/sys/kernel/osrelease: unreadable');
  const os = readOsRelease(ctx);
  if (os.name === null && os.prettyName === null) warnings.push('os-release: unreadable or empty');
  const uptimeSec = readUptimeSec(ctx);
  const btime = readCpuStat(ctx).bootTimeSec;
  const bootedAt = btime !== null ? epochSecToRfc3339(btime) : uptimeSec !== null ? epochSecToRfc3339(Date.now() / 1000 - uptimeSec) : null;
  const cpu = opts.cpuInfo ?? readCpuInfo(ctx);
  const virt = detectVirtualization(ctx, cpu.hypervisorFlag);
  const container = detectContainer(ctx);
  return {
    hostname,
    os,
    kernel,
    arch: readArch(ctx),
    uptimeSec,
    bootedAt,
    virtualization: virt.kind,
    virtualizationEvidence: virt.evidence,
    inContainer: container.inContainer,
    containerRuntime: container.runtime,
    containerEvidence: container.evidence,
    rebootRequired: readRebootRequired(ctx, os),
    timeSync: readTimeSync(ctx),
    warnings,
  };
}
