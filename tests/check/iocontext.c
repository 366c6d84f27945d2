/* resilientrtsp
 * tests/check/iocontext.c: the I/O threads: the shared one, the pool of
 * _get_for_stream(), invocations (order, priority over ready sockets).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "iocontext.h"

/* generous bound for things that happen on the I/O thread */
#define WAIT_US (10 * G_USEC_PER_SEC)

GST_START_TEST (test_shared_refcount)
{
  GstResilientIoContext *a, *b, *c;

  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), 0);

  a = gst_resilient_io_context_get ();
  b = gst_resilient_io_context_get ();
  fail_unless (a == b);
  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), 1);
  c = gst_resilient_io_context_ref (a);
  fail_unless (c == a);
  fail_unless (gst_resilient_io_context_get_main_context (a) != NULL);
  fail_unless (gst_resilient_io_context_get_main_context (a) !=
      g_main_context_default ());
  fail_if (gst_resilient_io_context_is_current (a));

  gst_resilient_io_context_unref (a);
  gst_resilient_io_context_unref (b);
  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), 1);
  gst_resilient_io_context_unref (c);
  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), 0);

  /* and a new one starts on demand */
  a = gst_resilient_io_context_get ();
  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), 1);
  gst_resilient_io_context_unref (a);
  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), 0);
}

GST_END_TEST;

typedef struct
{
  GstResilientIoContext *io;
  GArray *order;
  GMutex lock;
  gboolean wrong_thread;
} InvokeState;

typedef struct
{
  InvokeState *state;
  gint index;
} InvokeItem;

static gboolean
record_invoke (gpointer data)
{
  InvokeItem *item = data;

  g_mutex_lock (&item->state->lock);
  g_array_append_val (item->state->order, item->index);
  if (!gst_resilient_io_context_is_current (item->state->io))
    item->state->wrong_thread = TRUE;
  g_mutex_unlock (&item->state->lock);
  return G_SOURCE_REMOVE;
}

static gboolean
noop (gpointer data)
{
  return G_SOURCE_REMOVE;
}

GST_START_TEST (test_invoke_fifo)
{
  InvokeState state = { 0, };
  gint i;

  state.io = gst_resilient_io_context_get ();
  state.order = g_array_new (FALSE, FALSE, sizeof (gint));
  g_mutex_init (&state.lock);

  for (i = 0; i < 200; i++) {
    InvokeItem *item = g_new0 (InvokeItem, 1);

    item->state = &state;
    item->index = i;
    gst_resilient_io_context_invoke (state.io, record_invoke, item, g_free);
  }
  /* FIFO: the sync call runs after all of them */
  gst_resilient_io_context_invoke_sync (state.io, noop, NULL);

  g_mutex_lock (&state.lock);
  fail_unless_equals_int (state.order->len, 200);
  for (i = 0; i < 200; i++)
    fail_unless_equals_int (g_array_index (state.order, gint, i), i);
  fail_if (state.wrong_thread);
  g_mutex_unlock (&state.lock);

  g_array_free (state.order, TRUE);
  g_mutex_clear (&state.lock);
  gst_resilient_io_context_unref (state.io);
}

GST_END_TEST;

typedef struct
{
  GstResilientIoContext *io;
  gboolean outer_on_io;
  gboolean inner_ran;
  gboolean inner_inline;
  gboolean async_ran_inline;
  gint async_ran;
  GThread *inner_thread;
  GThread *outer_thread;
} SyncState;

static gboolean
sync_inner (gpointer data)
{
  SyncState *s = data;

  s->inner_ran = TRUE;
  s->inner_thread = g_thread_self ();
  return G_SOURCE_REMOVE;
}

static gboolean
async_inner (gpointer data)
{
  SyncState *s = data;

  g_atomic_int_inc (&s->async_ran);
  return G_SOURCE_REMOVE;
}

static gboolean
sync_outer (gpointer data)
{
  SyncState *s = data;

  s->outer_thread = g_thread_self ();
  s->outer_on_io = gst_resilient_io_context_is_current (s->io);
  /* inline: must not deadlock, and must have run when it returns */
  gst_resilient_io_context_invoke_sync (s->io, sync_inner, s);
  s->inner_inline = s->inner_ran;
  /* invoke is never inline, even on the I/O thread */
  gst_resilient_io_context_invoke (s->io, async_inner, s, NULL);
  s->async_ran_inline = (g_atomic_int_get (&s->async_ran) != 0);
  return G_SOURCE_REMOVE;
}

