/* resilientrtsp
 * framebuf.c: recycled buffers for interleaved frames (see framebuf.h).
 *
 * The memory is a GstMemory of our own allocator: a window (offset, size)
 * on a parent block, mapped as the block's bytes, read-only. Sharing it
 * makes another window on the same block; copying it makes system memory.
 *
 * Recycling: the dispose function of a buffer or memory whose last
 * reference went takes a new one and puts the object on a free list
 * (unless the list is full: then it is freed as usual). A buffer loses its
 * memories, metas, flags and timestamps there; a memory gives its block
 * back. A read block (system memory of the usual size) goes to a list of
 * its own when the connection has moved on and the last window on it has
 * gone; it is handed out again as it is (its bytes are overwritten).
 * Objects are reused as they are, not initialised again, so what a
 * mini-object keeps privately (its parents' list) stays with it.
 *
 * Threads: any (the last reference goes wherever downstream drops it);
 * the free lists have a lock of their own. locking order: lock → none.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "framebuf.h"

#include <gst/base/gstqueuearray.h>
#include <string.h>

/* enough for the frames in flight of many streams; beyond, freed */
#define MAX_FREE 4096
/* 64 KiB each, so at most 4 MiB kept: only blocks no connection reads into
 * and no frame shares any more wait here */
#define MAX_FREE_BLOCKS 64

typedef struct
{
  GstMemory mem;
  guint8 *base;                 /* the parent block's bytes */
} FrameMemory;

typedef GstAllocator FrameAllocator;
typedef GstAllocatorClass FrameAllocatorClass;

G_GNUC_INTERNAL GType frame_allocator_get_type (void);
G_DEFINE_TYPE (FrameAllocator, frame_allocator, GST_TYPE_ALLOCATOR);

static GMutex lock;
static GstQueueArray *free_buffers;     /* lock */
static GstQueueArray *free_memories;    /* lock */
static GstQueueArray *free_blocks;      /* lock */
static GstAllocator *allocator; /* once */

static gboolean frame_memory_dispose (GstMiniObject * obj);
static gboolean frame_buffer_dispose (GstMiniObject * obj);
static gboolean frame_block_dispose (GstMiniObject * obj);

/* ---------------------------------------------------------------------- */
/* the free lists */

static gpointer
free_list_pop (GstQueueArray * list)
{
  gpointer obj;

  g_mutex_lock (&lock);
  obj = gst_queue_array_pop_head (list);
  g_mutex_unlock (&lock);
  return obj;
}

/* (checked before the object is cleaned up for the list: a few disposes at
 * once may take the list a little past @max) */
static gboolean
free_list_has_room (GstQueueArray * list, guint max)
{
  gboolean room;

  g_mutex_lock (&lock);
  room = gst_queue_array_get_length (list) < max;
  g_mutex_unlock (&lock);
  return room;
}

static void
free_list_push (GstQueueArray * list, gpointer obj)
{
  g_mutex_lock (&lock);
  gst_queue_array_push_tail (list, obj);
  g_mutex_unlock (&lock);
}

/* ---------------------------------------------------------------------- */
/* the allocator */

static gpointer
frame_memory_map (GstMemory * mem, gsize maxsize, GstMapFlags flags)
{
  /* (gst_memory_map() adds the offset) */
  return ((FrameMemory *) mem)->base;
}

static void
frame_memory_unmap (GstMemory * mem)
{
}

static FrameMemory *frame_memory_take (GstMemory * block, guint8 * base,
    gsize maxsize, gsize offset, gsize size);

static GstMemory *
frame_memory_share (GstMemory * mem, gssize offset, gssize size)
{
  FrameMemory *fm = (FrameMemory *) mem;

  if (size == -1)
    size = (gssize) mem->size > offset ? (gssize) mem->size - offset : 0;
  return (GstMemory *) frame_memory_take (mem->parent, fm->base, mem->maxsize,
      mem->offset + offset, size);
}

static GstMemory *
frame_memory_copy (GstMemory * mem, gssize offset, gssize size)
{
  FrameMemory *fm = (FrameMemory *) mem;
  GstMemory *copy;
  GstMapInfo map;

  if (size == -1)
    size = (gssize) mem->size > offset ? (gssize) mem->size - offset : 0;
  copy = gst_allocator_alloc (NULL, size, NULL);
  if (!gst_memory_map (copy, &map, GST_MAP_WRITE)) {
    gst_memory_unref (copy);
    return NULL;
  }
  memcpy (map.data, fm->base + mem->offset + offset, size);
  gst_memory_unmap (copy, &map);
  return copy;
}

static gboolean
frame_memory_is_span (GstMemory * mem1, GstMemory * mem2, gsize * offset)
{
  return FALSE;
}

static GstMemory *
frame_allocator_alloc (GstAllocator * alloc, gsize size,
    GstAllocationParams * params)
{
  /* (frames only come from the connection) */
  return NULL;
}

static void
frame_allocator_free (GstAllocator * alloc, GstMemory * mem)
{
  g_free (mem);
}

static void
frame_allocator_class_init (FrameAllocatorClass * klass)
{
  klass->alloc = frame_allocator_alloc;
  klass->free = frame_allocator_free;
}

static void
frame_allocator_init (FrameAllocator * alloc)
{
  alloc->mem_type = "ResilientRtspFrame";
  alloc->mem_map = frame_memory_map;
  alloc->mem_unmap = frame_memory_unmap;
  alloc->mem_share = frame_memory_share;
  alloc->mem_copy = frame_memory_copy;
  alloc->mem_is_span = frame_memory_is_span;
  GST_OBJECT_FLAG_SET (alloc, GST_ALLOCATOR_FLAG_CUSTOM_ALLOC);
}

