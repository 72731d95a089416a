#!/usr/bin/env python3
"""A zenoh-pico client device, scripted: it sends the bytes zenoh-pico 1.9.0's
example programs send (captured on loopback from z_pub, z_put, z_sub,
z_queryable, z_get, z_liveliness, z_sub_liveliness and z_get_liveliness built
from its source, and checked against its codec in src/protocol/codec), and
reacts to what it receives as zenoh-pico does. zenoh-pico ships on no package
registry this project reaches, so the interop tests drive this instead.

    pico_device.py ENDPOINT ROLE KEY [--value V] [--count N] [--interval S] [--timeout S]

ENDPOINT: tcp/HOST:PORT, udp/HOST:PORT or serial/PATH (a pty end; zenoh's
serial link: COBS, CRC-32, Init / Init+Ack link handshake).

ROLE (as the zenoh-pico example of the same name):
  pub        z_pub: declares KEY, asks with an aggregate subscriber interest
             (CurrentFuture, K+S+R+A+M) and, like zenoh-pico's write filter,
             sends a put only while a subscriber declaration *equal* to KEY is
             in place; prints "put N" or "dropped N" for each of --count puts
  put        z_put: one put on KEY, no publisher, no filter
  sub        z_sub: prints "sample KEY VALUE" for each push received
  queryable  z_queryable: answers each request with one reply KEY=--value
  get        z_get: one request on KEY; prints "reply KEY VALUE", then "final"
  token      z_liveliness: declares a liveliness token on KEY
  lsub       z_sub_liveliness: prints "alive KEY" / "dropped KEY"
             (mode Future; --history: CurrentFuture)
  lget       z_get_liveliness: prints "alive KEY" for each token, then "final"

Prints "ready" once its declarations are sent, "matching" / "not matching"
when its write filter opens or closes (pub), and exits after --count
(pub, sub: samples) or --timeout seconds, closing the session as z_close does
(kill it to leave without a Close). --self-test checks the encoders
against the captured bytes and exits.
"""
import argparse
import os
import select
import socket
import sys
import threading
import time
import tty
import termios

from zenoh_bytes import zint

# ---------------------------------------------------------------- primitives


def zbytes(b):
    return zint(len(b)) + b


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def more(self):
        return self.pos < len(self.data)

    def byte(self):
        b = self.data[self.pos]
        self.pos += 1
        return b

    def zint(self):
        v, shift = 0, 0
        while True:
            b = self.byte()
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return v

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("truncated")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def zbytes(self):
        return self.take(self.zint())

    def wire_expr(self, header, n_flag=0x20, m_flag=0x40):
        """(scope, suffix, M): M set, the scope is an id of the sender's; clear, one of ours."""
        scope = self.zint()
        suffix = self.zbytes().decode() if header & n_flag else ""
        return scope, suffix, bool(header & m_flag)

    def extensions(self, present):
        """Skips extensions; returns {id: value} (zint or bytes)."""
        exts = {}
        while present:
            h = self.byte()
            enc = (h >> 5) & 3
            if enc == 0:
                v = None
            elif enc == 1:
                v = self.zint()
            else:
                v = self.zbytes()
            exts[h & 0x0F] = v
            present = h & 0x80
        return exts


# ------------------------------------------- what zenoh-pico 1.9.0 sends (captured)

# InitSyn: version 9, client, 16-byte ZID, S: resolution 0x0a, batch 2048, Patch 1.
def init_syn(zid):
    return bytes([0xC1, 0x09, 0xF2]) + zid + bytes.fromhex("0a0008") + bytes.fromhex("2701")


# OpenSyn: lease 10 s (T: seconds), initial SN 0, the cookie echoed.
def open_syn(cookie):
    return bytes([0x42, 0x0A, 0x00]) + zbytes(cookie)


KEEP_ALIVE = b"\x04"
CLOSE = b"\x23\x00"                        # CLOSE (S: the session), reason generic: z_close


def frame(sn, *messages):
    return bytes([0x25]) + zint(sn) + b"".join(messages)


