/* resilientrtsp
 * httptunnel-stream.c: the stream of an RTSP-over-HTTP tunnel (see
 * httptunnel.h): GstResilientHttpTunnel, a GIOStream with two private
 * pollable streams.
 *
 * GstResilientTunnelInput reads the GET connection, first handing out the
 * bytes that arrived together with the answer's headers.
 * GstResilientTunnelOutput base64-encodes each write as one complete unit
 * into a pending buffer and writes it to the POST connection; what the
 * socket does not take at once is written by a "drain" source on the
 * writer's thread-default context, so a caller that stops writing never
 * leaves a request half sent. While a chunk is pending, further writes
 * would block.
 *
 * locking order: GstResilientTunnelOutput lock → none (the input is used
 * from one thread at a time)
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "httptunnel.h"
#include "httptunnel-private.h"

GST_DEBUG_CATEGORY_STATIC (tunnel_stream_debug);
#define GST_CAT_DEFAULT tunnel_stream_debug

/* input bytes per base64 unit: 64 KiB on the wire */
#define MAX_CHUNK_IN (3 * 16 * 1024)

/* ---------------------------------------------------------------------- */
/* GstResilientTunnelInput: the GET connection's body */

#define GST_TYPE_RESILIENT_TUNNEL_INPUT (gst_resilient_tunnel_input_get_type ())
G_DECLARE_FINAL_TYPE (GstResilientTunnelInput, gst_resilient_tunnel_input, GST,
    RESILIENT_TUNNEL_INPUT, GInputStream);

struct _GstResilientTunnelInput
{
  GInputStream parent;

  GInputStream *base;           /* immutable: the GET connection's input */
  /* the reader's thread: bytes that came with the answer's headers */
  GBytes *prefix;
  gsize prefix_pos;
};

static void
gst_resilient_tunnel_input_pollable_init (GPollableInputStreamInterface *
    iface);

G_DEFINE_TYPE_WITH_CODE (GstResilientTunnelInput, gst_resilient_tunnel_input,
    G_TYPE_INPUT_STREAM, G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
        gst_resilient_tunnel_input_pollable_init));

static gsize
gst_resilient_tunnel_input_prefix_left (GstResilientTunnelInput * self)
{
  return self->prefix ? g_bytes_get_size (self->prefix) - self->prefix_pos : 0;
}

static gssize
gst_resilient_tunnel_input_take_prefix (GstResilientTunnelInput * self,
    void *buffer, gsize count)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (self->prefix, &size);
  gsize n = MIN (count, size - self->prefix_pos);

  memcpy (buffer, data + self->prefix_pos, n);
  self->prefix_pos += n;
  if (self->prefix_pos == size) {
    g_clear_pointer (&self->prefix, g_bytes_unref);
    self->prefix_pos = 0;
  }
  return n;
}

static gssize
gst_resilient_tunnel_input_read (GInputStream * stream, void *buffer,
    gsize count, GCancellable * cancellable, GError ** error)
{
  GstResilientTunnelInput *self = GST_RESILIENT_TUNNEL_INPUT (stream);

  if (gst_resilient_tunnel_input_prefix_left (self) > 0)
    return gst_resilient_tunnel_input_take_prefix (self, buffer, count);
  return g_input_stream_read (self->base, buffer, count, cancellable, error);
}

static gboolean
gst_resilient_tunnel_input_close (GInputStream * stream,
    GCancellable * cancellable, GError ** error)
{
  /* the tunnel closes the connections */
  return TRUE;
}

static gboolean
gst_resilient_tunnel_input_can_poll (GPollableInputStream * stream)
{
  GstResilientTunnelInput *self = GST_RESILIENT_TUNNEL_INPUT (stream);

  return G_IS_POLLABLE_INPUT_STREAM (self->base) &&
      g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (self->base));
}

static gboolean
gst_resilient_tunnel_input_is_readable (GPollableInputStream * stream)
{
  GstResilientTunnelInput *self = GST_RESILIENT_TUNNEL_INPUT (stream);

  return gst_resilient_tunnel_input_prefix_left (self) > 0 ||
      g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM
      (self->base));
}

