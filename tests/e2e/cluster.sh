#!/usr/bin/env bash
# End-to-end test: does the setup `flycluster init` writes really form an Erlang cluster on a
# Fly-like private IPv6 network? See tests/e2e/README.md.
#
# usage: tests/e2e/cluster.sh [--strategy dns_cluster|libcluster] [--database fly|external]
#                              [--image-ref REF] [--break-ipv6] [--break-basename] [--timeout SECS]
#                              [--verify DIR] [--keep-work] [FLYCLUSTER]
#
#   FLYCLUSTER      the binary under test (default: target/debug/flycluster, built with `cargo build`)
#   --strategy      dns_cluster (default: `flycluster init` without --strategy) or libcluster
#                   (`flycluster init --strategy libcluster`, run against the libcluster stand-in)
#   --database      passed to `flycluster init` (default: none given, so init's default, fly); with
#                   external no ECTO_IPV6 may reach the machines and the Repo must connect over
#                   IPv4 (socket_options []), with fly it must be [:inet6]
#   --image-ref     FLY_IMAGE_REF of the machines (default registry.fly.io/hello-elixir:deployment-01HXYZ)
#   --break-ipv6    negative control: remove `-proto_dist inet6_tcp` from the generated rel/env.sh.eex
#                   and Dockerfile; the nodes must then be reported NOT connected (exit 1)
#   --break-basename  libcluster negative control: replace the generated, runtime-derived
#                   `node_basename:` in config/runtime.exs by the fixed "hello-elixir"; the nodes must
#                   then be reported NOT connected (exit 1)
#   --timeout       how long to wait for the cluster to form (default and maximum 60 s)
#   --verify DIR    once the cluster formed, run `flycluster verify` against the machines through
#                   the stand-in fly of tests/support/fly, in five cases (see tests/e2e/README.md);
#                   each case's JSON (CASE.json), text (CASE.txt), exit status (CASE.rc), wall
#                   time (CASE.time) and the stand-in's call log (CASE.calls) go to DIR
#   --keep-work     keep the temporary project and logs (namespaces and processes are always removed)
#
# Exit status: 0 the three nodes clustered and the fourth (other cookie) stayed isolated;
# 1 they did not (or flycluster's output did not build, boot or name the nodes validly);
# 2 the test itself could not run (not root, a tool missing, namespaces or DNS not working).
#
# Needs root (network namespaces), iproute2, dnsmasq (dnsmasq-base), Elixir with mix, python3.
# Touches nothing of the host's network: every interface, address and route lives in namespaces
# this script creates and deletes.
set -Eeuo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

APP=hello-elixir
OTP_APP=hello_elixir
STRATEGY=dns_cluster
DATABASE=""
IMAGE_REF=registry.fly.io/hello-elixir:deployment-01HXYZ
BREAK_IPV6=0
BREAK_BASENAME=0
TIMEOUT=60
KEEP_WORK=0
VERIFY_DIR=""
BIN=""

while [ $# -gt 0 ]; do
  case "$1" in
    --image-ref) IMAGE_REF="$2"; shift 2 ;;
    --image-ref=*) IMAGE_REF="${1#*=}"; shift ;;
    --strategy) STRATEGY="$2"; shift 2 ;;
    --strategy=*) STRATEGY="${1#*=}"; shift ;;
    --break-ipv6) BREAK_IPV6=1; shift ;;
    --break-basename) BREAK_BASENAME=1; shift ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    --timeout=*) TIMEOUT="${1#*=}"; shift ;;
    --verify) VERIFY_DIR="$2"; shift 2 ;;
    --verify=*) VERIFY_DIR="${1#*=}"; shift ;;
    --keep-work) KEEP_WORK=1; shift ;;
    --database) DATABASE="$2"; shift 2 ;;
    --database=*) DATABASE="${1#*=}"; shift ;;
    -h|--help) sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "cluster.sh: unknown option $1" >&2; exit 2 ;;
    *) BIN="$1"; shift ;;
  esac
