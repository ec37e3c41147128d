// [store]: where the memories come from (generated, or read from files).
#include <cstdint>
#include <limits>

#include "config/config_sections.h"
#include "config/config_values.h"

namespace engram::config_detail {

using config_values::format_double;
using config_values::quote;

namespace {

constexpr std::string_view kSyntheticKeys[] = {"memories", "dim", "avg_in_degree", "seed"};
constexpr std::string_view kFilesKeys[] = {"embeddings", "embedding_scales", "edges",
                                           "memories_csv"};
constexpr int64_t kMaxMemories = 50'000'000;
constexpr int64_t kMaxDim = 65536;
// The store indexes edges with uint32_t (core/store/memory_store.h), so a
// synthetic graph must have fewer edges than that.
constexpr double kMaxEdges = static_cast<double>(std::numeric_limits<uint32_t>::max());

// A path key: a non-empty string, resolved against the config's directory.
void read_path(const Section& s, std::string_view key, const std::filesystem::path& base_dir,
               std::filesystem::path& out) {
    auto v = s.string(key);
    if (!v) return;
    if (v->empty()) {
        s.error(ErrorCode::ConfigValue, key, "the path is empty");
        return;
    }
    out = config_values::resolve_path(base_dir, *v);
}

// Keys of the other kind are refused rather than ignored: a "memories = ..."
// left over from a synthetic setup would otherwise look like it does something.
template <std::size_t N>
void refuse_keys(const Section& s, const std::string_view (&keys)[N], std::string_view needs,
                 std::string_view kind, bool kind_given) {
    for (auto key : keys) {
        if (!s.has(key)) continue;
        s.report(ErrorCode::ConfigValue, s.name_pos(key),
                 s.label() + " " + std::string(key) + ": only allowed with kind = " + quote(needs) +
                     " (kind is " + quote(kind) + (kind_given ? "" : ", the default") + ")");
    }
}

}  // namespace

void read_store(Diagnostics& diag, const toml::table& root, const std::filesystem::path& base_dir,
                StoreConfig& out) {
    const Section s(
        diag, sub_table(diag, root, "store"), "[store]",
        {"kind", "memories", "dim", "avg_in_degree", "seed", "embeddings", "embedding_scales",
         "edges", "memories_csv", "default_stability_seconds", "embedding_format", "reorder"});
    if (!s.present()) return;

    // An invalid kind is reported once; the other keys are still checked on
    // their own, but not against a kind we do not know.
    const auto kind = s.one_of("kind", {"synthetic", "files"});
    const bool kind_known = kind.has_value() || !s.has("kind");
    if (kind_known) {
        out.kind = kind.value_or("synthetic") == "files" ? StoreConfig::Kind::Files
                                                         : StoreConfig::Kind::Synthetic;
    }
    const bool files = out.kind == StoreConfig::Kind::Files;
    if (kind_known && files) refuse_keys(s, kSyntheticKeys, "synthetic", "files", true);
    if (kind_known && !files) refuse_keys(s, kFilesKeys, "files", "synthetic", kind.has_value());

    const auto memories = s.integer("memories", 1, kMaxMemories);
    if (memories) out.memories = static_cast<uint64_t>(*memories);
    if (auto v = s.integer("dim", 1, kMaxDim)) out.dim = static_cast<uint64_t>(*v);
    const auto degree = s.number("avg_in_degree", 0.0, 1000.0);
    if (degree) out.avg_in_degree = *degree;
    if (auto v = s.integer("seed", 0, std::numeric_limits<int64_t>::max()))
        out.seed = static_cast<uint64_t>(*v);

    // Only meaningful when both values were valid (or defaulted).
    const bool counts_ok = (memories || !s.has("memories")) && (degree || !s.has("avg_in_degree"));
    const double edges = static_cast<double>(out.memories) * out.avg_in_degree;
    if (!files && kind_known && counts_ok && edges > kMaxEdges) {
        const std::string_view at = s.has("avg_in_degree") ? "avg_in_degree" : "memories";
        s.error(ErrorCode::ConfigValue, at,
                std::to_string(out.memories) + " memories x " + format_double(out.avg_in_degree) +
                    " in-edges each is more edges than the store can index (at most " +
                    std::to_string(std::numeric_limits<uint32_t>::max()) + ")");
    }

    read_path(s, "embeddings", base_dir, out.embeddings);
    read_path(s, "embedding_scales", base_dir, out.embedding_scales);
    read_path(s, "edges", base_dir, out.edges);
    read_path(s, "memories_csv", base_dir, out.memories_csv);
    if (kind_known && files) {
        for (std::string_view key : {"embeddings", "edges"}) {
            if (s.has(key)) continue;
            s.report(ErrorCode::ConfigMissing, s.table_pos(),
                     "[store] " + std::string(key) + ": required when kind = \"files\"");
        }
    }

    const auto format = s.one_of("embedding_format", {"f32", "bf16", "int8"});
    if (format)
        out.embedding_format = *format == "bf16"   ? EmbeddingFormat::Bf16
                               : *format == "int8" ? EmbeddingFormat::Int8
                                                   : EmbeddingFormat::F32;
    // The scales of a .npy of int8 codes (whether embeddings holds codes is
    // up to the file, checked by the store). With kind = "synthetic" the key
    // is already refused above; with an invalid format, not checked against it.
    const bool format_known = format.has_value() || !s.has("embedding_format");
    if (kind_known && files && format_known && s.has("embedding_scales") &&
        out.embedding_format != EmbeddingFormat::Int8) {
        s.report(ErrorCode::ConfigValue, s.name_pos("embedding_scales"),
                 s.label() +
                     " embedding_scales: only allowed with embedding_format = " + quote("int8") +
                     " (embedding_format is " + quote(embedding_format_name(out.embedding_format)) +
                     (format ? "" : ", the default") + ")");
    }
    if (auto v = s.one_of("reorder", {"none", "degree"}))
        out.reorder = *v == "degree" ? StoreConfig::Reorder::Degree : StoreConfig::Reorder::None;

    if (auto v = s.number("default_stability_seconds", 0.0, std::numeric_limits<double>::infinity(),
                          /*min_exclusive=*/true))
        out.default_stability_seconds = *v;
}

}  // namespace engram::config_detail