static gssize
gst_resilient_tunnel_input_read_nonblocking (GPollableInputStream * stream,
    void *buffer, gsize count, GError ** error)
{
  GstResilientTunnelInput *self = GST_RESILIENT_TUNNEL_INPUT (stream);

  if (gst_resilient_tunnel_input_prefix_left (self) > 0)
    return gst_resilient_tunnel_input_take_prefix (self, buffer, count);
  return g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM
      (self->base), buffer, count, NULL, error);
}

/* A child source that is ready while prefix bytes are waiting. */
typedef struct
{
  GSource source;
  GstResilientTunnelInput *input;
} PrefixSource;

static gboolean
prefix_source_prepare (GSource * source, gint * timeout)
{
  PrefixSource *ps = (PrefixSource *) source;

  *timeout = -1;
  return gst_resilient_tunnel_input_prefix_left (ps->input) > 0;
}

static gboolean
prefix_source_check (GSource * source)
{
  PrefixSource *ps = (PrefixSource *) source;

  return gst_resilient_tunnel_input_prefix_left (ps->input) > 0;
}

static gboolean
prefix_source_dispatch (GSource * source, GSourceFunc callback,
    gpointer user_data)
{
  return callback ? callback (user_data) : G_SOURCE_CONTINUE;
}

static void
prefix_source_finalize (GSource * source)
{
  PrefixSource *ps = (PrefixSource *) source;

  g_object_unref (ps->input);
}

static GSourceFuncs prefix_source_funcs = {
  prefix_source_prepare,
  prefix_source_check,
  prefix_source_dispatch,
  prefix_source_finalize,
  NULL, NULL
};

static GSource *
gst_resilient_tunnel_input_create_source (GPollableInputStream * stream,
    GCancellable * cancellable)
{
  GstResilientTunnelInput *self = GST_RESILIENT_TUNNEL_INPUT (stream);
  GSource *base_source, *prefix_source, *source;

  base_source =
      g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM
      (self->base), NULL);
  /* (new_full gives it the dummy callback: setting one twice would
   * destroy it) */
  source = g_pollable_source_new_full (stream, base_source, cancellable);
  g_source_unref (base_source);

  prefix_source = g_source_new (&prefix_source_funcs, sizeof (PrefixSource));
  ((PrefixSource *) prefix_source)->input = g_object_ref (self);
  g_source_set_static_name (prefix_source, "rrtsp-tunnel-prefix");
  g_source_add_child_source (source, prefix_source);
  g_source_unref (prefix_source);

  return source;
}

static void
gst_resilient_tunnel_input_pollable_init (GPollableInputStreamInterface * iface)
{
  iface->can_poll = gst_resilient_tunnel_input_can_poll;
  iface->is_readable = gst_resilient_tunnel_input_is_readable;
  iface->create_source = gst_resilient_tunnel_input_create_source;
  iface->read_nonblocking = gst_resilient_tunnel_input_read_nonblocking;
}

static void
gst_resilient_tunnel_input_init (GstResilientTunnelInput * self)
{
}

static void
gst_resilient_tunnel_input_finalize (GObject * object)
{
  GstResilientTunnelInput *self = GST_RESILIENT_TUNNEL_INPUT (object);

  g_clear_pointer (&self->prefix, g_bytes_unref);
  g_clear_object (&self->base);

  G_OBJECT_CLASS (gst_resilient_tunnel_input_parent_class)->finalize (object);
}

static void
gst_resilient_tunnel_input_class_init (GstResilientTunnelInputClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *input_class = G_INPUT_STREAM_CLASS (klass);

  gobject_class->finalize = gst_resilient_tunnel_input_finalize;
  input_class->read_fn = gst_resilient_tunnel_input_read;
  input_class->close_fn = gst_resilient_tunnel_input_close;
}

static GstResilientTunnelInput *
gst_resilient_tunnel_input_new (GInputStream * base, GBytes * prefix)
{
  GstResilientTunnelInput *self =
      g_object_new (GST_TYPE_RESILIENT_TUNNEL_INPUT, NULL);

  self->base = g_object_ref (base);
  if (prefix && g_bytes_get_size (prefix) > 0)
    self->prefix = g_bytes_ref (prefix);
  return self;
}

