# shellcheck shell=bash
# The `flycluster verify` cases of tests/e2e/cluster.sh --verify DIR, sourced by it once its four
# machines run and n1..n3 have clustered (n4, with another cookie, isolated). Uses cluster.sh's
# state and helpers: WORK, REL, BIN, PROJ, APP, OTP_APP, NODE_IPS, NODE_PID, PIDS, DNSMASQ_PID,
# node_env, start_node, status_field, say, die.
#
# verify runs against the stand-in fly of tests/support/fly, which lists the Machines this file
# describes and runs `fly ssh console --command` inside the machine's namespace with its
# environment. The cases, in this order (each changes what the next one starts from):
#   cookie      n1..n4 started: n4 has another cookie
#   stopped     n4 stopped (its BEAM ended, its address out of DNS), listed as stopped
#   connected   n1..n3 listed, all connected
#   two-images  n3 booted again from a second deploy's image ref (another node basename)
#   no-ipv6     n3 booted again from an image without `-proto_dist inet6_tcp`
# Each writes DIR/CASE.json (verify --format json), .txt (the text report), .rc (exit status of the
# JSON run), .time (its wall time in seconds) and .calls (the stand-in's log of that run's ssh
# calls: machine, rpc/eval, start, end). Judging them is the Rust test's job.

FLY_STATE=""

machine_id() { printf 'e2e0000000000%s' "$1"; }

# stand_in_machine I: what the stand-in needs to run commands on machine I as Fly would: its
# namespace, its release (the image's /app) and its environment.
stand_in_machine() {
  local i="$1" dir
  dir="$FLY_STATE/machines/$(machine_id "$i")"
  mkdir -p "$dir"
  printf '%s' "$RUN_ID-n$i" >"$dir/ns"
  printf '%s' "${NODE_REL[$i]:-$REL}" >"$dir/release"
  node_env "$i"
  printf '%s\0' "${NODE_ENV[@]}" >"$dir/env"
}

# list_machines I:STATE ...: `fly machines list --json` in flyctl's shape; only started machines
# can be reached by `ssh console`, as with flyctl.
list_machines() {
  local spec i state ref tag sep=""
  rm -rf "$FLY_STATE/machines"
  mkdir -p "$FLY_STATE/machines"
  {
    printf '[\n'
    for spec in "$@"; do
      i="${spec%%:*}" state="${spec#*:}"
      ref="${NODE_IMAGE_REF[$i]:-$IMAGE_REF}"
      tag="${ref##*:}"
      printf '%s  {"id": "%s", "name": "machine-%s", "state": "%s", "region": "sea",' "$sep" "$(machine_id "$i")" "$i" "$state"
      printf ' "image_ref": {"registry": "registry.fly.io", "repository": "%s", "tag": "%s"},' "$APP" "$tag"
      printf ' "private_ip": "%s", "config": {"metadata": {"fly_process_group": "app", "fly_platform_version": "v2"}},' "${NODE_IPS[$((i - 1))]}"
      printf ' "host_status": "ok", "cordoned": false}'
      sep=$',\n'
      [ "$state" != started ] || stand_in_machine "$i"
    done
    printf '\n]\n'
  } >"$FLY_STATE/machines.json"
}

# verify_case NAME: run verify (JSON, then text) against the machines listed now.
verify_case() {
  local name="$1" t0 t1 rc=0
  : >"$FLY_STATE/calls.log"
  t0="$(date +%s.%N)"
  PATH="$ROOT/tests/support/fly:$PATH" FLY_STANDIN="$FLY_STATE" \
    "$BIN" verify --format json "$PROJ" >"$VERIFY_DIR/$name.json" 2>"$VERIFY_DIR/$name.stderr" </dev/null || rc=$?
  t1="$(date +%s.%N)"
  printf '%s\n' "$rc" >"$VERIFY_DIR/$name.rc"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >"$VERIFY_DIR/$name.time"
  cp "$FLY_STATE/calls.log" "$VERIFY_DIR/$name.calls"
  PATH="$ROOT/tests/support/fly:$PATH" FLY_STANDIN="$FLY_STATE" \
    "$BIN" verify "$PROJ" >"$VERIFY_DIR/$name.txt" 2>&1 </dev/null || true
  say "verify case $name: exit $rc in $(cat "$VERIFY_DIR/$name.time") s"
  sed 's/^/e2e:   /' "$VERIFY_DIR/$name.txt"
}

# stop_node I: end machine I's BEAM (TERM, then KILL after 10 s), as a Machine stop does.
stop_node() {
  local i="$1" pid="${NODE_PID[$1]}" _
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

# leave_dns I: take machine I's address out of the AAAA answer, and wait until n1 no longer gets it.
leave_dns() {
  local ip6="${NODE_IPS[$(($1 - 1))]}" _
  grep -v "^$ip6 " "$WORK/dns.hosts" >"$WORK/dns.hosts.new" || true
  mv "$WORK/dns.hosts.new" "$WORK/dns.hosts"
  kill -HUP "$DNSMASQ_PID"
  for _ in $(seq 50); do
    ip netns exec "$RUN_ID-n1" getent ahostsv6 "$APP.internal" | grep -q "^$ip6 " || return 0
    sleep 0.1
  done
  die 2 "dnsmasq still answers $ip6 for $APP.internal after SIGHUP"
}

# reboot_node I: stop machine I and boot it again with its NODE_* settings; wait until its
# DNSCluster stand-in ran a discovery round.
reboot_node() {
  local i="$1" _
  stop_node "$i"
  rm -f "$WORK/n$i.status"
  start_node "$i"
  for _ in $(seq 300); do
    [ -n "$(status_field "$i" round)" ] && return 0
    kill -0 "${NODE_PID[$i]}" 2>/dev/null || { tail -n 20 "$WORK/n$i.log" >&2; die 1 "n$i did not boot again"; }
    sleep 0.1
  done
  die 1 "n$i ran no discovery round within 30 s of booting again"
}

run_verify_cases() {
  FLY_STATE="$WORK/fly"
  mkdir -p "$FLY_STATE"
  printf '%s' "$APP" >"$FLY_STATE/app"

  list_machines 1:started 2:started 3:started 4:started
  verify_case cookie

  say "stopping n4: its node ends and its address leaves $APP.internal"
  stop_node 4
  leave_dns 4
  list_machines 1:started 2:started 3:started 4:stopped
  verify_case stopped

  list_machines 1:started 2:started 3:started
  verify_case connected

  say "n3 boots again from a second deploy's image"
  NODE_IMAGE_REF[3]="registry.fly.io/$APP:deployment-02ABCD"
  reboot_node 3
  list_machines 1:started 2:started 3:started
  verify_case two-images

  say "n3 boots again from an image without -proto_dist inet6_tcp"
  NODE_IMAGE_REF[3]="$IMAGE_REF"
  # shellcheck disable=SC2034  # read by node_env in cluster.sh
  NODE_WITHOUT_IPV6[3]=1
  NODE_REL[3]="$WORK/rel-without-ipv6"
  cp -R "$REL" "${NODE_REL[3]}"
  python3 "$HERE/fly_project.py" break-ipv6 "${NODE_REL[3]}"/releases/*/env.sh \
    || die 1 "the release's env.sh has no -proto_dist inet6_tcp to remove"
  reboot_node 3
  list_machines 1:started 2:started 3:started
  verify_case no-ipv6
}
