/* resilientrtsp
 * tests/check/outlet.c: the pool of delivery threads, with real pads: a
 * src pad linked to a sink pad whose chain function records what arrives
 * and on which thread.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <gst/check/gstcheck.h>

#include "outlet.h"

/* generous bound, only so that a bug fails instead of hanging */
#define WAIT_US (20 * G_USEC_PER_SEC)
/* time given to something that must not happen */
#define QUIET_US (200 * G_TIME_SPAN_MILLISECOND)

#define EVENT_MARK G_MAXUINT64

static gint max_threads_seen;   /* atomic */

/* Upper bounds on the thread count assume that a push into a sink that
 * returns at once is not descheduled for two intervals (10 ms), or the
 * pool rightly takes it for blocked and grows. True on a loaded machine
 * (tried with twice as many busy processes as CPUs); not under valgrind,
 * which runs one thread at a time: the bounds are not checked there. */
static gboolean
bounds_hold (void)
{
  const gchar *preload = g_getenv ("LD_PRELOAD");

  return preload == NULL || strstr (preload, "vgpreload") == NULL;
}

#define fail_unless_threads_at_most(n) G_STMT_START {                 \
  if (bounds_hold ())                                                 \
    fail_unless (g_atomic_int_get (&max_threads_seen) <= (gint) (n),  \
        "%d threads seen, expected at most %d",                       \
        g_atomic_int_get (&max_threads_seen), (gint) (n));            \
} G_STMT_END

static void
note_threads (void)
{
  gint n = gst_resilient_outlet_n_threads ();
  gint old;

  do {
    old = g_atomic_int_get (&max_threads_seen);
  } while (n > old
      && !g_atomic_int_compare_and_exchange (&max_threads_seen, old, n));
}

typedef struct
{
  GstPad *src, *sink;
  GMutex lock;
  GCond cond;
  GArray *offsets;              /* guint64, EVENT_MARK for a custom event */
  GPtrArray *threads;           /* GThread* the chain ran on */
  gint in_chain;                /* atomic */
  gint overlap;                 /* atomic: the chain ran twice at once */
  gint off_pool;                /* atomic: ran on a thread not "rrtsp-out" */
  gboolean block;               /* lock: the next chain call waits */
  gboolean blocked;             /* lock: a chain call waits */
  GThread *blocked_thread;      /* lock */
  gboolean release;             /* lock */
  GstResilientOutlet *free_in_chain;    /* lock: freed by the next chain */
  guint slow;                   /* immutable after setup: every slow-th
                                 * buffer takes a while */
} Sink;

static gboolean
sink_is_flushing (GstPad * pad)
{
  gboolean flushing;

  GST_OBJECT_LOCK (pad);
  flushing = GST_PAD_IS_FLUSHING (pad);
  GST_OBJECT_UNLOCK (pad);
  return flushing;
}

static void
check_thread_name (Sink * s)
{
#ifdef __linux__
  char name[17] = { 0, };

  if (prctl (PR_GET_NAME, name, 0, 0, 0) == 0 && strcmp (name, "rrtsp-out"))
    g_atomic_int_set (&s->off_pool, 1);
#endif
}

static GstFlowReturn
sink_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  Sink *s = gst_pad_get_element_private (pad);
  GstFlowReturn ret = GST_FLOW_OK;
  guint64 offset = GST_BUFFER_OFFSET (buf);
  GstResilientOutlet *to_free;

  if (g_atomic_int_add (&s->in_chain, 1) != 0)
    g_atomic_int_set (&s->overlap, 1);
  note_threads ();
  check_thread_name (s);

  g_mutex_lock (&s->lock);
  g_array_append_val (s->offsets, offset);
  g_ptr_array_add (s->threads, g_thread_self ());
  if (s->block) {
    s->blocked = TRUE;
    s->blocked_thread = g_thread_self ();
    g_cond_broadcast (&s->cond);
    /* like a sink waiting for its clock: flushing unblocks it */
    while (!s->release && !sink_is_flushing (pad))
      g_cond_wait_until (&s->cond, &s->lock, g_get_monotonic_time () +
          10 * G_TIME_SPAN_MILLISECOND);
    if (!s->release)
      ret = GST_FLOW_FLUSHING;
    s->blocked = FALSE;
    s->block = FALSE;
    s->release = FALSE;
  }
  if (s->slow && s->offsets->len % s->slow == 0) {
    /* a slow push: queueing goes on meanwhile */
    g_mutex_unlock (&s->lock);
    g_usleep (200);
    g_mutex_lock (&s->lock);
  }
  to_free = s->free_in_chain;
  s->free_in_chain = NULL;
  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_CORRUPTED))
    ret = GST_FLOW_ERROR;
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);

  if (to_free)
    gst_resilient_outlet_free (to_free);
  g_atomic_int_add (&s->in_chain, -1);
  gst_buffer_unref (buf);
  return ret;
}

static gboolean
sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  Sink *s = gst_pad_get_element_private (pad);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM) {
    guint64 mark = EVENT_MARK;

    g_mutex_lock (&s->lock);
    g_array_append_val (s->offsets, mark);
    g_cond_broadcast (&s->cond);
    g_mutex_unlock (&s->lock);
  }
  gst_event_unref (event);
  return TRUE;
}

static Sink *
sink_new (void)
{
  Sink *s = g_new0 (Sink, 1);
  GstSegment segment;

  g_mutex_init (&s->lock);
  g_cond_init (&s->cond);
  s->offsets = g_array_new (FALSE, FALSE, sizeof (guint64));
  s->threads = g_ptr_array_new ();
  s->src = gst_pad_new ("src", GST_PAD_SRC);
  s->sink = gst_pad_new ("sink", GST_PAD_SINK);
  gst_pad_set_element_private (s->sink, s);
  gst_pad_set_chain_function (s->sink, sink_chain);
  gst_pad_set_event_function (s->sink, sink_event);
  fail_unless_equals_int (gst_pad_link (s->src, s->sink), GST_PAD_LINK_OK);
  fail_unless (gst_pad_set_active (s->src, TRUE));
  fail_unless (gst_pad_set_active (s->sink, TRUE));
  fail_unless (gst_pad_push_event (s->src,
          gst_event_new_stream_start ("outlet-test")));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  fail_unless (gst_pad_push_event (s->src, gst_event_new_segment (&segment)));
  return s;
}

