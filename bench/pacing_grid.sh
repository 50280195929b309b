#!/usr/bin/env bash
# The issue's pacing grid: `dialtone dialer simulate`, power and predictive
# side by side on the same seeds, for 3 (8 h), 10, 50 and 200 agents (4 h) at
# answer rates 0.15 and 0.30, then the answer rate decaying from 0.30 to 0.15
# and heavy-tailed talk (sd 240 s). Targets: the issue's utilisation with the
# abandon rate at most 3 % on every seed (the decay and heavy-tail rows are
# held to the same targets within 3 points).
#
#   bench/pacing_grid.sh            (make bench runs it)
#   SEEDS=1,2,3,4,5 bench/pacing_grid.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=bin/dialtone
[ -x "$BIN" ] || go build -o "$BIN" ./cmd/dialtone
SEEDS=${SEEDS:-1,2,3}

sim() { "$BIN" dialer simulate --seeds "$SEEDS" "$@"; }

row() { # label agents hours answer-rate target(%) slack(points) [extra flags]
	local label=$1 agents=$2 hours=$3 rate=$4 target=$5 slack=$6
	shift 6
	local power pred
	power=$(sim --agents "$agents" --hours "$hours" --answer-rate "$rate" --mode power "$@")
	pred=$(sim --agents "$agents" --hours "$hours" --answer-rate "$rate" --mode predictive "$@")
	python3 - "$label" "$agents" "$target" "$slack" "$power" "$pred" <<'PY'
import json, sys
label, agents, target, slack, power, pred = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), json.loads(sys.argv[5]), json.loads(sys.argv[6])
u = 100 * pred["utilisation"]
ok = u >= target - slack and pred["abandon_rate_max_seed"] <= 0.03
seeds = " ".join("%.1f/%.2f" % (100 * s["utilisation"], 100 * s["abandon_rate"]) for s in pred["seeds"])
print("%-22s %6s %9.1f%% %9.1f%% %8.2f%% %8.2f%% %8.1f%% %7.1f%%  %-4s %s" % (
    label, agents, 100 * power["utilisation"], u, 100 * pred["abandon_rate"], 100 * pred["abandon_rate_max_seed"],
    100 * max(s["worst_15min_abandon_rate"] for s in pred["seeds"]), target, "ok" if ok else "MISS", seeds))
PY
}

printf '%-22s %6s %10s %10s %9s %9s %9s %8s  %-4s %s\n' case agents power predictive abandon "worst seed" "worst 15m" target "" "per seed (util/abandon)"
start=$SECONDS
targets_15=(58 68 78 82)
targets_30=(67 72 78 82)
i=0
for agents in 3 10 50 200; do
	hours=4
	[ "$agents" = 3 ] && hours=8
	row "answer 0.15" "$agents" "$hours" 0.15 "${targets_15[$i]}" 0
	row "answer 0.30" "$agents" "$hours" 0.30 "${targets_30[$i]}" 0
	row "0.30 decaying to 0.15" "$agents" "$hours" 0.30 "${targets_30[$i]}" 3 --answer-rate-end 0.15
	row "0.15, talk sd 240 s" "$agents" "$hours" 0.15 "${targets_15[$i]}" 3 --talk-sd 240s
	row "0.30, talk sd 240 s" "$agents" "$hours" 0.30 "${targets_30[$i]}" 3 --talk-sd 240s
	i=$((i + 1))
done
echo "seeds $SEEDS; $((SECONDS - start)) s"
