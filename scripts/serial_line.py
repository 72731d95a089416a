#!/usr/bin/env python3
"""A serial line of a given baud rate between two pty ends (run by
scripts/bench-serial-link).

Pseudo-terminals move bytes as fast as the kernel copies them, whatever baud
rate is set. This relay sits between two socat pty pairs and passes bytes
each way no faster than a UART at --baud carries them (10 bits per byte,
8N1), with a 16-byte FIFO's worth of burst, so a benchmark over it sees a
line's throughput and its serialisation delay (87 us per byte at 115200).

    serial_line.py END_A END_B --baud 115200

On SIGTERM it prints `bytes a_to_b N b_to_a M a_to_b_seconds S` (S: first to
last byte carried from A to B) and exits.
"""
import argparse
import os
import select
import signal
import sys
import termios
import time
import tty


def open_raw(path):
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    tty.setraw(fd, termios.TCSANOW)
    return fd


class Direction:
    def __init__(self, src, dst, rate):
        self.src, self.dst, self.rate = src, dst, rate
        self.buf = bytearray()
        self.credit = 0.0
        self.last = time.monotonic()
        self.total = 0
        self.first_at = None
        self.last_at = None

    def refill(self, now):
        # A UART shifts out one byte per 10 bit times; its FIFO allows a small burst.
        self.credit = min(16.0, self.credit + (now - self.last) * self.rate)
        self.last = now

    def pump(self, now):
        self.refill(now)
        n = min(int(self.credit), len(self.buf))
        if n <= 0:
            return
        try:
            written = os.write(self.dst, self.buf[:n])
        except BlockingIOError:
            return
        del self.buf[:written]
        self.credit -= written
        self.total += written
        if self.first_at is None:
            self.first_at = now
        self.last_at = now


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--baud", type=int, required=True)
    args = ap.parse_args()
    a, b = open_raw(args.a), open_raw(args.b)
    rate = args.baud / 10.0
    ab, ba = Direction(a, b, rate), Direction(b, a, rate)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    print("ready", flush=True)
    while not stop:
        waiting = ab.buf or ba.buf
        try:
            readable, _, _ = select.select([a, b], [], [], 0.0005 if waiting else 0.05)
        except InterruptedError:
            continue
        for fd, d in ((a, ab), (b, ba)):
            if fd in readable and len(d.buf) < 4096:  # about a tty buffer
                try:
                    d.buf += os.read(fd, 4096)
                except (BlockingIOError, OSError):
                    pass
        now = time.monotonic()
        ab.pump(now)
        ba.pump(now)
    busy = (ab.last_at - ab.first_at) if ab.first_at is not None else 0.0
    print(f"bytes a_to_b {ab.total} b_to_a {ba.total} a_to_b_seconds {busy:.3f}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
