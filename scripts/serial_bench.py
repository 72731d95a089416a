#!/usr/bin/env python3
"""Serial sensor bridge benchmark (run by scripts/bench-serial).

For each baud rate: a socat pty pair, a real Zenoh router, `petrel agent`
reading the board side, and this process playing both the sensor (writing
lines into the pty) and a Zenoh subscriber at the router (Zenoh's Python API):

  - throughput: N lines written as fast as the pty takes them; lines/s and
    samples/s that reach the subscriber (format `lines`: one sample per line;
    `key-value`: three per line);
  - paced: lines at the rate a real UART at that baud rate delivers them
    (10 bits per byte on the wire, 8N1), for a few seconds: are they all
    delivered, and how late (line written -> sample at the subscriber);
  - round trip: sensor writes a line -> bridge -> router -> subscriber, which
    puts a reply on the tx key -> router -> bridge -> written to the pty ->
    read by the sensor. Median and p99 of R round trips.

Pseudo-terminals ignore the baud rate: bytes move as fast as the kernel
copies them. The throughput figures are therefore what the bridge (and the
router and the Python subscriber) can take, the same at every setting; the
paced runs show the bridge keeping up with a real line at that speed.
"""
import argparse
import json
import os
import select
import statistics
import subprocess
import sys
import tempfile
import termios
import threading
import time
import tty

import zenoh

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(msg):
    print(msg, flush=True)


class Procs:
    def __init__(self):
        self.procs = []

    def start(self, args, **kw):
        p = subprocess.Popen(args, **kw)
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.02)
    raise SystemExit("bench-serial: timed out waiting for " + what)


def open_sensor(path):
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd, termios.TCSANOW)
    return fd