static void
sink_free (Sink * s)
{
  gst_pad_set_active (s->sink, FALSE);
  gst_pad_set_active (s->src, FALSE);
  gst_pad_unlink (s->src, s->sink);
  fail_unless_equals_int (GST_OBJECT_REFCOUNT_VALUE (s->src), 1);
  gst_object_unref (s->src);
  gst_object_unref (s->sink);
  g_array_free (s->offsets, TRUE);
  g_ptr_array_unref (s->threads);
  g_mutex_clear (&s->lock);
  g_cond_clear (&s->cond);
  g_free (s);
}

static guint
sink_count (Sink * s)
{
  guint n;

  g_mutex_lock (&s->lock);
  n = s->offsets->len;
  g_mutex_unlock (&s->lock);
  return n;
}

/* Waits until @s received @n items; FALSE after WAIT_US. */
static gboolean
sink_wait_count (Sink * s, guint n)
{
  gint64 end = g_get_monotonic_time () + WAIT_US;
  gboolean ok = TRUE;

  g_mutex_lock (&s->lock);
  while (s->offsets->len < n && ok)
    ok = g_cond_wait_until (&s->cond, &s->lock, end) || s->offsets->len >= n;
  g_mutex_unlock (&s->lock);
  return ok;
}

static gboolean
sink_wait_blocked (Sink * s)
{
  gint64 end = g_get_monotonic_time () + WAIT_US;
  gboolean ok = TRUE;

  g_mutex_lock (&s->lock);
  while (!s->blocked && ok)
    ok = g_cond_wait_until (&s->cond, &s->lock, end) || s->blocked;
  g_mutex_unlock (&s->lock);
  return ok;
}

static void
sink_block_next (Sink * s)
{
  g_mutex_lock (&s->lock);
  s->block = TRUE;
  g_mutex_unlock (&s->lock);
}

static void
sink_release (Sink * s)
{
  g_mutex_lock (&s->lock);
  s->release = TRUE;
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
}

static guint64
sink_offset (Sink * s, guint i)
{
  guint64 v;

  g_mutex_lock (&s->lock);
  v = g_array_index (s->offsets, guint64, i);
  g_mutex_unlock (&s->lock);
  return v;
}

static GstBuffer *
buffer_new (guint64 offset)
{
  GstBuffer *buf = gst_buffer_new ();

  GST_BUFFER_OFFSET (buf) = offset;
  return buf;
}

static void
count_finalized (gpointer data, GstMiniObject * obj)
{
  g_atomic_int_inc ((gint *) data);
}

/* A buffer that counts its finalization in @finalized. */
static GstMiniObject *
tracked_buffer_new (guint64 offset, gint * finalized)
{
  GstBuffer *buf = buffer_new (offset);

  gst_mini_object_weak_ref (GST_MINI_OBJECT_CAST (buf), count_finalized,
      finalized);
  return GST_MINI_OBJECT_CAST (buf);
}

/* Polls @cond (a gboolean expression) until true or WAIT_US. */
#define POLL_UNTIL(cond) G_STMT_START {                               \
  gint64 _end = g_get_monotonic_time () + WAIT_US;                    \
  while (!(cond) && g_get_monotonic_time () < _end)                   \
    g_usleep (2000);                                                  \
  fail_unless (cond, "timed out waiting for: " #cond);                \
} G_STMT_END

static void
setup (void)
{
  g_unsetenv (GST_RESILIENT_OUTLET_THREADS_ENV);
  g_atomic_int_set (&max_threads_seen, 0);
  fail_unless_equals_int (gst_resilient_outlet_n_threads (), 0);
}

GST_START_TEST (test_pool_lifecycle)
{
  Sink *s = sink_new ();
  GstResilientOutlet *a, *b;

  setup ();
  a = gst_resilient_outlet_new (s->src, NULL, NULL);
  /* started at the first outlet, with one thread (more as work needs) */
  fail_unless_equals_int (gst_resilient_outlet_n_threads (), 1);
  b = gst_resilient_outlet_new (s->src, NULL, NULL);
  fail_unless_equals_int (gst_resilient_outlet_n_threads (), 1);
  fail_unless_equals_int (gst_resilient_outlet_get_last_flow (a), GST_FLOW_OK);

  gst_resilient_outlet_queue (a, GST_MINI_OBJECT_CAST (buffer_new (1)));
  fail_unless (sink_wait_count (s, 1));
  /* an idle pool (no thread paused after work) is woken by a queue */
  g_usleep (QUIET_US);
  gst_resilient_outlet_queue (b, GST_MINI_OBJECT_CAST (buffer_new (1)));
  fail_unless (sink_wait_count (s, 2));
  g_usleep (QUIET_US);
  gst_resilient_outlet_queue (a, GST_MINI_OBJECT_CAST (buffer_new (1)));
  fail_unless (sink_wait_count (s, 3));
  gst_resilient_outlet_free (a);
  fail_unless (gst_resilient_outlet_n_threads () >= 1);
  gst_resilient_outlet_free (b);
  /* joined when the last outlet goes */
  fail_unless_equals_int (gst_resilient_outlet_n_threads (), 0);

  /* and a new pool on demand */
  a = gst_resilient_outlet_new (s->src, NULL, NULL);
  fail_unless_equals_int (gst_resilient_outlet_n_threads (), 1);
  gst_resilient_outlet_queue (a, GST_MINI_OBJECT_CAST (buffer_new (2)));
  fail_unless (sink_wait_count (s, 4));
  fail_unless_equals_uint64 (sink_offset (s, 0), 1);
  fail_unless_equals_uint64 (sink_offset (s, 3), 2);
  gst_resilient_outlet_free (a);
  fail_unless_equals_int (gst_resilient_outlet_n_threads (), 0);
  fail_if (g_atomic_int_get (&s->off_pool));
  sink_free (s);
}

GST_END_TEST;

/* ---- order under concurrent queueing ---- */

#define N_ORDER_OUTLETS 3
#define N_PRODUCERS 4
#define N_PER_PRODUCER 2000

/* Several outlets, several producers; a lock orders the queue calls, so
 * each outlet's sequence is known: 0, 1, 2 ... in its own numbering. */
typedef struct
{
  GstResilientOutlet *outlets[N_ORDER_OUTLETS];
  GMutex lock;
  guint64 next[N_ORDER_OUTLETS];        /* lock */
  guint turn;                   /* lock */
} OrderState;

