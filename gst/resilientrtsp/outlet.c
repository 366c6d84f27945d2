/* resilientrtsp
 * outlet.c: the process-wide pool of delivery threads (see outlet.h).
 *
 * The pool: a ready list of outlets that have work and no owner (each at
 * most once, ready_link embedded in the outlet, so no allocation), a
 * min-heap of outlets with a wake-up time, and the threads. A thread takes
 * one outlet off the ready list and owns it: it alone runs the outlet's
 * wake func and pushes its items, taking the whole queue at a time (a swap
 * of two GstQueueArrays) and pushing it with no lock held; items queued
 * meanwhile stay on the outlet and are pushed by the owner, which keeps
 * the order. When the queue is empty (or, after one batch, other outlets
 * are waiting: they get their turn and this one goes to the back of the
 * ready list) the thread releases the outlet.
 *
 * A thread's states: BUSY (looking for or doing work), PAUSED (it worked
 * since it last woke less than an interval ago: it does not look again
 * before last wake + interval; nobody signals it), IDLE (the ready list
 * was empty: it waits on its own GCond) and WAKING (signalled, not yet
 * running). One idle thread, the timer thread, also waits for the heap's
 * earliest wake-up time; the others wait without a deadline, so due
 * wake-ups wake one thread, not all. Busy and paused threads move due
 * wake-ups to the ready list every time they look.
 *
 * Queueing signals a thread only when nobody will look soon: no thread is
 * paused (it looks within an interval) or waking, and an idle one exists.
 * So under load, when threads cycle between work and pauses, queueing
 * costs no futex wake at all; an idle pool delivers at once. (Not only on
 * the ready list's empty → non-empty transition: a thread that took the
 * list's first outlet may then block downstream, and the idle ones must
 * still come for the rest.)
 *
 * Threads: started as work finds no free thread, up to the base count
 * (the CPU count or RESILIENTRTSP_DELIVERY_THREADS); beyond it only when
 * every thread has been inside one push for more than two intervals and
 * work waits (ready outlets or a due wake-up). The queueing side checks
 * that, at most once per interval and only when no thread is free (a few
 * integer compares otherwise); a blocked pool with nobody queueing waits
 * for a push to return. Extra threads end after 1 s idle; an ended thread
 * is joined by the next one that ends, or when the pool stops. The pool
 * stops (threads joined) when the last outlet is freed; the next outlet
 * starts a new one.
 *
 * locking order: (caller's lock, e.g. media->lock) → global_lock →
 * pool->lock. Wake funcs, pushes and item unrefs run with no lock of ours
 * held.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/base/gstqueuearray.h>

#include "outlet.h"

GST_DEBUG_CATEGORY_STATIC (outlet_debug);
#define GST_CAT_DEFAULT outlet_debug

#define INTERVAL_US GST_RESILIENT_OUTLET_INTERVAL_US
/* a push longer than this counts as blocked */
#define BLOCKED_MS (2 * INTERVAL_US / 1000)
#define IDLE_EXIT_US G_USEC_PER_SEC
#define MAX_THREADS 256
#define NOT_IN_HEAP G_MAXUINT
#define ITEMS_PREALLOC 16

typedef struct _OutletPool OutletPool;
typedef struct _DeliveryThread DeliveryThread;

typedef enum
{
  THREAD_BUSY,
  THREAD_PAUSED,
  THREAD_IDLE,
  THREAD_WAKING,
} ThreadState;

struct _DeliveryThread
{
  OutletPool *pool;             /* immutable */
  GThread *thread;              /* pool lock (set once at start) */
  GList link;                   /* pool lock: in pool->threads */
  GList idle_link;              /* pool lock: in pool->idle while idle and
                                 * not the timer thread */
  GCond cond;                   /* with pool lock */
  ThreadState state;            /* pool lock */
  gint64 deadline;              /* pool lock: when an idle wait ends by
                                 * itself, G_MAXINT64 for never */
  gint push_since;              /* atomic: push_stamp() while inside a
                                 * push, 0 outside */
  GstQueueArray *batch;         /* the thread only: what it pushes now */
};

