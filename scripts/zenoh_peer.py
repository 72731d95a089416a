#!/usr/bin/env python3
"""A real Zenoh 1.x *peer* (PyPI eclipse-zenoh, no router) for peer-mode interop tests.

    zenoh_peer.py --name P --listen tcp/127.0.0.1:7450 [--connect ...] [--sub KEYEXPR ...]
                  [--queryable KEY=VALUE ...] [--token KEY] [--no-gossip] [--multicast]

Prints {"ready": true, "zid": ...} once declared, then one JSON line per sample its
subscribers receive ({"sub", "key", "payload"}). It is driven over Zenoh itself: it
declares a queryable on `ctl/NAME/**`, and a query's payload (JSON) says what to do:
    ctl/NAME/put    {"key": K, "value": V, "count": N}   puts, replies "ok"
    ctl/NAME/get    {"selector": S, "timeout": T}        replies one JSON list of replies
    ctl/NAME/peers  {}                                   replies the ZIDs of its peers
    ctl/NAME/liveliness {"key": K, "timeout": T}         replies the keys of the alive tokens on K
Runs until SIGTERM/SIGINT.
"""
import argparse
import json
import signal
import sys
import threading

import zenoh


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--listen", action="append", default=[])
    ap.add_argument("--connect", action="append", default=[])
    ap.add_argument("--sub", action="append", default=[])
    ap.add_argument("--queryable", action="append", default=[], help="KEY=VALUE: answer queries on KEY with VALUE")
    ap.add_argument("--token", action="append", default=[])
    ap.add_argument("--no-gossip", action="store_true")
    ap.add_argument("--multicast", action="store_true", help="keep Zenoh's multicast scouting on")
    args = ap.parse_args()
    zenoh.init_log_from_env_or("error")
    conf = zenoh.Config()
    conf.insert_json5("mode", json.dumps("peer"))
    conf.insert_json5("listen/endpoints", json.dumps(args.listen))
    conf.insert_json5("connect/endpoints", json.dumps(args.connect))
    conf.insert_json5("scouting/multicast/enabled", "true" if args.multicast else "false")
    conf.insert_json5("scouting/gossip/enabled", "false" if args.no_gossip else "true")
    session = zenoh.open(conf)
    out = threading.Lock()

    def emit(d):
        with out:
            print(json.dumps(d), flush=True)

    subs = [session.declare_subscriber(k, lambda s, k=k: emit({"sub": k, "key": str(s.key_expr),
                                                                  "payload": s.payload.to_string()}))
            for k in args.sub]
    answers = []
    for spec in args.queryable:
        key, value = spec.split("=", 1)
        answers.append(session.declare_queryable(key, lambda q, key=key, value=value: q.reply(key, value)))
    tokens = [session.liveliness().declare_token(k) for k in args.token]
    control = session.declare_queryable(f"ctl/{args.name}/**")
    emit({"ready": True, "zid": str(session.zid())})

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    # Commands run here, not in Zenoh's callback threads: a get inside a
    # callback would wait on the runtime that runs the callback.
    while not done.is_set():
        q = control.try_recv()
        if q is None:
            done.wait(0.01)
            continue
        what = str(q.key_expr).split("/")[-1]
        body = json.loads(q.payload.to_string()) if q.payload is not None else {}
        if what == "put":
            for _ in range(int(body.get("count", 1))):
                session.put(body["key"], body["value"])
            q.reply(q.key_expr, "ok")
        elif what == "get":
            replies = []
            for r in session.get(body["selector"], timeout=float(body.get("timeout", 5))):
                if r.ok is not None:
                    replies.append({"key": str(r.ok.key_expr), "payload": r.ok.payload.to_string()})
                else:
                    replies.append({"error": r.err.payload.to_string()})
            q.reply(q.key_expr, json.dumps(replies))
        elif what == "liveliness":
            keys = [str(r.ok.key_expr) for r in session.liveliness().get(body["key"], timeout=float(body.get("timeout", 5)))
                    if r.ok is not None]
            q.reply(q.key_expr, json.dumps(sorted(keys)))
        elif what == "peers":
            q.reply(q.key_expr, json.dumps([str(z) for z in session.info.peers_zid()]))
        q.drop()
    for t in tokens:
        t.undeclare()
    session.close()


if __name__ == "__main__":
    sys.exit(main())
