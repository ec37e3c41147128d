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

namespace {

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

    std::array<std::shared_ptr<const Plugin>, 3> serving;
    for (Kernel k : kAllKernels) {
        const std::string& want = config.backends.for_kernel(k);
        const std::string what = std::string("[backends] ") + kernel_name(k);
        std::shared_ptr<const Plugin> chosen;
        if (want == "auto") {
            for (const auto& name : config.backends.priority)
                if ((chosen = find_loaded(name))) break;
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
        }
        serving[static_cast<size_t>(k)] = chosen;
    }
    if (!errors.empty()) throw ErrorList(std::move(errors));
    return std::make_shared<const KernelSet>(generation, std::move(serving), std::move(loaded),
                                             std::move(skipped));
}

void cancel_kernel_set_builds() { cancel_validations(); }

}  // namespace engram
