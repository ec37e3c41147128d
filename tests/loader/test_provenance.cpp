// Plugin provenance (core/loader/provenance.h): permissions of the file and
// the directories above it, the pinned SHA-256, and detached Ed25519
// signatures, including ones made by the openssl CLI (engram_sign_plugin).
#include <unistd.h>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "common/sha256.h"
#include "loader/provenance.h"
#include "provenance_test_util.h"

using namespace provtest;
using engram::Error;
using engram::ErrorCode;

namespace {

// The error `fn` throws; fails the test if it throws nothing.
template <typename Fn>
Error thrown(Fn&& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e;
    }
    FAIL("no engram::Error was thrown");
    return Error(ErrorCode::PluginNotFound, "unreachable");
}

std::string canon(const fs::path& p) { return fs::canonical(p).string(); }

constexpr uid_t kStranger = 12345;

}  // namespace

TEST_CASE("permissions: a 0644 file in 0755 directories is accepted", "[provenance][permissions]") {
    TempDir t;
    const auto dir = make_dir(t / "plugins");
    const auto so = dir / "libx.so";
    write_file(so, "elf", 0644);
    CHECK_NOTHROW(engram::check_plugin_permissions(so));
    write_file(so, "elf", 0755);
    CHECK_NOTHROW(engram::check_plugin_permissions(so));
}

TEST_CASE("permissions: writable file or directory is refused, naming it",
          "[provenance][permissions]") {
    TempDir t;
    const auto dir = make_dir(t / "plugins");
    const auto so = dir / "libx.so";

    write_file(so, "elf", 0666);
    auto e = thrown([&] { engram::check_plugin_permissions(so); });
    CHECK(e.code() == ErrorCode::PluginPermissions);
    CHECK(std::string(e.what()) ==
          so.string() + ": " + canon(so) + " is world-writable (mode 0666)");

    write_file(so, "elf", 0664);
    e = thrown([&] { engram::check_plugin_permissions(so); });
    CHECK(e.code() == ErrorCode::PluginPermissions);
    CHECK(std::string(e.what()) ==
          so.string() + ": " + canon(so) + " is group-writable (mode 0664)");

    write_file(so, "elf", 0644);
    make_dir(dir, 0777);
    e = thrown([&] { engram::check_plugin_permissions(so); });
    CHECK(e.code() == ErrorCode::PluginPermissions);
    CHECK(std::string(e.what()) ==
          so.string() + ": " + canon(dir) + " is world-writable (mode 0777)");

    make_dir(dir, 0775);
    e = thrown([&] { engram::check_plugin_permissions(so); });
    CHECK(std::string(e.what()) ==
          so.string() + ": " + canon(dir) + " is group-writable (mode 0775)");

    // Any directory up to /, not only the nearest one.
    make_dir(dir, 0755);
    make_dir(t.path(), 0777);
    e = thrown([&] { engram::check_plugin_permissions(so); });
    CHECK(std::string(e.what()) ==
          so.string() + ": " + canon(t.path()) + " is world-writable (mode 0777)");
    make_dir(t.path(), 0755);
    CHECK_NOTHROW(engram::check_plugin_permissions(so));
}

TEST_CASE("permissions: a root-owned sticky directory like /tmp is accepted",
          "[provenance][permissions]") {
    TempDir t;
    const auto sticky = make_dir(t / "tmp", 01777);
    const auto so = sticky / "libx.so";
    write_file(so, "elf", 0644);
    if (::geteuid() == 0) {
        CHECK_NOTHROW(engram::check_plugin_permissions(so));
        // Sticky but not owned by root: whoever owns it may replace our file.
        REQUIRE(::chown(sticky.c_str(), kStranger, 0) == 0);
        auto e = thrown([&] { engram::check_plugin_permissions(so); });
        CHECK(e.code() == ErrorCode::PluginPermissions);
        CHECK(std::string(e.what()) == so.string() + ": " + canon(sticky) +
                                           " is owned by uid 12345 " + "(only root may own it)");
        REQUIRE(::chown(sticky.c_str(), 0, 0) == 0);
    } else {
        // Owned by us, not root: the deviation does not apply.
        auto e = thrown([&] { engram::check_plugin_permissions(so); });
        CHECK(std::string(e.what()) ==
              so.string() + ": " + canon(sticky) + " is world-writable (mode 1777)");
    }
    // The sticky bit does not excuse the file itself.
    write_file(so, "elf", 0666);
    auto e = thrown([&] { engram::check_plugin_permissions(so); });
    CHECK(std::string(e.what()) ==
          so.string() + ": " + canon(so) + " is world-writable (mode 0666)");
    // Nor a world-writable directory without it.
    write_file(so, "elf", 0644);
    make_dir(sticky, 0777);
    e = thrown([&] { engram::check_plugin_permissions(so); });
    CHECK(std::string(e.what()) ==
          so.string() + ": " + canon(sticky) + " is world-writable (mode 0777)");
}

