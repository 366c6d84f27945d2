/* resilientrtsp
 * tests/check/framebuf.c: the recycled frame buffers of the TCP read path.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/check/gstcheck.h>

#include "framebuf.h"

#define BLOCK_SIZE 1000

typedef struct
{
  GstMemory *block;
  guint8 *data;
  gboolean freed;
} Block;

static void
on_block_freed (gpointer user_data, GstMiniObject * obj)
{
  ((Block *) user_data)->freed = TRUE;
}

static void
block_init (Block * b)
{
  GstMapInfo map;
  guint i;

  b->block = gst_allocator_alloc (NULL, BLOCK_SIZE, NULL);
  fail_unless (gst_memory_map (b->block, &map, GST_MAP_WRITE));
  for (i = 0; i < BLOCK_SIZE; i++)
    map.data[i] = (guint8) (i * 7);
  gst_memory_unmap (b->block, &map);
  b->data = map.data;
  b->freed = FALSE;
  gst_mini_object_weak_ref (GST_MINI_OBJECT_CAST (b->block), on_block_freed, b);
}

/* @buf holds the block's bytes from @offset. */
static void
assert_bytes (GstBuffer * buf, gsize offset, gsize size)
{
  GstMapInfo map;
  gsize i;

  fail_unless_equals_uint64 (gst_buffer_get_size (buf), size);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  for (i = 0; i < size; i++)
    fail_unless_equals_int (map.data[i], (guint8) ((offset + i) * 7));
  gst_buffer_unmap (buf, &map);
}

/* A frame shares the block (no copy), keeps it alive after its reader
 * lets go, and both objects come back for the next frame. */
GST_START_TEST (test_share_and_recycle)
{
  Block b;
  GstBuffer *buf, *again;
  GstMemory *mem;
  GstMapInfo map;
  guint free_bufs, free_mems, bufs_after, mems_after;

  block_init (&b);
  buf = gst_resilient_frame_buffer_new (b.block, b.data, 10, 100);
  assert_bytes (buf, 10, 100);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  fail_unless (map.data == b.data + 10, "copied");
  gst_buffer_unmap (buf, &map);
  mem = gst_buffer_peek_memory (buf, 0);
  fail_unless (gst_memory_is_type (mem, "ResilientRtspFrame"));

  /* the reader lets the block go; the frame keeps it */
  gst_memory_unref (b.block);
  fail_if (b.freed);
  assert_bytes (buf, 10, 100);

  gst_resilient_frame_buffer_free_counts (&free_bufs, &free_mems, NULL);
  gst_buffer_unref (buf);
  fail_unless (b.freed, "the block outlived its last frame");
  gst_resilient_frame_buffer_free_counts (&bufs_after, &mems_after, NULL);
  fail_unless_equals_int (bufs_after, free_bufs + 1);
  fail_unless_equals_int (mems_after, free_mems + 1);

  /* the next frame reuses both */
  block_init (&b);
  again = gst_resilient_frame_buffer_new (b.block, b.data, 0, 50);
  gst_resilient_frame_buffer_free_counts (&bufs_after, &mems_after, NULL);
  fail_unless_equals_int (bufs_after, free_bufs);
  fail_unless_equals_int (mems_after, free_mems);
  assert_bytes (again, 0, 50);
  gst_memory_unref (b.block);
  gst_buffer_unref (again);
  fail_unless (b.freed);
}

GST_END_TEST;

/* What downstream may do with a frame: share a part, copy it, copy the
 * buffer and drop the copies in any order, write (to a copy). A recycled
 * buffer comes back clean: no meta, flags or timestamps. */
GST_START_TEST (test_downstream_use)
{
  Block b;
  GstBuffer *buf, *region, *deep, *shallow, *next;
  GstMapInfo map;
  guint i;

  for (i = 0; i < 2; i++) {
    block_init (&b);
    buf = gst_resilient_frame_buffer_new (b.block, b.data, 100, 400);
    gst_memory_unref (b.block);
    GST_BUFFER_PTS (buf) = 5 * GST_SECOND;
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    gst_buffer_add_reference_timestamp_meta (buf,
        gst_static_caps_get (&(GstStaticCaps) GST_STATIC_CAPS ("x/y")),
        GST_SECOND, GST_CLOCK_TIME_NONE);

    region = gst_buffer_copy_region (buf, GST_BUFFER_COPY_MEMORY, 20, 30);
    assert_bytes (region, 120, 30);
    deep = gst_buffer_copy_deep (buf);
    assert_bytes (deep, 100, 400);
    shallow = gst_buffer_copy (buf);
    assert_bytes (shallow, 100, 400);

    /* writing maps a copy, never the block */
    shallow = gst_buffer_make_writable (shallow);
    fail_unless (gst_buffer_map (shallow, &map, GST_MAP_WRITE));
    memset (map.data, 0, map.size);
    gst_buffer_unmap (shallow, &map);
    assert_bytes (buf, 100, 400);

    if (i == 0) {
      gst_buffer_unref (buf);
      gst_buffer_unref (region);
    } else {
      gst_buffer_unref (region);
      gst_buffer_unref (buf);
    }
    gst_buffer_unref (shallow);
    gst_buffer_unref (deep);
    fail_unless (b.freed, "round %u: the block outlived its frames", i);
  }

  block_init (&b);
  next = gst_resilient_frame_buffer_new (b.block, b.data, 0, 10);
  gst_memory_unref (b.block);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (next), GST_CLOCK_TIME_NONE);
  fail_if (GST_BUFFER_FLAG_IS_SET (next, GST_BUFFER_FLAG_DISCONT));
  fail_unless_equals_int (gst_buffer_get_n_meta (next,
          GST_REFERENCE_TIMESTAMP_META_API_TYPE), 0);
  fail_unless_equals_int (gst_buffer_n_memory (next), 1);
  fail_unless (gst_buffer_is_writable (next));
  gst_buffer_unref (next);
  fail_unless (b.freed);
}

