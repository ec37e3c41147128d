// The oracle itself, on cases small enough to check by hand.
#include <catch2/catch.hpp>
#include <cmath>

#include "oracle/oracle.h"

using namespace engram;

TEST_CASE("oracle similarity: hand-checked cosines") {
    const float q[] = {1, 0, 0};
    const float c[] = {1, 0, 0, 0, 1, 0, -3, 0, 0, 1, 1, 0, 0, 0, 0};
    const auto s = oracle::similarity(q, c, 5, 3);
    CHECK(s[0] == Approx(1.0));
    CHECK(s[1] == Approx(0.0));
    CHECK(s[2] == Approx(-1.0));
    CHECK(s[3] == Approx(1.0 / std::sqrt(2.0)));
    CHECK(s[4] == 0.0);  // zero norm
    const float inf_row[] = {INFINITY, 0, 0};
    CHECK(oracle::similarity(q, inf_row, 1, 3)[0] == 0.0);  // non-finite norm
}

TEST_CASE("oracle spreading: a chain by hand") {
    // 0 -> 1 -> 2 (in-edges: 1 <- 0 (w 0.5), 2 <- 1 (w 1.0))
    const uint32_t offsets[] = {0, 0, 1, 2};
    const uint32_t sources[] = {0, 1};
    const float weights[] = {0.5f, 1.0f};
    const float act0[] = {1.0f, 0.0f, 0.0f};
    // iteration 1: [1, 0 + 0.5*0.5*1, 0 + 0.5*1*0] = [1, 0.25, 0]
    // iteration 2: [1, 0.25 + 0.25, 0 + 0.5*1*0.25] = [1, 0.5, 0.125]
    auto r = oracle::spread(offsets, sources, weights, 3, {2, 0.5f, 0.0f}, act0);
    REQUIRE(r.status == ENGRAM_OK);
    CHECK(r.activation[0] == Approx(1.0));
    CHECK(r.activation[1] == Approx(0.5));
    CHECK(r.activation[2] == Approx(0.125));
    // Threshold 0.3: at iteration 2 node 1 (0.25) does not fire into node 2.
    r = oracle::spread(offsets, sources, weights, 3, {2, 0.5f, 0.3f}, act0);
    CHECK(r.activation[2] == 0.0);
    CHECK(r.threshold_margin == Approx(0.05 / 0.3).epsilon(1e-6));
}

TEST_CASE("oracle spreading: normalisation by the maximum above 1") {
    const uint32_t offsets[] = {0, 1, 2};
    const uint32_t sources[] = {1, 0};
    const float weights[] = {1.0f, 1.0f};
    const float act0[] = {1.0f, 1.0f};
    const auto r = oracle::spread(offsets, sources, weights, 2, {1, 1.0f, 0.0f}, act0);
    // next = [2, 2] -> divided by 2
    CHECK(r.activation[0] == Approx(1.0));
    CHECK(r.activation[1] == Approx(1.0));
}

TEST_CASE("oracle spreading: a bad source index is an error") {
    const uint32_t offsets[] = {0, 1};
    const uint32_t sources[] = {5};
    const float weights[] = {1.0f};
    const float act0[] = {1.0f};
    CHECK(oracle::spread(offsets, sources, weights, 1, {1, 1.0f, 0.0f}, act0).status ==
          ENGRAM_E_OUT_OF_RANGE);
}

TEST_CASE("oracle decay: e-folding time, negative age, scalar stability") {
    const float strength[] = {1.0f, 0.5f, 2.0f, 1.0f};
    const float age[] = {86400.0f, 0.0f, -100.0f, NAN};
    const float stab[] = {86400.0f, 10.0f, 10.0f, 10.0f};
    const auto d = oracle::decay(strength, age, stab, 0.0f, 4);
    CHECK(d[0] == Approx(std::exp(-1.0)));  // one stability = 1/e, not 1/2
    CHECK(d[1] == Approx(0.5));
    CHECK(d[2] == Approx(2.0));  // negative age counts as 0
    CHECK(d[3] == 0.0);          // NaN never escapes
    const auto s = oracle::decay(strength, age, nullptr, 43200.0f, 1);
    CHECK(s[0] == Approx(std::exp(-2.0)));
}