struct _OutletPool
{
  GMutex lock;
  guint n_outlets;              /* global_lock */
  guint base;                   /* immutable: threads kept when idle */
  gint64 epoch;                 /* immutable: for push_stamp() */

  GQueue ready;                 /* lock: outlets with work and no owner */
  GPtrArray *heap;              /* lock: outlets with a wake-up time, a
                                 * binary min-heap on wake_us */
  GQueue threads;               /* lock: running threads */
  GQueue idle;                  /* lock: idle threads but the timer thread,
                                 * the last one idle first */
  DeliveryThread *timer;        /* lock: the idle thread waiting for the
                                 * heap's top, NULL when none */
  guint n_paused;               /* lock */
  guint n_waking;               /* lock */
  gint64 next_growth_check;     /* lock */
  gboolean stopping;            /* lock */
  DeliveryThread *stopper;      /* lock: the pool thread that freed the
                                 * last outlet (it frees the pool) */
  GThread *zombie;              /* lock: an extra thread that ended */
  GCond owner_cond;             /* with lock: an outlet being freed was
                                 * released by its owner */
};

struct _GstResilientOutlet
{
  OutletPool *pool;             /* immutable */
  GstPad *pad;                  /* immutable, a reference */
  GstResilientOutletWakeFunc wake;      /* immutable */
  gpointer user_data;           /* immutable */

  GstQueueArray *items;         /* pool lock: queued, not yet taken */
  GList ready_link;             /* pool lock: in pool->ready when ready */
  gboolean ready;               /* pool lock */
  DeliveryThread *owner;        /* pool lock: the thread working on it */
  gint64 wake_us;               /* pool lock: in the heap when != 0 */
  guint heap_index;             /* pool lock */
  gboolean wake_pending;        /* pool lock: the wake func is due */
  gboolean freeing;             /* pool lock */
  gboolean free_by_owner;       /* pool lock: freed from its owner thread,
                                 * which finishes the job */
  gint flush_seq;               /* atomic (written under pool lock): the
                                 * owner drops a batch taken before a
                                 * _clear() or _free() */
  gint last_flow;               /* atomic */
};

static GMutex global_lock;
static OutletPool *current_pool;        /* global_lock */
static gint n_threads_running;  /* atomic, all pools */

static gpointer delivery_thread_main (gpointer data);

/* Milliseconds since the pool started, never 0 (0 = not in a push);
 * wraps, compared by unsigned difference. */
static inline gint
push_stamp (OutletPool * pool, gint64 now)
{
  return (gint) (((guint32) ((now - pool->epoch) / 1000)) | 1);
}

/* Unrefs every item and frees @items. No lock held. */
static void
items_free (GstQueueArray * items)
{
  GstMiniObject *item;

  if (items == NULL)
    return;
  while ((item = gst_queue_array_pop_head (items)) != NULL)
    gst_mini_object_unref (item);
  gst_queue_array_free (items);
}

/* ---- the wake-up heap (pool lock) ---- */

#define HEAP_AT(pool, i) ((GstResilientOutlet *) (pool)->heap->pdata[i])

static inline void
heap_set (OutletPool * pool, guint i, GstResilientOutlet * o)
{
  pool->heap->pdata[i] = o;
  o->heap_index = i;
}

static void
heap_sift_up (OutletPool * pool, guint i)
{
  GstResilientOutlet *o = HEAP_AT (pool, i);

  while (i > 0) {
    guint parent = (i - 1) / 2;
    GstResilientOutlet *p = HEAP_AT (pool, parent);

    if (p->wake_us <= o->wake_us)
      break;
    heap_set (pool, i, p);
    i = parent;
  }
  heap_set (pool, i, o);
}

