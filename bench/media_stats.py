#!/usr/bin/env python3
"""Kernel UDP accounting and the report for bench/media_load.sh.

  media_stats.py lo-up              bring lo up (in a fresh network namespace)
  media_stats.py snap               Udp counters of /proc/net/snmp, as JSON
  media_stats.py truesize           receive-buffer bytes one 172-byte datagram takes
  media_stats.py watch OUT FAST PORT...
                                    until SIGTERM: the last rx-queue bytes and drops of
                                    the 127.0.0.1:PORT sockets, as JSON in OUT (polled
                                    faster once the file FAST exists)
  media_stats.py header | footer
  media_stats.py row DIR            one table row from the files media_load.sh left in DIR

Every datagram sent on loopback is read by a socket (InDatagrams, counted at
recvmsg), dropped (InErrors, which includes RcvbufErrors; NoPorts; the
device backlog, counted nowhere in Udp), or still queued when its socket
closes. The sipp uac never reads its RTP socket: the echoes sent back to it
fill its queue and then count as RcvbufErrors. They did reach the caller, so
that socket's drops and final queue are counted as delivered.
"""
import json
import os
import re
import signal
import socket
import sys
import time

COUNTERS = ("InDatagrams", "NoPorts", "InErrors", "OutDatagrams", "RcvbufErrors", "SndbufErrors")


def lo_up():
    import fcntl
    import struct
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    siocsifflags, up, loopback, running = 0x8914, 0x1, 0x8, 0x40
    fcntl.ioctl(s, siocsifflags, struct.pack("16sH", b"lo", up | loopback | running))


def snap():
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Udp:")]
    names, values = rows[0][1:], rows[1][1:]
    udp = dict(zip(names, map(int, values)))
    return {k: udp.get(k, 0) for k in COUNTERS}


def sockets():
    """{port: (rx_queue_bytes, drops)} of the UDP sockets bound to 127.0.0.1."""
    out = {}
    with open("/proc/net/udp") as f:
        next(f)
        for line in f:
            p = line.split()
            ip, port = p[1].split(":")
            if ip == "0100007F":
                out[int(port, 16)] = (int(p[4].split(":")[1], 16), int(p[-1]))
    return out


def truesize():
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    n = 32
    for _ in range(n):
        tx.sendto(bytes(172), rx.getsockname())  # 12-byte RTP header + 160 bytes of PCMU
    time.sleep(0.1)
    return sockets()[rx.getsockname()[1]][0] // n


def watch(out, fast, ports):
    """Polls every second (reading /proc/net/udp costs ~10 ms with 4,000 sockets), every 0.1 s
    once the file fast exists: from the end of the measurement window to the sockets' close."""
    last = {}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    while True:
        seen = sockets()
        changed = False
        for p in ports:
            if p in seen and last.get(p) != seen[p]:
                last[p], changed = seen[p], True
        if changed:
            with open(out + ".tmp", "w") as f:
                json.dump({str(p): {"queue": q, "drops": d} for p, (q, d) in last.items()}, f)
            os.replace(out + ".tmp", out)
        if stop:
            return
        time.sleep(0.1 if os.path.exists(fast) else 1.0)


