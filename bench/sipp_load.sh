#!/usr/bin/env bash
# Load run, side by side in one run: sipp uac -> sipp uas directly, sipp
# uac -> dialtone -> sipp uas (the trunk; digest-authenticated calls, media
# anchored) and, when Kamailio is installed, sipp uac -> Kamailio (stateful
# proxy, digest check on initial INVITEs) -> sipp uas; at rising call rates
# with a 200 ms hold. For each rate it prints whether every call succeeded,
# the CPU each call cost the switch or proxy (all its processes), and the
# UDP datagrams the kernel dropped (all sockets). Then: the highest clean
# rates, CDRs committed and the records per group commit, the datagrams
# dropped on the switch's SIP socket, the switch's RSS after the load
# (right away and every 10 s for a minute), how long it takes to exit on
# SIGTERM right after a burst at twice the clean rate, and the RSS, heap
# and goroutines per anchored call held (a fresh switch, HOLD_CALLS up).
# Admission control is off (sip.max_setup_calls out of reach): this
# measures what the switch itself holds; bench/overload.sh measures
# admission control past it.
#
#   bench/sipp_load.sh            (make bench runs it)
#   RATES="500 1000" STEP_SECS=5 KAMAILIO=0 bench/sipp_load.sh
#   RATES="1000 2000 3000" DIRECT=0 KAMAILIO=0 IDLE_SECS=0 HOLD_CALLS=1000 bench/sipp_load.sh
#     (dialtone alone, no minute of idle RSS; HOLD_CALLS calls held, 0 skips that step)
#   BIN=/path/to/other/dialtone bench/sipp_load.sh   (compare two builds)
#   PROFILE=/tmp/cpu bench/sipp_load.sh   (a CPU profile per step: /tmp/cpu.<rate>.pprof, the heap with the calls held: /tmp/cpu.held.pprof)
#   SWITCHES=/tmp/sw bench/sipp_load.sh   (why the switch's threads left the CPU in each step, from perf's
#     sched_switch: /tmp/sw.<rate>.data, summarized by bench/switch_reasons.py; needs perf and STEP_SECS >= 4)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RATES=${RATES:-"500 1000 1500 2000 3000 4000"}
STEP_SECS=${STEP_SECS:-5}
HOLD_MS=${HOLD_MS:-200}
TRANSPORT=${TRANSPORT:-u1}   # sipp -t: u1 (UDP) or t1 (TCP)
DIRECT=${DIRECT:-1}          # 0: skip the sipp -> sipp column
KAMAILIO=${KAMAILIO:-1}      # 0: skip the Kamailio column
IDLE_SECS=${IDLE_SECS:-60}   # how long RSS is watched after the load
BUFF=4194304                 # sipp's socket buffers (-buff_size)
BIN=${BIN:-bin/dialtone}
[ -x "$BIN" ] || go build -o "$BIN" ./cmd/dialtone
command -v sipp >/dev/null || { echo "sipp missing: apt-get install sip-tester" >&2; exit 1; }
if [ -n "${SWITCHES:-}" ]; then
  command -v perf >/dev/null || { echo "SWITCHES needs perf: apt-get install linux-perf" >&2; exit 1; }
  [ "$STEP_SECS" -ge 4 ] || { echo "SWITCHES needs STEP_SECS >= 4 (it records from 1 s into a step to 1 s before its end)" >&2; exit 1; }
fi
KAM_BIN=$(command -v kamailio || true)
[ "$KAMAILIO" = 1 ] || KAM_BIN=""

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SIP=$(port); HTTP=$(port); TRUNK=$(port); DIRECT_PORT=$(port); KAM=$(port)

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

# Kamailio 5.6 as a stateful proxy with a digest check on initial INVITEs
# (plain-text password: no database), TLSF allocator, 4 UDP workers.
cat > "$work/kamailio.cfg" <<CFG
#!KAMAILIO
debug=-1
log_stderror=yes
children=4
listen=udp:127.0.0.1:$KAM
maxbuffer=8388608
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "siputils.so"
loadmodule "auth.so"
loadmodule "textops.so"
request_route {
	if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
	if (is_method("INVITE") && !has_totag()) {
		if (!pv_proxy_authenticate("\$fd", "alice-secret", "0")) { proxy_challenge("\$fd", "0"); exit; }
		consume_credentials();
	}
	\$du = "sip:127.0.0.1:$TRUNK";
	t_relay();
}
CFG