static gpointer
producer (gpointer data)
{
  OrderState *st = data;
  gint i;

  for (i = 0; i < N_PER_PRODUCER; i++) {
    guint o;

    g_mutex_lock (&st->lock);
    o = st->turn++ % N_ORDER_OUTLETS;
    if (st->turn % 7 == 0) {
      /* a few at once */
      GstQueueArray *q = gst_queue_array_new (4);
      gint k;

      for (k = 0; k < 3; k++)
        gst_queue_array_push_tail (q, buffer_new (st->next[o]++));
      gst_resilient_outlet_queue_many (st->outlets[o], q);
      fail_unless (gst_queue_array_is_empty (q));
      gst_queue_array_free (q);
    } else {
      gst_resilient_outlet_queue (st->outlets[o],
          GST_MINI_OBJECT_CAST (buffer_new (st->next[o]++)));
    }
    g_mutex_unlock (&st->lock);
    if (i % 64 == 0)
      g_usleep (100);
  }
  return NULL;
}

GST_START_TEST (test_order_concurrent)
{
  OrderState st = { {NULL,}, };
  Sink *sinks[N_ORDER_OUTLETS];
  GThread *threads[N_PRODUCERS];
  guint i, j;

  setup ();
  /* several delivery threads, so outlets do move between threads */
  g_setenv (GST_RESILIENT_OUTLET_THREADS_ENV, "3", TRUE);
  g_mutex_init (&st.lock);
  for (i = 0; i < N_ORDER_OUTLETS; i++) {
    sinks[i] = sink_new ();
    sinks[i]->slow = 50;
    st.outlets[i] = gst_resilient_outlet_new (sinks[i]->src, NULL, NULL);
  }

  for (i = 0; i < N_PRODUCERS; i++)
    threads[i] = g_thread_new ("producer", producer, &st);
  for (i = 0; i < N_PRODUCERS; i++)
    g_thread_join (threads[i]);

  for (i = 0; i < N_ORDER_OUTLETS; i++) {
    Sink *s = sinks[i];

    fail_unless (sink_wait_count (s, st.next[i]));
    g_mutex_lock (&s->lock);
    fail_unless_equals_int (s->offsets->len, st.next[i]);
    for (j = 0; j < s->offsets->len; j++)
      fail_unless_equals_uint64 (g_array_index (s->offsets, guint64, j), j);
    g_mutex_unlock (&s->lock);
    fail_if (g_atomic_int_get (&s->overlap));
    fail_if (g_atomic_int_get (&s->off_pool));
  }

  for (i = 0; i < N_ORDER_OUTLETS; i++) {
    gst_resilient_outlet_free (st.outlets[i]);
    sink_free (sinks[i]);
  }
  fail_unless_equals_int (gst_resilient_outlet_n_threads (), 0);
  fail_unless_threads_at_most (3);
  g_mutex_clear (&st.lock);
}

GST_END_TEST;

/* One outlet, several producers serialized by a lock, so the order of the
 * queue calls is known: every item arrives once, in that order, never two
 * pushes at once. */
typedef struct
{
  GstResilientOutlet *outlet;
  GMutex lock;
  guint64 next;
  guint64 total;
} StrictState;

static gpointer
strict_producer (gpointer data)
{
  StrictState *st = data;

  for (;;) {
    g_mutex_lock (&st->lock);
    if (st->next >= st->total) {
      g_mutex_unlock (&st->lock);
      break;
    }
    if (st->next % 5 == 0 && st->next + 2 < st->total) {
      GstQueueArray *q = gst_queue_array_new (4);

      gst_queue_array_push_tail (q, buffer_new (st->next++));
      gst_queue_array_push_tail (q, buffer_new (st->next++));
      gst_queue_array_push_tail (q, buffer_new (st->next++));
      gst_resilient_outlet_queue_many (st->outlet, q);
      gst_queue_array_free (q);
    } else {
      gst_resilient_outlet_queue (st->outlet,
          GST_MINI_OBJECT_CAST (buffer_new (st->next++)));
    }
    if (st->next % 64 == 0) {
      g_mutex_unlock (&st->lock);
      g_usleep (100);
      continue;
    }
    g_mutex_unlock (&st->lock);
  }
  return NULL;
}

GST_START_TEST (test_order_strict)
{
  StrictState st = { NULL, };
  Sink *s;
  GThread *threads[N_PRODUCERS];
  GHashTable *seen_threads;
  guint i;

  setup ();
  g_setenv (GST_RESILIENT_OUTLET_THREADS_ENV, "4", TRUE);
  s = sink_new ();
  s->slow = 50;
  st.outlet = gst_resilient_outlet_new (s->src, NULL, NULL);
  st.total = N_PRODUCERS * N_PER_PRODUCER;
  g_mutex_init (&st.lock);

  for (i = 0; i < N_PRODUCERS; i++)
    threads[i] = g_thread_new ("producer", strict_producer, &st);
  for (i = 0; i < N_PRODUCERS; i++)
    g_thread_join (threads[i]);

  fail_unless (sink_wait_count (s, st.total));
  seen_threads = g_hash_table_new (NULL, NULL);
  g_mutex_lock (&s->lock);
  fail_unless_equals_int (s->offsets->len, st.total);
  for (i = 0; i < s->offsets->len; i++) {
    fail_unless_equals_uint64 (g_array_index (s->offsets, guint64, i), i);
    g_hash_table_add (seen_threads, g_ptr_array_index (s->threads, i));
  }
  g_mutex_unlock (&s->lock);
  fail_if (g_atomic_int_get (&s->overlap));
  fail_if (g_atomic_int_get (&s->off_pool));
  GST_INFO ("delivered by %u threads", g_hash_table_size (seen_threads));
  g_hash_table_unref (seen_threads);

  gst_resilient_outlet_free (st.outlet);
  fail_unless_equals_int (gst_resilient_outlet_n_threads (), 0);
  fail_unless_threads_at_most (4);
  sink_free (s);
  g_mutex_clear (&st.lock);
}

GST_END_TEST;

/* ---- many outlets ---- */

#define N_MANY 200
#define N_MANY_ITEMS 50

typedef struct
{
  GstResilientOutlet **outlets;
  guint first, last;
} ManyRange;

static gpointer
many_producer (gpointer data)
{
  ManyRange *r = data;
  guint i, k;

  for (k = 0; k < N_MANY_ITEMS; k++)
    for (i = r->first; i < r->last; i++)
      gst_resilient_outlet_queue (r->outlets[i],
          GST_MINI_OBJECT_CAST (buffer_new (k)));
  return NULL;
}