def load(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def read(path, default=""):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return default


def last_csv_row(path):
    """{column: value} of the last row of a sipp statistics file (';'-separated)."""
    lines = [line for line in read(path).splitlines() if line.strip()]
    if len(lines) < 2:
        return {}
    return dict(zip(lines[0].split(";"), lines[-1].split(";")))


def calls(d, run):
    """(calls that streamed, calls failed) from the sipp uac's statistics files: a call
    streams from its ACK of the 200, the last ACK of the scenario."""
    counts = last_csv_row(f"{d}/{run}.counts.csv")
    acks = [k for k in counts if re.fullmatch(r"\d+_ACK_Sent", k)]
    failed = last_csv_row(f"{d}/{run}.stat.csv").get("FailedCall(C)")
    if not acks or failed is None:
        return None, None
    last = max(acks, key=lambda k: int(k.split("_")[0]))
    return int(counts[last]), int(failed)


def delivery(d, run, size):
    """Datagrams lost over one run, and where."""
    s0, s1 = load(f"{d}/{run}.snap0"), load(f"{d}/{run}.snap1")
    if not s0 or not s1:
        return None
    delta = {k: s1[k] - s0[k] for k in COUNTERS}
    watched = load(f"{d}/{run}.watch", {})
    sink, echo, *sip = [watched.get(p, {"queue": 0, "drops": 0}) for p in read(f"{d}/{run}.ports").split()]
    reached_sink = sink["drops"] + round(sink["queue"] / size)
    lost = delta["OutDatagrams"] + delta["SndbufErrors"] - delta["InDatagrams"] - reached_sink
    sipp = echo["drops"] + sum(x["drops"] for x in sip)
    return {"lost": lost, "echo": echo["drops"], "sip": sipp - echo["drops"], "other": lost - sipp,
            "rcvbuf": delta["RcvbufErrors"] - sink["drops"], "noports": delta["NoPorts"],
            "sndbuf": delta["SndbufErrors"]}


def probe(d, run):
    """{path: {sent, received, p50_us, ...}} from rtpprobe's output."""
    out = {}
    for line in read(f"{d}/{run}.probe").splitlines():
        f = line.split()
        if f:
            out[f[0]] = {k: int(v) for k, v in (kv.split("=") for kv in f[1:])}
    return out


def cdr_loss(d):
    """(packets the switch read from the callers, % of what it read it did not relay)."""
    sent = callee = echoed = back = 0
    for line in read(f"{d}/cdrs.json").splitlines():
        c = json.loads(line)
        m = c.get("media") or {}
        if c.get("user") != "1001":  # the probe's calls are 1002's
            continue
        if c["direction"] == "inbound":
            sent += m.get("packets_in", 0)
            back += m.get("packets_out", 0)
        else:
            callee += m.get("packets_out", 0)
            echoed += m.get("packets_in", 0)
    if not sent + echoed:
        return None
    return sent, 100.0 * (1 - (callee + back) / (sent + echoed))


FMT = ("{:>5} {:>13} {:>7} {:>8} {:>8} {:>7} {:>11} {:>11} {:>9} "
       "{:>11} {:>11} {:>11} {:>11} {:>6} {:>5} {:>5} {:>5}")


def header():
    print(FMT.format("calls", "rtp-sent", "failed", "dlv%", "dlv%", "ratio", "echo-drop%", "other-lost%",
                     "cdr-loss%", "rtt-base", "rtt-dir", "rtt-sw", "added", "cpu-s", "cores", "gen", "host"))
    print(FMT.format("", "dir/sw", "dir/sw", "dir", "sw", "sw/dir", "dir/sw", "dir/sw", "sw",
                     "p50/p99 µs", "p50/p99 µs", "p50/p99 µs", "p50/p99 µs", "sw", "sw", "sw", "sw"))


def footer():
    print("""
calls        concurrent calls, each streaming the same PCMU file (50 packets/s) to a sipp uas that
             echoes every packet: 100 packets/s per call through the relay, both directions
rtp-sent     RTP packets the sipp callers sent: calls that streamed x packets in the file, direct
             run / switched run (sipp uac -> sipp uas / sipp uac -> dialtone -> sipp uas)
failed       calls sipp counted failed, direct run / switched run
dlv%         100 x (1 - lost / rtp-sent) for each run. lost = UDP datagrams sent - read by a socket -
             reached the caller's RTP socket (sipp never reads it), counting all UDP of the run in
             its own network namespace (/proc/net/snmp, /proc/net/udp). A lost datagram is one lost
             packet, forward or echo, so this is the share of round trips that made it
ratio        dlv% switched / dlv% direct
echo-drop%   of rtp-sent, datagrams the sipp echo's own socket dropped (a full receive buffer: the
             load generator not keeping up)
other-lost%  of rtp-sent, lost datagrams other than those dropped at sipp's sockets (RTP echo, SIP):
             in the switched run the switch's receive buffers, packets to closed ports, the device
             backlog; in the direct run it should be 0
cdr-loss%    packets the switch read and did not relay, both directions, from its per-leg CDRs
rtt-base     rtpprobe round trip to the sipp echo in the direct run (no switch running)
rtt-dir      the same during the switched run
rtt-sw       rtpprobe round trip inside calls through the switch, sent at the same moments as
             rtt-dir: probe -> switch -> echo -> switch -> probe, two passes through the relay
added        rtt-sw - rtt-dir at p50 and at p99: what the switch adds to a round trip (two relay
             passes; halve it for one direction)
cpu-s        the switch's CPU seconds over the switched run
cores        the switch's CPU / wall time while all calls were up (the probe's window)
gen          the same for the load generators (sipp uac, sipp uas with its echo, rtpprobe)
host         busy cores of the whole machine in that window (load generators, switch, anything else)""")


def row(d):
    n = int(read(f"{d}/calls"))
    per_call = int(read(f"{d}/per_call"))
    size = int(read(f"{d}/truesize")) or 1
    runs, sent, failed = {}, {}, {}
    for run in ("direct", "switched"):
        streamed, failed[run] = calls(d, run)
        sent[run] = streamed * per_call if streamed is not None else None
        runs[run] = delivery(d, run, size) if sent[run] else None
    dash = "-"

    def both(f):
        return "/".join(f(r) for r in ("direct", "switched"))

    def pct(run, key):
        return f"{100.0 * runs[run][key] / sent[run]:.3f}" if runs[run] else dash

    dlv = {r: 100.0 * (1 - runs[r]["lost"] / sent[r]) if runs[r] else None for r in runs}
    cells = [n, both(lambda r: str(sent[r]) if sent[r] is not None else dash),
             both(lambda r: str(failed[r]) if failed[r] is not None else dash)]
    cells += [f"{dlv[r]:.3f}" if dlv[r] is not None else dash for r in ("direct", "switched")]
    cells.append(f"{dlv['switched'] / dlv['direct']:.4f}" if None not in dlv.values() and dlv["direct"] else dash)
    cells += [both(lambda r: pct(r, "echo")), both(lambda r: pct(r, "other"))]
    cdr = cdr_loss(d)
    cells.append(f"{cdr[1]:.3f}" if cdr else dash)
    base, pr = probe(d, "direct").get("direct"), probe(d, "switched")
    dr, sw = pr.get("direct"), pr.get("switched")
    for v in (base, dr, sw):
        cells.append(f"{v['p50_us']}/{v['p99_us']}" if v else dash)
    cells.append(f"{sw['p50_us'] - dr['p50_us']}/{sw['p99_us'] - dr['p99_us']}" if dr and sw else dash)
    cpu = load(f"{d}/cpu.json", {})
    cells += [f"{cpu['total']:.1f}" if "total" in cpu else dash,
              f"{cpu['window']:.2f}" if "window" in cpu else dash,
              f"{cpu['gen']:.2f}" if "gen" in cpu else dash,
              f"{cpu['host']:.2f}" if "host" in cpu else dash]
    print(FMT.format(*cells))
    notes = []
    for run, v in runs.items():
        if v and (v["lost"] or v["sndbuf"]):
            notes.append(f"{run} run: {v['lost']} datagrams lost: {v['echo']} at the sipp echo, {v['sip']} at "
                         f"sipp's SIP sockets, {v['other']} elsewhere ({v['rcvbuf']} receive-buffer drops in all, "
                         f"{v['noports']} to closed ports; {v['sndbuf']} send errors)")
    if cdr and sent["switched"] is not None and cdr[0] != sent["switched"]:
        notes.append(f"switched run: the switch read {cdr[0]} packets from the callers of {sent['switched']} sent")
    for run in ("direct", "switched"):
        for path, v in probe(d, run).items():
            if v["sent"] != v["received"]:
                notes.append(f"{run} run: the probe's {path} path: {v['sent'] - v['received']} of {v['sent']} "
                             "not echoed")
    if "host" in cpu and cpu["host"] > os.cpu_count() - 0.15:
        notes.append(f"the machine's {os.cpu_count()} cores were saturated while all calls were up")
    for line in notes:
        print("      " + line)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "lo-up":
        lo_up()
    elif cmd == "snap":
        print(json.dumps(snap()))
    elif cmd == "truesize":
        print(truesize())
    elif cmd == "watch":
        watch(args[0], args[1], [int(p) for p in args[2:]])
    elif cmd == "header":
        header()
    elif cmd == "footer":
        footer()
    elif cmd == "row":
        row(args[0])
    else:
        sys.exit(f"media_stats.py: unknown command {cmd}")


if __name__ == "__main__":
    main()
