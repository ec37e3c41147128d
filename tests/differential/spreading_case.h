// Generated spreading inputs: in-edge CSR graphs of 0..100,000 nodes with
// power-law in-degrees (hubs), isolated nodes, self loops and duplicate
// edges; non-negative weights and seeds; 0..10 iterations, decay 0..2, and
// thresholds drawn until the oracle's threshold_margin clears
// kSpreadMinThresholdMargin (docs/internal/kernels.md): a case too close to
// the threshold discontinuity is regenerated with another threshold, counted,
// never silently passed.
#pragma once

#include <engram/kernel_abi.h>

#include <cstdint>
#include <string>

#include "buffer.h"
#include "oracle/oracle.h"
#include "prng.h"

namespace engram::difftest {

struct SpreadingCase {
    uint64_t n = 0;
    OffsetBuffer<uint32_t> offsets, sources;
    OffsetBuffer<float> weights, seeds;
    engram_spread_params params{};
    uint64_t activation_offset = 0;
    std::string style;

    uint64_t edges() const { return sources.size(); }
    std::string describe() const;
};

// A random valid graph with seeds and parameters (threshold not yet vetted).
SpreadingCase make_spreading_graph(Rng& rng);

inline constexpr uint32_t kMaxThresholdRedraws = 16;

struct VettedSpreading {
    SpreadingCase c;
    oracle::SpreadResult want;
    uint32_t regenerated = 0;  // thresholds redrawn for being too close
};

// make_spreading_graph, then redraw the threshold until the oracle's margin
// is >= kSpreadMinThresholdMargin. After kMaxThresholdRedraws the threshold becomes
// negative (every non-negative source fires: margin >= 1), still counted.
VettedSpreading make_spreading_case(Rng& rng);

}  // namespace engram::difftest
