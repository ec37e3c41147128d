// The one reload thread. SIGHUP and POST /v1/admin/reload only *request* a
// reload (a counter bump, cheap and non-blocking); this thread drains the
// requests: reloads are serialized, and a burst of N requests arriving while
// a reload runs is coalesced into exactly one more reload, which every one of
// those requesters then shares the result of.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "app/host.h"

namespace engram {

class Reloader {
  public:
    explicit Reloader(Host& host);
    // The reload itself injected (tests hold it to observe coalescing).
    explicit Reloader(std::function<ReloadResult()> reload);
    ~Reloader();
    Reloader(const Reloader&) = delete;
    Reloader& operator=(const Reloader&) = delete;

    // Asks for a reload that starts after this call; returns its ticket.
    uint64_t request();
    // Blocks until a reload that started after `ticket` was issued has
    // finished, and returns its result. After stop(): an E_RELOAD_STOPPING
    // failure.
    ReloadResult wait(uint64_t ticket);
    // Finishes the reload running now (if any), drops the pending ones and
    // joins the thread. Idempotent.
    void stop();
    // How many reloads actually ran (tests check coalescing with it).
    uint64_t runs() const;

  private:
    void loop();

    std::function<ReloadResult()> reload_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    uint64_t requested_ = 0;  // last ticket handed out
    uint64_t completed_ = 0;  // every ticket <= this has its result
    uint64_t runs_ = 0;
    bool stopping_ = false;
    ReloadResult last_;
    std::thread thread_;
};

}  // namespace engram
