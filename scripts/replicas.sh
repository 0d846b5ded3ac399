#!/usr/bin/env bash
# Runs N hostlens replicas on this machine behind nginx (round-robin, deploy/nginx/hostlens.conf)
# with one redis-server as their shared session store, in the foreground. Ctrl-C or SIGTERM stops
# every process it started, by PID; so does any one of them exiting.
#
#   scripts/replicas.sh [-n N] [--listen ADDR:PORT] [--base-port PORT] [--redis-port PORT] [-- serve options...]
#     -n N           replicas (default 3)
#     --listen       where nginx listens (default 127.0.0.1:8765, hostlens's own default address)
#     --base-port    replica i listens on 127.0.0.1:(base-port + i), i = 1..N (default 8765)
#     --redis-port   redis-server's loopback port (default 6380, beside a system Redis on 6379)
#     -- …           passed to every `hostlens serve`, e.g. -- --toolsets all --allowed-host diag.example.internal
#
# Needs redis-server, nginx (scripts/test-deps.sh installs both on Debian), curl and node.
# Behind nginx every connection comes from nginx, so auth must be on: without HOSTLENS_AUTH,
# HOSTLENS_AUTH_TOKEN(_FILE) or --auth-token-file a token is generated into the run directory.
# Redis gets a random password (in a 0600 config file) and the replicas get the store URL through
# HOSTLENS_STORE, so neither appears on a command line.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
n=3
listen=127.0.0.1:8765
base_port=8765
redis_port=6380
while [ $# -gt 0 ]; do
  case "$1" in
    -n) n=$2; shift 2 ;;
    --listen) listen=$2; shift 2 ;;
    --base-port) base_port=$2; shift 2 ;;
    --redis-port) redis_port=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "replicas: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ $n =~ ^[1-9][0-9]?$ ]] || { echo "replicas: -n must be 1..99" >&2; exit 2; }

nginx_bin=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true)
for tool in redis-server curl node; do
  command -v "$tool" >/dev/null 2>&1 || { echo "replicas: $tool is not installed (scripts/test-deps.sh)" >&2; exit 1; }
done
[ -n "$nginx_bin" ] || { echo "replicas: nginx is not installed (scripts/test-deps.sh)" >&2; exit 1; }

# The built entry when there is one (what users run), else the source through tsx.
if [ -f "$repo/dist/app/cli.js" ]; then entry=("$repo/dist/app/cli.js"); else entry=(--import tsx "$repo/src/app/cli.ts"); fi

run=$(mktemp -d "${TMPDIR:-/tmp}/hostlens-replicas.XXXXXX")
# nginx started as root runs its workers as nobody: they must be able to enter the prefix.
chmod 755 "$run"
mkdir -p "$run/nginx/tmp"

redis_pid=''
nginx_pid=''
nginx_workers=()
replica_pids=()

stop_all() {
  trap - INT TERM EXIT
  echo "replicas: stopping" >&2
  if [ -n "$nginx_pid" ]; then
    mapfile -t nginx_workers < <(pgrep -P "$nginx_pid" || true)
    kill -QUIT "$nginx_pid" 2>/dev/null || true
  fi
  for pid in "${replica_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # Replicas drain in-flight calls (shutdownGraceSec, 10 s by default); then anything left is killed.
  for _ in $(seq 1 120); do
    alive=0
    for pid in "${replica_pids[@]}" $nginx_pid; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${replica_pids[@]}" $nginx_pid "${nginx_workers[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  if [ -n "$redis_pid" ]; then
    kill -TERM "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
  # The secrets die with the run; the logs stay for a look afterwards.
  rm -f "$run/redis.conf" "$run/token"
  echo "replicas: stopped; logs kept in $run" >&2
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap stop_all EXIT

# Redis: loopback only, no persistence, a password from a file only this user reads.
password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
( umask 077; printf 'port %s\nbind 127.0.0.1\nprotected-mode yes\nsave ""\nappendonly no\nrequirepass %s\n' "$redis_port" "$password" > "$run/redis.conf" )
redis-server "$run/redis.conf" > "$run/redis.log" 2>&1 &
redis_pid=$!
export HOSTLENS_STORE="redis://:$password@127.0.0.1:$redis_port"

auth_args=()
if [ -z "${HOSTLENS_AUTH:-}${HOSTLENS_AUTH_TOKEN:-}${HOSTLENS_AUTH_TOKEN_FILE:-}" ] && [[ " $* " != *" --auth-token-file "* ]]; then
  ( umask 077; head -c 32 /dev/urandom | base64 | tr -d '\n=' > "$run/token" )
  auth_args=(--auth-token-file "$run/token")
  echo "replicas: bearer token generated: export TOKEN=\$(cat $run/token)" >&2
fi

ports=()
for i in $(seq 1 "$n"); do
  port=$((base_port + i))
  ports+=("$port")
  ( cd "$repo" && exec node "${entry[@]}" serve --port "$port" "${auth_args[@]}" "$@" ) > "$run/replica-$i.log" 2>&1 &
  replica_pids+=($!)
done

for i in "${!ports[@]}"; do
  port=${ports[$i]}
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
    kill -0 "${replica_pids[$i]}" 2>/dev/null || { echo "replicas: replica on $port exited:" >&2; tail -n 5 "$run/replica-$((i + 1)).log" >&2; exit 1; }
    sleep 0.1
  done
done

upstreams=''
for port in "${ports[@]}"; do upstreams+="        server 127.0.0.1:$port max_fails=1 fail_timeout=5s;\n"; done
awk -v listen="$listen" -v prefix="$run/nginx" -v ups="$upstreams" '
  $1 == "[{][{]UPSTREAMS[}][}]" || $1 == "{{UPSTREAMS}}" { printf "%s", ups; next }
  { gsub(/[{][{]LISTEN[}][}]/, listen); gsub(/[{][{]PREFIX[}][}]/, prefix); print }
' "$repo/deploy/nginx/hostlens.conf" > "$run/nginx/nginx.conf"
"$nginx_bin" -p "$run/nginx" -c "$run/nginx/nginx.conf" -e "$run/nginx/error.log" -g 'daemon off;' &
nginx_pid=$!

for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "http://$listen/healthz" 2>/dev/null && break
  kill -0 "$nginx_pid" 2>/dev/null || { echo "replicas: nginx exited:" >&2; cat "$run/nginx/error.log" >&2; exit 1; }
  sleep 0.1
done

echo "replicas: http://$listen/mcp → ${ports[*]/#/127.0.0.1:} (Redis on 127.0.0.1:$redis_port); logs in $run; Ctrl-C stops all" >&2
# Foreground until one of them exits or a signal arrives.
wait -n "$redis_pid" "$nginx_pid" "${replica_pids[@]}" || true
echo "replicas: a process exited; stopping the rest" >&2
exit 1