/* ---------------------------------------------------------------------- */
/* GstResilientTunnelOutput: base64 onto the POST connection */

#define GST_TYPE_RESILIENT_TUNNEL_OUTPUT (gst_resilient_tunnel_output_get_type ())
G_DECLARE_FINAL_TYPE (GstResilientTunnelOutput, gst_resilient_tunnel_output,
    GST, RESILIENT_TUNNEL_OUTPUT, GOutputStream);

struct _GstResilientTunnelOutput
{
  GOutputStream parent;

  GOutputStream *base;          /* immutable: the POST connection's output */

  GMutex lock;
  GByteArray *pending;          /* lock: encoded bytes not written yet */
  gsize pending_pos;            /* lock: of them, already written */
  GSource *drain;               /* lock: writes @pending when the caller does not */
  GError *error;                /* lock: a failed background write */
  gboolean closed;              /* lock */
};

static void
gst_resilient_tunnel_output_pollable_init (GPollableOutputStreamInterface *
    iface);

G_DEFINE_TYPE_WITH_CODE (GstResilientTunnelOutput, gst_resilient_tunnel_output,
    G_TYPE_OUTPUT_STREAM, G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_OUTPUT_STREAM,
        gst_resilient_tunnel_output_pollable_init));

typedef enum
{
  FLUSH_DONE,
  FLUSH_BLOCKED,
  FLUSH_FAILED,
} FlushResult;

static void
gst_resilient_tunnel_output_reset_pending_locked (GstResilientTunnelOutput *
    self)
{
  g_byte_array_set_size (self->pending, 0);
  self->pending_pos = 0;
}

static gboolean
gst_resilient_tunnel_output_has_pending_locked (GstResilientTunnelOutput * self)
{
  return self->pending_pos < self->pending->len;
}

/* Writes what is pending without blocking. */
static FlushResult
gst_resilient_tunnel_output_flush_locked (GstResilientTunnelOutput * self,
    GError ** error)
{
  while (gst_resilient_tunnel_output_has_pending_locked (self)) {
    GError *err = NULL;
    gssize n;

    n = g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM
        (self->base), self->pending->data + self->pending_pos,
        self->pending->len - self->pending_pos, NULL, &err);
    if (n < 0) {
      if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        g_error_free (err);
        return FLUSH_BLOCKED;
      }
      g_propagate_error (error, err);
      return FLUSH_FAILED;
    }
    if (n == 0)
      return FLUSH_BLOCKED;
    self->pending_pos += n;
  }
  gst_resilient_tunnel_output_reset_pending_locked (self);
  return FLUSH_DONE;
}

static void
gst_resilient_tunnel_output_stop_drain_locked (GstResilientTunnelOutput * self)
{
  if (self->drain) {
    g_source_destroy (self->drain);
    g_clear_pointer (&self->drain, g_source_unref);
  }
}

static gboolean
gst_resilient_tunnel_output_on_drain (GObject * base, gpointer user_data)
{
  GstResilientTunnelOutput *self = user_data;
  GError *error = NULL;
  FlushResult res;

  g_mutex_lock (&self->lock);
  if (self->drain == NULL || g_main_current_source () != self->drain) {
    /* stopped while we waited for the lock */
    g_mutex_unlock (&self->lock);
    return G_SOURCE_REMOVE;
  }
  res = gst_resilient_tunnel_output_flush_locked (self, &error);
  if (res == FLUSH_BLOCKED) {
    g_mutex_unlock (&self->lock);
    return G_SOURCE_CONTINUE;
  }
  if (res == FLUSH_FAILED) {
    GST_INFO ("tunnel POST write failed: %s", error->message);
    gst_resilient_tunnel_output_reset_pending_locked (self);
    if (self->error == NULL)
      self->error = error;
    else
      g_error_free (error);
  }
  /* returning REMOVE destroys it */
  g_clear_pointer (&self->drain, g_source_unref);
  g_mutex_unlock (&self->lock);
  return G_SOURCE_REMOVE;
}

