#!/usr/bin/env python3
"""Serving benchmark: `headway serve` against llama.cpp's `llama-server` on the same model file, same machine,
same run, interleaved.

For each client count (default 1, 4, 16) and each server (the order alternates between client counts), that many
clients send streamed chat completions at once, each `--requests` in a row, every request a different question,
greedy, exactly `--max-tokens` tokens (`ignore_eos`, which both servers take). Measured from the client side:

- throughput: completion tokens of all requests / wall time of the whole round
- TTFT: request sent -> first content delta (median and p95 over requests)
- per-token latency: (last delta - first delta) / (tokens - 1) per request (median and p95 over requests)

Both servers get the same thread count. llama-server runs with `-np 16 -c 16*context` (16 slots of `--context`
tokens each, continuous batching on: its default), its default F16 K/V cache; headway with `--parallel 16`, its
default K/V cache. Only loopback addresses are used.

    scripts/bench-serve.py --llama-server PATH/llama-server [--threads 2] [--json out.json]
"""
import argparse
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time

QUESTIONS = [
    "What is the capital of France?", "Name three colors.", "Count from 1 to 5.", "What is 2 + 2?",
    "Say hello in Spanish.", "What is the largest planet?", "Name a fruit that is yellow.", "What do bees make?",
    "Write one word that rhymes with cat.", "What is water made of?", "Name a day of the week.",
    "How many legs does a spider have?", "What color is the sky?", "Who wrote Hamlet?", "What is ice?",
    "Name an animal that can fly.", "Why do leaves fall?", "What is a computer?", "Describe the moon.",
    "What is rain?", "Name a musical instrument.", "What is the sun?", "Tell me about dogs.", "What is bread made of?",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(port, proc, name, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/health")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{name} not healthy after {timeout} s")


def one_request(port, question, max_tokens):
    body = json.dumps({"messages": [{"role": "user", "content": question}], "max_tokens": max_tokens,
                       "temperature": 0, "stream": True, "ignore_eos": True, "stream_options": {"include_usage": True}})
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    t0 = time.perf_counter()
    c.request("POST", "/v1/chat/completions", body=body, headers={"Content-Type": "application/json"})
    r = c.getresponse()
    if r.status != 200:
        raise RuntimeError(f"status {r.status}: {r.read()[:300]}")
    times, usage = [], None
    for raw in r:
        line = raw.decode().strip()
        if not line.startswith("data: "):
            continue
        data = line[6:]
        if data == "[DONE]":
            break
        j = json.loads(data)
        if j.get("usage"):
            usage = j["usage"]["completion_tokens"]
        for ch in j.get("choices", []):
            if (ch.get("delta") or {}).get("content"):
                times.append(time.perf_counter())
    c.close()
    tokens = usage if usage is not None else len(times)
    ttft = times[0] - t0 if times else float("nan")
    tpot = (times[-1] - times[0]) / (tokens - 1) if len(times) > 1 and tokens > 1 else float("nan")
    return {"tokens": tokens, "ttft": ttft, "tpot": tpot}


def load(port, clients, requests, max_tokens, offset):
    results, errors = [], []
    lock = threading.Lock()

    def client(i):
        for k in range(requests):
            q = QUESTIONS[(offset + i * requests + k) % len(QUESTIONS)]
            try:
                r = one_request(port, q, max_tokens)
                with lock:
                    results.append(r)
            except Exception as e:  # noqa: BLE001 - reported below
                with lock:
                    errors.append(str(e))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed: {errors[0]}")
    pct = lambda xs, q: sorted(xs)[min(len(xs) - 1, int(q * len(xs)))]
    ttfts = [r["ttft"] for r in results]
    tpots = [r["tpot"] for r in results]
    return {"clients": clients, "requests": len(results), "tokens": sum(r["tokens"] for r in results),
            "wall_s": wall, "throughput_tok_s": sum(r["tokens"] for r in results) / wall,
            "ttft_ms_median": 1000 * statistics.median(ttfts), "ttft_ms_p95": 1000 * pct(ttfts, 0.95),
            "tpot_ms_median": 1000 * statistics.median(tpots), "tpot_ms_p95": 1000 * pct(tpots, 0.95)}


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--headway", default=os.path.join(repo, ".build/release/headway"))
    ap.add_argument("--llama-server", default=os.environ.get("LLAMA_SERVER"))
    ap.add_argument("--model", default=os.path.join(repo, "models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--context", type=int, default=2048)
    ap.add_argument("--clients", default="1,4,16")
    ap.add_argument("--requests", type=int, default=2, help="requests per client, one after another")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--json", help="write the results here")
    a = ap.parse_args()
    if not a.llama_server or not os.access(a.llama_server, os.X_OK):
        sys.exit("--llama-server PATH (llama.cpp's llama-server binary) is required")

    servers = {}
    procs = []
    try:
        port = free_port()
        p = subprocess.Popen([a.headway, "serve", "--model", a.model, "--port", str(port), "--threads", str(a.threads),
                              "--context", str(a.context), "--parallel", "16"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(p)
        wait_healthy(port, p, "headway serve")
        servers["headway"] = port
        port = free_port()
        p = subprocess.Popen([a.llama_server, "-m", a.model, "--host", "127.0.0.1", "--port", str(port),
                              "-t", str(a.threads), "-tb", str(a.threads), "-np", "16", "-c", str(16 * a.context)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(p)
        wait_healthy(port, p, "llama-server")
        servers["llama-server"] = port
        for name, port in servers.items():  # warm-up
            one_request(port, QUESTIONS[0], 8)
        rows = []
        for round_index, clients in enumerate(int(c) for c in a.clients.split(",")):
            order = list(servers) if round_index % 2 == 0 else list(reversed(servers))
            for name in order:
                r = load(servers[name], clients, a.requests, a.max_tokens, offset=round_index)
                r["server"] = name
                rows.append(r)
                print(f"{name:13s} {clients:3d} clients: {r['throughput_tok_s']:7.1f} tok/s, TTFT median "
                      f"{r['ttft_ms_median']:7.1f} ms (p95 {r['ttft_ms_p95']:7.1f}), per token median "
                      f"{r['tpot_ms_median']:6.1f} ms (p95 {r['tpot_ms_p95']:6.1f})", file=sys.stderr, flush=True)
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()

    print("| clients | server | throughput (tok/s) | TTFT median / p95 (ms) | per-token median / p95 (ms) |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['clients']} | {r['server']} | {r['throughput_tok_s']:.1f} | {r['ttft_ms_median']:.0f} / "
              f"{r['ttft_ms_p95']:.0f} | {r['tpot_ms_median']:.1f} / {r['tpot_ms_p95']:.1f} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"threads": a.threads, "max_tokens": a.max_tokens, "requests_per_client": a.requests,
                       "model": a.model, "load_average": os.getloadavg(), "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
