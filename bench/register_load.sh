#!/usr/bin/env bash
# REGISTER storm at rising rates. MODE=refresh (the default): USERS phones,
# one per user, re-register over and over (every REGISTER rewrites its
# binding in the store). MODE=new: every REGISTER is a new contact of one
# of USERS users (at max_contacts each adds one binding and pushes one out:
# a write and a delete for the store; a switch without the cap keeps them
# all). Prints, per rate, whether it
# held with zero failed REGISTERs and the REGISTER response time (first
# REGISTER to 200, digest challenge included) at p50 and p99, then the
# contacts the switch lists after a graceful restart.
#
#   bench/register_load.sh
#   BASELINE_BIN=/path/to/older/dialtone bench/register_load.sh
#       (each step runs against that build too, right before, for a ratio)
#   MODE=new RATES="500 1000 2000" STEP_SECS=5 USERS=500 bench/register_load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RATES=${RATES:-"500 1000 1500 2000"}
STEP_SECS=${STEP_SECS:-5}
USERS=${USERS:-500}
MODE=${MODE:-refresh}
BIN=${BIN:-bin/dialtone}
[ -x "$BIN" ] || go build -o "$BIN" ./cmd/dialtone
command -v sipp >/dev/null || { echo "sipp missing: apt-get install sip-tester" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

case $MODE in
  refresh) sed 's/;line=\[call_number\]//' bench/register_load.xml > "$work/scenario.xml" ;;
  new) cp bench/register_load.xml "$work/scenario.xml" ;;
  *) echo "MODE is refresh or new" >&2; exit 2 ;;
esac
{
  echo SEQUENTIAL
  for i in $(seq 1 "$USERS"); do echo "$((20000 + i));[authentication username=$((20000 + i)) password=pw-$i]"; done
} > "$work/users.csv"

# start_switch LABEL BINARY: a switch with its own ports and data dir.
declare -A PID SIP HTTP BINS
start_switch() {
  local label=$1 bin=$2
  BINS[$label]=$bin
  [ -n "${SIP[$label]:-}" ] || { SIP[$label]=$(port); HTTP[$label]=$(port); }
  {
    cat <<YAML
organization: {id: bench, starting_balance: "100.00"}
sip: {domain: 127.0.0.1, udp: "127.0.0.1:${SIP[$label]}", tcp: "", register_max_expires: 1h}
http: {listen: "127.0.0.1:${HTTP[$label]}", tokens: [bench-token]}
roles: [{name: agent, permissions: [calls.inbound]}]
users:
YAML
    for i in $(seq 1 "$USERS"); do echo "  - {extension: \"$((20000 + i))\", password: pw-$i, role: agent}"; done
    echo "billing: {rate_deck: sample}"
  } > "$work/$label.yaml"
  "$bin" serve --config "$work/$label.yaml" --data "$work/data-$label" --log-level warn >> "$work/$label.log" 2>&1 &
  PID[$label]=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:${HTTP[$label]}/healthz" >/dev/null && return; sleep 0.1; done
  echo "$label did not start:" >&2; cat "$work/$label.log" >&2; exit 1
}
stop_switch() { kill -TERM "${PID[$1]}"; wait "${PID[$1]}" 2>/dev/null || true; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/${PID[$1]}/stat"; }  # user + system, in clock ticks
contacts() { curl -sf -H 'Authorization: Bearer bench-token' "http://127.0.0.1:${HTTP[$1]}/v1/registrations" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

# percentiles FILE: p50 and p99 of sipp's response times (ms, column 2)
percentiles() {
  python3 - "$@" <<'PY'
import sys, csv
rows = sorted(float(r[1]) for f in sys.argv[1:] for r in csv.reader(open(f), delimiter=';') if r and r[0][:1].isdigit())
q = lambda p: f"{rows[min(len(rows) - 1, int(p * len(rows)))]:.0f}" if rows else "n/a"
print(q(0.5), q(0.99))
PY
}

# step LABEL RATE: one storm; prints a row, returns sipp's exit code
step() {
  local label=$1 r=$2 rc=0 dir="$work/$1-$2"
  mkdir -p "$dir"
  (cd "$dir" && sipp "127.0.0.1:${SIP[$label]}" -sf "$work/scenario.xml" -inf "$work/users.csv" -i 127.0.0.1 -p "$(port)" \
      -ci 127.0.0.1 -cp "$(port)" -buff_size 4194304 -m $((r * STEP_SECS)) -r "$r" -l $((r * 2)) -nostdin -trace_rtt -rtt_freq 100 \
      -timeout $((STEP_SECS * 3 + 20))s -timeout_error >sipp.log 2>&1) || rc=$?
  local res=fail; [ "$rc" = 0 ] && res=ok
  # shellcheck disable=SC2046
  printf '%-6s %-10s %-6s %s\n' "$r" "$label" "$res" "$(percentiles $(ls "$dir"/*_rtt.csv 2>/dev/null))"
  return $rc
}

labels=(dialtone)
[ -n "${BASELINE_BIN:-}" ] && labels=(baseline dialtone) && start_switch baseline "$BASELINE_BIN"
start_switch dialtone "$BIN"
declare -A BEST=([baseline]=0 [dialtone]=0) CPU0 REGS=([baseline]=0 [dialtone]=0)
for l in "${labels[@]}"; do CPU0[$l]=$(cpu_ticks "$l"); done
printf '%-6s %-10s %-6s %s\n' rate build result "p50 p99 (ms)"
for r in $RATES; do
  for l in "${labels[@]}"; do
    if step "$l" "$r"; then BEST[$l]=$r; fi
    REGS[$l]=$((REGS[$l] + r * STEP_SECS))
    sleep 1
  done
done
for l in "${labels[@]}"; do
  cpu=$(( $(cpu_ticks "$l") - CPU0[$l] ))
  live=$(contacts "$l")
  stop_switch "$l"; start_switch "$l" "${BINS[$l]}"
  echo "$l: highest rate with zero failed REGISTERs ${BEST[$l]}/s; CPU $(awk -v c="$cpu" -v n="${REGS[$l]}" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", c / hz * 1e6 / n }') µs per REGISTER (${REGS[$l]} REGISTERs, challenge included); contacts registered ${live}, after a restart $(contacts "$l")"
  stop_switch "$l"
done
if [ -n "${BASELINE_BIN:-}" ]; then
  awk -v a="${BEST[dialtone]}" -v b="${BEST[baseline]}" 'BEGIN { if (b > 0) printf "ratio dialtone/baseline: %.2f\n", a / b }'
fi
