// Counts heap allocations made by the whole process, for the benchmarks.
//
// Linking this target into an executable replaces malloc & co for every
// library in the process (the executable's definitions win symbol lookup);
// each call is counted and forwarded to glibc's own allocator. Linux with
// glibc only; elsewhere nothing is interposed and nothing is counted.
#ifndef PETREL_C_ALLOC_COUNTER_H
#define PETREL_C_ALLOC_COUNTER_H

#include <stdint.h>

/// Allocations so far: malloc, calloc, realloc, posix_memalign,
/// aligned_alloc, memalign (a realloc counts as one).
uint64_t petrel_alloc_count(void);

/// Calls to free with a non-NULL pointer so far.
uint64_t petrel_free_count(void);

/// 1 where allocations are counted (glibc); 0 elsewhere, where both
/// counters stay at 0.
int petrel_alloc_counting_available(void);

#endif
