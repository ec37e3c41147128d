// How engramd talks to one client connection: cpp-httplib's request parsing
// and routing, over our own socket stream. Why: cpp-httplib 0.11's own
// stream makes 13 syscalls per keep-alive request (measured with strace -c):
// a poll before every recv, headers and body in two send()s each preceded by
// two polls, and getpeername + getsockname on every request. On this
// project's VMs a syscall and a wakeup are expensive, and each loopback
// send() also runs the client's TCP receive path in engramd's context. This
// stream makes 3: one poll while the connection waits for the next request,
// one recv for the request (when it arrived whole), one send for the whole
// response. Addresses are read once per connection.
//
// httplib::Server exposes exactly this seam: process_and_close_socket() is
// virtual and process_request() is protected, so only the transport changes
// -- parsing, routing, limits and error statuses stay httplib's.
#pragma once

#include <httplib.h>

#include <atomic>
#include <memory>
#include <string>

namespace engram::server {

// A connection's stream: reads come from a buffer refilled by one recv at a
// time; writes collect in a buffer that flush() sends in one go. Anything
// buffered for the peer is flushed before the stream waits for the peer
// (an "Expect: 100-continue" interim answer must go out before the body can
// come in).
class BufferedSocketStream final : public httplib::Stream {
public:
    BufferedSocketStream(int sock, int read_timeout_ms, int write_timeout_ms);

    bool is_readable() const override;
    // Writes only fill the buffer; a peer that went away is found by flush().
    bool is_writable() const override { return true; }
    ssize_t read(char* ptr, size_t size) override;
    ssize_t write(const char* ptr, size_t size) override;
    void get_remote_ip_and_port(std::string& ip, int& port) const override;
    void get_local_ip_and_port(std::string& ip, int& port) const override;
    int socket() const override { return sock_; }

    // Sends everything written so far; false if the peer is gone or did not
    // take it within the write timeout.
    bool flush();
    // Waits until the next request's first bytes are here (true), or the
    // connection closes, stays idle past the timeout, or the server stops
    // (listen_socket invalid) (false). Polls in 50 ms slices to see a stop.
    bool wait_for_request(int idle_timeout_ms, const std::atomic<int>& listen_socket);

private:
    // One recv takes a whole typical request (headers + a 768-float body is ~8 kB).
    static constexpr size_t kReadChunk = 64 * 1024;

    // Refills the read buffer: 1 data, 0 the peer closed, -1 error or timeout.
    int fill();
    bool wait_readable(int timeout_ms) const;

    int sock_;
    int read_timeout_ms_;
    std::unique_ptr<char[]> in_;
    size_t in_pos_ = 0, in_len_ = 0;
    std::string out_;
    std::string remote_ip_, local_ip_;
    int remote_port_ = 0, local_port_ = 0;
};

// httplib::Server with the stream above; everything else is httplib's.
class BufferedServer final : public httplib::Server {
protected:
    bool process_and_close_socket(int sock) override;
};

}  // namespace engram::server
