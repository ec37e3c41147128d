// read_edges_csv: the memory graph as "source,target,weight" records.
#include <cmath>
#include <string>

#include "store/csv_lines.h"
#include "store/dataset_io.h"

namespace engram {

std::vector<Edge> read_edges_csv(const std::filesystem::path& file, uint64_t n_memories) {
    detail::CsvLines csv(file, "source,target,weight");
    std::vector<Edge> edges;
    while (csv.next()) {
        Edge e{};
        e.source = csv.id_field(0, "source", n_memories);
        e.target = csv.id_field(1, "target", n_memories);
        // Weights scale activation flowing along an edge: a negative weight
        // would make spreading inhibitory, which the kernels do not model.
        const double w = csv.real_field(2, "weight");
        if (w < 0.0)
            csv.fail(ErrorCode::DataCsv,
                     "weight " + csv.quoted_field(2) + " is negative (need >= 0)");
        e.weight = static_cast<float>(w);
        if (!std::isfinite(e.weight))
            csv.fail(ErrorCode::DataCsv,
                     "weight " + csv.quoted_field(2) + " is out of float range");
        edges.push_back(e);
    }
    return edges;
}

}  // namespace engram
