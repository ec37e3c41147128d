// engramctl: the operator's tool for engramd.
//   status                  what serves, live generations, last reload (GET /v1/backends)
//   reload                  reload now and wait for the result (POST /v1/admin/reload)
//   use BACKEND             set [backends] in the TOML in place, reload, check what serves
//   verify PLUGIN.so        offline: load + self-test + differential vs oracle + timing
//   check-config FILE       offline: the same check as engramd --check-config
//   digest FILE             prints `sha256 = "<hex>"` for pinning FILE in [plugins]
//   sign --key KEY FILE     writes FILE.sig, FILE's detached Ed25519 signature
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "app/host.h"
#include "ctl/ctl_http.h"
#include "ctl/ctl_provenance.h"
#include "ctl/ctl_rollout.h"
#include "ctl/ctl_use.h"
#include "ctl/ctl_verify.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace engram;

namespace {

const char* kUsage =
    "usage: engramctl [options] status [--json]\n"
    "       engramctl [options] reload [--json]\n"
    "       engramctl [options] use BACKEND [--kernel K[,K]]... [--config FILE] [--dry-run]\n"
    "       engramctl [options] rollout status|wait|promote|abort [--kernel K] [--json] "
    "[--wait-seconds S]\n"
    "       engramctl verify PLUGIN.so [--reference REF.so] [--cases N] [--seed S]\n"
    "       engramctl check-config FILE\n"
    "       engramctl digest FILE\n"
    "       engramctl sign --key PRIVATE.pem FILE [--out SIG]\n\n";

int check_config(const std::string& file) {
    try {
        Host host(file);
        std::printf("%s: configuration OK (generation %llu)\n", file.c_str(),
                    static_cast<unsigned long long>(host.engine().snapshot()->generation()));
        return 0;
    } catch (const ErrorList& e) {
        for (const auto& err : e.errors())
            std::fprintf(stderr, "error: %s\n", err.describe().c_str());
    } catch (const Error& e) {
        std::fprintf(stderr, "error: %s\n", e.describe().c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
    }
    std::fprintf(stderr, "%s: configuration check failed\n", file.c_str());
    return 1;
}

// The reference plugin next to a build's engramctl: bin/../plugins/.
fs::path default_reference() {
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return {};
    const fs::path p = self.parent_path().parent_path() / "plugins" / "libengram_reference.so";
    return fs::exists(p) ? p : fs::path{};
}

}  // namespace

int main(int argc, char** argv) {
    po::options_description opts("options");
    // One option a line, as tests/docs/check_docs.py reads them.
    // clang-format off
    opts.add_options()
        ("help,h", "show this help")
        ("url", po::value<std::string>()->default_value("http://127.0.0.1:8080"), "engramd's base URL")
        ("listen", po::value<std::string>(), "engramd's HOST:PORT (instead of --url)")
        ("timeout", po::value<int>()->default_value(120), "seconds to wait for an answer")
        ("json", "status/reload: print the JSON document")
        ("kernel", po::value<std::vector<std::string>>()->composing(),
         "use: only this kernel (similarity|spreading|decay); repeat it or give a comma list (default: all three)")
        ("config", po::value<std::string>(),
         "use: the TOML file to edit (default: the config engramd reports in GET /v1/backends, else config/engram.toml)")
        ("dry-run", "use: print the edit as a diff; write nothing, reload nothing")
        ("wait-seconds", po::value<int>()->default_value(600), "rollout wait: give up after S seconds (exit 4)")
        ("reference", po::value<std::string>(), "verify: reference plugin for the timing (default: ../plugins/ next to engramctl)")
        ("cases", po::value<unsigned>()->default_value(300), "verify: random cases per kernel")
        ("seed", po::value<uint64_t>()->default_value(1), "verify: seed of the random cases")
        ("key", po::value<std::string>(), "sign: the Ed25519 private key (PEM)")
        ("out", po::value<std::string>(), "sign: where to write the signature (default: FILE.sig)");
    // clang-format on
    po::options_description hidden;
    hidden.add_options()("command", po::value<std::string>())("argument", po::value<std::string>());
    po::options_description all;
    all.add(opts).add(hidden);
    po::positional_options_description pos;
    pos.add("command", 1).add("argument", 1);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
        po::notify(vm);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "engramctl: %s\n%s", e.what(), kUsage);
        return 2;
    }
    if (vm.count("help") || !vm.count("command")) {
        std::cout << kUsage << opts;
        return vm.count("help") ? 0 : 2;
    }
    const std::string cmd = vm["command"].as<std::string>();
    const bool has_arg = vm.count("argument") > 0;
    ctl::Endpoint ep;
    ep.url = vm["url"].as<std::string>();
    if (vm.count("listen")) {
        std::string why;
        const auto url = ctl::url_for_listen(vm["listen"].as<std::string>(), &why);
        if (!url) {
            std::fprintf(stderr, "engramctl: --listen \"%s\": %s\n",
                         vm["listen"].as<std::string>().c_str(), why.c_str());
            return 2;
        }
        ep.url = *url;
    }
    ep.timeout_seconds = vm["timeout"].as<int>();
    const bool as_json = vm.count("json") > 0;

    if ((cmd == "status" || cmd == "reload") && !has_arg)
        return cmd == "status" ? ctl::status(ep, as_json) : ctl::reload(ep, as_json);
    if (cmd == "use" && has_arg) {
        ctl::UseOptions u;
        u.backend = vm["argument"].as<std::string>();
        try {
            u.kernels = ctl::parse_kernel_list(vm.count("kernel")
                                                   ? vm["kernel"].as<std::vector<std::string>>()
                                                   : std::vector<std::string>{});
        } catch (const std::invalid_argument& e) {
            std::fprintf(stderr, "engramctl use: %s\n%s", e.what(), kUsage);
            return 2;
        }
        if (vm.count("config")) u.config = fs::path(vm["config"].as<std::string>());
        u.dry_run = vm.count("dry-run") > 0;
        return ctl::use(ep, u);
    }
    if (cmd == "rollout" && has_arg) {
        ctl::RolloutOptions r;
        r.action = vm["argument"].as<std::string>();
        try {
            if (vm.count("kernel"))
                r.kernels = ctl::parse_kernel_list(vm["kernel"].as<std::vector<std::string>>());
        } catch (const std::invalid_argument& e) {
            std::fprintf(stderr, "engramctl rollout: %s\n%s", e.what(), kUsage);
            return 2;
        }
        r.as_json = as_json;
        r.wait_seconds = vm["wait-seconds"].as<int>();
        return ctl::rollout(ep, r);
    }
    if (cmd == "verify" && has_arg) {
        ctl::VerifyOptions v;
        v.plugin = vm["argument"].as<std::string>();
        v.reference = vm.count("reference") ? fs::path(vm["reference"].as<std::string>())
                                            : default_reference();
        v.cases = vm["cases"].as<unsigned>();
        v.seed = vm["seed"].as<uint64_t>();
        return ctl::verify(v);
    }
    if (cmd == "check-config" && has_arg) return check_config(vm["argument"].as<std::string>());
    if (cmd == "digest" && has_arg) return ctl::digest(vm["argument"].as<std::string>());
    if (cmd == "sign" && has_arg && !vm.count("key")) {
        std::fprintf(stderr, "engramctl sign: --key PRIVATE.pem is required\n%s", kUsage);
        return 2;
    }
    if (cmd == "sign" && has_arg)
        return ctl::sign(vm["argument"].as<std::string>(), vm["key"].as<std::string>(),
                         vm.count("out") ? fs::path(vm["out"].as<std::string>()) : fs::path());
    std::fprintf(stderr, "engramctl: unknown command or wrong arguments: %s\n%s", cmd.c_str(),
                 kUsage);
    return 2;
}
