#!/usr/bin/python3
"""Real-data fixture for the compressed-embedding recall check (issue 16).

    bench/make_wordnet_fixture.py [--dims 384,768] [--out build/scratch]
                                  [--wordnet /usr/share/wordnet] [--queries 200]

Reads every synset gloss of WordNet 3.0 from the Debian package wordnet-base
(/usr/share/wordnet/data.{noun,verb,adj,adv}; tools/deps.sh bench installs
it), turns each gloss (plus its lemmas) into a TF-IDF vector hashed to DIM
dimensions (signed feature hashing of lower-cased word unigrams and bigrams,
sublinear tf, smooth idf, rows L2-normalised), and writes

    OUT/wordnet_<DIM>.npy          float32 (n_base, DIM): the store
    OUT/wordnet_<DIM>_queries.npy  float32 (QUERIES, DIM): held-out glosses

Every 97th synset is held out as a query (the first QUERIES of them), so a
query is never its own nearest neighbour. Deterministic: the hash is
zlib.crc32, the order is the files' order. Nothing here is committed; the
output lives in the build tree. Needs numpy (Debian python3-numpy), hence
/usr/bin/python3 rather than whatever python3 is first on PATH.
"""
import argparse
import math
import os
import re
import sys
import zlib

import numpy as np

WORD = re.compile(r"[a-z][a-z0-9'-]*")


def glosses(wordnet_dir):
    for pos in ("noun", "verb", "adj", "adv"):
        path = os.path.join(wordnet_dir, "data." + pos)
        with open(path, encoding="latin-1") as f:
            for line in f:
                if line.startswith("  ") or "|" not in line:
                    continue  # licence header
                head, gloss = line.split("|", 1)
                fields = head.split()
                n_words = int(fields[3], 16)
                lemmas = [fields[4 + 2 * i].replace("_", " ") for i in range(n_words)]
                yield " ".join(lemmas) + " " + gloss.strip()


def features(text):
    words = WORD.findall(text.lower())
    return words + [a + " " + b for a, b in zip(words, words[1:])]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dims", default="384,768")
    ap.add_argument("--out", default="build/scratch")
    ap.add_argument("--wordnet", default="/usr/share/wordnet")
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    if not os.path.exists(os.path.join(args.wordnet, "data.noun")):
        sys.exit(f"{args.wordnet}/data.noun missing: apt-get install wordnet-base")
    os.makedirs(args.out, exist_ok=True)

    docs = [features(g) for g in glosses(args.wordnet)]
    df = {}
    for d in docs:
        for t in set(d):
            df[t] = df.get(t, 0) + 1
    n_docs = len(docs)
    idf = {t: math.log((1 + n_docs) / (1 + c)) + 1.0 for t, c in df.items()}
    hashes = {t: zlib.crc32(t.encode()) for t in df}

    is_query = [(i % 97 == 50) for i in range(n_docs)]
    query_ids = [i for i in range(n_docs) if is_query[i]][: args.queries]
    qset = set(query_ids)
    base_ids = [i for i in range(n_docs) if i not in qset]

    for dim in (int(x) for x in args.dims.split(",")):
        def matrix(ids):
            m = np.zeros((len(ids), dim), dtype=np.float64)
            for r, i in enumerate(ids):
                tf = {}
                for t in docs[i]:
                    tf[t] = tf.get(t, 0) + 1
                for t, c in tf.items():
                    h = hashes[t]
                    sign = 1.0 if (h >> 31) & 1 else -1.0
                    m[r, h % dim] += sign * (1.0 + math.log(c)) * idf[t]
            norms = np.linalg.norm(m, axis=1, keepdims=True)
            norms[norms == 0] = 1.0
            return (m / norms).astype(np.float32)

        base = matrix(base_ids)
        queries = matrix(query_ids)
        bp = os.path.join(args.out, f"wordnet_{dim}.npy")
        qp = os.path.join(args.out, f"wordnet_{dim}_queries.npy")
        np.save(bp, base)
        np.save(qp, queries)
        print(f"{bp}: {base.shape[0]} x {dim}; {qp}: {queries.shape[0]} queries")


if __name__ == "__main__":
    main()