cpu_ticks() { # pid... -> utime+stime of those processes and their children, in clock ticks
  local total=0 p
  for p in "$@" $(for q in "$@"; do pgrep -P "$q" || true; done); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
TICK=$(getconf CLK_TCK)
udp_drops() { awk '/^Udp: [0-9]/ {print $6}' /proc/net/snmp; }
# drops on the sockets bound to a port (e.g. the switch's SIP listener)
port_drops() { awk -v p="$(printf ':%04X' "$1")" '$2 ~ p"$" {d += $NF} END {printf "%d", d}' /proc/net/udp; }
metrics() { curl -sf -H "Authorization: Bearer bench-token" "http://127.0.0.1:$HTTP/metrics"; }
cdr_commits() { metrics | awk '$1 == "dialtone_cdr_commits_total" {c = $2} $1 == "dialtone_cdr_records_total" {r = $2} END {printf "%d %d", c, r}'; }
# RSS in MB as anonymous+file-backed: the file part is mostly bbolt's
# memory map of the data file, which the kernel reclaims at will.
rss_mb() { awk '/^RssAnon/ {a = $2} /^RssFile/ {f = $2} END {printf "%.0f+%.0f", a / 1024, f / 1024}' "/proc/$1/status"; }

start_switch() {
  rm -rf "$work/data"
  "$BIN" serve --config "$work/bench.yaml" --data "$work/data" --log-level warn >> "$work/switch.log" 2>&1 &
  SWITCH_PID=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$HTTP/healthz" >/dev/null && return; sleep 0.1; done
  echo "switch did not start:" >&2; tail -5 "$work/switch.log" >&2; exit 1
}

run_step() { # rate uas_port uac_args... -> exit code of the uac
  local rate=$1; shift
  local calls=$((rate * STEP_SECS))
  local uas_port=$1; shift
  (cd "$work" && exec sipp -sn uas -i 127.0.0.1 -p "$uas_port" -ci 127.0.0.1 -cp "$(port)" -nostdin -t "$TRANSPORT" -buff_size $BUFF \
     -m "$calls" -timeout $((STEP_SECS * 4 + 30))s >/dev/null 2>&1) &
  local uas=$!
  sleep 0.3
  local rc=0
  (cd "$work" && sipp "$@" -i 127.0.0.1 -ci 127.0.0.1 -cp "$(port)" -p "$(port)" -nostdin -t "$TRANSPORT" -max_socket 2000 -buff_size $BUFF \
      -m "$calls" -r "$rate" -l $((rate * 2)) -d "$HOLD_MS" -timeout $((STEP_SECS * 3 + 20))s -timeout_error >"$work/uac.log" 2>&1) || rc=$?
  if [ "$rc" != 0 ] && [ -n "${VERBOSE:-}" ]; then tail -5 "$work/uac.log" >&2; fi
  # The uas waits for calls that never came after a failed step (its
  # -timeout does not always end it): give it 5 s, then stop it.
  for _ in $(seq 50); do kill -0 "$uas" 2>/dev/null || break; sleep 0.1; done
  kill "$uas" 2>/dev/null || true
  wait "$uas" 2>/dev/null || true
  return $rc
}

# measure name rate pids... -- run_step args: "ok"/"fail", CPU ms per call, drops
measure() {
  local rate=$1; shift
  local pids=()
  while [ "$1" != "--" ]; do pids+=("$1"); shift; done; shift
  local c0 d0 res="ok"
  c0=$(cpu_ticks "${pids[@]}" 2>/dev/null); d0=$(udp_drops)
  run_step "$rate" "$@" || res="fail"
  local c1 d1
  c1=$(cpu_ticks "${pids[@]}"); d1=$(udp_drops)
  awk -v r="$res" -v c=$((c1 - c0)) -v n=$((rate * STEP_SECS)) -v t="$TICK" -v d=$((d1 - d0)) -v p=${#pids[@]} \
    'BEGIN { if (p) printf "%-4s %5.2f %6d", r, c * 1000 / t / n, d; else printf "%-4s %5s %6d", r, "-", d }'
}

start_switch
KAM_PID=""
if [ -n "$KAM_BIN" ]; then
  "$KAM_BIN" -f "$work/kamailio.cfg" -DD -E -x tlsf -X tlsf -m 256 -M 16 -P "$work/kamailio.pid" > "$work/kamailio.log" 2>&1 &
  KAM_PID=$!
  sleep 1
  kill -0 "$KAM_PID" 2>/dev/null || { echo "kamailio did not start:" >&2; tail -5 "$work/kamailio.log" >&2; KAM_BIN=""; KAM_PID=""; }
fi

auth_args() { echo -sf "$ROOT/test/sipp/uac_auth.xml" -s +14155550199 -key caller 1001 -au 1001 -ap alice-secret -auth_uri "+14155550199@127.0.0.1:$1"; }
best_switch=0; best_direct=0; best_kam=0; total_calls=0; batches=""; sip_drops=
printf '%-6s | %-22s | %-22s | %-22s\n' "" "sipp -> sipp" "dialtone (auth, media)" "Kamailio (auth)"
printf '%-6s | %-22s | %-22s | %-22s\n' "cps" "ok  ms/call  drops" "ok  ms/call  drops" "ok  ms/call  drops"
for r in $RATES; do
  d="-"; s="-"; k="-"
  if [ "$DIRECT" = 1 ]; then
    d=$(measure "$r" -- "$DIRECT_PORT" "127.0.0.1:$DIRECT_PORT" -sn uac)
    [[ $d == ok* ]] && best_direct=$r
  fi
  if [ -n "${PROFILE:-}" ]; then # a CPU profile of the switch during each of its steps
    curl -sf -H "Authorization: Bearer bench-token" -o "$PROFILE.$r.pprof" \
      "http://127.0.0.1:$HTTP/debug/pprof/profile?seconds=$((STEP_SECS > 1 ? STEP_SECS - 1 : 1))" &
  fi
  perf_pid=""
  if [ -n "${SWITCHES:-}" ]; then # context switches of the switch's threads, from 1 s into the step
    sw_secs=$((STEP_SECS - 2))
    (sleep 1 && exec perf record -q -e sched:sched_switch -g -p "$SWITCH_PID" -o "$SWITCHES.$r.data" -- sleep "$sw_secs" >/dev/null 2>&1) &
    perf_pid=$!
  fi
  b0=$(cdr_commits); sd0=$(port_drops "$SIP")
  # shellcheck disable=SC2046
  s=$(measure "$r" "$SWITCH_PID" -- "$TRUNK" "127.0.0.1:$SIP" $(auth_args "$SIP"))
  if [ -n "$perf_pid" ]; then
    wait "$perf_pid" || true
    echo "why the switch's threads left the CPU at $r calls/s ($sw_secs s):" >&2
    perf script -i "$SWITCHES.$r.data" 2>/dev/null | "$ROOT/bench/switch_reasons.py" --calls $((r * sw_secs)) --top 8 >&2
  fi
  [[ $s == ok* ]] && best_switch=$r
  sip_drops="$sip_drops $r:$(( $(port_drops "$SIP") - sd0 ))"
  batches="$batches $(cdr_commits | awk -v b0="$b0" '{ split(b0, a); c = $1 - a[1]; printf "%s:%.0f", r, c ? ($2 - a[2]) / c : 0 }' r="$r")"
  total_calls=$((total_calls + r * STEP_SECS))
  if [ -n "$KAM_PID" ]; then
    # shellcheck disable=SC2046
    # Kamailio's workers may relay a 180 after the 200 that overtook it
    # (UDP, several processes): the phone ignores such a 180 instead of
    # failing the call over it.
    k=$(measure "$r" "$KAM_PID" -- "$TRUNK" "127.0.0.1:$KAM" $(auth_args "$KAM") -default_behaviors all,-abortunexp)
    [[ $k == ok* ]] && best_kam=$r
  fi
  printf '%-6s | %-22s | %-22s | %-22s\n' "$r" "$d" "$s" "$k"
  sleep 1
done
[ -n "$KAM_PID" ] && kill -TERM "$KAM_PID" 2>/dev/null || true

# Every call leaves two legs; wait for the last CDRs, then count.
sleep 2
cdrs=$(curl -sf -H 'Authorization: Bearer bench-token' "http://127.0.0.1:$HTTP/v1/cdrs" | wc -l)
echo
echo "highest call rate with zero failed calls: sipp direct ${best_direct} cps, dialtone ${best_switch} cps, Kamailio ${best_kam:-n/a} cps"
echo "CDRs committed: ${cdrs} of $((total_calls * 2)) legs ($((total_calls)) calls through the switch, 2 legs each, failed calls included)"
echo "CDR records per group commit (cps:records):${batches}"
echo "datagrams dropped on the switch's SIP socket (cps:drops):${sip_drops}"

# RSS after the load: right away, then every 10 s for IDLE_SECS.
rss_line="RSS after the load (MB anonymous+file, every 10 s):"
for i in $(seq 0 10 "$IDLE_SECS"); do
  rss_line="$rss_line $(rss_mb "$SWITCH_PID")"
  [ "$i" -lt "$IDLE_SECS" ] && sleep 10
done
echo "$rss_line"

# SIGTERM right after a burst past the knee: twice the highest clean rate.
burst=$(( best_switch > 0 ? 2 * best_switch : 2000 ))
# shellcheck disable=SC2046
STEP_SECS=3 run_step "$burst" "$TRUNK" "127.0.0.1:$SIP" $(auth_args "$SIP") || true
t0=$(date +%s.%N)
kill -TERM "$SWITCH_PID"; wait "$SWITCH_PID" 2>/dev/null || true
echo "exit on SIGTERM right after a 3 s burst at ${burst} cps: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"

# Memory per established call: a fresh switch, N calls held up
# (HOLD_CALLS=0 skips it, instead of starting a switch to hold no call).
N=${HOLD_CALLS:-1000}
[ "$N" -gt 0 ] || exit 0
start_switch
heap() { curl -sf -H "Authorization: Bearer bench-token" "http://127.0.0.1:$HTTP/metrics" | awk '/^go_memstats_heap_inuse_bytes/ {printf "%d", $2}'; }
goroutines() { metrics | awk '$1 == "go_goroutines" {printf "%d", $2}'; }
# live: right after a collection (pprof's gc=1 runs one), the heap's spans
# in use and the bytes of the objects in them ("inuse objects"): the
# difference is spans the collector left part-used, which it never compacts.
live() {
  curl -sf -H "Authorization: Bearer bench-token" -o /dev/null "http://127.0.0.1:$HTTP/debug/pprof/heap?gc=1"
  metrics | awk '$1 == "go_memstats_heap_inuse_bytes" {i = $2} $1 == "go_memstats_heap_alloc_bytes" {a = $2} END {printf "%d %d", i, a}'
}
sleep 1; heap0=$(heap); rss0=$(awk '/^RssAnon/ {print $2}' "/proc/$SWITCH_PID/status"); g0=$(goroutines); live0=$(live)
(cd "$work" && sipp -sn uas -i 127.0.0.1 -p "$TRUNK" -ci 127.0.0.1 -cp "$(port)" -nostdin -buff_size $BUFF -m "$N" -timeout 120s >/dev/null 2>&1) &
sleep 0.3
# shellcheck disable=SC2046
(cd "$work" && sipp "127.0.0.1:$SIP" $(auth_args "$SIP") -buff_size $BUFF \
   -i 127.0.0.1 -ci 127.0.0.1 -cp "$(port)" -p "$(port)" -nostdin -m "$N" -r 500 -d $(( (N / 500 + 45) * 1000 )) -timeout 120s >/dev/null 2>&1) &
HOLD_UAC=$!
sleep $((N / 500 + 4))
active=$(curl -sf -H "Authorization: Bearer bench-token" "http://127.0.0.1:$HTTP/metrics" | awk '/^dialtone_active_calls/ {printf "%d", $2}')
heap1=$(heap); rss1=$(awk '/^RssAnon/ {print $2}' "/proc/$SWITCH_PID/status"); g1=$(goroutines); live1=$(live)
if [ -n "${PROFILE:-}" ]; then # the heap with the calls up
  curl -sf -H "Authorization: Bearer bench-token" -o "$PROFILE.held.pprof" "http://127.0.0.1:$HTTP/debug/pprof/heap"
fi
per_call() { # label active rss heap goroutines live
  local inuse=${6% *} objects=${6#* }
  echo "memory per established call, $1 (${2} calls up, media anchored): $(( ($3 - rss0) * 1024 / $2 )) bytes of anonymous RSS, $(( ($4 - heap0) / $2 )) bytes of Go heap ($(( (inuse - ${live0% *}) / $2 )) right after a collection, $(( (objects - ${live0#* }) / $2 )) of it in live objects), $(awk -v a=$(($5 - g0)) -v n="$2" 'BEGIN {printf "%.1f", a / n}') goroutines"
}
if [ "${active:-0}" -gt 0 ]; then
  per_call "4 s after the last was set up" "$active" "$rss1" "$heap1" "$g1" "$live1"
fi
# Again once the setup's SIP transactions have ended (the caller's INVITE
# lingers 64×T1, 32 s, after each call is answered, the callee's 16×T1):
# what a call costs while it lasts.
sleep 34
active2=$(metrics | awk '/^dialtone_active_calls/ {printf "%d", $2}')
heap2=$(heap); rss2=$(awk '/^RssAnon/ {print $2}' "/proc/$SWITCH_PID/status"); g2=$(goroutines); live2=$(live)
if [ "${active2:-0}" -gt 0 ]; then
  per_call "38 s after, the setup transactions over" "$active2" "$rss2" "$heap2" "$g2" "$live2"
fi
kill "$HOLD_UAC" 2>/dev/null || true
wait "$HOLD_UAC" 2>/dev/null || true
kill -TERM $SWITCH_PID; wait $SWITCH_PID 2>/dev/null || true
