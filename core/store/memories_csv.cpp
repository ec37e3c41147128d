// read_memories_csv: per-memory attributes as "id,strength,last_access,stability".
#include <cmath>
#include <string>
#include <unordered_map>

#include "store/csv_lines.h"
#include "store/dataset_io.h"

namespace engram {

namespace {

// A positive finite double that stays positive and finite as a float.
float positive_float(const detail::CsvLines& csv, size_t i, std::string_view name) {
    const double v = csv.real_field(i, name);
    const auto f = static_cast<float>(v);
    if (!(v > 0.0))
        csv.fail(ErrorCode::DataCsv,
                 std::string(name) + " " + csv.quoted_field(i) + " must be > 0");
    if (!std::isfinite(f) || !(f > 0.0f))
        csv.fail(ErrorCode::DataCsv,
                 std::string(name) + " " + csv.quoted_field(i) + " is out of float range");
    return f;
}

}  // namespace

std::vector<MemoryRow> read_memories_csv(const std::filesystem::path& file, uint64_t n_memories) {
    detail::CsvLines csv(file, "id,strength,last_access,stability");
    std::vector<MemoryRow> rows;
    // id -> line of its first row, to point at both rows of a duplicate.
    std::unordered_map<uint32_t, uint64_t> first_line;
    while (csv.next()) {
        MemoryRow row{};
        row.id = csv.id_field(0, "id", n_memories);
        row.strength = positive_float(csv, 1, "strength");
        row.last_access = csv.real_field(2, "last_access");
        row.stability = positive_float(csv, 3, "stability");
        const auto [it, inserted] = first_line.emplace(row.id, csv.line());
        if (!inserted)
            csv.fail(ErrorCode::DataCsv, "duplicate id " + std::to_string(row.id) +
                                             " (first on line " + std::to_string(it->second) + ")");
        rows.push_back(row);
    }
    return rows;
}

}  // namespace engram
