#!/usr/bin/python3
"""PyTorch reference of Mmse's model and losses, for the side-by-side training benchmark.

The same towers, post-fusion score, losses and batch settings as DESIGN sections 4 and 5 and
docs/model.md (the tokeniser is the exact spec, so bucket ids match the C# implementation):

  query tower: mean of hashed token embeddings (E=64) -> Linear 128 ReLU -> Linear K*d -> per-head L2
  item tower:  per-field (title, brand, category) mean embeddings, concatenated -> Linear 128 ReLU
               -> Linear d -> L2
  score:       z_k = cos(q_k, i); w = softmax(z / beta); s = sum_k w_k z_k
  retrieval:   sampled softmax over in-batch positives plus R shared random items, accidental
               hits masked, weights order 1, cart 0.75, click 0.5, at most 4 positives a request
  ranking:     graded pairwise hinge over O, C, up to 8 U and up to 8 R, margin m0 * level gap
  optimiser:   Adam (dense), SparseAdam (embedding rows touched), lr 0.003, N(0, 0.1) init

Usage: bench/torch/mmse_torch.py --catalog C --train T --test S [--epochs 1] [--threads 1]
       [--seed 1] [--json OUT] [--tokens-check]

Run with Debian's /usr/bin/python3 (bench/torch/setup.sh installs python3-torch).
"""
import argparse
import json
import math
import random
import sys
import time
import unicodedata

import torch
import torch.nn.functional as F

LEVEL = {"order": 3.0, "cart": 2.5, "click": 2.0, "none": 1.0}
WEIGHT = {3.0: 1.0, 2.5: 0.75, 2.0: 0.5}
MASK64 = (1 << 64) - 1


# ---------------------------------------------------------------- tokeniser (docs/model.md spec v1)

def is_cjk(ch):
    c = ord(ch)
    return (0x3400 <= c <= 0x4DBF or 0x4E00 <= c <= 0x9FFF or 0xF900 <= c <= 0xFAFF
            or 0x3040 <= c <= 0x30FF or 0xAC00 <= c <= 0xD7AF)


def tokens(text):
    text = unicodedata.normalize("NFKC", text).lower()
    words, cjk_runs, word, run = [], [], [], []
    for ch in text:
        if is_cjk(ch):
            if word:
                words.append("".join(word)); word = []
            run.append(ch)
        elif ch.isalnum():
            if run:
                cjk_runs.append("".join(run)); run = []
            word.append(ch)
        else:
            if word:
                words.append("".join(word)); word = []
            if run:
                cjk_runs.append("".join(run)); run = []
    if word:
        words.append("".join(word))
    if run:
        cjk_runs.append("".join(run))
    out = ["w:" + w for w in words]
    out += ["b:" + a + " " + b for a, b in zip(words, words[1:])]
    for w in words:
        padded = "#" + w + "#"
        out += ["t:" + padded[i:i + 3] for i in range(len(padded) - 2)]
    for r in cjk_runs:
        out += ["c:" + ch for ch in r]
        out += ["d:" + r[i:i + 2] for i in range(len(r) - 1)]
    return out


def bucket(token, seed=0, buckets=1 << 20, prefix=""):
    h = 0xcbf29ce484222325 ^ ((seed * 0x9E3779B97F4A7C15) & MASK64)
    for b in (prefix + token).encode("utf-8"):
        h ^= b
        h = (h * 0x100000001b3) & MASK64
    return (h ^ (h >> 32)) % buckets


def token_ids(text, cache):
    ids = cache.get(text)
    if ids is None:
        ids = [bucket(t) for t in tokens(text)] if text else []
        cache[text] = ids
    return ids


# ---------------------------------------------------------------- data

def read_catalog(path):
    ids, fields = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                o = json.loads(line)
                ids.append(o["id"])
                fields.append((o.get("title") or "", o.get("brand") or "", o.get("category") or ""))
    return ids, fields


def read_log(path, index):
    requests = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            o = json.loads(line)
            items = {}
            order = []
            for it in o["items"]:
                i = index.get(it["id"])
                if i is None:
                    continue
                level = LEVEL[it.get("action") or "none"]
                if i not in items:
                    order.append(i)
                    items[i] = level
                elif level > items[i]:
                    items[i] = level
            ranked = sorted(order, key=lambda i: -items[i])  # stable: display order within a level
            requests.append((o["query"], [(i, items[i]) for i in ranked]))
    return requests


class Bags:
    """Token-id lists packed for F.embedding_bag (flat ids plus offsets)."""

    def __init__(self, lists):
        self.lists = lists

    def take(self, rows):
        flat, offsets = [], []
        for r in rows:
            offsets.append(len(flat))
            flat.extend(self.lists[r])
        return torch.tensor(flat, dtype=torch.long), torch.tensor(offsets, dtype=torch.long)


