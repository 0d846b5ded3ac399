import { definePlaybook } from './playbook.js';

export const investigateNetworkPrompt = definePlaybook({
  name: 'investigate_network',
  title: 'Investigate network drops, retransmissions and connection limits',
  description: 'Playbook for network trouble: interface drops and errors, TCP retransmissions, listen (accept-queue) overflows, conntrack and ephemeral-port exhaustion, and who holds the sockets. Follows diag://runbooks/network-drops.',
  goal: 'Find out why connections fail, time out or are slow on this host, using the hostlens tools.',
  runbook: 'network-drops',
  steps: [
    'capture_snapshot with label "network: before".',
    'get_network with windowSec 5: interfaces[] rxDropsPerSec + txDropsPerSec (warning 10/s, critical 100/s), rxErrorsPerSec + txErrorsPerSec (warning 1/s), utilPct; tcp.retransPct (warning 2%, critical 5%), tcp.listenOverflowsPerSec and listenDropsPerSec (warning 1/s), resetsPerSec, timeWait, orphans; udp.rcvbufErrorsPerSec; conntrack.usedPct (warning 80%, critical 95%).',
    'get_limits: conntrack (count vs max) and ephemeralPorts.usedPct (an upper-bound estimate) — outbound connection exhaustion; fds.usedPct for EMFILE on accept.',
    'If enabled (network toolset): list_sockets with state "LISTEN" to find the listener behind overflows, and groupBy "remoteAddr" or "process" to see who holds the connections.',
    'get_cpu with perCore true: high softirqPct on one core = packet processing pinned to one CPU.',
    'If enabled (config toolset): get_sysctl with prefix "net.core." and "net.ipv4." for somaxconn, tcp_max_syn_backlog, netdev_max_backlog; "net.netfilter." for nf_conntrack_max.',
  ],
  conclude: 'Conclude: where packets or connections are lost (link, host stack, conntrack, accept queue, path), which process or listener is involved, with per-second rates and % over the stated window; and the safe remediation from the runbook.',
});