GST_START_TEST (test_invoke_sync_inline)
{
  SyncState s = { 0, };

  s.io = gst_resilient_io_context_get ();
  gst_resilient_io_context_invoke_sync (s.io, sync_outer, &s);

  fail_unless (s.outer_on_io);
  fail_unless (s.outer_thread != g_thread_self ());
  fail_unless (s.inner_ran);
  fail_unless (s.inner_inline);
  fail_unless (s.inner_thread == s.outer_thread);
  fail_if (s.async_ran_inline);

  /* the asynchronous one ran before this (FIFO) */
  gst_resilient_io_context_invoke_sync (s.io, noop, NULL);
  fail_unless_equals_int (g_atomic_int_get (&s.async_ran), 1);

  gst_resilient_io_context_unref (s.io);
}

GST_END_TEST;

typedef struct
{
  GMutex lock;
  GCond cond;
  gint fired;
  gboolean on_io;
  GstResilientIoContext *io;
} TimeoutState;

static gboolean
on_timeout (gpointer data)
{
  TimeoutState *t = data;

  g_mutex_lock (&t->lock);
  t->fired++;
  t->on_io = gst_resilient_io_context_is_current (t->io);
  g_cond_signal (&t->cond);
  g_mutex_unlock (&t->lock);
  return G_SOURCE_REMOVE;
}

GST_START_TEST (test_timeout)
{
  TimeoutState t = { 0, };
  GSource *source;
  gint64 end = g_get_monotonic_time () + WAIT_US;

  g_mutex_init (&t.lock);
  g_cond_init (&t.cond);
  t.io = gst_resilient_io_context_get ();

  source = gst_resilient_io_context_add_timeout (t.io, 10, on_timeout, &t,
      NULL);
  g_mutex_lock (&t.lock);
  while (t.fired == 0 && g_cond_wait_until (&t.cond, &t.lock, end));
  fail_unless_equals_int (t.fired, 1);
  fail_unless (t.on_io);
  g_mutex_unlock (&t.lock);
  g_source_destroy (source);
  g_source_unref (source);

  gst_resilient_io_context_unref (t.io);
  g_mutex_clear (&t.lock);
  g_cond_clear (&t.cond);
}

GST_END_TEST;

static gboolean
drop_last_ref (gpointer data)
{
  GstResilientIoContext *io = data;

  /* the last reference, dropped on the I/O thread itself */
  gst_resilient_io_context_unref (io);
  return G_SOURCE_REMOVE;
}

GST_START_TEST (test_last_unref_on_io_thread)
{
  GstResilientIoContext *io = gst_resilient_io_context_get ();
  gint64 end = g_get_monotonic_time () + WAIT_US;

  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), 1);
  gst_resilient_io_context_invoke (io, drop_last_ref, io, NULL);

  /* the thread tears itself down */
  while (gst_resilient_io_context_get_n_threads () != 0
      && g_get_monotonic_time () < end)
    g_usleep (1000);
  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), 0);

  /* a new one can be had */
  io = gst_resilient_io_context_get ();
  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), 1);
  gst_resilient_io_context_invoke_sync (io, noop, NULL);
  gst_resilient_io_context_unref (io);
  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), 0);
}

GST_END_TEST;

/* ---------------------------------------------------------------------- */
/* invocations before ready sources of default priority */

#define N_FLOOD 8
/* the dispatch of flood source 0 during which the invocation is queued */
#define TRIGGER 10

typedef struct _Flood Flood;

typedef struct
{
  Flood *flood;
  gint index;
} FloodItem;

