#!/usr/bin/env python3
"""Figures of bench/dialer_load.sh from the dialer's /metrics histograms
(dialtone_dialer_idle_gap_seconds, dialtone_dialer_bridge_seconds) taken
before and after the window, and the attempts API's timestamps.

  dialer_stats.py count METRICS0 METRICS1      dials in the window
  dialer_stats.py report METRICS0 METRICS1 ATTEMPTS.json --agents N ...
"""
import argparse
import json
import re
import sys
from collections import defaultdict
from datetime import datetime, timezone

IDLE = "dialtone_dialer_idle_gap_seconds"
BRIDGE = "dialtone_dialer_bridge_seconds"


def read_metrics(path):
    """name -> {"buckets": [(le, count)], "count": n, "sum": s}"""
    out = defaultdict(lambda: {"buckets": [], "count": 0, "sum": 0.0})
    for line in open(path):
        m = re.match(r'^(\w+?)_(bucket|count|sum)(?:\{le="([^"]+)"\})? (\S+)$', line.strip())
        if not m:
            continue
        name, kind, le, value = m.groups()
        if kind == "bucket":
            out[name]["buckets"].append((float(le), float(value)))
        else:
            out[name][kind] = float(value)
    return out


def delta(m0, m1, name):
    a, b = m0.get(name), m1[name]
    buckets = [(le, c - (a["buckets"][i][1] if a else 0)) for i, (le, c) in enumerate(b["buckets"])]
    return {"buckets": buckets, "count": b["count"] - (a["count"] if a else 0), "sum": b["sum"] - (a["sum"] if a else 0)}


def quantile(h, q):
    """histogram_quantile: linear inside the bucket the rank falls in."""
    total = h["count"]
    if total == 0:
        return float("nan")
    rank, lower, below = q * total, 0.0, 0.0
    for le, cum in h["buckets"]:
        if cum >= rank:
            if le == float("inf"):
                return lower
            return lower + (le - lower) * ((rank - below) / (cum - below) if cum > below else 1)
        lower, below = le, cum
    return lower


def share_within(h, bound):
    for le, cum in h["buckets"]:
        if abs(le - bound) < 1e-9:
            return cum / h["count"] if h["count"] else float("nan")
    return float("nan")


def ts(s):
    s = s.replace("Z", "+00:00")
    m = re.match(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$", s)
    frac = (m.group(2) or ".0")[:7].ljust(7, "0")
    return datetime.fromisoformat(m.group(1) + frac + m.group(3)).timestamp()


def duration(s):
    units = {"ms": 0.001, "s": 1, "m": 60}
    m = re.match(r"^([\d.]+)(ms|s|m)$", s)
    return float(m.group(1)) * units[m.group(2)]


def exact_gaps(attempts, wrap_up, t0, t1):
    """Per agent, from an attempt's end (plus wrap_up if it was answered)
    to the agent's next attempt, for next attempts started in the window."""
    by_agent = defaultdict(list)
    for a in attempts:
        if a.get("agent"):
            by_agent[a["agent"]].append(a)
    gaps = []
    for runs in by_agent.values():
        runs.sort(key=lambda a: ts(a["started_at"]))
        for prev, nxt in zip(runs, runs[1:]):
            start = ts(nxt["started_at"])
            if not (t0 <= start <= t1) or "ended_at" not in prev:
                continue
            ready = ts(prev["ended_at"]) + (wrap_up if prev.get("outcome") == "answered" else 0)
            gaps.append(start - ready)
    return sorted(gaps)


def pct(xs, q):
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def ms(x):
    return "%.2f ms" % (1000 * x)


def main():
    if sys.argv[1] == "count":
        print(int(delta(read_metrics(sys.argv[2]), read_metrics(sys.argv[3]), IDLE)["count"]))
        return
    p = argparse.ArgumentParser()
    p.add_argument("mode")
    p.add_argument("metrics0")
    p.add_argument("metrics1")
    p.add_argument("attempts")
    p.add_argument("--agents", type=int)
    p.add_argument("--joined", type=int)
    p.add_argument("--leads", type=int)
    p.add_argument("--wrap-up")
    p.add_argument("--window", nargs=2, type=float)
    p.add_argument("--cpu", nargs=4, type=float)
    p.add_argument("--hz", type=float)
    p.add_argument("--plain", nargs=5)
    a = p.parse_args()
    m0, m1 = read_metrics(a.metrics0), read_metrics(a.metrics1)
    idle, bridge = delta(m0, m1, IDLE), delta(m0, m1, BRIDGE)
    t0, t1 = a.window
    secs = t1 - t0
    attempts = json.load(open(a.attempts))["attempts"]
    window = [x for x in attempts if t0 <= ts(x["started_at"]) <= t1]
    outcomes = defaultdict(int)
    for x in window:
        outcomes[x.get("outcome") or "in flight"] += 1
    gaps = exact_gaps(attempts, duration(a.wrap_up), t0, t1)
    dials = idle["count"]
    plain_n, plain_rate, t2, t3, hold = int(a.plain[0]), a.plain[1], float(a.plain[2]), float(a.plain[3]), a.plain[4]
    cpu_dial = (a.cpu[1] - a.cpu[0]) / a.hz / dials if dials else float("nan")
    cpu_plain = (a.cpu[3] - a.cpu[2]) / a.hz / plain_n if plain_n else float("nan")

    print()
    print("power dialer: %d agents (%d joined), %d leads, wrap_up %s, %.0f s window" % (a.agents, a.joined, a.leads, a.wrap_up, secs))
    print("attempts started in the window: %d (%s)" % (len(window), ", ".join("%s %d" % kv for kv in sorted(outcomes.items()))))
    rows = [
        ("dials/s", "%.1f" % (dials / secs), "", ""),
        ("idle gap p50 (metrics)", ms(quantile(idle, 0.5)), "", ""),
        ("idle gap p99 (metrics)", ms(quantile(idle, 0.99)), "<= 50 ms",
         "ok" if share_within(idle, 0.05) >= 0.99 else "MISS"),
        ("idle gap <= 50 ms", "%.2f %%" % (100 * share_within(idle, 0.05)), "", ""),
        ("idle gap p50 (attempts)", ms(pct(gaps, 0.5)), "", ""),
        ("idle gap p99 (attempts)", ms(pct(gaps, 0.99)), "", "%d gaps, max %s" % (len(gaps), ms(gaps[-1]) if gaps else "-")),
        ("bridge p50", ms(quantile(bridge, 0.5)), "", ""),
        ("bridge p99", ms(quantile(bridge, 0.99)), "<= 20 ms",
         "ok" if share_within(bridge, 0.02) >= 0.99 else "MISS"),
        ("bridges", "%d" % bridge["count"], "", ""),
        ("CPU per attempt", ms(cpu_dial), "", "switch user+system, agents' comfort silence included"),
        ("CPU per plain call", ms(cpu_plain), "", "%d calls at %s/s, hold %s ms" % (plain_n, plain_rate, hold)),
        ("ratio attempt / plain", "%.2f" % (cpu_dial / cpu_plain) if cpu_plain else "n/a", "", ""),
    ]
    for r in rows:
        print("%-26s %12s %10s  %s" % r)


if __name__ == "__main__":
    main()
