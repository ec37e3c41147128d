// The host's stable error codes: one table, read by the code, the docs and the
// docs check (tests/docs). A code, once shipped, never changes meaning; retire
// it instead of reusing it.
#pragma once

// X(enumerator, "STABLE_CODE", "one-line meaning for operators"); one entry per
// line, which tests/docs/check_docs.py reads: clang-format must not rewrap it.
// clang-format off
#define ENGRAM_ERROR_CODES(X)                                                                     \
    X(PluginNotFound, "E_PLUGIN_NOT_FOUND", "plugin file does not exist or is not readable")       \
    X(PluginCopyFailed, "E_PLUGIN_COPY", "could not make the private copy of the plugin file")    \
    X(PluginLoadFailed, "E_PLUGIN_LOAD", "dlopen refused the file (not ELF, wrong arch, missing dependency)") \
    X(PluginNoEntry, "E_PLUGIN_NO_ENTRY", "the plugin does not export engram_kernel_plugin_entry")  \
    X(PluginNullTable, "E_PLUGIN_NULL_TABLE", "the entry point returned a null table")             \
    X(AbiMajorMismatch, "E_ABI_MAJOR", "the plugin was built for another ABI major version")       \
    X(AbiStructSize, "E_ABI_STRUCT_SIZE", "the plugin's table is smaller than ABI 1.0 requires")   \
    X(AbiNullPointer, "E_ABI_NULL_POINTER", "a required function pointer or string is null")       \
    X(AbiBadName, "E_ABI_BAD_NAME", "the plugin name is empty or not [a-z0-9_]+")                 \
    X(CpuFeatureMissing, "E_CPU_FEATURE", "the plugin needs a CPU feature this machine or OS lacks") \
    X(SelfTestStatus, "E_SELFTEST_STATUS", "a kernel returned an error status on the self-test")   \
    X(SelfTestNumerics, "E_SELFTEST_NUMERICS", "a kernel's result differs from the oracle beyond tolerance") \
    X(SelfTestCrashed, "E_SELFTEST_CRASHED", "the plugin crashed the validation child (the message names the signal)") \
    X(SelfTestTimeout, "E_SELFTEST_TIMEOUT", "the plugin did not finish validation within [validation] timeout_seconds") \
    X(SelfTestExited, "E_SELFTEST_EXITED", "the plugin ended the validation child itself (exit() or _exit())") \
    X(SelfTestOutOfBounds, "E_SELFTEST_OUT_OF_BOUNDS", "a kernel wrote outside its output or scratch buffer") \
    X(SelfTestNonFinite, "E_SELFTEST_NONFINITE", "a kernel returned NaN or infinity where the contract promises a finite value") \
    X(SelfTestNondeterministic, "E_SELFTEST_NONDETERMINISTIC", "a kernel gave different bits for the same inputs (hidden state, not reentrant)") \
    X(SelfTestLeak, "E_SELFTEST_LEAK", "a kernel's calls grow the process's memory (a leak per call)") \
    X(SelfTestStrayProcess, "E_SELFTEST_STRAY_PROCESS", "the plugin started a process that outlived the validation child") \
    X(SelfTestValidator, "E_SELFTEST_VALIDATOR", "the validation child could not be started or answered nonsense") \
    X(PluginFileInvalid, "E_PLUGIN_FILE_INVALID", "the plugin file is not a complete ELF shared object for this machine") \
    X(PluginNameMismatch, "E_PLUGIN_NAME_MISMATCH", "the plugin's table calls itself by another name than its [plugins] key") \
    X(PluginPermissions, "E_PLUGIN_PERMISSIONS", "the plugin file or a directory above it is writable by others or foreign-owned") \
    X(PluginDigest, "E_PLUGIN_DIGEST", "the plugin file's SHA-256 differs from the sha256 pinned in the config") \
    X(PluginSignature, "E_PLUGIN_SIGNATURE", "the plugin's detached Ed25519 signature is missing or not from a trusted key") \
    X(ConfigRead, "E_CONFIG_READ", "the config file cannot be read")                              \
    X(ConfigSyntax, "E_CONFIG_SYNTAX", "the config file is not valid TOML")                       \
    X(ConfigUnknownKey, "E_CONFIG_UNKNOWN_KEY", "the config has a key the host does not know")    \
    X(ConfigType, "E_CONFIG_TYPE", "a config value has the wrong type")                           \
    X(ConfigValue, "E_CONFIG_VALUE", "a config value is out of range or not allowed")             \
    X(ConfigMissing, "E_CONFIG_MISSING", "a required config key is missing")                      \
    X(EnvInvalid, "E_ENV_INVALID", "an ENGRAM_* environment variable has an invalid value")       \
    X(NoUsableBackend, "E_NO_BACKEND", "no configured plugin can serve a kernel")                 \
    X(BackendUnknown, "E_BACKEND_UNKNOWN", "a kernel names a backend that is not in [plugins]")   \
    X(BackendFormatUnsupported, "E_BACKEND_FORMAT_UNSUPPORTED", "the similarity backend (or a rollout candidate) offers no kernel for the store's embedding_format") \
    X(DataRead, "E_DATA_READ", "a dataset file cannot be read")                                   \
    X(DataNpy, "E_DATA_NPY", "an embeddings .npy file is malformed or of an unsupported type")    \
    X(DataCsv, "E_DATA_CSV", "an edges or memories CSV file is malformed")                        \
    X(DataInconsistent, "E_DATA_INCONSISTENT", "dataset files disagree (counts, ids, dimensions)")  \
    X(KernelFailed, "E_KERNEL_FAILED", "a kernel returned an error status while serving")         \
    X(KernelNonFinite, "E_KERNEL_NONFINITE", "a kernel returned NaN or infinity while serving; the answer was withheld") \
    X(BadRequest, "E_BAD_REQUEST", "a request argument is invalid")                               \
    X(ArenaOverflow, "E_ARENA_OVERFLOW", "a request needed more scratch than the per-thread arena holds (policy error)")                               \
    X(HttpBadJson, "E_HTTP_BAD_JSON", "the request body is not valid JSON or not the expected shape") \
    X(HttpBodyTooLarge, "E_HTTP_BODY_TOO_LARGE", "the request body exceeds the server's size limit") \
    X(HttpNotFound, "E_HTTP_NOT_FOUND", "no endpoint at this path")                                 \
    X(HttpMethod, "E_HTTP_METHOD", "the endpoint exists but not for this HTTP method")              \
    X(HttpForbidden, "E_HTTP_FORBIDDEN", "admin endpoint called from a non-loopback peer")          \
    X(HttpInternal, "E_HTTP_INTERNAL", "an unexpected internal error while serving a request")      \
    X(HttpUnavailable, "E_HTTP_UNAVAILABLE", "the server is not serving (starting or shutting down)") \
    X(ReloadStopping, "E_RELOAD_STOPPING", "a reload was requested while the server is shutting down") \
    X(ReloadStateWrite, "E_RELOAD_STATE_WRITE", "the last-good config copy could not be written")   \
    X(ReloadNoLastGood, "E_RELOAD_NO_LAST_GOOD", "--use-last-good was given but no last-good config exists") \
    X(ServerListen, "E_SERVER_LISTEN", "the HTTP server cannot bind or listen on the address")      \
    X(CtlHttp, "E_CTL_HTTP", "engramctl cannot reach engramd or got an unexpected reply")           \
    X(VerifyFailed, "E_VERIFY_FAILED", "engramctl verify: a kernel disagrees with the oracle")               \
    X(RolloutState, "E_ROLLOUT_STATE", "a rollout command does not apply: the kernel has no rollout in shadow or canary") \
    X(HttpMediaType, "E_HTTP_MEDIA_TYPE", "the request body's Content-Type or Content-Encoding is not accepted (JSON endpoints take uncompressed application/json)")
// clang-format on
