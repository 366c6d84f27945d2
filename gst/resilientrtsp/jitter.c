/* resilientrtsp
 * jitter.c: the threadless jitterbuffer of one RTP stream (jitter.h).
 *
 * Sequence numbers (RFC 3550 A.1, with its MAX_DROPOUT 3000 and
 * MAX_MISORDER 100) are extended to 64 bits. A packet is classified against
 * the highest sequence number received (max):
 *
 *  - up to MAX_DROPOUT − 1 ahead: a new max (a gap when more than one
 *    ahead); MAX_DROPOUT or more ahead (half the sequence space at most):
 *    a restart at once, no probation (cameras restart often);
 *  - at or behind max but not yet released: it fills a hole (reordered) or
 *    is a duplicate of a held packet;
 *  - already passed (released or declared lost), at most MAX_MISORDER
 *    behind the last released: a 128-bit history of the last passed
 *    sequence numbers says whether it was received (DUPLICATE) or declared
 *    lost (LATE; a second copy of it is then a DUPLICATE);
 *  - further behind: inside the range most recently declared lost, LATE;
 *    otherwise "wildly off": LATE, and kept aside as a probe. When the very
 *    next packet is the probe's successor, the two agree on a new sequence
 *    and the stream restarts from the probe (released, then the packet):
 *    no packet of a camera restart that jumped backwards is lost.
 *
 * Held packets live in a ring indexed by the extended sequence number
 * modulo its size (a power of two), covering [next_seq, next_seq + size):
 * an in-order packet is never stored, a held one is one array store, and
 * releasing walks the ring in order. The ring starts small and doubles when
 * a packet lands beyond it, up to the larger of 2 × max_held and 64 slots;
 * a packet further ahead than that declares the oldest missing packets lost
 * at once (as max_held overflow does).
 *
 * Timing follows jitter.h: PTS = sender time (base arrival + RTP time since
 * the base, at the clock rate) + skew, the skew being the smallest
 * (arrival − sender time) over two half-windows of 1 s (so over the last
 * 1–2 s), updated by packets that advance the sequence. A PTS more than
 * TS_JUMP away from the arrival re-bases the timing at that packet (a
 * timestamp jump: the sender time starts again at the arrival; counting and
 * release are not affected). All times are clamped to MAX_TIME (2^60 ns,
 * 36 years) so that no arithmetic can overflow, whatever the input.
 *
 * The ts-offset (inter-stream sync) is applied on the way out only: held
 * packets, the deadlines, the anchor of the lost packets' timestamps and
 * the timing state all stay un-offset; release_buffer() and declare_lost()
 * add the applied offset. The applied offset moves towards the one asked
 * for at a released packet whose (un-offset) PTS is later than that of the
 * packet it last moved at (latch_pts): so the packets of one RTP time share
 * it, an increase takes effect at the next later RTP time, and a decrease
 * takes at most half of each PTS step off, so that PTS keeps increasing.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "jitter.h"

#include <string.h>

#include <gst/rtp/rtp.h>

GST_DEBUG_CATEGORY_STATIC (jitter_debug);
#define GST_CAT_DEFAULT jitter_debug

#define MAX_DROPOUT 3000
#define MAX_MISORDER 100
#define HISTORY_BITS 128
#define MAX_LOST_EVENTS 100
#define DEFAULT_MAX_HELD 1024
#define MAX_MAX_HELD 16384
#define MIN_RING_MAX 64
#define FIRST_RING_SIZE 16
#define SKEW_HALF_WINDOW GST_SECOND
#define TS_JUMP (10 * GST_SECOND)
#define MAX_TIME (G_GUINT64_CONSTANT (1) << 60)
/* the extended RTP timestamp of a source's first packet: far enough from 0
 * that gst_rtp_buffer_ext_timestamp() can always go backwards */
#define EXT_TS_START (G_GUINT64_CONSTANT (1) << 40)

struct _GstResilientJitter
{
  GstResilientJitterSettings settings;  /* max_held normalised */
  GstClockTime wait;            /* latency − margin, ≥ 0 */
  guint ring_max;
  guint clock_rate;

  /* the current source (RFC 3550 A.1); FALSE before the first packet and
   * after _reset() */
  gboolean started;
  guint32 ssrc;
  gint64 ext_max;               /* extended highest sequence number */
  gint64 base_seq;
  guint64 received;
  /* A.8 */
  gboolean have_transit;
  guint32 transit;
  guint64 jitter;               /* × 16 */

