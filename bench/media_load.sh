#!/usr/bin/env bash
# Anchored media load: N concurrent G.711 calls, sipp uac streaming 5 s of
# PCMU (rtp_stream) -> dialtone (relay) -> sipp uas echoing every packet
# back, at rising N. The switch's per-leg RTP counters (in the CDRs) give
# the packets each caller sent, the packets that reached the far end, and
# the packets that came back: loss through the relay in both directions.
# The switch's CPU time over the step is read from /proc.
#
#   bench/media_load.sh                 (make bench runs it)
#   CALLS="200 500 1000" bench/media_load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CALLS=${CALLS:-"200 500 1000"}
BIN=bin/dialtone
[ -x "$BIN" ] || go build -o "$BIN" ./cmd/dialtone
command -v sipp >/dev/null && command -v sox >/dev/null || { echo "needs sipp and sox" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sox -n -r 8000 -c 1 -t ul "$work/tone.ulaw" synth 5 sine 440 vol 0.5   # 250 packets of 20 ms

printf '%-7s %-10s %-10s %-10s %-10s %-9s %s\n' calls sent at-callee echoed back loss-% cpu-s
for n in $CALLS; do
  SIP=$(port); HTTP=$(port); TRUNK=$(port)
  cat > "$work/media.yaml" <<YAML
organization: {id: bench, starting_balance: "1000000.00"}
sip: {domain: 127.0.0.1, udp: "127.0.0.1:$SIP", ring_timeout: 10s, voicemail_default: false}
http: {listen: "127.0.0.1:$HTTP", tokens: [bench-token]}
media: {port_min: 30000, port_max: 39999}
roles: [{name: agent, permissions: [calls.inbound, calls.outbound]}]
users:
  - {extension: "1001", password: alice-secret, role: agent, caller_ids: ["+14155550100"], max_calls: 100000}
trunks: [{name: carrier, address: "127.0.0.1:$TRUNK", allowed_sources: [127.0.0.1]}]
billing: {rate_deck: sample}
YAML
  rm -rf "$work/data"
  "$BIN" serve --config "$work/media.yaml" --data "$work/data" --log-level warn > "$work/switch.log" 2>&1 &
  pid=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$HTTP/healthz" >/dev/null && break; sleep 0.1; done
  cpu0=$(awk '{print $14+$15}' /proc/$pid/stat)
  (cd "$work" && sipp -sn uas -i 127.0.0.1 -mi 127.0.0.1 -mp "$(port)" -rtp_echo -p "$TRUNK" -ci 127.0.0.1 -cp "$(port)" \
      -nostdin -m "$n" -timeout 120s >/dev/null 2>&1) &
  uas=$!
  sleep 0.3
  rate=$(( n / 5 + 1 ))
  (cd "$work" && sipp "127.0.0.1:$SIP" -sf "$ROOT/test/sipp/uac_auth_rtp.xml" -s +14155550199 -key caller 1001 -au 1001 -ap alice-secret \
      -i 127.0.0.1 -mi 127.0.0.1 -ci 127.0.0.1 -cp "$(port)" -p "$(port)" -nostdin -m "$n" -r "$rate" -l $((n + 10)) -d 5500 \
      -timeout 120s >/dev/null 2>&1) || true
  wait "$uas" 2>/dev/null || true
  sleep 1
  cpu1=$(awk '{print $14+$15}' /proc/$pid/stat)
  ticks=$(getconf CLK_TCK)
  curl -sf -H 'Authorization: Bearer bench-token' "http://127.0.0.1:$HTTP/v1/cdrs" > "$work/cdrs.json"
  kill -TERM $pid; wait $pid 2>/dev/null || true
  python3 - "$work/cdrs.json" "$n" "$cpu0" "$cpu1" "$ticks" <<'PY'
import json, sys
path, n, c0, c1, tck = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
sent = callee = echoed = back = 0
for line in open(path):
    c = json.loads(line)
    m = c.get("media") or {}
    if c["direction"] == "inbound":
        sent += m.get("packets_in", 0); back += m.get("packets_out", 0)
    else:
        callee += m.get("packets_out", 0); echoed += m.get("packets_in", 0)
loss = 100.0 * (1 - (callee + back) / (sent + echoed)) if sent + echoed else 100.0
print(f"{n:<7} {sent:<10} {callee:<10} {echoed:<10} {back:<10} {loss:<9.3f} {(c1 - c0) / tck:.1f}")
PY
done
echo "(sent: RTP from the callers; at-callee: relayed to the trunk; echoed: back from the trunk; back: relayed to the callers)"
