/* resilientrtsp
 * framebuf.h: recycled buffers for interleaved frames.
 *
 * A frame read over TCP is a window on the connection's read block. It is
 * handed on as a GstBuffer holding a GstMemory that shares the block; both
 * objects come back to a process-wide free list when their last reference
 * goes (a mini-object dispose function, as GstBufferPool does for
 * buffers), so that steady-state reading allocates neither. Read blocks of
 * the usual size come back the same way once no frame shares them.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* A buffer of @size bytes at @offset in @block (system memory whose bytes
 * start at @block_data), sharing it. Thread-safe. */
G_GNUC_INTERNAL GstBuffer *gst_resilient_frame_buffer_new (GstMemory * block,
    guint8 * block_data, gsize offset, gsize size);

/* The usual size of a read block; only blocks of this size are recycled. */
#define GST_RESILIENT_FRAME_BLOCK_SIZE (64 * 1024)

/* A read block of @size bytes (system memory, writable while no frame
 * shares it): a recycled one when @size is GST_RESILIENT_FRAME_BLOCK_SIZE
 * and one is free. Thread-safe. */
G_GNUC_INTERNAL GstMemory *gst_resilient_frame_block_new (gsize size);

/* How many buffers, memories and blocks wait in the free lists (for
 * tests); each may be NULL. */
G_GNUC_INTERNAL void gst_resilient_frame_buffer_free_counts (guint * buffers,
    guint * memories, guint * blocks);

G_END_DECLS