done

say() { printf 'e2e: %s\n' "$*"; }
# die STATUS MESSAGE: 1 = the setup under test failed, 2 = the test could not run.
die() {
  local status="$1"
  shift
  printf 'e2e: %s: %s\n' "$([ "$status" = 1 ] && echo FAILED || echo ERROR)" "$*" >&2
  exit "$status"
}

case "$TIMEOUT" in '' | *[!0-9]*) die 2 "--timeout wants whole seconds" ;; esac
[ "$TIMEOUT" -le 60 ] || die 2 "--timeout is at most 60 seconds"
# Per strategy: the flags given to `flycluster init`, the dependency replaced by a stand-in of this
# folder, the environment variable naming the stand-in's status file, and what the messages call it.
case "$STRATEGY" in
  dns_cluster)
    INIT_FLAGS=()
    STUB_DEP=dns_cluster STUB_DIR=dns_cluster_stub STATUS_VAR=DNS_CLUSTER_STUB_STATUS
    STUB_NAME="DNSCluster"
    ;;
  libcluster)
    INIT_FLAGS=(--strategy libcluster)
    STUB_DEP=libcluster STUB_DIR=libcluster_stub STATUS_VAR=LIBCLUSTER_STUB_STATUS
    STUB_NAME="libcluster's DNSPoll"
    ;;
  *) die 2 "--strategy is dns_cluster or libcluster, not '$STRATEGY'" ;;
esac
[ "$BREAK_BASENAME" = 0 ] || [ "$STRATEGY" = libcluster ] || die 2 "--break-basename needs --strategy libcluster"
if [ -n "$VERIFY_DIR" ]; then
  if [ "$STRATEGY" != dns_cluster ] || [ "$BREAK_IPV6" != 0 ]; then
    die 2 "--verify goes with the dns_cluster strategy and no --break-* control"
  fi
  mkdir -p "$VERIFY_DIR" || die 2 "cannot create $VERIFY_DIR"
  VERIFY_DIR="$(cd "$VERIFY_DIR" && pwd)"
fi
case "$DATABASE" in
  "") ;;
  fly | external) INIT_FLAGS+=(--database "$DATABASE") ;;
  *) die 2 "--database is fly or external, not '$DATABASE'" ;;
esac

# ---------------------------------------------------------------------------------------------
# State for cleanup: every process by PID, every namespace and file this run creates.
RUN_ID="fce2e$$"
NS_BR="$RUN_ID-br"
PIDS=()
NAMESPACES=()
NETNS_DIRS=()
CREATED_ETC_NETNS=0
WORK=""

