#!/usr/bin/python3
"""Real-data fixtures from WordNet 3.0 (issue 16): gloss embeddings for the
compressed-embedding recall check, the noun graph for the spreading benchmarks.

    bench/make_wordnet_fixture.py [--dims 384,768] [--out build/scratch]
                                  [--wordnet /usr/share/wordnet] [--queries 200]
                                  [--graph | --graph-only]

Reads every synset gloss of WordNet 3.0 from the Debian package wordnet-base
(/usr/share/wordnet/data.{noun,verb,adj,adv}; tools/deps.sh bench installs
it), turns each gloss (plus its lemmas) into a TF-IDF vector hashed to DIM
dimensions (signed feature hashing of lower-cased word unigrams and bigrams,
sublinear tf, smooth idf, rows L2-normalised), and writes

    OUT/wordnet_<DIM>.npy          float32 (n_base, DIM): the store
    OUT/wordnet_<DIM>_queries.npy  float32 (QUERIES, DIM): held-out glosses

Every 97th synset is held out as a query (the first QUERIES of them), so a
query is never its own nearest neighbour. Deterministic: the hash is
zlib.crc32, the order is the files' order.

With --graph (or --graph-only, which skips the glosses) it also writes the
noun graph for engram_bench's spreading workloads wordnet_nouns and
wordnet_nouns_degree (bench/bench_fixtures.h):

    OUT/wordnet_nouns_edges.csv    "source,target,weight", one edge a line

Nodes are the noun synsets of data.noun, numbered 0..N-1 in file order
(82,115). Every pointer of a noun synset whose target is a noun synset (pos
'n', any pointer symbol) is an edge from the synset holding it to the synset
it points to, in file order (231,535 edges); so a synset with many hyponyms
or instances is a hub (its hyponyms' "@"/"@i" pointers end there). Weights
are fixed per pointer type (POINTER_WEIGHT, all in [0.05, 1)). It is the
exact format the store's [store] edges CSV reader takes (core/store/
edges_csv.cpp), so engramd can serve the same file; a leading comment line
"# nodes: N" (skipped by that reader) tells engram_bench the node count.

Nothing here is committed; the output lives in the build tree. Needs numpy (Debian python3-numpy), hence
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


# Weight of an edge by its WordNet pointer symbol (wninput(5WN)): the
# taxonomy strongest, part-whole next, lexical and domain links weakest.
POINTER_WEIGHT = {
    "@": 0.9, "@i": 0.9,  # hypernym, instance hypernym
    "~": 0.5, "~i": 0.5,  # hyponym, instance hyponym
    "#m": 0.7, "#s": 0.7, "#p": 0.7,  # member / substance / part holonym
    "%m": 0.6, "%s": 0.6, "%p": 0.6,  # member / substance / part meronym
    "=": 0.4, "+": 0.4,  # attribute, derivationally related form
    ";c": 0.3, ";r": 0.3, ";u": 0.3,  # domain of synset (topic, region, usage)
    "-c": 0.15, "-r": 0.15, "-u": 0.15,  # member of that domain
    "!": 0.1,  # antonym
}
OTHER_POINTER_WEIGHT = 0.25


def noun_graph(wordnet_dir):
    """(n_nodes, [(source, target, weight)]) of data.noun, in file order."""
    index = {}
    pointers = []
    with open(os.path.join(wordnet_dir, "data.noun"), encoding="latin-1") as f:
        for line in f:
            if line.startswith("  ") or "|" not in line:
                continue  # licence header
            fields = line.split("|", 1)[0].split()
            index[fields[0]] = len(index)
            p = 4 + 2 * int(fields[3], 16)  # past the lemmas: p_cnt
            ptrs = [fields[p + 1 + 4 * k: p + 5 + 4 * k] for k in range(int(fields[p]))]
            pointers.append([(sym, off) for sym, off, pos, _ in ptrs if pos == "n"])
    edges = []
    for src, ptrs in enumerate(pointers):
        for sym, off in ptrs:
            edges.append((src, index[off], POINTER_WEIGHT.get(sym, OTHER_POINTER_WEIGHT)))
    return len(index), edges


def write_graph(wordnet_dir, out):
    n, edges = noun_graph(wordnet_dir)
    in_degree = [0] * n
    for _, t, _ in edges:
        in_degree[t] += 1
    hub = max(range(n), key=lambda i: in_degree[i])
    path = os.path.join(out, "wordnet_nouns_edges.csv")
    with open(path, "w") as f:
        f.write(f"# WordNet 3.0 noun graph (bench/make_wordnet_fixture.py)\n# nodes: {n}\n")
        f.write("source,target,weight\n")
        f.writelines(f"{s},{t},{w}\n" for s, t, w in edges)
    print(f"{path}: {n} nodes, {len(edges)} edges, max in-degree {in_degree[hub]} "
          f"(node {hub}), {sum(1 for d in in_degree if d == 0)} nodes without in-edges")


def features(text):
    words = WORD.findall(text.lower())
    return words + [a + " " + b for a, b in zip(words, words[1:])]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dims", default="384,768")
    ap.add_argument("--out", default="build/scratch")
    ap.add_argument("--wordnet", default="/usr/share/wordnet")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--graph", action="store_true",
                    help="also write the noun graph (wordnet_nouns_edges.csv)")
    ap.add_argument("--graph-only", action="store_true",
                    help="write only the noun graph, no gloss embeddings")
    args = ap.parse_args()
    if not os.path.exists(os.path.join(args.wordnet, "data.noun")):
        sys.exit(f"{args.wordnet}/data.noun missing: apt-get install wordnet-base")
    os.makedirs(args.out, exist_ok=True)
    if args.graph or args.graph_only:
        write_graph(args.wordnet, args.out)
    if args.graph_only:
        return

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
