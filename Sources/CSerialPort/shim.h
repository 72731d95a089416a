// libserialport (Debian: libserialport-dev), the C library PetrelSerial opens
// and configures serial ports through, plus the two Linux calls its reader
// thread needs that Swift's Glibc module does not export.
#ifndef PETREL_CSERIALPORT_SHIM_H
#define PETREL_CSERIALPORT_SHIM_H
#include <libserialport.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>

/// A non-blocking, close-on-exec eventfd (the reader thread's wake-up), or -1.
static inline int petrel_serial_eventfd(void) {
    return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

/// Names the calling thread (at most 15 bytes are kept), as `ps -L` shows it.
static inline void petrel_serial_name_this_thread(const char *name) {
    prctl(PR_SET_NAME, name, 0, 0, 0);
}
#endif
