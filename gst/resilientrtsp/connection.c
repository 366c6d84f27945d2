/* resilientrtsp
 * connection.c: one RTSP control channel on a connected GIOStream.
 *
 * Reading: everything runs on the shared I/O context. Bytes are read with
 * g_pollable_input_stream_read_nonblocking into "blocks" (GstMemory of at
 * least 64 KiB) and handed to the framer. An interleaved frame becomes a
 * GstBuffer holding a memory that shares the block: zero-copy, and both
 * recycled (framebuf.c), so no allocation per frame. When a block
 * is full and a frame is still incomplete at its tail, the partial frame is
 * copied to the start of a new block; only those frames count as copied.
 * Blocks we are done with are released at once: the frames handed out
 * keep them alive as long as they need to, and the last one gives a block
 * of the usual size back for the next read (framebuf.c).
 *
 * Writing: send_message/send_data may be called from any thread. Items go
 * into a queue under the lock; the first item queued while no flush is
 * pending schedules one on the I/O thread (holding a reference), which writes
 * with writev_nonblocking and waits on a pollable output source while the
 * stream would block.
 *
 * Lifetime: while reading or waiting to write, the I/O sources hold a
 * reference on the connection, so a callback may drop the owner's reference
 * safely. Callers must call gst_resilient_connection_close() (or get the
 * closed callback) to stop them.
 *
 * locking order: lock (per connection) → none
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "connection.h"
#include "framebuf.h"
#include "error.h"
#include "framer.h"

GST_DEBUG_CATEGORY_STATIC (connection_debug);
#define GST_CAT_DEFAULT connection_debug

#define BLOCK_SIZE GST_RESILIENT_FRAME_BLOCK_SIZE
/* reads per dispatch of the read source, so one busy connection can't
 * starve the others on the shared context */
#define MAX_READS_PER_DISPATCH 16
/* writes per flush before yielding to the rest of the context */
#define MAX_WRITES_PER_FLUSH 16
/* data frames are dropped when more than this is queued */
#define MAX_QUEUED_BYTES (1024 * 1024)
/* output vectors per writev: two per item (header + payload) */
#define MAX_VECTORS 32

typedef struct
{
  GBytes *bytes;                /* a serialized message, or NULL */
  GstBuffer *buffer;            /* an interleaved payload, or NULL */
  GstMapInfo map;               /* of @buffer */
  guint8 header[4];             /* interleaved header, for @buffer */
  gsize size;                   /* bytes on the wire */
} SendItem;

struct _GstResilientConnection
{
  GObject parent;

  GstResilientIoContext *io;    /* immutable */
  GIOStream *stream;            /* immutable */
  GPollableInputStream *input;  /* immutable */
  GPollableOutputStream *output;        /* immutable */
  GstResilientConnectionCallbacks callbacks;    /* immutable */
  gpointer user_data;           /* immutable */

  /* I/O thread only (or before start) */
  GstResilientFramer *framer;
  GSource *read_source;
  GSource *write_source;
  gboolean started;
  gboolean dead;                /* closed or close()d: no callbacks any more */
  GstMemory *block;             /* the block being read into */
  guint8 *block_data;           /* its bytes */
  gsize block_size;
  gsize block_start;            /* first byte not parsed yet */
  gsize block_fill;             /* end of the bytes read */
  gsize needed;                 /* last NEED_MORE @needed, 0 if unknown */
  gboolean head_copied;         /* the frame at block_start was moved from an older block */
  gboolean plain_socket;        /* the stream is a GSocketConnection (no TLS, no tunnel) */
  gsize write_offset;           /* bytes of the head send item already written */

  GMutex lock;
  GQueue send_queue;            /* lock: SendItem */
  gsize queued_bytes;           /* lock */
  gboolean flush_pending;       /* lock: a flush is scheduled or waiting on the write source */
  gboolean closed;              /* lock: sends are refused */
  GstResilientConnectionStats stats;    /* lock */
};

G_DEFINE_TYPE (GstResilientConnection, gst_resilient_connection, G_TYPE_OBJECT);

static void connection_shutdown (GstResilientConnection * conn);

static void
send_item_free (SendItem * item)
{
  if (item->bytes)
    g_bytes_unref (item->bytes);
  if (item->buffer) {
    gst_buffer_unmap (item->buffer, &item->map);
    gst_buffer_unref (item->buffer);
  }
  g_free (item);
}