  /* a wildly-off packet waiting for its successor (see above) */
  GstBuffer *probe;
  guint16 probe_seq;
  /* the range most recently declared lost, [lost_from, lost_to) */
  gint64 lost_from, lost_to;

  /* release: every packet before next_seq was released or declared lost */
  gint64 next_seq;
  GstBuffer **ring;             /* ring_size slots, NULL = not held */
  guint ring_size;
  guint held;
  gint64 first_held;            /* the lowest held sequence number */
  /* bit i: next_seq − 1 − i was received (released or late) */
  guint64 history[2];
  gboolean discont;             /* for the next released buffer */
  /* the last released packet, for the lost packets' timestamps */
  gint64 anchor_seq;
  GstClockTime anchor_pts;

  /* timing */
  guint64 ext_ts;               /* gst_rtp_buffer_ext_timestamp() state */
  gboolean timing_started;
  guint64 base_ext;             /* the RTP time of base_time */
  gint64 base_time;
  guint64 max_ext;              /* the latest RTP time and its PTS */
  GstClockTime max_pts;
  gint64 skew_cur, skew_prev;   /* G_MAXINT64: no sample */
  GstClockTime window_start;

  /* ts-offset: asked for, and applied to what is released now */
  GstClockTime ts_offset;
  GstClockTime applied_offset;
  GstClockTime latch_pts;       /* un-offset PTS the applied one moved at */
  gboolean relatch;             /* the next released packet takes ts_offset */

  GstResilientJitterTotals totals;
};

static void
ensure_debug_category (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized)) {
    GST_DEBUG_CATEGORY_INIT (jitter_debug, "resilientrtspjitter", 0,
        "resilientrtsp threadless jitterbuffer");
    g_once_init_leave (&initialized, 1);
  }
}

static guint
round_up_pow2 (guint v)
{
  guint p = 1;

  while (p < v)
    p <<= 1;
  return p;
}

GstResilientJitter *
gst_resilient_jitter_new (const GstResilientJitterSettings * settings,
    guint clock_rate)
{
  GstResilientJitter *jitter;
  GstClockTime latency, margin;

  g_return_val_if_fail (settings != NULL, NULL);

  ensure_debug_category ();

  jitter = g_new0 (GstResilientJitter, 1);
  jitter->settings = *settings;
  if (jitter->settings.max_held == 0)
    jitter->settings.max_held = DEFAULT_MAX_HELD;
  jitter->settings.max_held = MIN (jitter->settings.max_held, MAX_MAX_HELD);
  jitter->ring_max = round_up_pow2 (MAX (2 * jitter->settings.max_held,
          MIN_RING_MAX));
  latency = MIN (settings->latency, MAX_TIME);
  margin = MIN (settings->margin, MAX_TIME);
  jitter->wait = latency > margin ? latency - margin : 0;
  jitter->clock_rate = MIN (clock_rate, G_MAXINT);
  jitter->ring_size = FIRST_RING_SIZE;
  jitter->ring = g_new0 (GstBuffer *, jitter->ring_size);
  jitter->discont = TRUE;
  jitter->relatch = TRUE;

  GST_DEBUG ("new jitterbuffer %p: latency %" GST_TIME_FORMAT ", margin %"
      GST_TIME_FORMAT ", max-held %u, clock-rate %u", jitter,
      GST_TIME_ARGS (latency), GST_TIME_ARGS (margin),
      jitter->settings.max_held, jitter->clock_rate);
  return jitter;
}

/* The wildly-off packet did not start a new sequence: it was late. */
static void
drop_probe (GstResilientJitter * jitter)
{
  if (jitter->probe) {
    gst_buffer_unref (jitter->probe);
    jitter->probe = NULL;
    jitter->totals.late++;
  }
}

static void
drop_held (GstResilientJitter * jitter)
{
  guint i;

  for (i = 0; i < jitter->ring_size && jitter->held > 0; i++) {
    if (jitter->ring[i]) {
      gst_buffer_unref (jitter->ring[i]);
      jitter->ring[i] = NULL;
      jitter->held--;
    }
  }
  g_assert (jitter->held == 0);
}

void
gst_resilient_jitter_free (GstResilientJitter * jitter)
{
  if (jitter == NULL)
    return;
  drop_probe (jitter);
  drop_held (jitter);
  g_free (jitter->ring);
  g_free (jitter);
}

