#!/usr/bin/env python3
"""A real Zenoh 1.x router (PyPI eclipse-zenoh, Rust runtime inside) for tests and demos.

    .venv/bin/python scripts/zenoh_router.py --listen tcp/127.0.0.1:7447 [--listen udp/127.0.0.1:7447]

Prints "ready <zid>" once listening, then runs until SIGTERM/SIGINT.
"""
import argparse
import json
import signal
import sys
import threading

import zenoh


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", action="append", default=[])
    ap.add_argument("--no-timestamping", action="store_true")
    ap.add_argument("--lease", type=int, help="the router's lease in ms (Zenoh's default is 10000)")
    ap.add_argument("--multicast", action="store_true", help="answer multicast Scouts (scouting.multicast, 224.0.0.224:7446)")
    ap.add_argument("--multicast-interface", help="scouting.multicast.interface (default: Zenoh's auto)")
    args = ap.parse_args()
    listen = args.listen or ["tcp/127.0.0.1:7447"]
    zenoh.init_log_from_env_or("error")
    conf = zenoh.Config()
    conf.insert_json5("mode", json.dumps("router"))
    conf.insert_json5("listen/endpoints", json.dumps(listen))
    conf.insert_json5("scouting/multicast/enabled", "false")
    conf.insert_json5("scouting/gossip/enabled", "false")
    if args.multicast:
        conf.insert_json5("scouting/multicast/enabled", "true")
        if args.multicast_interface:
            conf.insert_json5("scouting/multicast/interface", json.dumps(args.multicast_interface))
    if args.lease:
        conf.insert_json5("transport/link/tx/lease", str(args.lease))
    if args.no_timestamping:
        conf.insert_json5("timestamping/enabled", "false")
    session = zenoh.open(conf)
    print("ready", str(session.zid()), flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    session.close()


if __name__ == "__main__":
    sys.exit(main())
