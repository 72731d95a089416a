// Interposes the C allocator by defining its functions in the executable and
// forwarding to glibc's internal entry points (__libc_malloc, ...), which
// glibc exports for exactly this use. No dlsym, so no bootstrap recursion.
#include "CAllocCounter.h"

#include <errno.h>
#include <stddef.h>

#if defined(__GLIBC__)

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void __libc_free(void *ptr);
extern void *__libc_memalign(size_t alignment, size_t size);

static uint64_t allocations;
static uint64_t frees;

static inline void count_allocation(void) {
    __atomic_fetch_add(&allocations, 1, __ATOMIC_RELAXED);
}

uint64_t petrel_alloc_count(void) { return __atomic_load_n(&allocations, __ATOMIC_RELAXED); }
uint64_t petrel_free_count(void) { return __atomic_load_n(&frees, __ATOMIC_RELAXED); }

void *malloc(size_t size) {
    count_allocation();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    count_allocation();
    return __libc_calloc(count, size);
}

void *realloc(void *ptr, size_t size) {
    count_allocation();
    return __libc_realloc(ptr, size);
}

void free(void *ptr) {
    if (ptr != NULL) __atomic_fetch_add(&frees, 1, __ATOMIC_RELAXED);
    __libc_free(ptr);
}

void *memalign(size_t alignment, size_t size) {
    count_allocation();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    count_allocation();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    // Same argument rules as glibc: a power of two multiple of sizeof(void *).
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0 || alignment == 0) {
        return EINVAL;
    }
    count_allocation();
    void *p = __libc_memalign(alignment, size);
    if (p == NULL) return ENOMEM;
    *out = p;
    return 0;
}

int petrel_alloc_counting_available(void) { return 1; }

#else  // Not glibc (macOS, musl): no __libc_* entry points, so nothing is counted.

uint64_t petrel_alloc_count(void) { return 0; }
uint64_t petrel_free_count(void) { return 0; }
int petrel_alloc_counting_available(void) { return 0; }

#endif