/* ---- timing ---- */

/* The sender time of @ext (an extended RTP time) in ns; clock_rate > 0. */
static gint64
sender_time (GstResilientJitter * jitter, guint64 ext)
{
  guint64 ticks, ns;
  gboolean negative = ext < jitter->base_ext;

  ticks = negative ? jitter->base_ext - ext : ext - jitter->base_ext;
  ns = gst_util_uint64_scale_int (ticks, GST_SECOND, jitter->clock_rate);
  ns = MIN (ns, MAX_TIME);
  return jitter->base_time + (negative ? -(gint64) ns : (gint64) ns);
}

static void
rebase (GstResilientJitter * jitter, guint64 ext, GstClockTime arrival)
{
  jitter->timing_started = TRUE;
  jitter->base_ext = ext;
  jitter->base_time = arrival;
  jitter->max_ext = ext;
  jitter->max_pts = arrival;
  jitter->skew_cur = 0;
  jitter->skew_prev = G_MAXINT64;
  jitter->window_start = arrival;
  /* PTS may go back here: the offset is not spread over it */
  jitter->relatch = TRUE;
}

/* The PTS of a packet with RTP time @rtptime arriving at @arrival;
 * @advances: it is a new highest sequence number (only those move the skew
 * and may re-base). */
static GstClockTime
compute_pts (GstResilientJitter * jitter, guint32 rtptime,
    GstClockTime arrival, gboolean advances)
{
  guint64 ext;
  gint64 sender, pts, skew;

  ext = gst_rtp_buffer_ext_timestamp (&jitter->ext_ts, rtptime);
  if (jitter->clock_rate == 0)
    return arrival;
  if (!jitter->timing_started) {
    rebase (jitter, ext, arrival);
    return arrival;
  }

  sender = sender_time (jitter, ext);
  if (advances) {
    gint64 delta = (gint64) arrival - sender;

    if (arrival >= jitter->window_start + 2 * SKEW_HALF_WINDOW) {
      /* both half-windows are stale */
      jitter->skew_prev = G_MAXINT64;
      jitter->skew_cur = delta;
      jitter->window_start = arrival;
    } else if (arrival >= jitter->window_start + SKEW_HALF_WINDOW) {
      jitter->skew_prev = jitter->skew_cur;
      jitter->skew_cur = delta;
      jitter->window_start = arrival;
    } else {
      jitter->skew_cur = MIN (jitter->skew_cur, delta);
    }
  }
  skew = MIN (jitter->skew_cur, jitter->skew_prev);
  pts = sender + skew;

  if (ext > jitter->max_ext)
    pts = MAX (pts, (gint64) jitter->max_pts);
  else if (ext == jitter->max_ext)
    pts = jitter->max_pts;
  else
    pts = MIN (pts, (gint64) jitter->max_pts);

  if (pts > (gint64) (arrival + TS_JUMP) || pts + (gint64) TS_JUMP <
      (gint64) arrival) {
    if (advances) {
      GST_DEBUG ("SSRC %08x: RTP time %u is %" G_GINT64_FORMAT
          " ns from its arrival: timing re-based", jitter->ssrc, rtptime,
          pts - (gint64) arrival);
      rebase (jitter, ext, arrival);
    }
    return arrival;
  }

  if (ext > jitter->max_ext) {
    jitter->max_ext = ext;
    jitter->max_pts = pts;
  }
  return MAX (pts, 0);
}

void
gst_resilient_jitter_set_clock_rate (GstResilientJitter * jitter,
    guint clock_rate)
{
  g_return_if_fail (jitter != NULL);

  clock_rate = MIN (clock_rate, G_MAXINT);
  if (clock_rate == jitter->clock_rate)
    return;

  GST_DEBUG ("SSRC %08x: clock rate %u -> %u", jitter->ssrc,
      jitter->clock_rate, clock_rate);
  if (jitter->timing_started && jitter->clock_rate > 0 && clock_rate > 0) {
    /* the latest RTP time keeps its sender time: no jump in PTS */
    jitter->base_time = sender_time (jitter, jitter->max_ext);
    jitter->base_ext = jitter->max_ext;
  } else {
    jitter->timing_started = FALSE;
  }
  if (jitter->clock_rate > 0 && clock_rate > 0)
    jitter->jitter = gst_util_uint64_scale_int (jitter->jitter, clock_rate,
        jitter->clock_rate);
  else
    jitter->jitter = 0;
  jitter->have_transit = FALSE;
  jitter->clock_rate = clock_rate;
}