static void
gst_resilient_connection_init (GstResilientConnection * conn)
{
  g_mutex_init (&conn->lock);
  g_queue_init (&conn->send_queue);
}

static void
gst_resilient_connection_dispose (GObject * object)
{
  GstResilientConnection *conn = GST_RESILIENT_CONNECTION (object);

  /* the sources hold references while active, so we only get here with the
   * connection never started, closed, or after the closed callback */
  if (!conn->dead)
    connection_shutdown (conn);

  G_OBJECT_CLASS (gst_resilient_connection_parent_class)->dispose (object);
}

static void
gst_resilient_connection_finalize (GObject * object)
{
  GstResilientConnection *conn = GST_RESILIENT_CONNECTION (object);

  GST_DEBUG_OBJECT (conn, "finalize");

  g_queue_clear_full (&conn->send_queue, (GDestroyNotify) send_item_free);
  if (conn->framer)
    gst_resilient_framer_free (conn->framer);
  g_clear_object (&conn->stream);
  gst_resilient_io_context_unref (conn->io);
  g_mutex_clear (&conn->lock);

  G_OBJECT_CLASS (gst_resilient_connection_parent_class)->finalize (object);
}

static void
gst_resilient_connection_class_init (GstResilientConnectionClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->dispose = gst_resilient_connection_dispose;
  gobject_class->finalize = gst_resilient_connection_finalize;

  GST_DEBUG_CATEGORY_INIT (connection_debug, "resilientrtspconnection", 0,
      "resilientrtsp control connection");
}

GstResilientConnection *
gst_resilient_connection_new (GstResilientIoContext * io, GIOStream * stream,
    const GstResilientConnectionCallbacks * callbacks, gpointer user_data)
{
  GstResilientConnection *conn;
  GInputStream *input;
  GOutputStream *output;

  g_return_val_if_fail (io != NULL, NULL);
  g_return_val_if_fail (G_IS_IO_STREAM (stream), NULL);
  g_return_val_if_fail (callbacks != NULL, NULL);

  input = g_io_stream_get_input_stream (stream);
  output = g_io_stream_get_output_stream (stream);
  g_return_val_if_fail (G_IS_POLLABLE_INPUT_STREAM (input), NULL);
  g_return_val_if_fail (G_IS_POLLABLE_OUTPUT_STREAM (output), NULL);

  conn = g_object_new (GST_TYPE_RESILIENT_CONNECTION, NULL);
  conn->io = gst_resilient_io_context_ref (io);
  conn->stream = g_object_ref (stream);
  conn->input = G_POLLABLE_INPUT_STREAM (input);
  conn->output = G_POLLABLE_OUTPUT_STREAM (output);
  conn->callbacks = *callbacks;
  conn->user_data = user_data;
  conn->framer = gst_resilient_framer_new (NULL);

  GST_DEBUG_OBJECT (conn, "new connection on %" GST_PTR_FORMAT, stream);

  return conn;
}

void
gst_resilient_connection_set_framer_limits (GstResilientConnection * conn,
    const GstResilientFramerLimits * limits)
{
  g_return_if_fail (GST_IS_RESILIENT_CONNECTION (conn));
  g_return_if_fail (!conn->started);

  gst_resilient_framer_free (conn->framer);
  conn->framer = gst_resilient_framer_new (limits);
}

/* Called on the I/O thread, never after connection_shutdown(). */
static void
connection_fail (GstResilientConnection * conn, GError * error)
{
  if (conn->dead) {
    g_error_free (error);
    return;
  }

  GST_INFO_OBJECT (conn, "connection closed: %s", error->message);

  connection_shutdown (conn);
  if (conn->callbacks.closed)
    conn->callbacks.closed (conn, error, conn->user_data);
  g_error_free (error);
}

