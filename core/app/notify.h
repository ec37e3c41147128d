// systemd readiness and status (sd_notify(3)) for engramd's Type=notify
// unit. Every call is a no-op unless NOTIFY_SOCKET is set (engramd run by
// systemd, or by a test that binds that socket); failures are ignored --
// notification is advisory, serving is not.
#pragma once

#include <cstdint>
#include <string>

namespace engram::notify {

// READY=1 with STATUS=serving generation N on ADDRESS. Call once listening.
void ready(uint64_t generation, const std::string& address);
// RELOADING=1 (a reload starts).
void reloading();
// READY=1 again after a reload, with its outcome in STATUS=.
void reloaded(bool ok, uint64_t generation, const std::string& address);
// STOPPING=1 (SIGTERM/SIGINT: the drain starts).
void stopping();

}  // namespace engram::notify
