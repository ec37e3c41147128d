// engram-validate: the disposable child a plugin file is proved in before the
// host maps it (loader/child_validation.h). Not for operators: engramd and
// engramctl start it. It limits itself first (no core dumps, RLIMIT_AS,
// RLIMIT_CPU, dies with its parent), then checks that the file is the one
// the host hashed, maps it, negotiates the ABI and runs the deep self-test
// with guard pages and read-only inputs. One verdict line goes to fd 3:
//   OK\t<name>\t<version>\t<abi major>\t<abi minor>\t<required features>
//   FAIL <E_CODE> <message>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/error.h"
#include "common/sha256.h"
#include "loader/elf_check.h"
#include "loader/plugin_loader.h"
#include "validation/deep_self_test.h"
#include "validation/fault_reporter.h"

using namespace engram;

namespace {

constexpr int kResultFd = 3;

void say(const std::string& line) {
    const std::string l = line + "\n";
    size_t off = 0;
    while (off < l.size()) {
        const ssize_t w = ::write(kResultFd, l.data() + off, l.size() - off);
        if (w <= 0) return;
        off += static_cast<size_t>(w);
    }
}

// Tabs and newlines would break the one-line protocol.
std::string field(const char* s) {
    std::string out(s ? s : "");
    for (char& c : out)
        if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    return out.substr(0, 200);
}

void limit(int resource, rlim_t soft, rlim_t hard) {
    const rlimit r{soft, hard};
    ::setrlimit(resource, &r);
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;  // sanitizers reserve terabytes of shadow: no RLIMIT_AS
#else
constexpr bool kSanitized = false;
#endif

}  // namespace

#if defined(__SANITIZE_ADDRESS__)
// In a sanitizer build the validator's own fault handling must win: a
// plugin's crash is a verdict (E_SELFTEST_CRASHED with the signal), not an
// ASan report ending the child with status 1. User SIGSEGV/SIGBUS handlers
// stay allowed (the fault reporter's guard pages).
extern "C" const char* __asan_default_options() {
    return "handle_segv=0:handle_sigbus=0:handle_abort=0:allow_user_segv_handler=1";
}
#endif

int main(int argc, char** argv) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() == 1) return 2;  // the host is already gone
    std::string plugin, shown_as, sha, features = "0", as_mib = "4096", cpu = "30", cases = "16",
                                       seed = "1";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--plugin")
            plugin = v;
        else if (k == "--shown-as")
            shown_as = v;
        else if (k == "--sha256")
            sha = v;
        else if (k == "--features")
            features = v;
        else if (k == "--address-space-mib")
            as_mib = v;
        else if (k == "--cpu-seconds")
            cpu = v;
        else if (k == "--cases")
            cases = v;
        else if (k == "--seed")
            seed = v;
    }
    if (plugin.empty() || sha.empty()) {
        std::fprintf(stderr,
                     "engram-validate: started by engramd and engramctl only (--plugin, --sha256 "
                     "missing)\n");
        say("FAIL E_SELFTEST_VALIDATOR engram-validate started without --plugin/--sha256");
        return 2;
    }
    if (shown_as.empty()) shown_as = plugin;
    try {
        limit(RLIMIT_CORE, 0, 0);
        const rlim_t cpu_s = std::stoull(cpu);
        limit(RLIMIT_CPU, cpu_s, cpu_s + 1);
        if (!kSanitized) {
            const rlim_t as = static_cast<rlim_t>(std::stoull(as_mib)) << 20;
            limit(RLIMIT_AS, as, as);
        }
        validation::install_fault_reporter(kResultFd);

        if (sha256_file_hex(plugin) != sha)
            throw Error(ErrorCode::PluginDigest,
                        shown_as + ": the private copy changed between hashing and validation");
        check_elf_file(plugin, shown_as);
        validation::set_current_call("loading the plugin (constructors, entry point)");
        const auto p = map_plugin(plugin, shown_as, std::stoull(features), sha, std::nullopt);
        const engram_kernel_table& t = p->table();
        validation::DeepOptions o;
        o.seed = std::stoull(seed);
        o.random_cases = static_cast<unsigned>(std::stoul(cases));
        validation::run_deep_self_test(t, shown_as, o);
        say("OK\t" + field(t.name) + "\t" + field(t.version) + "\t" + std::to_string(t.abi_major) +
            "\t" + std::to_string(t.abi_minor) + "\t" + std::to_string(t.required_cpu_features));
    } catch (const Error& e) {
        std::string msg = e.what();
        for (char& c : msg)
            if (c == '\n') c = ' ';
        say("FAIL " + std::string(code_string(e.code())) + " " + msg);
        ::_exit(1);
    } catch (const std::exception& e) {
        say(std::string("FAIL E_SELFTEST_VALIDATOR ") + shown_as + ": " + e.what());
        ::_exit(1);
    }
    // _exit: the plugin's static destructors are not part of its test, and
    // an atexit handler it registered must not turn a pass into a failure.
    ::_exit(0);
}
