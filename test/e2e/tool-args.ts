/**
 * The smallest valid arguments for each tool, for the catalogue-wide e2e test
 * (every tool of every toolset is called with these and its structuredContent
 * validated against its outputSchema). A tool that needs no arguments is not
 * listed. `serverPid` is the pid of the hostlens process under test.
 */
export interface ArgsContext {
  serverPid: number;
}

export const MINIMAL_ARGS: Record<string, (ctx: ArgsContext) => Record<string, unknown>> = {
  get_sysctl: () => ({ prefix: 'vm.' }),
  diff_snapshots: () => ({ a: 'latest', b: 'latest' }), // capture_snapshot (core) is called earlier in the same run
  detect_anomalies: () => ({ window: { since: '-1m' } }),
  get_cgroup: ({ serverPid }) => ({ target: { pid: serverPid } }),
  find_space_hogs: () => ({ path: '/tmp' }),
  get_process: ({ serverPid }) => ({ pid: serverPid }),
  get_service: () => ({ unit: 'ssh.service' }), // systemd is not PID 1 here: available:false, not an error
  read_log_file: () => ({ path: '/var/log/dpkg.log', lines: 20 }),
  get_config: () => ({ path: '/etc/hostname' }),
  get_container_logs: () => ({ container: 'web' }), // no engine on this machine: available:false, not an error
};
