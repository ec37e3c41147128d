// The HTTP API of a real engramd: endpoints, bad requests (4xx with a code,
// never a crash or a wrong answer), and the command line.
#include <signal.h>

#include "daemon.h"
#include "oracle_check.h"

using namespace engram;
using namespace engram::testing;

namespace {
const std::vector<std::pair<std::string, std::string>> kRef{{"reference", plugin("reference")}};

struct Served {
    TempDir dir;
    fs::path cfg = dir.write("engram.toml", config_text(kRef, "reference"));
    Daemon d{cfg, dir.path};
    Served() { REQUIRE(d.ready()); }
    ~Served() {
        d.process().signal(SIGTERM);
        d.process().wait();
    }
};

// status and error code of one request.
std::pair<int, std::string> call(const Daemon& d, const std::string& method,
                                 const std::string& path, const std::string& body = "") {
    auto c = d.client();
    httplib::Result res =
        method == "GET" ? c->Get(path.c_str()) : c->Post(path.c_str(), body, "application/json");
    REQUIRE(res);
    const json j = json::parse(res->body, nullptr, false);
    INFO(method << " " << path << " -> " << res->status << " " << res->body.substr(0, 300));
    REQUIRE_FALSE(j.is_discarded());
    return {res->status, j.contains("error") ? j["error"].value("code", "") : ""};
}

std::string vec(size_t n, const std::string& v = "0.5") {
    std::string s = "[";
    for (size_t i = 0; i < n; ++i) s += (i ? "," : "") + v;
    return s + "]";
}
}  // namespace

TEST_CASE("health, ready and backends describe what serves") {
    Served s;
    int status = 0;
    json h = s.d.get("/health", &status);
    CHECK(status == 200);
    CHECK(h["status"] == "serving");
    CHECK(h["generation"] == 1);
    CHECK(h["kernels"]["similarity"]["backend"] == "reference");
    s.d.get("/ready", &status);
    CHECK(status == 200);

    const json b = s.d.get("/v1/backends", &status);
    CHECK(status == 200);
    CHECK(b["generation"] == 1);
    for (const char* k : {"similarity", "spreading", "decay"}) {
        const json& p = b["kernels"][k];
        CHECK(p["backend"] == "reference");
        CHECK(p["path"] == plugin("reference"));
        CHECK(p["sha256"].get<std::string>().size() == 64);
        CHECK(p["abi"] == "1.2");  // the reference plugin is built against ABI 1.2
        CHECK(p["required_features"] == "none");
    }
    REQUIRE(b["generations"].size() == 1);
    CHECK(b["generations"][0]["serving"] == true);
    CHECK(b["reloads"]["last"].is_null());
}

TEST_CASE("answers name their backend and generation and match the oracle") {
    Served s;
    const OracleCheck oracle{StoreShape{}};
    std::vector<float> q(64);
    for (size_t i = 0; i < q.size(); ++i) q[i] = static_cast<float>(i % 7) - 3.0f;
    int status = 0;
    const json a = s.d.post("/v1/similar", json{{"vector", q}, {"k", 5}}.dump(), &status);
    CHECK(status == 200);
    CHECK(a["backend"] == "reference");
    CHECK(a["generation"] == 1);
    CHECK(oracle.similar(q, 5, a) == "");
    const json r = s.d.post("/v1/retention", R"({"ids":[0,5,1999],"now":0})", &status);
    CHECK(status == 200);
    CHECK(oracle.retention({0, 5, 1999}, r) == "");
    const json sp = s.d.post("/v1/spread", R"({"seeds":[1,2]})", &status);
    CHECK(status == 200);
    CHECK(sp["results"].size() >= 1);
}

