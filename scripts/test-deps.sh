#!/usr/bin/env bash
# Installs the Debian packages the test suite drives for real (run as root on a
# fresh Debian machine; a no-op when everything is already there):
#   systemd-journal-remote, systemd  real journal files and journalctl for the logs tests
#   podman                           a real Podman API service for the live containers test
#   util-linux                       runuser/setpriv (a second local user), flock
#   procps, coreutils, curl          ps, timeout, raw HTTP probes
#   python3                          a child that segfaults for the live kernel-events test
#   redis-server (brings redis-cli)  the shared session store the cluster tests and bench run replicas against
#   nginx                            the round-robin proxy in front of those replicas (deploy/nginx/hostlens.conf)
#   iproute2                         ip netns and veth pairs: the network namespaces the fleet tests run nodes in
#   prometheus                       a real PromQL HTTP API for the Prometheus client tests
#   prometheus-node-exporter         the exporter that Prometheus scrapes there, reading a recorded host tree
# (the tests start their own redis-server, nginx, prometheus and node_exporter on free loopback ports;
# the packages' services are not used)
set -euo pipefail

need=()
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v flock >/dev/null 2>&1 || need+=(util-linux)
command -v runuser >/dev/null 2>&1 || need+=(util-linux)
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)
command -v timeout >/dev/null 2>&1 || need+=(coreutils)
command -v ps >/dev/null 2>&1 || need+=(procps)
[ -x /lib/systemd/systemd-journal-remote ] || [ -x /usr/lib/systemd/systemd-journal-remote ] || need+=(systemd-journal-remote)
command -v journalctl >/dev/null 2>&1 || need+=(systemd)
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-server)
# Debian puts nginx in /usr/sbin, which a non-root PATH may lack.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
# Debian puts ip in /usr/sbin (/sbin before the /usr merge) too.
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || need+=(iproute2)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v prometheus-node-exporter >/dev/null 2>&1 || [ -x /usr/bin/prometheus-node-exporter ] || need+=(prometheus-node-exporter)

if [ ${#need[@]} -gt 0 ]; then
  mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
  if [ "$(id -u)" -ne 0 ]; then
    echo "test-deps: missing ${need[*]}; run this script as root (it uses apt-get)" >&2
    exit 1
  fi
  echo "test-deps: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # The packages' own services (redis on 6379, nginx on 80, prometheus on 9090, node_exporter on 9100) are not started: the tests start their own
  # on free loopback ports. policy-rc.d answering 101 is Debian's way to deny invoke-rc.d during an install.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Node.js itself is a prerequisite, not installed here (Debian 12's nodejs is 18 and comes without npm):
# say so now rather than let npm ci or the tests fail later in odd ways.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ] || ! command -v npm >/dev/null 2>&1; then
  echo "test-deps: Node.js >= 20 with npm is needed (found node $(node --version 2>/dev/null || echo none), npm $(npm --version 2>/dev/null || echo none)); install it first" >&2
  exit 1
fi
