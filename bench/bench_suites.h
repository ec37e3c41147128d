// Registration entry points, one per bench_*.cpp. Benchmarks are registered
// at run time (not with the BENCHMARK macro) because the kernel suites depend
// on which plugins the loader accepts on this machine. Names are stable and
// are the keys tools/bench_ratios.py and later regression tooling match on:
//   similarity/<backend>/768x<n>      peer_openblas_sgemv/768x<n>
//                                     peer_faiss_inner_products/768x<n>
//   spreading/<backend>/<n>x8         peer_graphblas_spread/<n>x8
//                                     peer_graphblas_mxv/<n>x8
//   spreading/<backend>/rmat100000x10[_degree]  (R-MAT graph, and reordered)
//                                     peer_graphblas_{spread,mxv}/rmat100000x10[_degree]
//   decay/<backend>/<n>               peer_sleef_expf8_u10avx2/<n>
//                                     peer_sleef_expf16_u10avx512f/<n>
//   roofline_read/768x<n>             (memory roofline of the batches)
//   roofline_read_2t/768x100000/real_time/threads:2  (two threads, one half each)
#pragma once

#include <string>
#include <vector>

namespace engram::bench {

void register_similarity_benchmarks();
void register_compressed_benchmarks();  // ABI 1.1 bf16 / int8 similarity
void register_spreading_benchmarks();
void register_decay_benchmarks();
// roofline_read/768x<n>: streaming read of the candidate matrix (x86-64).
void register_roofline_benchmarks();

// Each peer file defines one of these only when CMake found the library; it
// returns a line for the JSON context ("openblas 0.3.21, 1 thread").
#ifdef ENGRAM_BENCH_HAVE_OPENBLAS
std::string register_peer_openblas();
#endif
#ifdef ENGRAM_BENCH_HAVE_FAISS
std::string register_peer_faiss();
#endif
#ifdef ENGRAM_BENCH_HAVE_SLEEF
std::string register_peer_sleef();
#endif
#ifdef ENGRAM_BENCH_HAVE_GRAPHBLAS
std::string register_peer_graphblas();
#endif

}  // namespace engram::bench