/* RFC 3550 A.8, with the arrival time in RTP units. */
static void
update_jitter (GstResilientJitter * jitter, guint32 rtptime,
    GstClockTime arrival)
{
  guint32 arrival_rtp, transit, d;
  gint32 diff;

  if (jitter->clock_rate == 0)
    return;

  arrival_rtp = (guint32) gst_util_uint64_scale_int (arrival,
      jitter->clock_rate, GST_SECOND);
  transit = arrival_rtp - rtptime;
  if (jitter->have_transit) {
    diff = (gint32) (transit - jitter->transit);
    d = diff < 0 ? -(guint32) diff : (guint32) diff;
    jitter->jitter += d - ((jitter->jitter + 8) >> 4);
  }
  jitter->transit = transit;
  jitter->have_transit = TRUE;
}

/* ---- history of passed sequence numbers ---- */

static void
history_shift (GstResilientJitter * jitter, gint64 n, gboolean received)
{
  guint64 *h = jitter->history;

  if (n >= HISTORY_BITS) {
    h[0] = h[1] = 0;
  } else if (n >= 64) {
    h[1] = h[0] << (n - 64);
    h[0] = 0;
  } else if (n > 0) {
    h[1] = (h[1] << n) | (h[0] >> (64 - n));
    h[0] <<= n;
  }
  if (received)
    h[0] |= 1;
}

/* @d: distance behind the last passed sequence number (< HISTORY_BITS) */
static gboolean
history_get (GstResilientJitter * jitter, gint64 d)
{
  return (jitter->history[d / 64] >> (d % 64)) & 1;
}

static void
history_set (GstResilientJitter * jitter, gint64 d)
{
  jitter->history[d / 64] |= G_GUINT64_CONSTANT (1) << (d % 64);
}

/* ---- release ---- */

#define SLOT(jitter, seq) ((jitter)->ring[(seq) & ((jitter)->ring_size - 1)])

/* A packet with the un-offset PTS @pts is released: the applied offset
 * moves towards ts_offset when @pts starts a later RTP time (see above). */
static void
latch_offset (GstResilientJitter * jitter, GstClockTime pts)
{
  GstClockTime step;

  if (jitter->relatch) {
    jitter->relatch = FALSE;
    jitter->applied_offset = jitter->ts_offset;
    jitter->latch_pts = pts;
    return;
  }
  if (pts <= jitter->latch_pts)
    return;
  if (jitter->ts_offset >= jitter->applied_offset) {
    jitter->applied_offset = jitter->ts_offset;
  } else {
    step = MIN (jitter->applied_offset - jitter->ts_offset,
        (pts - jitter->latch_pts) / 2);
    jitter->applied_offset -= step;
  }
  jitter->latch_pts = pts;
}

static void
release_buffer (GstResilientJitter * jitter, GstBuffer * buf, gint64 seq,
    GstQueueArray * out)
{
  latch_offset (jitter, GST_BUFFER_PTS (buf));
  if (jitter->discont) {
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    jitter->discont = FALSE;
  } else {
    GST_BUFFER_FLAG_UNSET (buf, GST_BUFFER_FLAG_DISCONT);
  }
  jitter->anchor_seq = seq;
  jitter->anchor_pts = GST_BUFFER_PTS (buf);
  GST_BUFFER_PTS (buf) += jitter->applied_offset;
  GST_BUFFER_DTS (buf) += jitter->applied_offset;
  history_shift (jitter, seq + 1 - jitter->next_seq, TRUE);
  jitter->next_seq = seq + 1;
  jitter->totals.released++;
  gst_queue_array_push_tail (out, buf);
}

/* first_held after the held packet it named was released */
static void
find_first_held (GstResilientJitter * jitter)
{
  gint64 seq = jitter->next_seq;

  while (SLOT (jitter, seq) == NULL)
    seq++;
  jitter->first_held = seq;
}

/* Releases the held packets from next_seq on, in order, up to the next
 * missing one. */
