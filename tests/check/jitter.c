/* resilientrtsp
 * tests/check/jitter.c: unit tests for the threadless jitterbuffer. Every
 * time is passed in explicitly: nothing sleeps.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/rtp/rtp.h>

#include "jitter.h"

#define SSRC 0x11223344u
#define MS GST_MSECOND

/* what the jitterbuffer released, in order */
static GstQueueArray *out;

/* a fresh output queue per test (checked fixture) */
static void
out_setup (void)
{
  out = gst_queue_array_new (16);
}

static void
out_teardown (void)
{
  while (!gst_queue_array_is_empty (out))
    gst_mini_object_unref (gst_queue_array_pop_head (out));
  gst_queue_array_free (out);
  out = NULL;
}

static GstResilientJitter *
jitter_new (GstClockTime latency, GstClockTime margin, gboolean do_lost,
    guint max_held, guint clock_rate)
{
  GstResilientJitterSettings settings = { 0, };

  settings.latency = latency;
  settings.margin = margin;
  settings.do_lost = do_lost;
  settings.max_held = max_held;
  return gst_resilient_jitter_new (&settings, clock_rate);
}

static GstBuffer *
make_packet (guint32 ssrc, guint16 seq, guint32 rtptime)
{
  GstBuffer *buf = gst_rtp_buffer_new_allocate (4, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  fail_unless (gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp));
  gst_rtp_buffer_set_ssrc (&rtp, ssrc);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, rtptime);
  gst_rtp_buffer_set_payload_type (&rtp, 96);
  gst_rtp_buffer_unmap (&rtp);
  return buf;
}

static GstResilientJitterVerdict
push (GstResilientJitter * jitter, guint16 seq, guint32 rtptime,
    GstClockTime arrival)
{
  return gst_resilient_jitter_push (jitter, make_packet (SSRC, seq, rtptime),
      arrival, out);
}

static guint16
buffer_seq (GstBuffer * buf)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint16 seq;

  fail_unless (gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp));
  seq = gst_rtp_buffer_get_seq (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  return seq;
}

/* Pops the next released item, which must be the packet @seq, with the
 * DISCONT flag as @discont says. Returns it (unref it). */
static GstBuffer *
pop_buffer_ref (guint16 seq, gboolean discont)
{
  GstMiniObject *item = gst_queue_array_pop_head (out);

  fail_unless (item != NULL, "expected packet %u, nothing released", seq);
  fail_unless (GST_IS_BUFFER (item), "expected packet %u, got an event", seq);
  fail_unless_equals_int (buffer_seq (GST_BUFFER (item)), seq);
  fail_unless_equals_int (GST_BUFFER_FLAG_IS_SET (item,
          GST_BUFFER_FLAG_DISCONT), discont);
  fail_unless (GST_CLOCK_TIME_IS_VALID (GST_BUFFER_PTS (item)));
  fail_unless (GST_CLOCK_TIME_IS_VALID (GST_BUFFER_DTS (item)));
  return GST_BUFFER (item);
}

static void
pop_buffer (guint16 seq, gboolean discont)
{
  gst_buffer_unref (pop_buffer_ref (seq, discont));
}

/* Pops the next item, which must be a GstRTPPacketLost event for @seq;
 * @timestamp and @duration are checked unless GST_CLOCK_TIME_NONE. */
static void
pop_lost (guint16 seq, GstClockTime timestamp, GstClockTime duration)
{
  GstMiniObject *item = gst_queue_array_pop_head (out);
  const GstStructure *s;
  guint seqnum, retry;
  guint64 ts, dur;

  fail_unless (item != NULL, "expected lost %u, nothing released", seq);
  fail_unless (GST_IS_EVENT (item), "expected lost %u, got packet %u", seq,
      GST_IS_BUFFER (item) ? buffer_seq (GST_BUFFER (item)) : 0);
  fail_unless_equals_int (GST_EVENT_TYPE (item), GST_EVENT_CUSTOM_DOWNSTREAM);
  s = gst_event_get_structure (GST_EVENT (item));
  fail_unless (gst_structure_has_name (s, "GstRTPPacketLost"));
  fail_unless (gst_structure_get_uint (s, "seqnum", &seqnum));
  fail_unless (gst_structure_get_uint64 (s, "timestamp", &ts));
  fail_unless (gst_structure_get_uint64 (s, "duration", &dur));
  fail_unless (gst_structure_get_uint (s, "retry", &retry));
  fail_unless_equals_int (seqnum, seq);
  fail_unless_equals_int (retry, 0);
  if (GST_CLOCK_TIME_IS_VALID (timestamp))
    fail_unless_equals_uint64 (ts, timestamp);
  if (GST_CLOCK_TIME_IS_VALID (duration))
    fail_unless_equals_uint64 (dur, duration);
  gst_mini_object_unref (item);
}

static void
expect_nothing (void)
{
  GstMiniObject *item = gst_queue_array_peek_head (out);

  fail_unless (item == NULL, "unexpected %s",
      item ? (GST_IS_BUFFER (item) ? "packet" : "event") : "");
}

static void
clear_out (void)
{
  while (!gst_queue_array_is_empty (out))
    gst_mini_object_unref (gst_queue_array_pop_head (out));
}

static GstResilientJitterTotals
totals (GstResilientJitter * jitter)
{
  GstResilientJitterTotals t;

  gst_resilient_jitter_get_totals (jitter, &t);
  return t;
}

static GstResilientRtcpSourceCounts
counts (GstResilientJitter * jitter)
{
  GstResilientRtcpSourceCounts c;

  gst_resilient_jitter_get_counts (jitter, &c);
  return c;
}

/* 90 kHz, a packet every 20 ms (1800 ticks) */
#define TS(i) ((guint32) (1800 * (i)))
#define AT(i) ((GstClockTime) (i) * 20 * MS)

GST_START_TEST (test_in_order)
{
  GstResilientJitter *jitter = jitter_new (200 * MS, 10 * MS, TRUE, 0, 90000);
  GstResilientJitterTotals t;
  guint i;

  for (i = 0; i < 10; i++) {
    GstBuffer *buf;

    fail_unless_equals_int (push (jitter, 100 + i, TS (i), AT (i)),
        GST_RESILIENT_JITTER_RELEASED);
    buf = pop_buffer_ref (100 + i, i == 0);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), AT (i));
    fail_unless_equals_uint64 (GST_BUFFER_DTS (buf), AT (i));
    gst_buffer_unref (buf);
    expect_nothing ();
    fail_unless (gst_resilient_jitter_next_deadline (jitter) ==
        GST_CLOCK_TIME_NONE);
  }
  t = totals (jitter);
  fail_unless_equals_uint64 (t.released, 10);
  fail_unless_equals_uint64 (t.lost, 0);
  fail_unless_equals_uint64 (t.reordered, 0);
  fail_unless_equals_int (t.held, 0);
  gst_resilient_jitter_free (jitter);
}

GST_END_TEST;

