/* resilientrtsp
 * outlet.h: a process-wide pool of delivery threads that push every
 * stream's output downstream. The I/O thread never pushes into application
 * code, and a stream costs no thread of its own (rtpbin costs three).
 *
 * An outlet is one stream's output: a FIFO of buffers and events to push on
 * one pad, and an optional wake-up time at which a callback runs (the
 * jitterbuffer's deadlines, the RTCP report timer). Items of one outlet are
 * pushed in order, by one delivery thread at a time; different outlets are
 * pushed in parallel by up to as many threads as the machine has CPUs.
 *
 * Batching: a thread that finds work pushes everything queued, then does
 * not look again for GST_RESILIENT_OUTLET_INTERVAL_US; so an idle pool
 * delivers the first item at once, and a busy one wakes at most once per
 * interval per thread instead of once per packet (rtpbin's jitterbuffer
 * wakes its thread for every packet). Queued items wait at most about one
 * interval.
 *
 * Under load the threads cycle between pushing and these pauses and
 * queueing wakes nobody; a queue signals a thread only when none is
 * paused or on its way and one is idle.
 *
 * Threads ("rrtsp-out"): the pool starts with one at the first outlet and
 * starts more as work finds no thread free, up to the base count: the
 * number of CPUs, or GST_RESILIENT_OUTLET_THREADS_ENV (an integer from 1
 * to 256) when set, read when the pool starts. When the last outlet is
 * freed the threads are stopped and joined; the next outlet starts a new
 * pool.
 *
 * Blocking downstream (a sink that syncs to the clock without a queue
 * before it) holds the thread that pushes into it. When every pool thread
 * has been inside one push for more than two intervals while other outlets
 * have work (or a wake-up is due), the pool starts another thread, so one
 * blocked stream never stalls the others; threads beyond the base count
 * end after 1 s idle. At most 256 threads in all. The check runs when
 * something is queued or a wake-up set (at most once per interval, and
 * only when no thread is free), so a pool whose threads are all blocked
 * while nothing is queued anywhere waits for a push to return.
 *
 * locking order: an outlet's caller lock (media->lock) → the pool lock;
 * callbacks, pushes and unrefs of dropped items run with no pool lock
 * held. Wake funcs must not block for long (they are not counted as
 * blocked pushes).
 */
#pragma once

#include <gst/gst.h>
#include <gst/base/gstqueuearray.h>

G_BEGIN_DECLS

/* The batching interval (µs). */
#define GST_RESILIENT_OUTLET_INTERVAL_US 5000

/* Environment variable overriding the pool's base thread count (an
 * integer from 1 to 256; larger values are taken as 256, others ignored
 * with a warning). */
#define GST_RESILIENT_OUTLET_THREADS_ENV "RESILIENTRTSP_DELIVERY_THREADS"

typedef struct _GstResilientOutlet GstResilientOutlet;

/**
 * GstResilientOutletWakeFunc:
 * The outlet's wake-up time came. Runs on a delivery thread, never at the
 * same time as a push of the same outlet or another wake-up of it; may
 * call _queue(), _queue_many() and _set_wakeup() on it.
 */
typedef void (*GstResilientOutletWakeFunc) (GstResilientOutlet * outlet,
    gpointer user_data);

/**
 * gst_resilient_outlet_new:
 * @pad: the pad items are pushed on (a reference is taken): usually an
 *   internal src pad linked to a depayloader or ghosted out of the bin
 * @wake: (nullable): called when the wake-up time comes
 *
 * Starts the pool's threads on first use.
 */
G_GNUC_INTERNAL GstResilientOutlet *gst_resilient_outlet_new (GstPad * pad,
    GstResilientOutletWakeFunc wake, gpointer user_data);

/**
 * gst_resilient_outlet_free:
 * Drops what is still queued (at once, also what a delivery thread took
 * and has not pushed yet) and waits until no delivery thread uses the
 * outlet: a push in progress must be able to return, so deactivate or
 * flush @pad's path first (as a state change to READY does), and do not
 * hold a lock the wake func or downstream takes (media->lock: the wake
 * func takes it). No callback after it returns. Freeing the last outlet
 * stops and joins the pool's threads.
 *
 * From the outlet's own wake func or from downstream inside a push of it
 * (on its delivery thread) it does not wait: nothing more is pushed or
 * called, and the outlet (and its pad reference) goes when that callback
 * or push returns.
 */
G_GNUC_INTERNAL void gst_resilient_outlet_free (GstResilientOutlet * outlet);

/* Queues @item (transfer full; a GstBuffer, GstBufferList or GstEvent)
 * for pushing. Any thread (a wake func too); never blocks beyond a short
 * lock; no allocation but the queue's growth. Items of one outlet are
 * pushed in the order of the calls; events (GstRTPPacketLost, serialized
 * custom events) pass through as they are. A thread that pushed one batch
 * of an outlet while others wait gives them their turn first, so a busy
 * stream does not hold a thread. */
G_GNUC_INTERNAL void gst_resilient_outlet_queue (GstResilientOutlet * outlet,
    GstMiniObject * item);

/* Queues every item of @items in order and empties it (keeping its
 * storage, so a caller that reuses it allocates nothing per item). */
G_GNUC_INTERNAL void gst_resilient_outlet_queue_many (GstResilientOutlet * outlet,
    GstQueueArray * items);

/* Drops what is queued and not yet being pushed (a flush): a push in
 * progress completes, nothing queued before the call is pushed after it
 * returns (items a delivery thread already took are dropped, and unreffed,
 * by that thread). Items queued after it are pushed. A due wake-up is
 * kept. */
G_GNUC_INTERNAL void gst_resilient_outlet_clear (GstResilientOutlet * outlet);

/* The wake func runs once at @when_us (monotonic µs, as
 * g_get_monotonic_time()), never before; 0 cancels. Replaces the previous
 * wake-up time, also one that came and did not run yet. A time already
 * past runs as soon as a thread is free. Any thread (the wake func too).
 * Runs within about one interval of @when_us (later while all threads are
 * blocked, see above). The outlet must have a wake func. */
G_GNUC_INTERNAL void gst_resilient_outlet_set_wakeup (GstResilientOutlet * outlet,
    gint64 when_us);

/* The flow return of the last buffer pushed (GST_FLOW_OK before any). A
 * buffer that returns an error does not stop later pushes. */
G_GNUC_INTERNAL GstFlowReturn gst_resilient_outlet_get_last_flow (GstResilientOutlet * outlet);

/* Delivery threads running now, in all pools (for stats and tests). */
G_GNUC_INTERNAL guint gst_resilient_outlet_n_threads (void);

G_END_DECLS