/* Stops everything; no callback is called after it. */
static void
connection_shutdown (GstResilientConnection * conn)
{
  GQueue items = G_QUEUE_INIT;

  conn->dead = TRUE;

  g_mutex_lock (&conn->lock);
  conn->closed = TRUE;
  conn->flush_pending = FALSE;
  items = conn->send_queue;
  g_queue_init (&conn->send_queue);
  conn->queued_bytes = 0;
  g_mutex_unlock (&conn->lock);

  if (items.length > 0)
    GST_DEBUG_OBJECT (conn, "dropping %u unsent items", items.length);
  g_queue_clear_full (&items, (GDestroyNotify) send_item_free);
  conn->write_offset = 0;

  /* destroying a source drops the reference it holds on us: the callers hold
   * their own, or run from dispose */
  if (conn->read_source) {
    g_source_destroy (conn->read_source);
    g_clear_pointer (&conn->read_source, g_source_unref);
  }
  if (conn->write_source) {
    g_source_destroy (conn->write_source);
    g_clear_pointer (&conn->write_source, g_source_unref);
  }

  if (conn->block) {
    gst_memory_unref (conn->block);
    conn->block = NULL;
    conn->block_data = NULL;
    conn->block_size = conn->block_start = conn->block_fill = 0;
  }

  /* closing a socket never blocks; a TLS close may, so it goes async when
   * we are on the I/O thread */
  if (G_IS_SOCKET_CONNECTION (conn->stream)
      || !gst_resilient_io_context_is_current (conn->io)) {
    g_io_stream_close (conn->stream, NULL, NULL);
  } else {
    g_io_stream_close_async (conn->stream, G_PRIORITY_DEFAULT, NULL, NULL,
        NULL);
  }
}

/* Makes room to read into when there is no block or the block is full: a
 * new block, with the incomplete frame at the tail of the old one (if any)
 * copied to its start. */
static void
ensure_block_space (GstResilientConnection * conn)
{
  gsize pending = conn->block_fill - conn->block_start;
  gsize size;
  GstMemory *block;
  GstMapInfo map;

  size = MAX (BLOCK_SIZE, conn->needed);
  if (size <= pending)
    size = pending + BLOCK_SIZE;

  block = gst_resilient_frame_block_new (size);
  /* keep our own pointer: the system memory stays where it is, and mapping
   * it writable while sub-buffers share it would fail */
  if (!gst_memory_map (block, &map, GST_MAP_WRITE))
    g_error ("cannot map a new block of %" G_GSIZE_FORMAT " bytes", size);
  gst_memory_unmap (block, &map);

  if (pending > 0) {
    memcpy (map.data, conn->block_data + conn->block_start, pending);
    GST_LOG_OBJECT (conn, "moved %" G_GSIZE_FORMAT " partial bytes to a new "
        "block of %" G_GSIZE_FORMAT, pending, size);
  }

  if (conn->block)
    gst_memory_unref (conn->block);
  conn->block = block;
  conn->block_data = map.data;
  conn->block_size = size;
  conn->block_start = 0;
  conn->block_fill = pending;
  conn->head_copied = (pending > 0);

  g_mutex_lock (&conn->lock);
  conn->stats.blocks_allocated++;
  g_mutex_unlock (&conn->lock);
}

static void
handle_data_frame (GstResilientConnection * conn,
    const GstResilientFrame * frame, gsize frame_start, gboolean copied)
{
  GstBuffer *buf = gst_resilient_frame_buffer_new (conn->block,
      conn->block_data, frame_start + frame->data_offset, frame->data_size);

  g_mutex_lock (&conn->lock);
  conn->stats.frames_received++;
  if (copied)
    conn->stats.frame_bytes_copied += frame->data_size;
  else
    conn->stats.frame_bytes_shared += frame->data_size;
  g_mutex_unlock (&conn->lock);

  GST_LOG_OBJECT (conn, "channel %u: %" G_GSIZE_FORMAT " bytes%s",
      frame->channel, frame->data_size, copied ? " (copied)" : "");

  if (conn->callbacks.data)
    conn->callbacks.data (conn, frame->channel, buf, conn->user_data);
  else
    gst_buffer_unref (buf);
}

/* Parses and dispatches what has been read. Returns FALSE when the
 * connection went down (in a callback or by a framing error). */
