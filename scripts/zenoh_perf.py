#!/usr/bin/env python3
"""Zenoh's Python API doing what Benchmarks/PetrelPerf does, for side-by-side figures.

    zenoh_perf.py -e ENDPOINT pub-thr --size 8 --seconds 10
    zenoh_perf.py -e ENDPOINT sub-thr --seconds 5 --warmup 1
    zenoh_perf.py -e ENDPOINT pong --seconds 60
    zenoh_perf.py -e ENDPOINT ping --samples 5000 --size 8
"""
import argparse
import json
import queue
import threading
import time

import zenoh


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-e", "--connect", default=None)
    ap.add_argument("--mode", default="client", choices=["client", "peer"], help="peer: no router, straight to the other peer")
    ap.add_argument("-l", "--listen", default=None, help="peer mode: endpoint to listen on")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pub-thr"); p.add_argument("--size", type=int, default=8); p.add_argument("--seconds", type=float, default=10)
    s = sub.add_parser("sub-thr"); s.add_argument("--seconds", type=float, default=5); s.add_argument("--warmup", type=float, default=1)
    po = sub.add_parser("pong"); po.add_argument("--seconds", type=float, default=60)
    pi = sub.add_parser("ping"); pi.add_argument("--samples", type=int, default=5000); pi.add_argument("--warmup", type=int, default=500)
    pi.add_argument("--size", type=int, default=8)
    args = ap.parse_args()
    conf = zenoh.Config()
    conf.insert_json5("mode", json.dumps(args.mode))
    if args.mode == "client":
        conf.insert_json5("connect/endpoints", json.dumps([args.connect or "tcp/127.0.0.1:7447"]))
    else:
        conf.insert_json5("connect/endpoints", json.dumps([args.connect] if args.connect else []))
        conf.insert_json5("listen/endpoints", json.dumps([args.listen] if args.listen else []))
        conf.insert_json5("scouting/gossip/enabled", "false")
    conf.insert_json5("scouting/multicast/enabled", "false")
    session = zenoh.open(conf)
    if args.cmd == "pub-thr":
        pub = session.declare_publisher("test/thr", congestion_control=zenoh.CongestionControl.BLOCK)
        payload = bytes(args.size)
        end = time.time() + args.seconds
        n = 0
        while time.time() < end:
            for _ in range(1000):
                pub.put(payload)
            n += 1000
        print("published", n, flush=True)
    elif args.cmd == "sub-thr":
        count = [0]

        def cb(_s):
            count[0] += 1
        session.declare_subscriber("test/thr", cb)
        print("ready", flush=True)
        while count[0] == 0:
            time.sleep(0.005)
        time.sleep(args.warmup)
        c0, t0 = count[0], time.time()
        time.sleep(args.seconds)
        c1, t1 = count[0], time.time()
        print("msgs_per_s %.0f" % ((c1 - c0) / (t1 - t0)), flush=True)
    elif args.cmd == "pong":
        pub = session.declare_publisher("test/pong", express=True, congestion_control=zenoh.CongestionControl.BLOCK)
        session.declare_subscriber("test/ping", lambda s: pub.put(s.payload))
        print("ready", flush=True)
        time.sleep(args.seconds)
    elif args.cmd == "ping":
        pub = session.declare_publisher("test/ping", express=True, congestion_control=zenoh.CongestionControl.BLOCK)
        q = queue.Queue()
        session.declare_subscriber("test/pong", lambda s: q.put(time.perf_counter()))
        time.sleep(0.5)
        payload = bytes(args.size)
        rtts = []
        for i in range(args.warmup + args.samples):
            t0 = time.perf_counter()
            pub.put(payload)
            t1 = q.get(timeout=10)
            if i >= args.warmup:
                rtts.append((t1 - t0) * 1e6)
        rtts.sort()
        print("rtt_us median %.1f p99 %.1f n %d" % (rtts[len(rtts) // 2], rtts[len(rtts) * 99 // 100], len(rtts)), flush=True)
    session.close()


if __name__ == "__main__":
    main()