GST_START_TEST (test_many_outlets)
{
  Sink *sinks[N_MANY];
  GstResilientOutlet *outlets[N_MANY];
  ManyRange ranges[2] = { {outlets, 0, N_MANY / 2}, {outlets, N_MANY / 2,
      N_MANY}
  };
  GThread *t0, *t1;
  guint base = g_get_num_processors ();
  guint i, k;

  setup ();
  for (i = 0; i < N_MANY; i++) {
    sinks[i] = sink_new ();
    outlets[i] = gst_resilient_outlet_new (sinks[i]->src, NULL, NULL);
  }
  t0 = g_thread_new ("producer", many_producer, &ranges[0]);
  t1 = g_thread_new ("producer", many_producer, &ranges[1]);
  g_thread_join (t0);
  g_thread_join (t1);

  for (i = 0; i < N_MANY; i++) {
    fail_unless (sink_wait_count (sinks[i], N_MANY_ITEMS));
    for (k = 0; k < N_MANY_ITEMS; k++)
      fail_unless_equals_uint64 (sink_offset (sinks[i], k), k);
    fail_if (g_atomic_int_get (&sinks[i]->overlap));
    fail_if (g_atomic_int_get (&sinks[i]->off_pool));
  }
  /* nothing blocked: never more than the CPU count */
  note_threads ();
  fail_unless_threads_at_most (base);

  for (i = 0; i < N_MANY; i++) {
    gst_resilient_outlet_free (outlets[i]);
    sink_free (sinks[i]);
  }
  fail_unless_equals_int (gst_resilient_outlet_n_threads (), 0);
}

GST_END_TEST;

/* ---- events, lists, flow returns ---- */

GST_START_TEST (test_items_and_flow)
{
  Sink *s;
  GstResilientOutlet *o;
  GstBuffer *bad;
  GstBufferList *list;
  GstStructure *lost;

  setup ();
  s = sink_new ();
  o = gst_resilient_outlet_new (s->src, NULL, NULL);
  fail_unless_equals_int (gst_resilient_outlet_get_last_flow (o), GST_FLOW_OK);

  /* a buffer, a custom serialized event (like GstRTPPacketLost), a
   * list: in order */
  gst_resilient_outlet_queue (o, GST_MINI_OBJECT_CAST (buffer_new (0)));
  lost = gst_structure_new ("GstRTPPacketLost", "seqnum", G_TYPE_UINT, 1, NULL);
  gst_resilient_outlet_queue (o,
      GST_MINI_OBJECT_CAST (gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
              lost)));
  list = gst_buffer_list_new ();
  gst_buffer_list_add (list, buffer_new (2));
  gst_buffer_list_add (list, buffer_new (3));
  gst_resilient_outlet_queue (o, GST_MINI_OBJECT_CAST (list));
  fail_unless (sink_wait_count (s, 4));
  fail_unless_equals_uint64 (sink_offset (s, 0), 0);
  fail_unless_equals_uint64 (sink_offset (s, 1), EVENT_MARK);
  fail_unless_equals_uint64 (sink_offset (s, 2), 2);
  fail_unless_equals_uint64 (sink_offset (s, 3), 3);

  /* an error is recorded and does not stop later pushes */
  bad = buffer_new (4);
  GST_BUFFER_FLAG_SET (bad, GST_BUFFER_FLAG_CORRUPTED);
  gst_resilient_outlet_queue (o, GST_MINI_OBJECT_CAST (bad));
  POLL_UNTIL (gst_resilient_outlet_get_last_flow (o) == GST_FLOW_ERROR);
  gst_resilient_outlet_queue (o, GST_MINI_OBJECT_CAST (buffer_new (5)));
  fail_unless (sink_wait_count (s, 6));
  fail_unless_equals_uint64 (sink_offset (s, 5), 5);
  POLL_UNTIL (gst_resilient_outlet_get_last_flow (o) == GST_FLOW_OK);

  /* downstream flushing */
  gst_pad_set_active (s->sink, FALSE);
  gst_resilient_outlet_queue (o, GST_MINI_OBJECT_CAST (buffer_new (6)));
  POLL_UNTIL (gst_resilient_outlet_get_last_flow (o) == GST_FLOW_FLUSHING);
  fail_unless_equals_int (sink_count (s), 6);

  gst_resilient_outlet_free (o);
  sink_free (s);
}

GST_END_TEST;

/* ---- dropped items ---- */

GST_START_TEST (test_clear_and_free_drop)
{
  Sink *s;
  GstResilientOutlet *o;
  gint finalized = 0;
  guint i;

  setup ();
  s = sink_new ();
  o = gst_resilient_outlet_new (s->src, NULL, NULL);

  /* the first push blocks: what is queued behind it waits */
  sink_block_next (s);
  gst_resilient_outlet_queue (o, tracked_buffer_new (0, &finalized));
  fail_unless (sink_wait_blocked (s));
  for (i = 1; i <= 5; i++)
    gst_resilient_outlet_queue (o, tracked_buffer_new (i, &finalized));
  fail_unless_equals_int (g_atomic_int_get (&finalized), 0);

  gst_resilient_outlet_clear (o);
  fail_unless_equals_int (g_atomic_int_get (&finalized), 5);

  /* queued after the clear: delivered */
  gst_resilient_outlet_queue (o, tracked_buffer_new (6, &finalized));
  sink_release (s);
  fail_unless (sink_wait_count (s, 2));
  POLL_UNTIL (g_atomic_int_get (&finalized) == 7);
  fail_unless_equals_uint64 (sink_offset (s, 0), 0);
  fail_unless_equals_uint64 (sink_offset (s, 1), 6);

  /* what the thread took with the item it pushes now is dropped too */
  sink_block_next (s);
  {
    GstQueueArray *q = gst_queue_array_new (8);

    for (i = 10; i < 15; i++)
      gst_queue_array_push_tail (q, tracked_buffer_new (i, &finalized));
    gst_resilient_outlet_queue_many (o, q);
    gst_queue_array_free (q);
  }
  fail_unless (sink_wait_blocked (s));
  gst_resilient_outlet_clear (o);
  gst_resilient_outlet_queue (o, tracked_buffer_new (15, &finalized));
  sink_release (s);
  fail_unless (sink_wait_count (s, 4));
  POLL_UNTIL (g_atomic_int_get (&finalized) == 13);
  fail_unless_equals_uint64 (sink_offset (s, 2), 10);
  fail_unless_equals_uint64 (sink_offset (s, 3), 15);

  /* clear of an idle outlet is harmless */
  gst_resilient_outlet_clear (o);

  /* free drops what is queued */
  sink_block_next (s);
  gst_resilient_outlet_queue (o, tracked_buffer_new (7, &finalized));
  fail_unless (sink_wait_blocked (s));
  for (i = 8; i <= 10; i++)
    gst_resilient_outlet_queue (o, tracked_buffer_new (i, &finalized));
  sink_release (s);
  gst_resilient_outlet_free (o);
  /* 7 was pushed, 8..10 pushed or dropped: all gone */
  fail_unless_equals_int (g_atomic_int_get (&finalized), 17);
  fail_unless_equals_int (gst_resilient_outlet_n_threads (), 0);
  sink_free (s);
}

