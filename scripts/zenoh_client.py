#!/usr/bin/env python3
"""Zenoh's own Python API (PyPI eclipse-zenoh) as a command-line peer for interop tests.

    zenoh_client.py -e tcp/127.0.0.1:7447 sub KEYEXPR [--count N] [--timeout S]
    zenoh_client.py -e ... put KEY VALUE [--encoding E] [--attachment A] [--count N]
    zenoh_client.py -e ... get SELECTOR [--consolidation auto|none|monotonic|latest] [--target ...] [--timeout S]
    zenoh_client.py -e ... queryable KEYEXPR [--reply KEY=VALUE ...] [--timeout S] [--delay S]
    zenoh_client.py -e ... liveliness-token KEY [--timeout S]
    zenoh_client.py -e ... liveliness-get KEYEXPR [--timeout S]     one line per alive token

Every sample/reply is printed as one JSON line: {"kind","key","payload","encoding","timestamp","attachment"}.
"ready" is printed (as {"ready": true}) once declarations are in place.
"""
import argparse
import base64
import json
import sys
import threading
import time

import zenoh


def text_or_b64(b):
    raw = bytes(b)
    try:
        return {"payload": raw.decode("utf-8")}
    except UnicodeDecodeError:
        return {"payload_base64": base64.b64encode(raw).decode()}


SUMMARY = [False]


def sample_json(s):
    d = {"kind": "put" if s.kind == zenoh.SampleKind.PUT else "delete", "key": str(s.key_expr)}
    raw = s.payload.to_bytes()
    if SUMMARY[0]:
        import hashlib
        d["size"] = len(raw)
        d["sha256"] = hashlib.sha256(bytes(raw)).hexdigest()
    else:
        d.update(text_or_b64(raw))
    d["encoding"] = str(s.encoding)
    d["timestamp"] = str(s.timestamp) if s.timestamp is not None else None
    d["attachment"] = s.attachment.to_bytes().decode("utf-8", "replace") if s.attachment is not None else None
    d["priority"] = str(s.priority).split(".")[-1]
    d["express"] = bool(s.express)
    return d


def emit(d):
    sys.stdout.write(json.dumps(d) + "\n")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-e", "--connect", action="append", default=[])
    ap.add_argument("--mode", default="client")
    ap.add_argument("--set", action="append", default=[], metavar="PATH=JSON5",
                    help="any Zenoh config key, e.g. transport/auth/usrpwd/user='\"alice\"' (repeatable)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sub"); s.add_argument("key"); s.add_argument("--summary", action="store_true", help="print size and sha256 instead of the payload"); s.add_argument("--count", type=int); s.add_argument("--timeout", type=float, default=30)
    p = sub.add_parser("put"); p.add_argument("key"); p.add_argument("value"); p.add_argument("--encoding"); p.add_argument("--attachment")
    p.add_argument("--count", type=int, default=1); p.add_argument("--delete", action="store_true")
    p.add_argument("--size", type=int, help="send a payload of SIZE bytes (a repeating pattern) instead of VALUE")
    g = sub.add_parser("get"); g.add_argument("selector"); g.add_argument("--consolidation", default="auto")
    g.add_argument("--target", default="best-matching"); g.add_argument("--timeout", type=float, default=10); g.add_argument("--payload")
    q = sub.add_parser("queryable"); q.add_argument("key"); q.add_argument("--reply", action="append", default=[])
    q.add_argument("--timeout", type=float, default=30); q.add_argument("--delay", type=float, default=0)
    q.add_argument("--timestamped", action="store_true"); q.add_argument("--no-final", action="store_true")
    t = sub.add_parser("liveliness-token"); t.add_argument("key"); t.add_argument("--timeout", type=float, default=30)
    lg = sub.add_parser("liveliness-get"); lg.add_argument("key"); lg.add_argument("--timeout", type=float, default=10)
    args = ap.parse_args()

    conf = zenoh.Config()
    conf.insert_json5("mode", json.dumps(args.mode))
    conf.insert_json5("connect/endpoints", json.dumps(args.connect or ["tcp/127.0.0.1:7447"]))
    conf.insert_json5("scouting/multicast/enabled", "false")
    for item in args.set:
        path, _, value = item.partition("=")
        conf.insert_json5(path, value)
    session = zenoh.open(conf)

    if args.cmd == "sub":
        SUMMARY[0] = args.summary
        n = [0]
        done = threading.Event()

        def on_sample(smp):
            emit(sample_json(smp))
            n[0] += 1
            if args.count and n[0] >= args.count:
                done.set()
        subscriber = session.declare_subscriber(args.key, on_sample)
        emit({"ready": True})
        done.wait(args.timeout)
        subscriber.undeclare()
    elif args.cmd == "put":
        kw = {}
        if args.encoding:
            kw["encoding"] = zenoh.Encoding(args.encoding)
        if args.attachment:
            kw["attachment"] = args.attachment.encode()
        for i in range(args.count):
            value = args.value.replace("{i}", str(i)).encode()
            if args.size:
                value = bytes(j % 251 for j in range(args.size))
            if args.delete:
                session.delete(args.key)
            else:
                session.put(args.key, value, **kw)
        time.sleep(0.2)
    elif args.cmd == "get":
        mode = {"auto": zenoh.ConsolidationMode.AUTO, "none": zenoh.ConsolidationMode.NONE,
                "monotonic": zenoh.ConsolidationMode.MONOTONIC, "latest": zenoh.ConsolidationMode.LATEST}[args.consolidation]
        target = {"best-matching": zenoh.QueryTarget.BEST_MATCHING, "all": zenoh.QueryTarget.ALL,
                  "all-complete": zenoh.QueryTarget.ALL_COMPLETE}[args.target]
        kw = {}
        if args.payload is not None:
            kw["payload"] = args.payload.encode()
        for reply in session.get(args.selector, consolidation=mode, target=target, timeout=args.timeout, **kw):
            if reply.ok is not None:
                emit(sample_json(reply.ok))
            else:
                d = {"kind": "error"}
                d.update(text_or_b64(reply.err.payload.to_bytes()))
                d["error"] = d.pop("payload", d.get("payload_base64"))
                emit(d)
    elif args.cmd == "queryable":
        replies = [r.split("=", 1) for r in args.reply]

        def on_query(query):
            if args.delay:
                time.sleep(args.delay)
            for k, v in replies:
                kw = {"timestamp": session.new_timestamp()} if args.timestamped else {}
                if v == "!delete":
                    query.reply_del(k, **kw)
                elif v.startswith("!err:"):
                    query.reply_err(v[5:].encode())
                else:
                    query.reply(k, v.encode(), **kw)
            emit({"query": str(query.selector), "payload": query.payload.to_bytes().decode() if query.payload is not None else None})
        queryable = session.declare_queryable(args.key, on_query)
        emit({"ready": True})
        time.sleep(args.timeout)
        queryable.undeclare()
    elif args.cmd == "liveliness-token":
        token = session.liveliness().declare_token(args.key)
        emit({"ready": True})
        time.sleep(args.timeout)
        token.undeclare()
    elif args.cmd == "liveliness-get":
        for reply in session.liveliness().get(args.key, timeout=args.timeout):
            if reply.ok is not None:
                emit({"kind": "put", "key": str(reply.ok.key_expr)})
    session.close()


if __name__ == "__main__":
    sys.exit(main())
