#!/usr/bin/env python3
"""A hostile local device for the gateway's limits (issue #16): it speaks
Zenoh's bytes over TCP (as scripts/pico_device.py does) and tries to exhaust
the agent it connects to.

    hostile_device.py tcp/HOST:PORT ATTACK [--duration S] [--sessions N]

ATTACK:
  declarations  opens a session and declares subscribers on new keys as fast
                as it can, until the gateway closes it; again and again
  fragments     opens a session and sends one fragmented message whose
                fragments never end (First, then More forever), until the
                gateway closes it; again and again
  sessions      opens sessions in a loop and keeps them (up to --sessions at a
                time, then drops them all without a Close), and half-open
                handshakes (an InitSyn, never an OpenSyn) beside them
  all           the three at once, each in a thread of its own
  puts          (not part of all) publishes 1900-byte puts as fast as the
                gateway reads them: with a slow router upstream, the gateway
                must hold its reads rather than queue them all

Runs for --duration seconds, then prints one JSON line of what it did and
what the gateway answered: how many sessions were opened and refused, how
many were closed by the gateway and with which Close reasons, how many
declarations and fragment bytes were sent.
"""
import argparse
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zenoh_bytes import zint  # noqa: E402
from pico_device import init_syn, open_syn, frame, declare_subscriber, declare_keyexpr, push_put  # noqa: E402


class Counters:
    def __init__(self):
        self.lock = threading.Lock()
        self.values = {}

    def add(self, name, n=1):
        with self.lock:
            self.values[name] = self.values.get(name, 0) + n

    def snapshot(self):
        with self.lock:
            return dict(self.values)


COUNTS = Counters()


class Closed(Exception):
    """The gateway ended the session: with a Close (its reason) or by dropping the link."""

    def __init__(self, reason):
        super().__init__(f"closed (reason {reason})")
        self.reason = reason