# shellcheck disable=SC2317  # invoked through the EXIT trap
cleanup() {
  local status=$?
  set +e
  trap - EXIT INT TERM ERR
  local pid ns i
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for i in $(seq 50); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  for ns in "${NAMESPACES[@]}"; do
    # Whatever still runs inside a namespace of ours was started by this run (an rpc node cut
    # short, a port program): end it by PID before deleting the namespace.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
  done
  for ns in "${NAMESPACES[@]}"; do
    ip -n "$ns" link del br0 2>/dev/null
    ip netns del "$ns" 2>/dev/null || echo "e2e: warning: could not delete namespace $ns" >&2
  done
  for dir in "${NETNS_DIRS[@]}"; do rm -rf "$dir"; done
  if [ "$CREATED_ETC_NETNS" = 1 ]; then rmdir /etc/netns 2>/dev/null; fi
  if [ -n "$WORK" ]; then
    if [ "$KEEP_WORK" = 1 ]; then echo "e2e: kept $WORK" >&2; else rm -rf "$WORK"; fi
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'die 2 "unexpected failure (status $?) at line $LINENO: $BASH_COMMAND"' ERR

# ---------------------------------------------------------------------------------------------
# Preconditions
[ "$(id -u)" = 0 ] || die 2 "needs root (network namespaces); CI runs as root"
for tool in ip dnsmasq elixir mix epmd python3 timeout; do
  command -v "$tool" >/dev/null || die 2 "\`$tool\` is not installed (apt-get install -y iproute2 dnsmasq-base elixir python3)"
done
if [ -z "$BIN" ]; then
  BIN="$ROOT/target/debug/flycluster"
  if command -v cargo >/dev/null; then
    say "cargo build"
    (cd "$ROOT" && cargo build -q) || die 2 "cargo build failed"
  else
    say "no cargo on PATH: using $BIN as it is"
  fi
fi
[ -x "$BIN" ] || die 2 "no flycluster binary at $BIN"
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/flycluster-e2e.XXXXXX")"
chmod 755 "$WORK"
mkdir -p "$WORK/home"
T0=$SECONDS

# ---------------------------------------------------------------------------------------------
# 1. The project: a copy of examples/hello_elixir, set up by the binary under test.
PROJ="$WORK/$OTP_APP"
cp -R "$ROOT/examples/hello_elixir" "$PROJ"
say "flycluster init --yes --app $APP${INIT_FLAGS[*]:+ ${INIT_FLAGS[*]}} (binary: $BIN)"
if "$BIN" init --yes --app "$APP" "${INIT_FLAGS[@]}" "$PROJ" </dev/null >"$WORK/init.log" 2>&1; then
  init_status=0
else
  init_status=$?
fi
if [ "$init_status" != 0 ]; then
  cat "$WORK/init.log" >&2
  die 1 "flycluster init exited $init_status"
fi
sed -n '/^ *\(created\|updated\|unchanged\|skipped\|manual\) /p' "$WORK/init.log" | sed 's/^/e2e:   /'

if [ "$STRATEGY" = libcluster ]; then
  # The libcluster setup clusters with libcluster alone: a dns_cluster next to it would be a second
  # discovery mechanism (and, with no stand-in for it here, would not build).
  if grep -q ':dns_cluster\b' "$PROJ/mix.exs" || grep -q 'DNSCluster' "$PROJ/lib/$OTP_APP/application.ex"; then
    die 1 "init --strategy libcluster also added dns_cluster (mix.exs or application.ex)"
  fi
fi

if [ "$BREAK_IPV6" = 1 ]; then
  say "negative control: removing -proto_dist inet6_tcp from rel/env.sh.eex and Dockerfile"
  python3 "$HERE/fly_project.py" break-ipv6 "$PROJ/rel/env.sh.eex" "$PROJ/Dockerfile" \
    || die 1 "the generated files have no -proto_dist inet6_tcp to remove"
fi
if [ "$BREAK_BASENAME" = 1 ]; then
  say "negative control: replacing the generated node_basename in config/runtime.exs by the fixed \"$APP\""
  python3 "$HERE/fly_project.py" break-basename "$PROJ/config/runtime.exs" "$APP" | sed 's/^/e2e:   /' \
    || die 1 "config/runtime.exs has no one-line node_basename to replace"
fi

# What a Fly machine gets from the image (the Dockerfile's final stage ENV) and from fly.toml [env].
python3 "$HERE/fly_project.py" machine-env "$PROJ/Dockerfile" "$PROJ/fly.toml" >"$WORK/machine.env" \
  || die 1 "cannot read the machine environment from the generated Dockerfile and fly.toml"
MACHINE_ENV=()
while IFS= read -r -d '' kv; do MACHINE_ENV+=("$kv"); done <"$WORK/machine.env"
say "image + fly.toml env: ${MACHINE_ENV[*]}"
if [ "$DATABASE" = external ]; then
  for kv in "${MACHINE_ENV[@]}"; do
    case "$kv" in ECTO_IPV6=*) die 1 "--database external, but the image or fly.toml sets $kv" ;; esac
  done
fi

