/* resilientrtsp — allocation counter for the benchmarks
 *
 * A shared library for LD_PRELOAD (benchmarks/run.sh --count-allocs) that
 * counts the process's calls to malloc, calloc, realloc and the aligned
 * allocators, then hands each call to glibc's own implementation
 * (__libc_malloc and friends, which glibc exports for this purpose).
 * rrtsp-bench finds rrtsp_alloc_count() with dlsym() when it is preloaded
 * and reports the allocations per RTP packet in its window.
 *
 * GLib 2.74's slice allocator keeps its own caches, so a GstBuffer or a
 * GList link taken from it calls malloc only now and then; run with
 * G_SLICE=always-malloc (run.sh does) to count every allocation.
 */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

extern void *__libc_malloc (size_t size);
extern void *__libc_calloc (size_t n, size_t size);
extern void *__libc_realloc (void *ptr, size_t size);
extern void *__libc_memalign (size_t alignment, size_t size);
extern void __libc_free (void *ptr);

static uint64_t count;

uint64_t rrtsp_alloc_count (void);
void *malloc (size_t size);
void *calloc (size_t n, size_t size);
void *realloc (void *ptr, size_t size);
void free (void *ptr);
void *memalign (size_t alignment, size_t size);
void *aligned_alloc (size_t alignment, size_t size);
int posix_memalign (void **out, size_t alignment, size_t size);

/* allocations since the process started; any thread */
uint64_t
rrtsp_alloc_count (void)
{
  return __atomic_load_n (&count, __ATOMIC_RELAXED);
}

static inline void
counted (void)
{
  __atomic_fetch_add (&count, 1, __ATOMIC_RELAXED);
}

void *
malloc (size_t size)
{
  counted ();
  return __libc_malloc (size);
}

void *
calloc (size_t n, size_t size)
{
  counted ();
  return __libc_calloc (n, size);
}

void *
realloc (void *ptr, size_t size)
{
  counted ();
  return __libc_realloc (ptr, size);
}

void
free (void *ptr)
{
  __libc_free (ptr);
}

void *
memalign (size_t alignment, size_t size)
{
  counted ();
  return __libc_memalign (alignment, size);
}

void *
aligned_alloc (size_t alignment, size_t size)
{
  counted ();
  return __libc_memalign (alignment, size);
}

int
posix_memalign (void **out, size_t alignment, size_t size)
{
  void *p;

  if (alignment % sizeof (void *) != 0 || (alignment & (alignment - 1)) != 0)
    return EINVAL;
  counted ();
  p = __libc_memalign (alignment, size);
  if (p == NULL && size != 0)
    return ENOMEM;
  *out = p;
  return 0;
}