static void
gst_resilient_tunnel_output_start_drain_locked (GstResilientTunnelOutput * self)
{
  GMainContext *context;

  if (self->drain)
    return;

  context = g_main_context_ref_thread_default ();
  self->drain =
      g_pollable_output_stream_create_source (G_POLLABLE_OUTPUT_STREAM
      (self->base), NULL);
  g_source_set_callback (self->drain,
      (GSourceFunc) gst_resilient_tunnel_output_on_drain, g_object_ref (self),
      g_object_unref);
  g_source_set_static_name (self->drain, "rrtsp-tunnel-drain");
  g_source_attach (self->drain, context);
  g_main_context_unref (context);
}

static GPollableReturn
gst_resilient_tunnel_output_writev_nonblocking (GPollableOutputStream * stream,
    const GOutputVector * vectors, gsize n_vectors, gsize * bytes_written,
    GError ** error)
{
  GstResilientTunnelOutput *self = GST_RESILIENT_TUNNEL_OUTPUT (stream);
  GError *err = NULL;
  FlushResult res;
  gsize n;

  *bytes_written = 0;

  g_mutex_lock (&self->lock);
  if (self->closed)
    goto closed;
  if (self->error)
    goto failed_before;

  res = gst_resilient_tunnel_output_flush_locked (self, &err);
  if (res == FLUSH_FAILED)
    goto failed;
  if (res == FLUSH_BLOCKED) {
    gst_resilient_tunnel_output_start_drain_locked (self);
    g_mutex_unlock (&self->lock);
    return G_POLLABLE_RETURN_WOULD_BLOCK;
  }

  n = gst_resilient_http_tunnel_encode (vectors, n_vectors, MAX_CHUNK_IN,
      self->pending);
  res = gst_resilient_tunnel_output_flush_locked (self, &err);
  if (res == FLUSH_FAILED)
    goto failed;
  if (res == FLUSH_BLOCKED)
    gst_resilient_tunnel_output_start_drain_locked (self);
  g_mutex_unlock (&self->lock);

  *bytes_written = n;
  return G_POLLABLE_RETURN_OK;

  /* ERRORS */
closed:
  {
    g_mutex_unlock (&self->lock);
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
        "the tunnel is closed");
    return G_POLLABLE_RETURN_FAILED;
  }
failed_before:
  {
    g_propagate_error (error, g_error_copy (self->error));
    g_mutex_unlock (&self->lock);
    return G_POLLABLE_RETURN_FAILED;
  }
failed:
  {
    gst_resilient_tunnel_output_reset_pending_locked (self);
    gst_resilient_tunnel_output_stop_drain_locked (self);
    g_mutex_unlock (&self->lock);
    g_propagate_error (error, err);
    return G_POLLABLE_RETURN_FAILED;
  }
}

static gssize
gst_resilient_tunnel_output_write_nonblocking (GPollableOutputStream * stream,
    const void *buffer, gsize count, GError ** error)
{
  GOutputVector vec = { buffer, count };
  gsize written = 0;

  switch (gst_resilient_tunnel_output_writev_nonblocking (stream, &vec, 1,
          &written, error)) {
    case G_POLLABLE_RETURN_OK:
      return written;
    case G_POLLABLE_RETURN_WOULD_BLOCK:
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
          "Operation would block");
      return -1;
    default:
      return -1;
  }
}

/* Blocking write (not used by the connection; for completeness). */
static gssize
gst_resilient_tunnel_output_write (GOutputStream * stream, const void *buffer,
    gsize count, GCancellable * cancellable, GError ** error)
{
  GstResilientTunnelOutput *self = GST_RESILIENT_TUNNEL_OUTPUT (stream);
  GOutputVector vec = { buffer, count };
  GByteArray *chunk;
  gsize n;
  gboolean ok;

  g_mutex_lock (&self->lock);
  if (self->closed || self->error) {
    if (self->error)
      g_propagate_error (error, g_error_copy (self->error));
    else
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
          "the tunnel is closed");
    g_mutex_unlock (&self->lock);
    return -1;
  }
  /* take over what is pending, then our chunk */
  gst_resilient_tunnel_output_stop_drain_locked (self);
  chunk = g_byte_array_new ();
  g_byte_array_append (chunk, self->pending->data + self->pending_pos,
      self->pending->len - self->pending_pos);
  gst_resilient_tunnel_output_reset_pending_locked (self);
  g_mutex_unlock (&self->lock);

  n = gst_resilient_http_tunnel_encode (&vec, 1, MAX_CHUNK_IN, chunk);
  ok = g_output_stream_write_all (self->base, chunk->data, chunk->len, NULL,
      cancellable, error);
  g_byte_array_unref (chunk);

  return ok ? (gssize) n : -1;
}

