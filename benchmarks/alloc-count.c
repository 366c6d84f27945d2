/* resilientrtsp — allocation counter for the benchmarks and tests
 *
 * Counts the process's calls to malloc, calloc, realloc and the aligned
 * allocators, in total and per thread, then hands each call to glibc's own
 * implementation (__libc_malloc and friends, which glibc exports for this
 * purpose). Two uses:
 *
 *  - a shared library for LD_PRELOAD (benchmarks/run.sh --count-allocs):
 *    rrtsp-bench finds rrtsp_alloc_count() and rrtsp_alloc_count_named()
 *    with dlsym() and reports the allocations per RTP packet in its window,
 *    of the whole process and of the element's own threads;
 *  - linked into a test program (tests/check/elements/
 *    resilientrtspsrc_allocs.c), whose malloc & co. then replace libc's for
 *    every library of the process. Not with a sanitizer, which brings its
 *    own.
 *
 * GLib 2.74's slice allocator keeps its own caches, so a GstBuffer or a
 * GList link taken from it calls malloc only now and then; run with
 * G_SLICE=always-malloc (run.sh and the test do) to count every
 * allocation.
 *
 * Per thread: each thread takes a slot the first time it allocates (slots
 * are never given back, so a thread's count outlives it). A slot is matched
 * to a thread name (/proc/self/task/TID/comm) when it is first summed by
 * rrtsp_alloc_count_named(), by then the thread has its name.
 */

#include "alloc-count.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

extern void *__libc_malloc (size_t size);
extern void *__libc_calloc (size_t n, size_t size);
extern void *__libc_realloc (void *ptr, size_t size);
extern void *__libc_memalign (size_t alignment, size_t size);
extern void __libc_free (void *ptr);

#define MAX_SLOTS 8192
#define NO_SLOT (-1)
#define OVERFLOW_SLOT (-2)

enum
{
  MATCH_UNKNOWN,
  MATCH_NO,
  MATCH_YES
};

typedef struct
{
  long tid;
  uint64_t count;
  int match;                    /* for match_prefix; under names_lock */
} Slot;

static uint64_t count;
static Slot slots[MAX_SLOTS];
static unsigned n_slots;
static __thread int my_slot __attribute__((tls_model ("initial-exec"))) =
    NO_SLOT;
static char match_prefix[64];
static int names_lock;

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

/* whether thread @tid's name starts with one of the comma-separated
 * prefixes in match_prefix; no allocation */
static int
name_matches (long tid)
{
  char path[64], name[32];
  const char *p = match_prefix;
  ssize_t n;
  int fd;

  snprintf (path, sizeof (path), "/proc/self/task/%ld/comm", tid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return MATCH_NO;            /* gone before it was ever summed */
  n = read (fd, name, sizeof (name) - 1);
  close (fd);
  if (n <= 0)
    return MATCH_NO;
  name[n] = '\0';
  while (*p) {
    size_t len = strcspn (p, ",");

    if (len > 0 && strncmp (name, p, len) == 0)
      return MATCH_YES;
    p += len;
    if (*p == ',')
      p++;
  }
  return MATCH_NO;
}

/* allocations by the threads whose name starts with one of the
 * comma-separated @prefixes ("rrtsp-io,rrtsp-out"; at most 63 characters),
 * since the process started */
uint64_t
rrtsp_alloc_count_named (const char *prefixes)
{
  unsigned i, n;
  uint64_t sum = 0;

  while (__atomic_exchange_n (&names_lock, 1, __ATOMIC_ACQUIRE))
    sched_yield ();
  if (strncmp (prefixes, match_prefix, sizeof (match_prefix)) != 0) {
    snprintf (match_prefix, sizeof (match_prefix), "%s", prefixes);
    for (i = 0; i < MAX_SLOTS; i++)
      slots[i].match = MATCH_UNKNOWN;
  }
  n = __atomic_load_n (&n_slots, __ATOMIC_ACQUIRE);
  for (i = 0; i < n && i < MAX_SLOTS; i++) {
    long tid = __atomic_load_n (&slots[i].tid, __ATOMIC_ACQUIRE);

    if (tid == 0)
      continue;                 /* being taken */
    if (slots[i].match == MATCH_UNKNOWN)
      slots[i].match = name_matches (tid);
    if (slots[i].match == MATCH_YES)
      sum += __atomic_load_n (&slots[i].count, __ATOMIC_RELAXED);
  }
  __atomic_store_n (&names_lock, 0, __ATOMIC_RELEASE);
  return sum;
}

static inline void
counted (void)
{
  __atomic_fetch_add (&count, 1, __ATOMIC_RELAXED);
  if (my_slot == NO_SLOT) {
    unsigned i = __atomic_fetch_add (&n_slots, 1, __ATOMIC_RELAXED);

    if (i < MAX_SLOTS) {
      __atomic_store_n (&slots[i].tid, (long) syscall (SYS_gettid),
          __ATOMIC_RELEASE);
      my_slot = (int) i;
    } else
      my_slot = OVERFLOW_SLOT;
  }
  if (my_slot >= 0)
    __atomic_fetch_add (&slots[my_slot].count, 1, __ATOMIC_RELAXED);
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