struct _Flood
{
  GstResilientIoContext *io;
  gboolean from_other_thread;
  FloodItem items[N_FLOOD];
  GSource *sources[N_FLOOD];
  gint counts[N_FLOOD];         /* the I/O thread's */
  gint queued_at[N_FLOOD];      /* counts when the invocation was queued */
  gint ran_at[N_FLOOD];         /* counts when it ran */
  gint chained_at[N_FLOOD];     /* counts when the one it queued ran */
  GMutex lock;
  GCond cond;
  gboolean reached;             /* lock: source 0 waits at TRIGGER */
  gboolean pushed;              /* lock: the other thread queued it */
  gboolean ran;                 /* lock: the invocation and its chained one */
  gint order[2];                /* lock: which invocation ran first, second */
  gint n_order;                 /* lock */
};

static gboolean
flood_chained (gpointer data)
{
  Flood *f = data;

  g_mutex_lock (&f->lock);
  memcpy (f->chained_at, f->counts, sizeof (f->counts));
  f->ran = TRUE;
  g_cond_broadcast (&f->cond);
  g_mutex_unlock (&f->lock);
  return G_SOURCE_REMOVE;
}

static gboolean
flood_invoked (gpointer data)
{
  Flood *f = data;

  g_mutex_lock (&f->lock);
  memcpy (f->ran_at, f->counts, sizeof (f->counts));
  if (f->n_order < 2)
    f->order[f->n_order++] = 1;
  g_mutex_unlock (&f->lock);
  /* like a command that queues the next one: a chain of control work is not
   * interleaved with the ready sources either */
  gst_resilient_io_context_invoke (f->io, flood_chained, f, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
flood_sync_invoked (gpointer data)
{
  Flood *f = data;

  g_mutex_lock (&f->lock);
  if (f->n_order < 2)
    f->order[f->n_order++] = 2;
  g_mutex_unlock (&f->lock);
  return G_SOURCE_REMOVE;
}

/* always ready, at G_PRIORITY_DEFAULT: like sockets that always have data */
static gboolean
flood_dispatch (gpointer data)
{
  FloodItem *item = data;
  Flood *f = item->flood;

  f->counts[item->index]++;
  if (item->index != 0 || f->counts[0] != TRIGGER)
    return G_SOURCE_CONTINUE;

  memcpy (f->queued_at, f->counts, sizeof (f->counts));
  if (!f->from_other_thread) {
    gst_resilient_io_context_invoke (f->io, flood_invoked, f, NULL);
    return G_SOURCE_CONTINUE;
  }
  /* hold this iteration until the other thread has queued it */
  g_mutex_lock (&f->lock);
  f->reached = TRUE;
  g_cond_broadcast (&f->cond);
  while (!f->pushed)
    g_cond_wait (&f->cond, &f->lock);
  g_mutex_unlock (&f->lock);
  return G_SOURCE_CONTINUE;
}

static gboolean
flood_start (gpointer data)
{
  Flood *f = data;
  gint i;

  /* all in one go, so that every iteration dispatches all of them */
  for (i = 0; i < N_FLOOD; i++) {
    f->items[i].flood = f;
    f->items[i].index = i;
    f->sources[i] = g_idle_source_new ();
    g_source_set_priority (f->sources[i], G_PRIORITY_DEFAULT);
    g_source_set_callback (f->sources[i], flood_dispatch, &f->items[i], NULL);
    gst_resilient_io_context_attach (f->io, f->sources[i]);
  }
  return G_SOURCE_REMOVE;
}

static gboolean
flood_stop (gpointer data)
{
  Flood *f = data;
  gint i;

  for (i = 0; i < N_FLOOD; i++) {
    g_source_destroy (f->sources[i]);
    g_source_unref (f->sources[i]);
  }
  return G_SOURCE_REMOVE;
}

static void
run_flood (gboolean from_other_thread)
{
  Flood f = { 0, };
  gint64 end = g_get_monotonic_time () + WAIT_US;
  gint i;

  g_mutex_init (&f.lock);
  g_cond_init (&f.cond);
  f.io = gst_resilient_io_context_get ();
  f.from_other_thread = from_other_thread;
  gst_resilient_io_context_invoke_sync (f.io, flood_start, &f);

  if (from_other_thread) {
    g_mutex_lock (&f.lock);
    while (!f.reached && g_cond_wait_until (&f.cond, &f.lock, end));
    fail_unless (f.reached);
    gst_resilient_io_context_invoke (f.io, flood_invoked, &f, NULL);
    f.pushed = TRUE;
    g_cond_broadcast (&f.cond);
    g_mutex_unlock (&f.lock);
    /* and one that the caller waits for, queued after it */
    gst_resilient_io_context_invoke_sync (f.io, flood_sync_invoked, &f);
  }

  g_mutex_lock (&f.lock);
  while (!f.ran && g_cond_wait_until (&f.cond, &f.lock, end));
  fail_unless (f.ran);
  g_mutex_unlock (&f.lock);
  gst_resilient_io_context_invoke_sync (f.io, flood_stop, &f);

  /* the sources kept running meanwhile ... */
  fail_unless (f.counts[0] >= TRIGGER);
  /* ... but the invocation ran in the next iteration, and the one it queued
   * in the one after: before any of them was dispatched again */
  for (i = 0; i < N_FLOOD; i++) {
    GST_LOG ("source %d: %d when queued, %d when it ran, %d when the next "
        "ran", i, f.queued_at[i], f.ran_at[i], f.chained_at[i]);
    fail_unless_equals_int (f.ran_at[i], TRIGGER);
    fail_unless_equals_int (f.chained_at[i], TRIGGER);
  }
  if (from_other_thread) {
    fail_unless_equals_int (f.n_order, 2);
    fail_unless_equals_int (f.order[0], 1);
    fail_unless_equals_int (f.order[1], 2);
  }

  gst_resilient_io_context_unref (f.io);
  g_mutex_clear (&f.lock);
  g_cond_clear (&f.cond);
}

GST_START_TEST (test_invoke_before_ready_sources)
{
  /* queued on the I/O thread itself, from one of the busy sources */
  run_flood (FALSE);
}

GST_END_TEST;

GST_START_TEST (test_invoke_before_ready_sources_other_thread)
{
  /* queued from another thread (the element stopping) while the I/O thread
   * is busy */
  run_flood (TRUE);
}

GST_END_TEST;

/* An invocation queued by an invocation comes after those already queued. */
typedef struct
{
  GstResilientIoContext *io;
  GString *order;               /* the I/O thread's */
} NestedState;

static gboolean
nested_c (gpointer data)
{
  NestedState *s = data;

  g_string_append_c (s->order, 'C');
  return G_SOURCE_REMOVE;
}

static gboolean
nested_a (gpointer data)
{
  NestedState *s = data;

  g_string_append_c (s->order, 'A');
  gst_resilient_io_context_invoke (s->io, nested_c, s, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
nested_b (gpointer data)
{
  NestedState *s = data;

  g_string_append_c (s->order, 'B');
  return G_SOURCE_REMOVE;
}

static gboolean
nested_start (gpointer data)
{
  NestedState *s = data;

  /* both queued in one go, so they run in one batch */
  gst_resilient_io_context_invoke (s->io, nested_a, s, NULL);
  gst_resilient_io_context_invoke (s->io, nested_b, s, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
nested_notify_count (gpointer data)
{
  return G_SOURCE_CONTINUE;     /* ignored: it runs once */
}

static void
count_notify (gpointer data)
{
  g_atomic_int_inc ((gint *) data);
}

GST_START_TEST (test_invoke_fifo_nested)
{
  NestedState s = { 0, };
  gint notified = 0;

  s.io = gst_resilient_io_context_get ();
  s.order = g_string_new (NULL);

  gst_resilient_io_context_invoke_sync (s.io, nested_start, &s);
  /* A, B, then C (queued by A). A first no-op may be queued before A runs
   * (and so before C); a second one, queued after the first has run, comes
   * after C */
  gst_resilient_io_context_invoke_sync (s.io, noop, NULL);
  gst_resilient_io_context_invoke_sync (s.io, noop, NULL);
  fail_unless_equals_string (s.order->str, "ABC");

  /* the notify is called once, after the function, whatever it returns */
  gst_resilient_io_context_invoke (s.io, nested_notify_count, &notified,
      count_notify);
  gst_resilient_io_context_invoke_sync (s.io, noop, NULL);
  gst_resilient_io_context_invoke_sync (s.io, noop, NULL);
  fail_unless_equals_int (g_atomic_int_get (&notified), 1);

  g_string_free (s.order, TRUE);
  gst_resilient_io_context_unref (s.io);
}

GST_END_TEST;

/* Invocations still queued when the last reference goes are run (and their
 * notify called), not leaked. */
GST_START_TEST (test_pending_invocations_run_at_stop)
{
  GstResilientIoContext *io = gst_resilient_io_context_get ();
  gint notified = 0;
  gint i;

  for (i = 0; i < 50; i++)
    gst_resilient_io_context_invoke (io, noop, &notified, count_notify);
  gst_resilient_io_context_unref (io);
  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), 0);
  fail_unless_equals_int (notified, 50);
}

GST_END_TEST;

/* ---------------------------------------------------------------------- */
/* the pool of _get_for_stream() */

typedef struct
{
  GstResilientIoContext *io;
  GstResilientIoContext **others;
  guint n_others;
  GThread *thread;
  gboolean current;
  gboolean others_current;
  gchar name[17];
} ThreadProbe;

static gboolean
probe_thread (gpointer data)
{
  ThreadProbe *p = data;
  guint i;

  p->thread = g_thread_self ();
  p->current = gst_resilient_io_context_is_current (p->io);
  for (i = 0; i < p->n_others; i++) {
    if (p->others[i] != p->io
        && gst_resilient_io_context_is_current (p->others[i]))
      p->others_current = TRUE;
  }
#ifdef __linux__
  if (prctl (PR_GET_NAME, p->name, 0, 0, 0) != 0)
    p->name[0] = '\0';
#else
  g_strlcpy (p->name, "rrtsp-io", sizeof (p->name));
#endif
  return G_SOURCE_REMOVE;
}

GST_START_TEST (test_for_stream_pool)
{
  GstResilientIoContext *s[6], *shared, *extra, *plain;
  ThreadProbe probes[3];
  gint i, j;

  /* before the first call in this (forked) test process; the pool size is
   * decided again whenever none of its threads runs */
  g_setenv (GST_RESILIENT_IO_THREADS_ENV, "3", TRUE);
  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), 0);

  /* fewest users first: 0 1 2 0 1 2 */
  for (i = 0; i < 6; i++)
    s[i] = gst_resilient_io_context_get_for_stream ();
  fail_unless (s[0] != s[1] && s[1] != s[2] && s[0] != s[2]);
  fail_unless (s[3] == s[0]);
  fail_unless (s[4] == s[1]);
  fail_unless (s[5] == s[2]);
  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), 3);

  /* the shared context is none of them */
  shared = gst_resilient_io_context_get ();
  for (i = 0; i < 3; i++)
    fail_unless (shared != s[i]);
  fail_unless (gst_resilient_io_context_get () == shared);
  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), 4);
  gst_resilient_io_context_unref (shared);
  gst_resilient_io_context_unref (shared);
  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), 3);

  /* each its own thread, named like the others */
  for (i = 0; i < 3; i++) {
    memset (&probes[i], 0, sizeof (probes[i]));
    probes[i].io = s[i];
    probes[i].others = s;
    probes[i].n_others = 3;
    fail_unless (gst_resilient_io_context_get_main_context (s[i]) !=
        g_main_context_default ());
    fail_if (gst_resilient_io_context_is_current (s[i]));
    gst_resilient_io_context_invoke_sync (s[i], probe_thread, &probes[i]);
    fail_unless (probes[i].current);
    fail_if (probes[i].others_current);
    fail_unless (probes[i].thread != g_thread_self ());
    fail_unless_equals_string (probes[i].name, "rrtsp-io");
  }
  for (i = 0; i < 3; i++)
    for (j = i + 1; j < 3; j++) {
      fail_unless (probes[i].thread != probes[j].thread);
      fail_unless (gst_resilient_io_context_get_main_context (s[i]) !=
          gst_resilient_io_context_get_main_context (s[j]));
    }

  /* a user less on the second: the next one goes there */
  gst_resilient_io_context_unref_for_stream (s[4]);
  extra = gst_resilient_io_context_get_for_stream ();
  fail_unless (extra == s[1]);
  s[4] = extra;

  /* other references are no users: with none left, the third gets the next
   * one although it is still referenced (and keeps its thread) */
  plain = gst_resilient_io_context_ref (s[2]);
  gst_resilient_io_context_unref_for_stream (s[2]);
  gst_resilient_io_context_unref_for_stream (s[5]);
  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), 3);
  extra = gst_resilient_io_context_get_for_stream ();
  fail_unless (extra == plain);
  gst_resilient_io_context_unref (plain);
  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), 3);

  /* a thread stops with its last reference */
  gst_resilient_io_context_unref_for_stream (extra);
  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), 2);
  /* and its slot has no users: a new one starts there */
  extra = gst_resilient_io_context_get_for_stream ();
  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), 3);
  fail_unless (extra != s[0] && extra != s[1]);
  gst_resilient_io_context_unref_for_stream (extra);

  gst_resilient_io_context_unref_for_stream (s[0]);
  gst_resilient_io_context_unref_for_stream (s[1]);
  gst_resilient_io_context_unref_for_stream (s[3]);
  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), 1);
  gst_resilient_io_context_unref_for_stream (s[4]);
  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), 0);

  /* all stopped: the size is decided again */
  g_setenv (GST_RESILIENT_IO_THREADS_ENV, "2", TRUE);
  s[0] = gst_resilient_io_context_get_for_stream ();
  s[1] = gst_resilient_io_context_get_for_stream ();
  s[2] = gst_resilient_io_context_get_for_stream ();
  fail_unless (s[0] != s[1]);
  fail_unless (s[2] == s[0]);
  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), 2);
  for (i = 0; i < 3; i++)
    gst_resilient_io_context_unref_for_stream (s[i]);
  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), 0);

  g_unsetenv (GST_RESILIENT_IO_THREADS_ENV);
}

