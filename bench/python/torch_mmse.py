"""PyTorch implementation of the Mmse reference model for the side-by-side benchmark.

Same tokeniser (mmse_tokenizer.py), towers, post-fusion score, losses (weighted sampled softmax
over in-batch positives + R shared random items with own positives masked; graded pairwise
ranking hinge), catalog stage, batch settings and optimisers (SparseAdam = lazy Adam for the
table, Adam for dense, linear warm-up). Differences: gradient clipping covers dense weights only
(clip_grad_norm_ does not take sparse gradients).

usage: /usr/bin/python3 torch_mmse.py DATADIR --epochs 4 --threads 2 [--json OUT]
Prints train requests/s (training steps only) and exact recall_order@100 on DATADIR/test.jsonl.
"""
import argparse, json, math, os, random, time
import torch
import torch.nn.functional as F
import mmse_tokenizer as tok

LEVEL = {"order": 3.0, "cart": 2.5, "click": 2.0, "none": 1.0}


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def csr(lists):
    offsets = [0]
    flat = []
    for l in lists:
        flat.extend(l)
        offsets.append(len(flat))
    return torch.tensor(flat, dtype=torch.long), torch.tensor(offsets, dtype=torch.long)


class Towers(torch.nn.Module):
    def __init__(self, B, E=64, H=128, K=2, d=64, fields=3, seed=1):
        super().__init__()
        torch.manual_seed(seed)
        self.K, self.d = K, d
        self.emb = torch.nn.EmbeddingBag(B, E, mode="mean", sparse=True)
        torch.nn.init.normal_(self.emb.weight, 0.0, 0.1)
        self.q1, self.q2 = torch.nn.Linear(E, H), torch.nn.Linear(H, K * d)
        self.i1, self.i2 = torch.nn.Linear(fields * E, H), torch.nn.Linear(H, d)
        for lin in (self.q1, self.q2, self.i1, self.i2):
            torch.nn.init.xavier_uniform_(lin.weight)
            torch.nn.init.zeros_(lin.bias)
        torch.nn.init.constant_(self.q1.bias, 0.01)
        torch.nn.init.constant_(self.i1.bias, 0.01)

    def bag(self, tokens, lengths):
        # EmbeddingBag mean of an empty bag is zero, as in Mmse.
        offsets = torch.zeros(len(lengths), dtype=torch.long)
        if len(lengths) > 1:
            offsets[1:] = torch.cumsum(torch.tensor(lengths[:-1], dtype=torch.long), 0)
        return self.emb(tokens, offsets)

    def query(self, bags):
        x = self.bag(*bags)
        y = self.q2(F.relu(self.q1(x))).view(-1, self.K, self.d)
        return F.normalize(y, dim=-1)

    def item(self, field_bags):
        x = torch.cat([self.bag(*fb) for fb in field_bags], dim=1)
        return F.normalize(self.i2(F.relu(self.i1(x))), dim=-1)