static void
heap_sift_down (OutletPool * pool, guint i)
{
  GstResilientOutlet *o = HEAP_AT (pool, i);
  guint n = pool->heap->len;

  for (;;) {
    guint c = 2 * i + 1;
    GstResilientOutlet *child;

    if (c >= n)
      break;
    if (c + 1 < n && HEAP_AT (pool, c + 1)->wake_us < HEAP_AT (pool,
            c)->wake_us)
      c++;
    child = HEAP_AT (pool, c);
    if (o->wake_us <= child->wake_us)
      break;
    heap_set (pool, i, child);
    i = c;
  }
  heap_set (pool, i, o);
}

/* Inserts @o or moves it to its new place after wake_us changed. */
static void
heap_update (OutletPool * pool, GstResilientOutlet * o)
{
  if (o->heap_index == NOT_IN_HEAP) {
    g_ptr_array_add (pool->heap, o);
    heap_sift_up (pool, pool->heap->len - 1);
  } else {
    heap_sift_up (pool, o->heap_index);
    heap_sift_down (pool, o->heap_index);
  }
}

static void
heap_remove (OutletPool * pool, GstResilientOutlet * o)
{
  guint i = o->heap_index, last = pool->heap->len - 1;

  if (i == NOT_IN_HEAP)
    return;
  if (i != last) {
    GstResilientOutlet *moved = HEAP_AT (pool, last);

    heap_set (pool, i, moved);
    g_ptr_array_set_size (pool->heap, last);
    heap_sift_up (pool, i);
    heap_sift_down (pool, moved->heap_index);
  } else {
    g_ptr_array_set_size (pool->heap, last);
  }
  o->heap_index = NOT_IN_HEAP;
  o->wake_us = 0;
}

/* ---- threads (pool lock) ---- */

static void
thread_leave_idle (OutletPool * pool, DeliveryThread * t)
{
  if (pool->timer == t)
    pool->timer = NULL;
  else
    g_queue_unlink (&pool->idle, &t->idle_link);
}

/* Ends @t's idle wait: it runs its loop once more. */
static void
thread_wake (OutletPool * pool, DeliveryThread * t)
{
  thread_leave_idle (pool, t);
  t->state = THREAD_WAKING;
  pool->n_waking++;
  g_cond_signal (&t->cond);
}

static void
pool_spawn (OutletPool * pool)
{
  DeliveryThread *t = g_new0 (DeliveryThread, 1);
  GError *error = NULL;

  t->pool = pool;
  t->link.data = t;
  t->idle_link.data = t;
  g_cond_init (&t->cond);
  t->batch = gst_queue_array_new (ITEMS_PREALLOC);
  t->deadline = G_MAXINT64;
  /* on its way: no other thread is started or signalled for the work that
   * made us start it */
  t->state = THREAD_WAKING;
  pool->n_waking++;
  g_queue_push_tail_link (&pool->threads, &t->link);
  g_atomic_int_inc (&n_threads_running);

  t->thread = g_thread_try_new ("rrtsp-out", delivery_thread_main, t, &error);
  if (t->thread == NULL) {
    GST_WARNING ("could not start a delivery thread: %s", error->message);
    g_clear_error (&error);
    g_queue_unlink (&pool->threads, &t->link);
    pool->n_waking--;
    g_atomic_int_add (&n_threads_running, -1);
    gst_queue_array_free (t->batch);
    g_cond_clear (&t->cond);
    g_free (t);
    return;
  }
  GST_DEBUG ("started delivery thread %p (%u running)", t,
      pool->threads.length);
}

/* Work waits and no thread is free: start one if there are fewer than the
 * base count, or if every thread is blocked downstream. */