static gboolean
gst_resilient_tunnel_output_close (GOutputStream * stream,
    GCancellable * cancellable, GError ** error)
{
  GstResilientTunnelOutput *self = GST_RESILIENT_TUNNEL_OUTPUT (stream);

  g_mutex_lock (&self->lock);
  self->closed = TRUE;
  /* one last try; the tunnel closes the connection right after */
  if (gst_resilient_tunnel_output_has_pending_locked (self)
      && self->error == NULL)
    gst_resilient_tunnel_output_flush_locked (self, NULL);
  gst_resilient_tunnel_output_reset_pending_locked (self);
  gst_resilient_tunnel_output_stop_drain_locked (self);
  g_mutex_unlock (&self->lock);

  return TRUE;
}

static gboolean
gst_resilient_tunnel_output_can_poll (GPollableOutputStream * stream)
{
  GstResilientTunnelOutput *self = GST_RESILIENT_TUNNEL_OUTPUT (stream);

  return G_IS_POLLABLE_OUTPUT_STREAM (self->base) &&
      g_pollable_output_stream_can_poll (G_POLLABLE_OUTPUT_STREAM (self->base));
}

static gboolean
gst_resilient_tunnel_output_is_writable (GPollableOutputStream * stream)
{
  GstResilientTunnelOutput *self = GST_RESILIENT_TUNNEL_OUTPUT (stream);
  gboolean writable;

  g_mutex_lock (&self->lock);
  if (self->error || self->closed)
    writable = TRUE;            /* a write returns the error at once */
  else
    writable = !gst_resilient_tunnel_output_has_pending_locked (self) &&
        g_pollable_output_stream_is_writable (G_POLLABLE_OUTPUT_STREAM
        (self->base));
  g_mutex_unlock (&self->lock);

  return writable;
}

static GSource *
gst_resilient_tunnel_output_create_source (GPollableOutputStream * stream,
    GCancellable * cancellable)
{
  GstResilientTunnelOutput *self = GST_RESILIENT_TUNNEL_OUTPUT (stream);
  GSource *base_source, *source;

  /* writes go on when the POST connection takes data again */
  base_source =
      g_pollable_output_stream_create_source (G_POLLABLE_OUTPUT_STREAM
      (self->base), NULL);
  /* (new_full gives it the dummy callback: setting one twice would
   * destroy it) */
  source = g_pollable_source_new_full (stream, base_source, cancellable);
  g_source_unref (base_source);

  return source;
}

static void
gst_resilient_tunnel_output_pollable_init (GPollableOutputStreamInterface *
    iface)
{
  iface->can_poll = gst_resilient_tunnel_output_can_poll;
  iface->is_writable = gst_resilient_tunnel_output_is_writable;
  iface->create_source = gst_resilient_tunnel_output_create_source;
  iface->write_nonblocking = gst_resilient_tunnel_output_write_nonblocking;
  iface->writev_nonblocking = gst_resilient_tunnel_output_writev_nonblocking;
}

static void
gst_resilient_tunnel_output_init (GstResilientTunnelOutput * self)
{
  g_mutex_init (&self->lock);
  self->pending = g_byte_array_new ();
}

static void
gst_resilient_tunnel_output_finalize (GObject * object)
{
  GstResilientTunnelOutput *self = GST_RESILIENT_TUNNEL_OUTPUT (object);

  /* the drain source holds a reference: it is gone */
  g_assert (self->drain == NULL);
  g_byte_array_unref (self->pending);
  g_clear_error (&self->error);
  g_clear_object (&self->base);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (gst_resilient_tunnel_output_parent_class)->finalize (object);
}

