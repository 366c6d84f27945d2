/* resilientrtsp
 * framebuf.h: recycled buffers for interleaved frames.
 *
 * A frame read over TCP is a window on the connection's read block. It is
 * handed on as a GstBuffer holding a GstMemory that shares the block; both
 * objects come back to a process-wide free list when their last reference
 * goes (a mini-object dispose function, as GstBufferPool does for
 * buffers), so that steady-state reading allocates neither.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* A buffer of @size bytes at @offset in @block (system memory whose bytes
 * start at @block_data), sharing it. Thread-safe. */
G_GNUC_INTERNAL GstBuffer *gst_resilient_frame_buffer_new (GstMemory * block,
    guint8 * block_data, gsize offset, gsize size);

/* How many buffers and memories wait in the free lists (for tests). */
G_GNUC_INTERNAL void gst_resilient_frame_buffer_free_counts (guint * buffers,
    guint * memories);

G_END_DECLS
