// Test fixture for core/app/exit_guard: installs the guard exactly as engramd
// does and then exits the way argv[1] says, so test_exit_guard can check the
// status the process ends with. Not installed, not shipped.
//   unrequested         exit(0) without engramd having asked: status 70
//   requested           mark_requested(), then exit(0): status 0
//   requested-status    mark_requested(), then exit(3): status 3
//   thread              exit(0) from another thread while main waits: status 70
//   return              mark_requested(), return 0 from main: status 0
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "app/exit_guard.h"

namespace {
// An ordinary handler registered before the guard (as the C++ runtime's and
// libraries' are): it must not run when the guard fires.
void earlier_handler() { std::fputs("earlier atexit handler ran\n", stderr); }
}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    std::atexit(earlier_handler);
    engram::exit_guard::install();
    const char* mode = argv[1];
    if (std::strcmp(mode, "unrequested") == 0) std::exit(0);
    if (std::strcmp(mode, "requested") == 0) {
        engram::exit_guard::mark_requested();
        std::exit(0);
    }
    if (std::strcmp(mode, "requested-status") == 0) {
        engram::exit_guard::mark_requested();
        std::exit(3);
    }
    if (std::strcmp(mode, "thread") == 0) {
        std::thread t([] { std::exit(0); });
        t.join();  // never returns: the process ends inside exit()
        return 0;
    }
    if (std::strcmp(mode, "return") == 0) {
        engram::exit_guard::mark_requested();
        return 0;
    }
    return 2;
}