GST_START_TEST (test_reorder)
{
  GstResilientJitter *jitter = jitter_new (200 * MS, 10 * MS, TRUE, 0, 90000);
  GstResilientJitterTotals t;

  fail_unless_equals_int (push (jitter, 1, TS (1), AT (1)),
      GST_RESILIENT_JITTER_RELEASED);
  pop_buffer (1, TRUE);
  /* 3 before 2: held */
  fail_unless_equals_int (push (jitter, 3, TS (3), AT (3)),
      GST_RESILIENT_JITTER_HELD);
  expect_nothing ();
  fail_unless_equals_int (totals (jitter).held, 1);
  fail_unless_equals_uint64 (gst_resilient_jitter_next_deadline (jitter),
      AT (3) + 190 * MS);
  fail_unless_equals_int (push (jitter, 2, TS (2), AT (3) + MS),
      GST_RESILIENT_JITTER_RELEASED);
  pop_buffer (2, FALSE);
  pop_buffer (3, FALSE);
  expect_nothing ();
  fail_unless (gst_resilient_jitter_next_deadline (jitter) ==
      GST_CLOCK_TIME_NONE);

  /* 7 6 5 4: three held, then all in order */
  fail_unless_equals_int (push (jitter, 7, TS (7), AT (7)),
      GST_RESILIENT_JITTER_HELD);
  fail_unless_equals_int (push (jitter, 6, TS (6), AT (7)),
      GST_RESILIENT_JITTER_HELD);
  fail_unless_equals_int (push (jitter, 5, TS (5), AT (7)),
      GST_RESILIENT_JITTER_HELD);
  /* the deadline is that of the first held packet after the gap */
  fail_unless_equals_uint64 (gst_resilient_jitter_next_deadline (jitter),
      AT (5) + 190 * MS);
  expect_nothing ();
  fail_unless_equals_int (push (jitter, 4, TS (4), AT (7)),
      GST_RESILIENT_JITTER_RELEASED);
  pop_buffer (4, FALSE);
  pop_buffer (5, FALSE);
  pop_buffer (6, FALSE);
  pop_buffer (7, FALSE);
  expect_nothing ();

  t = totals (jitter);
  fail_unless_equals_uint64 (t.released, 7);
  fail_unless_equals_uint64 (t.reordered, 4);
  fail_unless_equals_uint64 (t.lost, 0);
  fail_unless_equals_int (t.held, 0);
  fail_unless_equals_uint64 (counts (jitter).received, 7);
  gst_resilient_jitter_free (jitter);
}

GST_END_TEST;

GST_START_TEST (test_duplicates)
{
  GstResilientJitter *jitter = jitter_new (200 * MS, 10 * MS, TRUE, 0, 90000);
  GstResilientJitterTotals t;

  push (jitter, 1, TS (1), AT (1));
  push (jitter, 2, TS (2), AT (2));
  pop_buffer (1, TRUE);
  pop_buffer (2, FALSE);
  /* a copy of a released packet */
  fail_unless_equals_int (push (jitter, 2, TS (2), AT (2)),
      GST_RESILIENT_JITTER_DUPLICATE);
  /* a copy of a held packet */
  fail_unless_equals_int (push (jitter, 4, TS (4), AT (4)),
      GST_RESILIENT_JITTER_HELD);
  fail_unless_equals_int (push (jitter, 4, TS (4), AT (4)),
      GST_RESILIENT_JITTER_DUPLICATE);
  expect_nothing ();
  fail_unless_equals_int (push (jitter, 3, TS (3), AT (4)),
      GST_RESILIENT_JITTER_RELEASED);
  pop_buffer (3, FALSE);
  pop_buffer (4, FALSE);
  /* an older released packet, and the first one */
  fail_unless_equals_int (push (jitter, 3, TS (3), AT (5)),
      GST_RESILIENT_JITTER_DUPLICATE);
  fail_unless_equals_int (push (jitter, 1, TS (1), AT (5)),
      GST_RESILIENT_JITTER_DUPLICATE);
  expect_nothing ();

  t = totals (jitter);
  fail_unless_equals_uint64 (t.duplicates, 4);
  fail_unless_equals_uint64 (t.released, 4);
  fail_unless_equals_uint64 (t.late, 0);
  /* duplicates are not counted as received */
  fail_unless_equals_uint64 (counts (jitter).received, 4);
  gst_resilient_jitter_free (jitter);
}

GST_END_TEST;

GST_START_TEST (test_late)
{
  GstResilientJitter *jitter = jitter_new (200 * MS, 10 * MS, TRUE, 0, 90000);
  GstClockTime deadline;
  GstResilientJitterTotals t;
  GstResilientRtcpSourceCounts c;
  guint i;

  push (jitter, 1, TS (1), AT (1));
  pop_buffer (1, TRUE);
  fail_unless_equals_int (push (jitter, 3, TS (3), AT (3)),
      GST_RESILIENT_JITTER_HELD);
  deadline = gst_resilient_jitter_next_deadline (jitter);
  fail_unless_equals_uint64 (deadline, AT (3) + 190 * MS);
  gst_resilient_jitter_advance (jitter, deadline - 1, out);
  expect_nothing ();
  gst_resilient_jitter_advance (jitter, deadline, out);
  pop_lost (2, AT (2), 20 * MS);
  pop_buffer (3, TRUE);
  expect_nothing ();

  /* 2 comes after all: late; a second copy of it is a duplicate */
  fail_unless_equals_int (push (jitter, 2, TS (2), deadline + MS),
      GST_RESILIENT_JITTER_LATE);
  fail_unless_equals_int (push (jitter, 2, TS (2), deadline + MS),
      GST_RESILIENT_JITTER_DUPLICATE);
  /* the next one is released normally, without DISCONT */
  fail_unless_equals_int (push (jitter, 4, TS (4), deadline + MS),
      GST_RESILIENT_JITTER_RELEASED);
  pop_buffer (4, FALSE);
  expect_nothing ();

  t = totals (jitter);
  fail_unless_equals_uint64 (t.lost, 1);
  fail_unless_equals_uint64 (t.late, 1);
  fail_unless_equals_uint64 (t.duplicates, 1);
  fail_unless_equals_uint64 (t.released, 3);
  /* the late packet did arrive (RFC 3550 counts it) */
  c = counts (jitter);
  fail_unless_equals_uint64 (c.received, 4);
  fail_unless_equals_int (c.base_seq, 1);
  fail_unless_equals_int (c.ext_max_seq, 4);

  /* a big gap declared lost: packets from it more than MAX_MISORDER behind
   * are late, even two consecutive ones (no restart) */
  fail_unless_equals_int (push (jitter, 300, TS (300), AT (300)),
      GST_RESILIENT_JITTER_HELD);
  gst_resilient_jitter_drain (jitter, out);
  for (i = 5; i < 104; i++)
    pop_lost (i, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE);
  pop_lost (104, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE);
  pop_buffer (300, TRUE);
  expect_nothing ();
  fail_unless_equals_int (push (jitter, 150, TS (150), AT (301)),
      GST_RESILIENT_JITTER_LATE);
  fail_unless_equals_int (push (jitter, 151, TS (151), AT (301)),
      GST_RESILIENT_JITTER_LATE);
  fail_unless_equals_int (push (jitter, 301, TS (301), AT (301)),
      GST_RESILIENT_JITTER_RELEASED);
  pop_buffer (301, FALSE);
  expect_nothing ();
  t = totals (jitter);
  fail_unless_equals_uint64 (t.late, 3);
  fail_unless_equals_uint64 (t.lost, 1 + 295);
  gst_resilient_jitter_free (jitter);
}

GST_END_TEST;

