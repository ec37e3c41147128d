#include "backends.h"

#include <algorithm>

#include "common/error.h"
#include "loader/plugin_loader.h"
#include "platform/cpu_features.h"

namespace engram::difftest {

namespace {

std::vector<Backend> load_all() {
    std::vector<Backend> out;
    const std::filesystem::path dir = ENGRAM_TEST_PLUGIN_DIR;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        const std::string file = entry.path().filename().string();
        const std::string prefix = "libengram_", suffix = ".so";
        if (file.size() <= prefix.size() + suffix.size() || file.rfind(prefix, 0) != 0 ||
            file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        Backend b;
        b.name = file.substr(prefix.size(), file.size() - prefix.size() - suffix.size());
        b.file = entry.path();
        try {
            b.plugin = load_plugin(b.file, default_load_options(detect_cpu_features()));
            b.state = Backend::State::Loaded;
        } catch (const Error& e) {
            b.state = e.code() == ErrorCode::CpuFeatureMissing ? Backend::State::Skipped
                                                               : Backend::State::Failed;
            b.reason = e.describe();
        } catch (const std::exception& e) {
            b.reason = e.what();
        }
        out.push_back(std::move(b));
    }
    std::sort(out.begin(), out.end(),
              [](const Backend& a, const Backend& b) { return a.name < b.name; });
    return out;
}

}  // namespace

const std::vector<Backend>& discover_backends() {
    static const std::vector<Backend> all = load_all();
    return all;
}

std::vector<std::string> expected_backends() {
    std::vector<std::string> out;
    std::string list = ENGRAM_TEST_EXPECTED_BACKENDS;
    size_t pos = 0;
    while (pos < list.size()) {
        size_t comma = list.find(',', pos);
        if (comma == std::string::npos) comma = list.size();
        if (comma > pos) out.push_back(list.substr(pos, comma - pos));
        pos = comma + 1;
    }
    return out;
}

}  // namespace engram::difftest