def write_all(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def run_baud(a, procs, session, endpoint, tmp, baud, shim):
    d = os.path.join(tmp, str(baud))
    os.makedirs(d, exist_ok=True)
    sensor, board = os.path.join(d, "sensor"), os.path.join(d, "board")
    procs.start(["socat", "pty,raw,echo=0,link=" + sensor, "pty,raw,echo=0,link=" + board],
                stderr=subprocess.DEVNULL)
    wait_for(lambda: os.path.exists(sensor) and os.path.exists(board), 5, "socat")
    time.sleep(0.1)
    key = "bench/serial/%d" % baud
    cfg = os.path.join(d, "agent.json5")
    with open(cfg, "w") as f:
        f.write('{ connect: { endpoints: ["%s"] }, serial: [ { port: "%s", baudrate: %d, format: "%s", key: "%s" } ] }'
                % (endpoint, board, baud, a.format, key))
    err = open(os.path.join(d, "agent.err"), "w+")
    env = dict(os.environ, PETREL_DATA_DIR=os.path.join(d, "data"))
    if shim:
        env["LD_PRELOAD"] = shim
    agent = procs.start([a.petrel, "agent", "-c", cfg], stderr=err, stdout=subprocess.DEVNULL, env=env)

    def agent_log():
        err.flush()
        with open(err.name) as f:
            return f.read()
    wait_for(lambda: "serial port open" in agent_log() and "session open" in agent_log(), 20, "the agent")
    backend = "libserialport" if "backend=libserialport" in agent_log() else "termios"

    per_line = 1 if a.format == "lines" else 3
    lock = threading.Lock()
    got = {"n": 0, "first": None, "last": None, "arrivals": {}}
    rtt_event = threading.Event()
    tx_key = key + "/tx"
    sample_key = key if a.format == "lines" else key + "/seq"

    def on_sample(s):
        now = time.monotonic()
        with lock:
            got["n"] += 1
            if got["first"] is None:
                got["first"] = now
            got["last"] = now
            if str(s.key_expr) == sample_key:
                raw = bytes(s.payload.to_bytes())
                if raw.startswith(b"rt"):
                    session.put(tx_key, raw)
                    return
                try:
                    seq = int(raw.split()[1] if a.format == "lines" else raw)
                except (ValueError, IndexError):
                    return
                got["arrivals"][seq] = now

    sub = session.declare_subscriber(key + "/**" if a.format != "lines" else key, on_sample)
    time.sleep(0.5)
    fd = open_sensor(sensor)

    def line(i):
        if a.format == "lines":
            return b"line %d of the benchmark" % i
        return b"seq=%d temp=21.5 hum=40" % i

    # Throughput: as fast as the pty takes it.
    n = a.lines
    payload = b"\n".join(line(i) for i in range(n)) + b"\n"
    line_bytes = len(payload) / n
    t0 = time.monotonic()
    write_all(fd, payload)
    wait_for(lambda: got["n"] >= n * per_line, 120, "the throughput run's samples")
    with lock:
        elapsed = got["last"] - t0
        received = got["n"]
    throughput = n / elapsed

    # Paced at the UART's own line rate.
    uart_lines_per_s = baud / 10 / line_bytes
    paced_n = int(uart_lines_per_s * a.paced_seconds)
    with lock:
        got["n"] = 0
        got["arrivals"] = {}
    sent_at = {}
    start = time.monotonic()
    first = 10_000_000
    chunk = max(1, int(uart_lines_per_s / 200))  # ~5 ms of line time per write
    for k in range(0, paced_n, chunk):
        due = start + k / uart_lines_per_s
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        idx = range(first + k, first + min(k + chunk, paced_n))
        now = time.monotonic()
        write_all(fd, b"".join(line(i) + b"\n" for i in idx))
        for i in idx:
            sent_at[i] = now
    wait_for(lambda: got["n"] >= paced_n * per_line, 30, "the paced run's samples")
    with lock:
        lat = sorted((got["arrivals"][i] - sent_at[i]) * 1000 for i in sent_at if i in got["arrivals"])
        paced_got = len(got["arrivals"])

    # Round trips: a line out, a reply back on the tx key, read from the pty.
    rtts = []
    for r in range(a.round_trips):
        marker = b"rt%d" % r
        t = time.monotonic()
        if a.format == "lines":
            write_all(fd, marker + b"\n")
        else:
            write_all(fd, b"seq=" + marker + b"\n")
        buf = b""
        deadline = t + 5
        while not buf.endswith(b"\n") and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                buf += os.read(fd, 256)
        if buf.strip() == marker:
            rtts.append((time.monotonic() - t) * 1000)
    os.close(fd)
    sub.undeclare()
    agent.terminate()
    agent.wait(10)
    stats = [l for l in agent_log().splitlines() if "serial bridge stopped" in l]
    p99 = lambda xs: xs[min(len(xs) - 1, int(len(xs) * 0.99))] if xs else float("nan")
    return {
        "baud": baud, "backend": backend, "line_bytes": round(line_bytes, 1),
        "throughput_lines_s": round(throughput), "throughput_samples_s": round(received / elapsed),
        "uart_lines_s": round(uart_lines_per_s), "paced_sent": paced_n, "paced_received": paced_got,
        "paced_latency_ms_median": round(statistics.median(lat), 2) if lat else None,
        "paced_latency_ms_p99": round(p99(lat), 2) if lat else None,
        "rtt_ms_median": round(statistics.median(rtts), 2) if rtts else None,
        "rtt_ms_p99": round(p99(sorted(rtts)), 2) if rtts else None,
        "round_trips": len(rtts), "agent_counters": agent_counters(stats[-1]) if stats else "",
    }


def agent_counters(line):
    """The key=value metadata of the agent's 'serial bridge stopped' log line."""
    head = line.split(" [PetrelAgent]")[0]
    return head.split(": ", 1)[-1] if ": " in head else head


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--petrel", required=True)
    ap.add_argument("--bauds", default="115200,921600")
    ap.add_argument("--lines", type=int, default=200000, help="lines in the throughput run")
    ap.add_argument("--paced-seconds", type=float, default=3)
    ap.add_argument("--round-trips", type=int, default=200)
    ap.add_argument("--format", default="lines", choices=["lines", "key-value"])
    ap.add_argument("--shim", help="LD_PRELOAD this (scripts/pty_uart_shim.c built) to go through libserialport")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()

    procs = Procs()
    tmp = tempfile.mkdtemp(prefix="petrel-bench-serial-")
    try:
        import random
        port = random.randint(20000, 40000)
        endpoint = "tcp/127.0.0.1:%d" % port
        router_log = open(os.path.join(tmp, "router.log"), "w+")
        procs.start([os.path.join(ROOT, ".venv/bin/python"), os.path.join(ROOT, "scripts/zenoh_router.py"), "--listen", endpoint],
                    stdout=router_log, stderr=subprocess.STDOUT)
        wait_for(lambda: "ready" in open(router_log.name).read(), 30, "the router")
        conf = zenoh.Config()
        conf.insert_json5("mode", '"client"')
        conf.insert_json5("connect/endpoints", json.dumps([endpoint]))
        conf.insert_json5("scouting/multicast/enabled", "false")
        session = zenoh.open(conf)
        results = []
        for baud in [int(b) for b in a.bauds.split(",")]:
            r = run_baud(a, procs, session, endpoint, tmp, baud, a.shim)
            results.append(r)
            if a.json:
                print(json.dumps(r), flush=True)
            else:
                log("  %7d baud (%s, pty): %6d lines/s (%d samples/s) as fast as the pty takes them; "
                    "paced at a real UART's %d lines/s of %.0f B: %d/%d delivered, latency median %.2f ms, p99 %.2f ms; "
                    "round trip sensor->Zenoh->tx->sensor median %.2f ms, p99 %.2f ms (%d)"
                    % (r["baud"], r["backend"], r["throughput_lines_s"], r["throughput_samples_s"], r["uart_lines_s"],
                       r["line_bytes"], r["paced_received"], r["paced_sent"], r["paced_latency_ms_median"] or -1,
                       r["paced_latency_ms_p99"] or -1, r["rtt_ms_median"] or -1, r["rtt_ms_p99"] or -1, r["round_trips"]))
                log("           the agent's own count: %s" % r["agent_counters"])
        session.close()
    finally:
        procs.stop_all()
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