static void
release_ready (GstResilientJitter * jitter, GstQueueArray * out)
{
  while (jitter->held > 0 && jitter->first_held == jitter->next_seq) {
    GstBuffer **slot = &SLOT (jitter, jitter->next_seq);
    GstBuffer *buf = *slot;

    *slot = NULL;
    jitter->held--;
    release_buffer (jitter, buf, jitter->next_seq, out);
    if (jitter->held > 0)
      find_first_held (jitter);
  }
}

/* The PTS estimated for the lost packet @seq, on the line from the last
 * released packet to @upper_seq / @upper_pts. */
static GstClockTime
estimate_pts (GstResilientJitter * jitter, gint64 seq, gint64 upper_seq,
    GstClockTime upper_pts)
{
  if (upper_seq <= jitter->anchor_seq || upper_pts <= jitter->anchor_pts)
    return jitter->anchor_pts;
  return jitter->anchor_pts + gst_util_uint64_scale (upper_pts -
      jitter->anchor_pts, seq - jitter->anchor_seq,
      upper_seq - jitter->anchor_seq);
}

/* Declares [from, to) lost (from == next_seq): the totals, the history, a
 * GstRTPPacketLost event per packet (when do_lost; at most
 * MAX_LOST_EVENTS: beyond that the last event covers all the rest). */
static void
declare_lost (GstResilientJitter * jitter, gint64 from, gint64 to,
    gint64 upper_seq, GstClockTime upper_pts, GstQueueArray * out)
{
  gint64 n = to - from, i, events;

  GST_DEBUG ("SSRC %08x: %" G_GINT64_FORMAT " packets lost from #%u, %"
      G_GUINT64_FORMAT " received before, %u held", jitter->ssrc, n,
      (guint) (from & 0xffff), jitter->received, jitter->held);
  jitter->totals.lost += n;
  jitter->discont = TRUE;
  if (from == jitter->lost_to)
    jitter->lost_to = to;
  else {
    jitter->lost_from = from;
    jitter->lost_to = to;
  }

  events = jitter->settings.do_lost ? MIN (n, MAX_LOST_EVENTS) : 0;
  for (i = 0; i < events; i++) {
    gint64 seq = from + i;
    gint64 end = i == events - 1 ? to : seq + 1;
    GstClockTime start_pts, end_pts;
    GstEvent *event;

    start_pts = estimate_pts (jitter, seq, upper_seq, upper_pts);
    end_pts = estimate_pts (jitter, end, upper_seq, upper_pts);
    event = gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
        gst_structure_new ("GstRTPPacketLost",
            "seqnum", G_TYPE_UINT, (guint) (seq & 0xffff),
            "timestamp", G_TYPE_UINT64, start_pts + jitter->applied_offset,
            "duration", G_TYPE_UINT64, end_pts - start_pts,
            "retry", G_TYPE_UINT, 0, NULL));
    gst_queue_array_push_tail (out, event);
  }

  history_shift (jitter, n, FALSE);
  jitter->next_seq = to;
}

/* Makes next_seq ≥ @limit: releases the held packets before it, declares
 * the missing ones lost, then releases what follows in order. @hint_seq /
 * @hint_pts: a packet at or after @limit, for the lost packets' timestamps
 * when nothing is held. */
static void
lose_until (GstResilientJitter * jitter, gint64 limit, gint64 hint_seq,
    GstClockTime hint_pts, GstQueueArray * out)
{
  while (jitter->next_seq < limit) {
    gint64 end = limit, upper_seq = hint_seq;
    GstClockTime upper_pts = hint_pts;

    if (jitter->held > 0) {
      if (jitter->first_held == jitter->next_seq) {
        release_ready (jitter, out);
        continue;
      }
      end = MIN (jitter->first_held, limit);
      upper_seq = jitter->first_held;
      upper_pts = GST_BUFFER_PTS (SLOT (jitter, jitter->first_held));
    }
    declare_lost (jitter, jitter->next_seq, end, upper_seq, upper_pts, out);
  }
  release_ready (jitter, out);
}

/* The held packet's deadline: its PTS + latency − margin, not before it
 * arrived. */
static GstClockTime
held_deadline (GstResilientJitter * jitter, GstBuffer * buf)
{
  return MAX (GST_BUFFER_PTS (buf) + jitter->wait, GST_BUFFER_DTS (buf));
}

/* Releases everything held; gaps between held packets are declared lost. */
static void
flush_held (GstResilientJitter * jitter, GstQueueArray * out)
{
  while (jitter->held > 0)
    lose_until (jitter, jitter->first_held, 0, 0, out);
}