static gboolean
parse_available (GstResilientConnection * conn)
{
  GError *error = NULL;

  while (!conn->dead && conn->block_start < conn->block_fill) {
    GstResilientFrame frame = { 0, };
    GstResilientFrameResult res;
    gsize consumed = 0, needed = 0;
    gsize frame_start = conn->block_start;
    gboolean copied;

    res = gst_resilient_framer_parse (conn->framer,
        conn->block_data + frame_start, conn->block_fill - frame_start,
        &consumed, &needed, &frame, &error);

    switch (res) {
      case GST_RESILIENT_FRAME_NEED_MORE:
        conn->needed = needed;
        return TRUE;
      case GST_RESILIENT_FRAME_ERROR:
        goto framing_error;
      default:
        break;
    }
    if (consumed == 0 || consumed > conn->block_fill - frame_start) {
      if (res == GST_RESILIENT_FRAME_MESSAGE)
        gst_rtsp_message_free (frame.message);
      goto framing_error;
    }

    switch (res) {
      case GST_RESILIENT_FRAME_MESSAGE:
        conn->block_start += consumed;
        conn->head_copied = FALSE;
        g_mutex_lock (&conn->lock);
        conn->stats.messages_received++;
        g_mutex_unlock (&conn->lock);
        if (conn->callbacks.message)
          conn->callbacks.message (conn, frame.message, conn->user_data);
        else
          gst_rtsp_message_free (frame.message);
        break;
      case GST_RESILIENT_FRAME_DATA:
        conn->block_start += consumed;
        copied = conn->head_copied;
        conn->head_copied = FALSE;
        handle_data_frame (conn, &frame, frame_start, copied);
        break;
      default:
        g_assert_not_reached ();
    }
  }
  conn->needed = 0;
  return !conn->dead;

  /* ERRORS */
framing_error:
  {
    if (error == NULL)
      error = g_error_new_literal (GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_PROTOCOL, "malformed data from the server");
    GST_WARNING_OBJECT (conn, "framing error: %s", error->message);
    connection_fail (conn, error);
    return FALSE;
  }
}

/* One read. Returns FALSE when there is nothing more to read now or the
 * connection went down. */
static gboolean
read_once (GstResilientConnection * conn)
{
  GError *error = NULL;
  gssize n;
  gsize room;

  if (conn->block && conn->block_start == conn->block_fill
      && GST_MINI_OBJECT_REFCOUNT_VALUE (conn->block) == 1) {
    /* all parsed and nobody shares it any more: start over in it */
    conn->block_start = conn->block_fill = 0;
    conn->head_copied = FALSE;
  } else if (conn->block == NULL || conn->block_fill == conn->block_size) {
    ensure_block_space (conn);
  }

  room = conn->block_size - conn->block_fill;
  n = g_pollable_input_stream_read_nonblocking (conn->input,
      conn->block_data + conn->block_fill, room, NULL, &error);

  if (n < 0) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_error_free (error);
      return FALSE;
    }
    goto read_error;
  }
  if (n == 0)
    goto eof;

  conn->block_fill += n;
  g_mutex_lock (&conn->lock);
  conn->stats.bytes_received += n;
  g_mutex_unlock (&conn->lock);

  if (!parse_available (conn))
    return FALSE;

  if (conn->block_fill == conn->block_size
      && conn->block_start == conn->block_fill
      && GST_MINI_OBJECT_REFCOUNT_VALUE (conn->block) > 1) {
    /* full, parsed, and shared by what we handed out: let it go now rather
     * than allocate the next block for a read that may find nothing; the
     * source fires again if more is waiting */
    gst_memory_unref (conn->block);
    conn->block = NULL;
    conn->block_data = NULL;
    conn->block_size = conn->block_start = conn->block_fill = 0;
    return FALSE;
  }
  /* a plain socket that gave less than asked for is drained: reading again
   * would only fail with WOULD_BLOCK, a GError allocated per read; the
   * source fires again when more comes. (Not so for TLS, which returns a
   * record per read and may hold more, nor for a tunnel's stream.) */
  if ((gsize) n < room && conn->plain_socket)
    return FALSE;
  return TRUE;

  /* ERRORS */
read_error:
  {
    GError *err = gst_resilient_error_new_from_gio (error,
        "reading from the server");
    gboolean fresh;

    g_mutex_lock (&conn->lock);
    fresh = conn->stats.bytes_received == 0;
    g_mutex_unlock (&conn->lock);
    /* a server refusing our client certificate: say so */
    gst_resilient_connect_explain_error (conn->stream, err, fresh);

    GST_INFO_OBJECT (conn, "read error: %s", error->message);
    g_error_free (error);
    connection_fail (conn, err);
    return FALSE;
  }
