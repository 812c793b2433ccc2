#!/usr/bin/env bash
# A local Garnet cluster on loopback for Mmse (issue 14, docs/scaling.md):
#
#   deploy/garnet/cluster.sh up N        N primaries + 1 replica each, the 16384 slots split evenly
#   deploy/garnet/cluster.sh down        stops every node by its recorded pid, keeps the folder
#   deploy/garnet/cluster.sh status      one line per node: port, role, pid, alive
#   deploy/garnet/cluster.sh failover P  promotes the replica of the (dead) primary on port P
#   deploy/garnet/cluster.sh kill P      stops the node on port P only (SIGTERM, then SIGKILL)
#   deploy/garnet/cluster.sh crash P     kills the node on port P at once (SIGKILL: a crash drill)
#   deploy/garnet/cluster.sh endpoints   the primaries as garnet://127.0.0.1:P1,127.0.0.1:P2,...
#
# Environment: GARNET_DIR (data, logs and pids; default .garnet-cluster in the repo root),
# GARNET_PORT (first port; default 7100: primaries take PORT..PORT+N-1, replicas the next N),
# GARNET_MEMORY (main-log memory per node; default 2g).
#
# The server is the garnet-server .NET tool pinned in .config/dotnet-tools.json (restored
# here); redis-cli (Debian's redis-tools, installed by .ci/install) sends the set-up commands.
# Garnet has no automatic failover: a replica takes over when told to ('failover' below, which
# runs CLUSTER FAILOVER TAKEOVER on it); docs/scaling.md says why that is enough for the drills.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="${GARNET_DIR:-$root/.garnet-cluster}"
base="${GARNET_PORT:-7100}"

die() { echo "cluster.sh: $*" >&2; exit 2; }
say() { echo "cluster.sh: $(date +%T) $*" >&2; }
cli() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}"; }

server_dll() {
  local version packages
  version=$(grep -A1 '"garnet-server"' "$root/.config/dotnet-tools.json" | grep -Eo '[0-9]+\.[0-9]+\.[0-9]+')
  packages=$(dotnet nuget locals global-packages -l | sed 's/^global-packages: //')
  local dll="$packages/garnet-server/$version/tools/net10.0/any/GarnetServer.dll"
  if [[ ! -f "$dll" ]]; then
    (cd "$root" && dotnet tool restore >/dev/null) || die "dotnet tool restore failed (garnet-server $version)"
  fi
  [[ -f "$dll" ]] || die "garnet-server $version is not at $dll after 'dotnet tool restore'"
  echo "$dll"
}

# Runs the tool's dll under dotnet directly, not through 'dotnet tool run', so the pid we record
# is the server's own and 'down' stops exactly it.
start_node() {
  local port=$1 dll=$2 node="$dir/node-$1"
  mkdir -p "$node"
  nohup dotnet "$dll" --port "$port" --bind 127.0.0.1 --cluster --enable-vector-set-preview \
    --device-type RandomAccess --aof --storage-tier --memory "${GARNET_MEMORY:-2g}" --logdir "$node/data" --checkpointdir "$node/data" \
    --cluster-timeout 5 --gossip-delay 1 \
    >"$node/server.log" 2>&1 &
  echo $! >"$node/pid"
}

wait_ping() {
  local port=$1
  for _ in $(seq 1 300); do
    [[ "$(cli "$port" PING 2>/dev/null)" == "PONG" ]] && return 0
    sleep 0.1
  done
  die "node $port did not answer PING in 30 s; see $dir/node-$port/server.log"
}

node_id() { cli "$1" CLUSTER MYID; }

