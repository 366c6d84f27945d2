/* resilientrtsp
 * tests/fuzz/fuzz_jitter.c: libFuzzer target for the threadless
 * jitterbuffer (jitter.c).
 *
 * Input: two bytes of settings (do-lost, latency, margin, max-held, clock
 * rate), then operations, each an op byte and its arguments:
 *   op & 7 in 0…3: a valid RTP packet made from the previous one (sequence
 *     and RTP time deltas, optionally another SSRC, a big sequence jump, a
 *     big time jump), arriving after a delta (sometimes before the previous
 *     arrival, sometimes at GST_CLOCK_TIME_NONE);
 *   4: arbitrary bytes as a packet;
 *   5: advance by a delta; 6: drain, reset or a new clock rate;
 *   7: advance to the next deadline.
 * Checked after every operation: what comes out is well-formed and in order
 * (a buffer without DISCONT directly follows its predecessor, a lost event
 * is followed by a DISCONT buffer), the verdict matches what came out, the
 * totals match the output, a passed deadline never stays, nothing leaks.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gst/gst.h>
#include <gst/rtp/rtp.h>

#include "jitter.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

#define CHECK(cond) \
  G_STMT_START { \
    if (!(cond)) { \
      g_printerr ("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort (); \
    } \
  } G_STMT_END

typedef struct
{
  const guint8 *data;
  gsize len, pos;
} Reader;

static guint
read_u8 (Reader * r)
{
  return r->pos < r->len ? r->data[r->pos++] : 0;
}

static guint
read_u16 (Reader * r)
{
  guint v = read_u8 (r);

  return v | (read_u8 (r) << 8);
}

typedef struct
{
  GstResilientJitter *jitter;
  gboolean do_lost;
  /* the output so far */
  guint64 buffers;
  gboolean have_last;
  guint16 last_seq;
  gboolean last_was_event;
  gboolean want_discont;
  /* the packet generator */
  guint16 seq;
  guint32 rtptime;
  guint32 ssrc;
  GstClockTime now;
  GstQueueArray *out;           /* what the jitterbuffer released */
} State;

static guint16
buffer_seq (GstBuffer * buf)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint16 seq;

  /* what comes out went in as a valid RTP packet */
  CHECK (gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp));
  seq = gst_rtp_buffer_get_seq (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  return seq;
}

/* Checks and frees what came out; returns how many buffers. */
static guint
check_out (State * st, GstQueueArray * out)
{
  GstMiniObject *item;
  guint buffers = 0;

  while ((item = gst_queue_array_pop_head (out))) {
    if (GST_IS_BUFFER (item)) {
      GstBuffer *buf = GST_BUFFER (item);
      guint16 seq = buffer_seq (buf);
      gboolean discont = GST_BUFFER_FLAG_IS_SET (buf,
          GST_BUFFER_FLAG_DISCONT);

      CHECK (GST_CLOCK_TIME_IS_VALID (GST_BUFFER_PTS (buf)));
      CHECK (GST_CLOCK_TIME_IS_VALID (GST_BUFFER_DTS (buf)));
      CHECK (GST_BUFFER_PTS (buf) < (G_GUINT64_CONSTANT (1) << 62));
      if (!discont) {
        CHECK (st->have_last && !st->last_was_event);
        CHECK (seq == (guint16) (st->last_seq + 1));
      }
      if (st->want_discont)
        CHECK (discont);
      st->want_discont = FALSE;
      st->have_last = TRUE;
      st->last_seq = seq;
      st->last_was_event = FALSE;
      buffers++;
    } else {
      const GstStructure *s;
      guint seqnum, retry;
      guint64 ts, dur;

      CHECK (GST_IS_EVENT (item));
      CHECK (st->do_lost);
      CHECK (GST_EVENT_TYPE (item) == GST_EVENT_CUSTOM_DOWNSTREAM);
      s = gst_event_get_structure (GST_EVENT (item));
      CHECK (gst_structure_has_name (s, "GstRTPPacketLost"));
      CHECK (gst_structure_get_uint (s, "seqnum", &seqnum));
      CHECK (gst_structure_get_uint64 (s, "timestamp", &ts));
      CHECK (gst_structure_get_uint64 (s, "duration", &dur));
      CHECK (gst_structure_get_uint (s, "retry", &retry));
      CHECK (seqnum <= 0xffff && retry == 0);
      CHECK (GST_CLOCK_TIME_IS_VALID (ts));
      CHECK (ts + dur >= ts);
      /* a lost packet follows what was released before it */
      if (st->have_last)
        CHECK (seqnum != st->last_seq);
      st->have_last = TRUE;
      st->last_seq = seqnum;
      st->last_was_event = TRUE;
      st->want_discont = TRUE;
    }
    gst_mini_object_unref (item);
  }
  st->buffers += buffers;
  return buffers;
}