eof:
  {
    GST_INFO_OBJECT (conn, "end of stream");
    connection_fail (conn, g_error_new_literal (GST_RESILIENT_ERROR,
            GST_RESILIENT_ERROR_CONNECTION_LOST,
            "server closed the connection"));
    return FALSE;
  }
}

static gboolean
on_readable (GObject * pollable, gpointer user_data)
{
  GstResilientConnection *conn = user_data;
  guint i;

  g_object_ref (conn);
  for (i = 0; i < MAX_READS_PER_DISPATCH && !conn->dead; i++) {
    if (!read_once (conn))
      break;
  }
  g_object_unref (conn);

  return G_SOURCE_CONTINUE;
}

static gboolean
on_socket_readable (GSocket * socket, GIOCondition condition,
    gpointer user_data)
{
  return on_readable (NULL, user_data);
}

void
gst_resilient_connection_start (GstResilientConnection * conn)
{
  g_return_if_fail (GST_IS_RESILIENT_CONNECTION (conn));
  g_return_if_fail (gst_resilient_io_context_is_current (conn->io));

  if (conn->started || conn->dead)
    return;
  conn->started = TRUE;

  conn->plain_socket = G_IS_SOCKET_CONNECTION (conn->stream);
  if (conn->plain_socket) {
    /* the socket's own source: a pollable stream's source would watch it
     * through a child source, which GLib blocks and unblocks around every
     * dispatch (a poll record freed and allocated, a wake-up written) */
    conn->read_source = g_socket_create_source (g_socket_connection_get_socket
        (G_SOCKET_CONNECTION (conn->stream)), G_IO_IN, NULL);
    g_source_set_callback (conn->read_source, (GSourceFunc) on_socket_readable,
        g_object_ref (conn), g_object_unref);
  } else {
    conn->read_source = g_pollable_input_stream_create_source (conn->input,
        NULL);
    g_source_set_callback (conn->read_source, (GSourceFunc) on_readable,
        g_object_ref (conn), g_object_unref);
  }
  /* never dispatched recursively (no callback iterates the context); the
   * flag spares the blocking around each dispatch described above */
  g_source_set_can_recurse (conn->read_source, TRUE);
  g_source_set_static_name (conn->read_source, "rrtsp-conn-read");
  gst_resilient_io_context_attach (conn->io, conn->read_source);

  GST_DEBUG_OBJECT (conn, "started");
}

void
gst_resilient_connection_close (GstResilientConnection * conn)
{
  g_return_if_fail (GST_IS_RESILIENT_CONNECTION (conn));
  g_return_if_fail (gst_resilient_io_context_is_current (conn->io));

  if (conn->dead)
    return;

  GST_DEBUG_OBJECT (conn, "close");
  g_object_ref (conn);
  connection_shutdown (conn);
  g_object_unref (conn);
}

/* Sending */

/* Fills up to @max vectors for @item, skipping its first @skip bytes. */
static guint
send_item_vectors (SendItem * item, gsize skip, GOutputVector * vecs, guint max)
{
  guint n = 0;

  if (item->bytes) {
    gsize size;
    const guint8 *data = g_bytes_get_data (item->bytes, &size);

    vecs[n].buffer = data + skip;
    vecs[n].size = size - skip;
    return 1;
  }

  if (skip < 4) {
    vecs[n].buffer = item->header + skip;
    vecs[n].size = 4 - skip;
    n++;
    skip = 0;
  } else {
    skip -= 4;
  }
  if (item->map.size > skip && n < max) {
    vecs[n].buffer = item->map.data + skip;
    vecs[n].size = item->map.size - skip;
    n++;
  }
  return n;
}

static gboolean on_writable (GObject * pollable, gpointer user_data);

static void
ensure_write_source (GstResilientConnection * conn)
{
  if (conn->write_source)
    return;

  conn->write_source = g_pollable_output_stream_create_source (conn->output,
      NULL);
  g_source_set_callback (conn->write_source, (GSourceFunc) on_writable,
      g_object_ref (conn), g_object_unref);
  g_source_set_static_name (conn->write_source, "rrtsp-conn-write");
  gst_resilient_io_context_attach (conn->io, conn->write_source);
}

