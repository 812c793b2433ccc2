"""A seeded marketplace like tests/Mmse.Tests/Fixtures/MarketFixture.cs, at any size, as JSONL.

Product types with synonyms that never appear in titles, brands, colours; clicks and orders
follow the query's type and colour. Stand-in until `mmse synth` lands.
usage: python3 fixture_market.py OUTDIR [items] [train_requests] [test_requests] [seed]
"""
import json, os, random, sys

TYPES = [
    ("sofa", "Furniture > Living", ["couch", "settee"]),
    ("laptop", "Electronics > Computers", ["notebook computer", "ultrabook"]),
    ("sneakers", "Fashion > Shoes", ["trainers", "running shoes"]),
    ("kettle", "Home > Kitchen", ["water boiler", "tea boiler"]),
    ("headphones", "Electronics > Audio", ["earphones", "headset"]),
    ("backpack", "Fashion > Bags", ["rucksack", "daypack"]),
    ("drill", "Tools > Power", ["driver tool", "borer"]),
    ("blender", "Home > Kitchen", ["smoothie maker", "mixer"]),
    ("jacket", "Fashion > Outerwear", ["coat", "parka"]),
    ("lamp", "Home > Lighting", ["light", "lantern"]),
    ("phone", "Electronics > Mobile", ["smartphone", "mobile"]),
    ("tent", "Outdoor > Camping", ["shelter", "camping dome"]),
    ("手机壳", "Electronics > Mobile", ["保护套"]),
    ("茶壶", "Home > Kitchen", ["茶具"]),
]
BRANDS = ["acme", "nordik", "zento", "kiro", "vela", "orbis", "lumo", "taro"]
COLORS = ["black", "white", "red", "blue", "green", "grey"]
ADJ = ["classic", "pro", "compact", "deluxe", "basic", "premium", "lite", "max"]


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    ntrain = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
    ntest = int(sys.argv[4]) if len(sys.argv) > 4 else 2000
    rnd = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 42)
    os.makedirs(out, exist_ok=True)
    # Many types: each base type gets variants ("sofa 3") so large catalogs are not trivially easy.
    items = []
    with open(os.path.join(out, "catalog.jsonl"), "w") as f:
        for i in range(n):
            t = i % len(TYPES)
            c = rnd.randrange(len(COLORS))
            b = rnd.choice(BRANDS)
            title = f"{b} {COLORS[c]} {rnd.choice(ADJ)} {TYPES[t][0]} {rnd.randrange(100)}"
            items.append((t, c))
            f.write(json.dumps({"id": f"p{i:06d}", "title": title, "brand": b, "category": TYPES[t][1]}, ensure_ascii=False) + "\n")
    by_type = [[i for i in range(n) if items[i][0] == t] for t in range(len(TYPES))]

    def log(path, count):
        with open(path, "w") as f:
            for r in range(count):
                t = rnd.randrange(len(TYPES))
                color = rnd.randrange(len(COLORS)) if rnd.randrange(3) == 0 else -1
                word = TYPES[t][0] if rnd.randrange(3) == 0 else rnd.choice(TYPES[t][2])
                query = f"{COLORS[color]} {word}" if color >= 0 else word
                shown, seen = [], set()
                while len(shown) < 20:
                    i = rnd.choice(by_type[t]) if len(shown) % 2 == 0 else rnd.randrange(n)
                    if i in seen:
                        continue
                    seen.add(i)
                    match = items[i][0] == t
                    cmatch = color < 0 or items[i][1] == color
                    p = (0.5 if cmatch else 0.1) if match else 0.01
                    action = "none"
                    if rnd.random() < p:
                        action = "click"
                        u = rnd.random()
                        if match and cmatch and u < 0.4:
                            action = "order"
                        elif match and u < 0.55:
                            action = "cart"
                    shown.append({"id": f"p{i:06d}", "action": action})
                f.write(json.dumps({"query": query, "user": f"u{r % 500}", "items": shown}, ensure_ascii=False) + "\n")
    log(os.path.join(out, "train.jsonl"), ntrain)
    log(os.path.join(out, "test.jsonl"), ntest)


main()
