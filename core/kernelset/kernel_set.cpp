#include "kernelset/kernel_set.h"

#include <algorithm>

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
        series_[i] = &metrics::Registry::global().kernel(kernel_name(static_cast<Kernel>(i)), serving_[i]->name());
}

std::shared_ptr<const Plugin> KernelSet::find(const std::string& name) const {
    for (const auto& [n, p] : loaded_)
        if (n == name) return p;
    return nullptr;
}

namespace {

std::shared_ptr<const Plugin> reusable(const KernelSet* previous, const std::filesystem::path& path,
                                       uint64_t usable_cpu_features) {
    if (!previous) return nullptr;
    for (const auto& [name, p] : previous->loaded()) {
        if (p->path() != path) continue;
        if (p->table().required_cpu_features & ~usable_cpu_features) return nullptr;
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

}  // namespace

std::shared_ptr<const KernelSet> build_kernel_set(const Config& config, uint64_t usable_cpu_features,
                                                  uint64_t generation, const KernelSet* previous) {
    std::vector<Error> errors;
    std::vector<std::pair<std::string, std::shared_ptr<const Plugin>>> loaded;
    std::vector<KernelSet::Skipped> skipped;
    const LoadOptions options{usable_cpu_features, true};

    for (const auto& [name, path] : config.plugins) {
        try {
            auto p = reusable(previous, path, usable_cpu_features);
            if (!p) p = load_plugin(path, options);
            loaded.emplace_back(name, std::move(p));
        } catch (const Error& e) {
            if (e.code() == ErrorCode::CpuFeatureMissing)
                skipped.push_back({name, e});
            else
                errors.push_back(Error(e.code(), "[plugins] " + name + ": " + e.what()));
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
                errors.push_back(Error(ErrorCode::NoUsableBackend,
                                       what + " = \"auto\": no plugin in the priority list is usable here"));
        } else if (config.plugins.count(want) == 0) {
            errors.push_back(Error(ErrorCode::BackendUnknown,
                                   what + " = \"" + want + "\": no such plugin in [plugins]"));
        } else if (!(chosen = find_loaded(want))) {
            auto skip = std::find_if(skipped.begin(), skipped.end(),
                                     [&](const KernelSet::Skipped& s) { return s.plugin == want; });
            if (skip != skipped.end())
                errors.push_back(Error(ErrorCode::CpuFeatureMissing,
                                       what + " = \"" + want + "\" cannot run here: " + skip->reason.what()));
            // otherwise the plugin's own load error is already listed
        }
        serving[static_cast<size_t>(k)] = chosen;
    }
    if (!errors.empty()) throw ErrorList(std::move(errors));
    return std::make_shared<const KernelSet>(generation, std::move(serving), std::move(loaded),
                                             std::move(skipped));
}

}  // namespace engram