GST_END_TEST;

/* One per CPU unless the environment says otherwise, and a bad value is
 * ignored. */
static void
check_pool_size (guint expected)
{
  GstResilientIoContext **s = g_new0 (GstResilientIoContext *, expected + 1);
  guint i, j;

  for (i = 0; i <= expected; i++)
    s[i] = gst_resilient_io_context_get_for_stream ();
  for (i = 0; i < expected; i++)
    for (j = i + 1; j < expected; j++)
      fail_unless (s[i] != s[j]);
  /* one more than N: shares with the first */
  fail_unless (s[expected] == s[0]);
  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), expected);
  for (i = 0; i <= expected; i++)
    gst_resilient_io_context_unref_for_stream (s[i]);
  fail_unless_equals_int (gst_resilient_io_context_get_n_threads (), 0);
  g_free (s);
}

GST_START_TEST (test_for_stream_pool_size)
{
  guint cpus = MAX (g_get_num_processors (), 1);
  const gchar *bad[] = { "0", "-1", "abc", "3x", "", "100000" };
  guint i;

  g_unsetenv (GST_RESILIENT_IO_THREADS_ENV);
  check_pool_size (cpus);

  g_setenv (GST_RESILIENT_IO_THREADS_ENV, "1", TRUE);
  check_pool_size (1);

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    GST_INFO ("%s=\"%s\"", GST_RESILIENT_IO_THREADS_ENV, bad[i]);
    g_setenv (GST_RESILIENT_IO_THREADS_ENV, bad[i], TRUE);
    check_pool_size (cpus);
  }
  g_unsetenv (GST_RESILIENT_IO_THREADS_ENV);
}

GST_END_TEST;

static Suite *
iocontext_suite (void)
{
  Suite *s = suite_create ("iocontext");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_shared_refcount);
  tcase_add_test (tc, test_invoke_fifo);
  tcase_add_test (tc, test_invoke_sync_inline);
  tcase_add_test (tc, test_timeout);
  tcase_add_test (tc, test_last_unref_on_io_thread);
  tcase_add_test (tc, test_invoke_before_ready_sources);
  tcase_add_test (tc, test_invoke_before_ready_sources_other_thread);
  tcase_add_test (tc, test_invoke_fifo_nested);
  tcase_add_test (tc, test_pending_invocations_run_at_stop);
  tcase_add_test (tc, test_for_stream_pool);
  tcase_add_test (tc, test_for_stream_pool_size);
  return s;
}

GST_CHECK_MAIN (iocontext);