# ---------------------------------------------------------------- model

class Mmse(torch.nn.Module):
    def __init__(self, buckets=1 << 20, e=64, hidden=128, heads=2, d=64, fields=3, beta=0.1):
        super().__init__()
        self.heads, self.d, self.beta = heads, d, beta
        self.table = torch.nn.Parameter(torch.randn(buckets, e) * 0.1)
        self.q1 = torch.nn.Linear(e, hidden)
        self.q2 = torch.nn.Linear(hidden, heads * d)
        self.i1 = torch.nn.Linear(fields * e, hidden)
        self.i2 = torch.nn.Linear(hidden, d)

    def bag(self, ids, offsets):
        # Mean over each bag; empty bags give zeros (as in the C# towers).
        return F.embedding_bag(ids, self.table, offsets, mode="mean", sparse=True)

    def query(self, ids, offsets):
        h = F.relu(self.q1(self.bag(ids, offsets)))
        q = self.q2(h).view(-1, self.heads, self.d)
        return F.normalize(q, dim=-1)

    def item(self, field_bags):
        x = torch.cat([self.bag(ids, offsets) for ids, offsets in field_bags], dim=1)
        return F.normalize(self.i2(F.relu(self.i1(x))), dim=-1)

    def fuse(self, z):
        # z [..., heads] -> fused score [...]
        return (torch.softmax(z / self.beta, dim=-1) * z).sum(-1)


def train(args):
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    torch.set_num_threads(args.threads)
    ids, fields = read_catalog(args.catalog)
    index = {x: i for i, x in enumerate(ids)}
    train_requests = read_log(args.train, index)
    test_requests = read_log(args.test, index)
    if args.limit:
        train_requests = train_requests[:args.limit]

    cache = {}
    t0 = time.time()
    item_bags = [Bags([token_ids(f[k], cache) for f in fields]) for k in range(3)]
    query_bags = Bags([token_ids(q, cache) for q, _ in train_requests])
    print(f"tokenised {len(ids)} items and {len(train_requests)} queries in {time.time() - t0:.1f}s", file=sys.stderr)

    model = Mmse(heads=args.heads)
    dense = [p for n, p in model.named_parameters() if n != "table"]
    opt_dense = torch.optim.Adam(dense, lr=args.lr)
    opt_sparse = torch.optim.SparseAdam([model.table], lr=args.lr)
    n_items = len(ids)
    history = []
    seen = 0
    train_seconds = 0.0
    for epoch in range(1, args.epochs + 1):
        order = list(range(len(train_requests)))
        random.shuffle(order)
        sums = [0.0, 0.0, 0]
        t_epoch = time.time()
        for start in range(0, len(order), args.batch):
            batch = order[start:start + args.batch]
            step(model, opt_dense, opt_sparse, batch, train_requests, query_bags, item_bags, n_items, args, sums)
            seen += len(batch)
        train_seconds += time.time() - t_epoch
        recall = evaluate(model, test_requests, item_bags, n_items, cache, args)
        history.append({"epoch": epoch, "retrieval_loss": sums[0] / max(1, sums[2]),
                        "ranking_loss": sums[1] / max(1, sums[2]), "test_recall_order@100": recall})
        print(f"epoch {epoch}: {history[-1]}  {seen / train_seconds:.0f} requests/s", file=sys.stderr)
    summary = {"implementation": "pytorch " + torch.__version__, "threads": args.threads,
               "epochs": args.epochs, "requests_seen": seen, "train_seconds": train_seconds,
               "train_requests_per_s": seen / max(train_seconds, 1e-9),
               "test_recall_order@100": history[-1]["test_recall_order@100"], "history": history}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=2)
    print(json.dumps(summary))


