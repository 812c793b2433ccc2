#!/usr/bin/env python3
"""Issue 13 phase-1 research: training on top of frozen backbone vectors (real data).

Reads what `Mmse.Quality encode` and `eval` wrote into WORK (item and query fvecs of a backbone,
split.txt, judgments.tsv, bm25-english.ivecs) plus the catalog and train.jsonl texts from DATA
for the hashed-token channel. Trains on the training part, early-stops on the tuning part,
reports DESIGN section 8 metrics on the validation part with exact search over the catalog.

Variants (--variant):
  zero      the backbone as it is
  adapter   residual linear adapter per tower, K = 1, retrieval loss (orders 1, clicks 0.5)
  mmse      residual adapters, K query heads with post-fusion, retrieval + ranking loss (4 levels)
  mmse-hash mmse plus hashed-token embeddings (words + char trigrams) added before normalising
  twotower  DESIGN's tower (dense 128 ReLU -> d 64) on the frozen vector, K = 1, orders = clicks
Research only (torch from Debian); the design that wins moves into Mmse's C# towers in phase 2.
"""
import argparse, json, math, os, re, sys, time, zlib
import numpy as np
import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--data", default="/work/shared/data/homedepot")
p.add_argument("--work", default="/work/hd")
p.add_argument("--backbone", default="arctic-xs")
p.add_argument("--variant", default="mmse")
p.add_argument("--seed", type=int, default=1)
p.add_argument("--heads", type=int, default=2)
p.add_argument("--epochs", type=int, default=8)
p.add_argument("--batch", type=int, default=128)
p.add_argument("--random", type=int, default=512)
p.add_argument("--tau", type=float, default=0.05)
p.add_argument("--beta", type=float, default=0.1)
p.add_argument("--lam", type=float, default=1.0)
p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--wd", type=float, default=0.0)
p.add_argument("--buckets", type=int, default=1 << 18)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--out", default="")
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)
rng = np.random.default_rng(a.seed)

def fvecs(path):
    raw = np.fromfile(path, dtype=np.int32)
    d = raw[0]
    return raw.reshape(-1, d + 1)[:, 1:].view(np.float32).copy()

def ivecs(path):
    raw = np.fromfile(path, dtype=np.int32)
    out, i = [], 0
    while i < len(raw):
        n = raw[i]; out.append(raw[i + 1:i + 1 + n]); i += 1 + n
    return out

items = torch.from_numpy(fvecs(f"{a.work}/{a.backbone}-items.fvecs"))
queries = torch.from_numpy(fvecs(f"{a.work}/{a.backbone}-queries.fvecs"))
split = np.array([int(x) for x in open(f"{a.work}/split.txt")])
TRAIN, TUNE, VAL = 0, 1, 2
judged = [[] for _ in range(len(split))]
for line in open(f"{a.work}/judgments.tsv"):
    q, i, act = map(int, line.split("\t"))
    judged[q].append((i, act))
N, D = items.shape

# --- metrics exactly as RetrievalMetrics (DESIGN 8) ---
GRADE = {0: 0.0, 1: 2.0, 2: 2.5, 3: 3.0}
def metrics(ranked, reqs):
    acc = {k: [] for k in ["recall_order@10", "recall_order@100", "recall_order@1000", "ndcg@10"]}
    for q, r in zip(reqs, ranked):
        pos = {int(x): k for k, x in enumerate(r[:1000])}
        orders = [i for i, act in judged[q] if act == 3]
        if orders:
            for c in (10, 100, 1000):
                acc[f"recall_order@{c}"].append(sum(1 for i in orders if pos.get(i, 10**9) < c) / len(orders))
        if any(act != 0 for _, act in judged[q]):
            gains = [2 ** GRADE[act] - 1 for _, act in judged[q]]
            dcg = sum((2 ** GRADE[act] - 1) / math.log2(pos[i] + 2) for i, act in judged[q] if pos.get(i, 10**9) < 10)
            ideal = sum(g / math.log2(k + 2) for k, g in enumerate(sorted(gains, reverse=True)[:10]))
            if ideal > 0: acc["ndcg@10"].append(dcg / ideal)
    return {k: float(np.mean(v)) for k, v in acc.items()}

def rrf(a_lists, b_lists, k=60, w=1.0):
    out = []
    for x, y in zip(a_lists, b_lists):
        s = {}
        for r, i in enumerate(x): s[int(i)] = s.get(int(i), 0) + 1 / (k + r + 1)
        for r, i in enumerate(y): s[int(i)] = s.get(int(i), 0) + w / (k + r + 1)
        out.append([i for i, _ in sorted(s.items(), key=lambda t: (-t[1], t[0]))[:1000]])
    return out

