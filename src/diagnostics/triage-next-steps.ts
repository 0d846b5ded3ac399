/**
 * triage_host's nextSteps: the tool calls worth making after a sweep, derived from its findings.
 * A step may only name a tool the server serves, with arguments that tool accepts: the candidates
 * are checked against the tools the server actually serves (its enabled toolsets, passed in by the
 * server) and each step's arguments are parsed with that tool's own input schema, so list_sockets
 * (network toolset) appears exactly when that toolset is on.
 */
import type { z } from 'zod';
import type { Assessment } from '../contracts/assessment.js';

interface NextStep {
  tool: string;
  args: Record<string, unknown>;
  why: string;
}

/** Tool name → its input schema (strict zod object), for the tools the server actually serves. */
export type ServedTools = ReadonlyMap<string, z.ZodType>;

/** What the findings point at, gathered from the area readings. */
interface TriageHints {
  fullestMount: string | null;
  busiestDisk: string | null;
  worstFdPid: number | null;
  /** Directories find_space_hogs may walk (services.limits.scanRoots). */
  scanRoots: readonly string[];
}

function under(path: string, roots: readonly string[]): boolean {
  return roots.some((r) => path === r || path.startsWith(r.endsWith('/') ? r : `${r}/`));
}

type Candidate = [tool: string, args: Record<string, unknown>, why: string];

/** The calls one finding points at, most useful first. */
function candidates(f: Assessment, hints: TriageHints): Candidate[] {
  switch (f.code) {
    case 'cpu.busy':
    case 'load.per_cpu':
    case 'pressure.cpu':
      return [
        ['top_processes', { sortBy: 'cpu', limit: 10, windowSec: 2 }, 'find who is using the CPU over a fresh 2 s window'],
        ['get_cpu', { windowSec: 2, perCore: true }, 'see whether the load is spread or pinned to a few cores'],
      ];
    case 'cpu.iowait':
    case 'pressure.io':
    case 'disk.util':
    case 'disk.await':
      return [
        ['get_disk_io', hints.busiestDisk ? { devices: [hints.busiestDisk] } : {}, 'per-device utilisation, await and queue depth (iostat -x) of the busiest disk'],
        ['top_processes', { sortBy: 'cpu', limit: 10 }, 'tasks in state D (blocked) point at the processes waiting on I/O'],
      ];
    case 'cpu.steal':
      return [['get_cpu', { windowSec: 5 }, 'confirm sustained steal: the hypervisor is short of CPU for this guest']];
    case 'memory.available_low':
    case 'memory.swap_used':
    case 'memory.oom_kill':
    case 'pressure.memory':
      return [
        ['get_memory', {}, 'break memory down (cache, slab, shmem, swap activity, OOM kills, cgroup limit)'],
        ['top_processes', { sortBy: 'memory', limit: 10 }, 'find the largest resident processes'],
      ];
    case 'pressure.cgroup':
      return [['get_pressure', { topCgroups: 10 }, 'see which cgroups (services, containers) stall most and on what']];
    case 'filesystem.space':
    case 'filesystem.inodes': {
      const mount = hints.fullestMount;
      const out: Candidate[] = [['get_filesystems', mount ? { mount } : {}, 'check capacity and inodes of the fullest filesystem']];
      if (mount && under(mount, hints.scanRoots)) out.push(['find_space_hogs', { path: mount }, 'find the directories and deleted-but-open files that fill it']);
      return out;
    }
    case 'network.errors':
    case 'network.drops':
    case 'tcp.retrans':
    case 'tcp.listen_overflows':
    case 'conntrack.used':
      return [
        ['get_network', {}, 'per-interface errors and drops, TCP retransmissions, accept-queue overflows, conntrack'],
        ['list_sockets', {}, 'see which processes own the sockets (listeners, connections)'],
      ];
    case 'limits.fds':
    case 'limits.pids':
    case 'limits.threads':
    case 'limits.ephemeral_ports':
    case 'limits.cgroup_pids':
    case 'limits.process_fds': {
      const out: Candidate[] = [['get_limits', {}, 'which kernel table or per-process limit is running out, and the biggest fd holders']];
      if (f.code === 'limits.process_fds' && hints.worstFdPid !== null) out.push(['get_process', { pid: hints.worstFdPid }, 'inspect the process closest to its open-files limit']);
      return out;
    }
    default:
      return [];
  }
}

/**
 * Steps for findings ranked worst first: first the leading call of every finding (so each area with
 * a finding gets its own tool before any area gets a second one), then the follow-ups; at most `max`.
 */
export function suggestNextSteps(findings: Assessment[], hints: TriageHints, served: ServedTools, max = 8): NextStep[] {
  const steps: NextStep[] = [];
  const seen = new Set<string>();
  const add = ([tool, args, why]: Candidate): void => {
    const schema = served.get(tool);
    if (!schema || !schema.safeParse(args).success) return;
    const key = `${tool} ${JSON.stringify(args)}`;
    if (seen.has(key)) return;
    seen.add(key);
    steps.push({ tool, args, why });
  };
  const lists = findings.map((f) => candidates(f, hints));
  for (const list of lists) if (list[0]) add(list[0]);
  for (const list of lists) for (const c of list.slice(1)) add(c);
  if (steps.length === 0 && findings.length === 0) {
    add(['get_cpu', { windowSec: 5 }, 'nothing crossed a threshold; re-measure CPU over a longer window if the symptom is intermittent']);
    add(['top_processes', { sortBy: 'cpu', limit: 5 }, 'see the busiest processes anyway']);
  }
  return steps.slice(0, max);
}