def step(model, opt_dense, opt_sparse, batch, requests, query_bags, item_bags, n_items, args, sums):
    # Candidate items: every positive (at most 4 per request), the ranking lists, R shared random.
    positives = [[(i, l) for i, l in requests[r][1] if l > 1.0][:4] for r in batch]
    unclicked = [random.sample([i for i, l in requests[r][1] if l == 1.0],
                               min(8, sum(1 for _, l in requests[r][1] if l == 1.0))) for r in batch]
    randoms = [random.randrange(n_items) for _ in range(args.negatives)]
    column = {}
    for items in positives:
        for i, _ in items:
            column.setdefault(i, len(column))
    n_softmax = len(column)
    for i in randoms:
        column.setdefault(i, len(column))
    n_softmax_total = len(column)
    for items in unclicked:
        for i in items:
            column.setdefault(i, len(column))
    cols = list(column)
    item_vec = model.item([b.take(cols) for b in item_bags])            # [C, d]
    q = model.query(*query_bags.take(batch))                             # [B, K, d]
    z = torch.einsum("bkd,cd->bck", q, item_vec)                         # [B, C, K]
    s = model.fuse(z)                                                    # [B, C]

    # Retrieval loss: softmax over in-batch positives and the shared random items.
    logits = s[:, :n_softmax_total] / args.tau
    mask = torch.zeros_like(logits, dtype=torch.bool)
    rows, cols_p, weights = [], [], []
    for b, items in enumerate(positives):
        for i, level in items:
            mask[b, column[i]] = True
            rows.append(b); cols_p.append(column[i]); weights.append(WEIGHT[level])
    retrieval = torch.zeros(())
    if rows:
        neg = logits.masked_fill(mask, float("-inf"))
        neg_lse = torch.logsumexp(neg, dim=1)                            # [B]
        rows_t = torch.tensor(rows); cols_t = torch.tensor(cols_p)
        pos = logits[rows_t, cols_t]
        pair_loss = -(pos - torch.logaddexp(pos, neg_lse[rows_t]))
        w = torch.tensor(weights)
        retrieval = (w * pair_loss).sum() / w.sum()

    # Ranking loss: graded pairwise hinge inside each request's list.
    a_idx, b_idx, margins = [], [], []
    for b, r in enumerate(batch):
        lst = [(column[i], l) for i, l in positives[b]] + [(column[i], 1.0) for i in unclicked[b]]
        lst += [(column[i], 0.0) for i in randoms[:8]]
        for ca, la in lst:
            for cb, lb in lst:
                if la > lb:
                    a_idx.append((b, ca)); b_idx.append((b, cb)); margins.append(args.margin * (la - lb))
    ranking = torch.zeros(())
    if a_idx:
        ab = torch.tensor(a_idx); bb = torch.tensor(b_idx)
        sa = s[ab[:, 0], ab[:, 1]]; sb = s[bb[:, 0], bb[:, 1]]
        ranking = F.relu(torch.tensor(margins) - (sa - sb)).mean()

    loss = retrieval + args.lam * ranking
    opt_dense.zero_grad(); opt_sparse.zero_grad()
    loss.backward()
    opt_dense.step(); opt_sparse.step()
    sums[0] += float(retrieval); sums[1] += float(ranking); sums[2] += 1


@torch.no_grad()
def evaluate(model, requests, item_bags, n_items, cache, args):
    vectors = torch.cat([model.item([b.take(range(s, min(s + 4096, n_items))) for b in item_bags])
                         for s in range(0, n_items, 4096)])                # [N, d]
    total, count = 0.0, 0
    evaluated = [(q, items) for q, items in requests if any(l == 3.0 for _, l in items)]
    for s in range(0, len(evaluated), 256):
        chunk = evaluated[s:s + 256]
        qb = Bags([token_ids(q, cache) for q, _ in chunk])
        q = model.query(*qb.take(range(len(chunk))))
        scores = model.fuse(torch.einsum("bkd,nd->bnk", q, vectors))
        top = torch.topk(scores, 100, dim=1).indices.tolist()
        for (query, items), t in zip(chunk, top):
            orders = {i for i, l in items if l == 3.0}
            total += len(orders & set(t)) / len(orders)
            count += 1
    return total / max(1, count)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--catalog"); p.add_argument("--train"); p.add_argument("--test")
    p.add_argument("--epochs", type=int, default=1); p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=1); p.add_argument("--batch", type=int, default=256)
    p.add_argument("--negatives", type=int, default=512); p.add_argument("--heads", type=int, default=2)
    p.add_argument("--lr", type=float, default=0.003); p.add_argument("--tau", type=float, default=0.05)
    p.add_argument("--margin", type=float, default=0.1); p.add_argument("--lam", type=float, default=1.0)
    p.add_argument("--limit", type=int, default=0, help="use only the first N training requests")
    p.add_argument("--json")
    p.add_argument("--tokens-check", metavar="TEXT", help="print the bucket ids of TEXT and exit")
    args = p.parse_args()
    if args.tokens_check is not None:
        print(json.dumps({"tokens": tokens(args.tokens_check),
                          "buckets": [bucket(t) for t in tokens(args.tokens_check)]}, ensure_ascii=False))
        return
    if not (args.catalog and args.train and args.test):
        p.error("--catalog, --train and --test are required")
    train(args)


if __name__ == "__main__":
    main()