static void
check_state (State * st)
{
  GstResilientJitterTotals t;
  GstResilientRtcpSourceCounts c;
  GstClockTime deadline = gst_resilient_jitter_next_deadline (st->jitter);

  gst_resilient_jitter_get_totals (st->jitter, &t);
  CHECK (t.released == st->buffers);
  CHECK ((t.held == 0) == (deadline == GST_CLOCK_TIME_NONE));
  gst_resilient_jitter_get_counts (st->jitter, &c);
  if (c.received > 0)
    CHECK ((guint32) (c.ext_max_seq - c.base_seq) < 0x80000000u);
}

static GstBuffer *
make_packet (guint32 ssrc, guint16 seq, guint32 rtptime, guint payload_len,
    guint8 fill)
{
  GstBuffer *buf = gst_rtp_buffer_new_allocate (payload_len, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  CHECK (gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp));
  gst_rtp_buffer_set_ssrc (&rtp, ssrc);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, rtptime);
  gst_rtp_buffer_set_payload_type (&rtp, 96);
  memset (gst_rtp_buffer_get_payload (&rtp), fill, payload_len);
  gst_rtp_buffer_unmap (&rtp);
  return buf;
}

static GstClockTime
arrival_time (State * st, guint op, guint delta)
{
  /* mostly forward, by up to 65 ms; sometimes backwards, sometimes NONE */
  if ((op & 0xc0) == 0xc0)
    return (op & 0x20) ? GST_CLOCK_TIME_NONE : st->now - MIN (st->now,
        (GstClockTime) delta * GST_MSECOND);
  st->now += GST_USECOND * (GstClockTime) delta;
  return st->now;
}

static void
push (State * st, GstBuffer * buf, GstClockTime arrival)
{
  GstResilientJitterTotals before, after;
  GstResilientJitterVerdict verdict;
  guint released;

  gst_resilient_jitter_get_totals (st->jitter, &before);
  verdict = gst_resilient_jitter_push (st->jitter, buf, arrival, st->out);
  released = check_out (st, st->out);
  gst_resilient_jitter_get_totals (st->jitter, &after);
  switch (verdict) {
    case GST_RESILIENT_JITTER_RELEASED:
    case GST_RESILIENT_JITTER_RESTARTED:
      CHECK (released > 0);
      break;
    case GST_RESILIENT_JITTER_HELD:
      CHECK (after.held > 0);
      break;
    case GST_RESILIENT_JITTER_DUPLICATE:
      CHECK (released == 0);
      CHECK (after.duplicates == before.duplicates + 1);
      break;
    case GST_RESILIENT_JITTER_LATE:
    case GST_RESILIENT_JITTER_INVALID:
      CHECK (released == 0);
      CHECK (after.held == before.held);
      break;
    default:
      abort ();
  }
  check_state (st);
}

