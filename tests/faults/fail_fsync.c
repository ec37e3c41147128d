/* Fault injection for the tests: an LD_PRELOAD shim that makes fsync(2),
 * fdatasync(2) and/or write(2) fail with ENOSPC on files whose path matches
 * a pattern, so a real engramd meets a full disk exactly where we say.
 *
 *   ENGRAM_FAULT_PATH   fnmatch(3) pattern of the path (as /proc/self/fd
 *                       shows it), e.g. "*.last-good.toml.tmp.*"; unset: no
 *                       fault, every call passes through.
 *   ENGRAM_FAULT_CALLS  comma-separated calls to fail: fsync, fdatasync,
 *                       write (default "fsync,fdatasync").
 *   ENGRAM_FAULT_ARM    optional path: faults are injected only while this
 *                       file exists, so a test arms and disarms them in a
 *                       running process.
 *
 * Every injected failure is counted in ENGRAM_FAULT_LOG (a file, one line per
 * fault: "<call> <path>") when that is set, so a test can prove the fault hit.
 * Built as tests/faults/libengram_fault_fsync.so; C, no dependencies. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static int wanted(const char* call) {
    const char* calls = getenv("ENGRAM_FAULT_CALLS");
    if (!calls || !*calls) calls = "fsync,fdatasync";
    const size_t n = strlen(call);
    for (const char* p = calls; *p;) {
        const char* end = strchr(p, ',');
        const size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, call, n) == 0) return 1;
        if (!end) break;
        p = end + 1;
    }
    return 0;
}

/* Path of fd through /proc (the raw syscall: no recursion into write). */
static int fd_matches(int fd, char* path, size_t cap) {
    const char* pattern = getenv("ENGRAM_FAULT_PATH");
    if (!pattern || !*pattern) return 0;
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    const ssize_t len = readlink(link, path, cap - 1);
    if (len <= 0) return 0;
    path[len] = '\0';
    return fnmatch(pattern, path, 0) == 0;
}

static void note(const char* call, const char* path) {
    const char* log = getenv("ENGRAM_FAULT_LOG");
    if (!log || !*log) return;
    static ssize_t (*real_write)(int, const void*, size_t);
    if (!real_write) real_write = (ssize_t(*)(int, const void*, size_t))dlsym(RTLD_NEXT, "write");
    const int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return;
    char line[4200];
    const int n = snprintf(line, sizeof line, "%s %s\n", call, path);
    if (n > 0 && real_write)
        real_write(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    close(fd);
}

static int armed(void) {
    const char* arm = getenv("ENGRAM_FAULT_ARM");
    return !arm || !*arm || access(arm, F_OK) == 0;
}

static int inject(const char* call, int fd) {
    char path[4096];
    if (!wanted(call) || !fd_matches(fd, path, sizeof path) || !armed()) return 0;
    note(call, path);
    errno = ENOSPC;
    return 1;
}

int fsync(int fd) {
    static int (*real)(int);
    if (inject("fsync", fd)) return -1;
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    return real(fd);
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (inject("fdatasync", fd)) return -1;
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    return real(fd);
}

ssize_t write(int fd, const void* buf, size_t count) {
    static ssize_t (*real)(int, const void*, size_t);
    /* Standard streams are never faulted (and keep logging cheap). */
    if (fd > 2 && inject("write", fd)) return -1;
    if (!real) real = (ssize_t(*)(int, const void*, size_t))dlsym(RTLD_NEXT, "write");
    return real(fd, buf, count);
}