GST_START_TEST (test_lost_events)
{
  GstResilientJitter *jitter = jitter_new (200 * MS, 20 * MS, TRUE, 0, 90000);
  GstClockTime deadline;
  guint i;

  push (jitter, 10, TS (0), AT (0));
  pop_buffer (10, TRUE);
  /* 11, 12, 13 missing */
  fail_unless_equals_int (push (jitter, 14, TS (4), AT (4)),
      GST_RESILIENT_JITTER_HELD);
  fail_unless_equals_int (push (jitter, 15, TS (5), AT (5)),
      GST_RESILIENT_JITTER_HELD);
  deadline = gst_resilient_jitter_next_deadline (jitter);
  fail_unless_equals_uint64 (deadline, AT (4) + 180 * MS);
  gst_resilient_jitter_advance (jitter, deadline, out);
  /* timestamps on the line between the neighbours */
  pop_lost (11, AT (1), 20 * MS);
  pop_lost (12, AT (2), 20 * MS);
  pop_lost (13, AT (3), 20 * MS);
  pop_buffer (14, TRUE);
  pop_buffer (15, FALSE);
  expect_nothing ();
  fail_unless_equals_uint64 (totals (jitter).lost, 3);

  /* 150 missing (16 … 165): 99 events, then one for the other 51 */
  fail_unless_equals_int (push (jitter, 166, TS (156), AT (156)),
      GST_RESILIENT_JITTER_HELD);
  gst_resilient_jitter_advance (jitter, AT (156) + 180 * MS, out);
  for (i = 0; i < 99; i++)
    pop_lost (16 + i, AT (6 + i), 20 * MS);
  pop_lost (115, AT (105), 51 * 20 * MS);
  pop_buffer (166, TRUE);
  expect_nothing ();
  fail_unless_equals_uint64 (totals (jitter).lost, 153);
  gst_resilient_jitter_free (jitter);

  /* do-lost off: no events, still counted, still DISCONT */
  jitter = jitter_new (200 * MS, 20 * MS, FALSE, 0, 90000);
  push (jitter, 10, TS (0), AT (0));
  push (jitter, 13, TS (3), AT (3));
  gst_resilient_jitter_advance (jitter, AT (3) + 180 * MS, out);
  pop_buffer (10, TRUE);
  pop_buffer (13, TRUE);
  expect_nothing ();
  fail_unless_equals_uint64 (totals (jitter).lost, 2);
  gst_resilient_jitter_free (jitter);
}

GST_END_TEST;

GST_START_TEST (test_deadline)
{
  GstResilientJitter *jitter = jitter_new (200 * MS, 30 * MS, TRUE, 0, 90000);

  push (jitter, 1, TS (0), AT (0));
  pop_buffer (1, TRUE);
  /* 3 arrives 5 ms after its time: PTS is its RTP time, the deadline
   * PTS + latency − margin */
  fail_unless_equals_int (push (jitter, 3, TS (2), AT (2) + 5 * MS),
      GST_RESILIENT_JITTER_HELD);
  fail_unless_equals_uint64 (gst_resilient_jitter_next_deadline (jitter),
      AT (2) + 170 * MS);
  /* a second gap: the deadline stays that of the first */
  fail_unless_equals_int (push (jitter, 6, TS (5), AT (5)),
      GST_RESILIENT_JITTER_HELD);
  fail_unless_equals_uint64 (gst_resilient_jitter_next_deadline (jitter),
      AT (2) + 170 * MS);
  gst_resilient_jitter_advance (jitter, AT (2) + 170 * MS - 1, out);
  expect_nothing ();
  gst_resilient_jitter_advance (jitter, AT (2) + 170 * MS, out);
  pop_lost (2, AT (1), 20 * MS);
  pop_buffer (3, TRUE);
  expect_nothing ();
  /* now the second gap's */
  fail_unless_equals_uint64 (gst_resilient_jitter_next_deadline (jitter),
      AT (5) + 170 * MS);
  /* both deadlines passed at once: everything goes */
  push (jitter, 8, TS (7), AT (7));
  gst_resilient_jitter_advance (jitter, AT (7) + 170 * MS, out);
  pop_lost (4, AT (3), 20 * MS);
  pop_lost (5, AT (4), 20 * MS);
  pop_buffer (6, TRUE);
  pop_lost (7, AT (6), 20 * MS);
  pop_buffer (8, TRUE);
  expect_nothing ();
  gst_resilient_jitter_free (jitter);

  /* latency − margin smaller than the delay: never before the arrival */
  jitter = jitter_new (100 * MS, 90 * MS, TRUE, 0, 90000);
  push (jitter, 1, TS (0), AT (0));
  push (jitter, 3, TS (2), AT (2) + 300 * MS);
  fail_unless_equals_uint64 (gst_resilient_jitter_next_deadline (jitter),
      AT (2) + 300 * MS);
  gst_resilient_jitter_advance (jitter, AT (2) + 300 * MS - 1, out);
  pop_buffer (1, TRUE);
  expect_nothing ();
  gst_resilient_jitter_advance (jitter, AT (2) + 300 * MS, out);
  pop_lost (2, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE);
  pop_buffer (3, TRUE);
  expect_nothing ();
  gst_resilient_jitter_free (jitter);

  /* margin ≥ latency: released at its arrival */
  jitter = jitter_new (100 * MS, 150 * MS, TRUE, 0, 90000);
  push (jitter, 1, TS (0), AT (0));
  push (jitter, 3, TS (2), AT (2));
  fail_unless_equals_uint64 (gst_resilient_jitter_next_deadline (jitter),
      AT (2));
  clear_out ();
  gst_resilient_jitter_free (jitter);
}

GST_END_TEST;

GST_START_TEST (test_max_held)
{
  GstResilientJitter *jitter = jitter_new (200 * MS, 10 * MS, TRUE, 4, 90000);
  guint i;

  push (jitter, 1, TS (1), AT (1));
  pop_buffer (1, TRUE);
  for (i = 3; i <= 6; i++)
    fail_unless_equals_int (push (jitter, i, TS (i), AT (i)),
        GST_RESILIENT_JITTER_HELD);
  expect_nothing ();
  fail_unless_equals_int (totals (jitter).held, 4);
  /* a fifth: the gap is declared lost at once */
  fail_unless_equals_int (push (jitter, 7, TS (7), AT (7)),
      GST_RESILIENT_JITTER_RELEASED);
  pop_lost (2, AT (2), 20 * MS);
  for (i = 3; i <= 7; i++)
    pop_buffer (i, i == 3);
  expect_nothing ();
  fail_unless_equals_int (totals (jitter).held, 0);

  /* two gaps: only the oldest is declared lost */
  for (i = 9; i <= 12; i++)
    fail_unless_equals_int (push (jitter, i, TS (i), AT (i)),
        GST_RESILIENT_JITTER_HELD);
  fail_unless_equals_int (push (jitter, 14, TS (14), AT (14)),
      GST_RESILIENT_JITTER_HELD);
  pop_lost (8, AT (8), 20 * MS);
  for (i = 9; i <= 12; i++)
    pop_buffer (i, i == 9);
  expect_nothing ();
  fail_unless_equals_int (totals (jitter).held, 1);
  fail_unless_equals_uint64 (gst_resilient_jitter_next_deadline (jitter),
      AT (14) + 190 * MS);

  /* a packet far ahead (the ring reaches 64 packets with max-held 4): the
   * oldest missing ones are declared lost at once, the rest at the
   * deadline */
  fail_unless_equals_int (push (jitter, 113, TS (113), AT (113)),
      GST_RESILIENT_JITTER_HELD);
  pop_lost (13, AT (13), 20 * MS);
  pop_buffer (14, TRUE);
  for (i = 15; i < 113 - 63; i++)
    pop_lost (i, AT (i), 20 * MS);
  expect_nothing ();
  gst_resilient_jitter_advance (jitter, AT (113) + 190 * MS, out);
  for (i = 113 - 63; i < 113; i++)
    pop_lost (i, AT (i), 20 * MS);
  pop_buffer (113, TRUE);
  expect_nothing ();
  fail_unless_equals_uint64 (totals (jitter).lost, 1 + 1 + 1 + 98);
  gst_resilient_jitter_free (jitter);
}

GST_END_TEST;