up() {
  local n=${1:-3}
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "up N: N must be a positive number, got '$n'"
  command -v redis-cli >/dev/null || die "redis-cli not found: run .ci/install (Debian package redis-tools)"
  if [[ -f "$dir/nodes" ]]; then
    for port in $(cat "$dir/nodes"); do
      if alive "$port"; then die "a cluster is already up in $dir (run 'down' first)"; fi
    done
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  local dll; dll=$(server_dll)
  local ports=()
  for ((i = 0; i < 2 * n; i++)); do ports+=($((base + i))); done
  echo "${ports[*]}" >"$dir/nodes"
  echo "$n" >"$dir/primaries"
  for port in "${ports[@]}"; do start_node "$port" "$dll"; done
  for port in "${ports[@]}"; do wait_ping "$port"; done
  say "$((2 * n)) nodes answer"

  # Slots: primary i owns [i*16384/n, (i+1)*16384/n - 1].
  for ((i = 0; i < n; i++)); do
    local lo=$((i * 16384 / n)) hi=$(((i + 1) * 16384 / n - 1))
    cli "${ports[$i]}" CLUSTER ADDSLOTSRANGE "$lo" "$hi" >/dev/null
  done
  for port in "${ports[@]:1}"; do cli "$port" CLUSTER MEET 127.0.0.1 "$base" >/dev/null; done
  # Each replica follows primary i once it has heard of it through gossip.
  for ((i = 0; i < n; i++)); do
    local primary=${ports[$i]} replica=${ports[$((n + i))]} id
    id=$(node_id "$primary")
    for _ in $(seq 1 300); do
      cli "$replica" CLUSTER NODES | grep -q "^$id " && break
      sleep 0.1
    done
    local answer
    for _ in $(seq 1 100); do
      answer=$(cli "$replica" CLUSTER REPLICATE "$id" 2>&1) && [[ "$answer" == OK ]] && break
      sleep 0.2
    done
    [[ "$answer" == OK ]] || die "replica $replica could not follow primary $primary: $answer"
  done
  say "replicas follow their primaries"
  # Ready when every node sees every slot served.
  for port in "${ports[@]}"; do
    for _ in $(seq 1 300); do
      cli "$port" CLUSTER INFO | grep -q 'cluster_state:ok' && break
      sleep 0.1
    done
    cli "$port" CLUSTER INFO | grep -q 'cluster_state:ok' || die "node $port never reached cluster_state:ok"
  done
  echo "garnet cluster up: $n primaries (${ports[*]:0:n}), $n replicas (${ports[*]:n}); data and logs in $dir"
  endpoints
}

alive() {
  local pidfile="$dir/node-$1/pid"
  [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

stop_node() {
  local port=$1 pidfile="$dir/node-$1/pid"
  [[ -f "$pidfile" ]] || return 0
  local pid; pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

down() {
  [[ -f "$dir/nodes" ]] || { echo "no cluster in $dir"; return 0; }
  for port in $(cat "$dir/nodes"); do stop_node "$port"; done
  echo "garnet cluster down (data and logs kept in $dir)"
}

status() {
  [[ -f "$dir/nodes" ]] || { echo "no cluster in $dir"; return 0; }
  for port in $(cat "$dir/nodes"); do
    local role="-" pid="-"
    [[ -f "$dir/node-$port/pid" ]] && pid=$(cat "$dir/node-$port/pid")
    if alive "$port"; then
      role=$(cli "$port" ROLE 2>/dev/null | head -1 || echo "?")
      echo "$port $role pid=$pid up"
    else
      echo "$port - pid=$pid down"
    fi
  done
}

endpoints() {
  [[ -f "$dir/nodes" ]] || die "no cluster in $dir"
  local n; n=$(cat "$dir/primaries")
  local list=()
  for port in $(cat "$dir/nodes" | tr ' ' '\n' | head -n "$n"); do list+=("127.0.0.1:$port"); done
  (IFS=,; echo "garnet://${list[*]}")
}

# Promotes the replica that follows the primary on port $1 (run after that primary died).
failover() {
  local dead=$1 n ports
  n=$(cat "$dir/primaries"); read -ra ports <"$dir/nodes"
  for ((i = 0; i < ${#ports[@]}; i++)); do
    if [[ "${ports[$i]}" == "$dead" ]]; then
      local replica=${ports[$(((i + n) % (2 * n)))]}
      cli "$replica" CLUSTER FAILOVER TAKEOVER
      return 0
    fi
  done
  die "no node on port $dead"
}

case "${1:-}" in
  up) up "${2:-3}" ;;
  down) down ;;
  status) status ;;
  endpoints) endpoints ;;
  kill) stop_node "${2:?kill PORT}" ;;
  crash)
    pidfile="$dir/node-${2:?crash PORT}/pid"
    [[ -f "$pidfile" ]] || die "no node on port $2"
    kill -9 "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
    ;;
  failover) failover "${2:?failover PORT}" ;;
  *) echo "usage: $0 up N | down | status | endpoints | kill PORT | crash PORT | failover PORT" >&2; exit 2 ;;
esac