int
LLVMFuzzerTestOneInput (const uint8_t * input, size_t input_size)
{
  static const GstClockTime latencies[] = { 0, 20 * GST_MSECOND,
    200 * GST_MSECOND, 2 * GST_SECOND
  };
  static const GstClockTime margins[] = { 0, 5 * GST_MSECOND,
    50 * GST_MSECOND, 3 * GST_SECOND
  };
  static const guint max_helds[] = { 0, 1, 2, 4, 8, 16, 100, 3 };
  static const guint rates[] = { 0, 8000, 90000, 48000, 1, 1000000, 44100,
    G_MAXUINT
  };
  GstResilientJitterSettings settings = { 0, };
  Reader r = { input, input_size, 0 };
  State st = { 0, };
  guint cfg, rate;

  if (input_size < 2)
    return 0;

  cfg = read_u8 (&r);
  rate = rates[read_u8 (&r) & 7];
  settings.do_lost = cfg & 1;
  settings.latency = latencies[(cfg >> 1) & 3];
  settings.margin = margins[(cfg >> 3) & 3];
  settings.max_held = max_helds[(cfg >> 5) & 7];
  st.jitter = gst_resilient_jitter_new (&settings, rate);
  st.out = gst_queue_array_new (16);
  st.do_lost = settings.do_lost;
  st.ssrc = 0x1000;
  st.seq = 1;

  while (r.pos < r.len) {
    guint op = read_u8 (&r);

    switch (op & 7) {
      case 0:
      case 1:
      case 2:
      case 3:{
        gint8 dseq = (gint8) read_u8 (&r);
        gint16 dts = (gint16) read_u16 (&r);
        guint delta = read_u16 (&r);
        GstClockTime arrival;

        if (op & 0x08)
          st.ssrc ^= 1;
        st.seq += (op & 0x10) ? dseq * 300 : dseq;
        st.rtptime +=
            (op & 0x20) ? (guint32) ((gint64) dts * 90000) : (guint32) dts;
        arrival = arrival_time (&st, op, delta);
        push (&st, make_packet (st.ssrc, st.seq, st.rtptime, op & 3, op),
            arrival);
        break;
      }
      case 4:{
        guint len = read_u8 (&r);
        guint delta = read_u16 (&r);
        GstClockTime arrival = arrival_time (&st, op, delta);
        GstBuffer *buf;

        len = MIN (len, r.len - r.pos);
        buf = gst_buffer_new_allocate (NULL, len, NULL);
        gst_buffer_fill (buf, 0, r.data + r.pos, len);
        r.pos += len;
        push (&st, buf, arrival);
        break;
      }
      case 5:{
        GstClockTime deadline;

        st.now += (GstClockTime) read_u16 (&r) * GST_USECOND * 16;
        gst_resilient_jitter_advance (st.jitter, st.now, st.out);
        check_out (&st, st.out);
        check_state (&st);
        deadline = gst_resilient_jitter_next_deadline (st.jitter);
        CHECK (deadline == GST_CLOCK_TIME_NONE || deadline > st.now);
        break;
      }
      case 6:{
        GstResilientJitterTotals t;

        if (op & 0x08) {
          gst_resilient_jitter_drain (st.jitter, st.out);
          check_out (&st, st.out);
          gst_resilient_jitter_get_totals (st.jitter, &t);
          CHECK (t.held == 0);
        } else if (op & 0x10) {
          gst_resilient_jitter_reset (st.jitter);
          gst_resilient_jitter_get_totals (st.jitter, &t);
          CHECK (t.held == 0);
          st.want_discont = TRUE;
          st.have_last = FALSE;
        } else {
          gst_resilient_jitter_set_clock_rate (st.jitter, rates[op >> 5]);
        }
        check_state (&st);
        break;
      }
      case 7:{
        GstClockTime deadline, next;
        GstResilientJitterTotals before, after;

        deadline = gst_resilient_jitter_next_deadline (st.jitter);
        if (deadline == GST_CLOCK_TIME_NONE)
          break;
        gst_resilient_jitter_get_totals (st.jitter, &before);
        gst_resilient_jitter_advance (st.jitter, deadline, st.out);
        /* a deadline that came releases something */
        CHECK (check_out (&st, st.out) > 0);
        gst_resilient_jitter_get_totals (st.jitter, &after);
        CHECK (after.held < before.held);
        next = gst_resilient_jitter_next_deadline (st.jitter);
        CHECK (next == GST_CLOCK_TIME_NONE || next > deadline);
        check_state (&st);
        st.now = MAX (st.now, deadline);
        break;
      }
      default:
        abort ();
    }
  }

  /* the end of the stream */
  {

    gst_resilient_jitter_drain (st.jitter, st.out);
    check_out (&st, st.out);
    check_state (&st);
  }
  gst_resilient_jitter_free (st.jitter);
  gst_queue_array_free (st.out);
  return 0;
}