def declare_keyexpr(eid, key):            # D_KEYEXPR (N), scope 0
    return bytes([0x1E, 0x20]) + zint(eid) + b"\x00" + zbytes(key.encode())


def undeclare_keyexpr(eid):               # U_KEYEXPR
    return bytes([0x1E, 0x01]) + zint(eid)


def declare_subscriber(sid, key):         # D_SUBSCRIBER (N, M), scope 0 + full key
    return bytes([0x1E, 0x62]) + zint(sid) + b"\x00" + zbytes(key.encode())


def declare_queryable(qid, scope):        # D_QUERYABLE (M), declared expr, no info extension
    return bytes([0x1E, 0x44]) + zint(qid) + zint(scope)


def declare_token(tid, scope):            # D_TOKEN (M), declared expr
    return bytes([0x1E, 0x46]) + zint(tid) + zint(scope)


def publisher_interest(iid, scope):       # INTEREST CurrentFuture, K+S+R+M+A, declared expr
    return bytes([0x79]) + zint(iid) + bytes([0xD3]) + zint(scope)


def liveliness_sub_interest(iid, scope, history):  # Future (or CurrentFuture), K+T+R+M
    return bytes([0x79 if history else 0x59]) + zint(iid) + bytes([0x59]) + zint(scope)


def liveliness_get_interest(iid, key):    # Current, K+T+R+N+M, scope 0 + key
    return bytes([0x39]) + zint(iid) + bytes([0x79, 0x00]) + zbytes(key.encode())


def push_put(scope, payload):             # PUSH (M) on a declared expr, PUT with a payload only
    return bytes([0x5D]) + zint(scope) + b"\x01" + zbytes(payload)


def request_get(rid, key):                # REQUEST (N, M, Z): QoS, timeout 10 s; QUERY (C) consolidation 2
    return (bytes([0xFC]) + zint(rid) + b"\x00" + zbytes(key.encode())
            + bytes.fromhex("a10d") + bytes.fromhex("26904e") + bytes.fromhex("2302"))


def response_reply(rid, key, zid, payload):  # RESPONSE (N, M, Z): QoS, responder id; REPLY PUT
    return (bytes([0xFB]) + zint(rid) + b"\x00" + zbytes(key.encode()) + bytes.fromhex("a10d")
            + bytes([0x43]) + zbytes(bytes([0xF0]) + zid + b"\x00") + b"\x04\x01" + zbytes(payload))


def response_final(rid):
    return bytes([0x1A]) + zint(rid)


CAPTURED = [
    # (encoder output, bytes zenoh-pico sent), ZIDs and cookies of the capture.
    (lambda: init_syn(bytes.fromhex("9075202ba82f84de34c179783d5c20a0")),
     "c109f29075202ba82f84de34c179783d5c20a00a00082701"),
    (lambda: open_syn(bytes.fromhex("e47a99b92b45ffeeb5f203057bafdbb6")),
     "420a0010e47a99b92b45ffeeb5f203057bafdbb6"),
    (lambda: frame(0, declare_keyexpr(1, "demo/example/pub")), "25001e2001001064656d6f2f6578616d706c652f707562"),
    (lambda: frame(1, publisher_interest(2, 1)), "25017902d301"),
    (lambda: frame(2, push_put(1, b"[   0] hello")), "25025d01010c5b202020305d2068656c6c6f"),
    (lambda: frame(2, undeclare_keyexpr(1)), "25021e0101"),
    (lambda: frame(1, declare_subscriber(1, "demo/**")), "25011e6201000764656d6f2f2a2a"),
    (lambda: frame(1, declare_queryable(1, 1)), "25011e440101"),
    (lambda: frame(1, declare_token(1, 1)), "25011e460101"),
    (lambda: frame(1, liveliness_sub_interest(1, 1, False)), "250159015901"),
    (lambda: frame(0, liveliness_get_interest(1, "group1/**")), "2500390179000967726f7570312f2a2a"),
    (lambda: frame(0, request_get(1, "demo/q/**")), "2500fc01000964656d6f2f712f2a2aa10d26904e2302"),
    (lambda: frame(2, response_reply(1, "demo/zq", bytes.fromhex("3c5b24a5e530425c2255b2f048e516c1"), b"answer")),
     "2502fb01000764656d6f2f7a71a10d4312f03c5b24a5e530425c2255b2f048e516c100040106616e73776572"),
    (lambda: frame(3, response_final(1)), "25031a01"),
]


