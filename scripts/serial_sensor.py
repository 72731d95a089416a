#!/usr/bin/env python3
"""A scripted serial sensor on the device side of a pty pair, and a Zenoh
subscriber that counts what the serial bridge published. For the serial
bridge's interop tests and scripts/bench-serial.

    serial_sensor.py write PORT --format lines|key-value|json|csv --count N [--first I] [--rate LINES_PER_S]
                                [--header] [--chunk LINES] [--crlf]
    serial_sensor.py garbage PORT [--random-bytes N] [--overlong N] [--length BYTES] [--seed S]
    serial_sensor.py read PORT [--count N] [--timeout S]
    serial_sensor.py collect -e ENDPOINT KEYEXPR [--expect N] [--timeout S] [--idle S]

`write` prints {"written": N, "bytes": B, "seconds": S} when done; `read` prints
{"line": ...} per line received (what the bridge wrote to the device);
`collect` prints {"ready": true} once subscribed, then one summary object:
per key the sample count, distinct payloads, encodings, how many carried a
timestamp, how often a timestamp went backwards, and the integers found in
the payloads (min, max, distinct, missing) so a test can check that every
line's reading arrived, once, on the right key.

Lines written, by format (i = line number):
    lines      "line {i} of the test"
    key-value  "seq={i} temp={20 + i%100/10} hum={i%100}"
    json       {"seq": i, "temp": 21.5, "tag": "s{i%7}", "ok": true}
    csv        "{i},{t},{h}" under the header "seq,temp,hum" (--header writes it first)
"""
import argparse
import json
import os
import random
import re
import select
import sys
import termios
import time
import tty


def emit(d):
    sys.stdout.write(json.dumps(d) + "\n")
    sys.stdout.flush()


def line_for(fmt, i):
    if fmt == "lines":
        return "line %d of the test" % i
    if fmt == "key-value":
        return "seq=%d temp=%.1f hum=%d" % (i, 20 + (i % 100) / 10, i % 100)
    if fmt == "json":
        return json.dumps({"seq": i, "temp": 21.5, "tag": "s%d" % (i % 7), "ok": True})
    if fmt == "csv":
        return "%d,%.1f,%d" % (i, 20 + (i % 100) / 10, i % 100)
    raise SystemExit("unknown format " + fmt)


def open_port(path):
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    try:
        tty.setraw(fd, termios.TCSANOW)
    except termios.error:
        pass
    return fd