static void
pool_maybe_grow (OutletPool * pool)
{
  guint n = pool->threads.length;
  gint64 now;
  guint32 now_ms;
  GList *l;

  if (pool->stopping || n >= MAX_THREADS)
    return;
  now = g_get_monotonic_time ();
  if (pool->ready.length == 0 && (pool->heap->len == 0 ||
          HEAP_AT (pool, 0)->wake_us > now))
    return;
  if (n < pool->base) {
    pool_spawn (pool);
    return;
  }

  if (now < pool->next_growth_check)
    return;
  pool->next_growth_check = now + INTERVAL_US;

  now_ms = (guint32) push_stamp (pool, now);
  for (l = pool->threads.head; l; l = l->next) {
    DeliveryThread *t = l->data;
    guint32 since = (guint32) g_atomic_int_get (&t->push_since);

    /* (signed: a push that began after @now is not blocked) */
    if (since == 0 || (gint32) (now_ms - since) <= BLOCKED_MS)
      return;
  }
  GST_INFO ("all %u delivery threads blocked downstream: starting another", n);
  pool_spawn (pool);
}

/* Something was queued or became due: make sure a thread comes for it. */
static void
pool_kick (OutletPool * pool)
{
  DeliveryThread *t;

  /* a paused thread looks within an interval, a waking one now */
  if (pool->n_paused > 0 || pool->n_waking > 0)
    return;
  if (pool->idle.head)
    t = pool->idle.head->data;
  else
    t = pool->timer;
  if (t) {
    /* (with only a heap, the timer thread waits for it) */
    if (pool->ready.length > 0)
      thread_wake (pool, t);
    return;
  }
  if (pool->ready.length > 0 || pool->heap->len > 0)
    pool_maybe_grow (pool);
}

/* The heap's top is now @when_us: the timer thread must not sleep past
 * it by more than an interval. */
static void
pool_timer_changed (OutletPool * pool, gint64 when_us)
{
  if (pool->timer) {
    if (when_us + INTERVAL_US < pool->timer->deadline)
      thread_wake (pool, pool->timer);
  } else if (pool->idle.head) {
    /* it comes back as the timer thread */
    thread_wake (pool, pool->idle.head->data);
  }
  /* else no thread is idle: busy and paused ones look at the heap */
}

static void
outlet_make_ready (OutletPool * pool, GstResilientOutlet * o)
{
  if (!o->ready && o->owner == NULL) {
    g_queue_push_tail_link (&pool->ready, &o->ready_link);
    o->ready = TRUE;
  }
}

/* Moves the outlets whose wake-up time came to the ready list. */
static void
pool_run_due (OutletPool * pool, gint64 now)
{
  while (pool->heap->len > 0 && HEAP_AT (pool, 0)->wake_us <= now) {
    GstResilientOutlet *o = HEAP_AT (pool, 0);

    heap_remove (pool, o);
    o->wake_pending = TRUE;
    outlet_make_ready (pool, o);
  }
}

/* ---- delivery ---- */

/* Pushes (or, after a flush, drops) everything in t->batch. No lock. */
static void
outlet_push_batch (OutletPool * pool, DeliveryThread * t,
    GstResilientOutlet * o, gint seq)
{
  GstMiniObject *item;

  while ((item = gst_queue_array_pop_head (t->batch)) != NULL) {
    if (G_UNLIKELY (g_atomic_int_get (&o->flush_seq) != seq)) {
      gst_mini_object_unref (item);
      continue;
    }
    g_atomic_int_set (&t->push_since, push_stamp (pool,
            g_get_monotonic_time ()));
    if (GST_IS_BUFFER (item)) {
      GstFlowReturn ret = gst_pad_push (o->pad, GST_BUFFER_CAST (item));

      g_atomic_int_set (&o->last_flow, ret);
      if (G_UNLIKELY (ret != GST_FLOW_OK))
        GST_LOG_OBJECT (o->pad, "push: %s", gst_flow_get_name (ret));
    } else if (GST_IS_BUFFER_LIST (item)) {
      GstFlowReturn ret = gst_pad_push_list (o->pad,
          GST_BUFFER_LIST_CAST (item));

      g_atomic_int_set (&o->last_flow, ret);
      if (G_UNLIKELY (ret != GST_FLOW_OK))
        GST_LOG_OBJECT (o->pad, "push list: %s", gst_flow_get_name (ret));
    } else if (GST_IS_EVENT (item)) {
      GstEvent *event = GST_EVENT_CAST (item);

      GST_TRACE_OBJECT (o->pad, "push event %" GST_PTR_FORMAT, event);
      if (!gst_pad_push_event (o->pad, event))
        GST_LOG_OBJECT (o->pad, "event not handled downstream");
    } else {
      GST_WARNING_OBJECT (o->pad, "dropping an item of type %s",
          g_type_name (GST_MINI_OBJECT_TYPE (item)));
      gst_mini_object_unref (item);
    }
    g_atomic_int_set (&t->push_since, 0);
  }
}