# --- hashed tokens (words + #word# trigrams), crc32 into buckets; research stand-in for HashedTokenizer ---
def tokens(text):
    words = re.findall(r"[a-z0-9]+", text.lower())
    out = [f"w:{w}" for w in words]
    for w in words:
        pw = f"#{w}#"
        out += [f"t:{pw[k:k+3]}" for k in range(len(pw) - 2)]
    return [zlib.crc32(t.encode()) % a.buckets for t in out] or [0]

def bags(texts):
    ids, offsets = [], []
    for t in texts:
        offsets.append(len(ids)); ids += tokens(t)
    return torch.tensor(ids, dtype=torch.long), torch.tensor(offsets, dtype=torch.long)

use_hash = a.variant == "mmse-hash"
if use_hash:
    titles = [json.loads(l)["title"] for l in open(f"{a.data}/catalog.jsonl") if l.strip()]
    qtexts = [json.loads(l)["query"] for l in open(f"{a.data}/train.jsonl") if l.strip()]
    item_ids, item_offsets = bags(titles)
    q_tok = [tokens(t) for t in qtexts]

K = a.heads if a.variant in ("mmse", "mmse-hash") else 1
class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        if a.variant == "twotower":
            self.q = torch.nn.Sequential(torch.nn.Linear(D, 128), torch.nn.ReLU(), torch.nn.Linear(128, 64 * K))
            self.i = torch.nn.Sequential(torch.nn.Linear(D, 128), torch.nn.ReLU(), torch.nn.Linear(128, 64))
        else:
            self.qa = torch.nn.Parameter(torch.randn(K, D, D) * 0.01)
            self.qb = torch.nn.Parameter(torch.zeros(K, D))
            self.ia = torch.nn.Parameter(torch.zeros(D, D))
            self.ib = torch.nn.Parameter(torch.zeros(D))
        if use_hash:
            self.emb = torch.nn.EmbeddingBag(a.buckets, D, mode="mean")
            torch.nn.init.zeros_(self.emb.weight)
    def query(self, qv, qbag=None):  # [B, D] -> [B, K, d]
        if a.variant == "twotower":
            return F.normalize(self.q(qv).view(len(qv), K, -1), dim=-1)
        h = qv.unsqueeze(1) + torch.einsum("bd,kde->bke", qv, self.qa) + self.qb
        if qbag is not None: h = h + self.emb(*qbag).unsqueeze(1)
        return F.normalize(h, dim=-1)
    def item(self, iv, ibag=None):  # [M, D] -> [M, d]
        if a.variant == "twotower":
            return F.normalize(self.i(iv), dim=-1)
        h = iv + iv @ self.ia + self.ib
        if ibag is not None: h = h + self.emb(*ibag)
        return F.normalize(h, dim=-1)

def fuse(z):  # z [..., K] cosines -> post-fusion score
    if z.shape[-1] == 1: return z[..., 0]
    w = torch.softmax(z / a.beta, dim=-1)
    return (w * z).sum(-1)

def qbag_of(qs):
    if not use_hash: return None
    ids, offs = [], []
    for q in qs: offs.append(len(ids)); ids += q_tok[q]
    return torch.tensor(ids, dtype=torch.long), torch.tensor(offs, dtype=torch.long)

def ibag_of(its):
    if not use_hash: return None
    ids, offs = [], []
    for i in its:
        s = item_offsets[i].item(); e = item_offsets[i + 1].item() if i + 1 < N else len(item_ids)
        offs.append(len(ids)); ids += item_ids[s:e].tolist()
    return torch.tensor(ids, dtype=torch.long), torch.tensor(offs, dtype=torch.long)

@torch.no_grad()
def search(model, reqs):
    if model is None:
        qh = F.normalize(queries[reqs], dim=-1).unsqueeze(1); dv = items
    else:
        model.eval()
        dv = torch.cat([model.item(items[s:s + 8192], ibag_of(range(s, min(N, s + 8192))) if use_hash else None) for s in range(0, N, 8192)])
        qh = model.query(queries[reqs], qbag_of(reqs))
        model.train()
    out = []
    for s in range(0, len(reqs), 256):
        z = torch.einsum("bkd,nd->bnk", qh[s:s + 256], dv)
        out += fuse(z).topk(1000, dim=1).indices.tolist()
    return out

train_reqs = [q for q in np.where(split == TRAIN)[0] if any(act != 0 for _, act in judged[q])]
tune_reqs = list(np.where(split == TUNE)[0]); val_reqs = list(np.where(split == VAL)[0])
bm25 = ivecs(f"{a.work}/bm25-english.ivecs") if os.path.exists(f"{a.work}/bm25-english.ivecs") else None

def report(model, tag, seconds):
    lists = search(model, val_reqs)
    m = metrics(lists, val_reqs)
    res = {"variant": a.variant, "tag": tag, "seed": a.seed, "seconds": round(seconds, 1), **{k: round(v, 4) for k, v in m.items()}}
    if bm25 is not None:
        h = metrics(rrf(lists, [bm25[q] for q in val_reqs]), val_reqs)
        res.update({f"rrf60_{k}": round(v, 4) for k, v in h.items()})
    print(json.dumps(res), flush=True)
    if a.out:
        with open(a.out, "a") as f: f.write(json.dumps(res) + "\n")