TEST_CASE("permissions: a file or directory owned by another uid is refused",
          "[provenance][permissions]") {
    if (::geteuid() != 0) {
        WARN("not root: cannot chown to another uid, ownership checks skipped");
        return;
    }
    TempDir t;
    const auto dir = make_dir(t / "plugins");
    const auto so = dir / "libx.so";
    write_file(so, "elf", 0644);
    REQUIRE(::chown(so.c_str(), kStranger, kStranger) == 0);
    auto e = thrown([&] { engram::check_plugin_permissions(so); });
    CHECK(e.code() == ErrorCode::PluginPermissions);
    CHECK(std::string(e.what()) ==
          so.string() + ": " + canon(so) + " is owned by uid 12345 (only root may own it)");
    REQUIRE(::chown(so.c_str(), 0, 0) == 0);
    // A foreign group alone is fine as long as it cannot write.
    REQUIRE(::chown(so.c_str(), 0, kStranger) == 0);
    CHECK_NOTHROW(engram::check_plugin_permissions(so));

    REQUIRE(::chown(dir.c_str(), kStranger, 0) == 0);
    e = thrown([&] { engram::check_plugin_permissions(so); });
    CHECK(std::string(e.what()) ==
          so.string() + ": " + canon(dir) + " is owned by uid 12345 (only root may own it)");
}

TEST_CASE("permissions: symlinks are resolved, and the link's directory counts too",
          "[provenance][permissions]") {
    TempDir t;
    const auto safe = make_dir(t / "safe");
    const auto open_dir = make_dir(t / "open", 0777);
    const auto so = safe / "libx.so";
    write_file(so, "elf", 0644);

    // A safe link to a safe file.
    fs::create_symlink(so, safe / "link.so");
    CHECK_NOTHROW(engram::check_plugin_permissions(safe / "link.so"));

    // A safe link to a file in a world-writable directory: the target's chain.
    write_file(open_dir / "libevil.so", "elf", 0644);
    fs::create_symlink(open_dir / "libevil.so", safe / "evil.so");
    auto e = thrown([&] { engram::check_plugin_permissions(safe / "evil.so"); });
    CHECK(e.code() == ErrorCode::PluginPermissions);
    CHECK(std::string(e.what()) ==
          (safe / "evil.so").string() + ": " + canon(open_dir) + " is world-writable (mode 0777)");

    // A link in a world-writable directory to a safe file: anyone may re-point it.
    fs::create_symlink(so, open_dir / "link.so");
    e = thrown([&] { engram::check_plugin_permissions(open_dir / "link.so"); });
    CHECK(std::string(e.what()) == (open_dir / "link.so").string() + ": " + canon(open_dir) +
                                       " is world-writable (mode 0777)");

    // Through a symlinked directory that sits in a world-writable one.
    fs::create_directory_symlink(safe, open_dir / "dirlink");
    e = thrown([&] { engram::check_plugin_permissions(open_dir / "dirlink" / "libx.so"); });
    CHECK(e.code() == ErrorCode::PluginPermissions);
}

TEST_CASE("permissions: not a regular file, or no file at all", "[provenance][permissions]") {
    TempDir t;
    const auto dir = make_dir(t / "plugins");
    auto e = thrown([&] { engram::check_plugin_permissions(dir); });
    CHECK(e.code() == ErrorCode::PluginPermissions);
    CHECK(std::string(e.what()) == dir.string() + ": " + canon(dir) + " is not a regular file");
    e = thrown([&] { engram::check_plugin_permissions(dir / "missing.so"); });
    CHECK(e.code() == ErrorCode::PluginNotFound);
}

