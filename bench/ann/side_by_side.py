"""Runs hnswlib, FAISS and `mmse bench ann` on the same vectors; writes results.json and table.md.

Every library gets one thread. Memory is the size of the serialised index (vectors + graph);
queries/s at a recall target is taken at the smallest ef in the list that reaches it.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np


def read_fvecs(path):
    raw = np.fromfile(path, dtype=np.int32)
    dim = raw[0]
    return raw.reshape(-1, dim + 1)[:, 1:].view(np.float32).copy()


def write_ivecs(path, rows):
    rows = np.ascontiguousarray(rows, dtype=np.int32)
    out = np.empty((rows.shape[0], rows.shape[1] + 1), dtype=np.int32)
    out[:, 0] = rows.shape[1]
    out[:, 1:] = rows
    out.tofile(path)


def recall(found, truth, k):
    hits = sum(len(set(f[:k]) & set(t[:k])) for f, t in zip(found, truth))
    return hits / (len(truth) * k)


TIE_EPSILON = 1e-3  # ann-benchmarks' rule: within 1e-3 of the k-th true neighbour's distance counts


def recall_ties(found, xq, xb, kth, k):
    """recall@k where a result counts when its inner product is at least the k-th true neighbour's
    minus TIE_EPSILON (ann-benchmarks' tie rule), at most k per query."""
    hits = 0
    for q, f in enumerate(found):
        f = np.asarray([i for i in f[:k] if i >= 0], dtype=np.int64)
        if len(f):
            hits += min(k, int(np.count_nonzero(xb[f] @ xq[q] >= kth[q] - TIE_EPSILON)))
    return hits / (len(found) * k)


def timed_queries(search, queries, k, latency_queries=1000):
    """Returns (labels, qps, p99_ms, qps_cpu). Throughput comes from one batched call on one thread, so
    Python's per-call overhead does not count against the C++ libraries; the p99 latency comes
    from single-query calls on the first `latency_queries` queries (it includes that overhead,
    a few microseconds)."""
    search(queries[: min(200, len(queries))], k)  # warm-up
    t0 = time.perf_counter()
    c0 = time.process_time()
    labels = search(queries, k)
    qps = len(queries) / (time.perf_counter() - t0)
    qps_cpu = len(queries) / max(time.process_time() - c0, 1e-9)
    sub = queries[: min(latency_queries, len(queries))]
    lat = np.empty(len(sub))
    for i in range(len(sub)):
        t1 = time.perf_counter()
        search(sub[i:i + 1], k)
        lat[i] = time.perf_counter() - t1
    return labels, qps, float(np.percentile(lat, 99) * 1000), qps_cpu


def file_bytes(save):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "index")
        save(path)
        return os.path.getsize(path)