static void
ring_grow (GstResilientJitter * jitter, guint size)
{
  GstBuffer **ring = g_new0 (GstBuffer *, size);
  guint i, moved = 0;

  for (i = 0; i < jitter->ring_size && moved < jitter->held; i++) {
    gint64 seq = jitter->next_seq + i;
    GstBuffer *buf = SLOT (jitter, seq);

    if (buf) {
      ring[seq & (size - 1)] = buf;
      moved++;
    }
  }
  GST_LOG ("SSRC %08x: ring %u -> %u slots", jitter->ssrc, jitter->ring_size,
      size);
  g_free (jitter->ring);
  jitter->ring = ring;
  jitter->ring_size = size;
}

/* ---- push ---- */

static gboolean
parse (GstBuffer * buf, guint16 * seq, guint32 * rtptime, guint32 * ssrc)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  /* gst_rtp_buffer_map() checks the version, the CSRC count, the extension
   * and padding lengths against the size */
  if (gst_buffer_n_memory (buf) == 0 || gst_buffer_get_size (buf) < 12)
    return FALSE;
  if (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp))
    return FALSE;
  *seq = gst_rtp_buffer_get_seq (&rtp);
  *rtptime = gst_rtp_buffer_get_timestamp (&rtp);
  *ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  return TRUE;
}

/* A packet accepted for release at extended sequence number @seq: counted,
 * timed, then released or held. Returns RELEASED or HELD. */
static GstResilientJitterVerdict
accept (GstResilientJitter * jitter, GstBuffer * buf, gint64 seq,
    guint32 rtptime, GstClockTime arrival, GstQueueArray * out)
{
  gboolean advances = seq > jitter->ext_max;
  GstClockTime pts;

  if (advances)
    jitter->ext_max = seq;
  else
    jitter->totals.reordered++;
  jitter->received++;
  update_jitter (jitter, rtptime, arrival);
  pts = compute_pts (jitter, rtptime, arrival, advances);

  buf = gst_buffer_make_writable (buf);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DTS (buf) = arrival;

  if (seq == jitter->next_seq) {
    release_buffer (jitter, buf, seq, out);
    release_ready (jitter, out);
    return GST_RESILIENT_JITTER_RELEASED;
  }

  /* after a gap: make the ring reach it */
  if (seq - jitter->next_seq >= jitter->ring_size
      && jitter->ring_size < jitter->ring_max) {
    guint size = round_up_pow2 (seq - jitter->next_seq + 1);

    ring_grow (jitter, MIN (size, jitter->ring_max));
  }
  if (seq - jitter->next_seq >= jitter->ring_size)
    lose_until (jitter, seq - jitter->ring_size + 1, seq, pts, out);
  if (seq == jitter->next_seq) {
    release_buffer (jitter, buf, seq, out);
    release_ready (jitter, out);
    return GST_RESILIENT_JITTER_RELEASED;
  }

  SLOT (jitter, seq) = buf;
  if (jitter->held == 0 || seq < jitter->first_held)
    jitter->first_held = seq;
  jitter->held++;
  GST_LOG ("SSRC %08x: #%u held (%u), waiting for #%u", jitter->ssrc,
      (guint) (seq & 0xffff), jitter->held, (guint) (jitter->next_seq &
          0xffff));

  while (jitter->held > jitter->settings.max_held)
    lose_until (jitter, jitter->first_held, 0, 0, out);

  return seq < jitter->next_seq ? GST_RESILIENT_JITTER_RELEASED :
      GST_RESILIENT_JITTER_HELD;
}

/* Counting and timing start again from @buf, which is released. Releases
 * what was held first. */
static void
restart (GstResilientJitter * jitter, GstBuffer * buf, guint32 ssrc,
    guint16 seq, guint32 rtptime, GstClockTime arrival, GstQueueArray * out)
{
  if (jitter->started) {
    GST_DEBUG ("SSRC %08x #%u: restart with SSRC %08x #%u", jitter->ssrc,
        (guint) (jitter->ext_max & 0xffff), ssrc, seq);
    flush_held (jitter, out);
  }
  drop_probe (jitter);

  jitter->started = TRUE;
  jitter->ssrc = ssrc;
  jitter->base_seq = seq;
  jitter->ext_max = seq - 1;    /* accept() makes it seq */
  jitter->received = 0;
  jitter->have_transit = FALSE;
  jitter->jitter = 0;
  jitter->next_seq = seq;
  jitter->history[0] = jitter->history[1] = 0;
  jitter->lost_from = jitter->lost_to = -1;
  jitter->discont = TRUE;
  jitter->relatch = TRUE;
  jitter->ext_ts = EXT_TS_START + rtptime;
  jitter->timing_started = FALSE;

  accept (jitter, buf, seq, rtptime, arrival, out);
}