GST_START_TEST (test_wraparound)
{
  GstResilientJitter *jitter = jitter_new (200 * MS, 10 * MS, TRUE, 0, 90000);
  GstResilientRtcpSourceCounts c;
  guint i;

  for (i = 0; i < 5; i++) {
    fail_unless_equals_int (push (jitter, 65530 + i, TS (i), AT (i)),
        GST_RESILIENT_JITTER_RELEASED);
    pop_buffer (65530 + i, i == 0);
  }
  /* 65535 missing; 0 and 1 (the second cycle) held */
  fail_unless_equals_int (push (jitter, 1, TS (7), AT (7)),
      GST_RESILIENT_JITTER_HELD);
  fail_unless_equals_int (push (jitter, 0, TS (6), AT (7)),
      GST_RESILIENT_JITTER_HELD);
  c = counts (jitter);
  fail_unless_equals_int (c.ext_max_seq, 0x10001);
  fail_unless_equals_int (push (jitter, 65535, TS (5), AT (7)),
      GST_RESILIENT_JITTER_RELEASED);
  pop_buffer (65535, FALSE);
  pop_buffer (0, FALSE);
  pop_buffer (1, FALSE);
  for (i = 8; i < 12; i++) {
    fail_unless_equals_int (push (jitter, i - 6, TS (i), AT (i)),
        GST_RESILIENT_JITTER_RELEASED);
    pop_buffer (i - 6, FALSE);
  }
  /* copies from before the wrap */
  fail_unless_equals_int (push (jitter, 65534, TS (4), AT (12)),
      GST_RESILIENT_JITTER_DUPLICATE);
  fail_unless_equals_int (push (jitter, 65535, TS (5), AT (12)),
      GST_RESILIENT_JITTER_DUPLICATE);
  expect_nothing ();

  c = counts (jitter);
  fail_unless_equals_int (c.ssrc, SSRC);
  fail_unless_equals_int (c.base_seq, 65530);
  fail_unless_equals_int (c.ext_max_seq, 0x10005);
  fail_unless_equals_uint64 (c.received, 12);
  fail_unless_equals_uint64 (totals (jitter).released, 12);

  /* a loss across the wrap is seen as such */
  gst_resilient_jitter_free (jitter);
  jitter = jitter_new (200 * MS, 10 * MS, TRUE, 0, 90000);
  push (jitter, 65534, TS (0), AT (0));
  push (jitter, 2, TS (4), AT (4));
  gst_resilient_jitter_advance (jitter, AT (4) + 190 * MS, out);
  pop_buffer (65534, TRUE);
  pop_lost (65535, AT (1), 20 * MS);
  pop_lost (0, AT (2), 20 * MS);
  pop_lost (1, AT (3), 20 * MS);
  pop_buffer (2, TRUE);
  expect_nothing ();
  c = counts (jitter);
  fail_unless_equals_int (c.base_seq, 65534);
  fail_unless_equals_int (c.ext_max_seq, 0x10002);
  fail_unless_equals_uint64 (c.received, 2);
  gst_resilient_jitter_free (jitter);
}

GST_END_TEST;

GST_START_TEST (test_ssrc_change)
{
  GstResilientJitter *jitter = jitter_new (200 * MS, 10 * MS, TRUE, 0, 90000);
  GstResilientRtcpSourceCounts c;
  GstBuffer *buf;

  push (jitter, 1, TS (1), AT (1));
  push (jitter, 2, TS (2), AT (2));
  pop_buffer (1, TRUE);
  pop_buffer (2, FALSE);
  fail_unless_equals_int (push (jitter, 4, TS (4), AT (4)),
      GST_RESILIENT_JITTER_HELD);
  /* another SSRC, another sequence and time base */
  fail_unless_equals_int (gst_resilient_jitter_push (jitter,
          make_packet (0xabcdef01, 1000, 123456), AT (5) + 3 * MS, out),
      GST_RESILIENT_JITTER_RESTARTED);
  /* what was held was released first */
  pop_lost (3, AT (3), 20 * MS);
  pop_buffer (4, TRUE);
  buf = pop_buffer_ref (1000, TRUE);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), AT (5) + 3 * MS);
  gst_buffer_unref (buf);
  expect_nothing ();
  fail_unless_equals_int (totals (jitter).held, 0);

  c = counts (jitter);
  fail_unless_equals_int (c.ssrc, 0xabcdef01);
  fail_unless_equals_int (c.base_seq, 1000);
  fail_unless_equals_int (c.ext_max_seq, 1000);
  fail_unless_equals_uint64 (c.received, 1);

  /* timing starts again from the new source */
  fail_unless_equals_int (gst_resilient_jitter_push (jitter,
          make_packet (0xabcdef01, 1001, 123456 + 1800), AT (6) + 9 * MS,
          out), GST_RESILIENT_JITTER_RELEASED);
  buf = pop_buffer_ref (1001, FALSE);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), AT (6) + 3 * MS);
  gst_buffer_unref (buf);
  /* the old SSRC again: a restart too */
  fail_unless_equals_int (push (jitter, 5, TS (5), AT (7)),
      GST_RESILIENT_JITTER_RESTARTED);
  pop_buffer (5, TRUE);
  expect_nothing ();
  fail_unless_equals_uint64 (totals (jitter).released, 6);
  gst_resilient_jitter_free (jitter);
}

GST_END_TEST;

GST_START_TEST (test_seq_jump)
{
  GstResilientJitter *jitter = jitter_new (200 * MS, 10 * MS, TRUE, 0, 90000);
  GstResilientRtcpSourceCounts c;
  guint i;

  for (i = 1; i <= 3; i++)
    push (jitter, i, TS (i), AT (i));
  clear_out ();
  /* 2999 ahead: a gap */
  fail_unless_equals_int (push (jitter, 3 + 2999, TS (4), AT (4)),
      GST_RESILIENT_JITTER_HELD);
  gst_resilient_jitter_drain (jitter, out);
  clear_out ();
  /* 3000 ahead: a restart at once */
  fail_unless_equals_int (push (jitter, 3002 + 3000, TS (5), AT (5)),
      GST_RESILIENT_JITTER_RESTARTED);
  pop_buffer (6002, TRUE);
  expect_nothing ();
  c = counts (jitter);
  fail_unless_equals_int (c.base_seq, 6002);
  fail_unless_equals_uint64 (c.received, 1);
  push (jitter, 6003, TS (6), AT (6));
  pop_buffer (6003, FALSE);

  /* far behind, once: late (no restart) */
  fail_unless_equals_int (push (jitter, 500, TS (7), AT (7)),
      GST_RESILIENT_JITTER_LATE);
  expect_nothing ();
  fail_unless_equals_int (push (jitter, 6004, TS (8), AT (8)),
      GST_RESILIENT_JITTER_RELEASED);
  pop_buffer (6004, FALSE);
  fail_unless_equals_uint64 (totals (jitter).late, 1);

  /* far behind, twice in sequence: a restart from the first of the two,
   * which is not lost */
  fail_unless_equals_int (push (jitter, 500, TS (9), AT (9)),
      GST_RESILIENT_JITTER_LATE);
  expect_nothing ();
  fail_unless_equals_int (push (jitter, 501, TS (10), AT (10)),
      GST_RESILIENT_JITTER_RESTARTED);
  pop_buffer (500, TRUE);
  pop_buffer (501, FALSE);
  expect_nothing ();
  c = counts (jitter);
  fail_unless_equals_int (c.base_seq, 500);
  fail_unless_equals_int (c.ext_max_seq, 501);
  fail_unless_equals_uint64 (c.received, 2);
  fail_unless_equals_uint64 (totals (jitter).late, 1);

  /* far behind, with something else in between: no restart */
  fail_unless_equals_int (push (jitter, 60000, TS (11), AT (11)),
      GST_RESILIENT_JITTER_LATE);
  fail_unless_equals_int (push (jitter, 502, TS (11), AT (11)),
      GST_RESILIENT_JITTER_RELEASED);
  fail_unless_equals_int (push (jitter, 60001, TS (12), AT (12)),
      GST_RESILIENT_JITTER_LATE);
  fail_unless_equals_int (push (jitter, 503, TS (12), AT (12)),
      GST_RESILIENT_JITTER_RELEASED);
  pop_buffer (502, FALSE);
  pop_buffer (503, FALSE);
  expect_nothing ();
  fail_unless_equals_uint64 (totals (jitter).late, 3);
  fail_unless_equals_uint64 (counts (jitter).received, 4);
  gst_resilient_jitter_free (jitter);
}

