// build_store hands out a sealed store: its arrays are on read-only pages, so
// a write through a const pointer the engine gave a plugin faults (SIGSEGV)
// instead of corrupting served data. Each write happens in a forked child.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "store/memory_store.h"
#include "store/store_array.h"
#include "store_test_support.h"

using engram::MemoryStore;
using engram::StoreConfig;
using engram::test::npy_matrix;
using engram::test::TempDir;

namespace {

constexpr double kNow = 1.7e9;

// Runs `write` in a child; returns the signal that ended it, or 0 if it exited.
template <class F>
int signal_of_write(F write) {
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        // Sanitizer runtimes catch SIGSEGV and exit(1) instead; we want the signal.
        ::signal(SIGSEGV, SIG_DFL);
        ::signal(SIGBUS, SIG_DFL);
        write();
        _exit(0);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    if (WIFSIGNALED(status)) return WTERMSIG(status);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    return 0;
}

template <class T>
int poke(const engram::StoreArray<T>& a, size_t at) {
    return signal_of_write([&] { const_cast<T*>(a.data())[at] = T{7}; });
}

StoreConfig synthetic(uint64_t memories, uint64_t dim) {
    StoreConfig cfg;
    cfg.kind = StoreConfig::Kind::Synthetic;
    cfg.memories = memories;
    cfg.dim = dim;
    cfg.avg_in_degree = 4.0;
    cfg.seed = 3;
    return cfg;
}

}  // namespace

TEST_CASE("compressed stores are sealed too: codes, scales and norms", "[store][sealed]") {
    StoreConfig cfg = synthetic(300, 24);
    cfg.embedding_format = engram::EmbeddingFormat::Bf16;
    const MemoryStore b = engram::build_store(cfg, kNow);
    CHECK(b.embeddings.empty());
    CHECK(poke(b.embeddings_bf16, 0) == SIGSEGV);
    CHECK(poke(b.embeddings_bf16, b.embeddings_bf16.size() - 1) == SIGSEGV);
    CHECK(poke(b.norms, 0) == SIGSEGV);
    cfg.embedding_format = engram::EmbeddingFormat::Int8;
    const MemoryStore i = engram::build_store(cfg, kNow);
    CHECK(poke(i.embeddings_int8, 5) == SIGSEGV);
    CHECK(poke(i.scales, 0) == SIGSEGV);
}

TEST_CASE("build_store seals every array: a write faults, the parent's value is unchanged",
          "[store][seal]") {
    const MemoryStore s = engram::build_store(synthetic(500, 16), kNow);
    const float before = s.embeddings[0];
    CHECK(poke(s.embeddings, 0) == SIGSEGV);
    CHECK(s.embeddings[0] == before);
    CHECK(poke(s.embeddings, s.embeddings.size() - 1) == SIGSEGV);  // the last page too
    CHECK(poke(s.norms, 0) == SIGSEGV);
    CHECK(poke(s.offsets, 0) == SIGSEGV);
    CHECK(poke(s.sources, 0) == SIGSEGV);
    CHECK(poke(s.weights, 0) == SIGSEGV);
    CHECK(poke(s.strength, 0) == SIGSEGV);
    CHECK(poke(s.last_access, 0) == SIGSEGV);
    CHECK(poke(s.stability, 0) == SIGSEGV);
    // Reading is untouched.
    CHECK(s.embeddings.size() == 500u * 16u);
}

TEST_CASE("a sealed store from files is sealed too, and moving it keeps it sealed",
          "[store][seal]") {
    TempDir dir;
    StoreConfig cfg;
    cfg.kind = StoreConfig::Kind::Files;
    cfg.embeddings = dir.write("e.npy", npy_matrix(2, 3, std::vector<float>{1, 2, 3, 4, 5, 6}, 1));
    MemoryStore a = engram::build_store(cfg, kNow);
    const MemoryStore b = std::move(a);
    CHECK(b.embeddings[5] == 6.0f);
    CHECK(poke(b.embeddings, 5) == SIGSEGV);
    CHECK(poke(b.strength, 0) == SIGSEGV);
    CHECK(b.embeddings[5] == 6.0f);
}

TEST_CASE("make_synthetic_store is not sealed (tests edit it); seal_store seals it",
          "[store][seal]") {
    MemoryStore s = engram::make_synthetic_store(50, 8, 1.0, 1, 86400.0, kNow);
    CHECK(poke(s.embeddings, 0) == 0);  // the child's write succeeded
    s.embeddings[0] = 1.5f;             // and the parent may edit it
    engram::seal_store(s);
    CHECK(poke(s.embeddings, 0) == SIGSEGV);
    CHECK(s.embeddings[0] == 1.5f);
    // A copy is a fresh, writable store.
    MemoryStore copy = s;
    copy.embeddings[0] = 2.5f;
    CHECK(copy.embeddings[0] == 2.5f);
    CHECK(s.embeddings[0] == 1.5f);
}

TEST_CASE("PageAllocator: empty and page-crossing arrays", "[store][seal]") {
    engram::StoreArray<double> empty;
    engram::StoreArray<double> zero(0);
    engram::seal_array(empty);
    engram::seal_array(zero);
    engram::StoreArray<uint32_t> v;
    for (uint32_t i = 0; i < 5000; ++i) v.push_back(i);  // several reallocations across pages
    for (uint32_t i = 0; i < 5000; ++i) REQUIRE(v[i] == i);
    engram::seal_array(v);
    CHECK(poke(v, 4999) == SIGSEGV);
}