# Offline stand-ins: hex packages cannot be fetched. dns_cluster (or libcluster) becomes a path
# dependency on our stand-in of it; every other dependency goes, and the app's Phoenix/Ecto/telemetry
# children become the small local modules of app_stand_ins/. The generated rel/env.sh.eex,
# runtime.exs and application.ex stay exactly as flycluster wrote them.
mkdir -p "$PROJ/e2e_deps"
cp -R "$HERE/$STUB_DIR" "$PROJ/e2e_deps/$STUB_DEP"
python3 "$HERE/fly_project.py" offline-deps "$PROJ/mix.exs" "$STUB_DEP" "e2e_deps/$STUB_DEP" \
  || die 1 "mix.exs: no usable $STUB_DEP dependency"
cp "$HERE/app_stand_ins/stand_ins.ex" "$PROJ/lib/e2e_stand_ins.ex"
# The example project has no config/prod.exs, which config.exs imports.
[ -e "$PROJ/config/prod.exs" ] || printf 'import Config\n' >"$PROJ/config/prod.exs"

say "MIX_ENV=prod mix release"
T_BUILD=$SECONDS
if ! (cd "$PROJ" && env HOME="$WORK/home" MIX_ENV=prod mix release --overwrite) >"$WORK/build.log" 2>&1; then
  cat "$WORK/build.log" >&2
  die 1 "MIX_ENV=prod mix release failed on the generated project"
fi
REL="$PROJ/_build/prod/rel/$OTP_APP"
say "release built in $((SECONDS - T_BUILD)) s"

# ---------------------------------------------------------------------------------------------
# 2. The network: a bridge in a namespace of its own, one namespace per node on it, fdaa::/16
#    addresses as on Fly's private network, and a DNS server at fdaa::3 (Fly's resolver address).
DNS_IP="fdaa::3"
NODE_IPS=(
  "fdaa:0:1da8:a7b:ac2:f901:4bf7:2"
  "fdaa:0:1da8:a7b:ac4:eb41:19d3:2"
  "fdaa:0:1da8:a7b:ab2:a8e:6666:2"
  "fdaa:0:1da8:a7b:ac2:cdf6:c422:2"
)
NODES=(1 2 3 4)

netns_add() {
  ip netns add "$1" || die 2 "ip netns add $1 failed (network namespaces unavailable?)"
  NAMESPACES+=("$1")
  ip -n "$1" link set lo up
}

[ -d /etc/netns ] || { mkdir /etc/netns; CREATED_ETC_NETNS=1; }
netns_add "$NS_BR"
ip -n "$NS_BR" link add br0 type bridge forward_delay 0
ip -n "$NS_BR" addr add "$DNS_IP/16" dev br0 nodad
ip -n "$NS_BR" link set br0 up
for i in "${NODES[@]}"; do
  ns="$RUN_ID-n$i"
  netns_add "$ns"
  # The veth pair is made inside the bridge namespace and its peer moved straight into the node's:
  # the host never sees either end.
  ip -n "$NS_BR" link add "n$i" type veth peer name eth0 netns "$ns"
  ip -n "$NS_BR" link set "n$i" master br0 up
  ip -n "$ns" addr add "${NODE_IPS[$((i - 1))]}/16" dev eth0 nodad
  ip -n "$ns" link set eth0 up
  mkdir -p "/etc/netns/$ns"
  NETNS_DIRS+=("/etc/netns/$ns")
  printf 'nameserver %s\n' "$DNS_IP" >"/etc/netns/$ns/resolv.conf"
done

# dnsmasq answers AAAA for APP.internal with every machine's address (the isolated 4th included:
# it is in the same app, only its cookie differs), and nothing else. The addresses are in a hosts
# file that dnsmasq reads again on SIGHUP, so a machine can leave the answer as a stopped one does.
for ip6 in "${NODE_IPS[@]}"; do printf '%s %s\n' "$ip6" "$APP.internal"; done >"$WORK/dns.hosts"
DNSMASQ_ARGS=(--keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts
  --addn-hosts="$WORK/dns.hosts" --listen-address="$DNS_IP" --bind-interfaces --local=/internal/
  --pid-file="$WORK/dnsmasq.pid" --log-facility=- --log-queries)
