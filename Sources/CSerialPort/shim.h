// libserialport (Debian: libserialport-dev), the C library PetrelSerial opens
// and configures serial ports through, plus the Linux call its reader thread
// needs that Swift's Glibc module does not export (threads are named by
// PetrelSystem.SystemThread).
#ifndef PETREL_CSERIALPORT_SHIM_H
#define PETREL_CSERIALPORT_SHIM_H
#include <libserialport.h>
#include <sys/eventfd.h>

/// A non-blocking, close-on-exec eventfd (the reader thread's wake-up), or -1.
static inline int petrel_serial_eventfd(void) {
    return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}
#endif