TEST_CASE("bad requests get 4xx with a stable code, and the server keeps serving") {
    Served s;
    const Daemon& d = s.d;
    // Malformed JSON and wrong shapes: 400 E_HTTP_BAD_JSON.
    CHECK(call(d, "POST", "/v1/similar", "{\"vector\": [1,") ==
          std::make_pair(400, std::string("E_HTTP_BAD_JSON")));
    CHECK(call(d, "POST", "/v1/similar", "") ==
          std::make_pair(400, std::string("E_HTTP_BAD_JSON")));
    CHECK(call(d, "POST", "/v1/similar", "{\"vector\":" + vec(63) + ",\"k\":\"3\"}").second ==
          "E_HTTP_BAD_JSON");
    CHECK(call(d, "POST", "/v1/similar", "{\"vector\":" + vec(64, "\"NaN\"") + "}").second ==
          "E_HTTP_BAD_JSON");
    CHECK(call(d, "POST", "/v1/spread", R"({"seeds":[1],"extra":1})").second == "E_HTTP_BAD_JSON");
    // Well-formed but invalid values: 422 E_BAD_REQUEST.
    const auto bad = std::make_pair(422, std::string("E_BAD_REQUEST"));
    CHECK(call(d, "POST", "/v1/similar", "{\"vector\":" + vec(63) + "}") ==
          bad);  // wrong dimension
    CHECK(call(d, "POST", "/v1/similar", "{\"vector\":" + vec(65) + "}") == bad);
    CHECK(call(d, "POST", "/v1/similar", "{\"vector\":" + vec(64, "1e39") + "}") ==
          bad);  // inf as float
    CHECK(call(d, "POST", "/v1/similar", "{\"vector\":" + vec(64) + ",\"k\":0}") == bad);
    CHECK(call(d, "POST", "/v1/similar", "{\"vector\":" + vec(64) + ",\"k\":1001}") == bad);
    CHECK(call(d, "POST", "/v1/spread", R"({"seeds":[2000]})") == bad);  // unknown id (n = 2000)
    CHECK(call(d, "POST", "/v1/spread", R"({"seeds":[]})") == bad);
    CHECK(call(d, "POST", "/v1/spread", R"({"seeds":[1],"decay":-1})") == bad);
    CHECK(call(d, "POST", "/v1/retention", R"({"ids":[1,99999],"now":0})") == bad);
    CHECK(call(d, "POST", "/v1/retention", R"({"ids":[1],"now":1e999})").second ==
          "E_HTTP_BAD_JSON");
    // Too large: 413, refused before the body is read into memory.
    const std::string huge = "{\"vector\":[" + std::string(9u << 20, ' ') + "1]}";
    CHECK(call(d, "POST", "/v1/similar", huge) ==
          std::make_pair(413, std::string("E_HTTP_BODY_TOO_LARGE")));
    // Routing.
    CHECK(call(d, "GET", "/v1/nothing") == std::make_pair(404, std::string("E_HTTP_NOT_FOUND")));
    CHECK(call(d, "GET", "/v1/similar") == std::make_pair(405, std::string("E_HTTP_METHOD")));
    CHECK(call(d, "POST", "/health") == std::make_pair(405, std::string("E_HTTP_METHOD")));
    // Still serving, still generation 1.
    CHECK(call(d, "GET", "/health").first == 200);
    CHECK(call(d, "POST", "/v1/similar", "{\"vector\":" + vec(64) + ",\"k\":1}").first == 200);
}

TEST_CASE("engramd command line: --version, --help, flags over TOML, pid file") {
    TempDir dir;
    auto r = run({kEngramd, "--version"}, dir.path);
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Catch::StartsWith("engramd ") && Catch::Contains("plugin ABI 1.2"));
    r = run({kEngramd, "--help"}, dir.path);
    CHECK(r.code == 0);
    for (const char* f : {"--config", "--check-config", "--listen", "--threads", "--log-level",
                          "--log-format", "--pid-file", "--use-last-good", "--state-dir"})
        CHECK_THAT(r.out, Catch::Contains(f));
    CHECK(run({kEngramd, "--log-format", "xml", "--check-config", "x.toml"}, dir.path).code == 2);
    CHECK(run({kEngramd, "--listen", "nohost"}, dir.path).code == 2);

    // TOML says json logs and a port we will not use; the flags win for the
    // port, the TOML for the format; the pid file comes from the flag.
    const auto cfg = dir.write(
        "engram.toml",
        config_text(kRef, "reference", {}, "log_format = \"json\"\nlisten = \"127.0.0.1:1\"\n"));
    const fs::path pid = dir.path / "engramd.pid";
    Daemon d(cfg, dir.path, {"--pid-file", pid.string()});
    REQUIRE(d.process().wait_for_stderr("\"msg\":\"engramd ready\"", std::chrono::seconds(60)));
    REQUIRE(eventually([&] { return fs::exists(pid); }));
    d.process().signal(SIGTERM);
    CHECK(d.process().wait() == 0);
    CHECK_FALSE(fs::exists(pid));
}

