// A shadow comparison counts for the rollout that sampled it, and only that
// one. Found by the rollout drill under ASan: comparisons sampled while a
// bad candidate (zoo_wrong_huge_n) was live finished after its rollback and
// were read as mismatches of the next candidates (zoo_slow, then zoo_good),
// rolling both back. Each route now carries its own tally; a job whose
// rollout is over is not run; and a mismatch's example is in
// Engine::mismatches() before it is counted.
#include <catch2/catch.hpp>

#include "engine_fixture.h"
#include "metrics/registry.h"
#include "store/memory_store.h"

using namespace engram;
using namespace engram::testing;

namespace {

std::shared_ptr<const Routing> route_to(const std::shared_ptr<const KernelSet>& set,
                                        const std::string& key,
                                        std::shared_ptr<ShadowTally> tally) {
    auto r = std::make_shared<Routing>();
    KernelRoute& k = r->kernels[0];
    k.alternate = set->find(key);
    k.alternate_key = key;
    k.alternate_series = &metrics::Registry::global().kernel("similarity", key.c_str());
    k.compare_bp = 10000;  // every call compared
    k.serving_latency = std::make_shared<LatencyRing>();
    k.alternate_latency = std::make_shared<LatencyRing>();
    k.tally = std::move(tally);
    return r;
}

}  // namespace

TEST_CASE("shadow comparisons count only for the rollout that sampled them", "[threads]") {
    Config c = reference_config();
    c.plugins["zoo_wrong_huge_n"] = zoo_path("wrong_huge_n");
    c.plugins["zoo_good"] = zoo_path("good");
    c.backends.priority = {"reference"};
    auto set = build_kernel_set(c, usable_cpu_features(), 1, nullptr);
    REQUIRE(set->find("zoo_wrong_huge_n"));  // right on every shape validation tries
    REQUIRE(set->find("zoo_good"));

    // More memories than validation tries: zoo_wrong_huge_n is 10 % off here.
    Engine engine(
        std::make_shared<const MemoryStore>(make_synthetic_store(6000, 32, 4, 3, 86400.0, 0.0)));
    engine.install(set);
    const std::vector<float> q(32, 0.25f);
    auto& m = metrics::Registry::global().rollout[0];

    // A: the bad candidate. Every comparison that runs is a mismatch, and its
    // example is there to show.
    auto a = std::make_shared<ShadowTally>();
    engine.install_routing(route_to(set, "zoo_wrong_huge_n", a));
    for (int i = 0; i < 4; ++i) {
        engine.find_similar(q, 5);
        engine.drain_shadow();
    }
    REQUIRE(a->comparisons.load() >= 1);
    CHECK(a->mismatches.load() == a->comparisons.load());
    const auto examples = engine.mismatches();
    REQUIRE_FALSE(examples.empty());
    CHECK(examples.back().candidate == "zoo_wrong_huge_n");

    // Calls still sampled under A whose jobs are queued when B (a good
    // candidate) replaces it: none of them reaches B's tally, and those not
    // yet started are not run at all.
    const uint64_t registry_before = m.shadow_comparisons.value(), a_before = a->comparisons.load();
    for (int i = 0; i < 12; ++i) engine.find_similar(q, 5);
    auto b = std::make_shared<ShadowTally>();
    engine.install_routing(route_to(set, "zoo_good", b));
    engine.drain_shadow();
    CHECK(b->comparisons.load() == 0);
    CHECK(b->mismatches.load() == 0);
    CHECK(m.shadow_comparisons.value() - registry_before == a->comparisons.load() - a_before);

    // B's own calls: compared, and in agreement.
    for (int i = 0; i < 4; ++i) {
        engine.find_similar(q, 5);
        engine.drain_shadow();
    }
    CHECK(b->comparisons.load() >= 1);
    CHECK(b->mismatches.load() == 0);
}