GST_END_TEST;

typedef struct
{
  GAsyncQueue *queue;
  guint n;
} Releaser;

static gpointer
release_thread (gpointer data)
{
  Releaser *r = data;
  guint i;

  for (i = 0; i < r->n; i++)
    gst_buffer_unref (g_async_queue_pop (r->queue));
  return NULL;
}

/* Frames made on one thread and dropped on another, as downstream does. */
GST_START_TEST (test_threads)
{
  Releaser r = { g_async_queue_new (), 20000 };
  GThread *t = g_thread_new ("release", release_thread, &r);
  Block b;
  guint i;

  block_init (&b);
  for (i = 0; i < r.n; i++) {
    GstBuffer *buf = gst_resilient_frame_buffer_new (b.block, b.data,
        i % 900, 100);

    g_async_queue_push (r.queue, buf);
  }
  gst_memory_unref (b.block);
  g_thread_join (t);
  fail_unless (b.freed);
  g_async_queue_unref (r.queue);
}

GST_END_TEST;

/* A read block of the usual size comes back once the connection and every
 * frame on it let go, and is handed out again; other sizes are freed. */
GST_START_TEST (test_block_recycle)
{
  GstMemory *block, *again, *odd;
  GstBuffer *buf;
  GstMapInfo map;
  guint before, after;
  gboolean odd_freed = FALSE;
  Block o = { 0, };

  block = gst_resilient_frame_block_new (GST_RESILIENT_FRAME_BLOCK_SIZE);
  fail_unless (block != NULL);
  fail_unless (gst_memory_get_sizes (block, NULL, NULL) ==
      GST_RESILIENT_FRAME_BLOCK_SIZE);
  fail_unless (gst_memory_map (block, &map, GST_MAP_WRITE));
  memset (map.data, 0x5a, map.size);
  gst_memory_unmap (block, &map);
  buf = gst_resilient_frame_buffer_new (block, map.data, 100, 200);

  gst_resilient_frame_buffer_free_counts (NULL, NULL, &before);
  gst_memory_unref (block);
  gst_resilient_frame_buffer_free_counts (NULL, NULL, &after);
  /* (not while a frame shares it) */
  fail_unless_equals_int (after, before);
  gst_buffer_unref (buf);
  gst_resilient_frame_buffer_free_counts (NULL, NULL, &after);
  fail_unless_equals_int (after, before + 1);

  /* the same block again, writable: no window is left on it */
  again = gst_resilient_frame_block_new (GST_RESILIENT_FRAME_BLOCK_SIZE);
  gst_resilient_frame_buffer_free_counts (NULL, NULL, &after);
  fail_unless_equals_int (after, before);
  fail_unless (gst_memory_map (again, &map, GST_MAP_WRITE));
  memset (map.data, 0xa5, map.size);
  gst_memory_unmap (again, &map);
  buf = gst_resilient_frame_buffer_new (again, map.data, 0, 10);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  fail_unless_equals_int (map.data[9], 0xa5);
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
  gst_memory_unref (again);

  /* a block for a frame larger than usual is freed as usual */
  odd = gst_resilient_frame_block_new (GST_RESILIENT_FRAME_BLOCK_SIZE + 1);
  o.block = odd;
  gst_mini_object_weak_ref (GST_MINI_OBJECT_CAST (odd), on_block_freed, &o);
  gst_resilient_frame_buffer_free_counts (NULL, NULL, &before);
  gst_memory_unref (odd);
  odd_freed = o.freed;
  gst_resilient_frame_buffer_free_counts (NULL, NULL, &after);
  fail_unless (odd_freed);
  fail_unless_equals_int (after, before);
}

GST_END_TEST;

static Suite *
framebuf_suite (void)
{
  Suite *s = suite_create ("framebuf");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_share_and_recycle);
  tcase_add_test (tc, test_downstream_use);
  tcase_add_test (tc, test_threads);
  tcase_add_test (tc, test_block_recycle);
  return s;
}

GST_CHECK_MAIN (framebuf);