GST_END_TEST;

/* Jittered arrivals: PTS follows the RTP times exactly once the smallest
 * delay was seen; never after the arrival. */
GST_START_TEST (test_pts_jitter)
{
  GstResilientJitter *jitter = jitter_new (200 * MS, 10 * MS, TRUE, 0, 90000);
  guint i;

  for (i = 0; i < 500; i++) {
    /* 0 … 9 ms late, 3 ms for the first, 0 for i = 1, 11, 21 … */
    GstClockTime arrival = AT (i) + ((i * 7 + 3) % 10) * MS;
    GstBuffer *buf;

    push (jitter, i, TS (i), arrival);
    buf = pop_buffer_ref (i, i == 0);
    /* the first packet's PTS is its arrival */
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), i == 0 ? arrival : AT (i));
    fail_unless_equals_uint64 (GST_BUFFER_DTS (buf), arrival);
    gst_buffer_unref (buf);
  }
  gst_resilient_jitter_free (jitter);

  /* three packets per frame (one RTP time): the same PTS for all three,
   * however they arrive */
  jitter = jitter_new (200 * MS, 10 * MS, TRUE, 0, 90000);
  for (i = 0; i < 300; i++) {
    guint frame = i / 3;
    GstClockTime arrival = frame * 40 * MS + (i % 3) * 3 * MS +
        ((frame * 3) % 4) * MS;
    GstBuffer *buf;

    push (jitter, i, frame * 3600, arrival);
    buf = pop_buffer_ref (i, i == 0);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), frame * 40 * MS);
    gst_buffer_unref (buf);
  }
  gst_resilient_jitter_free (jitter);
}

GST_END_TEST;

/* The sender's clock 0.1 % slower or faster than ours: PTS follows the
 * arrivals (within the drift of one 2 s window) and keeps increasing. */
GST_START_TEST (test_pts_drift)
{
  gint dir;

  for (dir = -1; dir <= 1; dir += 2) {
    GstResilientJitter *jitter = jitter_new (200 * MS, 10 * MS, TRUE, 0,
        90000);
    GstClockTime last = 0;
    guint i;

    for (i = 0; i < 3000; i++) {
      /* 20.02 or 19.98 ms apart */
      GstClockTime arrival = i * (20 * MS + dir * 20 * GST_USECOND);
      GstBuffer *buf;

      push (jitter, i, TS (i), arrival);
      buf = pop_buffer_ref (i, i == 0);
      fail_unless (GST_BUFFER_PTS (buf) <= arrival);
      fail_unless (arrival - GST_BUFFER_PTS (buf) <= 2 * MS,
          "%u: PTS %" GST_TIME_FORMAT " arrival %" GST_TIME_FORMAT, i,
          GST_TIME_ARGS (GST_BUFFER_PTS (buf)), GST_TIME_ARGS (arrival));
      if (i > 0)
        fail_unless (GST_BUFFER_PTS (buf) > last);
      last = GST_BUFFER_PTS (buf);
      gst_buffer_unref (buf);
    }
    /* 60 s at 0.1 %: 60 ms of drift followed */
    fail_unless (last > AT (2999) + 50 * MS || last < AT (2999) - 50 * MS);
    gst_resilient_jitter_free (jitter);
  }
}

GST_END_TEST;

GST_START_TEST (test_pts_clock_rate_change)
{
  GstResilientJitter *jitter = jitter_new (200 * MS, 10 * MS, TRUE, 0, 90000);
  guint32 rtptime = 0;
  guint i;

  for (i = 0; i < 150; i++) {
    GstBuffer *buf;

    if (i == 50)
      gst_resilient_jitter_set_clock_rate (jitter, 48000);
    if (i == 100)
      gst_resilient_jitter_set_clock_rate (jitter, 90000);
    if (i > 0)
      rtptime += i < 50 || i >= 100 ? 1800 : 960;
    push (jitter, i, rtptime, AT (i));
    buf = pop_buffer_ref (i, i == 0);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), AT (i));
    gst_buffer_unref (buf);
  }
  fail_unless_equals_int (counts (jitter).clock_rate, 90000);

  /* unknown clock rate: PTS is the arrival */
  gst_resilient_jitter_set_clock_rate (jitter, 0);
  for (i = 150; i < 160; i++) {
    GstBuffer *buf;

    rtptime += 1800;
    push (jitter, i, rtptime, AT (i) + (i % 3) * MS);
    buf = pop_buffer_ref (i, FALSE);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), AT (i) + (i % 3) * MS);
    gst_buffer_unref (buf);
  }
  fail_unless_equals_uint64 (totals (jitter).jitter_ns, 0);
  gst_resilient_jitter_free (jitter);

  jitter = jitter_new (200 * MS, 10 * MS, TRUE, 0, 0);
  for (i = 0; i < 10; i++) {
    GstBuffer *buf;

    push (jitter, i, TS (i), AT (i) + (i % 4) * MS);
    buf = pop_buffer_ref (i, i == 0);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), AT (i) + (i % 4) * MS);
    gst_buffer_unref (buf);
  }
  gst_resilient_jitter_free (jitter);
}

GST_END_TEST;

/* PTS never goes backwards for a later RTP time, even when the arrival
 * times do (they come from the caller); packets of one RTP time get one PTS
 * even when the skew moves up between them (the sender's clock slower than
 * ours, three packets per frame). */
GST_START_TEST (test_pts_monotonic)
{
  GstResilientJitter *jitter = jitter_new (200 * MS, 10 * MS, TRUE, 0, 90000);
  GstClockTime frame_pts = 0;
  GstBuffer *buf;
  guint i;

  push (jitter, 0, TS (0), 100 * MS);
  pop_buffer (0, TRUE);
  /* 20 ms of RTP time later, but said to arrive 50 ms earlier */
  push (jitter, 1, TS (1), 50 * MS);
  buf = pop_buffer_ref (1, FALSE);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), 100 * MS);
  gst_buffer_unref (buf);
  gst_resilient_jitter_free (jitter);

  jitter = jitter_new (200 * MS, 10 * MS, TRUE, 0, 90000);
  for (i = 0; i < 600; i++) {
    guint frame = i / 3;
    /* 41 ms a frame (2.5 % slow), the packets of a frame 12 ms apart: the
     * skew window moves on at the second or third packet of some frames */
    GstClockTime arrival = frame * 41 * MS + (i % 3) * 12 * MS;

    push (jitter, i, frame * 3600, arrival);
    buf = pop_buffer_ref (i, i == 0);
    if (i % 3 == 0) {
      if (i > 0)
        fail_unless (GST_BUFFER_PTS (buf) > frame_pts);
      frame_pts = GST_BUFFER_PTS (buf);
    }
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), frame_pts);
    fail_unless (GST_BUFFER_PTS (buf) <= arrival);
    gst_buffer_unref (buf);
  }
  gst_resilient_jitter_free (jitter);
}

GST_END_TEST;

/* After a pause longer than the skew window, the delay measured before it
 * is forgotten at once. */
