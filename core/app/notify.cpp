#include "app/notify.h"

#include <systemd/sd-daemon.h>

namespace engram::notify {

namespace {
void send(const std::string& state) { (void)sd_notify(0, state.c_str()); }
std::string serving(uint64_t generation, const std::string& address) {
    return "STATUS=serving generation " + std::to_string(generation) + " on " + address;
}
}  // namespace

void ready(uint64_t generation, const std::string& address) {
    send("READY=1\n" + serving(generation, address));
}

void reloading() { send("RELOADING=1\nSTATUS=reloading"); }

void reloaded(bool ok, uint64_t generation, const std::string& address) {
    send("READY=1\n" + serving(generation, address) +
         (ok ? "" : " (last reload failed; the old set serves)"));
}

void stopping() { send("STOPPING=1\nSTATUS=stopping: finishing requests in flight"); }

}  // namespace engram::notify
