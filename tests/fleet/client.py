#!/usr/bin/env python3
"""Bounded load for the fleet test: POST /v1/similar through the load balancer.

Runs until --seconds have passed, --max-requests were sent, or the file
--stop-file exists, at about --rate requests/s over --threads keep-alive
connections. Every answer that is not HTTP 200 with a JSON body (and every
connection error) counts as failed. Writes a JSON summary to --out (also on
SIGTERM) and prints it.
"""
import argparse
import http.client
import json
import os
import random
import signal
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--rate", type=float, default=200.0, help="requests/s, all threads together")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=600.0)
    ap.add_argument("--max-requests", type=int, default=500000)
    ap.add_argument("--stop-file", default="")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    stop = threading.Event()
    lock = threading.Lock()
    stats = {"sent": 0, "ok": 0, "failed": 0, "codes": {}, "backends": {}, "errors": []}
    start = time.monotonic()
    interval = a.threads / a.rate if a.rate > 0 else 0.0

    def record(code, backend=None, err=None):
        with lock:
            stats["sent"] += 1
            key = str(code)
            stats["codes"][key] = stats["codes"].get(key, 0) + 1
            if code == 200:
                stats["ok"] += 1
                if backend:
                    stats["backends"][backend] = stats["backends"].get(backend, 0) + 1
            else:
                stats["failed"] += 1
                if err and len(stats["errors"]) < 20:
                    stats["errors"].append("%.3fs %s" % (time.monotonic() - start, err))

    def worker(seed):
        rnd = random.Random(seed)
        conn = None
        next_at = time.monotonic()
        while not stop.is_set():
            with lock:
                if stats["sent"] >= a.max_requests:
                    break
            body = json.dumps({"vector": [rnd.uniform(-1, 1) for _ in range(a.dim)], "k": 5})
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(a.host, a.port, timeout=10)
                conn.request("POST", "/v1/similar", body, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                backend = None
                if resp.status == 200:
                    backend = json.loads(data).get("backend")
                    record(200, backend)
                else:
                    record(resp.status, err="HTTP %d %s" % (resp.status, data[:200]))
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except Exception as e:  # connection refused/reset, timeout, bad JSON
                record("error", err=repr(e))
                if conn is not None:
                    conn.close()
                conn = None
            next_at += interval
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_at = time.monotonic()

    def watchdog():
        while not stop.is_set():
            if time.monotonic() - start >= a.seconds or (a.stop_file and os.path.exists(a.stop_file)):
                stop.set()
            time.sleep(0.05)

    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(a.threads)]
    threads.append(threading.Thread(target=watchdog, daemon=True))
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads[:-1]):
        time.sleep(0.05)
        if stop.is_set():
            break
    stop.set()
    for t in threads:
        t.join(timeout=12)
    stats["seconds"] = round(time.monotonic() - start, 3)
    text = json.dumps(stats, sort_keys=True)
    with open(a.out + ".tmp", "w") as f:
        f.write(text + "\n")
    os.replace(a.out + ".tmp", a.out)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
