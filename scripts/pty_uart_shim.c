// Test-only LD_PRELOAD shim: makes pseudo-terminals look like UARTs to
// libserialport, so tests on a machine without serial hardware drive the
// libserialport path of PetrelSerial (lookup, sp_open, configuration, reads,
// writes) over socat pty pairs.
//
// libserialport 0.1.1 refuses ptys twice: its lookup wants a symbolic link
// /sys/class/tty/NAME for /dev/NAME (ptys have none), and sp_open reads the
// modem-control lines (TIOCMGET), which ptys do not have (ENOTTY). This shim
// answers both for /dev/pts/N only: a made-up sysfs link, and modem lines
// that read as all up and accept any change. Nothing else is touched.
//
// Build: cc -shared -fPIC -o libpty_uart_shim.so pty_uart_shim.c -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const char sysfs_pts[] = "/sys/class/tty/pts/";

static int is_sysfs_pts(const char *path) {
    return path && strncmp(path, sysfs_pts, sizeof sysfs_pts - 1) == 0;
}

// The sysfs entry is a symbolic link: libserialport checks with lstat before
// reading it. Built against glibc < 2.33 it calls __lxstat; newer builds lstat.
static int fake_link_stat(struct stat *st) {
    memset(st, 0, sizeof *st);
    st->st_mode = S_IFLNK | 0777;
    return 0;
}

int __lxstat(int ver, const char *path, struct stat *st) {
    static int (*real)(int, const char *, struct stat *);
    if (!real) real = (int (*)(int, const char *, struct stat *))dlsym(RTLD_NEXT, "__lxstat");
    if (is_sysfs_pts(path)) return fake_link_stat(st);
    return real(ver, path, st);
}

int lstat(const char *path, struct stat *st) {
    static int (*real)(const char *, struct stat *);
    if (!real) real = (int (*)(const char *, struct stat *))dlsym(RTLD_NEXT, "lstat");
    if (is_sysfs_pts(path)) return fake_link_stat(st);
    return real(path, st);
}

ssize_t readlink(const char *path, char *buf, size_t size) {
    static ssize_t (*real)(const char *, char *, size_t);
    if (!real) real = (ssize_t (*)(const char *, char *, size_t))dlsym(RTLD_NEXT, "readlink");
    if (is_sysfs_pts(path)) {
        char target[256];
        int n = snprintf(target, sizeof target, "../../devices/virtual/pty-as-uart/pts%s", path + sizeof sysfs_pts - 1);
        if (n < 0) { errno = EINVAL; return -1; }
        size_t len = (size_t)n < size ? (size_t)n : size;
        memcpy(buf, target, len);
        return (ssize_t)len;
    }
    return real(path, buf, size);
}

// Unix98 pty slaves have majors 136-143.
static int is_pty_slave(int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode)) return 0;
    unsigned int major_number = major(st.st_rdev);
    return major_number >= 136 && major_number <= 143;
}

int ioctl(int fd, unsigned long request, ...) {
    static int (*real)(int, unsigned long, ...);
    if (!real) real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
    va_list ap;
    va_start(ap, request);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (is_pty_slave(fd)) {
        switch (request) {
        case TIOCMGET:
            *(int *)arg = TIOCM_DTR | TIOCM_RTS | TIOCM_CTS | TIOCM_DSR | TIOCM_CAR;
            return 0;
        case TIOCMSET:
        case TIOCMBIS:
        case TIOCMBIC:
            return 0;
        }
    }
    return real(fd, request, arg);
}
