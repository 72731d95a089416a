#!/usr/bin/env python3
"""A fault-injecting loopback proxy for the alignment convergence tests.

    python scripts/fault_proxy.py --control FILE --seed N \
        --forward NAME:tcp:LISTEN_PORT:TARGET_PORT [--forward NAME:udp:LISTEN_PORT:TARGET_PORT ...]

Each forward listens on 127.0.0.1:LISTEN_PORT and relays to 127.0.0.1:TARGET_PORT.
Faults per forward are read from the JSON control FILE (re-read whenever it
changes; write it atomically), keyed by NAME:

    {"edge1": {"cut": false, "loss": 0.05, "dup": 0.02, "reorder": 0.05, "delay_ms": [0, 20]}}

- cut: a partition. Open connections are closed, new ones are accepted and
  closed at once (TCP), every datagram is dropped (UDP).
- loss / dup / reorder (UDP only: a TCP stream cannot lose bytes without
  breaking): each datagram is dropped, sent twice, or held back and sent
  after the next one, with these probabilities.
- delay_ms: each chunk (TCP, order kept) or datagram (UDP) waits a uniform
  random delay in this range.

Prints "ready" once every forward listens, and one line per fault change.
Randomness comes from --seed, so a failing run's proxy behaves alike on replay
(timing still varies).
"""
import argparse
import asyncio
import json
import os
import random
import signal
import sys

faults = {}
rng = random.Random(0)


def fault(name):
    return faults.get(name, {})


def delay_of(f):
    d = f.get("delay_ms")
    if not d:
        return 0.0
    return rng.uniform(d[0], d[1]) / 1000.0


class TcpForward:
    def __init__(self, name, listen, target):
        self.name, self.listen, self.target = name, listen, target
        self.conns = set()

    async def start(self):
        self.server = await asyncio.start_server(self.accept, "127.0.0.1", self.listen)

    def cut(self):
        for w in list(self.conns):
            try:
                w.transport.abort()
            except Exception:
                pass
        self.conns.clear()

    async def accept(self, reader, writer):
        if fault(self.name).get("cut"):
            writer.transport.abort()
            return
        try:
            ur, uw = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.transport.abort()
            return
        self.conns.update([writer, uw])

        async def pump(r, w):
            try:
                while True:
                    data = await r.read(65536)
                    if not data:
                        break
                    f = fault(self.name)
                    if f.get("cut"):
                        break
                    d = delay_of(f)
                    if d > 0:
                        await asyncio.sleep(d)
                    w.write(data)
                    await w.drain()
            except Exception:
                pass
            finally:
                for x in (w, writer, uw):
                    try:
                        x.transport.abort()
                    except Exception:
                        pass
                self.conns.discard(writer)
                self.conns.discard(uw)

        asyncio.ensure_future(pump(reader, uw))
        asyncio.ensure_future(pump(ur, writer))


class UdpForward:
    """One upstream socket per client address, so the router sees distinct peers."""

    def __init__(self, name, listen, target):
        self.name, self.listen, self.target = name, listen, target
        self.upstreams = {}
        self.held = {}

    async def start(self):
        loop = asyncio.get_running_loop()
        fwd = self

        class Front(asyncio.DatagramProtocol):
            def connection_made(self, transport):
                fwd.front = transport

            def datagram_received(self, data, addr):
                asyncio.ensure_future(fwd.from_client(data, addr))

        await loop.create_datagram_endpoint(Front, local_addr=("127.0.0.1", self.listen))

    def cut(self):
        pass

    async def upstream(self, addr):
        if addr in self.upstreams:
            return self.upstreams[addr]
        loop = asyncio.get_running_loop()
        fwd = self

        class Back(asyncio.DatagramProtocol):
            def datagram_received(self, data, _):
                asyncio.ensure_future(fwd.deliver(data, lambda d: fwd.front.sendto(d, addr), ("down", addr)))

        transport, _ = await loop.create_datagram_endpoint(Back, remote_addr=("127.0.0.1", self.target))
        self.upstreams[addr] = transport
        return transport

    async def from_client(self, data, addr):
        up = await self.upstream(addr)
        await self.deliver(data, up.sendto, ("up", addr))

    async def deliver(self, data, send, direction):
        f = fault(self.name)
        if f.get("cut") or rng.random() < f.get("loss", 0):
            return
        d = delay_of(f)
        if d > 0:
            await asyncio.sleep(d)
        copies = 2 if rng.random() < f.get("dup", 0) else 1
        if direction not in self.held and rng.random() < f.get("reorder", 0):
            self.held[direction] = data
            # Released after the next datagram, or on its own after 50 ms.
            asyncio.get_running_loop().call_later(0.05, self.release, direction, send)
            return
        for _ in range(copies):
            send(data)
        self.release(direction, send)

    def release(self, direction, send):
        held = self.held.pop(direction, None)
        if held is not None:
            send(held)


async def watch(path, forwards):
    global faults
    last = None
    while True:
        try:
            st = os.stat(path)
            stamp = (st.st_mtime_ns, st.st_size)
            if stamp != last:
                last = stamp
                with open(path) as fh:
                    new = json.load(fh)
                for name, fw in forwards.items():
                    if new.get(name, {}).get("cut") and not faults.get(name, {}).get("cut"):
                        fw.cut()
                faults = new
                print("faults", json.dumps(faults, sort_keys=True), flush=True)
        except (FileNotFoundError, json.JSONDecodeError):
            pass
        await asyncio.sleep(0.02)


async def main():
    global rng
    ap = argparse.ArgumentParser()
    ap.add_argument("--forward", action="append", default=[])
    ap.add_argument("--control", required=True)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    forwards = {}
    for spec in args.forward:
        name, proto, listen, target = spec.split(":")
        cls = TcpForward if proto == "tcp" else UdpForward
        fw = cls(name, int(listen), int(target))
        await fw.start()
        forwards[name] = fw
    asyncio.ensure_future(watch(args.control, forwards))
    print("ready", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