GST_END_TEST;

/* Items queued after free never leak either (a use-after-free would crash
 * under valgrind/ASan, so only the queueing on a live outlet is tested):
 * free with nothing owned returns at once and drops. */
GST_START_TEST (test_free_drops_unpushed)
{
  Sink *s;
  GstResilientOutlet *blocker, *o;
  gint finalized = 0;
  Sink *bs;
  guint i;

  setup ();
  /* one thread, held by another outlet: o's items cannot be pushed */
  g_setenv (GST_RESILIENT_OUTLET_THREADS_ENV, "1", TRUE);
  bs = sink_new ();
  s = sink_new ();
  blocker = gst_resilient_outlet_new (bs->src, NULL, NULL);
  o = gst_resilient_outlet_new (s->src, NULL, NULL);
  sink_block_next (bs);
  gst_resilient_outlet_queue (blocker, GST_MINI_OBJECT_CAST (buffer_new (0)));
  fail_unless (sink_wait_blocked (bs));
  /* (the pool may grow a thread for o after two intervals; either way
   * every item is gone after free) */
  for (i = 0; i < 20; i++)
    gst_resilient_outlet_queue (o, tracked_buffer_new (i, &finalized));
  gst_resilient_outlet_free (o);
  fail_unless_equals_int (g_atomic_int_get (&finalized), 20);
  fail_unless_equals_int (GST_OBJECT_REFCOUNT_VALUE (s->src), 1);

  sink_release (bs);
  gst_resilient_outlet_free (blocker);
  fail_unless_equals_int (gst_resilient_outlet_n_threads (), 0);
  sink_free (bs);
  sink_free (s);
}

GST_END_TEST;

/* ---- wake-ups ---- */

typedef struct
{
  GstResilientOutlet *outlet;
  Sink *sink;
  gint count;                   /* atomic */
  gint concurrent;              /* atomic: ran during a push of its outlet */
  gint off_pool;                /* atomic */
  gint queue_and_reschedule;    /* wake-ups that queue and set the next */
  gboolean free_self;
  GThread *thread;              /* where it last ran (atomic pointer) */
} WakeState;

static void
on_wake (GstResilientOutlet * outlet, gpointer user_data)
{
  WakeState *w = user_data;
  gint n;

  fail_unless (outlet == w->outlet);
  if (w->sink && g_atomic_int_get (&w->sink->in_chain) != 0)
    g_atomic_int_set (&w->concurrent, 1);
#ifdef __linux__
  {
    char name[17] = { 0, };

    if (prctl (PR_GET_NAME, name, 0, 0, 0) == 0 && strcmp (name, "rrtsp-out"))
      g_atomic_int_set (&w->off_pool, 1);
  }
#endif
  g_atomic_pointer_set (&w->thread, g_thread_self ());
  n = g_atomic_int_add (&w->count, 1) + 1;
  if (n <= w->queue_and_reschedule) {
    gst_resilient_outlet_queue (outlet,
        GST_MINI_OBJECT_CAST (buffer_new (1000 + n)));
    if (n < w->queue_and_reschedule)
      gst_resilient_outlet_set_wakeup (outlet, g_get_monotonic_time () + 1000);
  }
  if (w->free_self)
    gst_resilient_outlet_free (outlet);
}

static gint64
in_ms (gint ms)
{
  return g_get_monotonic_time () + ms * G_TIME_SPAN_MILLISECOND;
}

GST_START_TEST (test_wakeup)
{
  Sink *s;
  WakeState w = { NULL, };

  setup ();
  s = sink_new ();
  w.outlet = gst_resilient_outlet_new (s->src, on_wake, &w);

  /* once */
  gst_resilient_outlet_set_wakeup (w.outlet, in_ms (20));
  POLL_UNTIL (g_atomic_int_get (&w.count) == 1);
  g_usleep (QUIET_US);
  fail_unless_equals_int (g_atomic_int_get (&w.count), 1);
  fail_unless (g_atomic_pointer_get (&w.thread) != g_thread_self ());

  /* set twice: once */
  gst_resilient_outlet_set_wakeup (w.outlet, in_ms (10));
  gst_resilient_outlet_set_wakeup (w.outlet, in_ms (15));
  POLL_UNTIL (g_atomic_int_get (&w.count) == 2);
  g_usleep (QUIET_US);
  fail_unless_equals_int (g_atomic_int_get (&w.count), 2);

  /* cancelled */
  gst_resilient_outlet_set_wakeup (w.outlet, in_ms (20));
  gst_resilient_outlet_set_wakeup (w.outlet, 0);
  g_usleep (QUIET_US);
  fail_unless_equals_int (g_atomic_int_get (&w.count), 2);

  /* moved later (far away) */
  gst_resilient_outlet_set_wakeup (w.outlet, in_ms (10));
  gst_resilient_outlet_set_wakeup (w.outlet, in_ms (3600 * 1000));
  g_usleep (QUIET_US);
  fail_unless_equals_int (g_atomic_int_get (&w.count), 2);

  /* moved earlier: runs long before the first time */
  gst_resilient_outlet_set_wakeup (w.outlet, in_ms (10));
  POLL_UNTIL (g_atomic_int_get (&w.count) == 3);

  /* in the past: at once */
  gst_resilient_outlet_set_wakeup (w.outlet, g_get_monotonic_time () - 1000);
  POLL_UNTIL (g_atomic_int_get (&w.count) == 4);

  /* due, then cancelled before it could run is allowed to have run or
   * not; a wake func that queues and reschedules itself */
  w.queue_and_reschedule = 4 + 20;
  gst_resilient_outlet_set_wakeup (w.outlet, in_ms (1));
  fail_unless (sink_wait_count (s, 20));
  POLL_UNTIL (g_atomic_int_get (&w.count) == 24);
  {
    guint i;

    for (i = 0; i < 20; i++)
      fail_unless_equals_uint64 (sink_offset (s, i), 1000 + 5 + i);
  }
  g_usleep (QUIET_US);
  fail_unless_equals_int (g_atomic_int_get (&w.count), 24);
  fail_if (g_atomic_int_get (&w.off_pool));

  gst_resilient_outlet_free (w.outlet);
  fail_unless_equals_int (gst_resilient_outlet_n_threads (), 0);
  sink_free (s);
}

