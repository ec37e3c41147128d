// An immutable kernel-set snapshot: which validated plugin serves each
// kernel, for one config generation. Readers take a shared_ptr to the whole
// set and keep it for the length of a request, so a reload can publish a new
// set at any time while calls in flight finish on the old one. (Plugins are
// never unmapped, even when no set holds them: plugin.h.)
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "config/config.h"
#include "loader/plugin.h"
#include "metrics/registry.h"

namespace engram {

class KernelSet {
  public:
    struct Skipped {
        std::string plugin;  // [plugins] name
        Error reason;        // E_CPU_FEATURE: usable elsewhere, not here
    };

    KernelSet(uint64_t generation, std::array<std::shared_ptr<const Plugin>, 3> serving,
              std::vector<std::pair<std::string, std::shared_ptr<const Plugin>>> loaded,
              std::vector<Skipped> skipped);

    uint64_t generation() const { return generation_; }
    const Plugin& backend(Kernel k) const { return *serving_[static_cast<size_t>(k)]; }
    const std::shared_ptr<const Plugin>& backend_ptr(Kernel k) const {
        return serving_[static_cast<size_t>(k)];
    }
    const engram_kernel_table& table(Kernel k) const { return backend(k).table(); }
    // The metrics series each kernel's calls are recorded in, resolved once
    // here so the per-call path does no (kernel, backend) lookup.
    metrics::KernelSeries& series(Kernel k) const { return *series_[static_cast<size_t>(k)]; }
    // Every plugin this generation loaded and validated, by [plugins] name.
    const std::vector<std::pair<std::string, std::shared_ptr<const Plugin>>>& loaded() const {
        return loaded_;
    }
    // Listed plugins that "auto" passed over because this CPU lacks a feature.
    const std::vector<Skipped>& skipped() const { return skipped_; }
    // Looks up a loaded plugin by [plugins] name; nullptr if none.
    std::shared_ptr<const Plugin> find(const std::string& name) const;
    // A copy of this set, as `generation`, with `plugin` (listed as `name`)
    // serving kernel `k`: how the host publishes a promoted candidate or a
    // watchdog's rollback without a config change.
    std::shared_ptr<const KernelSet> with_backend(Kernel k, const std::string& name,
                                                  std::shared_ptr<const Plugin> plugin,
                                                  uint64_t generation) const;

  private:
    uint64_t generation_;
    std::array<std::shared_ptr<const Plugin>, 3> serving_;
    std::array<metrics::KernelSeries*, 3> series_;
    std::vector<std::pair<std::string, std::shared_ptr<const Plugin>>> loaded_;
    std::vector<Skipped> skipped_;
};

// Whether a plugin's (negotiated) table offers similarity over stored
// embeddings of `format`: f32 always; bf16 / int8 need the ABI 1.1 field
// (a 1.0 table reads it as NULL).
bool offers_format(const engram_kernel_table& t, EmbeddingFormat format);
// "similarity_bf16" etc.: the table field that serves `format`.
const char* similarity_kernel_for(EmbeddingFormat format);

// Loads and validates every plugin the config lists, then binds each kernel.
// With [store] embedding_format other than "f32", the similarity kernel
// needs a backend that offers it: "auto" passes over plugins that do not
// (in priority order), a named backend or a [rollout.similarity] candidate
// that does not is E_BACKEND_FORMAT_UNSUPPORTED.
// A plugin refused only for CPU features is skipped (recorded in skipped());
// any other refusal, a pinned backend that cannot run here, or a kernel with
// no usable backend fails the whole build with an ErrorList. `previous` may
// be null; a plugin whose path and SHA-256 match one it loaded is reused, not
// reloaded.
std::shared_ptr<const KernelSet> build_kernel_set(const Config& config,
                                                  uint64_t usable_cpu_features, uint64_t generation,
                                                  const KernelSet* previous);

// Shutting down: a build in progress stops validating (its children are
// killed) and fails with E_RELOAD_STOPPING, as does any later build. One-way.
void cancel_kernel_set_builds();

}  // namespace engram