GST_START_TEST (test_pts_pause)
{
  GstResilientJitter *jitter = jitter_new (200 * MS, 10 * MS, TRUE, 0, 90000);
  guint i;

  for (i = 0; i < 50; i++) {
    push (jitter, i, TS (i), AT (i));
    pop_buffer (i, i == 0);
  }
  /* the sender stops for 5 s; the path is 100 ms slower afterwards */
  for (i = 300; i < 320; i++) {
    GstBuffer *buf;

    push (jitter, i - 250, TS (i), AT (i) + 100 * MS);
    buf = pop_buffer_ref (i - 250, FALSE);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), AT (i) + 100 * MS);
    gst_buffer_unref (buf);
  }
  gst_resilient_jitter_free (jitter);
}

GST_END_TEST;

/* RTP time jumps: PTS stays with the arrivals. */
GST_START_TEST (test_pts_jump)
{
  GstResilientJitter *jitter = jitter_new (200 * MS, 10 * MS, TRUE, 0, 90000);
  guint32 rtptime = 0;
  guint i;

  for (i = 0; i < 60; i++) {
    /* jittered, but on time at the jumps and right after them */
    GstClockTime arrival = AT (i) + (i % 10 <= 1 ? 0 : (i * 3 % 5) * MS);
    GstBuffer *buf;

    if (i > 0)
      rtptime += 1800;
    if (i == 10 || i == 30)     /* 100 s forward */
      rtptime += 100 * 90000;
    if (i == 20 || i == 40)     /* 60 s backward */
      rtptime -= 60 * 90000;
    /* one stray packet 100 s ahead */
    push (jitter, i, i == 50 ? rtptime + 100 * 90000 : rtptime, arrival);
    buf = pop_buffer_ref (i, i == 0);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), AT (i));
    gst_buffer_unref (buf);
  }
  expect_nothing ();
  gst_resilient_jitter_free (jitter);
}

GST_END_TEST;

/* The RFC 3550 counts against values computed by hand. */
GST_START_TEST (test_counts)
{
  /* 8 kHz: one RTP unit is 125 µs; a packet every 20 ms (160 units) */
  static const guint offsets[] = { 0, 16, 0, 48, 48, 0, 24, 8 };
  GstResilientJitter *jitter = jitter_new (200 * MS, 10 * MS, TRUE, 0, 8000);
  GstResilientRtcpSourceCounts c;
  guint i;

  c = counts (jitter);
  fail_unless_equals_uint64 (c.received, 0);
  fail_unless_equals_int (c.clock_rate, 8000);

  for (i = 0; i < G_N_ELEMENTS (offsets); i++) {
    if (i == 4)
      continue;                 /* lost */
    push (jitter, 1000 + i, 50000 + 160 * i,
        AT (i) + offsets[i] * 125 * GST_USECOND);
  }
  /* transit differences D: 16, 16, 48, (4 lost), 48, 24, 16 → with
   * J += |D| − ((J + 8) >> 4) (A.8, J scaled by 16): 16,
   * 16 + 16 − 1 = 31, 31 + 48 − 2 = 77, 77 + 48 − 5 = 120,
   * 120 + 24 − 8 = 136, 136 + 16 − 9 = 143 → 143 >> 4 = 8 */
  c = counts (jitter);
  fail_unless_equals_int (c.ssrc, SSRC);
  fail_unless_equals_int (c.base_seq, 1000);
  fail_unless_equals_int (c.ext_max_seq, 1007);
  fail_unless_equals_uint64 (c.received, 7);
  fail_unless_equals_int (c.jitter, 8);
  fail_unless_equals_int (c.clock_rate, 8000);
  fail_unless_equals_uint64 (totals (jitter).jitter_ns, 8 * 125 * GST_USECOND);

  /* the counts start again at a restart, the totals are kept */
  gst_resilient_jitter_advance (jitter, GST_SECOND, out);
  fail_unless_equals_uint64 (totals (jitter).lost, 1);
  fail_unless_equals_int (push (jitter, 6007, 0, GST_SECOND),
      GST_RESILIENT_JITTER_RESTARTED);
  c = counts (jitter);
  fail_unless_equals_int (c.base_seq, 6007);
  fail_unless_equals_int (c.ext_max_seq, 6007);
  fail_unless_equals_uint64 (c.received, 1);
  fail_unless_equals_int (c.jitter, 0);
  fail_unless_equals_uint64 (totals (jitter).lost, 1);
  fail_unless_equals_uint64 (totals (jitter).released, 8);
  clear_out ();
  gst_resilient_jitter_free (jitter);
}

GST_END_TEST;

static GstResilientJitterVerdict
push_bytes (GstResilientJitter * jitter, const guint8 * data, gsize size)
{
  GstBuffer *buf = gst_buffer_new_memdup (data, size);
  GstResilientJitterVerdict verdict;

  /* the jitterbuffer must drop its reference */
  gst_buffer_ref (buf);
  verdict = gst_resilient_jitter_push (jitter, buf, AT (1), out);
  fail_unless_equals_int (GST_MINI_OBJECT_REFCOUNT_VALUE (buf), 1);
  gst_buffer_unref (buf);
  return verdict;
}

GST_START_TEST (test_invalid)
{
  GstResilientJitter *jitter = jitter_new (200 * MS, 10 * MS, TRUE, 0, 90000);
  guint8 packet[16] = { 0x80, 96, 0, 7, 0, 0, 0, 1, 0x11, 0x22, 0x33, 0x44,
    1, 2, 3, 4
  };
  guint8 bad[16];
  GstBuffer *empty;

  /* short */
  fail_unless_equals_int (push_bytes (jitter, packet, 11),
      GST_RESILIENT_JITTER_INVALID);
  empty = gst_buffer_new ();
  fail_unless_equals_int (gst_resilient_jitter_push (jitter, empty, AT (1),
          out), GST_RESILIENT_JITTER_INVALID);
  /* version 1 */
  memcpy (bad, packet, sizeof (bad));
  bad[0] = 0x40;
  fail_unless_equals_int (push_bytes (jitter, bad, sizeof (bad)),
      GST_RESILIENT_JITTER_INVALID);
  /* padding longer than the packet */
  memcpy (bad, packet, sizeof (bad));
  bad[0] = 0xa0;
  bad[15] = 5;
  fail_unless_equals_int (push_bytes (jitter, bad, sizeof (bad)),
      GST_RESILIENT_JITTER_INVALID);
  /* CSRCs beyond the end */
  memcpy (bad, packet, sizeof (bad));
  bad[0] = 0x82;
  fail_unless_equals_int (push_bytes (jitter, bad, sizeof (bad)),
      GST_RESILIENT_JITTER_INVALID);
  /* a header extension beyond the end */
  memcpy (bad, packet, sizeof (bad));
  bad[0] = 0x90;
  bad[14] = 0;
  bad[15] = 1;
  fail_unless_equals_int (push_bytes (jitter, bad, sizeof (bad)),
      GST_RESILIENT_JITTER_INVALID);
  expect_nothing ();
  fail_unless_equals_uint64 (counts (jitter).received, 0);

  /* a valid one still starts the stream */
  fail_unless_equals_int (push_bytes (jitter, packet, sizeof (packet)),
      GST_RESILIENT_JITTER_RELEASED);
  pop_buffer (7, TRUE);
  /* padding that fits */
  memcpy (bad, packet, sizeof (bad));
  bad[0] = 0xa0;
  bad[3] = 8;
  bad[15] = 4;
  fail_unless_equals_int (push_bytes (jitter, bad, sizeof (bad)),
      GST_RESILIENT_JITTER_RELEASED);
  pop_buffer (8, FALSE);
  expect_nothing ();
  fail_unless_equals_uint64 (totals (jitter).released, 2);
  gst_resilient_jitter_free (jitter);
}

GST_END_TEST;

