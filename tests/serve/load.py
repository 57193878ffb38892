#!/usr/bin/env python3
"""Load test of `kimsim serve`: CLIENTS concurrent clients send REQUESTS evaluate requests of the
KIM NRW 2021 baseline with random patches (seeded), each on a keep-alive connection.

  load.py KIMSIM ROOT [REQUESTS=10000] [CLIENTS=8]

Asserts zero errors (every answer 200 and JSON with the recipients). Prints, not asserts (timings
belong in results/bench/serve.md): throughput, latency p50/p99/max, and the server's RSS after half
and after all of the requests.
"""
import http.client, json, os, random, re, subprocess, sys, threading, time

kimsim, root = os.path.realpath(sys.argv[1]), os.path.realpath(sys.argv[2])
total = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
clients = int(sys.argv[4]) if len(sys.argv) > 4 else 8

server = subprocess.Popen([kimsim, "serve", os.path.join(root, "scenarios"), "--port", "0"], stdout=subprocess.PIPE, text=True)
port = int(re.search(r":(\d+)/", server.stdout.readline()).group(1))


def rss_kib():
    for line in open("/proc/{}/status".format(server.pid)):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def patch(rng):
    p = {}
    for b in ("B1", "B2", "B3"):
        if rng.random() < 0.5:
            p["bausteine[{}].rate_per_vza_eur".format(b)] = "{}.00".format(rng.randrange(50000, 60001, 2))
    if rng.random() < 0.5:
        p["bausteine[B2].positions_by_key.key.population"] = "{:.2f}".format(rng.uniform(0.2, 0.9))
    if rng.random() < 0.3:
        p["bausteine[B3].positions_by_key.method"] = rng.choice(["hamilton", "sainte_lague", "dhondt"])
    if rng.random() < 0.2:
        p["bausteine[B2].pass_through"] = rng.random() < 0.5
    if rng.random() < 0.3:
        p["budget_eur"] = "{}.00".format(rng.randrange(48_000_000, 60_000_001))
    return p


latencies, errors, lock = [], [], threading.Lock()
done = [0]
half_rss = [0]


def client(k):
    rng = random.Random(k)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    n = total // clients + (1 if k < total % clients else 0)
    for _ in range(n):
        body = json.dumps({"scenario": "kim-nrw-2021", "patch": patch(rng)})
        t = time.perf_counter()
        try:
            conn.request("POST", "/api/evaluate", body=body, headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
            ok = r.status == 200 and len(json.loads(data)["recipients"]) > 0
            why = "" if ok else "{} {}".format(r.status, data[:300])
        except Exception as e:  # a dropped connection is an error too
            ok, why = False, repr(e)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        dt = time.perf_counter() - t
        with lock:
            latencies.append(dt)
            if not ok:
                errors.append(why)
            done[0] += 1
            if done[0] == total // 2:
                half_rss[0] = rss_kib()


start = time.perf_counter()
threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
wall = time.perf_counter() - start
end_rss = rss_kib()
server.terminate()
server.wait(timeout=10)

latencies.sort()
q = lambda f: latencies[min(len(latencies) - 1, int(f * len(latencies)))] * 1000
print("{} requests, {} clients, {} errors, {:.1f} s, {:.0f} requests/s".format(len(latencies), clients, len(errors), wall,
                                                                             len(latencies) / wall))
print("latency ms: p50 {:.2f}, p99 {:.2f}, max {:.2f}".format(q(0.5), q(0.99), latencies[-1] * 1000))
print("server RSS KiB: after {} {}, after {} {} (ratio {:.3f})".format(total // 2, half_rss[0], total, end_rss,
                                                                     end_rss / max(half_rss[0], 1)))
if errors:
    print("first errors:", errors[:3])
    sys.exit("load: {} of {} requests failed".format(len(errors), total))
