#!/usr/bin/env bash
# Anchored media load: N concurrent G.711 calls at rising N, each a sipp uac
# streaming a PCMU file (rtp_stream) to a sipp uas that echoes every packet
# back (-rtp_echo). Each N runs twice with the same calls and file:
#
#   direct    sipp uac -> sipp uas
#   switched  sipp uac -> dialtone (digest auth, media anchored) -> sipp uas
#
# and prints one row per N: packets delivered in each run and their ratio,
# from the kernel's UDP counters (the whole run happens in a private network
# namespace, so they count nothing else); loss inside the switch from its
# per-leg CDR counters; round-trip times from bench/rtpprobe, which, while all
# N calls are up, sends RTP to the sipp echo directly and inside calls it
# places through the switch at the same moments (the difference is what the
# switch adds); the switch's CPU. The columns are explained under the table.
#
#   bench/media_load.sh                        (make bench runs it)
#   CALLS="200 1000" bench/media_load.sh
#   RTP_SECS=15 RAMP_SECS=4 PROBES=4 ...       stream length, call ramp-up, probe streams per path
#   KEEP=1 ...                                 keep the run's files (sipp statistics, CDRs, counters)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CALLS=${CALLS:-"200 500 1000"}
RTP_SECS=${RTP_SECS:-15}
RAMP_SECS=${RAMP_SECS:-4}
PROBES=${PROBES:-4}
BIN=$ROOT/bin/dialtone
STATS="python3 $ROOT/bench/media_stats.py"

if [ -z "${MEDIA_LOAD_WORK:-}" ]; then
  # Outside the namespace: check the tools, build, then run this script again
  # in a network namespace of its own (unshare -n as root, -rn otherwise).
  for tool in sipp sox python3 curl go; do
    command -v $tool >/dev/null || { echo "media_load.sh needs $tool (make deps installs sipp and sox)" >&2; exit 1; }
  done
  [ -x "$BIN" ] || go build -o "$BIN" ./cmd/dialtone
  work=$(mktemp -d)
  trap '[ -n "${KEEP:-}" ] && echo "files in $work" >&2 || rm -rf "$work"' EXIT
  trap 'exit 130' INT TERM PIPE
  go build -o "$work/rtpprobe" ./bench/rtpprobe
  ns="-n"; [ "$(id -u)" = 0 ] || ns="-rn"
  if unshare $ns true 2>/dev/null; then
    MEDIA_LOAD_WORK=$work MEDIA_LOAD_NETNS=1 unshare $ns "$0"
  else
    echo "warning: cannot unshare a network namespace; the UDP counters include all other traffic on this machine" >&2
    MEDIA_LOAD_WORK=$work "$0"
  fi
  exit
fi

# Inside: everything started here is killed on exit.
work=$MEDIA_LOAD_WORK
cd "$work"
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
[ -z "${MEDIA_LOAD_NETNS:-}" ] || $STATS lo-up
port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ticks=$(getconf CLK_TCK)
proc_cpu() { local p; for p; do cat "/proc/$p/stat" 2>/dev/null || true; done | awk '{t += $14 + $15} END {print t + 0}'; }  # user+system ticks
host_busy() { awk '/^cpu / {print $2+$3+$4+$7+$8}' /proc/stat; }      # busy ticks, all CPUs
sox -n -r 8000 -c 1 -t ul tone.ulaw synth "$RTP_SECS" sine 440 vol 0.5
per_call=$((RTP_SECS * 50))
hold_ms=$((RTP_SECS * 1000 + 1000))   # the stream stops 1 s before the BYE
window=$((RTP_SECS - RAMP_SECS - 2))  # the probe sends while all calls stream
[ "$window" -ge 2 ] || { echo "RTP_SECS must exceed RAMP_SECS by 4 s or more" >&2; exit 1; }
truesize=$($STATS truesize)