/* I/O thread: writes what is queued until it would block. */
static void
flush_queue (GstResilientConnection * conn)
{
  GError *error = NULL;
  guint iter;

  for (iter = 0; iter < MAX_WRITES_PER_FLUSH; iter++) {
    GOutputVector vecs[MAX_VECTORS];
    guint n_vecs = 0;
    GList *l;
    gsize skip, written = 0;
    GPollableReturn res;

    if (conn->dead)
      return;

    g_mutex_lock (&conn->lock);
    skip = conn->write_offset;
    for (l = conn->send_queue.head; l && n_vecs + 2 <= MAX_VECTORS; l = l->next) {
      n_vecs += send_item_vectors (l->data, skip, vecs + n_vecs,
          MAX_VECTORS - n_vecs);
      skip = 0;
    }
    if (n_vecs == 0) {
      /* all written: the next send schedules a new flush */
      conn->flush_pending = FALSE;
      g_mutex_unlock (&conn->lock);
      if (conn->write_source) {
        g_source_destroy (conn->write_source);
        g_clear_pointer (&conn->write_source, g_source_unref);
      }
      return;
    }
    g_mutex_unlock (&conn->lock);

    /* only this thread removes items, so the vectors stay valid */
    res = g_pollable_output_stream_writev_nonblocking (conn->output, vecs,
        n_vecs, &written, NULL, &error);

    if (res == G_POLLABLE_RETURN_WOULD_BLOCK) {
      ensure_write_source (conn);
      return;
    }
    if (res == G_POLLABLE_RETURN_FAILED)
      goto write_error;

    g_mutex_lock (&conn->lock);
    conn->stats.bytes_sent += written;
    while (written > 0) {
      SendItem *item = g_queue_peek_head (&conn->send_queue);
      gsize left = item->size - conn->write_offset;

      if (written < left) {
        conn->write_offset += written;
        break;
      }
      written -= left;
      conn->write_offset = 0;
      conn->queued_bytes -= item->size;
      g_queue_pop_head (&conn->send_queue);
      send_item_free (item);
    }
    g_mutex_unlock (&conn->lock);
  }

  /* more to write: continue when writable, after the other sources had
   * their turn */
  ensure_write_source (conn);
  return;

  /* ERRORS */
write_error:
  {
    GError *err = gst_resilient_error_new_from_gio (error,
        "sending to the server");
    gboolean fresh;

    g_mutex_lock (&conn->lock);
    fresh = conn->stats.bytes_received == 0;
    g_mutex_unlock (&conn->lock);
    /* a server refusing our client certificate: say so */
    gst_resilient_connect_explain_error (conn->stream, err, fresh);

    GST_INFO_OBJECT (conn, "write error: %s", error->message);
    g_error_free (error);
    connection_fail (conn, err);
    return;
  }
}

static gboolean
on_writable (GObject * pollable, gpointer user_data)
{
  GstResilientConnection *conn = user_data;

  g_object_ref (conn);
  flush_queue (conn);
  g_object_unref (conn);

  return G_SOURCE_CONTINUE;
}

static gboolean
on_flush_invoke (gpointer user_data)
{
  GstResilientConnection *conn = user_data;

  /* a write source may already be waiting: then it takes care of it */
  if (conn->write_source == NULL)
    flush_queue (conn);

  return G_SOURCE_REMOVE;
}

static gboolean
connection_enqueue (GstResilientConnection * conn, SendItem * item,
    gboolean droppable)
{
  gboolean schedule = FALSE;

  g_mutex_lock (&conn->lock);
  if (conn->closed)
    goto closed;
  if (droppable && conn->queued_bytes > MAX_QUEUED_BYTES)
    goto full;

  g_queue_push_tail (&conn->send_queue, item);
  conn->queued_bytes += item->size;
  if (!conn->flush_pending) {
    conn->flush_pending = TRUE;
    schedule = TRUE;
  }
  g_mutex_unlock (&conn->lock);

  if (schedule) {
    gst_resilient_io_context_invoke (conn->io, on_flush_invoke,
        g_object_ref (conn), g_object_unref);
  }
  return TRUE;

  /* ERRORS */
closed:
  {
    g_mutex_unlock (&conn->lock);
    GST_DEBUG_OBJECT (conn, "closed, not sending");
    send_item_free (item);
    return FALSE;
  }
full:
  {
    gsize queued = conn->queued_bytes;

    g_mutex_unlock (&conn->lock);
    GST_DEBUG_OBJECT (conn, "%" G_GSIZE_FORMAT " bytes queued, dropping "
        "a data frame", queued);
    send_item_free (item);
    return FALSE;
  }
}

