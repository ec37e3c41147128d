// Kept apart from the test: <linux/tcp.h> has the full struct tcp_info
// (tcpi_data_segs_in) but clashes with glibc's <netinet/tcp.h>, which
// httplib.h includes.
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>

namespace engram::testing {

// Segments carrying data this TCP socket has received; UINT32_MAX on error.
uint32_t data_segments_in(int fd) {
    tcp_info info{};
    socklen_t len = sizeof info;
    if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return UINT32_MAX;
    return info.tcpi_data_segs_in;
}

}  // namespace engram::testing
