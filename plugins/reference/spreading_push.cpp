// ABI 1.2 spread_push, reference backend: the shared driver
// (plugins/common/spreading_push.h) with its scalar sweeps and this backend's
// pull iteration, normalising by one reciprocal like spread.
#include "../common/spreading_push.h"

#include "kernels.h"
#include "spreading_iteration.h"

namespace engram_reference {
namespace {

struct Sweeps : engram::plugin::ScalarPushSweeps {
    static void normalise(float* v, uint64_t n, float mx) {
        const float inv = 1.0f / mx;  // as spread does
        for (uint64_t i = 0; i < n; ++i) v[i] *= inv;
    }
};

}  // namespace

engram_status spread_push(const uint32_t* offsets, const uint32_t* sources, const float* weights,
                          const engram_out_edges* out, uint64_t n_nodes,
                          const engram_spread_params* params, float* activation, void* scratch,
                          uint64_t scratch_capacity) {
    const float threshold = params ? params->threshold : 0.0f;
    const double decay = params ? params->decay : 0.0;
    return engram::plugin::spread_push_driver<Sweeps>(
        offsets, out, n_nodes, params, activation, scratch, scratch_capacity,
        [&] { return check_in_edges(offsets, sources, weights, n_nodes); },
        [&](const float* cur, float* next) {
            return pull_iteration(offsets, sources, weights, n_nodes, threshold, decay, cur, next);
        });
}

}  // namespace engram_reference
