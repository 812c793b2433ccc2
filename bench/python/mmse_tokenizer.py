"""Mmse tokeniser spec v1 (docs/model.md) in Python, for the PyTorch side of the benchmark.

Must give the same bucket ids as Mmse.Text.HashedTokenizer; tests pin the same golden values.
"""
import unicodedata

WORD_CATEGORIES = {"Lu", "Ll", "Lt", "Lm", "Lo", "Nd"}  # .NET char.IsLetterOrDigit


def is_cjk(c):
    o = ord(c)
    return (0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF
            or 0x3040 <= o <= 0x30FF or 0xAC00 <= o <= 0xD7AF)


def is_word(c):
    # .NET iterates UTF-16 units: characters outside the BMP are surrogates, never letters.
    return ord(c) <= 0xFFFF and not is_cjk(c) and unicodedata.category(c) in WORD_CATEGORIES


def tokens(text):
    text = unicodedata.normalize("NFKC", text).lower()
    words, runs, i = [], [], 0
    while i < len(text):
        c = text[i]
        if is_cjk(c):
            j = i
            while j < len(text) and is_cjk(text[j]):
                j += 1
            runs.append(text[i:j]); i = j
        elif is_word(c):
            j = i
            while j < len(text) and is_word(text[j]):
                j += 1
            words.append(text[i:j]); i = j
        else:
            i += 1
    out = ["w:" + w for w in words]
    out += ["b:" + a + " " + b for a, b in zip(words, words[1:])]
    for w in words:
        p = "#" + w + "#"
        out += ["t:" + p[k:k + 3] for k in range(len(p) - 2)]
    for r in runs:
        out += ["c:" + ch for ch in r]
        out += ["d:" + a + b for a, b in zip(r, r[1:])]
    return out


M64 = (1 << 64) - 1


def fnv1a(data, seed=0):
    h = 0xcbf29ce484222325 ^ ((seed * 0x9E3779B97F4A7C15) & M64)
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & M64
    return h


def bucket(token, buckets=1 << 20, seed=0):
    h = fnv1a(token.encode("utf-8"), seed)
    return (h ^ (h >> 32)) % buckets


def buckets(text, field="query", n=1 << 20, seed=0, field_mixing=False):
    prefix = field + "\u0001" if field_mixing else ""
    return [bucket(prefix + t, n, seed) for t in tokens(text)]


if __name__ == "__main__":
    for s in ["Red Kettle", "手机壳", "iPhone 手机壳"]:
        print(s, buckets(s))
    print("seeded", buckets("Red Kettle", n=1000, seed=7))