static void outlet_destroy (GstResilientOutlet * o);

/* @t owns @o: runs its wake func and pushes its items until it has none
 * left. Pool lock held; released around callbacks and pushes. */
static void
outlet_deliver (OutletPool * pool, DeliveryThread * t, GstResilientOutlet * o)
{
  gboolean pushed = FALSE;

  o->owner = t;
  while (!o->freeing) {
    if (o->wake_pending) {
      o->wake_pending = FALSE;
      g_mutex_unlock (&pool->lock);
      if (o->wake)
        o->wake (o, o->user_data);
      g_mutex_lock (&pool->lock);
    } else if (!gst_queue_array_is_empty (o->items)) {
      GstQueueArray *batch;
      gint seq;

      if (pushed && pool->ready.length > 0) {
        /* others wait: they have their turn, this one keeps its items
         * (and so their order) and goes to the back */
        o->owner = NULL;
        outlet_make_ready (pool, o);
        return;
      }
      batch = o->items;
      o->items = t->batch;
      t->batch = batch;
      seq = g_atomic_int_get (&o->flush_seq);
      g_mutex_unlock (&pool->lock);
      outlet_push_batch (pool, t, o, seq);
      g_mutex_lock (&pool->lock);
      pushed = TRUE;
    } else {
      break;
    }
  }
  o->owner = NULL;
  if (o->freeing) {
    if (o->free_by_owner) {
      /* freed from its own wake func or push: we finish the job */
      g_mutex_unlock (&pool->lock);
      outlet_destroy (o);
      g_mutex_lock (&pool->lock);
    } else {
      g_cond_broadcast (&pool->owner_cond);
    }
  }
}

static void
pool_free (OutletPool * pool)
{
  g_ptr_array_unref (pool->heap);
  g_cond_clear (&pool->owner_cond);
  g_mutex_clear (&pool->lock);
  g_free (pool);
  GST_DEBUG ("delivery pool stopped");
}

