#!/usr/bin/env python3
"""A real Zenoh 1.x router (PyPI eclipse-zenoh, Rust runtime inside) for tests and demos.

    .venv/bin/python scripts/zenoh_router.py --listen tcp/127.0.0.1:7447 [--listen udp/127.0.0.1:7447]

Prints "ready <zid>" once listening, then runs until SIGTERM/SIGINT.

Authentication and TLS (Zenoh's own config keys, set from files the caller made):
    --usrpwd-dictionary FILE        transport/auth/usrpwd/dictionary_file (user:password lines)
    --listen tls/127.0.0.1:PORT --tls-certificate CERT --tls-private-key KEY
        [--tls-root-ca CA --tls-enable-mtls]   transport/link/tls/* (mTLS: clients need a cert signed by CA)
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
    ap.add_argument("--usrpwd-dictionary", help="require user/password authentication from this user:password file")
    ap.add_argument("--tls-certificate", help="listen_certificate for tls/ endpoints (PEM)")
    ap.add_argument("--tls-private-key", help="listen_private_key for tls/ endpoints (PEM)")
    ap.add_argument("--tls-root-ca", help="root_ca_certificate: verifies clients' certificates with --tls-enable-mtls")
    ap.add_argument("--tls-enable-mtls", action="store_true", help="enable_mtls: require a client certificate")
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
    if args.usrpwd_dictionary:
        conf.insert_json5("transport/auth/usrpwd/dictionary_file", json.dumps(args.usrpwd_dictionary))
    tls = {"listen_certificate": args.tls_certificate, "listen_private_key": args.tls_private_key,
           "root_ca_certificate": args.tls_root_ca}
    for key, value in tls.items():
        if value:
            conf.insert_json5("transport/link/tls/" + key, json.dumps(value))
    if args.tls_enable_mtls:
        conf.insert_json5("transport/link/tls/enable_mtls", "true")
    session = zenoh.open(conf)
    print("ready", str(session.zid()), flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    session.close()


if __name__ == "__main__":
    sys.exit(main())
