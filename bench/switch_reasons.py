#!/usr/bin/env python3
"""Why the switch's threads left the CPU, from `perf script` output of a
`perf record -e sched:sched_switch -g` of the switch (bench/sipp_load.sh
with SWITCHES set records one per step).

Each switch-out is counted under the thread's state (S sleeping, R
preempted, D waiting for the disk), the kernel function it slept in, and
the first Go frames: the runtime's own (sysmon, netpoll, an idle thread
parking) or, when the thread was running Go code, the code's. Context
switches are the CPU cost pprof does not show (see docs/performance.md).

  perf script -i switches.data | switch_reasons.py [--calls N] [--top K]
"""
import argparse
import re
import sys
from collections import Counter

# Kernel frames that every switch passes through: not a reason.
SCHED = ("__schedule", "schedule", "entry_SYSCALL", "do_syscall", "exit_to_user_mode_loop")


def frame_name(line):
    """'ffff... __schedule+0x628 ([kernel.kallsyms])' -> '__schedule'."""
    parts = line.split()
    return parts[1].split("+0x")[0] if len(parts) > 1 else ""


def reason(block):
    state = re.search(r"prev_state=(\S+)", block[0])
    kernel = [frame_name(l) for l in block[1:] if l.endswith("([kernel.kallsyms])")]
    go = [frame_name(l) for l in block[1:] if not l.endswith("([kernel.kallsyms])")]
    kernel = [f for f in kernel if not f.startswith(SCHED)][:1]
    runtime = [f for f in go if f.startswith("runtime.") and f != "runtime.goexit.abi0"][:2]
    code = [f.rsplit("/", 1)[-1] for f in go if not f.startswith(("runtime.", "internal/", "syscall."))][:2]
    return (state.group(1) if state else "?", " ".join(kernel), " < ".join(runtime), " < ".join(code))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=float, help="calls in the window: adds switches per call")
    ap.add_argument("--top", type=int, default=12)
    args = ap.parse_args()
    counts, block = Counter(), []
    for line in list(sys.stdin) + [""]:
        if line.strip():
            block.append(line.rstrip())
        elif block:
            counts[reason(block)] += 1
            block = []
    total = sum(counts.values())
    per_call = f", {total / args.calls:.1f} per call" if args.calls else ""
    print(f"{total} switch-outs{per_call}")
    for (state, kernel, runtime, code), n in counts.most_common(args.top):
        where = " | ".join(x for x in (kernel, runtime, code) if x)
        print(f"{n:7d} {100 * n / max(total, 1):5.1f}%  {state}  {where}")


if __name__ == "__main__":
    main()
