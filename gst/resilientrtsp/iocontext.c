/* resilientrtsp
 * iocontext.c: the process-wide shared I/O thread.
 *
 * locking order: io_lock (global) → none
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "iocontext.h"

GST_DEBUG_CATEGORY_STATIC (io_debug);
#define GST_CAT_DEFAULT io_debug

struct _GstResilientIoContext
{
  gint refcount;                /* io_lock */
  GMainContext *context;        /* immutable */
  GMainLoop *loop;              /* immutable */
  GThread *thread;              /* immutable */
  gboolean self_free;           /* set before quitting: the thread frees io */
};

static GMutex io_lock;
static GstResilientIoContext *shared_io;        /* io_lock */
static gint n_threads;          /* atomic */

/* Runs what is still queued (source destroy notifies), then frees. */
static void
io_context_free (GstResilientIoContext * io)
{
  while (g_main_context_iteration (io->context, FALSE));
  g_main_loop_unref (io->loop);
  g_main_context_unref (io->context);
  GST_DEBUG ("stopped shared I/O thread");
  g_free (io);
}

static gpointer
io_thread_func (gpointer data)
{
  GstResilientIoContext *io = data;

  g_main_context_push_thread_default (io->context);
  g_main_loop_run (io->loop);
  g_main_context_pop_thread_default (io->context);

  if (io->self_free) {
    /* the last reference was dropped on this thread, which cannot join
     * itself: tear down here */
    g_thread_unref (io->thread);
    io_context_free (io);
    g_atomic_int_dec_and_test (&n_threads);
  }
  return NULL;
}

static gboolean
io_quit (gpointer data)
{
  GstResilientIoContext *io = data;

  g_main_loop_quit (io->loop);
  return G_SOURCE_REMOVE;
}

GstResilientIoContext *
gst_resilient_io_context_get (void)
{
  GstResilientIoContext *io;

  g_mutex_lock (&io_lock);
  if (shared_io == NULL) {
    if (io_debug == NULL)
      GST_DEBUG_CATEGORY_INIT (io_debug, "resilientrtspio", 0,
          "resilientrtsp shared I/O context");
    io = g_new0 (GstResilientIoContext, 1);
    io->refcount = 1;
    io->context = g_main_context_new ();
    io->loop = g_main_loop_new (io->context, FALSE);
    io->thread = g_thread_new ("rrtsp-io", io_thread_func, io);
    g_atomic_int_inc (&n_threads);
    shared_io = io;
    GST_DEBUG ("started shared I/O thread");
  } else {
    io = shared_io;
    io->refcount++;
  }
  g_mutex_unlock (&io_lock);

  return io;
}

GstResilientIoContext *
gst_resilient_io_context_ref (GstResilientIoContext * io)
{
  g_return_val_if_fail (io != NULL, NULL);

  g_mutex_lock (&io_lock);
  io->refcount++;
  g_mutex_unlock (&io_lock);
  return io;
}

void
gst_resilient_io_context_unref (GstResilientIoContext * io)
{
  gboolean last;

  g_return_if_fail (io != NULL);

  /* under the lock so _get() never revives a context being torn down */
  g_mutex_lock (&io_lock);
  last = (--io->refcount == 0);
  if (last && shared_io == io)
    shared_io = NULL;
  g_mutex_unlock (&io_lock);

  if (!last)
    return;

  if (gst_resilient_io_context_is_current (io)) {
    /* e.g. an object holding the last reference finalized by a callback:
     * the thread stops and frees everything once this dispatch returns */
    io->self_free = TRUE;
    g_main_loop_quit (io->loop);
    return;
  }

  gst_resilient_io_context_invoke (io, io_quit, io, NULL);
  g_thread_join (io->thread);
  g_atomic_int_dec_and_test (&n_threads);
  io_context_free (io);
}

GMainContext *
gst_resilient_io_context_get_main_context (GstResilientIoContext * io)
{
  return io->context;
}

gboolean
gst_resilient_io_context_is_current (GstResilientIoContext * io)
{
  return g_thread_self () == io->thread;
}

void
gst_resilient_io_context_invoke (GstResilientIoContext * io, GSourceFunc func,
    gpointer data, GDestroyNotify notify)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, notify);
  g_source_set_static_name (source, "rrtsp-invoke");
  g_source_attach (source, io->context);
  g_source_unref (source);
}

typedef struct
{
  GSourceFunc func;
  gpointer data;
  GMutex lock;
  GCond cond;
  gboolean done;
} SyncCall;

static gboolean
sync_call_run (gpointer user_data)
{
  SyncCall *call = user_data;

  call->func (call->data);
  g_mutex_lock (&call->lock);
  call->done = TRUE;
  g_cond_signal (&call->cond);
  g_mutex_unlock (&call->lock);
  return G_SOURCE_REMOVE;
}

void
gst_resilient_io_context_invoke_sync (GstResilientIoContext * io,
    GSourceFunc func, gpointer data)
{
  SyncCall call = { func, data };

  if (gst_resilient_io_context_is_current (io)) {
    func (data);
    return;
  }

  g_mutex_init (&call.lock);
  g_cond_init (&call.cond);
  gst_resilient_io_context_invoke (io, sync_call_run, &call, NULL);
  g_mutex_lock (&call.lock);
  while (!call.done)
    g_cond_wait (&call.cond, &call.lock);
  g_mutex_unlock (&call.lock);
  g_mutex_clear (&call.lock);
  g_cond_clear (&call.cond);
}

GSource *
gst_resilient_io_context_add_timeout (GstResilientIoContext * io,
    guint interval_ms, GSourceFunc func, gpointer data, GDestroyNotify notify)
{
  GSource *source = g_timeout_source_new (interval_ms);

  g_source_set_callback (source, func, data, notify);
  g_source_set_static_name (source, "rrtsp-timeout");
  g_source_attach (source, io->context);
  return source;
}

void
gst_resilient_io_context_attach (GstResilientIoContext * io, GSource * source)
{
  g_source_attach (source, io->context);
}

guint
gst_resilient_io_context_get_n_threads (void)
{
  return g_atomic_int_get (&n_threads);
}