static void
init_once (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    allocator = g_object_new (frame_allocator_get_type (), NULL);
    gst_object_ref_sink (allocator);
    free_buffers = gst_queue_array_new (64);
    free_memories = gst_queue_array_new (64);
    free_blocks = gst_queue_array_new (MAX_FREE_BLOCKS);
    g_once_init_leave (&done, 1);
  }
}

/* ---------------------------------------------------------------------- */
/* memories */

/* Points @fm at its block (a reference, locked as a parent, as
 * gst_memory_init() does). */
static void
frame_memory_attach (FrameMemory * fm, GstMemory * block, guint8 * base,
    gsize maxsize, gsize offset, gsize size)
{
  GstMemory *mem = (GstMemory *) fm;

  gst_memory_lock (block, GST_LOCK_FLAG_EXCLUSIVE);
  mem->parent = gst_memory_ref (block);
  mem->maxsize = maxsize;
  mem->offset = offset;
  mem->size = size;
  fm->base = base;
}

static FrameMemory *
frame_memory_take (GstMemory * block, guint8 * base, gsize maxsize,
    gsize offset, gsize size)
{
  FrameMemory *fm = free_list_pop (free_memories);

  if (fm == NULL) {
    fm = g_new0 (FrameMemory, 1);
    gst_memory_init ((GstMemory *) fm, GST_MEMORY_FLAG_READONLY, allocator,
        NULL, maxsize, 0, offset, size);
    GST_MINI_OBJECT_CAST (fm)->dispose = frame_memory_dispose;
  } else {
    /* (as it was made; a recycled one has its one reference already) */
    GST_MINI_OBJECT_FLAGS (fm) = GST_MINI_OBJECT_FLAG_LOCKABLE |
        GST_MEMORY_FLAG_READONLY;
  }
  frame_memory_attach (fm, block, base, maxsize, offset, size);
  return fm;
}

static gboolean
frame_memory_dispose (GstMiniObject * obj)
{
  GstMemory *mem = (GstMemory *) obj;
  GstMemory *block = mem->parent;

  if (!free_list_has_room (free_memories, MAX_FREE))
    return TRUE;

  /* the block goes, as _gst_memory_free() would let it go */
  gst_memory_unlock (block, GST_LOCK_FLAG_EXCLUSIVE);
  mem->parent = NULL;
  gst_memory_unref (block);

  gst_mini_object_ref (obj);
  free_list_push (free_memories, mem);
  return FALSE;
}

/* ---------------------------------------------------------------------- */
/* buffers */

static gboolean
remove_meta (GstBuffer * buf, GstMeta ** meta, gpointer user_data)
{
  *meta = NULL;
  return TRUE;
}

static gboolean
frame_buffer_dispose (GstMiniObject * obj)
{
  GstBuffer *buf = (GstBuffer *) obj;

  if (!free_list_has_room (free_buffers, MAX_FREE))
    return TRUE;

  /* back to what gst_buffer_new() gives (writable: ours again) */
  gst_mini_object_ref (obj);
  gst_buffer_remove_all_memory (buf);
  gst_buffer_foreach_meta (buf, remove_meta, NULL);
  GST_MINI_OBJECT_FLAGS (buf) = 0;
  GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DURATION (buf) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_OFFSET (buf) = GST_BUFFER_OFFSET_END (buf) =
      GST_BUFFER_OFFSET_NONE;

  free_list_push (free_buffers, buf);
  return FALSE;
}

GstBuffer *
gst_resilient_frame_buffer_new (GstMemory * block, guint8 * block_data,
    gsize offset, gsize size)
{
  GstBuffer *buf;

  g_return_val_if_fail (block != NULL, NULL);
  g_return_val_if_fail (offset + size <= block->maxsize, NULL);

  init_once ();
  buf = free_list_pop (free_buffers);
  if (buf == NULL) {
    buf = gst_buffer_new ();
    GST_MINI_OBJECT_CAST (buf)->dispose = frame_buffer_dispose;
  }
  if (size > 0) {
    gst_buffer_append_memory (buf, (GstMemory *) frame_memory_take (block,
            block_data, block->maxsize, offset, size));
  }
  return buf;
}

/* ---------------------------------------------------------------------- */
/* read blocks */

static gboolean
frame_block_dispose (GstMiniObject * obj)
{
  if (!free_list_has_room (free_blocks, MAX_FREE_BLOCKS))
    return TRUE;
  /* nothing to clean: no window is left on it (each held a reference) */
  gst_mini_object_ref (obj);
  free_list_push (free_blocks, obj);
  return FALSE;
}

GstMemory *
gst_resilient_frame_block_new (gsize size)
{
  GstMemory *block = NULL;

  init_once ();
  if (size == GST_RESILIENT_FRAME_BLOCK_SIZE)
    block = free_list_pop (free_blocks);
  if (block == NULL) {
    block = gst_allocator_alloc (NULL, size, NULL);
    if (block != NULL && size == GST_RESILIENT_FRAME_BLOCK_SIZE)
      GST_MINI_OBJECT_CAST (block)->dispose = frame_block_dispose;
  }
  return block;
}

void
gst_resilient_frame_buffer_free_counts (guint * buffers, guint * memories,
    guint * blocks)
{
  init_once ();
  g_mutex_lock (&lock);
  if (buffers)
    *buffers = gst_queue_array_get_length (free_buffers);
  if (memories)
    *memories = gst_queue_array_get_length (free_memories);
  if (blocks)
    *blocks = gst_queue_array_get_length (free_blocks);
  g_mutex_unlock (&lock);
}