TEST_CASE("pinned digest: empty pins nothing, a match passes, a mismatch names both",
          "[provenance][digest]") {
    TempDir t;
    const auto so = t / "libx.so";
    write_file(so, "abc");
    const std::string actual = engram::sha256_file_hex(so);
    const std::string abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    REQUIRE(actual == abc);
    CHECK_NOTHROW(engram::check_pinned_digest(so, actual, ""));
    CHECK_NOTHROW(engram::check_pinned_digest(so, actual, abc));
    CHECK_NOTHROW(engram::check_pinned_digest(
        so, actual, "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
    const std::string other(64, '0');
    const auto e = thrown([&] { engram::check_pinned_digest(so, actual, other); });
    CHECK(e.code() == ErrorCode::PluginDigest);
    CHECK(std::string(e.what()) ==
          so.string() + ": sha256 " + abc + " does not match the pinned " + other);
}

TEST_CASE("signatures: good, tampered, wrong key, missing, base64, malformed",
          "[provenance][signature]") {
    TempDir t;
    const auto keys = make_dir(t / "keys");
    const auto priv = t / "signer.pem";
    const auto key = generate_key();
    write_private_pem(key.get(), priv);
    write_public_pem(key.get(), keys / "signer.pem");

    const auto so = t / "libx.so";
    const auto sig_path = fs::path(so.string() + ".sig");
    write_file(so, std::string("\x7f"
                               "ELF plugin bytes\0\1\2",
                               20));
    const std::string sig = engram::sign_plugin_file(so, priv);
    REQUIRE(sig.size() == 64);

    SECTION("a raw 64-byte signature by a trusted key verifies") {
        write_file(sig_path, sig);
        CHECK_NOTHROW(engram::check_plugin_signature(so, so, keys));
        // Over the private copy's bytes, which are the same.
        const auto copy = t / "copy.so";
        fs::copy_file(so, copy);
        CHECK_NOTHROW(engram::check_plugin_signature(so, copy, keys));
    }
    SECTION("the same signature base64-encoded on one line verifies") {
        write_file(sig_path, base64(sig) + "\n");
        CHECK_NOTHROW(engram::check_plugin_signature(so, so, keys));
        write_file(sig_path, base64(sig));
        CHECK_NOTHROW(engram::check_plugin_signature(so, so, keys));
    }
    SECTION("a tampered file (or copy) does not verify") {
        write_file(sig_path, sig);
        write_file(so, std::string("\x7f"
                                   "ELF plugin bytes\0\1\3",
                                   20));
        auto e = thrown([&] { engram::check_plugin_signature(so, so, keys); });
        CHECK(e.code() == ErrorCode::PluginSignature);
        CHECK_THAT(
            std::string(e.what()),
            Catch::StartsWith(so.string() + ": the signature " + sig_path.string() +
                              " is not from a trusted key: none of the 1 Ed25519 key(s) in " +
                              keys.string()));
    }
    SECTION("a signature by a key that is not in the directory does not verify") {
        const auto other = generate_key();
        const auto other_priv = t / "other.pem";
        write_private_pem(other.get(), other_priv);
        write_file(sig_path, engram::sign_plugin_file(so, other_priv));
        auto e = thrown([&] { engram::check_plugin_signature(so, so, keys); });
        CHECK(e.code() == ErrorCode::PluginSignature);
        CHECK_THAT(std::string(e.what()), Catch::Contains("is not from a trusted key"));
        // Any one trusted key suffices.
        write_public_pem(other.get(), keys / "other.pem");
        CHECK_NOTHROW(engram::check_plugin_signature(so, so, keys));
    }
    SECTION("no .sig file") {
        auto e = thrown([&] { engram::check_plugin_signature(so, so, keys); });
        CHECK(e.code() == ErrorCode::PluginSignature);
        CHECK(std::string(e.what()) == so.string() + ": no signature file " + sig_path.string() +
                                           " (sign the plugin with engramctl sign)");
    }
    SECTION("a malformed .sig") {
        for (const std::string& bad : {std::string("short"), sig + "x", std::string(88, '!'),
                                       base64(sig.substr(0, 63)) + "\n", std::string()}) {
            write_file(sig_path, bad);
            auto e = thrown([&] { engram::check_plugin_signature(so, so, keys); });
            CHECK(e.code() == ErrorCode::PluginSignature);
            CHECK(std::string(e.what()) ==
                  so.string() + ": malformed signature file " + sig_path.string() + ": " +
                      std::to_string(bad.size()) +
                      " bytes, expected 64 raw bytes or one line of base64 encoding 64 bytes");
        }
    }
    SECTION("no usable key in the directory") {
        write_file(sig_path, sig);
        const auto empty = make_dir(t / "empty");
        auto e = thrown([&] { engram::check_plugin_signature(so, so, empty); });
        CHECK(e.code() == ErrorCode::PluginSignature);
        CHECK(std::string(e.what()) == so.string() + ": no trusted keys: no Ed25519 public key " +
                                           "(*.pem) in " + empty.string());
        // Other .pem files are ignored, and said so: an EC key, a private
        // key, garbage; and a file not named *.pem is not read at all.
        const auto ec = generate_key("EC");
        write_public_pem(ec.get(), empty / "ec.pem");
        write_private_pem(key.get(), empty / "private.pem");
        write_file(empty / "junk.pem", "not a key");
        write_public_pem(key.get(), empty / "signer.pub");
        e = thrown([&] { engram::check_plugin_signature(so, so, empty); });
        CHECK(std::string(e.what()) ==
              so.string() + ": no trusted keys: no Ed25519 public key (*.pem) in " +
                  empty.string() + " (3 .pem file(s) ignored: not an Ed25519 public key)");
        e = thrown([&] { engram::check_plugin_signature(so, so, t / "nonexistent"); });
        CHECK(e.code() == ErrorCode::PluginSignature);
        CHECK_THAT(std::string(e.what()),
                   Catch::StartsWith(so.string() + ": cannot read the trusted keys directory " +
                                     (t / "nonexistent").string()));
    }
}

TEST_CASE("signing refuses keys it cannot use", "[provenance][signature]") {
    TempDir t;
    const auto so = t / "libx.so";
    write_file(so, "elf");
    auto e = thrown([&] { engram::sign_plugin_file(so, t / "missing.pem"); });
    CHECK(e.code() == ErrorCode::PluginSignature);
    CHECK_THAT(std::string(e.what()),
               Catch::StartsWith((t / "missing.pem").string() + ": cannot open the private key"));
    write_file(t / "junk.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    e = thrown([&] { engram::sign_plugin_file(so, t / "junk.pem"); });
    CHECK(e.code() == ErrorCode::PluginSignature);
    CHECK_THAT(std::string(e.what()), Catch::Contains("not a PEM private key"));

    const auto ec = generate_key("EC");
    write_private_pem(ec.get(), t / "ec.pem");
    e = thrown([&] { engram::sign_plugin_file(so, t / "ec.pem"); });
    CHECK(std::string(e.what()) == (t / "ec.pem").string() + ": a EC key, not Ed25519");

    // Encrypted: refused at once, never a passphrase prompt.
    const auto ed = generate_key();
    write_private_pem(ed.get(), t / "enc.pem", "secret");
    e = thrown([&] { engram::sign_plugin_file(so, t / "enc.pem"); });
    CHECK_THAT(std::string(e.what()), Catch::Contains("encrypted"));

    // The public key is not a private key.
    write_public_pem(ed.get(), t / "pub.pem");
    e = thrown([&] { engram::sign_plugin_file(so, t / "pub.pem"); });
    CHECK_THAT(std::string(e.what()), Catch::Contains("not a PEM private key"));

    write_private_pem(ed.get(), t / "ed.pem");
    e = thrown([&] { engram::sign_plugin_file(t / "missing.so", t / "ed.pem"); });
    CHECK(e.code() == ErrorCode::PluginNotFound);
}

TEST_CASE("a signature made by the openssl CLI (engram_sign_plugin) verifies",
          "[provenance][signature][openssl]") {
    if (!have_openssl_cli()) {
        WARN("no openssl binary on PATH: the CLI signature check is skipped");
        return;
    }
    TempDir t;
    const auto keys = make_dir(t / "keys");
    const auto key = generate_key();
    write_private_pem(key.get(), t / "signer.pem");
    write_public_pem(key.get(), keys / "signer.pem");
    const auto so = t / "libx.so";
    write_file(so, std::string(100000, 'p'));
    // Exactly the command cmake/EngramPlugin.cmake's engram_sign_plugin runs.
    const std::string cmd = "openssl pkeyutl -sign -rawin -inkey '" + (t / "signer.pem").string() +
                            "' -in '" + so.string() + "' -out '" + so.string() + ".sig'";
    REQUIRE(std::system(cmd.c_str()) == 0);
    CHECK(fs::file_size(so.string() + ".sig") == 64);
    CHECK_NOTHROW(engram::check_plugin_signature(so, so, keys));
    // Our signature and openssl's agree (Ed25519 is deterministic).
    CHECK(read_file(so.string() + ".sig") == engram::sign_plugin_file(so, t / "signer.pem"));

    // And a base64 one-liner from `openssl base64 -A`.
    const std::string b64 = "openssl base64 -A -in '" + so.string() + ".sig' -out '" +
                            (t / "b64").string() + "' && mv '" + (t / "b64").string() + "' '" +
                            so.string() + ".sig'";
    REQUIRE(std::system(b64.c_str()) == 0);
    CHECK(fs::file_size(so.string() + ".sig") == 88);
    CHECK_NOTHROW(engram::check_plugin_signature(so, so, keys));
}
