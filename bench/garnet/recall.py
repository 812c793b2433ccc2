#!/usr/bin/env python3
"""recall@10 of one server against another (the exact one) over the same queries, by HTTP.
Usage: recall.py EXACT_URL OTHER_URL QUERIES_FILE [N]   (queries URL-encoded, one per line)"""
import json
import sys
import urllib.request


def top(base, q):
    with urllib.request.urlopen(f"{base}/search?q={q}&k=10", timeout=30) as r:
        body = json.load(r)
    return [h["id"] for h in body["hits"]], body.get("partial", False)


def main():
    exact, other, path = sys.argv[1], sys.argv[2], sys.argv[3]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 500
    queries = [line.strip() for line in open(path, encoding="utf-8") if line.strip()][:n]
    found = wanted = partial = 0
    for q in queries:
        truth, _ = top(exact, q)
        got, was_partial = top(other, q)
        found += len(set(truth) & set(got))
        wanted += len(truth)
        partial += was_partial
    print(f"recall@10={found / max(wanted, 1):.4f} queries={len(queries)} partial={partial}")


main()