# run_step direct|switched N DIR: one run of N calls, files into DIR.
run_step() {
  local run=$1 n=$2 d=$3 echo_port uas_port sink rc=0 pid="" sip="" http="" watcher uas uac
  echo_port=$(port); uas_port=$(port); sink=$(port)
  local target=127.0.0.1:$uas_port scenario=$ROOT/test/sipp/uac_rtp.xml auth=() probe_args=()
  if [ "$run" = switched ]; then
    sip=$(port); http=$(port)
    cat > "$d/switch.yaml" <<YAML
organization: {id: bench, starting_balance: "1000000.00"}
sip: {domain: 127.0.0.1, udp: "127.0.0.1:$sip", ring_timeout: 10s, voicemail_default: false}
http: {listen: "127.0.0.1:$http", tokens: [bench-token]}
media: {port_min: 30000, port_max: 39999}
roles: [{name: agent, permissions: [calls.inbound, calls.outbound]}]
users:
  - {extension: "1001", password: alice-secret, role: agent, caller_ids: ["+14155550100"], max_calls: 100000}
  - {extension: "1002", password: probe-secret, role: agent, caller_ids: ["+14155550101"]}
trunks: [{name: carrier, address: "127.0.0.1:$uas_port", allowed_sources: [127.0.0.1]}]
billing: {rate_deck: sample}
YAML
    "$BIN" serve --config "$d/switch.yaml" --data "$d/data" --log-level warn > "$d/switch.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$http/healthz" >/dev/null && break; sleep 0.1; done
    curl -sf "http://127.0.0.1:$http/healthz" >/dev/null || { echo "the switch did not start:" >&2; tail -5 "$d/switch.log" >&2; return 1; }
    target=127.0.0.1:$sip scenario=$ROOT/test/sipp/uac_auth_rtp.xml auth=(-au 1001 -ap alice-secret -auth_uri "+14155550199@127.0.0.1:$sip")
    probe_args=(-switch "127.0.0.1:$sip" -user 1002 -password probe-secret)
  fi
  local timeout=$((RTP_SECS * 3 + 60))s uac_sip probe
  uac_sip=$(port)
  echo "$sink $echo_port $uas_port $uac_sip" > "$d/$run.ports"   # the caller's RTP, the echo, sipp's SIP
  sipp -sn uas -i 127.0.0.1 -p "$uas_port" -cp "$(port)" -mi 127.0.0.1 -mp "$echo_port" -rtp_echo \
    -nostdin -timeout "$timeout" >/dev/null 2>&1 &
  uas=$!
  $STATS watch "$d/$run.watch" "$d/$run.ending" $(cat "$d/$run.ports") &
  watcher=$!
  sleep 0.5
  $STATS snap > "$d/$run.snap0"
  local cpu0=""; [ -z "$pid" ] || cpu0=$(proc_cpu "$pid")
  # The probe places its calls now and sends while all N calls stream.
  "$work/rtpprobe" -echo "127.0.0.1:$echo_port" "${probe_args[@]}" -streams "$PROBES" \
    -delay "$((RAMP_SECS + 2))s" -duration "${window}s" > "$d/$run.probe" 2> "$d/$run.probe.err" &
  probe=$!
  sleep 1
  sipp "$target" -sf "$scenario" -s +14155550199 -key caller 1001 "${auth[@]}" \
    -i 127.0.0.1 -p "$uac_sip" -cp "$(port)" -mi 127.0.0.1 -mp "$sink" \
    -nostdin -m "$n" -r "$(( (n + RAMP_SECS - 1) / RAMP_SECS ))" -l $((n + 10)) -d "$hold_ms" \
    -timeout "$timeout" -trace_stat -stf "$d/$run.stat.csv" -trace_counts -fd 1 >/dev/null 2>&1 &
  uac=$!
  local uac_deadline=$((SECONDS + RAMP_SECS + RTP_SECS + 30))
  sleep $((RAMP_SECS + 1))
  local w0="" h0 g0 t0 w1="" h1 g1 t1
  t0=$(date +%s.%N); h0=$(host_busy); g0=$(proc_cpu "$uac" "$uas" "$probe"); [ -z "$pid" ] || w0=$(proc_cpu "$pid")
  sleep "$window"
  t1=$(date +%s.%N); h1=$(host_busy); g1=$(proc_cpu "$uac" "$uas" "$probe"); [ -z "$pid" ] || w1=$(proc_cpu "$pid")
  touch "$d/$run.ending"   # the streams end from now on: the watcher catches the last counts
  wait "$probe" || echo "rtpprobe ($run, $n calls) failed: $(tail -1 "$d/$run.probe.err")" >&2
  [ ! -s "$d/$run.probe.err" ] || sed "s/^/($run, $n calls) /" "$d/$run.probe.err" >&2
  # sipp 3.6 sometimes never returns from rtpstream_shutdown() once its
  # calls are done; its statistics files are written every second.
  while kill -0 "$uac" 2>/dev/null && [ "$SECONDS" -lt "$uac_deadline" ]; do sleep 0.2; done
  if kill -0 "$uac" 2>/dev/null; then
    kill -KILL "$uac" 2>/dev/null || true
    echo "(sipp uac, $run run, $n calls: still up $((RAMP_SECS + RTP_SECS + 30)) s after it started; killed)" >&2
  fi
  wait "$uac" || rc=$?
  mv "$work"/uac_*_"$uac"_counts.csv "$d/$run.counts.csv" 2>/dev/null || true
  sleep 0.5
  kill "$uas" 2>/dev/null || true
  sleep 0.5; kill -KILL "$uas" 2>/dev/null || true; wait "$uas" 2>/dev/null || true
  kill -TERM "$watcher" 2>/dev/null || true; wait "$watcher" 2>/dev/null || true
  $STATS snap > "$d/$run.snap1"
  if [ -n "$pid" ]; then
    local cpu1; cpu1=$(proc_cpu "$pid")
    curl -sf -H 'Authorization: Bearer bench-token' "http://127.0.0.1:$http/v1/cdrs" > "$d/cdrs.json" || true
    kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
    printf '{"total": %s, "window": %s, "host": %s, "gen": %s}\n' \
      "$(awk -v a="$cpu0" -v b="$cpu1" -v t="$ticks" 'BEGIN {print (b - a) / t}')" \
      "$(awk -v a="$w0" -v b="$w1" -v t="$ticks" -v s="$t0" -v e="$t1" 'BEGIN {print (b - a) / t / (e - s)}')" \
      "$(awk -v a="$h0" -v b="$h1" -v t="$ticks" -v s="$t0" -v e="$t1" 'BEGIN {print (b - a) / t / (e - s)}')" \
      "$(awk -v a="$g0" -v b="$g1" -v t="$ticks" -v s="$t0" -v e="$t1" 'BEGIN {print (b - a) / t / (e - s)}')" \
      > "$d/cpu.json"
  fi
  [ "$rc" = 0 ] || [ "$rc" = 137 ] || echo "(sipp uac, $run run, $n calls: exit status $rc)" >&2
}

echo "load before: $(uptime)"
$STATS header
for n in $CALLS; do
  d=$work/$n; mkdir -p "$d"
  echo "$n" > "$d/calls"; echo "$per_call" > "$d/per_call"; echo "$truesize" > "$d/truesize"
  run_step direct "$n" "$d"
  sleep 1
  run_step switched "$n" "$d"
  $STATS row "$d" || echo "$n calls: no row (see above)" >&2
  sleep 1
done
$STATS footer
echo "load after: $(uptime)"
[ -n "${MEDIA_LOAD_NETNS:-}" ] || echo "warning: no network namespace of its own: dlv%, echo-drop% and other-lost% count other traffic too" >&2