GST_START_TEST (test_drain)
{
  GstResilientJitter *jitter = jitter_new (200 * MS, 10 * MS, TRUE, 0, 90000);
  GstResilientJitterTotals t;

  gst_resilient_jitter_drain (jitter, out);
  expect_nothing ();

  push (jitter, 1, TS (1), AT (1));
  pop_buffer (1, TRUE);
  push (jitter, 3, TS (3), AT (3));
  push (jitter, 4, TS (4), AT (4));
  push (jitter, 7, TS (7), AT (7));
  expect_nothing ();
  gst_resilient_jitter_drain (jitter, out);
  pop_lost (2, AT (2), 20 * MS);
  pop_buffer (3, TRUE);
  pop_buffer (4, FALSE);
  pop_lost (5, AT (5), 20 * MS);
  pop_lost (6, AT (6), 20 * MS);
  pop_buffer (7, TRUE);
  expect_nothing ();
  fail_unless (gst_resilient_jitter_next_deadline (jitter) ==
      GST_CLOCK_TIME_NONE);
  t = totals (jitter);
  fail_unless_equals_int (t.held, 0);
  fail_unless_equals_uint64 (t.lost, 3);
  fail_unless_equals_uint64 (t.released, 4);

  /* the stream goes on */
  fail_unless_equals_int (push (jitter, 8, TS (8), AT (8)),
      GST_RESILIENT_JITTER_RELEASED);
  pop_buffer (8, FALSE);
  expect_nothing ();
  gst_resilient_jitter_free (jitter);
}

GST_END_TEST;

static void
count_freed (gpointer data, GstMiniObject * obj)
{
  (*(guint *) data)++;
}

GST_START_TEST (test_reset)
{
  GstResilientJitter *jitter = jitter_new (200 * MS, 10 * MS, TRUE, 0, 90000);
  guint freed = 0;
  GstResilientJitterTotals t;
  GstResilientRtcpSourceCounts c;
  GstBuffer *buf;
  guint i;

  push (jitter, 1, TS (1), AT (1));
  pop_buffer (1, TRUE);
  for (i = 0; i < 2; i++) {
    buf = make_packet (SSRC, 3 + i, TS (3 + i));
    gst_mini_object_weak_ref (GST_MINI_OBJECT (buf), count_freed, &freed);
    fail_unless_equals_int (gst_resilient_jitter_push (jitter, buf,
            AT (3 + i), out), GST_RESILIENT_JITTER_HELD);
  }
  fail_unless_equals_int (freed, 0);
  gst_resilient_jitter_reset (jitter);
  expect_nothing ();
  /* the held packets were dropped */
  fail_unless_equals_int (freed, 2);
  t = totals (jitter);
  fail_unless_equals_int (t.held, 0);
  fail_unless_equals_uint64 (t.released, 1);
  fail_unless (gst_resilient_jitter_next_deadline (jitter) ==
      GST_CLOCK_TIME_NONE);
  fail_unless_equals_uint64 (counts (jitter).received, 0);

  /* a new PLAY: sequence and time jump, no restart verdict, DISCONT */
  fail_unless_equals_int (push (jitter, 20000, 777777, 10 * GST_SECOND),
      GST_RESILIENT_JITTER_RELEASED);
  buf = pop_buffer_ref (20000, TRUE);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), 10 * GST_SECOND);
  gst_buffer_unref (buf);
  fail_unless_equals_int (push (jitter, 20001, 777777 + 1800,
          10 * GST_SECOND + 25 * MS), GST_RESILIENT_JITTER_RELEASED);
  buf = pop_buffer_ref (20001, FALSE);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), 10 * GST_SECOND + 20 * MS);
  gst_buffer_unref (buf);
  c = counts (jitter);
  fail_unless_equals_int (c.base_seq, 20000);
  fail_unless_equals_uint64 (c.received, 2);
  t = totals (jitter);
  fail_unless_equals_uint64 (t.released, 3);
  fail_unless_equals_uint64 (t.lost, 0);
  gst_resilient_jitter_free (jitter);
}

GST_END_TEST;

/* Pops packet @seq and checks its PTS and DTS. */
static void
pop_timed (guint16 seq, gboolean discont, GstClockTime pts, GstClockTime dts)
{
  GstBuffer *buf = pop_buffer_ref (seq, discont);

  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), pts);
  fail_unless_equals_uint64 (GST_BUFFER_DTS (buf), dts);
  gst_buffer_unref (buf);
}

/* The ts-offset is added to PTS and DTS on the way out; packets of one RTP
 * time share it; the deadlines stay un-offset, lost events carry it. */
GST_START_TEST (test_ts_offset)
{
  GstResilientJitter *jitter = jitter_new (200 * MS, 10 * MS, TRUE, 0, 90000);
  guint i;

  for (i = 0; i < 5; i++) {
    push (jitter, i, TS (i), AT (i));
    pop_timed (i, i == 0, AT (i), AT (i));
  }

  gst_resilient_jitter_set_ts_offset (jitter, 100 * MS);
  /* 2 ms late: PTS from the RTP time, DTS the arrival, both + 100 ms */
  push (jitter, 5, TS (5), AT (5) + 2 * MS);
  pop_timed (5, FALSE, AT (5) + 100 * MS, AT (5) + 102 * MS);
  push (jitter, 6, TS (6), AT (6));
  pop_timed (6, FALSE, AT (6) + 100 * MS, AT (6) + 100 * MS);
  /* a new offset between two packets of one RTP time: the second keeps
   * the first's PTS; the next RTP time takes it */
  gst_resilient_jitter_set_ts_offset (jitter, 200 * MS);
  push (jitter, 7, TS (6), AT (6) + MS);
  pop_timed (7, FALSE, AT (6) + 100 * MS, AT (6) + 101 * MS);
  push (jitter, 8, TS (7), AT (7));
  pop_timed (8, FALSE, AT (7) + 200 * MS, AT (7) + 200 * MS);

  /* a gap: the deadline is the un-offset PTS + latency − margin; the lost
   * event's timestamp is offset like the packets */
  fail_unless_equals_int (push (jitter, 10, TS (9), AT (9)),
      GST_RESILIENT_JITTER_HELD);
  fail_unless_equals_uint64 (gst_resilient_jitter_next_deadline (jitter),
      AT (9) + 190 * MS);
  gst_resilient_jitter_advance (jitter, AT (9) + 190 * MS - 1, out);
  expect_nothing ();
  gst_resilient_jitter_advance (jitter, AT (9) + 190 * MS, out);
  pop_lost (9, AT (8) + 200 * MS, 20 * MS);
  pop_timed (10, TRUE, AT (9) + 200 * MS, AT (9) + 200 * MS);
  expect_nothing ();

  /* an increase waits for a later RTP time: a packet of an older one (a
   * B-frame) released in between keeps the old offset */
  gst_resilient_jitter_set_ts_offset (jitter, 300 * MS);
  push (jitter, 11, TS (8), AT (10));
  pop_timed (11, FALSE, AT (8) + 200 * MS, AT (10) + 200 * MS);
  push (jitter, 12, TS (10), AT (10));
  pop_timed (12, FALSE, AT (10) + 300 * MS, AT (10) + 300 * MS);

  /* a decrease is spread: each packet 20 ms later takes 10 ms off, PTS
   * keeps increasing */
  gst_resilient_jitter_set_ts_offset (jitter, 200 * MS);
  for (i = 1; i <= 12; i++) {
    GstClockTime offset = 300 * MS - MIN (i, 10) * 10 * MS;

    push (jitter, 12 + i, TS (10 + i), AT (10 + i));
    pop_timed (12 + i, FALSE, AT (10 + i) + offset, AT (10 + i) + offset);
  }
  /* 0 and GST_CLOCK_TIME_NONE: no offset */
  gst_resilient_jitter_set_ts_offset (jitter, GST_CLOCK_TIME_NONE);
  for (i = 1; i <= 30; i++) {
    GstBuffer *buf;

    push (jitter, 24 + i, TS (22 + i), AT (22 + i));
    buf = pop_buffer_ref (24 + i, FALSE);
    fail_unless (GST_BUFFER_PTS (buf) > AT (21 + i) + 200 * MS -
        MIN (i - 1, 20) * 10 * MS);
    gst_buffer_unref (buf);
  }
  push (jitter, 55, TS (53), AT (53));
  pop_timed (55, FALSE, AT (53), AT (53));

  /* kept across a reset, taken at once at the next packet */
  gst_resilient_jitter_set_ts_offset (jitter, 400 * MS);
  gst_resilient_jitter_reset (jitter);
  push (jitter, 9000, 123456, 10 * GST_SECOND);
  pop_timed (9000, TRUE, 10 * GST_SECOND + 400 * MS,
      10 * GST_SECOND + 400 * MS);
  /* a decrease right at a restart (a new SSRC): at once too */
  gst_resilient_jitter_set_ts_offset (jitter, 50 * MS);
  fail_unless_equals_int (gst_resilient_jitter_push (jitter,
          make_packet (SSRC + 1, 7, 999), 11 * GST_SECOND, out),
      GST_RESILIENT_JITTER_RESTARTED);
  pop_timed (7, TRUE, 11 * GST_SECOND + 50 * MS, 11 * GST_SECOND + 50 * MS);
  expect_nothing ();
  gst_resilient_jitter_free (jitter);
}