def at_target(runs, target):
    """The smallest-ef run reaching the target, by the tie-aware recall (equal to id recall without ties)."""
    for r in sorted(runs, key=lambda r: r["ef"]):
        if r.get("recall_ties", r["recall"]) >= target:
            return r
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--query", required=True)
    ap.add_argument("--M", type=int, default=16)
    ap.add_argument("--ef-construction", type=int, default=200)
    ap.add_argument("--ef", default="10,16,32,64,128,256")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--mmse", required=True)
    ap.add_argument("--skip", default="", help="comma-separated: hnswlib,faiss-hnsw,faiss-flat,mmse,mmse-int8")
    a = ap.parse_args()
    skip = set(filter(None, a.skip.split(",")))
    efs = [int(x) for x in a.ef.split(",")]
    k = a.k

    import faiss
    import hnswlib
    faiss.omp_set_num_threads(1)

    xb = read_fvecs(a.base)
    xq = read_fvecs(a.query)
    # Unit length (generated data already is; model vectors may not be).
    xb /= np.maximum(np.linalg.norm(xb, axis=1, keepdims=True), 1e-12)
    xq /= np.maximum(np.linalg.norm(xq, axis=1, keepdims=True), 1e-12)
    n, dim = xb.shape
    print(f"{n} x {dim} base, {len(xq)} queries, M={a.M} efConstruction={a.ef_construction}, k={k}", file=sys.stderr)
    results = {"n": int(n), "dim": int(dim), "queries": int(len(xq)), "M": a.M, "ef_construction": a.ef_construction,
               "k": k, "machine": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}", "libraries": {}}

    # Exact: FAISS IndexFlatIP, single thread; also the ground truth for everybody.
    gt_path = os.path.join(a.dir, "gt.ivecs")
    flat = faiss.IndexFlatIP(dim)
    t0, c0 = time.perf_counter(), time.process_time()
    flat.add(xb)
    build, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    if os.path.exists(gt_path):
        gt = np.fromfile(gt_path, dtype=np.int32).reshape(len(xq), -1)[:, 1:k + 1]
    else:
        faiss.omp_set_num_threads(os.cpu_count())
        _, gt = flat.search(xq, k)
        faiss.omp_set_num_threads(1)
        write_ivecs(gt_path, gt)
    kth = np.einsum("ij,ij->i", xq, xb[gt[:, k - 1]])  # the k-th true neighbour's inner product
    if "faiss-flat" not in skip:
        sub = xq[: min(len(xq), 1000)]
        labels, qps, p99, qps_cpu = timed_queries(lambda q, kk: flat.search(q, kk)[1], sub, k, latency_queries=50)
        results["libraries"]["faiss IndexFlatIP"] = {
            "build_s": build, "build_cpu_s": build_cpu, "index_bytes": file_bytes(lambda p: faiss.write_index(flat, p)),
            "runs": [{"ef": 0, "recall": recall(labels, gt[: len(sub)], k),
                      "recall_ties": recall_ties(labels, sub, xb, kth, k), "qps": qps, "qps_cpu": qps_cpu, "p99_ms": p99}]}
        print(f"faiss flat: {qps:.0f} qps", file=sys.stderr)
    del flat

    if "hnswlib" not in skip:
        p = hnswlib.Index(space="ip", dim=dim)
        p.init_index(max_elements=n, ef_construction=a.ef_construction, M=a.M, random_seed=a.seed)
        p.set_num_threads(1)
        t0, c0 = time.perf_counter(), time.process_time()
        p.add_items(xb, np.arange(n), num_threads=1)
        build, build_cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"hnswlib build {build:.1f} s", file=sys.stderr)
        runs = []
        for ef in efs:
            p.set_ef(max(ef, k))
            labels, qps, p99, qps_cpu = timed_queries(lambda q, kk: p.knn_query(q, k=kk, num_threads=1)[0], xq, k)
            runs.append({"ef": ef, "recall": recall(labels, gt, k), "recall_ties": recall_ties(labels, xq, xb, kth, k),
                         "qps": qps, "qps_cpu": qps_cpu, "p99_ms": p99})
            print(f"hnswlib ef={ef} recall={runs[-1]['recall']:.4f} ties={runs[-1]['recall_ties']:.4f} qps={qps:.0f}", file=sys.stderr)
        results["libraries"]["hnswlib"] = {"build_s": build, "build_cpu_s": build_cpu, "index_bytes": file_bytes(p.save_index), "runs": runs}
        del p

    if "faiss-hnsw" not in skip:
        h = faiss.IndexHNSWFlat(dim, a.M, faiss.METRIC_INNER_PRODUCT)
        h.hnsw.efConstruction = a.ef_construction
        t0, c0 = time.perf_counter(), time.process_time()
        h.add(xb)
        build, build_cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"faiss hnsw build {build:.1f} s", file=sys.stderr)
        runs = []
        for ef in efs:
            h.hnsw.efSearch = max(ef, k)
            labels, qps, p99, qps_cpu = timed_queries(lambda q, kk: h.search(q, kk)[1], xq, k)
            runs.append({"ef": ef, "recall": recall(labels, gt, k), "recall_ties": recall_ties(labels, xq, xb, kth, k),
                         "qps": qps, "qps_cpu": qps_cpu, "p99_ms": p99})
            print(f"faiss hnsw ef={ef} recall={runs[-1]['recall']:.4f} ties={runs[-1]['recall_ties']:.4f} qps={qps:.0f}", file=sys.stderr)
        results["libraries"]["faiss IndexHNSWFlat"] = {"build_s": build, "build_cpu_s": build_cpu, "index_bytes": file_bytes(lambda path: faiss.write_index(h, path)), "runs": runs}
        del h

    for name, quant in (("mmse", "none"), ("mmse-int8", "int8")):
        if name in skip:
            continue
        out = os.path.join(a.dir, f"{name}.json")
        subprocess.run([a.mmse, "bench", "ann", "--base", a.base, "--query", a.query, "--gt", gt_path,
                        "--k", str(k), "--M", str(a.M), "--ef-construction", str(a.ef_construction),
                        "--ef", ",".join(str(e) for e in efs), "--threads", "1", "--seed", str(a.seed),
                        "--quantize", quant, "--json", out], check=True)
        with open(out) as f:
            results["libraries"][f"Mmse HNSW ({quant})"] = json.load(f)

    with open(os.path.join(a.dir, "results.json"), "w") as f:
        json.dump(results, f, indent=2)

    lines = [f"{n:,} x {dim} unit vectors ({os.path.basename(a.base)}), {len(xq):,} queries, k={k}, M={a.M}, efConstruction={a.ef_construction}, one thread each; "
             f"recall@10 with ann-benchmarks' tie rule (within {TIE_EPSILON:g} of the 10th true neighbour)",
             "",
             "| library | build s (CPU s) | index MiB | qps @ recall@10 0.90 (ef) | qps @ 0.95 (ef) | qps @ 0.99 (ef) | p99 ms @ 0.95 |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in results["libraries"].items():
        cells = []
        for target in (0.90, 0.95, 0.99):
            run = at_target(r["runs"], target)
            if run is None:
                cells.append("not reached")
                continue
            cpu = f" / {run['qps_cpu']:,.0f} CPU" if "qps_cpu" in run else ""
            cells.append(f"{run['qps']:,.0f}{cpu}" + (f" ({run['ef']})" if run["ef"] else ""))
        r95 = at_target(r["runs"], 0.95)
        cpu = f" ({r['build_cpu_s']:.1f})" if "build_cpu_s" in r else ""
        lines.append(f"| {name} | {r['build_s']:.1f}{cpu} | {r['index_bytes'] / 1048576:.1f} | {' | '.join(cells)} | "
                     f"{'-' if r95 is None else format(r95['p99_ms'], '.3f')} |")
    table = "\n".join(lines) + "\n"
    with open(os.path.join(a.dir, "table.md"), "w") as f:
        f.write(table)
    print(table)


if __name__ == "__main__":
    main()
