// libFuzzer harness: the TOML config reader, engram::parse_config, on any
// text. It must return a Config or throw ErrorList (E_CONFIG_*), never crash
// or let another exception out.
#include <cstdint>
#include <string>

#include "common/error.h"
#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const engram::Config cfg =
            engram::parse_config(text, "fuzz.toml", "/nonexistent-fuzz-base");
        (void)cfg.policy_for("reference");
    } catch (const engram::ErrorList&) {
    } catch (const engram::Error&) {
    }
    return 0;
}
