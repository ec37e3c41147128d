// engramctl digest / sign, run as a process: the digest line is what a
// [plugins] entry pins, and the .sig verifies with the host's own check.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>

#include "common/error.h"
#include "common/sha256.h"
#include "loader/provenance.h"
#include "provenance_test_util.h"

using namespace provtest;

namespace {

struct Run {
    int status = -1;
    std::string out;
    std::string err;
};

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

// engramctl with `args` (already quoted); stdout and stderr apart.
Run engramctl(const TempDir& t, const std::string& args) {
    const fs::path err = t / "stderr.txt";
    const std::string cmd =
        std::string(ENGRAM_TEST_BIN_DIR) + "/engramctl " + args + " 2>" + q(err);
    Run r;
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    const int st = ::pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.err = read_file(err);
    INFO("engramctl " << args << "\nstdout: " << r.out << "\nstderr: " << r.err);
    return r;
}

}  // namespace

TEST_CASE("engramctl digest prints the line a config pins the file with", "[ctl][provenance]") {
    TempDir t;
    const auto so = t / "libx.so";
    write_file(so, std::string(70000, 'x') + "tail");
    const Run r = engramctl(t, "digest " + q(so));
    CHECK(r.status == 0);
    CHECK(r.out == "sha256 = \"" + engram::sha256_file_hex(so) + "\"\n");
    CHECK(r.err.empty());

    const Run missing = engramctl(t, "digest " + q(t / "missing.so"));
    CHECK(missing.status == 1);
    CHECK(missing.out.empty());
    CHECK_THAT(missing.err, Catch::Contains("E_PLUGIN_NOT_FOUND") &&
                                Catch::Contains((t / "missing.so").string()));

    const Run dir = engramctl(t, "digest " + q(t.path()));
    CHECK(dir.status == 1);
    CHECK(dir.out.empty());
    CHECK_THAT(dir.err, Catch::Contains("not a regular file"));
}

TEST_CASE("engramctl sign writes FILE.sig that the host verifies", "[ctl][provenance]") {
    TempDir t;
    const auto keys = make_dir(t / "keys");
    const auto key = generate_key();
    write_private_pem(key.get(), t / "signer.pem");
    write_public_pem(key.get(), keys / "signer.pem");
    const auto so = t / "libx.so";
    write_file(so, "plugin bytes");
    const fs::path sig = so.string() + ".sig";

    const Run r = engramctl(t, "sign --key " + q(t / "signer.pem") + " " + q(so));
    CHECK(r.status == 0);
    CHECK(r.out ==
          "wrote " + sig.string() + " (Ed25519 signature of " + so.string() + ", 64 bytes)\n");
    REQUIRE(fs::exists(sig));
    CHECK(fs::file_size(sig) == 64);
    CHECK_NOTHROW(engram::check_plugin_signature(so, so, keys));

    // --out, and flags after the file.
    const auto out = t / "elsewhere.sig";
    const Run r2 =
        engramctl(t, "sign " + q(so) + " --key " + q(t / "signer.pem") + " --out " + q(out));
    CHECK(r2.status == 0);
    CHECK(read_file(out) == read_file(sig));

    // A bad key: non-zero, a clear message, and no signature written.
    write_file(t / "bad.pem", "not a key\n");
    fs::remove(sig);
    const Run bad = engramctl(t, "sign --key " + q(t / "bad.pem") + " " + q(so));
    CHECK(bad.status == 1);
    CHECK_THAT(bad.err, Catch::Contains("E_PLUGIN_SIGNATURE") &&
                            Catch::Contains((t / "bad.pem").string()) &&
                            Catch::Contains("not a PEM private key"));
    CHECK_FALSE(fs::exists(sig));
    CHECK_FALSE(fs::exists(sig.string() + ".tmp"));

    const auto ec = generate_key("EC");
    write_private_pem(ec.get(), t / "ec.pem");
    const Run wrong = engramctl(t, "sign --key " + q(t / "ec.pem") + " " + q(so));
    CHECK(wrong.status == 1);
    CHECK_THAT(wrong.err, Catch::Contains("not Ed25519"));
    CHECK_FALSE(fs::exists(sig));

    const Run nokey = engramctl(t, "sign " + q(so));
    CHECK(nokey.status == 2);
    CHECK_THAT(nokey.err, Catch::Contains("--key PRIVATE.pem is required"));
}
