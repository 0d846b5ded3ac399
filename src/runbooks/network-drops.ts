/** Runbook diag://runbooks/network-drops (markdown). */
export const networkDrops = `# Runbook: network drops and retransmissions

**Symptoms:** timeouts, connection resets, slow transfers, \`network.drops\`, \`network.errors\`, \`tcp.retrans\`, \`tcp.listen_overflows\` or \`conntrack.used\` findings.

## Check (hostlens)
1. \`get_network\` with \`windowSec: 5\`:
   - \`interfaces[].rxDropsPerSec + txDropsPerSec\` ≥ 10/s warning, ≥ 100/s critical; \`rxErrorsPerSec + txErrorsPerSec\` ≥ 1/s warning (bad cable, NIC, driver).
   - \`interfaces[].utilPct\` near 100 %: the link is saturated (\`speedMbps\` known only for physical NICs).
   - \`tcp.retransPct\` ≥ 2 % warning, ≥ 5 % critical: loss or congestion on the path.
   - \`tcp.listenOverflowsPerSec\` ≥ 1/s warning: an accept queue is full — the application does not accept connections fast enough.
   - \`tcp.timeWait\`, \`tcp.orphans\`, \`tcp.resetsPerSec\`: connection churn.
   - \`udp.rcvbufErrorsPerSec\` > 0: a UDP receiver cannot keep up (DNS, syslog, metrics).
   - \`conntrack.usedPct\` ≥ 80 % warning, ≥ 95 % critical: at 100 % new connections are dropped ("nf_conntrack: table full").
2. \`get_limits\`: \`ephemeralPorts.usedPct\` (an upper-bound estimate) and \`conntrack\` — outbound connection exhaustion.
3. If enabled (network toolset): \`list_sockets\` with \`state: "LISTEN"\` or \`groupBy: "remoteAddr"\`: who holds the connections.
4. \`get_sysctl\` (config toolset, if enabled) with prefixes \`net.core.\` and \`net.ipv4.\`: \`somaxconn\`, \`tcp_max_syn_backlog\`, \`netdev_max_backlog\`, \`nf_conntrack_max\`.
5. \`get_cpu\`: high \`softirqPct\` on one core = packet processing pinned to one CPU.

## Interpret
- Drops with low utilisation: ring buffer or softirq budget (CPU) rather than bandwidth.
- Retransmissions with clean local counters: the loss is on the path (switch, provider, peer).
- Listen overflows: the application is slow or its backlog is too small — more capacity, not a network fix.

## Safe remediation (for a human)
- Raise \`net.netfilter.nf_conntrack_max\` (and hashsize) when conntrack is full; reduce connection churn (keep-alive, pooling).
- Raise the application's listen backlog together with \`net.core.somaxconn\`, or add workers.
- Replace a faulty cable/NIC/port when error counters climb; check the switch side too.
- Change sysctls persistently only after testing; record the old value first.
`;