static gpointer
delivery_thread_main (gpointer data)
{
  DeliveryThread *t = data;
  OutletPool *pool = t->pool;
  gint64 now, last_wake, idle_since;
  gboolean worked = FALSE, free_pool;
  GThread *join = NULL;

  g_mutex_lock (&pool->lock);
  if (t->state == THREAD_WAKING)
    pool->n_waking--;
  t->state = THREAD_BUSY;
  last_wake = idle_since = g_get_monotonic_time ();

  while (!pool->stopping) {
    GList *link;

    now = g_get_monotonic_time ();
    pool_run_due (pool, now);

    if ((link = g_queue_pop_head_link (&pool->ready)) != NULL) {
      GstResilientOutlet *o = link->data;

      o->ready = FALSE;
      /* we may block in there: an idle thread must watch the heap */
      if (pool->timer == NULL && pool->heap->len > 0 && pool->idle.head)
        thread_wake (pool, pool->idle.head->data);
      outlet_deliver (pool, t, o);
      worked = TRUE;
      continue;
    }

    if (worked) {
      worked = FALSE;
      idle_since = now;
      if (now < last_wake + INTERVAL_US) {
        /* batching: no look before an interval since the last wake */
        t->state = THREAD_PAUSED;
        pool->n_paused++;
        while (!pool->stopping && g_cond_wait_until (&t->cond, &pool->lock,
                last_wake + INTERVAL_US));
        pool->n_paused--;
        t->state = THREAD_BUSY;
        last_wake = g_get_monotonic_time ();
        continue;
      }
    }

    if (pool->threads.length > pool->base && now >= idle_since + IDLE_EXIT_US) {
      /* the timer thread's role goes to an idle one */
      if (pool->timer == NULL && pool->heap->len > 0 && pool->idle.head)
        thread_wake (pool, pool->idle.head->data);
      break;
    }

    /* idle */
    t->deadline = G_MAXINT64;
    if (pool->timer == NULL) {
      pool->timer = t;
      if (pool->heap->len > 0)
        t->deadline = HEAP_AT (pool, 0)->wake_us;
    } else {
      g_queue_push_head_link (&pool->idle, &t->idle_link);
    }
    if (pool->threads.length > pool->base)
      t->deadline = MIN (t->deadline, idle_since + IDLE_EXIT_US);
    t->state = THREAD_IDLE;
    while (t->state == THREAD_IDLE && !pool->stopping) {
      if (t->deadline == G_MAXINT64)
        g_cond_wait (&t->cond, &pool->lock);
      else if (!g_cond_wait_until (&t->cond, &pool->lock, t->deadline))
        break;
    }
    if (t->state == THREAD_IDLE)
      thread_leave_idle (pool, t);
    else if (t->state == THREAD_WAKING)
      pool->n_waking--;
    t->state = THREAD_BUSY;
    last_wake = g_get_monotonic_time ();
  }

  g_queue_unlink (&pool->threads, &t->link);
  free_pool = FALSE;
  if (pool->stopping) {
    /* the stopper joins us, or, when it is us, we detach and free the
     * pool: everything else was joined before we got here */
    if (pool->stopper == t) {
      free_pool = TRUE;
      g_thread_unref (t->thread);
    }
  } else {
    GST_DEBUG ("extra delivery thread %p ends after idling (%u left)", t,
        pool->threads.length);
    join = pool->zombie;
    pool->zombie = t->thread;
  }
  g_mutex_unlock (&pool->lock);

  if (join)
    g_thread_join (join);
  if (free_pool)
    pool_free (pool);
  gst_queue_array_free (t->batch);
  g_cond_clear (&t->cond);
  g_free (t);
  g_atomic_int_add (&n_threads_running, -1);
  return NULL;
}

/* ---- the pool's life ---- */

static guint
base_threads (void)
{
  const gchar *env = g_getenv (GST_RESILIENT_OUTLET_THREADS_ENV);
  guint n = g_get_num_processors ();

  if (env && *env) {
    gchar *end = NULL;
    guint64 v = g_ascii_strtoull (env, &end, 10);

    if (end && *end == '\0' && v >= 1)
      n = (guint) MIN (v, MAX_THREADS);
    else
      GST_WARNING ("ignoring " GST_RESILIENT_OUTLET_THREADS_ENV "=%s (not a "
          "number >= 1)", env);
  }
  return CLAMP (n, 1, MAX_THREADS);
}

static OutletPool *
pool_acquire (void)
{
  OutletPool *pool;

  g_mutex_lock (&global_lock);
  if (current_pool == NULL) {
    if (outlet_debug == NULL)
      GST_DEBUG_CATEGORY_INIT (outlet_debug, "resilientrtspoutlet", 0,
          "resilientrtsp delivery threads");
    pool = g_new0 (OutletPool, 1);
    g_mutex_init (&pool->lock);
    g_cond_init (&pool->owner_cond);
    g_queue_init (&pool->ready);
    g_queue_init (&pool->threads);
    g_queue_init (&pool->idle);
    pool->heap = g_ptr_array_new ();
    pool->base = base_threads ();
    pool->epoch = g_get_monotonic_time ();
    GST_DEBUG ("delivery pool starts (up to %u threads, more when blocked)",
        pool->base);
    g_mutex_lock (&pool->lock);
    pool_spawn (pool);
    g_mutex_unlock (&pool->lock);
    current_pool = pool;
  }
  pool = current_pool;
  pool->n_outlets++;
  g_mutex_unlock (&global_lock);
  return pool;
}

