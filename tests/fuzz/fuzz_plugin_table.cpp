// libFuzzer harness: plugin table validation. A fake engram_kernel_table is
// built from the fuzz bytes — struct_size, abi_major/minor, required CPU
// features, which pointers are null, and the name / version / build_id
// strings — and given to the loader's ABI negotiation (negotiate_table, the
// function map_plugin runs on a real plugin's table). It must return a table
// or throw engram::Error with one of the negotiation codes; a table it
// accepts has every required pointer set and a [a-z0-9_]{1,64} name.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/error.h"
#include "loader/negotiate.h"

using namespace engram;

namespace {
struct Reader {
    const uint8_t* p;
    size_t n;
    template <class T>
    T take() {
        T v{};
        const size_t k = n < sizeof(T) ? n : sizeof(T);
        std::memcpy(&v, p, k);
        p += k;
        n -= k;
        return v;
    }
    // A string of up to `max` bytes (length from the input), NUL-terminated.
    std::string str(size_t max) {
        size_t len = take<uint8_t>() % (max + 1);
        if (len > n) len = n;
        std::string s(reinterpret_cast<const char*>(p), len);
        p += len;
        n -= len;
        return s;
    }
};

engram_status dummy_similarity(const float*, const float*, const float*, uint64_t, uint64_t, float*,
                               void*, uint64_t) {
    return ENGRAM_OK;
}
engram_status dummy_spread(const uint32_t*, const uint32_t*, const float*, uint64_t,
                           const engram_spread_params*, float*, void*, uint64_t) {
    return ENGRAM_OK;
}
engram_status dummy_decay(const float*, const float*, const float*, float, uint64_t, float*, void*,
                          uint64_t) {
    return ENGRAM_OK;
}
uint64_t dummy_scratch(engram_kernel_id, const engram_shape*) { return 0; }
engram_status dummy_bf16(const float*, const uint16_t*, const float*, uint64_t, uint64_t, float*,
                         void*, uint64_t) {
    return ENGRAM_OK;
}
engram_status dummy_int8(const float*, const int8_t*, const float*, const float*, uint64_t,
                         uint64_t, float*, void*, uint64_t) {
    return ENGRAM_OK;
}
engram_status dummy_push(const uint32_t*, const uint32_t*, const float*, const engram_out_edges*,
                         uint64_t, const engram_spread_params*, float*, void*, uint64_t) {
    return ENGRAM_OK;
}

bool allowed(ErrorCode c) {
    return c == ErrorCode::PluginNullTable || c == ErrorCode::AbiStructSize ||
           c == ErrorCode::AbiMajorMismatch || c == ErrorCode::AbiNullPointer ||
           c == ErrorCode::AbiBadName;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Reader r{data, size};
    const uint8_t flags = r.take<uint8_t>();
    // The table lives in a buffer as large as the struct_size it claims (up
    // to 4 KiB), as a plugin's static table would: negotiation may read that much.
    const uint32_t claimed = r.take<uint16_t>() % 4097;
    const std::string name = r.str(80), version = r.str(40), build_id = r.str(40);
    alignas(engram_kernel_table) unsigned char storage[4096 + sizeof(engram_kernel_table)];
    std::memset(storage, 0xA5, sizeof storage);
    engram_kernel_table t;
    std::memset(&t, 0, sizeof t);
    t.struct_size = (flags & 0x80) ? claimed : static_cast<uint32_t>(sizeof t);
    t.abi_major = (flags & 0x40) ? r.take<uint16_t>() : ENGRAM_ABI_MAJOR;
    t.abi_minor = r.take<uint16_t>();
    t.required_cpu_features = r.take<uint64_t>();
    t.name = (flags & 0x01) ? nullptr : name.c_str();
    t.version = (flags & 0x02) ? nullptr : version.c_str();
    t.build_id = (flags & 0x04) ? nullptr : build_id.c_str();
    t.similarity = (flags & 0x08) ? nullptr : dummy_similarity;
    t.spread = (flags & 0x10) ? nullptr : dummy_spread;
    t.decay = (flags & 0x20) ? nullptr : dummy_decay;
    t.scratch_bytes = ((flags & 0x3F) == 0x3F) ? nullptr : dummy_scratch;
    t.similarity_bf16 = dummy_bf16;  // ABI 1.1: cut by a struct_size that ends inside them
    t.similarity_int8 = dummy_int8;
    t.spread_push = dummy_push;  // ABI 1.2: the same
    std::memcpy(storage, &t, sizeof t);
    const auto* raw = (r.n > 0 && r.p[0] == 0xFF)
                          ? nullptr
                          : reinterpret_cast<const engram_kernel_table*>(storage);
    try {
        const engram_kernel_table out = negotiate_table(raw, "fuzz.so");
        if (!out.name || !out.version || !out.build_id || !out.similarity || !out.spread ||
            !out.decay || !out.scratch_bytes)
            std::abort();
        const size_t len = std::strlen(out.name);
        if (len < 1 || len > 64) std::abort();
        for (size_t i = 0; i < len; ++i) {
            const char c = out.name[i];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) std::abort();
        }
        if (out.abi_major != ENGRAM_ABI_MAJOR) std::abort();
        // ABI 1.1 fields only from a table that holds them whole.
        if (out.similarity_bf16 && out.struct_size < ENGRAM_KERNEL_TABLE_V1_0_SIZE + sizeof(void*))
            std::abort();
        if (out.similarity_int8 && out.struct_size < ENGRAM_KERNEL_TABLE_V1_1_SIZE) std::abort();
        if (out.spread_push && out.struct_size < ENGRAM_KERNEL_TABLE_V1_2_SIZE) std::abort();
    } catch (const Error& e) {
        if (!allowed(e.code())) std::abort();
    }
    return 0;
}