static void
gst_resilient_tunnel_output_class_init (GstResilientTunnelOutputClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GOutputStreamClass *output_class = G_OUTPUT_STREAM_CLASS (klass);

  gobject_class->finalize = gst_resilient_tunnel_output_finalize;
  output_class->write_fn = gst_resilient_tunnel_output_write;
  output_class->close_fn = gst_resilient_tunnel_output_close;
  /* no flush_fn: g_output_stream_close() flushes, and a blocking flush
   * must not run on the I/O thread; close makes one non-blocking try */
}

static GstResilientTunnelOutput *
gst_resilient_tunnel_output_new (GOutputStream * base)
{
  GstResilientTunnelOutput *self =
      g_object_new (GST_TYPE_RESILIENT_TUNNEL_OUTPUT, NULL);

  self->base = g_object_ref (base);
  return self;
}

/* ---------------------------------------------------------------------- */
/* GstResilientHttpTunnel */

struct _GstResilientHttpTunnel
{
  GIOStream parent;

  /* all immutable after creation */
  GIOStream *get_conn;
  GIOStream *post_conn;
  GstResilientTunnelInput *input;
  GstResilientTunnelOutput *output;
  gchar *cookie;
  gchar *post_host;
};

G_DEFINE_TYPE (GstResilientHttpTunnel, gst_resilient_http_tunnel,
    G_TYPE_IO_STREAM);

static GInputStream *
tunnel_get_input_stream (GIOStream * stream)
{
  return G_INPUT_STREAM (GST_RESILIENT_HTTP_TUNNEL (stream)->input);
}

static GOutputStream *
tunnel_get_output_stream (GIOStream * stream)
{
  return G_OUTPUT_STREAM (GST_RESILIENT_HTTP_TUNNEL (stream)->output);
}

/* Closing the wrappers never blocks: the output makes one non-blocking
 * write attempt of what is pending and drops the rest. */
static void
tunnel_close_wrappers (GstResilientHttpTunnel * tunnel)
{
  g_output_stream_close (G_OUTPUT_STREAM (tunnel->output), NULL, NULL);
  g_input_stream_close (G_INPUT_STREAM (tunnel->input), NULL, NULL);
}

static gboolean
tunnel_close (GIOStream * stream, GCancellable * cancellable, GError ** error)
{
  GstResilientHttpTunnel *tunnel = GST_RESILIENT_HTTP_TUNNEL (stream);
  GError *err = NULL;
  gboolean ok = TRUE;

  GST_DEBUG ("closing tunnel %s", tunnel->cookie);
  tunnel_close_wrappers (tunnel);
  if (!g_io_stream_close (tunnel->post_conn, cancellable, &err)) {
    g_propagate_error (error, err);
    err = NULL;
    ok = FALSE;
  }
  if (!g_io_stream_close (tunnel->get_conn, cancellable, ok ? error : NULL))
    ok = FALSE;
  return ok;
}

typedef struct
{
  guint left;
  GError *error;
} CloseData;

static void
close_data_free (CloseData * data)
{
  g_clear_error (&data->error);
  g_free (data);
}

static void
on_base_closed (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GTask *task = user_data;
  CloseData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_io_stream_close_finish (G_IO_STREAM (source), result, &error)) {
    if (data->error == NULL)
      data->error = error;
    else
      g_error_free (error);
  }
  if (--data->left == 0) {
    if (data->error) {
      g_task_return_error (task, data->error);
      data->error = NULL;
    } else {
      g_task_return_boolean (task, TRUE);
    }
  }
  g_object_unref (task);
}

/* The default would run tunnel_close() in a worker thread; the connections'
 * own asynchronous closes (a TLS close_notify) do not need one. */