/* Stops and joins the threads; no outlet is left. */
static void
pool_stop (OutletPool * pool)
{
  GPtrArray *joins = g_ptr_array_new ();
  GThread *self = g_thread_self ();
  gboolean on_pool_thread = FALSE;
  GList *l;
  guint i;

  g_mutex_lock (&pool->lock);
  pool->stopping = TRUE;
  for (l = pool->threads.head; l; l = l->next) {
    DeliveryThread *t = l->data;

    if (t->thread == self) {
      pool->stopper = t;
      on_pool_thread = TRUE;
    } else {
      g_ptr_array_add (joins, t->thread);
    }
    g_cond_signal (&t->cond);
  }
  if (pool->zombie) {
    g_ptr_array_add (joins, pool->zombie);
    pool->zombie = NULL;
  }
  g_mutex_unlock (&pool->lock);

  for (i = 0; i < joins->len; i++)
    g_thread_join (joins->pdata[i]);
  g_ptr_array_unref (joins);
  if (!on_pool_thread)
    pool_free (pool);
}

static void
pool_release (OutletPool * pool)
{
  gboolean last;

  g_mutex_lock (&global_lock);
  last = (--pool->n_outlets == 0);
  if (last && current_pool == pool)
    current_pool = NULL;
  g_mutex_unlock (&global_lock);
  if (last)
    pool_stop (pool);
}

/* ---- API ---- */

GstResilientOutlet *
gst_resilient_outlet_new (GstPad * pad, GstResilientOutletWakeFunc wake,
    gpointer user_data)
{
  GstResilientOutlet *o;

  g_return_val_if_fail (GST_IS_PAD (pad), NULL);

  o = g_new0 (GstResilientOutlet, 1);
  o->pad = gst_object_ref (pad);
  o->wake = wake;
  o->user_data = user_data;
  o->items = gst_queue_array_new (ITEMS_PREALLOC);
  o->ready_link.data = o;
  o->heap_index = NOT_IN_HEAP;
  o->last_flow = GST_FLOW_OK;
  o->pool = pool_acquire ();
  GST_DEBUG_OBJECT (pad, "new outlet %p", o);
  return o;
}

static void
outlet_destroy (GstResilientOutlet * o)
{
  OutletPool *pool = o->pool;

  GST_DEBUG_OBJECT (o->pad, "outlet %p freed", o);
  gst_object_unref (o->pad);
  g_free (o);
  pool_release (pool);
}

void
gst_resilient_outlet_free (GstResilientOutlet * o)
{
  OutletPool *pool;
  GstQueueArray *dropped;
  gboolean by_owner = FALSE;

  g_return_if_fail (o != NULL);

  pool = o->pool;
  g_mutex_lock (&pool->lock);
  o->freeing = TRUE;
  g_atomic_int_inc (&o->flush_seq);
  if (o->ready) {
    g_queue_unlink (&pool->ready, &o->ready_link);
    o->ready = FALSE;
  }
  heap_remove (pool, o);
  o->wake_pending = FALSE;
  dropped = o->items;
  o->items = NULL;
  if (o->owner && o->owner->thread == g_thread_self ()) {
    o->free_by_owner = TRUE;
    by_owner = TRUE;
  } else if (o->owner) {
    /* dropped before waiting (nothing touches a freeing outlet's items) */
    g_mutex_unlock (&pool->lock);
    items_free (dropped);
    dropped = NULL;
    g_mutex_lock (&pool->lock);
    while (o->owner)
      g_cond_wait (&pool->owner_cond, &pool->lock);
  }
  g_mutex_unlock (&pool->lock);

  items_free (dropped);
  if (!by_owner)
    outlet_destroy (o);
}

