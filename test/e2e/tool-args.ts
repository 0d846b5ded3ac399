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
};
