#!/usr/bin/env python3
"""A scripted Zenoh "router" for robustness tests: it completes a real Init/Open
handshake (answering with bytes captured from zenoh 1.10.2), then plays a scenario.

    fake_zenoh_peer.py PORT [--scenario garbage|sequence|fragments] [--garbage HEX]

Scenarios (what the peer sends after OpenAck):
  garbage    one batch of garbage (Petrel must close the link with a reason and reconnect)
  sequence   pushes on "seq/x" in frames whose SNs are new, duplicated, stale, then new again
  fragments  a fragmented message larger than Petrel's limit, a fragment run with a gap,
             then a good fragmented message and a plain push "frag/done"

Prints "listening", then "connection N" for each accepted link and "sent N".
"""
import argparse
import socket
import sys
import threading

from zenoh_bytes import unzint, zint

# minimal_client_init_ack / minimal_client_open_ack from the captured vectors (TCP, with prefix),
# the InitAck with Z set and a Patch 1 extension added (so First markers count).
INIT_ACK = bytes.fromhex(
    "3a00" "e109f0" "e6c88be0e39461f7edae828ea7cb4237" "0a" "00c0"
    "21" + "00" * 33 + "2701")
OPEN_ACK = bytes.fromhex("0600620ae99cf430")
ROUTER_SN = unzint(bytes.fromhex("e99cf430"))


def chunk(batch):
    return len(batch).to_bytes(2, "little") + batch


def push_put(key, payload):
    k = key.encode()
    return bytes([0x7D, 0x00]) + zint(len(k)) + k + bytes([0x01]) + zint(len(payload)) + payload


def frame(sn, *messages):
    return bytes([0x25]) + zint(sn) + b"".join(messages)


def fragment(sn, data, more, first=False):
    header = 0x26 | (0x40 if more else 0) | (0x80 if first else 0)
    return bytes([header]) + zint(sn) + (bytes([0x02]) if first else b"") + data


def scenario_sequence(conn):
    sn = ROUTER_SN
    conn.sendall(chunk(frame(sn, push_put("seq/x", b"1"))))
    conn.sendall(chunk(frame(sn, push_put("seq/x", b"duplicate"))))
    conn.sendall(chunk(frame(sn - 3, push_put("seq/x", b"stale"))))
    conn.sendall(chunk(frame(sn + 1, push_put("seq/x", b"2"))))
    conn.sendall(chunk(frame(sn + 5, push_put("seq/x", b"3 after a gap"))))


def scenario_fragments(conn):
    sn = ROUTER_SN
    big = push_put("frag/big", bytes(5000))
    # Too large for a peer limited to 4096 bytes: cut in 1000-byte fragments.
    parts = [big[i:i + 1000] for i in range(0, len(big), 1000)]
    for i, part in enumerate(parts):
        conn.sendall(chunk(fragment(sn, part, more=i < len(parts) - 1, first=i == 0)))
        sn += 1
    # A run with a gap: the middle fragment is missing.
    msg = push_put("frag/gap", bytes(2500))
    conn.sendall(chunk(fragment(sn, msg[:1000], more=True, first=True)))
    conn.sendall(chunk(fragment(sn + 2, msg[2000:], more=False)))
    sn += 3
    # A good fragmented message, then a plain push.
    ok = push_put("frag/ok", bytes(range(256)) * 8)
    parts = [ok[i:i + 700] for i in range(0, len(ok), 700)]
    for i, part in enumerate(parts):
        conn.sendall(chunk(fragment(sn, part, more=i < len(parts) - 1, first=i == 0)))
        sn += 1
    conn.sendall(chunk(frame(sn, push_put("frag/done", b"done"))))


def read_chunk(conn):
    head = b""
    while len(head) < 2:
        b = conn.recv(2 - len(head))
        if not b:
            return None
        head += b
    n = head[0] | head[1] << 8
    body = b""
    while len(body) < n:
        b = conn.recv(n - len(body))
        if not b:
            return None
        body += b
    return body


def serve(conn, n, garbage, scenario):
    try:
        if read_chunk(conn) is None:
            return
        conn.sendall(INIT_ACK)
        if read_chunk(conn) is None:
            return
        conn.sendall(OPEN_ACK)
        # Give the client a moment to declare its subscribers.
        import time
        time.sleep(0.3)
        if scenario == "garbage":
            conn.sendall(chunk(garbage))
        elif scenario == "sequence":
            scenario_sequence(conn)
        elif scenario == "fragments":
            scenario_fragments(conn)
        print("sent", n, flush=True)
        while conn.recv(4096):
            pass
    except OSError:
        pass
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--scenario", default="garbage", choices=["garbage", "sequence", "fragments"])
    ap.add_argument("--garbage", default="dead beef 99 ff ff ff ff ff ff ff ff ff 01".replace(" ", ""))
    args = ap.parse_args()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", args.port))
    s.listen(8)
    print("listening", flush=True)
    n = 0
    while True:
        conn, _ = s.accept()
        n += 1
        print("connection", n, flush=True)
        threading.Thread(target=serve, args=(conn, n, bytes.fromhex(args.garbage), args.scenario), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
