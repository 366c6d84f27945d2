/* resilientrtsp
 * iocontext.c: the process's I/O threads: one shared context
 * (gst_resilient_io_context_get()) and a pool of N for the elements
 * (gst_resilient_io_context_get_for_stream()), each a GMainContext run by its
 * own thread.
 *
 * Invocations are not one idle source each: every context has one source of
 * its own at G_PRIORITY_HIGH with a FIFO of them, made ready (ready time 0)
 * while the FIFO is not empty. GLib dispatches only the highest priority that
 * is ready in an iteration, so queued invocations run in the iteration after
 * the one in progress, before the sockets and timers (G_PRIORITY_DEFAULT)
 * that are ready too; the FIFO keeps their order.
 *
 * locking order: io_lock (global) → none;
 *   InvokeSource.lock → the GMainContext's own lock (g_source_set_ready_time)
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "iocontext.h"

GST_DEBUG_CATEGORY_STATIC (io_debug);
#define GST_CAT_DEFAULT io_debug

/* bound for $RESILIENTRTSP_IO_THREADS */
#define MAX_IO_THREADS 256

typedef struct
{
  GSourceFunc func;
  gpointer data;
  GDestroyNotify notify;
} Invocation;

typedef struct
{
  GSource source;
  GMutex lock;
  GQueue queue;                 /* lock: Invocation, oldest first */
} InvokeSource;

struct _GstResilientIoContext
{
  gint refcount;                /* io_lock */
  guint users;                  /* io_lock: references of _get_for_stream() */
  gint slot;                    /* immutable: index in pool, -1 when shared */
  GMainContext *context;        /* immutable */
  GMainLoop *loop;              /* immutable */
  GThread *thread;              /* immutable */
  InvokeSource *invoke;         /* immutable */
  gboolean self_free;           /* set before quitting: the thread frees io */
};

static GMutex io_lock;
static GstResilientIoContext *shared_io;        /* io_lock */
/* the contexts of _get_for_stream(): pool_size slots, NULL when not running;
 * the array exists while pool_live > 0 */
static GstResilientIoContext **pool;    /* io_lock */
static guint pool_size;         /* io_lock */
static guint pool_live;         /* io_lock */
static gint n_threads;          /* atomic */

/* ---------------------------------------------------------------------- */
/* invocations */

static void
invocation_free (Invocation * inv)
{
  if (inv->notify)
    inv->notify (inv->data);
  g_free (inv);
}

static gboolean
invoke_source_dispatch (GSource * source, GSourceFunc callback,
    gpointer user_data)
{
  InvokeSource *self = (InvokeSource *) source;
  GQueue batch;
  Invocation *inv;

  /* those queued now; any queued while they run come in the next
   * iteration, still before lower priorities */
  g_mutex_lock (&self->lock);
  batch = self->queue;
  g_queue_init (&self->queue);
  g_source_set_ready_time (source, -1);
  g_mutex_unlock (&self->lock);

  while ((inv = g_queue_pop_head (&batch)) != NULL) {
    inv->func (inv->data);
    invocation_free (inv);
  }
  return G_SOURCE_CONTINUE;
}

static void
invoke_source_finalize (GSource * source)
{
  InvokeSource *self = (InvokeSource *) source;

  /* none are left when a context is torn down properly (io_context_free()
   * runs them); free what a misuse would leave without running it */
  if (self->queue.length > 0)
    GST_WARNING ("%u invocations dropped", self->queue.length);
  g_queue_clear_full (&self->queue, (GDestroyNotify) invocation_free);
  g_mutex_clear (&self->lock);
}

static GSourceFuncs invoke_source_funcs = {
  .dispatch = invoke_source_dispatch,
  .finalize = invoke_source_finalize,
};

static InvokeSource *
invoke_source_new (GMainContext * context)
{
  GSource *source = g_source_new (&invoke_source_funcs, sizeof (InvokeSource));
  InvokeSource *self = (InvokeSource *) source;

  g_mutex_init (&self->lock);
  g_queue_init (&self->queue);
  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_static_name (source, "rrtsp-invoke");
  g_source_attach (source, context);
  return self;
}

static void
invoke_source_push (InvokeSource * self, Invocation * inv)
{
  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->queue, inv);
  /* wakes the context up (once: a no-op while already 0) */
  g_source_set_ready_time ((GSource *) self, 0);
  g_mutex_unlock (&self->lock);
}

/* ---------------------------------------------------------------------- */
/* the threads */

/* Runs what is still queued (invocations, source destroy notifies), then
 * frees. */