class Link:
    """A TCP link to the gateway: batches after a 2-byte little-endian length.
    Reads what the gateway sends on a thread of its own, so a gateway that
    closes is noticed while this end is busy sending."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=5)
        self.sock.settimeout(None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.batches = []
        self.cond = threading.Condition()
        self.closed = None                     # the Close reason, or "eof"
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                self.buf += data
                while len(self.buf) >= 2:
                    n = self.buf[0] | self.buf[1] << 8
                    if len(self.buf) < 2 + n:
                        break
                    batch, self.buf = self.buf[2:2 + n], self.buf[2 + n:]
                    with self.cond:
                        # A Close is the first message of its batch (the agent sends it on its own).
                        if batch and batch[0] & 0x1F == 0x03 and len(batch) > 1:
                            self.closed = batch[1]
                        self.batches.append(batch)
                        self.cond.notify_all()
        except OSError:
            pass
        with self.cond:
            if self.closed is None:
                self.closed = "eof"
            self.cond.notify_all()

    def send(self, batch):
        if self.closed is not None:
            raise Closed(self.closed)
        try:
            self.sock.sendall(len(batch).to_bytes(2, "little") + batch)
        except OSError:
            with self.cond:
                if self.closed is None:
                    self.cond.wait(1)
            raise Closed(self.closed if self.closed is not None else "eof")

    def next_batch(self, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.batches:
                if self.closed is not None:
                    raise Closed(self.closed)
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)
            return self.batches.pop(0)

    def wait_closed(self, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.closed is None and time.monotonic() < deadline:
                self.cond.wait(max(0.0, deadline - time.monotonic()))
            return self.closed

    def drop(self):
        try:
            self.sock.close()
        except OSError:
            pass


def cookie_of(init_ack):
    """The cookie of an InitAck (header, version, ZID, S: resolution + batch size, cookie)."""
    pos = 2
    zid_len = (init_ack[pos] >> 4) + 1
    pos += 1 + zid_len
    if init_ack[0] & 0x40:
        pos += 3
    n, shift = 0, 0
    while True:
        b = init_ack[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    return init_ack[pos:pos + n]


def open_session(host, port):
    """A session with the gateway (the handshake zenoh-pico does); raises Closed if refused."""
    link = Link(host, port)
    link.send(init_syn(os.urandom(16)))
    ack = link.next_batch(5)
    if ack is None or ack[0] & 0x1F != 0x01:
        link.drop()
        raise Closed("no InitAck")
    link.send(open_syn(cookie_of(ack)))
    ok = link.next_batch(5)
    if ok is None or ok[0] & 0x1F != 0x02:
        link.drop()
        raise Closed(link.closed if link.closed is not None else "no OpenAck")
    COUNTS.add("sessionsOpened")
    return link


def closed_by_gateway(reason):
    COUNTS.add(f"closedReason.{reason}")


def flood_declarations(host, port, until):
    """Declares subscribers on ever new keys, many per frame, until closed; again."""
    serial = 0
    while time.monotonic() < until:
        try:
            link = open_session(host, port)
        except (Closed, OSError):
            COUNTS.add("declarationSessionsRefused")
            time.sleep(0.05)
            continue
        sn = 0
        try:
            while time.monotonic() < until:
                batch = [declare_subscriber(serial + i + 1, f"hostile/flood/{serial + i}") for i in range(40)]
                link.send(frame(sn, *batch))
                sn += 1
                serial += 40
                COUNTS.add("declarationsSent", 40)
        except Closed as c:
            closed_by_gateway(c.reason)
            COUNTS.add("declarationSessionsClosed")
        link.drop()


def endless_fragments(host, port, until):
    """One message whose fragments never end: First, then More forever."""
    chunk = os.urandom(1000)
    while time.monotonic() < until:
        try:
            link = open_session(host, port)
        except (Closed, OSError):
            COUNTS.add("fragmentSessionsRefused")
            time.sleep(0.05)
            continue
        sn = 0
        try:
            # FRAGMENT (0x06) | R 0x20 | M 0x40, Z 0x80 on the first for its First marker (ext 0x02).
            link.send(bytes([0xE6]) + zint(sn) + b"\x02" + chunk)
            COUNTS.add("fragmentBytesSent", len(chunk))
            while time.monotonic() < until:
                sn += 1
                link.send(bytes([0x66]) + zint(sn) + chunk)
                COUNTS.add("fragmentBytesSent", len(chunk))
        except Closed as c:
            closed_by_gateway(c.reason)
            COUNTS.add("fragmentSessionsClosed")
        link.drop()


def flood_puts(host, port, until):
    """Puts of 1900 bytes (a batch of zenoh-pico's 2048 each), as fast as TCP takes them."""
    payload = os.urandom(1900)
    try:
        link = open_session(host, port)
    except (Closed, OSError):
        COUNTS.add("putSessionsRefused")
        return
    try:
        link.send(frame(0, declare_keyexpr(1, "hostile/puts")))
        sn = 1
        while time.monotonic() < until:
            link.send(frame(sn, push_put(1, payload)))
            sn += 1
            COUNTS.add("putsSent")
            COUNTS.add("putBytesSent", len(payload))
    except Closed as c:
        closed_by_gateway(c.reason)
    link.drop()


def session_loop(host, port, until, per_round):
    """Sessions opened in a loop and held (up to `per_round`), then all dropped
    without a Close; beside them handshakes left half-open."""
    while time.monotonic() < until:
        held = []
        half_open = []
        for _ in range(per_round):
            if time.monotonic() >= until:
                break
            try:
                held.append(open_session(host, port))
            except Closed as c:
                COUNTS.add("sessionsRefused")
                closed_by_gateway(c.reason)
            except OSError:
                COUNTS.add("connectFailures")
            try:
                h = Link(host, port)
                h.send(init_syn(os.urandom(16)))
                half_open.append(h)
                COUNTS.add("halfOpenHandshakes")
            except (Closed, OSError):
                COUNTS.add("connectFailures")
        # Sessions over the gateway's cap are closed right after their handshake.
        for link in held:
            reason = link.wait_closed(0.2)
            if reason is not None:
                COUNTS.add("sessionsRefused")
                closed_by_gateway(reason)
        time.sleep(0.5)
        for link in held + half_open:
            link.drop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("endpoint")
    ap.add_argument("attack", choices=["declarations", "fragments", "sessions", "all", "puts"])
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--sessions", type=int, default=100)
    args = ap.parse_args()
    proto, _, addr = args.endpoint.partition("/")
    if proto != "tcp":
        sys.exit("hostile_device.py: only tcp/HOST:PORT endpoints")
    host, _, port = addr.rpartition(":")
    port = int(port)
    until = time.monotonic() + args.duration
    attacks = {
        "declarations": lambda: flood_declarations(host, port, until),
        "fragments": lambda: endless_fragments(host, port, until),
        "sessions": lambda: session_loop(host, port, until, args.sessions),
    }
    chosen = list(attacks) if args.attack == "all" else [args.attack]
    attacks["puts"] = lambda: flood_puts(host, port, until)
    threads = [threading.Thread(target=attacks[a], daemon=True) for a in chosen]
    for t in threads:
        t.start()
    print("started", flush=True)
    while any(t.is_alive() for t in threads):
        time.sleep(1)
        print("progress " + json.dumps(COUNTS.snapshot(), sort_keys=True), flush=True)
    print("done " + json.dumps(COUNTS.snapshot(), sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
