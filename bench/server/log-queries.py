#!/usr/bin/env python3
"""Queries of a search log (JSONL, one request per line with a "query" field) as the load test's
query file: URL-encoded, one per line, N of them drawn with a fixed seed (default 1000, seed 7).
Usage: bench/server/log-queries.py LOG [N] [SEED] > queries.txt"""
import json
import random
import sys
import urllib.parse

if len(sys.argv) < 2:
    sys.exit(__doc__)
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 7
queries = []
with open(sys.argv[1], encoding="utf-8") as log:
    for number, line in enumerate(log, 1):
        if not line.strip():
            continue
        try:
            queries.append(json.loads(line)["query"])
        except (ValueError, KeyError) as error:
            sys.exit(f"{sys.argv[1]}:{number}: field 'query': {error}")
random.Random(seed).shuffle(queries)
for query in queries[:n]:
    print(urllib.parse.quote_plus(query))