def self_test():
    bad = [(f().hex(), want) for f, want in CAPTURED if f().hex() != want]
    for got, want in bad:
        print("mismatch: encoded", got, "captured", want)
    print("self-test", "failed" if bad else "ok", len(CAPTURED) - len(bad), "of", len(CAPTURED))
    return 1 if bad else 0


# --------------------------------------------------------- what it receives


def parse_batch(batch):
    """Yields ('init_ack', cookie) / ('open_ack',) / ('close',) / ('keep_alive',)
    and network messages inside frames as (name, fields)."""
    r = Reader(batch)
    while r.more():
        h = r.byte()
        mid = h & 0x1F
        if mid == 0x01:                       # INIT (Ack)
            r.byte()                          # version
            zid_len = (r.byte() >> 4) + 1
            r.take(zid_len)
            if h & 0x40:
                r.take(3)                     # resolution, batch size
            cookie = r.zbytes()
            r.extensions(h & 0x80)
            yield ("init_ack", cookie)
        elif mid == 0x02:
            r.zint()
            r.zint()
            r.extensions(h & 0x80)
            yield ("open_ack",)
        elif mid == 0x03:
            yield ("close",)
            return
        elif mid == 0x04:
            r.extensions(h & 0x80)
            yield ("keep_alive",)
        elif mid == 0x05:                     # FRAME: network messages to the end of the batch
            r.zint()
            r.extensions(h & 0x80)
            while r.more():
                yield parse_network(r)
        elif mid == 0x06:
            raise ValueError("fragments are not expected in these scenarios")
        else:
            raise ValueError("unexpected transport message 0x%02x" % h)


def parse_body(r):
    """PUT / DEL inside PUSH or REPLY: (kind, payload)."""
    h = r.byte()
    if h & 0x1F == 0x01:
        if h & 0x20:
            r.zint()
            r.zbytes()
        if h & 0x40:
            if r.zint() & 1:
                r.zbytes()
        r.extensions(h & 0x80)
        return "put", r.zbytes()
    if h & 0x20:
        r.zint()
        r.zbytes()
    r.extensions(h & 0x80)
    return "delete", b""


def parse_network(r):
    h = r.byte()
    mid = h & 0x1F
    if mid == 0x1D:                           # PUSH
        we = r.wire_expr(h)
        r.extensions(h & 0x80)
        kind, payload = parse_body(r)
        return ("push", we, kind, payload)
    if mid == 0x1E:                           # DECLARE
        iid = r.zint() if h & 0x20 else None
        r.extensions(h & 0x80)
        d = r.byte()
        did = d & 0x1F
        if did == 0x00:
            eid = r.zint()
            we = r.wire_expr(d)
            return ("declare", iid, "keyexpr", eid, we)
        if did == 0x01:
            eid = r.zint()
            return ("declare", iid, "undeclare_keyexpr", eid, None)
        if did == 0x1A:
            r.extensions(d & 0x80)
            return ("declare", iid, "final", None, None)
        names = {0x02: "subscriber", 0x03: "undeclare_subscriber", 0x04: "queryable",
                 0x05: "undeclare_queryable", 0x06: "token", 0x07: "undeclare_token"}
        eid = r.zint()
        we = r.wire_expr(d) if did in (0x02, 0x04, 0x06) else None
        exts = r.extensions(d & 0x80)
        if we is None and 0x0F in exts:       # undeclaration with its key (wire expr extension)
            raw = Reader(exts[0x0F])
            flags = raw.byte()
            scope = raw.zint()
            we = (scope, raw.take(len(raw.data) - raw.pos).decode() if flags & 0x01 else "", bool(flags & 0x02))
        return ("declare", iid, names[did], eid, we)
    if mid == 0x1C:                           # REQUEST
        rid = r.zint()
        we = r.wire_expr(h)
        r.extensions(h & 0x80)
        q = r.byte()
        if q & 0x20:
            r.byte()
        params = r.zbytes().decode() if q & 0x40 else ""
        r.extensions(q & 0x80)
        return ("request", rid, we, params)
    if mid == 0x1B:                           # RESPONSE
        rid = r.zint()
        we = r.wire_expr(h)
        r.extensions(h & 0x80)
        b = r.byte()
        if b & 0x1F == 0x04:                  # REPLY
            if b & 0x20:
                r.byte()
            r.extensions(b & 0x80)
            kind, payload = parse_body(r)
            return ("response", rid, we, kind, payload)
        if b & 0x40:                          # ERR with encoding
            if r.zint() & 1:
                r.zbytes()
        r.extensions(b & 0x80)
        return ("response", rid, we, "error", r.zbytes())
    if mid == 0x1A:
        rid = r.zint()
        r.extensions(h & 0x80)
        return ("response_final", rid)
    if mid == 0x19:                           # INTEREST (a router sends none to a client)
        iid = r.zint()
        mode = (h >> 5) & 3
        if mode:
            o = r.byte()
            if o & 0x10:
                r.wire_expr(o)
        r.extensions(h & 0x80)
        return ("interest", iid)
    if mid == 0x1F:
        r.zint()
        r.extensions(h & 0x80)
        r.zbytes() if h & 0x40 else None
        return ("oam",)
    raise ValueError("unexpected network message 0x%02x" % h)


