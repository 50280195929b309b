#!/usr/bin/env bash
# Load run: sipp uac -> dialtone -> sipp uas (the trunk), at rising call
# rates with a 200 ms hold, against sipp uac -> sipp uas directly in the
# same run. Prints the highest rate each held with zero failed calls, the
# ratio, CDRs committed, and memory per established call. Admission control
# is off (sip.max_setup_calls out of reach): this measures what the switch
# itself holds; bench/overload.sh measures admission control past it.
#
#   bench/sipp_load.sh            (make bench runs it)
#   RATES="200 500 1000" STEP_SECS=5 bench/sipp_load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RATES=${RATES:-"250 500 750 1000 1250 1500 2000"}
STEP_SECS=${STEP_SECS:-5}
HOLD_MS=${HOLD_MS:-200}
TRANSPORT=${TRANSPORT:-u1}   # sipp -t: u1 (UDP) or t1 (TCP)
BIN=bin/dialtone
[ -x "$BIN" ] || go build -o "$BIN" ./cmd/dialtone
command -v sipp >/dev/null || { echo "sipp missing: apt-get install sip-tester" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SIP=$(port); HTTP=$(port); TRUNK=$(port); DIRECT=$(port)

cat > "$work/bench.yaml" <<YAML
organization: {id: bench, starting_balance: "1000000.00"}
sip: {domain: 127.0.0.1, udp: "127.0.0.1:$SIP", tcp: "127.0.0.1:$SIP", ring_timeout: 10s, max_setup_calls: 1000000}
http: {listen: "127.0.0.1:$HTTP", tokens: [bench-token]}
roles: [{name: agent, permissions: [calls.inbound, calls.outbound, calls.international]}]
users:
  - {extension: "1001", password: alice-secret, role: agent, caller_ids: ["+14155550100"], max_calls: 100000}
numbers: [{number: "+14155550100", user: "1001"}]
trunks: [{name: carrier, address: "127.0.0.1:$TRUNK", allowed_sources: [127.0.0.1]}]
billing: {rate_deck: sample}
YAML

"$BIN" serve --config "$work/bench.yaml" --data "$work/data" --log-level warn > "$work/switch.log" 2>&1 &
SWITCH_PID=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$HTTP/healthz" >/dev/null && break; sleep 0.1; done

run_step() { # target rate uac_args... -> exit code of the uac
  local rate=$1; shift
  local calls=$((rate * STEP_SECS))
  local uas_port=$1; shift
  (cd "$work" && sipp -sn uas -i 127.0.0.1 -p "$uas_port" -ci 127.0.0.1 -cp "$(port)" -nostdin -t "$TRANSPORT" -m "$calls" -timeout $((STEP_SECS * 4 + 30))s >/dev/null 2>&1) &
  local uas=$!
  sleep 0.3
  local rc=0
  (cd "$work" && sipp "$@" -i 127.0.0.1 -ci 127.0.0.1 -cp "$(port)" -p "$(port)" -nostdin -t "$TRANSPORT" -max_socket 2000 \
      -m "$calls" -r "$rate" -l $((rate * 2)) -d "$HOLD_MS" -timeout $((STEP_SECS * 3 + 20))s -timeout_error >"$work/uac.log" 2>&1) || rc=$?
  if [ "$rc" != 0 ] && [ -n "${VERBOSE:-}" ]; then tail -5 "$work/uac.log" >&2; fi
  wait "$uas" 2>/dev/null || true
  return $rc
}

best_switch=0; best_direct=0; total_calls=0
printf '%-8s %-16s %-16s\n' "rate" "via dialtone" "direct"
for r in $RATES; do
  s="fail"; d="fail"
  if run_step "$r" "$TRUNK" "127.0.0.1:$SIP" -sf "$ROOT/test/sipp/uac_auth.xml" -s +14155550199 -key caller 1001 -au 1001 -ap alice-secret -auth_uri "+14155550199@127.0.0.1:$SIP"; then
    s="ok"; best_switch=$r
  fi
  total_calls=$((total_calls + r * STEP_SECS))
  if run_step "$r" "$DIRECT" "127.0.0.1:$DIRECT" -sn uac; then d="ok"; best_direct=$r; fi
  printf '%-8s %-16s %-16s\n' "$r" "$s" "$d"
  sleep 1
done

# Every call leaves two legs; wait for the last CDRs, then count.
sleep 2
cdrs=$(curl -sf -H 'Authorization: Bearer bench-token' "http://127.0.0.1:$HTTP/v1/cdrs" | wc -l)

# Memory per established call: hold N calls up and compare heap and RSS.
N=${HOLD_CALLS:-1000}
heap() { curl -sf "http://127.0.0.1:$HTTP/metrics" | awk '/^go_memstats_heap_inuse_bytes/ {printf "%d", $2}'; }
sleep 1; heap0=$(heap)
(cd "$work" && sipp -sn uas -i 127.0.0.1 -p "$TRUNK" -ci 127.0.0.1 -cp "$(port)" -nostdin -m "$N" -timeout 60s >/dev/null 2>&1) &
sleep 0.3
(cd "$work" && sipp "127.0.0.1:$SIP" -sf "$ROOT/test/sipp/uac_auth.xml" -s +14155550199 -key caller 1001 -au 1001 -ap alice-secret -auth_uri "+14155550199@127.0.0.1:$SIP" \
   -i 127.0.0.1 -ci 127.0.0.1 -cp "$(port)" -p "$(port)" -nostdin -m "$N" -r 500 -d 15000 -timeout 60s >/dev/null 2>&1) &
HOLD_UAC=$!
sleep $((N / 500 + 4))
active=$(curl -sf "http://127.0.0.1:$HTTP/metrics" | awk '/^dialtone_active_calls/ {printf "%d", $2}')
heap1=$(heap)
wait "$HOLD_UAC" 2>/dev/null || true

ratio=$(awk -v a="$best_switch" -v b="$best_direct" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
echo
echo "highest call rate with zero failed calls: via dialtone ${best_switch} cps, sipp direct ${best_direct} cps, ratio ${ratio}"
echo "CDRs committed: ${cdrs} of $((total_calls * 2)) legs ($((total_calls)) calls through the switch, 2 legs each, failed calls included)"
if [ "${active:-0}" -gt 0 ]; then
  # Heap in use, not RSS: the Go runtime keeps RSS from the load steps.
  echo "memory per established call: $(( (heap1 - heap0) / active )) bytes of Go heap (${active} calls up, media anchored)"
fi
kill -TERM $SWITCH_PID; wait $SWITCH_PID 2>/dev/null || true