GST_END_TEST;

/* Wake-ups and pushes of one outlet never overlap. */
GST_START_TEST (test_wakeup_exclusive)
{
  Sink *s;
  WakeState w = { NULL, };
  guint i;

  setup ();
  g_setenv (GST_RESILIENT_OUTLET_THREADS_ENV, "4", TRUE);
  s = sink_new ();
  w.sink = s;
  w.outlet = gst_resilient_outlet_new (s->src, on_wake, &w);
  for (i = 0; i < 2000; i++) {
    gst_resilient_outlet_queue (w.outlet,
        GST_MINI_OBJECT_CAST (buffer_new (i)));
    if (i % 10 == 0)
      gst_resilient_outlet_set_wakeup (w.outlet, g_get_monotonic_time ());
    if (i % 100 == 0)
      g_usleep (1000);
  }
  fail_unless (sink_wait_count (s, 2000));
  for (i = 0; i < 2000; i++)
    fail_unless_equals_uint64 (sink_offset (s, i), i);
  POLL_UNTIL (g_atomic_int_get (&w.count) >= 1);
  fail_if (g_atomic_int_get (&w.concurrent));
  fail_if (g_atomic_int_get (&s->overlap));

  gst_resilient_outlet_free (w.outlet);
  sink_free (s);
}

GST_END_TEST;

/* Many wake-up times (the heap): each runs once; cancelled ones never. */
#define N_WAKE 200

GST_START_TEST (test_wakeup_many)
{
  Sink *s;
  WakeState w[N_WAKE];
  GRand *rand = g_rand_new_with_seed (42);
  guint i, ran = 0;

  setup ();
  s = sink_new ();
  memset (w, 0, sizeof (w));
  for (i = 0; i < N_WAKE; i++)
    w[i].outlet = gst_resilient_outlet_new (s->src, on_wake, &w[i]);
  for (i = 0; i < N_WAKE; i++) {
    /* some set twice, some moved, some cancelled */
    gst_resilient_outlet_set_wakeup (w[i].outlet, in_ms (g_rand_int_range
            (rand, 1, 100)));
    if (i % 5 == 1)
      gst_resilient_outlet_set_wakeup (w[i].outlet, in_ms (g_rand_int_range
              (rand, 1, 100)));
    if (i % 5 == 2)
      gst_resilient_outlet_set_wakeup (w[i].outlet, 0);
  }
  for (i = 0; i < N_WAKE; i++) {
    if (i % 5 == 2)
      continue;
    POLL_UNTIL (g_atomic_int_get (&w[i].count) == 1);
    ran++;
  }
  g_usleep (QUIET_US);
  for (i = 0; i < N_WAKE; i++)
    fail_unless_equals_int (g_atomic_int_get (&w[i].count), i % 5 == 2 ? 0 : 1);
  fail_unless_equals_int (ran, N_WAKE - N_WAKE / 5);

  for (i = 0; i < N_WAKE; i++)
    gst_resilient_outlet_free (w[i].outlet);
  fail_unless_equals_int (gst_resilient_outlet_n_threads (), 0);
  g_rand_free (rand);
  sink_free (s);
}

GST_END_TEST;

/* Heap churn: many outlets, wake-up times set, moved and cancelled in a
 * random order; at the end each near one runs exactly once, the far and
 * cancelled ones never. A wrong heap order hides near ones behind far
 * ones. */
#define N_CHURN 500

GST_START_TEST (test_wakeup_churn)
{
  Sink *s;
  WakeState *w = g_new0 (WakeState, N_CHURN);
  gint *final = g_new0 (gint, N_CHURN); /* 0 none, 1 near, 2 far */
  GRand *rand = g_rand_new_with_seed (7);
  guint i, step, expected = 0;
  gint64 start;

  setup ();
  s = sink_new ();
  for (i = 0; i < N_CHURN; i++)
    w[i].outlet = gst_resilient_outlet_new (s->src, on_wake, &w[i]);
  start = g_get_monotonic_time ();
  for (step = 0; step < 8 * N_CHURN; step++) {
    i = g_rand_int_range (rand, 0, N_CHURN);
    switch (g_rand_int_range (rand, 0, 3)) {
      case 0:
        final[i] = 0;
        gst_resilient_outlet_set_wakeup (w[i].outlet, 0);
        break;
      case 1:
        final[i] = 1;
        gst_resilient_outlet_set_wakeup (w[i].outlet, in_ms (1000 +
                g_rand_int_range (rand, 0, 300)));
        break;
      default:
        final[i] = 2;
        gst_resilient_outlet_set_wakeup (w[i].outlet, in_ms (3600 * 1000 +
                g_rand_int_range (rand, 0, 100000)));
        break;
    }
  }
  /* a near one that came before a later step moved it would count where
   * it should not: only when setting took less than the second before the
   * first near one (always, but under a very slow valgrind) */
  if (g_get_monotonic_time () - start > 900 * G_TIME_SPAN_MILLISECOND) {
    GST_WARNING ("setting the wake-ups took too long: counts not checked");
    memset (final, 0, N_CHURN * sizeof (gint));
    for (i = 0; i < N_CHURN; i++)
      gst_resilient_outlet_set_wakeup (w[i].outlet, 0);
  }
  for (i = 0; i < N_CHURN; i++) {
    if (final[i] != 1)
      continue;
    expected++;
    POLL_UNTIL (g_atomic_int_get (&w[i].count) >= 1);
  }
  g_usleep (QUIET_US);
  for (i = 0; i < N_CHURN; i++)
    if (final[i] != 0 || expected > 0)
      fail_unless_equals_int (g_atomic_int_get (&w[i].count), final[i] == 1 ?
          1 : 0);

  for (i = 0; i < N_CHURN; i++)
    gst_resilient_outlet_free (w[i].outlet);
  fail_unless_equals_int (gst_resilient_outlet_n_threads (), 0);
  g_rand_free (rand);
  g_free (final);
  g_free (w);
  sink_free (s);
}

GST_END_TEST;

/* Freed from its own wake func: no further callback; the pad and the
 * pool go once the wake func returns (the last outlet: the pool stops
 * from one of its own threads). */