GstResilientJitterVerdict
gst_resilient_jitter_push (GstResilientJitter * jitter, GstBuffer * buf,
    GstClockTime arrival, GstQueueArray * out)
{
  guint16 seq16;
  guint32 rtptime, ssrc;
  gint16 delta;
  gint64 seq;

  g_return_val_if_fail (jitter != NULL, GST_RESILIENT_JITTER_INVALID);
  g_return_val_if_fail (GST_IS_BUFFER (buf), GST_RESILIENT_JITTER_INVALID);
  g_return_val_if_fail (out != NULL, GST_RESILIENT_JITTER_INVALID);

  arrival = MIN (arrival, MAX_TIME);
  if (!parse (buf, &seq16, &rtptime, &ssrc)) {
    GST_LOG ("not an RTP packet (%" G_GSIZE_FORMAT " bytes)",
        gst_buffer_get_size (buf));
    gst_buffer_unref (buf);
    return GST_RESILIENT_JITTER_INVALID;
  }

  if (!jitter->started) {
    restart (jitter, buf, ssrc, seq16, rtptime, arrival, out);
    return GST_RESILIENT_JITTER_RELEASED;
  }
  if (ssrc != jitter->ssrc) {
    restart (jitter, buf, ssrc, seq16, rtptime, arrival, out);
    return GST_RESILIENT_JITTER_RESTARTED;
  }

  delta = (gint16) (guint16) (seq16 - (guint16) jitter->ext_max);
  seq = jitter->ext_max + delta;
  if (delta >= MAX_DROPOUT) {
    restart (jitter, buf, ssrc, seq16, rtptime, arrival, out);
    return GST_RESILIENT_JITTER_RESTARTED;
  }

  if (seq >= jitter->next_seq) {
    if (seq > jitter->next_seq && seq - jitter->next_seq < jitter->ring_size
        && SLOT (jitter, seq) != NULL)
      goto duplicate;
    /* (a probe's successor must come next) */
    drop_probe (jitter);
    return accept (jitter, buf, seq, rtptime, arrival, out);
  }

  if (jitter->next_seq - 1 - seq <= MAX_MISORDER) {
    gint64 d = jitter->next_seq - 1 - seq;

    if (history_get (jitter, d))
      goto duplicate;
    history_set (jitter, d);
    if (seq >= jitter->base_seq)
      jitter->received++;
    update_jitter (jitter, rtptime, arrival);
    goto late;
  }

  if (seq >= jitter->lost_from && seq < jitter->lost_to)
    goto late;

  /* wildly off */
  if (jitter->probe && seq16 == (guint16) (jitter->probe_seq + 1)) {
    GstBuffer *probe = jitter->probe;
    guint32 probe_ts;
    gint64 probe_arrival = GST_BUFFER_DTS (probe);

    jitter->probe = NULL;
    if (!parse (probe, &seq16, &probe_ts, &ssrc))
      g_assert_not_reached ();
    restart (jitter, probe, ssrc, seq16, probe_ts, probe_arrival, out);
    accept (jitter, buf, jitter->next_seq, rtptime, arrival, out);
    return GST_RESILIENT_JITTER_RESTARTED;
  }
  GST_LOG ("SSRC %08x: #%u is %" G_GINT64_FORMAT " behind the last released",
      jitter->ssrc, (guint) seq16, jitter->next_seq - 1 - seq);
  drop_probe (jitter);
  buf = gst_buffer_make_writable (buf);
  GST_BUFFER_DTS (buf) = arrival;
  jitter->probe = buf;
  jitter->probe_seq = seq16;
  return GST_RESILIENT_JITTER_LATE;

duplicate:
  GST_LOG ("SSRC %08x: #%u duplicate", jitter->ssrc, (guint) seq16);
  drop_probe (jitter);
  jitter->totals.duplicates++;
  gst_buffer_unref (buf);
  return GST_RESILIENT_JITTER_DUPLICATE;

late:
  GST_LOG ("SSRC %08x: #%u late", jitter->ssrc, (guint) seq16);
  drop_probe (jitter);
  jitter->totals.late++;
  gst_buffer_unref (buf);
  return GST_RESILIENT_JITTER_LATE;
}

