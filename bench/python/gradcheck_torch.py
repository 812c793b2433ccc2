"""Second check of Mmse's gradients: recompute the loss of a dumped batch with PyTorch autograd.

usage: dotnet run -c Release --project bench/Mmse.Benchmarks -- dump-gradients /tmp/g.json
       /usr/bin/python3 bench/python/gradcheck_torch.py /tmp/g.json
Computes in float64 from the same float32 weights; prints per group the largest difference
relative to the group's largest gradient, and fails (exit 1) above 1e-3.
"""
import json, sys
import torch

g = json.load(open(sys.argv[1]))
torch.set_default_dtype(torch.float64)
E, K, d, beta, tau, m0 = g["E"], g["K"], g["d"], g["beta"], g["tau"], g["m0"]
W = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in g["weights"].items()}
emb = W["embedding"].view(-1, E)


def bag(lists):
    rows = [emb[torch.tensor(l)].mean(0) if l else torch.zeros(E) for l in lists]
    return torch.stack(rows)


qo, qt = g["query_offsets"], g["query_tokens"]
qx = bag([qt[qo[b]:qo[b + 1]] for b in range(len(qo) - 1)])
qh = torch.relu(qx @ W["query.w1"].view(E, -1) + W["query.b1"])
H = qh.shape[1]
Q = torch.nn.functional.normalize((qh @ W["query.w2"].view(H, -1) + W["query.b2"]).view(-1, K, d), dim=-1)
ix = torch.cat([bag(f) for f in g["item_fields"]], dim=1)
ih = torch.relu(ix @ W["item.w1"].view(ix.shape[1], -1) + W["item.b1"])
I = torch.nn.functional.normalize(ih @ W["item.w2"].view(H, -1) + W["item.b2"], dim=-1)
z = torch.einsum("bkd,nd->bkn", Q, I)
S = (torch.softmax(z / beta, dim=1) * z).sum(1)
B, N = S.shape
cand = torch.tensor(g["candidate"])

po, ps, pw = g["pos_offsets"], g["pos_slots"], g["pos_weights"]
ret, npos = 0, len(ps)
for b in range(B):
    own = ps[po[b]:po[b + 1]]
    if not own:
        continue
    mask = cand.clone()
    mask[own] = False
    a = S[b] / tau
    neg = torch.logsumexp(a[mask], 0)
    for k in range(po[b], po[b + 1]):
        ret = ret + pw[k] * (torch.logaddexp(a[ps[k]], neg) - a[ps[k]])
ret = ret / npos

lo, ls, ll = g["list_offsets"], g["list_slots"], g["list_levels"]
rank, nreq = 0, 0
for b in range(B):
    items = list(zip(ls[lo[b]:lo[b + 1]], ll[lo[b]:lo[b + 1]]))
    pairs = [(x, y, lx - ly) for x, lx in items for y, ly in items if lx > ly]
    if not pairs:
        continue
    nreq += 1
    rank = rank + sum(torch.relu(m0 * dl - (S[b, x] - S[b, y])) for x, y, dl in pairs) / len(pairs)
rank = rank / nreq
total = ret + rank
total.backward()
print(f"loss torch {float(ret):.6f} {float(rank):.6f} {float(total):.6f}  mmse {g['loss']}")
worst = 0.0
for k, t in W.items():
    ours = torch.tensor(g["grads"][k], dtype=torch.float64)
    scale = max(float(t.grad.abs().max()), 1e-12)
    diff = float((t.grad - ours).abs().max()) / scale
    worst = max(worst, diff)
    print(f"{k:10s} max |grad| {scale:.3e}  max relative difference {diff:.2e}")
sys.exit(0 if worst < 1e-3 and abs(float(total) - g["loss"][2]) < 1e-4 * max(1, abs(float(total))) else 1)