def write_all(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def cmd_write(a):
    fd = open_port(a.port)
    end = b"\r\n" if a.crlf else b"\n"
    lines = []
    if a.header and a.format == "csv":
        lines.append(b"seq,temp,hum")
    lines += [line_for(a.format, i).encode() for i in range(a.first, a.first + a.count)]
    start = time.monotonic()
    total = 0
    for k in range(0, len(lines), a.chunk):
        chunk = end.join(lines[k:k + a.chunk]) + end
        write_all(fd, chunk)
        total += len(chunk)
        if a.rate:
            # Pace to the rate: a pty's buffer is a few kB, and a real UART
            # would deliver no faster than its baud rate either.
            due = start + (k + a.chunk) / a.rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    termios.tcdrain(fd)
    seconds = time.monotonic() - start
    if a.hold:
        time.sleep(a.hold)
    os.close(fd)
    emit({"written": a.count, "bytes": total, "seconds": round(seconds, 3)})


def cmd_garbage(a):
    fd = open_port(a.port)
    rng = random.Random(a.seed)
    total = 0
    for _ in range(a.random_bytes // 64):
        # Bytes 0x80-0xFF only: never valid UTF-8 text, so never a reading.
        chunk = bytes(rng.randrange(0x80, 0x100) for _ in range(60)) + b"\n"
        write_all(fd, chunk)
        total += len(chunk)
        time.sleep(0.001)
    for _ in range(a.overlong):
        chunk = b"x=" + b"9" * a.length + b"\n"
        write_all(fd, chunk)
        total += len(chunk)
        time.sleep(0.005)
    termios.tcdrain(fd)
    if a.hold:
        time.sleep(a.hold)
    os.close(fd)
    emit({"garbage_bytes": total})


def cmd_read(a):
    fd = open_port(a.port)
    emit({"ready": True})
    buf = b""
    got = 0
    deadline = time.monotonic() + a.timeout
    while time.monotonic() < deadline and (not a.count or got < a.count):
        r, _, _ = select.select([fd], [], [], max(0.0, min(0.2, deadline - time.monotonic())))
        if not r:
            continue
        data = os.read(fd, 4096)
        if not data:
            break
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            emit({"line": line.decode("utf-8", "replace")})
            got += 1
    os.close(fd)


INT = re.compile(rb"-?\d+")


def cmd_collect(a):
    import threading
    import zenoh

    conf = zenoh.Config()
    conf.insert_json5("mode", json.dumps("client"))
    conf.insert_json5("connect/endpoints", json.dumps(a.connect or ["tcp/127.0.0.1:7447"]))
    conf.insert_json5("scouting/multicast/enabled", "false")
    session = zenoh.open(conf)
    keys = {}
    lock = threading.Lock()
    state = {"count": 0, "last": time.monotonic()}
    done = threading.Event()

    def on_sample(s):
        raw = bytes(s.payload.to_bytes())
        key = str(s.key_expr)
        with lock:
            k = keys.get(key)
            if k is None:
                k = keys[key] = {"count": 0, "payloads": set(), "encodings": set(), "timestamped": 0,
                                 "backwards": 0, "last_ts": None, "ints": set(), "first": raw.decode("utf-8", "replace")}
            k["count"] += 1
            k["payloads"].add(raw)
            k["encodings"].add(str(s.encoding))
            if s.timestamp is not None:
                k["timestamped"] += 1
                t = s.timestamp.get_time()
                if k["last_ts"] is not None and t < k["last_ts"]:
                    k["backwards"] += 1
                k["last_ts"] = t
            m = INT.search(raw)
            if m:
                k["ints"].add(int(m.group(0)))
            state["count"] += 1
            state["last"] = time.monotonic()
            if a.expect and state["count"] >= a.expect:
                done.set()

    subscriber = session.declare_subscriber(a.key, on_sample)
    emit({"ready": True})
    started = time.monotonic()
    first = None
    while not done.is_set() and time.monotonic() - started < a.timeout:
        done.wait(0.1)
        with lock:
            if state["count"] and first is None:
                first = time.monotonic()
            if a.idle and state["count"] and time.monotonic() - state["last"] > a.idle:
                break
    # Anything still in flight (duplicates would show up as extra counts).
    time.sleep(a.settle)
    subscriber.undeclare()
    with lock:
        summary = {"count": state["count"], "seconds": round(state["last"] - (first or state["last"]), 3), "keys": {}}
        for key, k in sorted(keys.items()):
            ints = sorted(k["ints"])
            entry = {"count": k["count"], "distinct": len(k["payloads"]), "encodings": sorted(k["encodings"]),
                     "timestamped": k["timestamped"], "backwards": k["backwards"], "first": k["first"][:80]}
            if ints:
                span = set(range(ints[0], ints[-1] + 1))
                missing = sorted(span - k["ints"])
                entry["ints"] = {"min": ints[0], "max": ints[-1], "distinct": len(ints),
                                 "missing": len(missing), "missing_first": missing[:10]}
            summary["keys"][key] = entry
    emit({"summary": summary})
    session.close()


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write")
    w.add_argument("port")
    w.add_argument("--format", required=True, choices=["lines", "key-value", "json", "csv"])
    w.add_argument("--count", type=int, default=10000)
    w.add_argument("--first", type=int, default=0)
    w.add_argument("--rate", type=float, default=2000, help="lines per second (0: as fast as the pty takes them)")
    w.add_argument("--chunk", type=int, default=20, help="lines per write")
    w.add_argument("--header", action="store_true")
    w.add_argument("--crlf", action="store_true")
    w.add_argument("--hold", type=float, default=0.5, help="seconds to keep the port open after writing")
    g = sub.add_parser("garbage")
    g.add_argument("port")
    g.add_argument("--random-bytes", type=int, default=64000)
    g.add_argument("--overlong", type=int, default=10)
    g.add_argument("--length", type=int, default=10000)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--hold", type=float, default=0.5)
    r = sub.add_parser("read")
    r.add_argument("port")
    r.add_argument("--count", type=int)
    r.add_argument("--timeout", type=float, default=10)
    c = sub.add_parser("collect")
    c.add_argument("-e", "--connect", action="append", default=[])
    c.add_argument("key")
    c.add_argument("--expect", type=int, help="stop once this many samples arrived")
    c.add_argument("--timeout", type=float, default=60)
    c.add_argument("--idle", type=float, default=0, help="stop after this many seconds without a sample (0: never)")
    c.add_argument("--settle", type=float, default=0.5)
    a = ap.parse_args()
    {"write": cmd_write, "garbage": cmd_garbage, "read": cmd_read, "collect": cmd_collect}[a.cmd](a)


if __name__ == "__main__":
    main()