void
gst_resilient_jitter_advance (GstResilientJitter * jitter, GstClockTime now,
    GstQueueArray * out)
{
  g_return_if_fail (jitter != NULL);
  g_return_if_fail (out != NULL);

  while (jitter->held > 0 && held_deadline (jitter, SLOT (jitter,
              jitter->first_held)) <= now)
    lose_until (jitter, jitter->first_held, 0, 0, out);
}

GstClockTime
gst_resilient_jitter_next_deadline (GstResilientJitter * jitter)
{
  g_return_val_if_fail (jitter != NULL, GST_CLOCK_TIME_NONE);

  if (jitter->held == 0)
    return GST_CLOCK_TIME_NONE;
  return held_deadline (jitter, SLOT (jitter, jitter->first_held));
}

void
gst_resilient_jitter_drain (GstResilientJitter * jitter, GstQueueArray * out)
{
  g_return_if_fail (jitter != NULL);
  g_return_if_fail (out != NULL);

  flush_held (jitter, out);
}

void
gst_resilient_jitter_reset (GstResilientJitter * jitter)
{
  g_return_if_fail (jitter != NULL);

  GST_DEBUG ("SSRC %08x: reset, dropping %u held", jitter->ssrc, jitter->held);
  drop_probe (jitter);
  drop_held (jitter);
  jitter->started = FALSE;
  jitter->received = 0;
  jitter->jitter = 0;
  jitter->discont = TRUE;
}

void
gst_resilient_jitter_set_ts_offset (GstResilientJitter * jitter,
    GstClockTime offset)
{
  g_return_if_fail (jitter != NULL);

  if (!GST_CLOCK_TIME_IS_VALID (offset))
    offset = 0;
  offset = MIN (offset, MAX_TIME);
  if (offset != jitter->ts_offset)
    GST_DEBUG ("SSRC %08x: ts-offset %" GST_TIME_FORMAT " -> %"
        GST_TIME_FORMAT, jitter->ssrc, GST_TIME_ARGS (jitter->ts_offset),
        GST_TIME_ARGS (offset));
  jitter->ts_offset = offset;
}

gboolean
gst_resilient_jitter_rtp_to_pts (GstResilientJitter * jitter, guint32 rtptime,
    GstClockTime * pts)
{
  guint64 ext;
  gint64 result;

  g_return_val_if_fail (jitter != NULL, FALSE);
  g_return_val_if_fail (pts != NULL, FALSE);

  if (!jitter->started || !jitter->timing_started || jitter->clock_rate == 0)
    return FALSE;
  /* extended next to the latest RTP time (max_ext ≥ EXT_TS_START − 2^31:
   * no underflow) */
  ext = jitter->max_ext + (gint64) (gint32) (rtptime - (guint32)
      jitter->max_ext);
  result = sender_time (jitter, ext) + MIN (jitter->skew_cur,
      jitter->skew_prev);
  if (result < 0)
    return FALSE;
  *pts = result;
  return TRUE;
}

void
gst_resilient_jitter_get_counts (GstResilientJitter * jitter,
    GstResilientRtcpSourceCounts * counts)
{
  g_return_if_fail (jitter != NULL);
  g_return_if_fail (counts != NULL);

  memset (counts, 0, sizeof (*counts));
  counts->clock_rate = jitter->clock_rate;
  if (!jitter->started)
    return;
  counts->ssrc = jitter->ssrc;
  counts->base_seq = (guint32) jitter->base_seq;
  counts->ext_max_seq = (guint32) jitter->ext_max;
  counts->received = jitter->received;
  counts->jitter = (guint32) MIN (jitter->jitter >> 4, G_MAXUINT32);
}

void
gst_resilient_jitter_get_totals (GstResilientJitter * jitter,
    GstResilientJitterTotals * totals)
{
  g_return_if_fail (jitter != NULL);
  g_return_if_fail (totals != NULL);

  *totals = jitter->totals;
  totals->held = jitter->held;
  totals->jitter_ns = 0;
  if (jitter->clock_rate > 0)
    totals->jitter_ns = gst_util_uint64_scale_int (jitter->jitter >> 4,
        GST_SECOND, jitter->clock_rate);
}