GST_START_TEST (test_free_from_wake)
{
  Sink *s;
  WakeState w = { NULL, };

  setup ();
  s = sink_new ();
  w.free_self = TRUE;
  w.outlet = gst_resilient_outlet_new (s->src, on_wake, &w);
  gst_resilient_outlet_set_wakeup (w.outlet, in_ms (5));
  POLL_UNTIL (g_atomic_int_get (&w.count) == 1);
  POLL_UNTIL (GST_OBJECT_REFCOUNT_VALUE (s->src) == 1);
  POLL_UNTIL (gst_resilient_outlet_n_threads () == 0);
  g_usleep (QUIET_US);
  fail_unless_equals_int (g_atomic_int_get (&w.count), 1);
  sink_free (s);
}

GST_END_TEST;

/* Freed by downstream from inside a push of it: what is queued behind is
 * dropped, nothing more is pushed. */
GST_START_TEST (test_free_from_push)
{
  Sink *s, *other;
  GstResilientOutlet *o, *keep;
  GstQueueArray *q = gst_queue_array_new (16);
  gint finalized = 0;
  guint i;

  setup ();
  s = sink_new ();
  other = sink_new ();
  /* another outlet keeps the pool alive */
  keep = gst_resilient_outlet_new (other->src, NULL, NULL);
  o = gst_resilient_outlet_new (s->src, NULL, NULL);
  sink_block_next (s);
  g_mutex_lock (&s->lock);
  s->free_in_chain = o;
  g_mutex_unlock (&s->lock);
  /* all at once: the thread takes 1..9 with 0, they must not be pushed
   * once the outlet is freed */
  for (i = 0; i < 10; i++)
    gst_queue_array_push_tail (q, tracked_buffer_new (i, &finalized));
  gst_resilient_outlet_queue_many (o, q);
  gst_queue_array_free (q);
  fail_unless (sink_wait_blocked (s));
  sink_release (s);
  POLL_UNTIL (g_atomic_int_get (&finalized) == 10);
  POLL_UNTIL (GST_OBJECT_REFCOUNT_VALUE (s->src) == 1);
  fail_unless_equals_int (sink_count (s), 1);

  /* the pool still works */
  gst_resilient_outlet_queue (keep, GST_MINI_OBJECT_CAST (buffer_new (1)));
  fail_unless (sink_wait_count (other, 1));
  gst_resilient_outlet_free (keep);
  fail_unless_equals_int (gst_resilient_outlet_n_threads (), 0);
  sink_free (s);
  sink_free (other);
}

GST_END_TEST;

/* ---- blocked downstream ---- */

typedef struct
{
  guint base;
  guint n_blocked;
} BlockedCase;

static void
check_blocked (guint base, guint n_blocked)
{
  Sink *blocked[8], *free_sink;
  GstResilientOutlet *bo[8], *fo;
  GHashTable *blocked_threads = g_hash_table_new (NULL, NULL);
  gchar *env = g_strdup_printf ("%u", base);
  gint64 end;
  guint i, k = 0;

  setup ();
  g_setenv (GST_RESILIENT_OUTLET_THREADS_ENV, env, TRUE);
  g_free (env);

  for (i = 0; i < n_blocked; i++) {
    blocked[i] = sink_new ();
    bo[i] = gst_resilient_outlet_new (blocked[i]->src, NULL, NULL);
  }
  free_sink = sink_new ();
  fo = gst_resilient_outlet_new (free_sink->src, NULL, NULL);

  for (i = 0; i < n_blocked; i++) {
    sink_block_next (blocked[i]);
    gst_resilient_outlet_queue (bo[i], GST_MINI_OBJECT_CAST (buffer_new (0)));
    fail_unless (sink_wait_blocked (blocked[i]));
    g_hash_table_add (blocked_threads, blocked[i]->blocked_thread);
    note_threads ();
    /* more behind it */
    gst_resilient_outlet_queue (bo[i], GST_MINI_OBJECT_CAST (buffer_new (1)));
  }
  fail_unless_equals_int (g_hash_table_size (blocked_threads), n_blocked);

  /* the others are still delivered: the pool grows when every thread is
   * blocked; it keeps queueing, as a live stream does */
  end = g_get_monotonic_time () + WAIT_US;
  while (sink_count (free_sink) == 0 && g_get_monotonic_time () < end) {
    gst_resilient_outlet_queue (fo, GST_MINI_OBJECT_CAST (buffer_new (k++)));
    note_threads ();
    g_usleep (2000);
  }
  fail_unless (sink_count (free_sink) > 0);
  fail_unless (sink_wait_count (free_sink, k));
  for (i = 0; i < k; i++)
    fail_unless_equals_uint64 (sink_offset (free_sink, i), i);
  g_mutex_lock (&free_sink->lock);
  for (i = 0; i < free_sink->threads->len; i++)
    fail_if (g_hash_table_contains (blocked_threads,
            g_ptr_array_index (free_sink->threads, i)));
  g_mutex_unlock (&free_sink->lock);
  note_threads ();
  fail_unless_threads_at_most (base + n_blocked);
  /* (noted by the free sink's chain, on the thread that pushed) */
  if (n_blocked >= base)
    fail_unless (g_atomic_int_get (&max_threads_seen) > (gint) base);

  /* unblocked: the rest arrives, and the extra threads end when idle */
  for (i = 0; i < n_blocked; i++) {
    sink_release (blocked[i]);
    fail_unless (sink_wait_count (blocked[i], 2));
    fail_unless_equals_uint64 (sink_offset (blocked[i], 0), 0);
    fail_unless_equals_uint64 (sink_offset (blocked[i], 1), 1);
  }
  POLL_UNTIL (gst_resilient_outlet_n_threads () <= base);
  /* still working */
  gst_resilient_outlet_queue (fo, GST_MINI_OBJECT_CAST (buffer_new (k++)));
  fail_unless (sink_wait_count (free_sink, k));
  fail_unless_threads_at_most (base + n_blocked);

  for (i = 0; i < n_blocked; i++) {
    gst_resilient_outlet_free (bo[i]);
    sink_free (blocked[i]);
  }
  gst_resilient_outlet_free (fo);
  sink_free (free_sink);
  fail_unless_equals_int (gst_resilient_outlet_n_threads (), 0);
  g_hash_table_unref (blocked_threads);
}

GST_START_TEST (test_blocked_one_thread)
{
  check_blocked (1, 1);
}

GST_END_TEST;

GST_START_TEST (test_blocked_two_threads)
{
  check_blocked (2, 2);
}

GST_END_TEST;

GST_START_TEST (test_blocked_fewer_than_base)
{
  /* a free base thread takes the work: no extra thread */
  check_blocked (3, 1);
}

GST_END_TEST;