void
gst_resilient_outlet_queue (GstResilientOutlet * o, GstMiniObject * item)
{
  OutletPool *pool;

  g_return_if_fail (o != NULL);
  g_return_if_fail (item != NULL);

  pool = o->pool;
  g_mutex_lock (&pool->lock);
  if (G_UNLIKELY (o->freeing)) {
    g_mutex_unlock (&pool->lock);
    gst_mini_object_unref (item);
    return;
  }
  gst_queue_array_push_tail (o->items, item);
  outlet_make_ready (pool, o);
  pool_kick (pool);
  g_mutex_unlock (&pool->lock);
}

void
gst_resilient_outlet_queue_many (GstResilientOutlet * o, GstQueueArray * items)
{
  OutletPool *pool;
  GstMiniObject *item;

  g_return_if_fail (o != NULL);
  g_return_if_fail (items != NULL);

  if (gst_queue_array_is_empty (items))
    return;
  pool = o->pool;
  g_mutex_lock (&pool->lock);
  if (G_UNLIKELY (o->freeing)) {
    g_mutex_unlock (&pool->lock);
    while ((item = gst_queue_array_pop_head (items)) != NULL)
      gst_mini_object_unref (item);
    return;
  }
  while ((item = gst_queue_array_pop_head (items)) != NULL)
    gst_queue_array_push_tail (o->items, item);
  outlet_make_ready (pool, o);
  pool_kick (pool);
  g_mutex_unlock (&pool->lock);
}

void
gst_resilient_outlet_clear (GstResilientOutlet * o)
{
  OutletPool *pool;
  GstQueueArray *dropped = NULL;

  g_return_if_fail (o != NULL);

  pool = o->pool;
  g_mutex_lock (&pool->lock);
  if (!o->freeing) {
    g_atomic_int_inc (&o->flush_seq);
    if (!gst_queue_array_is_empty (o->items)) {
      dropped = o->items;
      o->items = gst_queue_array_new (ITEMS_PREALLOC);
    }
  }
  g_mutex_unlock (&pool->lock);
  items_free (dropped);
}

void
gst_resilient_outlet_set_wakeup (GstResilientOutlet * o, gint64 when_us)
{
  OutletPool *pool;
  gint64 now;

  g_return_if_fail (o != NULL);
  g_return_if_fail (o->wake != NULL || when_us <= 0);

  pool = o->pool;
  g_mutex_lock (&pool->lock);
  if (o->freeing)
    goto done;
  /* replaces a wake-up that came and did not run yet too */
  o->wake_pending = FALSE;
  if (when_us <= 0) {
    heap_remove (pool, o);
    goto done;
  }
  now = g_get_monotonic_time ();
  if (when_us <= now) {
    heap_remove (pool, o);
    o->wake_pending = TRUE;
    outlet_make_ready (pool, o);
    pool_kick (pool);
    goto done;
  }
  o->wake_us = when_us;
  heap_update (pool, o);
  if (o->heap_index == 0)
    pool_timer_changed (pool, when_us);
  /* (all threads blocked: another one, for what is due already) */
  pool_kick (pool);
done:
  g_mutex_unlock (&pool->lock);
}

GstFlowReturn
gst_resilient_outlet_get_last_flow (GstResilientOutlet * o)
{
  g_return_val_if_fail (o != NULL, GST_FLOW_ERROR);

  return (GstFlowReturn) g_atomic_int_get (&o->last_flow);
}

guint
gst_resilient_outlet_n_threads (void)
{
  return (guint) g_atomic_int_get (&n_threads_running);
}