gboolean
gst_resilient_connection_send_message (GstResilientConnection * conn,
    const GstRTSPMessage * msg)
{
  SendItem *item;

  g_return_val_if_fail (GST_IS_RESILIENT_CONNECTION (conn), FALSE);
  g_return_val_if_fail (msg != NULL, FALSE);

  item = g_new0 (SendItem, 1);
  item->bytes = gst_resilient_message_serialize (msg);
  item->size = g_bytes_get_size (item->bytes);

  return connection_enqueue (conn, item, FALSE);
}

gboolean
gst_resilient_connection_send_data (GstResilientConnection * conn,
    guint8 channel, GstBuffer * buf)
{
  SendItem *item;

  g_return_val_if_fail (GST_IS_RESILIENT_CONNECTION (conn), FALSE);
  g_return_val_if_fail (GST_IS_BUFFER (buf), FALSE);

  if (gst_buffer_get_size (buf) > G_MAXUINT16) {
    GST_WARNING_OBJECT (conn, "frame of %" G_GSIZE_FORMAT " bytes is too "
        "large to interleave", gst_buffer_get_size (buf));
    return FALSE;
  }

  item = g_new0 (SendItem, 1);
  item->buffer = gst_buffer_ref (buf);
  if (!gst_buffer_map (item->buffer, &item->map, GST_MAP_READ)) {
    gst_buffer_unref (item->buffer);
    g_free (item);
    GST_WARNING_OBJECT (conn, "cannot map buffer");
    return FALSE;
  }
  gst_resilient_interleaved_header (item->header, channel, item->map.size);
  item->size = 4 + item->map.size;

  return connection_enqueue (conn, item, TRUE);
}

void
gst_resilient_connection_get_stats (GstResilientConnection * conn,
    GstResilientConnectionStats * stats)
{
  g_return_if_fail (GST_IS_RESILIENT_CONNECTION (conn));
  g_return_if_fail (stats != NULL);

  g_mutex_lock (&conn->lock);
  *stats = conn->stats;
  g_mutex_unlock (&conn->lock);
}

/* The GSocketConnection under @stream (looking through TLS), or NULL. */
static GSocketConnection *
find_socket_connection (GIOStream * stream)
{
  while (stream) {
    GIOStream *base = NULL;

    if (G_IS_SOCKET_CONNECTION (stream))
      return G_SOCKET_CONNECTION (stream);
    if (!G_IS_TLS_CONNECTION (stream))
      return NULL;
    g_object_get (stream, "base-io-stream", &base, NULL);
    if (base == NULL)
      return NULL;
    stream = base;
    /* the TLS connection keeps its base alive */
    g_object_unref (base);
  }
  return NULL;
}

static GInetSocketAddress *
to_inet_address (GSocketAddress * addr)
{
  if (addr && !G_IS_INET_SOCKET_ADDRESS (addr))
    g_clear_object (&addr);
  return (GInetSocketAddress *) addr;
}

GInetSocketAddress *
gst_resilient_connection_get_remote_address (GstResilientConnection * conn)
{
  GSocketConnection *sconn;

  g_return_val_if_fail (GST_IS_RESILIENT_CONNECTION (conn), NULL);

  sconn = find_socket_connection (conn->stream);
  if (sconn == NULL)
    return NULL;
  return to_inet_address (g_socket_connection_get_remote_address (sconn, NULL));
}

GInetSocketAddress *
gst_resilient_connection_get_local_address (GstResilientConnection * conn)
{
  GSocketConnection *sconn;

  g_return_val_if_fail (GST_IS_RESILIENT_CONNECTION (conn), NULL);

  sconn = find_socket_connection (conn->stream);
  if (sconn == NULL)
    return NULL;
  return to_inet_address (g_socket_connection_get_local_address (sconn, NULL));
}