ip netns exec "$NS_BR" dnsmasq "${DNSMASQ_ARGS[@]}" >"$WORK/dnsmasq.log" 2>&1 </dev/null &
DNSMASQ_PID=$!
PIDS+=($!)
for _ in $(seq 50); do
  [ -n "$(ip netns exec "$NS_BR" ss -H -lun "sport = :53" 2>/dev/null)" ] && break
  kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$WORK/dnsmasq.log" >&2; die 2 "dnsmasq exited"; }
  sleep 0.1
done
[ -n "$(ip netns exec "$NS_BR" ss -H -lun "sport = :53")" ] || die 2 "dnsmasq is not listening on [$DNS_IP]:53"

# ---------------------------------------------------------------------------------------------
# 3. The machines. Each gets what a Fly machine has: the image's ENV, fly.toml's [env], the FLY_*
#    variables and the app's secrets (RELEASE_COOKIE, and the two runtime.exs insists on).
COOKIE="$("$BIN" cookie)" || die 1 "flycluster cookie failed"
OTHER_COOKIE="$("$BIN" cookie)" || die 1 "flycluster cookie failed"
if [ -z "$COOKIE" ] || [ "$COOKIE" = "$OTHER_COOKIE" ]; then die 1 "flycluster cookie gave no fresh cookie"; fi
SECRET_KEY_BASE="$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')"
IMAGE_LABEL="${IMAGE_REF##*:}"
case "$IMAGE_LABEL" in */*) IMAGE_LABEL="latest" ;; esac

# Per machine, for the verify cases: another image ref (a second deploy), or an image without the
# IPv6 flag (no ERL_AFLAGS from the Dockerfile; its release is a copy whose env.sh lacks the flag).
declare -A NODE_IMAGE_REF NODE_WITHOUT_IPV6 NODE_REL
node_env() { # node_env I: the environment of machine I, one KEY=VALUE per word
  local i="$1" cookie="$COOKIE" kv image_env=()
  [ "$i" = 4 ] && cookie="$OTHER_COOKIE"
  for kv in "${MACHINE_ENV[@]}"; do
    [ "${NODE_WITHOUT_IPV6[$i]:-0}" = 1 ] && [[ $kv == ERL_AFLAGS=* ]] && continue
    image_env+=("$kv")
  done
  NODE_ENV=(
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    HOME="$WORK/home"
    "${image_env[@]}"
    FLY_APP_NAME="$APP"
    FLY_IMAGE_REF="${NODE_IMAGE_REF[$i]:-$IMAGE_REF}"
    FLY_PRIVATE_IP="${NODE_IPS[$((i - 1))]}"
    FLY_MACHINE_ID="e2e0000000000$i"
    FLY_REGION=sea
    PRIMARY_REGION=sea
    RELEASE_COOKIE="$cookie"
    DATABASE_URL="ecto://postgres:postgres@localhost/hello_elixir"
    SECRET_KEY_BASE="$SECRET_KEY_BASE"
    PHX_SERVER=true
    "$STATUS_VAR=$WORK/n$i.status"
  )
}

# Each namespace runs its own epmd (listening on both 0.0.0.0 and [::] by default, which is what
# `-proto_dist inet6_tcp` needs: nodes register over ::1 and peers look them up on [IP]:4369).
# Started here in the foreground so its PID is ours to end; a node finding it running starts none.
for i in "${NODES[@]}"; do
  ip netns exec "$RUN_ID-n$i" epmd >"$WORK/epmd$i.log" 2>&1 </dev/null &
  PIDS+=($!)
done
for i in "${NODES[@]}"; do
  for _ in $(seq 50); do
    [ -n "$(ip netns exec "$RUN_ID-n$i" ss -H -ltn "sport = :4369" 2>/dev/null)" ] && break
    sleep 0.1
  done
done

declare -A NODE_PID
start_node() { # start_node I: boot machine I from its release (NODE_REL[I], default REL)
  local i="$1" rel="${NODE_REL[$1]:-$REL}"
  node_env "$i"
  # In the release root, as the image's WORKDIR /app (a crash dump lands there, not here). The
  # subshell, ip netns exec, env and the release scripts all exec: $! ends up being the BEAM itself.
  (cd "$rel" && exec ip netns exec "$RUN_ID-n$i" env -i "${NODE_ENV[@]}" "$rel/bin/$OTP_APP" start) \
    >>"$WORK/n$i.log" 2>&1 </dev/null &
  NODE_PID[$i]=$!
  PIDS+=($!)
}
say "starting 4 machines with FLY_IMAGE_REF=$IMAGE_REF (n4 has another cookie)"
for i in "${NODES[@]}"; do start_node "$i"; done

rpc() { # rpc I EXPR: bin/APP rpc inside machine I's namespace, with its environment
  local i="$1"
  node_env "$i"
  (cd "$REL" && timeout 20 ip netns exec "$RUN_ID-n$i" env -i "${NODE_ENV[@]}" "$REL/bin/$OTP_APP" rpc "$2" 2>&1)
}
status_field() { # status_field I KEY: what machine I's DNSCluster / DNSPoll stand-in last wrote
  sed -n "s/^$2=//p" "$WORK/n$1.status" 2>/dev/null || true
}
check_alive() {
  local i
  for i in "${NODES[@]}"; do
    if ! kill -0 "${NODE_PID[$i]}" 2>/dev/null; then
      echo "---- n$i log ----" >&2
      tail -n 40 "$WORK/n$i.log" >&2
      die 1 "machine n$i (${NODE_IPS[$((i - 1))]}) did not stay up: the release fails to boot"
    fi
  done
}

# The stand-in reports each discovery round; every machine must have run one and found all four
# addresses, or the network/DNS (the test's part) is broken rather than the setup under test.
deadline=$((SECONDS + 30))
while :; do
  check_alive
  ready=0
  for i in "${NODES[@]}"; do
    # A topology the strategy cannot use (query or basename nil or empty) will not get better.
    err="$(status_field "$i" error)"
    [ -z "$err" ] || die 1 "n$i: $STUB_NAME cannot use the generated topology: $err"
    found="$(status_field "$i" found)"
    [ -n "$found" ] && [ "$(tr ',' '\n' <<<"$found" | wc -l)" = 4 ] && ready=$((ready + 1))
  done
  [ "$ready" = 4 ] && break
  if [ "$SECONDS" -ge "$deadline" ]; then
    for i in "${NODES[@]}"; do
      if [ ! -s "$WORK/n$i.status" ]; then
        echo "---- n$i log ----" >&2
        tail -n 20 "$WORK/n$i.log" >&2
        die 1 "$STUB_NAME never ran a discovery round on n$i within 30 s (child in application.ex? query in runtime.exs / fly.toml?)"
      fi
      say "n$i status: $(tr '\n' ' ' <"$WORK/n$i.status")"
    done
    # A query other than APP.internal is the setup's fault, not DNS's.
    for i in "${NODES[@]}"; do
      query="$(status_field "$i" query)"
      [ -z "$query" ] || [ "$query" = "$APP.internal" ] \
        || die 1 "n$i: $STUB_NAME queries '$query', not $APP.internal (the name Fly's DNS answers)"
    done
    tail -n 20 "$WORK/dnsmasq.log" >&2
    die 2 "DNS did not give every machine the four addresses of $APP.internal within 30 s"
  fi
  sleep 0.5
done
say "all 4 machines up, each resolving $APP.internal to 4 addresses ($((SECONDS - T0)) s since start)"
if [ "$STRATEGY" = libcluster ]; then
  say "n1's libcluster topology $(status_field 1 topology): query $(status_field 1 query)," \
    "node_basename $(status_field 1 node_basename), polling_interval $(status_field 1 polling_interval)"
fi

# ---------------------------------------------------------------------------------------------
# 4. Wait (bounded) until every node of the cookie-sharing three lists the two others.
declare -A NAME LIST RPC_ERR
ask_node() { # ask_node I: fill NAME[I] and LIST[I] through bin/APP rpc, or RPC_ERR[I]
  local i="$1" out
  if out="$(rpc "$i" 'IO.puts("e2e-node " <> Enum.join([node() | Node.list()], " "))')" \
    && line="$(grep '^e2e-node ' <<<"$out")"; then
    read -r _ name rest <<<"$line"
    NAME[$i]="$name"
    LIST[$i]="${rest:-}"
    RPC_ERR[$i]=""
  else
    NAME[$i]="$(status_field "$i" node)"
    LIST[$i]=""
    RPC_ERR[$i]="$(tr '\n' ' ' <<<"$out" | cut -c1-300)"
  fi
}
lists_node() { # lists_node I NAME: does node I's Node.list contain NAME?
  [ -n "$2" ] && [[ " ${LIST[$1]} " == *" $2 "* ]]
}
count_connected() {
  CONNECTED=0
  local i j ok
  for i in 1 2 3; do
    ok=1
    for j in 1 2 3; do
      [ "$i" = "$j" ] && continue
      lists_node "$i" "${NAME[$j]:-}" || ok=0
    done
    CONNECTED=$((CONNECTED + ok))
  done
}

say "waiting up to $TIMEOUT s for n1..n3 to cluster"
T_WAIT=$SECONDS
deadline=$((SECONDS + TIMEOUT))
while :; do
  check_alive
  for i in 1 2 3; do ask_node "$i"; done
  count_connected
  [ "$CONNECTED" = 3 ] && break
  [ "$SECONDS" -ge "$deadline" ] && break
  sleep 1
done
WAITED=$((SECONDS - T_WAIT))
if [ "$CONNECTED" = 3 ]; then
  say "n1..n3 clustered after $WAITED s"
else
  say "n1..n3 NOT clustered after $WAITED s"
fi

# 5. The 4th machine shares the app, the image and the DNS name, but not the cookie: it must stay
#    out. Wait until it and the three have each run two more discovery rounds (each trying to
#    connect to every address), then look.
declare -A ROUND0
for i in "${NODES[@]}"; do ROUND0[$i]="$(status_field "$i" round)"; done
deadline=$((SECONDS + 20))
while [ "$SECONDS" -lt "$deadline" ]; do
  done_rounds=1
  for i in "${NODES[@]}"; do
    r="$(status_field "$i" round)"
    [ "${r:-0}" -ge $((${ROUND0[$i]:-0} + 2)) ] || done_rounds=0
  done
  [ "$done_rounds" = 1 ] && break
  sleep 0.5
done
check_alive
for i in "${NODES[@]}"; do ask_node "$i"; done
count_connected
# ISOLATED: 1 = n4 answered with an empty Node.list and none of n1..n3 lists it; 0 = it got in;
# "" = could not be checked (n4 did not answer rpc).
ISOLATED=1
[ -z "${LIST[4]}" ] || ISOLATED=0
for i in 1 2 3; do lists_node "$i" "${NAME[4]}" && ISOLATED=0; done
if [ "$ISOLATED" = 1 ] && [ -n "${RPC_ERR[4]}" ]; then ISOLATED=""; fi

# ---------------------------------------------------------------------------------------------
# 6. Report.
PROBLEMS=()
BASENAME=""
for i in "${NODES[@]}"; do
  ip6="${NODE_IPS[$((i - 1))]}"
  name="${NAME[$i]:-}"
  if [ -n "${RPC_ERR[$i]}" ]; then
    echo "n$i  ${name:-?}  Node.list=? (rpc failed: ${RPC_ERR[$i]})"
    echo "n$i    its own view ($STUB_NAME stand-in): Node.list=[$(status_field "$i" node_list)]"
  else
    echo "n$i  $name  Node.list=[${LIST[$i]// /, }]"
  fi
  [ -n "$name" ] || { PROBLEMS+=("n$i: node name unknown"); continue; }
  base="${name%%@*}"
  host="${name#*@}"
  [ "$host" = "$ip6" ] || PROBLEMS+=("n$i: node host is '$host', not FLY_PRIVATE_IP $ip6")
  case "$base" in
    "$APP"-*) ;;
    *) PROBLEMS+=("n$i: node name '$base' does not start with the app name '$APP-'") ;;
  esac
  [[ "$base" =~ ^[A-Za-z0-9][A-Za-z0-9_-]*$ ]] \
    || PROBLEMS+=("n$i: node name '$base' has characters outside [A-Za-z0-9_-] (image ref $IMAGE_REF)")
  [ -z "$BASENAME" ] || [ "$BASENAME" = "$base" ] \
    || PROBLEMS+=("n$i: node basename '$base' differs from '$BASENAME' (the machines connect to <basename>@<ip>)")
  BASENAME="${BASENAME:-$base}"
  if [ "$STRATEGY" = libcluster ]; then
    # DNSPoll connects to <node_basename>@<ip>: the topology's basename must be the nodes' own.
    topo_base="$(status_field "$i" node_basename)"
    [ "$topo_base" = "$base" ] \
      || PROBLEMS+=("n$i: the libcluster topology's node_basename is '$topo_base', not the node's own basename '$base'")
  fi
done
if [ "$CONNECTED" = 3 ]; then
  for i in 1 2 3; do
    sockopts="$(rpc "$i" 'IO.inspect(HelloElixir.Repo.config()[:socket_options], label: "e2e-ecto")' | sed -n 's/^e2e-ecto: //p')" || true
    if [ "$DATABASE" = external ]; then
      # A database outside Fly is reached over IPv4: no ECTO_IPV6, so maybe_ipv6 is [].
      [ "$sockopts" = "[]" ] || PROBLEMS+=("n$i: Repo socket_options is '$sockopts', not [] (--database external: no ECTO_IPV6)")
    else
      [ "$sockopts" = "[:inet6]" ] || PROBLEMS+=("n$i: Repo socket_options is '$sockopts', not [:inet6] (ECTO_IPV6)")
    fi
  done
fi
for p in "${PROBLEMS[@]}"; do say "problem: $p"; done

case "$ISOLATED" in
  1) isolation="isolated node ok" ;;
  0) isolation="isolated node NOT ok (it joined the cluster despite another cookie)" ;;
  *) isolation="isolated node unverified (no rpc answer from n4)" ;;
esac
verdict="connected"
[ "$CONNECTED" = 3 ] || verdict="connected: NOT CLUSTERED"
details="image label $IMAGE_LABEL"
[ "$STRATEGY" = dns_cluster ] || details="$details, strategy $STRATEGY"
[ -z "$DATABASE" ] || details="$details, database $DATABASE"
[ "$BREAK_IPV6" = 0 ] || details="$details, ipv6 flag removed"
[ "$BREAK_BASENAME" = 0 ] || details="$details, node_basename fixed to \"$APP\""
echo "cluster: $CONNECTED/3 nodes $verdict, $isolation ($details)"
if [ -n "$VERIFY_DIR" ]; then
  if [ "$CONNECTED" = 3 ] && [ "$ISOLATED" = 1 ] && [ ${#PROBLEMS[@]} = 0 ]; then
    # shellcheck source=tests/e2e/verify_cases.sh
    . "$HERE/verify_cases.sh"
    run_verify_cases
  else
    say "verify cases skipped: the cluster did not form as it must first"
  fi
fi
say "total $((SECONDS - T0)) s"

if [ "$CONNECTED" != 3 ] || [ "$ISOLATED" != 1 ] || [ ${#PROBLEMS[@]} -gt 0 ]; then
  if [ "$CONNECTED" != 3 ]; then
    for i in 1 2 3; do echo "---- n$i log (last lines) ----"; tail -n 8 "$WORK/n$i.log"; done
  fi
  exit 1
fi
exit 0