static void
tunnel_close_async (GIOStream * stream, int io_priority,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  GstResilientHttpTunnel *tunnel = GST_RESILIENT_HTTP_TUNNEL (stream);
  GTask *task;
  CloseData *data;

  GST_DEBUG ("closing tunnel %s (async)", tunnel->cookie);
  task = g_task_new (stream, cancellable, callback, user_data);
  g_task_set_source_tag (task, tunnel_close_async);
  data = g_new0 (CloseData, 1);
  data->left = 2;
  g_task_set_task_data (task, data, (GDestroyNotify) close_data_free);

  tunnel_close_wrappers (tunnel);
  g_io_stream_close_async (tunnel->post_conn, io_priority, cancellable,
      on_base_closed, g_object_ref (task));
  g_io_stream_close_async (tunnel->get_conn, io_priority, cancellable,
      on_base_closed, g_object_ref (task));
  g_object_unref (task);
}

static gboolean
tunnel_close_finish (GIOStream * stream, GAsyncResult * result, GError ** error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
gst_resilient_http_tunnel_init (GstResilientHttpTunnel * tunnel)
{
}

static void
gst_resilient_http_tunnel_finalize (GObject * object)
{
  GstResilientHttpTunnel *tunnel = GST_RESILIENT_HTTP_TUNNEL (object);

  g_clear_object (&tunnel->input);
  g_clear_object (&tunnel->output);
  g_clear_object (&tunnel->get_conn);
  g_clear_object (&tunnel->post_conn);
  g_free (tunnel->cookie);
  g_free (tunnel->post_host);

  G_OBJECT_CLASS (gst_resilient_http_tunnel_parent_class)->finalize (object);
}

static void
gst_resilient_http_tunnel_class_init (GstResilientHttpTunnelClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  /* GIOStream's dispose closes the stream if that was not done */
  gobject_class->finalize = gst_resilient_http_tunnel_finalize;
  stream_class->get_input_stream = tunnel_get_input_stream;
  stream_class->get_output_stream = tunnel_get_output_stream;
  stream_class->close_fn = tunnel_close;
  stream_class->close_async = tunnel_close_async;
  stream_class->close_finish = tunnel_close_finish;

  GST_DEBUG_CATEGORY_INIT (tunnel_stream_debug, "resilientrtsptunnelstream", 0,
      "resilientrtsp RTSP-over-HTTP tunnel stream");
}

GstResilientHttpTunnel *
gst_resilient_http_tunnel_new_internal (GIOStream * get_conn,
    GIOStream * post_conn, GBytes * prefix, gchar * cookie, gchar * post_host)
{
  GstResilientHttpTunnel *tunnel;

  g_return_val_if_fail (G_IS_IO_STREAM (get_conn), NULL);
  g_return_val_if_fail (G_IS_IO_STREAM (post_conn), NULL);

  tunnel = g_object_new (GST_TYPE_RESILIENT_HTTP_TUNNEL, NULL);
  tunnel->get_conn = get_conn;
  tunnel->post_conn = post_conn;
  tunnel->cookie = cookie;
  tunnel->post_host = post_host;
  tunnel->input =
      gst_resilient_tunnel_input_new (g_io_stream_get_input_stream (get_conn),
      prefix);
  tunnel->output =
      gst_resilient_tunnel_output_new (g_io_stream_get_output_stream
      (post_conn));
  return tunnel;
}

const gchar *
gst_resilient_http_tunnel_get_cookie (GstResilientHttpTunnel * tunnel)
{
  g_return_val_if_fail (GST_IS_RESILIENT_HTTP_TUNNEL (tunnel), NULL);
  return tunnel->cookie;
}

const gchar *
gst_resilient_http_tunnel_get_post_host (GstResilientHttpTunnel * tunnel)
{
  g_return_val_if_fail (GST_IS_RESILIENT_HTTP_TUNNEL (tunnel), NULL);
  return tunnel->post_host;
}

GIOStream *
gst_resilient_http_tunnel_get_get_connection (GstResilientHttpTunnel * tunnel)
{
  g_return_val_if_fail (GST_IS_RESILIENT_HTTP_TUNNEL (tunnel), NULL);
  return tunnel->get_conn;
}

GIOStream *
gst_resilient_http_tunnel_get_post_connection (GstResilientHttpTunnel * tunnel)
{
  g_return_val_if_fail (GST_IS_RESILIENT_HTTP_TUNNEL (tunnel), NULL);
  return tunnel->post_conn;
}
