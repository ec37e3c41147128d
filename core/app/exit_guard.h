// engramd decides when engramd exits. Loaded plugin code that calls exit()
// (say exit(0) from a kernel) would otherwise end the daemon with the
// status it chose, and a clean-looking status 0 means systemd's
// Restart=on-failure never restarts it. The guard is an atexit handler: when
// it runs without engramd having said it is exiting, it writes one line to
// stderr and ends the process at once with _exit(70) (EX_SOFTWARE), skipping
// every other exit handler and static destructor (worker threads may still
// be running).
//
// Not covered: _exit(), quick_exit() and signals, which run no atexit
// handler (a fatal signal already gives a non-zero status).
#pragma once

namespace engram::exit_guard {

// The status of an exit engramd did not ask for: EX_SOFTWARE from <sysexits.h>.
constexpr int kUnrequestedExitStatus = 70;

// Registers the handler with std::atexit. Handlers run last-registered
// first, so call it once everything that registers its own handlers (the
// Host, with its plugins) is up; it may be called again later, and it is
// harmless to register it more than once.
void install();

// engramd is exiting on purpose (main is returning): the handler lets the
// exit proceed with the status main returns.
void mark_requested();

bool requested();

}  // namespace engram::exit_guard