if a.variant == "zero":
    report(None, "zero", 0.0); sys.exit()

LEVEL = {3: 3.0, 2: 2.5, 1: 2.0, 0: 1.0}  # order > cart > click > exposed-unclicked; random = 0
WEIGHT = {3: 1.0, 2: 0.75, 1: 0.5}
if a.variant == "twotower": WEIGHT = {3: 1.0, 2: 1.0, 1: 1.0}
ranking = a.variant in ("mmse", "mmse-hash")
model = Model()
opt = torch.optim.Adam(model.parameters(), lr=a.lr, weight_decay=a.wd)
start = time.time()
best, best_state, bad = -1.0, None, 0
steps_per_eval = max(1, len(train_reqs) // a.batch // 2)  # evaluate twice per epoch
step = 0
for epoch in range(a.epochs):
    order = rng.permutation(train_reqs)
    for s in range(0, len(order), a.batch):
        batch = order[s:s + a.batch]
        pos = []  # (row, item, weight)
        for r, q in enumerate(batch):
            ps = sorted([(i, act) for i, act in judged[q] if act != 0], key=lambda t: -t[1])[:4]
            pos += [(r, i, WEIGHT[act]) for i, act in ps]
        rand = rng.integers(0, N, a.random)
        cand = np.unique(np.concatenate([np.array([i for _, i, _ in pos]), rand]))
        col = {int(i): c for c, i in enumerate(cand)}
        qh = model.query(queries[batch], qbag_of(batch))  # [B, K, d]
        dv = model.item(items[cand], ibag_of(cand))       # [C, d]
        S = fuse(torch.einsum("bkd,cd->bck", qh, dv))     # [B, C]
        mask = torch.zeros_like(S, dtype=torch.bool)
        for r, i, _ in pos: mask[r, col[i]] = True
        rows = torch.tensor([r for r, _, _ in pos]); cols = torch.tensor([col[i] for _, i, _ in pos])
        w = torch.tensor([x for _, _, x in pos])
        neg = (S / a.tau).masked_fill(mask, float("-inf"))[rows]                   # [P, C]
        logits = torch.cat([(S[rows, cols] / a.tau).unsqueeze(1), neg], dim=1)
        loss = (w * (torch.logsumexp(logits, 1) - logits[:, 0])).sum() / w.sum()
        if ranking:
            # One padded list per request: O and C (up to 8), up to 8 unclicked, 8 of the shared random items.
            L = 24
            its = np.zeros((len(batch), L), dtype=np.int64); lv = np.zeros((len(batch), L), dtype=np.float32)
            ok = np.zeros((len(batch), L), dtype=bool)
            for r, q in enumerate(batch):
                lst = [(i, LEVEL[act]) for i, act in judged[q] if act != 0][:8]
                un = [i for i, act in judged[q] if act == 0]
                if len(un) > 8: un = list(rng.choice(un, 8, replace=False))
                lst += [(i, 1.0) for i in un] + [(int(i), 0.0) for i in rng.choice(rand, 8, replace=False)]
                for c, (i, l) in enumerate(lst):
                    its[r, c], lv[r, c], ok[r, c] = i, l, True
            flat = torch.from_numpy(its.reshape(-1))
            iv = model.item(items[flat], ibag_of(flat.tolist())).view(len(batch), L, -1)   # [B, L, d]
            sc = fuse(torch.einsum("bkd,bld->blk", qh, iv))                                # [B, L]
            lvt = torch.from_numpy(lv); okt = torch.from_numpy(ok)
            diff = lvt.unsqueeze(2) - lvt.unsqueeze(1)                                     # [B, L, L]
            valid = (diff > 0) & okt.unsqueeze(2) & okt.unsqueeze(1)
            hinge = torch.clamp(0.1 * diff - (sc.unsqueeze(2) - sc.unsqueeze(1)), min=0)
            per = (hinge * valid).sum((1, 2)) / valid.sum((1, 2)).clamp(min=1)
            loss = loss + a.lam * per[valid.any(2).any(1)].mean()
        opt.zero_grad(); loss.backward(); opt.step(); step += 1
        if step % steps_per_eval == 0:
            r100 = metrics(search(model, tune_reqs), tune_reqs)["recall_order@100"]
            print(f"  epoch {epoch} step {step} loss {loss.item():.4f} tune recall_order@100 {r100:.4f} ({time.time() - start:.0f} s)", file=sys.stderr, flush=True)
            if r100 > best:
                best, bad = r100, 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                bad += 1
    if bad >= 3: break
model.load_state_dict(best_state)
report(model, f"{a.variant} K={K} best-tune={best:.4f}", time.time() - start)