GST_END_TEST;

/* The current RTP time → PTS mapping, as the packets get it. */
GST_START_TEST (test_rtp_to_pts)
{
  /* 2^32 − 16384: the RTP time wraps during the test */
  const guint32 base = 0xffffc000u;
  GstResilientJitter *jitter = jitter_new (200 * MS, 10 * MS, TRUE, 0, 90000);
  GstClockTime pts = 42;
  guint i;

  /* before the first packet */
  fail_if (gst_resilient_jitter_rtp_to_pts (jitter, base, &pts));
  fail_unless_equals_uint64 (pts, 42);

  /* the first packet 5 ms late: PTS follows the RTP times 5 ms earlier
   * from the second on (the skew) */
  push (jitter, 0, base, GST_SECOND + 5 * MS);
  pop_buffer (0, TRUE);
  fail_unless (gst_resilient_jitter_rtp_to_pts (jitter, base, &pts));
  fail_unless_equals_uint64 (pts, GST_SECOND + 5 * MS);
  for (i = 1; i < 10; i++) {
    GstBuffer *buf;

    push (jitter, i, base + TS (i), GST_SECOND + AT (i));
    buf = pop_buffer_ref (i, FALSE);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), GST_SECOND + AT (i));
    /* what the packet got */
    fail_unless (gst_resilient_jitter_rtp_to_pts (jitter, base + TS (i), &pts));
    fail_unless_equals_uint64 (pts, GST_BUFFER_PTS (buf));
    gst_buffer_unref (buf);
  }
  /* a sender report's RTP time, a bit ahead of the latest packet */
  fail_unless (gst_resilient_jitter_rtp_to_pts (jitter, base + TS (9) + 900,
          &pts));
  fail_unless_equals_uint64 (pts, GST_SECOND + AT (9) + 10 * MS);
  /* 1 s ahead (past the 32-bit wrap) and behind */
  fail_unless (gst_resilient_jitter_rtp_to_pts (jitter, base + TS (9) + 90000,
          &pts));
  fail_unless_equals_uint64 (pts, 2 * GST_SECOND + AT (9));
  fail_unless (gst_resilient_jitter_rtp_to_pts (jitter, base + TS (9) - 90000,
          &pts));
  fail_unless_equals_uint64 (pts, AT (9));
  /* 2 s behind: before running time 0 */
  pts = 42;
  fail_if (gst_resilient_jitter_rtp_to_pts (jitter, base + TS (9) - 180000,
          &pts));
  fail_unless_equals_uint64 (pts, 42);

  /* the ts-offset is not in it */
  gst_resilient_jitter_set_ts_offset (jitter, GST_SECOND);
  fail_unless (gst_resilient_jitter_rtp_to_pts (jitter, base + TS (9), &pts));
  fail_unless_equals_uint64 (pts, GST_SECOND + AT (9));
  gst_resilient_jitter_set_ts_offset (jitter, 0);

  /* another clock rate: the mapping goes on from the latest RTP time */
  gst_resilient_jitter_set_clock_rate (jitter, 48000);
  fail_unless (gst_resilient_jitter_rtp_to_pts (jitter, base + TS (9) + 960,
          &pts));
  fail_unless_equals_uint64 (pts, GST_SECOND + AT (10));

  /* unknown clock rate: no mapping, also not once it is known again
   * until a packet starts the timing */
  gst_resilient_jitter_set_clock_rate (jitter, 0);
  fail_if (gst_resilient_jitter_rtp_to_pts (jitter, base + TS (9), &pts));
  gst_resilient_jitter_set_clock_rate (jitter, 90000);
  fail_if (gst_resilient_jitter_rtp_to_pts (jitter, base + TS (9), &pts));
  push (jitter, 10, 5000, 3 * GST_SECOND);
  pop_buffer (10, FALSE);
  fail_unless (gst_resilient_jitter_rtp_to_pts (jitter, 5000 + 9000, &pts));
  fail_unless_equals_uint64 (pts, 3 * GST_SECOND + 100 * MS);

  /* after a reset, none until the next packet */
  gst_resilient_jitter_reset (jitter);
  fail_if (gst_resilient_jitter_rtp_to_pts (jitter, 5000, &pts));
  push (jitter, 30000, 70000, 4 * GST_SECOND);
  pop_buffer (30000, TRUE);
  fail_unless (gst_resilient_jitter_rtp_to_pts (jitter, 70000, &pts));
  fail_unless_equals_uint64 (pts, 4 * GST_SECOND);
  gst_resilient_jitter_free (jitter);

  /* created without a clock rate */
  jitter = jitter_new (200 * MS, 10 * MS, TRUE, 0, 0);
  push (jitter, 1, TS (1), AT (1));
  pop_buffer (1, TRUE);
  fail_if (gst_resilient_jitter_rtp_to_pts (jitter, TS (1), &pts));
  gst_resilient_jitter_free (jitter);
}

GST_END_TEST;

static Suite *
jitter_suite (void)
{
  Suite *s = suite_create ("jitter");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, out_setup, out_teardown);

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_in_order);
  tcase_add_test (tc, test_reorder);
  tcase_add_test (tc, test_duplicates);
  tcase_add_test (tc, test_late);
  tcase_add_test (tc, test_lost_events);
  tcase_add_test (tc, test_deadline);
  tcase_add_test (tc, test_max_held);
  tcase_add_test (tc, test_wraparound);
  tcase_add_test (tc, test_ssrc_change);
  tcase_add_test (tc, test_seq_jump);
  tcase_add_test (tc, test_pts_jitter);
  tcase_add_test (tc, test_pts_drift);
  tcase_add_test (tc, test_pts_clock_rate_change);
  tcase_add_test (tc, test_pts_jump);
  tcase_add_test (tc, test_pts_monotonic);
  tcase_add_test (tc, test_pts_pause);
  tcase_add_test (tc, test_counts);
  tcase_add_test (tc, test_invalid);
  tcase_add_test (tc, test_drain);
  tcase_add_test (tc, test_reset);
  tcase_add_test (tc, test_ts_offset);
  tcase_add_test (tc, test_rtp_to_pts);
  return s;
}

GST_CHECK_MAIN (jitter);
