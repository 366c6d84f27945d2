/* resilientrtsp
 * tests/fuzz/fuzz_rtcp.c: libFuzzer target for the RTCP receiver side
 * (rtcp.c).
 *
 * The input is one RTCP packet as it would arrive from a server. It is
 * parsed (from a buffer of exactly its size, so that the sanitizer sees
 * any read past it); what the parse says must be consistent. When it
 * parses, its values drive the rest: two receiver reports built from
 * counts made of the parsed fields (the SR kept for LSR/DLSR), which must
 * pass GStreamer's full compound validation and parse back with the block
 * we wrote; a BYE; the round trip and the interval.
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

#include "rtcp.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

#define CHECK(cond) \
  G_STMT_START { \
    if (!(cond)) { \
      g_printerr ("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort (); \
    } \
  } G_STMT_END

#define OUR_SSRC 0x0c11e472u
#define ARRIVAL_US G_GINT64_CONSTANT (7000000000)

static gboolean
all_zero (const void *p, gsize len)
{
  const guint8 *b = p;
  gsize i;

  for (i = 0; i < len; i++)
    if (b[i] != 0)
      return FALSE;
  return TRUE;
}

/* A report we built: valid by GStreamer's full rules, and ours reads back
 * the block about @counts (when one was made) with @state's values. */
static void
check_report (GstBuffer * rr, const GstResilientRtcpSourceCounts * counts,
    const GstResilientRtcpReceiverState * state, gboolean bye)
{
  GstResilientRtcpInfo info;
  gboolean block = counts != NULL && counts->received > 0;

  CHECK (rr != NULL);
  CHECK (gst_buffer_get_size (rr) % 4 == 0);
  CHECK (gst_rtcp_buffer_validate (rr));
  CHECK (gst_resilient_rtcp_parse (rr, block ? counts->ssrc : OUR_SSRC, 0,
          &info));
  CHECK (!info.have_sr);
  CHECK (info.have_rb == block);
  if (block) {
    CHECK (info.rb_fraction_lost == state->last_fraction_lost);
    CHECK (info.rb_packets_lost == state->last_packets_lost);
    CHECK (info.rb_packets_lost >= -0x800000
        && info.rb_packets_lost <= 0x7fffff);
    if (!state->have_sr || state->last_sr.ssrc != counts->ssrc)
      CHECK (info.rb_lsr == 0 && info.rb_dlsr == 0);
    else
      CHECK (info.rb_lsr == (guint32) (state->last_sr.ntptime >> 16));
  }
  CHECK (info.bye == bye);
  if (bye)
    CHECK (info.bye_ssrc == OUR_SSRC);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  GstResilientRtcpInfo info;
  GstResilientRtcpReceiverState state;
  GstResilientRtcpSourceCounts counts;
  GstBuffer *buf, *rr;
  gint64 rtt, interval;

  /* exactly @size bytes on the heap: reads past them are caught */
  buf = size > 0 ? gst_buffer_new_memdup (data, size) : gst_buffer_new ();
  memset (&info, 0x5a, sizeof (info));
  if (!gst_resilient_rtcp_parse (buf, OUR_SSRC, ARRIVAL_US, &info)) {
    CHECK (all_zero (&info, sizeof (info)));
    gst_buffer_unref (buf);
    return 0;
  }
  gst_buffer_unref (buf);

  CHECK (size >= 4 && size % 4 == 0);
  if (info.have_sr)
    CHECK (info.sr.arrival_us == ARRIVAL_US);
  else
    CHECK (all_zero (&info.sr, sizeof (info.sr)));
  if (info.have_rb)
    CHECK (info.rb_packets_lost >= -0x800000
        && info.rb_packets_lost <= 0x7fffff);
  else
    CHECK (info.rb_lsr == 0 && info.rb_dlsr == 0 && info.rb_fraction_lost == 0
        && info.rb_packets_lost == 0);
  if (!info.bye)
    CHECK (info.bye_ssrc == 0);

  /* our reports about a source made of what was parsed */
  memset (&state, 0, sizeof (state));
  if (info.have_sr)
    gst_resilient_rtcp_receiver_state_sr (&state, &info.sr);
  counts.ssrc = info.have_sr ? info.sr.ssrc : info.bye_ssrc;
  counts.base_seq = info.have_sr ? info.sr.rtptime : info.rb_lsr;
  counts.ext_max_seq = counts.base_seq + (info.sr.packet_count & 0xffffff);
  counts.received =
      ((guint64) info.sr.octet_count << 8) | info.rb_fraction_lost;
  counts.jitter = info.rb_dlsr;
  counts.clock_rate = 90000;

  rr = gst_resilient_rtcp_build_rr (OUR_SSRC, "fuzz@localhost", &counts,
      &state, ARRIVAL_US + info.rb_dlsr);
  check_report (rr, &counts, &state, FALSE);
  gst_buffer_unref (rr);

  /* a second interval: more expected and received */
  counts.ext_max_seq += (guint32) info.rb_packets_lost;
  counts.received += info.rb_lsr & 0xffff;
  rr = gst_resilient_rtcp_build_rr (OUR_SSRC, "fuzz@localhost", &counts,
      &state, ARRIVAL_US - info.rb_lsr);
  check_report (rr, &counts, &state, FALSE);
  gst_buffer_unref (rr);

  rr = gst_resilient_rtcp_build_bye (OUR_SSRC, "fuzz@localhost");
  check_report (rr, NULL, &state, TRUE);
  gst_buffer_unref (rr);

  rtt = gst_resilient_rtcp_round_trip_us (info.rb_lsr, info.rb_dlsr,
      info.sr.ntptime);
  CHECK (rtt == -1 || (rtt >= 0 && rtt <= G_GINT64_CONSTANT (32768000000)));
  CHECK (info.rb_lsr != 0 || rtt == -1);

  interval = gst_resilient_rtcp_interval_us (info.bye,
      (gdouble) info.sr.rtptime / 4294967296.0);
  CHECK (interval >= 1026034 && interval <= 6156212);
  return 0;
}
