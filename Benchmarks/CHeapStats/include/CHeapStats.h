// Heap bytes in use, for the hot store's memory benchmark (glibc's mallinfo2).
#ifndef PETREL_C_HEAP_STATS_H
#define PETREL_C_HEAP_STATS_H

#include <stddef.h>

/// Bytes allocated and not freed (arena + mmap'd chunks), or 0 without glibc.
size_t petrel_heap_bytes_in_use(void);

#endif