def fuse(z, beta):  # z [B, K, N]
    if z.shape[1] == 1:
        return z[:, 0]
    w = torch.softmax(z / beta, dim=1)
    return (w * z).sum(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--buckets", type=int, default=1 << 20)
    ap.add_argument("--max-steps", type=int, default=0)
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    rnd = random.Random(1)
    B, R, tau, beta, m0 = a.buckets, 512, 0.05, 0.1, 0.1
    weight = {3.0: 1.0, 2.5: 0.75, 2.0: 0.5}

    catalog = read_jsonl(os.path.join(a.data, "catalog.jsonl"))
    index = {it["id"]: i for i, it in enumerate(catalog)}
    N = len(catalog)
    fields = [[tok.buckets(it.get(f) or "", f, B) for it in catalog] for f in ("title", "brand", "category")]
    titles = [it["title"].split() for it in catalog]
    brands = [it.get("brand") for it in catalog]

    def mine(path):
        out = []
        for r in read_jsonl(path):
            lv = {}
            order = []
            for x in r["items"]:
                i = index.get(x["id"])
                if i is None:
                    continue
                l = LEVEL[x.get("action", "none")]
                if i not in lv:
                    order.append(i)
                    lv[i] = l
                else:
                    lv[i] = max(lv[i], l)
            items = sorted(order, key=lambda i: -lv[i])  # stable: display order inside a level
            out.append((r["query"], items, [lv[i] for i in items]))
        return out

    train = mine(os.path.join(a.data, "train.jsonl"))
    test = mine(os.path.join(a.data, "test.jsonl"))
    qtok = [tok.buckets(q, "query", B) for q, _, _ in train]
    usable = sum(1 for _, _, l in train if l and l[0] > 1.0)
    pseudo_n = min(N, 2 * usable)

    model = Towers(B)
    dense = [p for n, p in model.named_parameters() if not n.startswith("emb")]
    opt_d = torch.optim.Adam(dense, lr=0.003)
    opt_e = torch.optim.SparseAdam([model.emb.weight], lr=0.003)
    step = 0
    train_seconds, seen = 0.0, 0

    def field_bags(items):
        out = []
        for f in fields:
            ls = [f[i] for i in items]
            t, _ = csr(ls)
            out.append((t, [len(x) for x in ls]))
        return out

    for epoch in range(1, a.epochs + 1):
        ids = list(range(len(train))) + [-1 - i for i in rnd.sample(range(N), pseudo_n)]
        rnd.shuffle(ids)
        sums = [0.0, 0.0]
        nb = 0
        for s in range(0, len(ids), a.batch):
            if a.max_steps and step >= a.max_steps:
                break
            t0 = time.perf_counter()
            batch = ids[s:s + a.batch]
            slot = {}
            slots = []

            def S(i):
                if i not in slot:
                    slot[i] = len(slots)
                    slots.append(i)
                return slot[i]

            rand = [rnd.randrange(N) for _ in range(R)]
            cand = set(S(i) for i in rand)
            qlists, pos, lists = [], [], []
            for b, rid in enumerate(batch):
                if rid >= 0:
                    q, items, lv = train[rid]
                    qlists.append(qtok[rid])
                    npos = sum(1 for l in lv if l > 1.0)
                    p = [(S(items[k]), lv[k]) for k in range(min(npos, 4))]
                    u = items[npos:]
                    u = rnd.sample(u, min(8, len(u)))
                    shown = set(items)
                    lst = p + [(S(i), 1.0) for i in u]
                else:
                    it = -1 - rid
                    w = titles[it]
                    if brands[it] and rnd.randrange(4) == 0:
                        n = 1 + rnd.randrange(min(2, len(w)))
                        st = rnd.randrange(len(w) - n + 1)
                        q = brands[it] + " " + " ".join(w[st:st + n])
                    else:
                        n = 1 + rnd.randrange(min(4, len(w)))
                        st = rnd.randrange(len(w) - n + 1)
                        q = " ".join(w[st:st + n])
                    qlists.append(tok.buckets(q, "query", B))
                    p = [(S(it), 2.0)]
                    shown = {it}
                    lst = list(p)
                for sl, _ in p:
                    cand.add(sl)
                start = (b * 8) % R
                added = 0
                for k in range(R):
                    if added == 8:
                        break
                    i = rand[(start + k) % R]
                    if i in shown:
                        continue
                    lst.append((S(i), 0.0))
                    added += 1
                pos.append(p)
                lists.append(lst)

            qt, _ = csr(qlists)
            Q = model.query((qt, [len(x) for x in qlists]))           # [b, K, d]
            I = model.item(field_bags(slots))                          # [n, d]
            Sc = fuse(torch.einsum("bkd,nd->bkn", Q, I), beta)        # [b, n]
            nb_, n = Sc.shape
            # Retrieval: weighted softmax, own positives masked.
            candm = torch.zeros(n, dtype=torch.bool)
            candm[list(cand)] = True
            mask = candm.unsqueeze(0).repeat(nb_, 1)
            pb, ps, pw = [], [], []
            for b, p in enumerate(pos):
                for sl, l in p:
                    mask[b, sl] = False
                    pb.append(b); ps.append(sl); pw.append(weight[l])
            logits = Sc / tau
            neg = torch.logsumexp(logits.masked_fill(~mask, float("-inf")), dim=1)
            if pb:
                ap_ = logits[pb, ps]
                l_ret = (torch.tensor(pw) * (torch.logaddexp(ap_, neg[pb]) - ap_)).sum() / len(pb)
            else:
                l_ret = Sc.sum() * 0
            # Ranking: per-request mean over graded pairs, then mean over requests.
            ra, rb, rd, rq = [], [], [], []
            counts = []
            for b, lst in enumerate(lists):
                c = 0
                for x, lx in lst:
                    for y, ly in lst:
                        if lx > ly:
                            ra.append(x); rb.append(y); rd.append(m0 * (lx - ly)); rq.append(b); c += 1
                counts.append(c)
            if ra:
                rq_t = torch.tensor(rq)
                h = F.relu(torch.tensor(rd) - (Sc[rq_t, torch.tensor(ra)] - Sc[rq_t, torch.tensor(rb)]))
                cnt = torch.tensor(counts, dtype=torch.float32)
                per = torch.zeros(nb_).index_add_(0, rq_t, h)
                has = cnt > 0
                l_rank = (per[has] / cnt[has]).mean()
            else:
                l_rank = Sc.sum() * 0
            loss = l_ret + l_rank
            lr = 0.003 * min(1.0, (step + 1) / 100)
            for o in (opt_d, opt_e):
                for g in o.param_groups:
                    g["lr"] = lr
            opt_d.zero_grad(); opt_e.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(dense, 5.0)
            opt_d.step(); opt_e.step()
            step += 1
            train_seconds += time.perf_counter() - t0
            seen += len(batch)
            sums[0] += float(l_ret); sums[1] += float(l_rank); nb += 1
        print(f"epoch {epoch}: retrieval {sums[0] / max(1, nb):.4f} ranking {sums[1] / max(1, nb):.4f} "
              f"{seen / max(1e-9, train_seconds):.0f} requests/s", flush=True)

    # Exact recall_order@100 on the test log.
    with torch.no_grad():
        items = []
        for s in range(0, N, 4096):
            items.append(model.item(field_bags(list(range(s, min(N, s + 4096))))))
        I = torch.cat(items)
        recalls = []
        for s in range(0, len(test), 256):
            part = test[s:s + 256]
            ql = [tok.buckets(q, "query", B) for q, _, _ in part]
            qt, _ = csr(ql)
            Q = model.query((qt, [len(x) for x in ql]))
            top = fuse(torch.einsum("bkd,nd->bkn", Q, I), beta).topk(100, dim=1).indices.tolist()
            for (q, its, lv), t in zip(part, top):
                orders = [i for i, l in zip(its, lv) if l == 3.0]
                if orders:
                    ts = set(t)
                    recalls.append(sum(1 for i in orders if i in ts) / len(orders))
        recall = sum(recalls) / max(1, len(recalls))
    rps = seen / max(1e-9, train_seconds)
    print(f"pytorch: {seen} requests in {train_seconds:.1f} s of steps = {rps:.0f} requests/s, "
          f"threads {a.threads}; test recall_order@100 {recall:.4f} over {len(recalls)} requests")
    if a.json:
        json.dump({"train_requests_per_s": rps, "requests_seen": seen, "train_seconds": train_seconds,
                   "recall_order@100": recall, "threads": a.threads, "epochs": a.epochs}, open(a.json, "w"))


main()