static void
io_context_free (GstResilientIoContext * io)
{
  while (g_main_context_iteration (io->context, FALSE));
  g_source_destroy ((GSource *) io->invoke);
  g_source_unref ((GSource *) io->invoke);
  g_main_loop_unref (io->loop);
  g_main_context_unref (io->context);
  GST_DEBUG ("stopped I/O thread %p (slot %d)", io, io->slot);
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

/* With io_lock. */
static void
init_debug (void)
{
  if (io_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (io_debug, "resilientrtspio", 0,
        "resilientrtsp I/O threads");
}

/* With io_lock. */
static GstResilientIoContext *
io_context_new (gint slot)
{
  GstResilientIoContext *io;

  init_debug ();
  io = g_new0 (GstResilientIoContext, 1);
  io->refcount = 1;
  io->slot = slot;
  io->context = g_main_context_new ();
  io->loop = g_main_loop_new (io->context, FALSE);
  io->invoke = invoke_source_new (io->context);
  io->thread = g_thread_new ("rrtsp-io", io_thread_func, io);
  g_atomic_int_inc (&n_threads);
  GST_DEBUG ("started I/O thread %p (slot %d)", io, slot);
  return io;
}

GstResilientIoContext *
gst_resilient_io_context_get (void)
{
  GstResilientIoContext *io;

  g_mutex_lock (&io_lock);
  if (shared_io == NULL) {
    shared_io = io = io_context_new (-1);
  } else {
    io = shared_io;
    io->refcount++;
  }
  g_mutex_unlock (&io_lock);

  return io;
}

/* With io_lock. The number of pool threads: $RESILIENTRTSP_IO_THREADS or
 * one per CPU. */
static guint
decide_pool_size (void)
{
  const gchar *env = g_getenv (GST_RESILIENT_IO_THREADS_ENV);
  guint n = MAX (g_get_num_processors (), 1);
  guint64 value;
  gchar *end = NULL;

  init_debug ();
  if (env == NULL)
    return n;

  value = g_ascii_strtoull (env, &end, 10);
  if (end == env || *end != '\0' || value < 1 || value > MAX_IO_THREADS) {
    GST_WARNING ("ignoring %s=\"%s\" (not a number from 1 to %d): using %u "
        "I/O threads", GST_RESILIENT_IO_THREADS_ENV, env, MAX_IO_THREADS, n);
    return n;
  }
  return (guint) value;
}

GstResilientIoContext *
gst_resilient_io_context_get_for_stream (void)
{
  GstResilientIoContext *io;
  guint i, best = 0;

  g_mutex_lock (&io_lock);
  if (pool == NULL) {
    pool_size = decide_pool_size ();
    pool = g_new0 (GstResilientIoContext *, pool_size);
  }

  /* fewest users; on a tie a running context (no new thread), then the
   * first */
  for (i = 1; i < pool_size; i++) {
    guint users = pool[i] ? pool[i]->users : 0;
    guint best_users = pool[best] ? pool[best]->users : 0;

    if (users < best_users || (users == best_users && pool[i] != NULL
            && pool[best] == NULL))
      best = i;
  }

  if (pool[best] == NULL) {
    pool[best] = io = io_context_new (best);
    pool_live++;
  } else {
    io = pool[best];
    io->refcount++;
  }
  io->users++;
  GST_LOG ("I/O context %p (slot %u of %u) now has %u users", io, best,
      pool_size, io->users);
  g_mutex_unlock (&io_lock);

  return io;
}

void
gst_resilient_io_context_unref_for_stream (GstResilientIoContext * io)
{
  g_return_if_fail (io != NULL);

  g_mutex_lock (&io_lock);
  if (io->users == 0)
    goto no_user;
  io->users--;
  g_mutex_unlock (&io_lock);

  gst_resilient_io_context_unref (io);
  return;

  /* ERRORS */
no_user:
  {
    g_mutex_unlock (&io_lock);
    g_critical ("%s: I/O context %p has no user reference to drop",
        G_STRFUNC, io);
    return;
  }
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
  if (last) {
    if (shared_io == io) {
      shared_io = NULL;
    } else if (io->slot >= 0 && (guint) io->slot < pool_size
        && pool[io->slot] == io) {
      pool[io->slot] = NULL;
      if (--pool_live == 0) {
        /* the next _get_for_stream() decides the pool size again */
        g_clear_pointer (&pool, g_free);
        pool_size = 0;
      }
    }
  }
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
  Invocation *inv;

  g_return_if_fail (io != NULL);
  g_return_if_fail (func != NULL);

  inv = g_new (Invocation, 1);
  inv->func = func;
  inv->data = data;
  inv->notify = notify;
  invoke_source_push (io->invoke, inv);
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
