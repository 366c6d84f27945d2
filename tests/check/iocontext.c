/* resilientrtsp
 * tests/check/iocontext.c: the shared I/O thread.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

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
  return s;
}

GST_CHECK_MAIN (iocontext);