# --------------------------------------------------------------------- links


class StreamLink:
    """TCP: each batch after a 2-byte little-endian length."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=5)
        self.sock.settimeout(None)
        # As zenoh-pico (Z_FEATURE_TCP_NODELAY, on by default): without it a
        # declaration waits for the ACK of the previous KeepAlive.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def send(self, batch):
        self.sock.sendall(len(batch).to_bytes(2, "little") + batch)

    def recv(self, timeout):
        while True:
            if len(self.buf) >= 2:
                n = self.buf[0] | self.buf[1] << 8
                if len(self.buf) >= 2 + n:
                    batch, self.buf = self.buf[2:2 + n], self.buf[2 + n:]
                    return batch
            ready, _, _ = select.select([self.sock], [], [], timeout)
            if not ready:
                return None
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("the gateway closed the connection")
            self.buf += data


class DatagramLink:
    """UDP: one batch per datagram."""

    def __init__(self, host, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.connect((host, port))

    def send(self, batch):
        self.sock.send(batch)

    def recv(self, timeout):
        ready, _, _ = select.select([self.sock], [], [], timeout)
        return self.sock.recv(65536) if ready else None


def serial_crc32(data):
    # zenoh's serial CRC-32: the register shifts right but is XORed with the
    # unreflected polynomial 0x04C11DB7 (not zlib's).
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x04C11DB7 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def cobs_encode(data):
    out, block = bytearray(), bytearray()
    for b in data:
        if b == 0:
            out.append(len(block) + 1)
            out += block
            block = bytearray()
        else:
            block.append(b)
            if len(block) == 254:
                out.append(255)
                out += block
                block = bytearray()
    out.append(len(block) + 1)
    out += block
    return bytes(out)


def cobs_decode(data):
    out, i = bytearray(), 0
    while i < len(data):
        code = data[i]
        if code == 0 or i + code > len(data):
            raise ValueError("bad COBS")
        out += data[i + 1:i + code]
        i += code
        if code < 255 and i < len(data):
            out.append(0)
    return bytes(out)


class SerialLink:
    """zenoh's serial link on a pty: `flags | len u16 | data | crc u32`, COBS, 0x00.
    Opened with the link handshake: Init until Init+Ack (every 250 ms, as zenoh-pico)."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd, termios.TCSANOW)
        self.buf = b""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            self.write_frame(0x01, b"")
            flags = self.read_frame(0.25)
            if flags is not None and flags[0] == 0x03:
                return
        raise TimeoutError("no Init+Ack on the serial line")

    def write_frame(self, flags, data):
        raw = bytes([flags]) + len(data).to_bytes(2, "little") + data + serial_crc32(data).to_bytes(4, "little")
        os.write(self.fd, cobs_encode(raw) + b"\x00")

    def read_frame(self, timeout):
        deadline = time.monotonic() + (timeout if timeout is not None else 1e9)
        while True:
            if b"\x00" in self.buf:
                raw, self.buf = self.buf.split(b"\x00", 1)
                if not raw:
                    continue
                try:
                    f = cobs_decode(raw)
                except ValueError:
                    continue
                n = f[1] | f[2] << 8
                data = f[3:3 + n]
                if len(f) != 7 + n or int.from_bytes(f[3 + n:], "little") != serial_crc32(data):
                    continue
                return f[0], data
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                chunk = os.read(self.fd, 4096)
                if not chunk:
                    raise EOFError("the serial line closed")
                self.buf += chunk

    def send(self, batch):
        self.write_frame(0x00, batch)

    def recv(self, timeout):
        f = self.read_frame(timeout)
        if f is None:
            return None
        if f[0] & 0x04:
            raise EOFError("the gateway reset the serial link")
        return f[1] if f[0] == 0 else b""


