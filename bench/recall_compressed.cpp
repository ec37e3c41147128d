// engram_recall: top-k recall of the compressed similarity kernels (ABI 1.1)
// against the fp32 exact top-k, on real data (issue 16).
//
//   engram_recall BASE.npy QUERIES.npy [K=10] [MAX_QUERIES=200]
//
// BASE and QUERIES are float32 .npy matrices (bench/make_wordnet_fixture.py
// writes WordNet gloss TF-IDF ones into build/scratch). The store is built
// exactly as engramd builds it (read_npy_matrix, compress_embeddings: bf16
// round to nearest even, int8 symmetric per row), every plugin in the build's
// plugin directory that loads here (real loader, validation child included)
// scores every query with its bf16 and int8 kernel, and the top K is
// compared with the top K of the double oracle on the float32 rows:
//   recall      = |top-K(compressed) ∩ top-K(exact)| / K, averaged;
//   recall_ties = a returned row counts when its exact score ties or beats
//                 the exact K-th score (TF-IDF has duplicate glosses).
#include <engram/kernel_abi.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "loader/plugin_loader.h"
#include "oracle/oracle.h"
#include "platform/cpu_features.h"
#include "store/dataset_io.h"
#include "store/memory_store.h"

using namespace engram;

namespace {

std::vector<uint32_t> top_k(const std::vector<float>& s, uint32_t k) {
    std::vector<uint32_t> idx(s.size());
    for (uint32_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](uint32_t a, uint32_t b) {
        return s[a] > s[b] || (s[a] == s[b] && a < b);
    });
    idx.resize(k);
    return idx;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr,
                     "usage: engram_recall BASE.npy QUERIES.npy [K=10] [MAX_QUERIES=200]\n");
        return 2;
    }
    const uint32_t k = argc > 3 ? static_cast<uint32_t>(std::stoul(argv[3])) : 10;
    const uint64_t max_q = argc > 4 ? std::stoull(argv[4]) : 200;
    try {
        NpyMatrix base = read_npy_matrix(argv[1]);
        const NpyMatrix queries = read_npy_matrix(argv[2]);
        if (queries.cols != base.cols) throw std::runtime_error("dimension mismatch");
        MemoryStore f32;
        f32.n = base.rows;
        f32.dim = base.cols;
        f32.embeddings = std::move(base.data);
        compute_norms(f32);
        MemoryStore bf16 = f32, int8 = f32;
        compress_embeddings(bf16, EmbeddingFormat::Bf16);
        compress_embeddings(int8, EmbeddingFormat::Int8);
        const uint64_t nq = std::min<uint64_t>(max_q, queries.rows);
        std::printf(
            "base %llu x %llu, %llu queries, k=%u\n", static_cast<unsigned long long>(f32.n),
            static_cast<unsigned long long>(f32.dim), static_cast<unsigned long long>(nq), k);

        // The exact top-k: the double oracle on the float32 rows.
        std::vector<std::vector<double>> exact(nq);
        std::vector<std::vector<uint32_t>> truth(nq);
        for (uint64_t q = 0; q < nq; ++q) {
            exact[q] = oracle::similarity(queries.data.data() + q * f32.dim, f32.embeddings.data(),
                                          f32.n, f32.dim);
            truth[q] = top_k(std::vector<float>(exact[q].begin(), exact[q].end()), k);
        }

        const std::filesystem::path dir = ENGRAM_RECALL_PLUGIN_DIR;
        const uint64_t cpu = detect_cpu_features();
        for (const char* name :
             {"reference", "avx2", "avx512", "avx512_vnni", "neon", "neon_dotprod"}) {
            const auto file = dir / ("libengram_" + std::string(name) + ".so");
            if (!std::filesystem::exists(file)) continue;
            std::shared_ptr<const Plugin> p;
            try {
                p = load_plugin(file, default_load_options(cpu));
            } catch (const std::exception& e) {
                std::printf("%-10s skipped: %s\n", name, e.what());
                continue;
            }
            const engram_kernel_table& t = p->table();
            for (int f = 0; f < 2; ++f) {
                if (f == 0 ? !t.similarity_bf16 : !t.similarity_int8) continue;
                double hits = 0, hits_ties = 0, worst_abs = 0;
                std::vector<float> scores(f32.n);
                for (uint64_t q = 0; q < nq; ++q) {
                    const float* qv = queries.data.data() + q * f32.dim;
                    const engram_status st =
                        f == 0
                            ? t.similarity_bf16(qv, bf16.embeddings_bf16.data(), bf16.norms.data(),
                                                f32.n, f32.dim, scores.data(), nullptr, 0)
                            : t.similarity_int8(qv, int8.embeddings_int8.data(), int8.scales.data(),
                                                int8.norms.data(), f32.n, f32.dim, scores.data(),
                                                nullptr, 0);
                    if (st != ENGRAM_OK) throw std::runtime_error("kernel returned an error");
                    const auto got = top_k(scores, k);
                    const double kth = exact[q][truth[q].back()];
                    for (uint32_t id : got) {
                        hits += std::find(truth[q].begin(), truth[q].end(), id) != truth[q].end();
                        hits_ties += exact[q][id] >= kth;
                    }
                    for (uint64_t i = 0; i < f32.n; ++i)
                        worst_abs = std::max(worst_abs, std::abs(scores[i] - exact[q][i]));
                }
                std::printf(
                    "%-10s %-5s recall@%u = %.4f  recall_ties = %.4f  max|score - exact| = %.5f\n",
                    name, f == 0 ? "bf16" : "int8", k, hits / double(nq * k),
                    hits_ties / double(nq * k), worst_abs);
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "engram_recall: %s\n", e.what());
        return 1;
    }
    return 0;
}
