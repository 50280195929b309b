#!/usr/bin/env bash
# Overload run: sipp uac -> dialtone -> sipp uas (the trunk), offering 2x
# and 3x the clean call rate (the highest rate bench/sipp_load.sh holds with
# zero failed calls) for DURATION seconds each, 200 ms hold. Admission
# control (sip.max_setup_calls) should refuse what the switch cannot set up
# with 503 + Retry-After at once, so that:
#   - every admitted call succeeds (sipp's failed calls: 0),
#   - the refused get their 503 within 50 ms,
#   - RSS stays under 300 MB,
#   - no call is billed longer than it lasted (a lost BYE would leave a
#     call up until the media timeout: billed about a minute for 200 ms).
#
#   bench/overload.sh                     (make bench runs it)
#   CLEAN_RATE=1000 MULTS="1.5 2" DURATION=10 MAX_SETUP=200 bench/overload.sh
#   BIN=/tmp/dialtone-base bench/overload.sh    (another build, back to back)
#   GOMEMLIMIT=300MiB bench/overload.sh         (a memory limit: the config sets
#     no memory_limit, so the environment's replaces the default 75 %)
#   PROFILE=/tmp/prof bench/overload.sh         (keeps per step the switch's
#     CPU profile, a 2 s runtime trace, its heap when the step ends, its log
#     and /metrics, sipp's statistics, the UDP sockets' drops from ss -uamn)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CLEAN_RATE=${CLEAN_RATE:-1000}
MULTS=${MULTS:-"2 3"}
DURATION=${DURATION:-20}
HOLD_MS=${HOLD_MS:-200}
MAX_SETUP=${MAX_SETUP:-}   # empty: the config default
BIN=${BIN:-bin/dialtone}
PROFILE=${PROFILE:-}
[ -x "$BIN" ] || go build -o "$BIN" ./cmd/dialtone
command -v sipp >/dev/null || { echo "sipp missing: apt-get install sip-tester" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SIP=$(port); HTTP=$(port); TRUNK=$(port)
setup_line=""
[ -n "$MAX_SETUP" ] && setup_line=", max_setup_calls: $MAX_SETUP"

cat > "$work/bench.yaml" <<YAML
organization: {id: bench, starting_balance: "1000000.00"}
sip: {domain: 127.0.0.1, udp: "127.0.0.1:$SIP", tcp: "127.0.0.1:$SIP", ring_timeout: 10s$setup_line}
http: {listen: "127.0.0.1:$HTTP", tokens: [bench-token]}
roles: [{name: agent, permissions: [calls.inbound, calls.outbound, calls.international]}]
users:
  - {extension: "1001", password: alice-secret, role: agent, caller_ids: ["+14155550100"], max_calls: 1000000}
numbers: [{number: "+14155550100", user: "1001"}]
trunks: [{name: carrier, address: "127.0.0.1:$TRUNK", allowed_sources: [127.0.0.1]}]
billing: {rate_deck: sample}
YAML

"$BIN" serve --config "$work/bench.yaml" --data "$work/data" --log-level warn > "$work/switch.log" 2>&1 &
SWITCH_PID=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$HTTP/healthz" >/dev/null && break; sleep 0.1; done

metric() { curl -sf -H 'Authorization: Bearer bench-token' "http://127.0.0.1:$HTTP/metrics" | awk -v m="$1" '$1 == m {printf "%d", $2; found=1} END {if (!found) printf "0"}'; }
# RSS of the switch, sampled every 200 ms for the whole run.
( while kill -0 $SWITCH_PID 2>/dev/null; do awk '/^VmRSS/ {print $2}' /proc/$SWITCH_PID/status 2>/dev/null; sleep 0.2; done ) > "$work/rss.kb" &

# The trunk answers everything offered (the refused never reach it).
(cd "$work" && exec sipp -sn uas -i 127.0.0.1 -p "$TRUNK" -ci 127.0.0.1 -cp "$(port)" -nostdin -buff_size 4194304 \
   -m 100000000 -timeout $(( (DURATION + 30) * 4 ))s >/dev/null 2>&1) &
sleep 0.3

printf '%-5s %-6s %-8s %-8s %-8s %-7s %-22s %-18s %-8s\n' mult cps offered admitted refused failed "503 p50/p99/max ms" "admitted p50/p99" "RSS MB"
for m in $MULTS; do
  rate=$(awk -v c="$CLEAN_RATE" -v m="$m" 'BEGIN {printf "%d", c * m}'); calls=$((rate * DURATION))
  answered0=$(metric 'dialtone_calls_total{result="2xx"}'); refused0=$(metric dialtone_overload_refused_total)
  rss_from=$(wc -l < "$work/rss.kb")
  dir="$work/step$m"; mkdir -p "$dir"
  rc=0
  prof_pids=()
  if [ -n "$PROFILE" ]; then
    mkdir -p "$PROFILE"
    ss -uamn > "$PROFILE/ss_before_${m}x.txt"
    curl -sf -H 'Authorization: Bearer bench-token' -o "$PROFILE/cpu_${m}x.pprof" \
      "http://127.0.0.1:$HTTP/debug/pprof/profile?seconds=$(( DURATION > 3 ? DURATION - 2 : 1 ))" & prof_pids+=($!)
    ( sleep $(( DURATION / 2 )); curl -sf -H 'Authorization: Bearer bench-token' -o "$PROFILE/trace_${m}x.out" \
      "http://127.0.0.1:$HTTP/debug/pprof/trace?seconds=2" ) & prof_pids+=($!)
  fi
  (cd "$dir" && sipp "127.0.0.1:$SIP" -sf "$ROOT/bench/uac_overload.xml" -s +14155550199 -key caller 1001 -au 1001 -ap alice-secret -auth_uri "+14155550199@127.0.0.1:$SIP" \
     -i 127.0.0.1 -ci 127.0.0.1 -cp "$(port)" -p "$(port)" -nostdin -buff_size 4194304 -max_socket 2000 \
     -m "$calls" -r "$rate" -l $((rate * 5)) -d "$HOLD_MS" -trace_stat -trace_rtt -rtt_freq 1 \
     -timeout $((DURATION * 3 + 30))s -timeout_error >"$dir/uac.log" 2>&1) || rc=$?
  [ -n "$PROFILE" ] && curl -sf -H 'Authorization: Bearer bench-token' -o "$PROFILE/heap_${m}x.pprof" \
    "http://127.0.0.1:$HTTP/debug/pprof/heap?gc=1"
  sleep 2
  if [ -n "$PROFILE" ]; then
    wait "${prof_pids[@]}" 2>/dev/null || true
    ss -uamn > "$PROFILE/ss_after_${m}x.txt"
    curl -sf -H 'Authorization: Bearer bench-token' "http://127.0.0.1:$HTTP/metrics" > "$PROFILE/metrics_${m}x.txt" || true
    cp "$dir"/*_.csv "$dir"/*_errors.log "$dir/uac.log" "$PROFILE/" 2>/dev/null || true
    for f in "$dir"/*_.csv; do [ -e "$f" ] && cp "$f" "$PROFILE/stat_${m}x.csv"; done
  fi
  answered=$(( $(metric 'dialtone_calls_total{result="2xx"}') - answered0 ))
  refused=$(( $(metric dialtone_overload_refused_total) - refused0 ))
  failed=$(awk -F';' 'NR==1 {for (i=1;i<=NF;i++) if ($i=="FailedCall(C)") c=i} END {print $c}' "$dir"/*_.csv 2>/dev/null || echo "?")
  rtts() { # rtd number -> "p50/p99/max" and the share within 50 ms
    cat "$dir"/*_rtt.csv 2>/dev/null | awk -F';' -v n="$1" '$3 == n {print $2}' | sort -n | awk '
      {v[NR]=$1} END {if (NR == 0) {print "-"; exit}
      within=0; for (i=1;i<=NR;i++) if (v[i] <= 50) within++
      printf "%d/%d/%d (%.1f%% <=50ms)", v[int(NR*0.5)+(NR*0.5>int(NR*0.5))], v[int(NR*0.99)+(NR*0.99>int(NR*0.99))], v[NR], 100*within/NR}'
  }
  rss=$(tail -n +"$((rss_from + 1))" "$work/rss.kb" | sort -n | tail -1)
  printf '%-5s %-6s %-8s %-8s %-8s %-7s %-22s %-18s %-8s\n' "${m}x" "$rate" "$calls" "$answered" "$refused" "$failed" \
    "$(rtts 1)" "$(rtts 2 | cut -d' ' -f1)" "$(( ${rss:-0} / 1024 ))"
  [ "$rc" = 0 ] || echo "  sipp exit $rc (1: some calls failed)"
  sleep 3
done

# Wait for every call to end (a call whose BYE was lost lasts until the
# media timeout), then check what each answered leg was billed.
for _ in $(seq 120); do [ "$(metric dialtone_active_calls)" = 0 ] && break; sleep 1; done
curl -sf -H 'Authorization: Bearer bench-token' "http://127.0.0.1:$HTTP/v1/cdrs" | python3 -c '
import json, sys, collections
legs = [json.loads(l) for l in sys.stdin if l.strip()]
answered = [l for l in legs if l.get("answered_at")]  # any disposition: a media-timeout leg was answered too
disp = collections.Counter(l["disposition"] for l in legs)
over = [l for l in answered if l["billable_seconds"] > 2]
print("legs: %d %s" % (len(legs), dict(disp)))
print("answered legs billed over 2 s (hold %s ms): %d; longest billed: %d s" % (sys.argv[1], len(over), max([l["billable_seconds"] for l in answered] or [0])))
' "$HOLD_MS"
echo "peak RSS over the run: $(( $(sort -n "$work/rss.kb" | tail -1) / 1024 )) MB; Go heap in use now: $(( $(metric go_memstats_heap_inuse_bytes) / 1048576 )) MB"
[ -n "$PROFILE" ] && cp "$work/switch.log" "$PROFILE/switch.log"
t0=$(date +%s.%N); kill -TERM $SWITCH_PID; rc=0; wait $SWITCH_PID 2>/dev/null || rc=$?
echo "exit after SIGTERM: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s, status $rc"
