#!/usr/bin/env bash
# The power dialer under load: AGENTS agents (sipp phones registered as
# users with the dialer permission, joined through the API, which rings
# them) power-dial LEADS leads for DURATION seconds against a sipp carrier
# (bench/dialer_carrier.xml: 30 % answer after 2-6 s and talk 3 s, 30 %
# ring 2 s then 480, 40 % busy at once), wrap_up 1 s. Then the same number
# of plain calls, sipp -> dialtone -> sipp, at the same rate, in the same
# run. Prints dials/s, the agent's idle gap (ready -> next lead's call
# placed; target p99 <= 50 ms) and the bridge time (answer -> bridged;
# target p99 <= 20 ms) from the dialer's histograms in /metrics, the idle
# gap again from the attempts' own timestamps, and the switch's CPU per
# attempt against per plain call.
#
#   bench/dialer_load.sh            (make bench runs it)
#   AGENTS=20 LEADS=2000 DURATION=30 bench/dialer_load.sh
#   KEEP=1 bench/dialer_load.sh   (keeps the work directory: logs, attempts, metrics)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
AGENTS=${AGENTS:-100}
LEADS=${LEADS:-10000}
DURATION=${DURATION:-60}
WRAP_UP=${WRAP_UP:-1s}
PLAIN_HOLD_MS=${PLAIN_HOLD_MS:-1000}
BIN=bin/dialtone
[ -x "$BIN" ] || go build -o "$BIN" ./cmd/dialtone
command -v sipp >/dev/null || { echo "sipp missing: apt-get install sip-tester" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; [ -n "${KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"' EXIT
port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SIP=$(port); HTTP=$(port); TRUNK=$(port); AGENT_PORT=$(port)
API="http://127.0.0.1:$HTTP"
api() { curl -sS -f -H 'Authorization: Bearer bench-token' "$@"; }

# The agents: users 2001.. with a role that may dial campaigns.
{
  cat <<YAML
organization: {id: bench, starting_balance: "1000000.00"}
sip: {domain: 127.0.0.1, udp: "127.0.0.1:$SIP", ring_timeout: 15s, max_setup_calls: 1000000}
http: {listen: "127.0.0.1:$HTTP", tokens: [bench-token]}
media: {timeout: 10m}
roles: [{name: agent, permissions: [calls.inbound, calls.outbound, calls.international, dialer]}]
numbers: [{number: "+14155550100", user: "1001"}]
trunks: [{name: carrier, address: "127.0.0.1:$TRUNK", allowed_sources: [127.0.0.1]}]
billing: {rate_deck: sample}
users:
  - {extension: "1001", password: alice-secret, role: agent, caller_ids: ["+14155550100"], max_calls: 100000}
YAML
  for i in $(seq "$AGENTS"); do echo "  - {extension: \"$((2000 + i))\", password: agent-secret-$i, role: agent}"; done
} > "$work/bench.yaml"
{ echo SEQUENTIAL; for i in $(seq "$AGENTS"); do echo "$((2000 + i));[authentication username=$((2000 + i)) password=agent-secret-$i]"; done; } > "$work/agents.csv"

"$BIN" serve --config "$work/bench.yaml" --data "$work/data" --log-level warn > "$work/switch.log" 2>&1 &
SWITCH_PID=$!
for _ in $(seq 100); do curl -sf "$API/healthz" >/dev/null && break; sleep 0.1; done
cpu() { awk '{print $14 + $15}' "/proc/$SWITCH_PID/stat"; } # user+system ticks
metrics() { api "$API/metrics" | grep '^dialtone_dialer_'; }

# The carrier; the agents' registrations, then their phones on the port
# they registered from (one sipp answering for every agent and holding the
# call until the switch hangs up).
(cd "$work" && exec sipp -sf "$ROOT/bench/dialer_carrier.xml" -i 127.0.0.1 -p "$TRUNK" -mp "$(port)" -rtp_echo -nostdin -max_socket 4000 >"$work/carrier.log" 2>&1) &
CARRIER=$!
(cd "$work" && sipp "127.0.0.1:$SIP" -sf "$ROOT/bench/dialer_register.xml" -inf "$work/agents.csv" \
   -i 127.0.0.1 -p "$AGENT_PORT" -nostdin -m "$AGENTS" -r 50 -timeout 30s -timeout_error >"$work/register.log" 2>&1) \
   || { echo "agents' registration failed" >&2; tail -5 "$work/register.log" >&2; exit 1; }
(cd "$work" && exec sipp -sf "$ROOT/test/sipp/agent_answer.xml" -i 127.0.0.1 -p "$AGENT_PORT" -nostdin >"$work/agents.log" 2>&1) &

# The campaign: leads +1415555HHLL, LL stepping by 37 through 00-99 in
# every hundred so the carrier's outcomes (by LL) are mixed all along the
# list; past 10,000 leads the exchange is 556.
campaign=$(api "$API/v1/campaigns" -d "$(python3 -c 'import json,sys; n=int(sys.argv[1]); w=sys.argv[2]; print(json.dumps({"name":"bench","mode":"power","caller_id":"+14155550100","agents":[str(2001+i) for i in range(n)],"calling_hours":{"start":"00:00","end":"23:59"},"ring_timeout":"15s","wrap_up":w,"max_attempts":1}))' "$AGENTS" "$WRAP_UP")")
id=$(printf '%s' "$campaign" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
python3 -c 'import sys
print("phone,timezone")
for i in range(int(sys.argv[1])): print("+1415%03d%02d%02d,America/Los_Angeles" % (555 + i // 10000, i // 100 % 100, i * 37 % 100))' "$LEADS" > "$work/leads.csv"
added=$(api -H 'Content-Type: text/csv' "$API/v1/campaigns/$id/leads" --data-binary "@$work/leads.csv" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["added"]); [print("lead refused:", e, file=sys.stderr) for e in r.get("errors", [])[:3]]')
api -X POST "$API/v1/campaigns/$id/start" >/dev/null
for i in $(seq "$AGENTS"); do api -X POST "$API/v1/campaigns/$id/agents/$((2000 + i))" >/dev/null; done
joined=0
for _ in $(seq 100); do
  joined=$(api "$API/v1/campaigns/$id" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(sum(1 for a in s.get("agents", []) if a.get("state") not in ("joining", None)))')
  [ "$joined" -ge "$AGENTS" ] && break
  sleep 0.2
done

# The dialer's window: DURATION seconds of every agent working.
metrics > "$work/metrics0"; cpu0=$(cpu); t0=$(date +%s.%N)
sleep "$DURATION"
metrics > "$work/metrics1"; cpu1=$(cpu); t1=$(date +%s.%N)
api -X POST "$API/v1/campaigns/$id/pause" >/dev/null
api "$API/v1/campaigns/$id/attempts" > "$work/attempts.json"
dials=$(python3 "$ROOT/bench/dialer_stats.py" count "$work/metrics0" "$work/metrics1")
[ "$dials" -gt 0 ] || { echo "no dials in the window: see KEEP=1 and the work directory's logs" >&2; exit 1; }

# Let the last calls end, take the agents off, and place the same number
# of plain calls through the switch at the same rate.
sleep 8
for i in $(seq "$AGENTS"); do api -X DELETE "$API/v1/campaigns/$id/agents/$((2000 + i))" >/dev/null 2>&1 || true; done
kill "$CARRIER" 2>/dev/null || true; wait "$CARRIER" 2>/dev/null || true
sleep 2
rate=$(awk -v n="$dials" -v a="$t0" -v b="$t1" 'BEGIN { r = n / (b - a); printf "%d", (r < 1 ? 1 : r + 0.5) }')
(cd "$work" && exec sipp -sn uas -i 127.0.0.1 -p "$TRUNK" -mp "$(port)" -rtp_echo -nostdin -max_socket 4000 >/dev/null 2>&1) &
sleep 0.3
cpu2=$(cpu); t2=$(date +%s.%N)
plain_rc=0
(cd "$work" && sipp "127.0.0.1:$SIP" -sf "$ROOT/test/sipp/uac_auth.xml" -s +14155550199 -key caller 1001 -au 1001 -ap alice-secret \
   -auth_uri "+14155550199@127.0.0.1:$SIP" -i 127.0.0.1 -p "$(port)" -mp "$(port)" -nostdin -max_socket 4000 \
   -m "$dials" -r "$rate" -d "$PLAIN_HOLD_MS" -timeout $((dials / rate + 60))s -timeout_error >"$work/plain.log" 2>&1) || plain_rc=$?
cpu3=$(cpu); t3=$(date +%s.%N)
plain_failed=""; [ "$plain_rc" = 0 ] || plain_failed=" (sipp exit $plain_rc: some plain calls failed)"

hz=$(getconf CLK_TCK)
python3 "$ROOT/bench/dialer_stats.py" report "$work/metrics0" "$work/metrics1" "$work/attempts.json" \
  --agents "$AGENTS" --joined "$joined" --leads "$added" --wrap-up "$WRAP_UP" --window "$t0" "$t1" \
  --cpu "$cpu0" "$cpu1" "$cpu2" "$cpu3" --hz "$hz" --plain "$dials" "$rate" "$t2" "$t3" "$PLAIN_HOLD_MS"
[ -z "$plain_failed" ] || echo "plain calls:$plain_failed"
kill -TERM $SWITCH_PID; wait $SWITCH_PID 2>/dev/null || true