def open_link(endpoint):
    proto, _, addr = endpoint.partition("/")
    if proto == "serial":
        return SerialLink(addr.split("#")[0])
    host, _, port = addr.rpartition(":")
    return (StreamLink if proto == "tcp" else DatagramLink)(host, int(port))


# -------------------------------------------------------------------- device


class Device:
    def __init__(self, link):
        self.link = link
        self.zid = os.urandom(16)
        self.sn = 0
        self.lock = threading.Lock()
        self.inbox = []                       # network messages not yet handled

    def handshake(self):
        self.link.send(init_syn(self.zid))
        cookie = None
        while cookie is None:
            batch = self.link.recv(5)
            if batch is None:
                raise TimeoutError("no InitAck from the gateway")
            for m in parse_batch(batch):
                if m[0] == "init_ack":
                    cookie = m[1]
        self.link.send(open_syn(cookie))
        while True:
            batch = self.link.recv(5)
            if batch is None:
                raise TimeoutError("no OpenAck from the gateway")
            if any(m[0] == "open_ack" for m in parse_batch(batch)):
                break
        # zenoh-pico's lease task: a KeepAlive every lease / 4 (10 s lease).
        threading.Thread(target=self.keep_alive, daemon=True).start()

    def keep_alive(self):
        while True:
            with self.lock:
                self.link.send(KEEP_ALIVE)
            time.sleep(2.5)

    def send(self, *messages):
        # zenoh-pico sends each network message in a frame of its own.
        with self.lock:
            for m in messages:
                self.link.send(frame(self.sn, m))
                self.sn += 1

    def receive(self, timeout):
        """The next network message, or None after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not self.inbox:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            batch = self.link.recv(left)
            if batch:
                for m in parse_batch(batch):
                    if m[0] == "close":
                        raise EOFError("the gateway closed the session")
                    if m[0] not in ("keep_alive", "open_ack", "init_ack", "oam"):
                        self.inbox.append(m)
        return self.inbox.pop(0)


def key_of(we, exprs, own):
    """The full key of a received wire expression: `exprs` are the gateway's
    declared ids, `own` the device's."""
    scope, suffix, sender = we
    if not scope:
        return suffix
    return (exprs if sender else own).get(scope, "") + suffix


def run(args):
    link = open_link(args.endpoint)
    dev = Device(link)
    dev.handshake()
    try:
        return play(args, dev)
    finally:
        # zenoh-pico's examples end with z_close: a Close for the session.
        with dev.lock:
            dev.link.send(CLOSE)


