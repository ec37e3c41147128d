#include "kernelset/kernel_set.h"

#include <algorithm>
#include <future>

#include "common/file_stamp.h"
#include "common/sha256.h"
#include "loader/plugin_loader.h"

namespace engram {

KernelSet::KernelSet(uint64_t generation, std::array<std::shared_ptr<const Plugin>, 3> serving,
                     std::vector<std::pair<std::string, std::shared_ptr<const Plugin>>> loaded,
                     std::vector<Skipped> skipped)
    : generation_(generation),
      serving_(std::move(serving)),
      loaded_(std::move(loaded)),
      skipped_(std::move(skipped)) {
    for (size_t i = 0; i < serving_.size(); ++i)
        series_[i] = &metrics::Registry::global().kernel(kernel_name(static_cast<Kernel>(i)),
                                                         serving_[i]->name());
}

std::shared_ptr<const Plugin> KernelSet::find(const std::string& name) const {
    for (const auto& [n, p] : loaded_)
        if (n == name) return p;
    return nullptr;
}

std::shared_ptr<const KernelSet> KernelSet::with_backend(Kernel k, const std::string& name,
                                                         std::shared_ptr<const Plugin> plugin,
                                                         uint64_t generation) const {
    auto serving = serving_;
    auto loaded = loaded_;
    if (!find(name)) loaded.emplace_back(name, plugin);
    serving[static_cast<size_t>(k)] = std::move(plugin);
    return std::make_shared<const KernelSet>(generation, std::move(serving), std::move(loaded),
                                             skipped_);
}

bool offers_format(const engram_kernel_table& t, EmbeddingFormat format) {
    switch (format) {
        case EmbeddingFormat::F32:
            return t.similarity != nullptr;
        case EmbeddingFormat::Bf16:
            return t.similarity_bf16 != nullptr;
        case EmbeddingFormat::Int8:
            return t.similarity_int8 != nullptr;
    }
    return false;
}

const char* similarity_kernel_for(EmbeddingFormat format) {
    switch (format) {
        case EmbeddingFormat::F32:
            return "similarity";
        case EmbeddingFormat::Bf16:
            return "similarity_bf16";
        case EmbeddingFormat::Int8:
            return "similarity_int8";
    }
    return "similarity";
}

namespace {

Error format_unsupported(const std::string& what, const std::string& plugin, const Plugin& p,
                         EmbeddingFormat format) {
    const auto& t = p.table();
    return Error(ErrorCode::BackendFormatUnsupported,
                 what + ": backend '" + plugin + "' (ABI " + std::to_string(t.abi_major) + "." +
                     std::to_string(t.abi_minor) + ") offers no kernel " +
                     similarity_kernel_for(format) + " for [store] embedding_format = \"" +
                     embedding_format_name(format) +
                     "\" (ABI 1.1; use a backend that offers it, or embedding_format = \"f32\")");
}

std::shared_ptr<const Plugin> reusable(const KernelSet* previous, const std::string& name,
                                       const std::filesystem::path& path,
                                       const PluginPolicy& policy, uint64_t usable_cpu_features) {
    if (!previous) return nullptr;
    for (const auto& [prev_name, p] : previous->loaded()) {
        if (p->path() != path || prev_name != name) continue;
        if (p->table().required_cpu_features & ~usable_cpu_features) return nullptr;
        // A newly pinned digest is checked by a fresh load (E_PLUGIN_DIGEST).
        if (!policy.sha256.empty() && policy.sha256 != p->sha256()) return nullptr;
        // Untouched since it was loaded: the same bytes, no need to hash
        // them again (this keeps a no-change reload to a few stat() calls).
        const auto stamp = file_stamp(path);
        if (stamp && stamp == p->file_stamp()) return p;
        std::string sha;
        try {
            sha = sha256_file_hex(path);
        } catch (const Error&) {
            return nullptr;  // the fresh load reports the real problem
        }
        if (sha == p->sha256()) return p;
    }
    return nullptr;
}

LoadOptions load_options(const Config& config, const std::string& name,
                         uint64_t usable_cpu_features) {
    LoadOptions o;
    o.usable_cpu_features = usable_cpu_features;
    o.expected_name = name;
    const PluginPolicy& policy = config.policy_for(name);
    o.provenance = {policy.sha256, policy.strict_permissions, config.security.require_signature,
                    config.security.trusted_keys_dir};
    ChildValidation child;
    child.timeout_seconds = config.validation.timeout_seconds;
    child.address_space_mib = config.validation.address_space_mib;
    child.cpu_seconds = config.validation.cpu_seconds;
    o.child = child;
    return o;
}

}  // namespace

std::shared_ptr<const KernelSet> build_kernel_set(const Config& config,
                                                  uint64_t usable_cpu_features, uint64_t generation,
                                                  const KernelSet* previous) {
    std::vector<Error> errors;
    std::vector<std::pair<std::string, std::shared_ptr<const Plugin>>> loaded;
    std::vector<KernelSet::Skipped> skipped;

    // New plugin files are validated in parallel (each in its own child):
    // a generation costs its slowest plugin, not the sum.
    struct Pending {
        std::string name;
        std::shared_ptr<const Plugin> reused;
        std::future<std::shared_ptr<const Plugin>> fresh;
    };
    std::vector<Pending> pending;
    for (const auto& [name, path] : config.plugins) {
        Pending p{
            name, reusable(previous, name, path, config.policy_for(name), usable_cpu_features), {}};
        if (!p.reused)
            p.fresh = std::async(
                std::launch::async, [&config, name = name, path = path, usable_cpu_features] {
                    return load_plugin(path, load_options(config, name, usable_cpu_features));
                });
        pending.push_back(std::move(p));
    }
    for (auto& p : pending) {
        try {
            loaded.emplace_back(p.name, p.reused ? p.reused : p.fresh.get());
        } catch (const Error& e) {
            if (e.code() == ErrorCode::CpuFeatureMissing)
                skipped.push_back({p.name, e});
            else
                errors.push_back(Error(e.code(), "[plugins] " + p.name + ": " + e.what()));
        } catch (const std::exception& e) {
            errors.push_back(
                Error(ErrorCode::PluginLoadFailed, "[plugins] " + p.name + ": " + e.what()));
        }
    }

    auto find_loaded = [&](const std::string& name) -> std::shared_ptr<const Plugin> {
        for (const auto& [n, p] : loaded)
            if (n == name) return p;
        return nullptr;
    };

    const EmbeddingFormat format = config.store.embedding_format;
    std::array<std::shared_ptr<const Plugin>, 3> serving;
    for (Kernel k : kAllKernels) {
        const std::string& want = config.backends.for_kernel(k);
        const std::string what = std::string("[backends] ") + kernel_name(k);
        const bool needs_format = k == Kernel::Similarity && format != EmbeddingFormat::F32;
        std::shared_ptr<const Plugin> chosen;
        if (want == "auto") {
            std::string first_usable;  // the one "auto" would take without the format
            for (const auto& name : config.backends.priority) {
                auto p = find_loaded(name);
                if (!p) continue;
                if (first_usable.empty()) first_usable = name;
                if (!needs_format || offers_format(p->table(), format)) {
                    chosen = std::move(p);
                    break;
                }
            }
            if (!chosen && !first_usable.empty())
                errors.push_back(format_unsupported(
                    what + " = \"auto\" (no usable plugin in the priority list offers it)",
                    first_usable, *find_loaded(first_usable), format));
            if (!chosen && errors.empty())
                errors.push_back(
                    Error(ErrorCode::NoUsableBackend,
                          what + " = \"auto\": no plugin in the priority list is usable here"));
        } else if (config.plugins.count(want) == 0) {
            errors.push_back(Error(ErrorCode::BackendUnknown,
                                   what + " = \"" + want + "\": no such plugin in [plugins]"));
        } else if (!(chosen = find_loaded(want))) {
            auto skip = std::find_if(skipped.begin(), skipped.end(),
                                     [&](const KernelSet::Skipped& s) { return s.plugin == want; });
            if (skip != skipped.end())
                errors.push_back(
                    Error(ErrorCode::CpuFeatureMissing,
                          what + " = \"" + want + "\" cannot run here: " + skip->reason.what()));
            // otherwise the plugin's own load error is already listed
        } else if (needs_format && !offers_format(chosen->table(), format)) {
            errors.push_back(
                format_unsupported(what + " = \"" + want + "\"", want, *chosen, format));
            chosen = nullptr;
        }
        serving[static_cast<size_t>(k)] = chosen;
    }
    // A similarity rollout candidate serves (canary) or is compared (shadow)
    // on the same store: it must offer the format too.
    const std::string& candidate =
        config.rollout[static_cast<size_t>(Kernel::Similarity)].candidate;
    if (format != EmbeddingFormat::F32 && !candidate.empty()) {
        if (auto p = find_loaded(candidate); p && !offers_format(p->table(), format))
            errors.push_back(format_unsupported(
                "[rollout.similarity] candidate = \"" + candidate + "\"", candidate, *p, format));
    }
    if (!errors.empty()) throw ErrorList(std::move(errors));
    return std::make_shared<const KernelSet>(generation, std::move(serving), std::move(loaded),
                                             std::move(skipped));
}

void cancel_kernel_set_builds() { cancel_validations(); }

}  // namespace engram