/* Wake-ups are not stalled by a blocked thread either. */
GST_START_TEST (test_blocked_wakeup)
{
  Sink *bs, *s;
  GstResilientOutlet *blocker, *keepalive;
  WakeState w = { NULL, };
  gint64 end;

  setup ();
  g_setenv (GST_RESILIENT_OUTLET_THREADS_ENV, "1", TRUE);
  bs = sink_new ();
  s = sink_new ();
  blocker = gst_resilient_outlet_new (bs->src, NULL, NULL);
  keepalive = gst_resilient_outlet_new (s->src, NULL, NULL);
  w.outlet = gst_resilient_outlet_new (s->src, on_wake, &w);
  sink_block_next (bs);
  gst_resilient_outlet_queue (blocker, GST_MINI_OBJECT_CAST (buffer_new (0)));
  fail_unless (sink_wait_blocked (bs));
  gst_resilient_outlet_set_wakeup (w.outlet, in_ms (1));
  /* growth is checked when something is queued */
  end = g_get_monotonic_time () + WAIT_US;
  while (g_atomic_int_get (&w.count) == 0 && g_get_monotonic_time () < end) {
    gst_resilient_outlet_queue (blocker, GST_MINI_OBJECT_CAST (buffer_new (1)));
    g_usleep (2000);
  }
  fail_unless_equals_int (g_atomic_int_get (&w.count), 1);

  sink_release (bs);
  gst_resilient_outlet_free (w.outlet);
  gst_resilient_outlet_free (keepalive);
  gst_resilient_outlet_free (blocker);
  fail_unless_equals_int (gst_resilient_outlet_n_threads (), 0);
  sink_free (bs);
  sink_free (s);
}

GST_END_TEST;

typedef struct
{
  GstResilientOutlet *outlet;
  gint done;                    /* atomic */
} FreeCall;

static gpointer
free_thread (gpointer data)
{
  FreeCall *call = data;

  gst_resilient_outlet_free (call->outlet);
  g_atomic_int_set (&call->done, 1);
  return NULL;
}

/* free() waits for a push in progress, which returns once downstream is
 * deactivated. @last: the outlet is the pool's last (free also stops the
 * pool) or another one keeps the pool running. */
static void
check_free_while_blocked (gboolean last)
{
  Sink *s, *other = NULL;
  GstResilientOutlet *keep = NULL;
  FreeCall call = { NULL, };
  GThread *thread;
  gint finalized = 0;
  guint i;

  setup ();
  s = sink_new ();
  if (!last) {
    other = sink_new ();
    keep = gst_resilient_outlet_new (other->src, NULL, NULL);
  }
  call.outlet = gst_resilient_outlet_new (s->src, NULL, NULL);
  sink_block_next (s);
  gst_resilient_outlet_queue (call.outlet, tracked_buffer_new (0, &finalized));
  fail_unless (sink_wait_blocked (s));
  for (i = 1; i <= 3; i++)
    gst_resilient_outlet_queue (call.outlet, tracked_buffer_new (i,
            &finalized));

  thread = g_thread_new ("freer", free_thread, &call);
  /* the queued ones are dropped at once; free waits for the push */
  POLL_UNTIL (g_atomic_int_get (&finalized) == 3);
  g_usleep (QUIET_US);
  fail_if (g_atomic_int_get (&call.done));

  /* as a state change does: the push returns FLUSHING */
  gst_pad_set_active (s->sink, FALSE);
  POLL_UNTIL (g_atomic_int_get (&call.done));
  g_thread_join (thread);
  fail_unless_equals_int (g_atomic_int_get (&finalized), 4);
  fail_unless_equals_int (sink_count (s), 1);
  fail_unless_equals_int (GST_OBJECT_REFCOUNT_VALUE (s->src), 1);
  if (!last) {
    gst_resilient_outlet_queue (keep, GST_MINI_OBJECT_CAST (buffer_new (0)));
    fail_unless (sink_wait_count (other, 1));
    fail_unless (gst_resilient_outlet_n_threads () > 0);
    gst_resilient_outlet_free (keep);
    sink_free (other);
  }
  fail_unless_equals_int (gst_resilient_outlet_n_threads (), 0);
  sink_free (s);
}

GST_START_TEST (test_free_while_blocked)
{
  check_free_while_blocked (FALSE);
}

GST_END_TEST;

GST_START_TEST (test_free_last_while_blocked)
{
  check_free_while_blocked (TRUE);
}

GST_END_TEST;

GST_START_TEST (test_env_threads)
{
  const gchar *bad[] = { "0", "-1", "abc", "2x", "" };
  Sink *s;
  GstResilientOutlet *o;
  guint i;

  /* bad values fall back to the CPU count (ignored with a warning) */
  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    setup ();
    g_setenv (GST_RESILIENT_OUTLET_THREADS_ENV, bad[i], TRUE);
    s = sink_new ();
    o = gst_resilient_outlet_new (s->src, NULL, NULL);
    gst_resilient_outlet_queue (o, GST_MINI_OBJECT_CAST (buffer_new (0)));
    fail_unless (sink_wait_count (s, 1));
    fail_unless (gst_resilient_outlet_n_threads () >= 1);
    fail_unless_threads_at_most (g_get_num_processors ());
    gst_resilient_outlet_free (o);
    sink_free (s);
  }
  g_unsetenv (GST_RESILIENT_OUTLET_THREADS_ENV);
}

GST_END_TEST;

static Suite *
outlet_suite (void)
{
  Suite *s = suite_create ("outlet");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_pool_lifecycle);
  tcase_add_test (tc, test_order_strict);
  tcase_add_test (tc, test_order_concurrent);
  tcase_add_test (tc, test_many_outlets);
  tcase_add_test (tc, test_items_and_flow);
  tcase_add_test (tc, test_clear_and_free_drop);
  tcase_add_test (tc, test_free_drops_unpushed);
  tcase_add_test (tc, test_wakeup);
  tcase_add_test (tc, test_wakeup_exclusive);
  tcase_add_test (tc, test_wakeup_many);
  tcase_add_test (tc, test_wakeup_churn);
  tcase_add_test (tc, test_free_from_wake);
  tcase_add_test (tc, test_free_from_push);
  tcase_add_test (tc, test_blocked_one_thread);
  tcase_add_test (tc, test_blocked_two_threads);
  tcase_add_test (tc, test_blocked_fewer_than_base);
  tcase_add_test (tc, test_blocked_wakeup);
  tcase_add_test (tc, test_free_while_blocked);
  tcase_add_test (tc, test_free_last_while_blocked);
  tcase_add_test (tc, test_env_threads);
  return s;
}

GST_CHECK_MAIN (outlet);