def play(args, dev):
    deadline = time.monotonic() + args.timeout
    exprs = {}                                # the gateway's key expressions (M=1 on its messages)
    own = {1: args.key}                       # the device's (every role that declares one uses id 1)
    say = lambda *a: print(*a, flush=True)

    def messages():
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            m = dev.receive(min(left, 0.05))
            if m is None:
                yield None
                continue
            if m[0] == "declare" and m[2] == "keyexpr":
                exprs[m[3]] = key_of(m[4], exprs, own)
                continue
            yield m

    role, key = args.role, args.key
    if role == "pub":
        dev.send(declare_keyexpr(1, key), publisher_interest(2, 1))
        say("ready")
        targets = set()                       # subscriber ids announced on exactly KEY
        sent = 0
        next_at = time.monotonic() + args.interval
        for m in messages():
            if m and m[0] == "declare" and m[2] == "subscriber":
                before = bool(targets)
                if key_of(m[4], exprs, own) == key:
                    targets.add(m[3])
                if targets and not before:
                    say("matching")
            elif m and m[0] == "declare" and m[2] == "undeclare_subscriber":
                if m[3] in targets:
                    targets.discard(m[3])
                    if not targets:
                        say("not matching")
            if time.monotonic() >= next_at:
                if targets:
                    dev.send(push_put(1, ("[%4d] %s" % (sent, args.value)).encode()))
                    say("put", sent)
                else:
                    say("dropped", sent)
                sent += 1
                next_at += args.interval
                if sent >= args.count:
                    time.sleep(0.2)
                    return 0
        return 0
    if role == "put":
        dev.send(declare_keyexpr(1, key), push_put(1, args.value.encode()), undeclare_keyexpr(1))
        say("ready")
        time.sleep(0.3)
        return 0
    if role == "sub":
        prefix = key.split("/*")[0].split("/$")[0]
        own[1] = prefix
        dev.send(declare_keyexpr(1, prefix), declare_subscriber(1, key))
        say("ready")
        got = 0
        for m in messages():
            if m and m[0] == "push":
                say("sample", key_of(m[1], exprs, own), m[3].decode(errors="replace"))
                got += 1
                if args.count and got >= args.count:
                    return 0
        return 0 if not args.count else 1
    if role == "queryable":
        dev.send(declare_keyexpr(1, key), declare_queryable(1, 1))
        say("ready")
        for m in messages():
            if m and m[0] == "request":
                say("query", key_of(m[2], exprs, own), m[3])
                dev.send(response_reply(m[1], key, dev.zid, args.value.encode()), response_final(m[1]))
        return 0
    if role == "get":
        dev.send(request_get(1, key))
        say("ready")
        for m in messages():
            if m and m[0] == "response" and m[1] == 1:
                say("reply", key_of(m[2], exprs, own), m[4].decode(errors="replace"))
            elif m and m[0] == "response_final" and m[1] == 1:
                say("final")
                return 0
        return 1
    if role == "token":
        dev.send(declare_keyexpr(1, key), declare_token(1, 1))
        say("ready")
        for _ in messages():
            pass
        return 0
    if role in ("lsub", "lget"):
        if role == "lsub":
            dev.send(declare_keyexpr(1, key), liveliness_sub_interest(1, 1, args.history))
        else:
            dev.send(liveliness_get_interest(1, key))
        say("ready")
        alive = {}
        for m in messages():
            if not m or m[0] != "declare":
                continue
            if m[2] == "token":
                k = key_of(m[4], exprs, own)
                alive[m[3]] = k
                say("alive", k)
            elif m[2] == "undeclare_token":
                k = alive.pop(m[3], None) or (key_of(m[4], exprs, own) if m[4] else "?")
                say("dropped", k)
            elif m[2] == "final" and m[1] == 1:
                say("final")
                if role == "lget":
                    return 0
        return 0 if role == "lsub" else 1
    raise SystemExit("unknown role " + role)


def main():
    if "--self-test" in sys.argv:
        return self_test()
    ap = argparse.ArgumentParser()
    ap.add_argument("endpoint")
    ap.add_argument("role", choices=["pub", "put", "sub", "queryable", "get", "token", "lsub", "lget"])
    ap.add_argument("key")
    ap.add_argument("--value", default="hello")
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--interval", type=float, default=0.2)
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--history", action="store_true")
    args = ap.parse_args()
    if args.role == "pub" and not args.count:
        args.count = 5
    try:
        return run(args)
    except (EOFError, OSError, TimeoutError, ValueError) as e:
        print("error", e, flush=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
