// Turns a fault inside the validation child into a precise verdict. The
// child registers its guard pages and its read-only inputs here; the
// SIGSEGV/SIGBUS handler looks the faulting address up and writes one result
// line to the result fd ("FAIL E_SELFTEST_OUT_OF_BOUNDS ..."), then _exit()s.
// A fault anywhere else is re-raised, so the parent sees the real signal
// (E_SELFTEST_CRASHED). In-process users (tests, the quick self-test) never
// install the handler: registration is then a no-op bookkeeping.
#pragma once

#include <cstddef>

namespace engram::validation {

enum class RegionKind { GuardPage, ReadOnlyInput };

// Installs the handlers (on an alternate stack) and remembers `result_fd`.
void install_fault_reporter(int result_fd);
// Registers [start, start+len); returns a slot for unregister_region, or -1
// when the table is full (the fault then reports as a plain crash).
int register_region(const void* start, size_t len, RegionKind kind);
void unregister_region(int slot);
// What the current call is, for the verdict line (copied into a fixed
// buffer the handler reads; truncated at 200 characters).
void set_current_call(const char* what);

}  // namespace engram::validation