TEST_CASE("engramctl check-config and engramd --check-config agree") {
    TempDir dir;
    const auto good = dir.write("good.toml", config_text(kRef, "reference"));
    const auto bad = dir.write("bad.toml", "[plugins]\nx = \"" + zoo("wrong_numerics") + "\"\n");
    CHECK(run({kEngramctl, "check-config", good.string()}, dir.path).code == 0);
    CHECK(run({kEngramd, "--check-config", good.string()}, dir.path).code == 0);
    const auto a = run({kEngramctl, "check-config", bad.string()}, dir.path);
    const auto b = run({kEngramd, "--check-config", bad.string()}, dir.path);
    CHECK(a.code == 1);
    CHECK(b.code == 1);
    CHECK_THAT(a.err, Catch::Contains("E_SELFTEST_NUMERICS"));
    CHECK_THAT(b.err, Catch::Contains("E_SELFTEST_NUMERICS"));
}

TEST_CASE("engramctl verify passes a good plugin and fails a refused one") {
    TempDir dir;
    auto r = run({kEngramctl, "verify", zoo("good"), "--cases", "100"}, dir.path);
    INFO(r.out << r.err);
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("PASS") && Catch::Contains("timing similarity"));
    r = run({kEngramctl, "verify", zoo("wrong_numerics")}, dir.path);
    CHECK(r.code == 1);
    CHECK_THAT(r.out, Catch::Contains("E_SELFTEST_NUMERICS"));
    r = run({kEngramctl, "verify", zoo("wrong_major")}, dir.path);
    CHECK(r.code == 1);
    CHECK_THAT(r.out, Catch::Contains("E_ABI_MAJOR"));
}

TEST_CASE(
    "embedding_format = int8 / bf16: /v1/similar served from the compressed store; an ABI "
    "1.0 backend is refused") {
    const OracleCheck oracle{StoreShape{}};
    std::vector<float> q(64);
    for (size_t i = 0; i < q.size(); ++i) q[i] = static_cast<float>(i % 7) - 3.0f;
    const auto exact =
        oracle::similarity(q.data(), oracle.store().embeddings.data(), oracle.store().n, 64);
    for (const std::string f : {"int8", "bf16"}) {
        INFO(f);
        TempDir dir;
        std::string text = config_text(kRef, "reference");
        const std::string seed = "seed = " + std::to_string(StoreShape{}.seed) + "\n";
        text.replace(text.find(seed), seed.size(), seed + "embedding_format = \"" + f + "\"\n");
        Daemon d{dir.write("engram.toml", text), dir.path};
        REQUIRE(d.ready());
        int status = 0;
        const json a = d.post("/v1/similar", json{{"vector", q}, {"k", 5}}.dump(), &status);
        CHECK(status == 200);
        CHECK(a["backend"] == "reference");
        REQUIRE(a["results"].size() == 5);
        for (const auto& item : a["results"]) {
            // Within the compression's bound of the exact fp32 cosine
            // (docs/internal/kernels.md; 64-d int8: sqrt(64)/254 at worst).
            const double got = item["score"].get<double>();
            CHECK(std::fabs(got - exact[item["id"].get<uint32_t>()]) <= 0.035);
        }
        d.process().signal(SIGTERM);
        d.process().wait();

        // The frozen ABI 1.0 fixture has no compressed kernel: refused, named.
        const std::string fixture =
            std::string(ENGRAM_TEST_SDK_FIXTURE_DIR) + "/libengram_abi_v1_0.so";
        std::string old = config_text({{"abi_v1_0", fixture}}, "abi_v1_0");
        old.replace(old.find(seed), seed.size(), seed + "embedding_format = \"" + f + "\"\n");
        const Run r =
            run({kEngramd, "--check-config", dir.write("old.toml", old).string()}, dir.path);
        CHECK(r.code != 0);
        CHECK_THAT(r.out + r.err, Catch::Contains("E_BACKEND_FORMAT_UNSUPPORTED") &&
                                      Catch::Contains("abi_v1_0") &&
                                      Catch::Contains("similarity_" + f));
    }
}
