/* resilientrtsp — allocation counter for the benchmarks and tests
 * (alloc-count.c says how it works). */

#ifndef __RRTSP_ALLOC_COUNT_H__
#define __RRTSP_ALLOC_COUNT_H__

#include <stdint.h>

/* calls to malloc & co. since the process started, any thread */
uint64_t rrtsp_alloc_count (void);

/* the same, by threads whose name starts with one of the comma-separated
 * @prefixes, e.g. "rrtsp-io,rrtsp-out" */
uint64_t rrtsp_alloc_count_named (const char *prefixes);

#endif /* __RRTSP_ALLOC_COUNT_H__ */
