// A minimal Engram kernel plugin: the three kernels in portable scalar C++,
// scratch sizing and the table. The maths and the error cases are the
// contract in kernels.md (installed with the SDK); the host self-tests every
// kernel against a double-precision oracle before the first call, so a plugin
// that gets any of this wrong is refused, not served.
//
// Rules (kernel_abi.h): no exceptions, no allocation, no state between calls,
// no thread_local, reentrant; all memory belongs to the caller.
#include <engram/kernel_abi.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#ifndef ENGRAM_PLUGIN_FEATURES  // set by engram_add_plugin from FEATURES
#define ENGRAM_PLUGIN_FEATURES 0
#endif
#ifndef EXAMPLE_PLUGIN_VERSION
#define EXAMPLE_PLUGIN_VERSION "1.0.0"
#endif

namespace {

// scores[i] = cos(q, c_i), 0 for a zero or non-finite norm or quotient, clamped to [-1, 1].
engram_status similarity(const float* query, const float* candidates, const float* candidate_norms,
                         uint64_t n, uint64_t dim, float* scores, void* /*scratch*/,
                         uint64_t /*scratch_capacity*/) {
    if (dim == 0) return ENGRAM_E_INVALID_ARGUMENT;
    if (n == 0) return ENGRAM_OK;
    if (!query || !candidates || !scores) return ENGRAM_E_INVALID_ARGUMENT;
    double qq = 0.0;
    for (uint64_t k = 0; k < dim; ++k) qq += static_cast<double>(query[k]) * query[k];
    const double qn = std::sqrt(qq);
    for (uint64_t i = 0; i < n; ++i) {
        const float* c = candidates + i * dim;
        double dot = 0.0;
        double cc = 0.0;
        for (uint64_t k = 0; k < dim; ++k) {
            dot += static_cast<double>(query[k]) * c[k];
            cc += static_cast<double>(c[k]) * c[k];
        }
        const double cn = candidate_norms ? static_cast<double>(candidate_norms[i]) : std::sqrt(cc);
        double s = 0.0;
        if (qn > 0.0 && std::isfinite(qn) && cn > 0.0 && std::isfinite(cn)) {
            s = dot / (qn * cn);
            if (!std::isfinite(s)) s = 0.0;
            s = s > 1.0 ? 1.0 : (s < -1.0 ? -1.0 : s);
        }
        scores[i] = static_cast<float>(s);
    }
    return ENGRAM_OK;
}

// Synchronous spreading over a CSR of in-edges, with threshold and max-normalisation.
engram_status spread(const uint32_t* offsets, const uint32_t* sources, const float* weights,
                     uint64_t n_nodes, const engram_spread_params* params, float* activation,
                     void* scratch, uint64_t scratch_capacity) {
    if (!params || !offsets) return ENGRAM_E_INVALID_ARGUMENT;
    if (n_nodes == 0) return ENGRAM_OK;
    if (!activation) return ENGRAM_E_INVALID_ARGUMENT;
    // Validate the whole graph before computing anything: never skip a bad edge.
    if (offsets[0] != 0) return ENGRAM_E_OUT_OF_RANGE;
    for (uint64_t i = 0; i < n_nodes; ++i)
        if (offsets[i + 1] < offsets[i]) return ENGRAM_E_OUT_OF_RANGE;
    const uint64_t m = offsets[n_nodes];
    if (m != 0 && (!sources || !weights)) return ENGRAM_E_INVALID_ARGUMENT;
    for (uint64_t j = 0; j < m; ++j)
        if (sources[j] >= n_nodes) return ENGRAM_E_OUT_OF_RANGE;
    if (!scratch || scratch_capacity < n_nodes * sizeof(float)) return ENGRAM_E_SCRATCH_TOO_SMALL;

    float* cur = activation;
    float* next = static_cast<float*>(scratch);
    for (uint32_t it = 0; it < params->iterations; ++it) {
        float peak = 0.0f;
        for (uint64_t i = 0; i < n_nodes; ++i) {
            double sum = 0.0;
            for (uint32_t j = offsets[i]; j < offsets[i + 1]; ++j) {
                const float a = cur[sources[j]];
                if (a >= params->threshold) sum += static_cast<double>(weights[j]) * a;
            }
            next[i] = static_cast<float>(cur[i] + static_cast<double>(params->decay) * sum);
            if (next[i] > peak) peak = next[i];
        }
        if (peak > 1.0f)
            for (uint64_t i = 0; i < n_nodes; ++i) next[i] /= peak;
        float* t = cur;
        cur = next;
        next = t;
    }
    if (cur != activation) std::memcpy(activation, cur, n_nodes * sizeof(float));
    return ENGRAM_OK;
}

// Ebbinghaus retention: strength * exp(-max(age, 0) / stability); non-finite -> 0.
engram_status decay(const float* strength, const float* age_seconds, const float* stability,
                    float stability_scalar, uint64_t n, float* out, void* /*scratch*/,
                    uint64_t /*scratch_capacity*/) {
    if (n == 0) return ENGRAM_OK;
    if (!strength || !age_seconds || !out) return ENGRAM_E_INVALID_ARGUMENT;
    for (uint64_t i = 0; i < n; ++i) {
        const double age = age_seconds[i] < 0.0f ? 0.0 : static_cast<double>(age_seconds[i]);
        const double s = stability ? stability[i] : stability_scalar;
        const float v = static_cast<float>(strength[i] * std::exp(-age / s));
        out[i] = std::isfinite(v) ? v : 0.0f;
    }
    return ENGRAM_OK;
}

// Spreading needs one second activation vector; the others need no scratch.
uint64_t scratch_bytes(engram_kernel_id kernel, const engram_shape* shape) {
    return kernel == ENGRAM_KERNEL_SPREADING && shape ? shape->n * sizeof(float) : 0;
}

const engram_kernel_table kTable = {
    sizeof(engram_kernel_table),  // struct_size: the size this plugin was built with
    ENGRAM_ABI_MAJOR,
    ENGRAM_ABI_MINOR,
    "example",  // the name [backends] and the logs use; [a-z0-9_]+
    EXAMPLE_PLUGIN_VERSION,
    "example scalar plugin, built with the EngramKernelSDK",
    ENGRAM_PLUGIN_FEATURES,  // required_cpu_features: the FEATURES it was compiled with
    &similarity,
    &spread,
    &decay,
    &scratch_bytes,
    nullptr,  // ABI 1.1 similarity_bf16: not offered (the host refuses bf16 stores for it)
    nullptr,  // ABI 1.1 similarity_int8: not offered
    nullptr,  // ABI 1.2 spread_push: not offered (the host calls spread)
};

}  // namespace

// The one exported symbol: extern "C", default visibility.
ENGRAM_DEFINE_PLUGIN_ENTRY(kTable)
