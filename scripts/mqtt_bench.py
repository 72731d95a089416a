#!/usr/bin/env python3
"""Messages/s through Petrel's MQTT bridge, beside the broker alone (scripts/bench-mqtt).

    mqtt_bench.py --petrel PATH [--count N] [--runs R] [--qos Q] [--size BYTES]

Starts its own Mosquitto broker, Zenoh router and `petrel agent` on free
loopback ports, then measures, for small payloads:
  broker alone   mosquitto_pub -l -> mosquitto_sub (through the broker only)
  MQTT -> Zenoh  mosquitto_pub -l -> broker -> petrel -> router -> Zenoh Python subscriber
  Zenoh -> MQTT  Zenoh Python put -> router -> petrel -> broker -> mosquitto_sub
Each figure is the median of R runs of N messages, from the first message
sent to the last one received.
"""
import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import zenoh


def free_port():
    for _ in range(100):
        p = random.randint(20000, 60000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p))
                return p
            except OSError:
                continue
    raise SystemExit("no free port")


def wait_for(pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.05)
    raise SystemExit(f"bench-mqtt: {what} did not happen within {timeout}s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--petrel", required=True)
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--qos", type=int, default=1)
    ap.add_argument("--size", type=int, default=8)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="petrel-bench-mqtt-")
    procs = []

    def spawn(cmd, log):
        p = subprocess.Popen(cmd, stdout=open(os.path.join(work, log), "w"), stderr=subprocess.STDOUT)
        procs.append(p)
        return p

    def log_text(name):
        try:
            return open(os.path.join(work, name)).read()
        except OSError:
            return ""

    try:
        mport, zport = free_port(), free_port()
        conf = os.path.join(work, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(f"listener {mport} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\nmax_inflight_messages 0\n"
                    + ("user root\n" if os.getuid() == 0 else ""))
        spawn(["/usr/sbin/mosquitto", "-c", conf], "mosquitto.log")
        here = os.path.dirname(os.path.abspath(__file__))
        spawn([sys.executable, os.path.join(here, "zenoh_router.py"), "--listen", f"tcp/127.0.0.1:{zport}"], "router.log")
        wait_for(lambda: "running" in log_text("mosquitto.log"), 10, "mosquitto start")
        wait_for(lambda: "ready" in log_text("router.log"), 30, "router start")
        agent_conf = os.path.join(work, "agent.json5")
        with open(agent_conf, "w") as f:
            f.write(json.dumps({
                "connect": {"endpoints": [f"tcp/127.0.0.1:{zport}"]},
                "heartbeat": {"interval": "0s"},
                "mqtt": {"broker": f"tcp/127.0.0.1:{mport}", "queue": {"max_messages": 1000000, "max_bytes": "100MB"},
                         "mappings": [{"topic": "in/#", "key": "bench", "direction": "in", "qos": args.qos},
                                      {"topic": "out/#", "key": "bench", "direction": "out", "qos": args.qos}]},
            }))
        spawn([args.petrel, "agent", "-c", agent_conf], "agent.log")
        wait_for(lambda: "connected to the MQTT broker" in log_text("agent.log") and "session open" in log_text("agent.log"),
                 20, "agent connection")

        zconf = zenoh.Config()
        zconf.insert_json5("mode", '"client"')
        zconf.insert_json5("connect/endpoints", json.dumps([f"tcp/127.0.0.1:{zport}"]))
        zconf.insert_json5("scouting/multicast/enabled", "false")
        session = zenoh.open(zconf)
        time.sleep(0.5)

        n = args.count
        payload = "x" * args.size
        lines_file = os.path.join(work, "lines.txt")
        with open(lines_file, "w") as f:
            f.write((payload + "\n") * n)

        def mqtt_sub(topic):
            p = subprocess.Popen(["/usr/bin/mosquitto_sub", "-h", "127.0.0.1", "-p", str(mport), "-t", topic, "-q", str(args.qos),
                                  "-C", str(n)], stdout=open(os.path.join(work, "sub.out"), "w"), stderr=subprocess.DEVNULL)
            time.sleep(0.4)  # SUBACK
            return p

        def mqtt_pub_lines(topic):
            with open(lines_file) as f:
                return subprocess.Popen(["/usr/bin/mosquitto_pub", "-h", "127.0.0.1", "-p", str(mport), "-t", topic,
                                         "-q", str(args.qos), "-l"], stdin=f)

        def broker_alone():
            sub = mqtt_sub("base/#")
            t0 = time.perf_counter()
            pub = mqtt_pub_lines("base/x")
            sub.wait(timeout=120)
            dt = time.perf_counter() - t0
            pub.wait(timeout=30)
            return n / dt

        def mqtt_to_zenoh():
            got = [0]
            done = threading.Event()

            def on_sample(_):
                got[0] += 1
                if got[0] >= n:
                    done.set()
            sub = session.declare_subscriber("bench/in/**", on_sample)
            time.sleep(0.4)
            t0 = time.perf_counter()
            pub = mqtt_pub_lines("in/x")
            ok = done.wait(120)
            dt = time.perf_counter() - t0
            pub.wait(timeout=30)
            sub.undeclare()
            if not ok:
                raise SystemExit(f"bench-mqtt: MQTT -> Zenoh: {got[0]} of {n} arrived")
            return n / dt

        def zenoh_to_mqtt():
            sub = mqtt_sub("out/#")
            # Block, not Zenoh's default Drop: measure the bridge, not the router's shedding.
            pub = session.declare_publisher("bench/out/x", congestion_control=zenoh.CongestionControl.BLOCK)
            data = payload.encode()
            t0 = time.perf_counter()
            for _ in range(n):
                pub.put(data)
            try:
                sub.wait(timeout=120)
            except subprocess.TimeoutExpired:
                sub.kill()
                got = sum(1 for _ in open(os.path.join(work, "sub.out")))
                raise SystemExit(f"bench-mqtt: Zenoh -> MQTT: {got} of {n} arrived")
            dt = time.perf_counter() - t0
            pub.undeclare()
            return n / dt

        results = {}
        for name, fn in [("mosquitto_pub -> broker -> mosquitto_sub", broker_alone),
                         ("MQTT -> Zenoh through petrel", mqtt_to_zenoh),
                         ("Zenoh -> MQTT through petrel", zenoh_to_mqtt)]:
            rates = [fn() for _ in range(args.runs)]
            results[name] = rates
            print(f"{name:45s} {statistics.median(rates):10,.0f} msg/s   (runs: {', '.join(f'{r:,.0f}' for r in rates)})", flush=True)
        print(f"({n} messages of {args.size} bytes per run, QoS {args.qos}, loopback, load average "
              f"{open('/proc/loadavg').read().split()[0]})")
        session.close()
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    main()
