/* resilientrtsp
 * tests/check/rtcp.c: unit tests for the receiver side of RTCP (rtcp.c):
 * parsing what a server sends (built here with GstRTCPBuffer, or raw
 * bytes for the hostile cases), the receiver reports we build (read back
 * with GstRTCPBuffer and checked against RFC 3550 values worked out by
 * hand), the report interval and the round trip. A real rtpsession (the
 * one gst-rtsp-server uses) is fed what we build.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/rtp.h>

#include "rtcp.h"

#define SERVER_SSRC 0x5e4e7001u
#define OUR_SSRC 0x0c11e472u
#define OTHER_SSRC 0x77777777u
#define CNAME "user@client.example"
/* an arbitrary monotonic start, so that nothing relies on 0 */
#define T0_US G_GINT64_CONSTANT (1000000000)

/* ---------------------------------------------------------------------- */
/* helpers */

typedef struct
{
  guint32 ssrc;
  guint8 fraction;
  gint32 lost;
  guint32 ext_seq;
  guint32 jitter;
  guint32 lsr;
  guint32 dlsr;
} Block;

static GstBuffer *
bytes_buffer (const guint8 * data, gsize len)
{
  /* an empty buffer maps to no data at all */
  if (len == 0)
    return gst_buffer_new ();
  return gst_buffer_new_memdup (data, len);
}

/* Starts a compound packet for writing. */
static GstBuffer *
compound_begin (GstRTCPBuffer * rtcp)
{
  GstBuffer *buf = gst_rtcp_buffer_new (1400);

  gst_rtcp_buffer_map (buf, GST_MAP_READWRITE, rtcp);
  return buf;
}

static void
add_sr (GstRTCPBuffer * rtcp, guint32 ssrc, guint64 ntp, guint32 rtptime,
    guint32 packets, guint32 octets, const Block * blocks, guint n_blocks)
{
  GstRTCPPacket p;
  guint i;

  fail_unless (gst_rtcp_buffer_add_packet (rtcp, GST_RTCP_TYPE_SR, &p));
  gst_rtcp_packet_sr_set_sender_info (&p, ssrc, ntp, rtptime, packets, octets);
  for (i = 0; i < n_blocks; i++)
    fail_unless (gst_rtcp_packet_add_rb (&p, blocks[i].ssrc,
            blocks[i].fraction, blocks[i].lost, blocks[i].ext_seq,
            blocks[i].jitter, blocks[i].lsr, blocks[i].dlsr));
}

static void
add_rr (GstRTCPBuffer * rtcp, guint32 ssrc, const Block * blocks,
    guint n_blocks)
{
  GstRTCPPacket p;
  guint i;

  fail_unless (gst_rtcp_buffer_add_packet (rtcp, GST_RTCP_TYPE_RR, &p));
  gst_rtcp_packet_rr_set_ssrc (&p, ssrc);
  for (i = 0; i < n_blocks; i++)
    fail_unless (gst_rtcp_packet_add_rb (&p, blocks[i].ssrc,
            blocks[i].fraction, blocks[i].lost, blocks[i].ext_seq,
            blocks[i].jitter, blocks[i].lsr, blocks[i].dlsr));
}

static void
add_sdes (GstRTCPBuffer * rtcp, guint32 ssrc, const gchar * cname)
{
  GstRTCPPacket p;

  fail_unless (gst_rtcp_buffer_add_packet (rtcp, GST_RTCP_TYPE_SDES, &p));
  fail_unless (gst_rtcp_packet_sdes_add_item (&p, ssrc));
  fail_unless (gst_rtcp_packet_sdes_add_entry (&p, GST_RTCP_SDES_CNAME,
          strlen (cname), (const guint8 *) cname));
}

static void
add_bye (GstRTCPBuffer * rtcp, const guint32 * ssrcs, guint n)
{
  GstRTCPPacket p;
  guint i;

  fail_unless (gst_rtcp_buffer_add_packet (rtcp, GST_RTCP_TYPE_BYE, &p));
  for (i = 0; i < n; i++)
    fail_unless (gst_rtcp_packet_bye_add_ssrc (&p, ssrcs[i]));
}

/* A report block as the server would write it. */
static Block
block (guint32 ssrc, guint8 fraction, gint32 lost, guint32 lsr, guint32 dlsr)
{
  Block b = { ssrc, fraction, lost, 0x0001abcd, 42, lsr, dlsr };

  return b;
}

/* Parses @buf (taking it); checks the outcome. */
static void
parse_expect (GstBuffer * buf, gboolean valid, GstResilientRtcpInfo * info)
{
  GstResilientRtcpInfo zero;

  /* garbage in, so that "zeroed first" is tested */
  memset (info, 0xa5, sizeof (*info));
  memset (&zero, 0, sizeof (zero));
  fail_unless_equals_int (gst_resilient_rtcp_parse (buf, OUR_SSRC, T0_US,
          info), valid);
  if (!valid)
    fail_unless (memcmp (info, &zero, sizeof (zero)) == 0);
  gst_buffer_unref (buf);
}

/* The report block of the RR we built, read back with GstRTCPBuffer:
 * checks the compound is RR + SDES(CNAME @cname) [+ BYE]; returns the
 * number of report blocks (0 or 1) and fills @b with the first. */
static guint
read_back (GstBuffer * buf, const gchar * cname, gboolean bye, Block * b)
{
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket p;
  GstRTCPSDESType type;
  guint8 len;
  guint8 *data;
  guint n_blocks;

  memset (b, 0, sizeof (*b));
  fail_unless (gst_rtcp_buffer_validate (buf));
  fail_unless (gst_rtcp_buffer_validate_reduced (buf));
  fail_unless_equals_int (gst_buffer_get_size (buf) % 4, 0);

  gst_rtcp_buffer_map (buf, GST_MAP_READ, &rtcp);
  fail_unless_equals_int (gst_rtcp_buffer_get_packet_count (&rtcp),
      bye ? 3 : 2);

  fail_unless (gst_rtcp_buffer_get_first_packet (&rtcp, &p));
  fail_unless_equals_int (gst_rtcp_packet_get_type (&p), GST_RTCP_TYPE_RR);
  fail_if (gst_rtcp_packet_get_padding (&p));
  fail_unless_equals_int (gst_rtcp_packet_rr_get_ssrc (&p), OUR_SSRC);
  n_blocks = gst_rtcp_packet_get_rb_count (&p);
  fail_unless (n_blocks <= 1);
  fail_unless_equals_int (gst_rtcp_packet_get_length (&p), 1 + 6 * n_blocks);
  if (n_blocks == 1)
    gst_rtcp_packet_get_rb (&p, 0, &b->ssrc, &b->fraction, &b->lost,
        &b->ext_seq, &b->jitter, &b->lsr, &b->dlsr);

  fail_unless (gst_rtcp_packet_move_to_next (&p));
  fail_unless_equals_int (gst_rtcp_packet_get_type (&p), GST_RTCP_TYPE_SDES);
  fail_unless_equals_int (gst_rtcp_packet_sdes_get_item_count (&p), 1);
  fail_unless (gst_rtcp_packet_sdes_first_item (&p));
  fail_unless_equals_int (gst_rtcp_packet_sdes_get_ssrc (&p), OUR_SSRC);
  /* (GStreamer 1.22 does not read an entry of less than 2 bytes: the raw
   * check below covers those) */
  if (strlen (cname) >= 2) {
    fail_unless (gst_rtcp_packet_sdes_first_entry (&p));
    fail_unless (gst_rtcp_packet_sdes_get_entry (&p, &type, &len, &data));
    fail_unless_equals_int (type, GST_RTCP_SDES_CNAME);
    fail_unless_equals_int (len, strlen (cname));
    fail_unless (memcmp (data, cname, len) == 0);
    fail_if (gst_rtcp_packet_sdes_next_entry (&p));
  }
  fail_if (gst_rtcp_packet_sdes_next_item (&p));
  /* the bytes: SSRC, CNAME item; RFC 3550 6.5: the item list ends with a
   * null octet, then pads to 32 bits with null octets */
  {
    const guint8 *sdes = rtcp.map.data + p.offset;
    const guint8 *end = sdes + (gst_rtcp_packet_get_length (&p) + 1) * 4;
    const guint8 *q;

    fail_unless_equals_int (GST_READ_UINT32_BE (sdes + 4), OUR_SSRC);
    fail_unless_equals_int (sdes[8], GST_RTCP_SDES_CNAME);
    len = sdes[9];
    data = (guint8 *) sdes + 10;
    fail_unless_equals_int (len, strlen (cname));
    fail_unless (memcmp (data, cname, len) == 0);
    fail_unless (end - (data + len) >= 1 && end - (data + len) <= 4);
    for (q = data + len; q < end; q++)
      fail_unless_equals_int (*q, 0);
  }

  if (bye) {
    fail_unless (gst_rtcp_packet_move_to_next (&p));
    fail_unless_equals_int (gst_rtcp_packet_get_type (&p), GST_RTCP_TYPE_BYE);
    fail_unless_equals_int (gst_rtcp_packet_bye_get_ssrc_count (&p), 1);
    fail_unless_equals_int (gst_rtcp_packet_bye_get_nth_ssrc (&p, 0), OUR_SSRC);
  }
  fail_if (gst_rtcp_packet_move_to_next (&p));
  gst_rtcp_buffer_unmap (&rtcp);
  return n_blocks;
}

/* Builds an RR about @counts with @state at @now_us; returns its block. */
static void
report (const GstResilientRtcpSourceCounts * counts,
    GstResilientRtcpReceiverState * state, gint64 now_us, Block * b)
{
  GstBuffer *buf = gst_resilient_rtcp_build_rr (OUR_SSRC, CNAME, counts,
      state, now_us);

  fail_unless (buf != NULL);
  fail_unless_equals_int (read_back (buf, CNAME, FALSE, b), 1);
  fail_unless_equals_int (b->ssrc, counts->ssrc);
  fail_unless_equals_int (b->ext_seq, counts->ext_max_seq);
  fail_unless_equals_int (b->jitter, counts->jitter);
  /* the state remembers what was sent */
  fail_unless (state->reported);
  fail_unless_equals_int (state->last_fraction_lost, b->fraction);
  fail_unless_equals_int (state->last_packets_lost, b->lost);
  gst_buffer_unref (buf);
}

static GstResilientRtcpSourceCounts
counts_for (guint32 base, guint32 ext_max, guint64 received)
{
  GstResilientRtcpSourceCounts c = { SERVER_SSRC, base, ext_max, received,
    321, 90000
  };

  return c;
}

/* ---------------------------------------------------------------------- */
/* parsing */

GST_START_TEST (test_parse_sr_sdes)
{
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstResilientRtcpInfo info;
  GstBuffer *buf = compound_begin (&rtcp);

  add_sr (&rtcp, SERVER_SSRC, G_GUINT64_CONSTANT (0xe8a1b2c3d4e5f607),
      0x12345678, 1500, 1234567, NULL, 0);
  add_sdes (&rtcp, SERVER_SSRC, "gst-rtsp-server@host");
  gst_rtcp_buffer_unmap (&rtcp);
  fail_unless (gst_rtcp_buffer_validate (buf));

  parse_expect (buf, TRUE, &info);
  fail_unless (info.have_sr);
  fail_unless_equals_int (info.sr.ssrc, SERVER_SSRC);
  fail_unless_equals_uint64 (info.sr.ntptime,
      G_GUINT64_CONSTANT (0xe8a1b2c3d4e5f607));
  fail_unless_equals_int (info.sr.rtptime, 0x12345678);
  fail_unless_equals_int (info.sr.packet_count, 1500);
  fail_unless_equals_int (info.sr.octet_count, 1234567);
  fail_unless_equals_int64 (info.sr.arrival_us, T0_US);
  fail_if (info.have_rb);
  fail_if (info.bye);
}

GST_END_TEST;

/* An SR with blocks about another receiver and about us. */
GST_START_TEST (test_parse_sr_block_about_us)
{
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstResilientRtcpInfo info;
  GstBuffer *buf = compound_begin (&rtcp);
  Block blocks[3];

  blocks[0] = block (OTHER_SSRC, 1, 2, 3, 4);
  blocks[1] = block (OUR_SSRC, 64, -5, 0xb7052000, 0x00054000);
  blocks[2] = block (OTHER_SSRC + 1, 9, 9, 9, 9);
  add_sr (&rtcp, SERVER_SSRC, 1, 2, 3, 4, blocks, 3);
  add_sdes (&rtcp, SERVER_SSRC, "s");
  gst_rtcp_buffer_unmap (&rtcp);

  parse_expect (buf, TRUE, &info);
  fail_unless (info.have_sr);
  fail_unless_equals_int (info.sr.ssrc, SERVER_SSRC);
  fail_unless (info.have_rb);
  fail_unless_equals_int (info.rb_fraction_lost, 64);
  fail_unless_equals_int (info.rb_packets_lost, -5);
  fail_unless_equals_int (info.rb_lsr, 0xb7052000);
  fail_unless_equals_int (info.rb_dlsr, 0x00054000);

  /* the 24-bit extremes */
  buf = compound_begin (&rtcp);
  blocks[0] = block (OUR_SSRC, 255, 0x7fffff, 1, 1);
  add_sr (&rtcp, SERVER_SSRC, 1, 2, 3, 4, blocks, 1);
  gst_rtcp_buffer_unmap (&rtcp);
  parse_expect (buf, TRUE, &info);
  fail_unless (info.have_rb);
  fail_unless_equals_int (info.rb_fraction_lost, 255);
  fail_unless_equals_int (info.rb_packets_lost, 0x7fffff);

  buf = compound_begin (&rtcp);
  blocks[0] = block (OUR_SSRC, 0, -0x800000, 1, 1);
  add_sr (&rtcp, SERVER_SSRC, 1, 2, 3, 4, blocks, 1);
  gst_rtcp_buffer_unmap (&rtcp);
  parse_expect (buf, TRUE, &info);
  fail_unless (info.have_rb);
  fail_unless_equals_int (info.rb_packets_lost, -0x800000);

  /* a block about someone else only */
  buf = compound_begin (&rtcp);
  add_sr (&rtcp, SERVER_SSRC, 1, 2, 3, 4, blocks + 2, 1);
  gst_rtcp_buffer_unmap (&rtcp);
  parse_expect (buf, TRUE, &info);
  fail_unless (info.have_sr);
  fail_if (info.have_rb);
}

GST_END_TEST;

/* An RR from the server (it receives nothing from us but may still report
 * on us), and two SRs in one compound: the last one counts. */
GST_START_TEST (test_parse_rr_and_two_srs)
{
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstResilientRtcpInfo info;
  GstBuffer *buf = compound_begin (&rtcp);
  Block b = block (OUR_SSRC, 12, 34, 0x11112222, 0x00010000);

  add_rr (&rtcp, SERVER_SSRC, &b, 1);
  add_sdes (&rtcp, SERVER_SSRC, "server");
  gst_rtcp_buffer_unmap (&rtcp);
  parse_expect (buf, TRUE, &info);
  fail_if (info.have_sr);
  fail_unless (info.have_rb);
  fail_unless_equals_int (info.rb_fraction_lost, 12);
  fail_unless_equals_int (info.rb_packets_lost, 34);
  fail_unless_equals_int (info.rb_lsr, 0x11112222);
  fail_unless_equals_int (info.rb_dlsr, 0x00010000);
  fail_if (info.bye);

  /* an RR without blocks */
  buf = compound_begin (&rtcp);
  add_rr (&rtcp, SERVER_SSRC, NULL, 0);
  add_sdes (&rtcp, SERVER_SSRC, "server");
  gst_rtcp_buffer_unmap (&rtcp);
  parse_expect (buf, TRUE, &info);
  fail_if (info.have_sr);
  fail_if (info.have_rb);

  buf = compound_begin (&rtcp);
  add_sr (&rtcp, SERVER_SSRC, 100, 200, 300, 400, NULL, 0);
  add_sr (&rtcp, OTHER_SSRC, 101, 201, 301, 401, NULL, 0);
  add_sdes (&rtcp, SERVER_SSRC, "server");
  gst_rtcp_buffer_unmap (&rtcp);
  parse_expect (buf, TRUE, &info);
  fail_unless (info.have_sr);
  fail_unless_equals_int (info.sr.ssrc, OTHER_SSRC);
  fail_unless_equals_uint64 (info.sr.ntptime, 101);
  fail_unless_equals_int (info.sr.rtptime, 201);
  fail_unless_equals_int (info.sr.packet_count, 301);
  fail_unless_equals_int (info.sr.octet_count, 401);
}

GST_END_TEST;

GST_START_TEST (test_parse_bye)
{
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstResilientRtcpInfo info;
  GstBuffer *buf = compound_begin (&rtcp);
  guint32 ssrcs[] = { SERVER_SSRC, OTHER_SSRC };
  static const guint8 bye_reason[] = {
    0x80, 201, 0, 1, 0x5e, 0x4e, 0x70, 0x01,
    0x81, 203, 0, 6, 0x77, 0x77, 0x77, 0x77,
    16, 's', 'e', 's', 's', 'i', 'o', 'n', ' ', 't', 'e', 'a', 'r', 'd', 'o',
    'w', 'n', 0, 0, 0,
  };

  add_sr (&rtcp, SERVER_SSRC, 7, 8, 9, 10, NULL, 0);
  add_sdes (&rtcp, SERVER_SSRC, "server");
  add_bye (&rtcp, ssrcs, 2);
  gst_rtcp_buffer_unmap (&rtcp);
  fail_unless (gst_rtcp_buffer_validate (buf));
  parse_expect (buf, TRUE, &info);
  fail_unless (info.have_sr);
  fail_unless (info.bye);
  fail_unless_equals_int (info.bye_ssrc, SERVER_SSRC);

  /* a BYE with a reason (raw: GStreamer 1.22 cannot add one to the last
   * packet) */
  buf = bytes_buffer (bye_reason, sizeof (bye_reason));
  fail_unless (gst_rtcp_buffer_validate (buf));
  parse_expect (buf, TRUE, &info);
  fail_unless (info.bye);
  fail_unless_equals_int (info.bye_ssrc, OTHER_SSRC);

  /* a BYE listing nobody says nothing */
  buf = compound_begin (&rtcp);
  add_rr (&rtcp, SERVER_SSRC, NULL, 0);
  add_bye (&rtcp, NULL, 0);
  gst_rtcp_buffer_unmap (&rtcp);
  parse_expect (buf, TRUE, &info);
  fail_if (info.bye);

  /* reduced size (RFC 5506): a lone BYE is accepted */
  buf = compound_begin (&rtcp);
  add_bye (&rtcp, ssrcs, 1);
  gst_rtcp_buffer_unmap (&rtcp);
  fail_if (gst_rtcp_buffer_validate (buf));
  parse_expect (buf, TRUE, &info);
  fail_if (info.have_sr);
  fail_unless (info.bye);
  fail_unless_equals_int (info.bye_ssrc, SERVER_SSRC);
}

GST_END_TEST;

/* Hostile and broken inputs. Each is the raw bytes as they would arrive. */
GST_START_TEST (test_parse_invalid)
{
  /* header: V=2, count in the low 5 bits */
  static const guint8 rr_ok[] = {
    0x80, 201, 0, 1, 0x5e, 0x4e, 0x70, 0x01,
  };
  static const guint8 wrong_version[] = {
    0x40, 201, 0, 1, 0x5e, 0x4e, 0x70, 0x01,
  };
  static const guint8 version_zero[] = {
    0x00, 0, 0, 0,
  };
  static const guint8 second_wrong_version[] = {
    0x80, 201, 0, 1, 0x5e, 0x4e, 0x70, 0x01,
    0xc0, 203, 0, 0,
  };
  static const guint8 longer_than_buffer[] = {
    0x80, 201, 0, 2, 0x5e, 0x4e, 0x70, 0x01,
  };
  static const guint8 leftover_bytes[] = {
    0x80, 201, 0, 1, 0x5e, 0x4e, 0x70, 0x01, 0xde, 0xad,
  };
  static const guint8 huge_length[] = {
    0x80, 201, 0xff, 0xff, 0x5e, 0x4e, 0x70, 0x01,
  };
  /* an SR of 4 bytes: no room for the sender info */
  static const guint8 sr_too_short[] = {
    0x80, 200, 0, 0,
  };
  static const guint8 sr_five_words[] = {
    0x80, 200, 0, 5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20,
  };
  /* an RR claiming two report blocks but holding one (about us) */
  static const guint8 rr_count_too_big[] = {
    0x82, 201, 0, 7, 0x5e, 0x4e, 0x70, 0x01,
    0x0c, 0x11, 0xe4, 0x72, 0x10, 0, 0, 5, 0, 1, 0, 0, 0, 0, 0, 1,
    0, 0, 0, 0, 0, 0, 0, 0,
  };
  /* the same block, then a BYE: the second block would be read from it */
  static const guint8 rr_count_into_next[] = {
    0x82, 201, 0, 7, 0x5e, 0x4e, 0x70, 0x01,
    0x0c, 0x11, 0xe4, 0x72, 0x10, 0, 0, 5, 0, 1, 0, 0, 0, 0, 0, 1,
    0, 0, 0, 0, 0, 0, 0, 0,
    0x81, 203, 0, 6, 0x0c, 0x11, 0xe4, 0x72, 0x10, 0, 0, 5, 0, 1, 0, 0,
    0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
  };
  /* an SR claiming one block, with the length of the sender info only */
  static const guint8 sr_count_too_big[] = {
    0x81, 200, 0, 6, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24,
  };
  static const guint8 bye_count_too_big[] = {
    0x80, 201, 0, 1, 0x5e, 0x4e, 0x70, 0x01,
    0x83, 203, 0, 1, 0x5e, 0x4e, 0x70, 0x01,
  };
  /* padding on a packet that is not the last */
  static const guint8 padding_not_last[] = {
    0x80, 201, 0, 1, 0x5e, 0x4e, 0x70, 0x01,
    0xa0, 202, 0, 1, 0, 0, 0, 4,
    0x81, 203, 0, 1, 0x5e, 0x4e, 0x70, 0x01,
  };
  /* padding counts that do not fit: 0, not a multiple of 4, larger than
   * the packet */
  static const guint8 padding_zero[] = {
    0x80, 201, 0, 1, 0x5e, 0x4e, 0x70, 0x01,
    0xa1, 203, 0, 2, 0x5e, 0x4e, 0x70, 0x01, 0, 0, 0, 0,
  };
  static const guint8 padding_odd[] = {
    0x80, 201, 0, 1, 0x5e, 0x4e, 0x70, 0x01,
    0xa1, 203, 0, 2, 0x5e, 0x4e, 0x70, 0x01, 0, 0, 0, 3,
  };
  static const guint8 padding_too_big[] = {
    0x80, 201, 0, 1, 0x5e, 0x4e, 0x70, 0x01,
    0xa1, 203, 0, 2, 0x5e, 0x4e, 0x70, 0x01, 0, 0, 0, 12,
  };
  /* padding eating the SSRC a BYE claims */
  static const guint8 padding_eats_ssrc[] = {
    0x80, 201, 0, 1, 0x5e, 0x4e, 0x70, 0x01,
    0xa1, 203, 0, 1, 0, 0, 0, 4,
  };
  /* (reduced size) a first packet padded with a bad count */
  static const guint8 first_padded_bad[] = {
    0xa1, 203, 0, 1, 0x5e, 0x4e, 0x70, 0x07,
  };
  /* an APP packet shorter than its fixed part */
  static const guint8 app_too_short[] = {
    0x80, 201, 0, 1, 0x5e, 0x4e, 0x70, 0x01,
    0x80, 204, 0, 1, 0x5e, 0x4e, 0x70, 0x01,
  };
  /* not RTCP: an RTP header, and text */
  static const guint8 rtp[] = {
    0x80, 96, 0x12, 0x34, 0, 0, 0, 1, 0x5e, 0x4e, 0x70, 0x01,
  };
  static const guint8 text[] = "RTSP/1.0 200 OK\r\n\r\n";
  static const struct
  {
    const guint8 *data;
    gsize len;
  } cases[] = {
#define CASE(a) { a, sizeof (a) }
    {rr_ok, 0},
    {rr_ok, 3},
    {rr_ok, 4},
    {rr_ok, 7},
    CASE (wrong_version),
    CASE (version_zero),
    CASE (second_wrong_version),
    CASE (longer_than_buffer),
    CASE (leftover_bytes),
    CASE (huge_length),
    CASE (sr_too_short),
    CASE (sr_five_words),
    CASE (rr_count_too_big),
    CASE (rr_count_into_next),
    CASE (sr_count_too_big),
    CASE (bye_count_too_big),
    CASE (padding_not_last),
    CASE (padding_zero),
    CASE (padding_odd),
    CASE (padding_too_big),
    CASE (padding_eats_ssrc),
    CASE (first_padded_bad),
    CASE (app_too_short),
    CASE (rtp),
    CASE (text),
#undef CASE
  };
  /* valid counterparts, so that the cases above fail for their reason */
  static const guint8 padding_ok[] = {
    0x80, 201, 0, 1, 0x5e, 0x4e, 0x70, 0x01,
    0xa1, 203, 0, 2, 0x5e, 0x4e, 0x70, 0x01, 0, 0, 0, 4,
  };
  static const guint8 rr_one_block[] = {
    0x81, 201, 0, 7, 0x5e, 0x4e, 0x70, 0x01,
    0x0c, 0x11, 0xe4, 0x72, 0x10, 0, 0, 5, 0, 1, 0, 0, 0, 0, 0, 1,
    0, 0, 0, 0, 0, 0, 0, 0,
  };
  GstResilientRtcpInfo info;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GST_INFO ("case %u (%" G_GSIZE_FORMAT " bytes)", i, cases[i].len);
    parse_expect (bytes_buffer (cases[i].data, cases[i].len), FALSE, &info);
  }

  parse_expect (bytes_buffer (rr_ok, sizeof (rr_ok)), TRUE, &info);
  fail_if (info.have_rb);
  parse_expect (bytes_buffer (padding_ok, sizeof (padding_ok)), TRUE, &info);
  fail_unless (info.bye);
  fail_unless_equals_int (info.bye_ssrc, SERVER_SSRC);
  parse_expect (bytes_buffer (rr_one_block, sizeof (rr_one_block)), TRUE,
      &info);
  fail_unless (info.have_rb);
  fail_unless_equals_int (info.rb_fraction_lost, 0x10);
  fail_unless_equals_int (info.rb_packets_lost, 5);
}

GST_END_TEST;

/* Every cut of a real compound: valid exactly at packet boundaries. */
GST_START_TEST (test_parse_truncated)
{
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstResilientRtcpInfo info;
  GstBuffer *buf = compound_begin (&rtcp);
  Block b = block (OUR_SSRC, 1, 2, 3, 4);
  guint32 ssrc = SERVER_SSRC;
  GstMapInfo map;
  gsize len, cut;
  /* SR with a block: 52 bytes; + SDES "server" (4 + 4 + 2 + 6 + 1 → 20) */
  const gsize boundaries[] = { 52, 72, 80 };

  add_sr (&rtcp, SERVER_SSRC, 1, 2, 3, 4, &b, 1);
  add_sdes (&rtcp, SERVER_SSRC, "server");
  add_bye (&rtcp, &ssrc, 1);
  gst_rtcp_buffer_unmap (&rtcp);
  len = gst_buffer_get_size (buf);
  fail_unless_equals_int (len, 80);

  gst_buffer_map (buf, &map, GST_MAP_READ);
  for (cut = 0; cut <= len; cut++) {
    gboolean boundary = cut == boundaries[0] || cut == boundaries[1]
        || cut == boundaries[2];

    parse_expect (bytes_buffer (map.data, cut), boundary, &info);
    if (boundary) {
      fail_unless (info.have_sr);
      fail_unless (info.have_rb);
      fail_unless_equals_int (info.bye, cut == len);
    }
  }
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
}

GST_END_TEST;

/* Random bytes, and random corruptions of a real compound: no crash, and
 * FALSE leaves nothing behind (valgrind/ASan watch the reads). */
GST_START_TEST (test_parse_garbage)
{
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstResilientRtcpInfo info;
  GstBuffer *good = compound_begin (&rtcp);
  Block b = block (OUR_SSRC, 1, 2, 3, 4);
  GRand *rand = g_rand_new_with_seed (20261121);
  GstMapInfo map;
  guint i, valid = 0;

  add_sr (&rtcp, SERVER_SSRC, 1, 2, 3, 4, &b, 1);
  add_sdes (&rtcp, SERVER_SSRC, "server");
  gst_rtcp_buffer_unmap (&rtcp);
  gst_buffer_map (good, &map, GST_MAP_READ);

  for (i = 0; i < 20000; i++) {
    guint8 data[128];
    gsize len;
    gboolean ok;
    GstBuffer *buf;

    if (i % 2 == 0) {
      guint j;

      len = g_rand_int_range (rand, 0, sizeof (data) + 1);
      for (j = 0; j < len; j++)
        data[j] = g_rand_int_range (rand, 0, 256);
      /* mostly version 2, so that more than the first check is reached */
      if (len > 0 && i % 4 == 0)
        data[0] = (data[0] & 0x3f) | 0x80;
    } else {
      guint flips = g_rand_int_range (rand, 1, 4), j;

      len = map.size;
      memcpy (data, map.data, len);
      for (j = 0; j < flips; j++)
        data[g_rand_int_range (rand, 0, len)] = g_rand_int_range (rand, 0, 256);
    }
    buf = bytes_buffer (data, len);
    memset (&info, 0xa5, sizeof (info));
    ok = gst_resilient_rtcp_parse (buf, OUR_SSRC, T0_US, &info);
    if (ok)
      valid++;
    else
      fail_if (info.have_sr || info.have_rb || info.bye);
    gst_buffer_unref (buf);
  }
  GST_INFO ("%u of 20000 valid", valid);
  gst_buffer_unmap (good, &map);
  gst_buffer_unref (good);
  g_rand_free (rand);
}

GST_END_TEST;

/* ---------------------------------------------------------------------- */
/* building */

/* Fraction lost over two intervals, then an interval with nothing new,
 * then one with duplicates (RFC 3550 A.3 worked by hand). */
GST_START_TEST (test_build_rr_fraction_lost)
{
  GstResilientRtcpReceiverState state;
  GstResilientRtcpSourceCounts c;
  Block b;

  memset (&state, 0, sizeof (state));

  /* 1000..1099: expected 100, received 90: lost 10, 10 × 256 / 100 = 25 */
  c = counts_for (1000, 1099, 90);
  report (&c, &state, T0_US, &b);
  fail_unless_equals_int (b.fraction, 25);
  fail_unless_equals_int (b.lost, 10);
  fail_unless_equals_int (b.ext_seq, 1099);
  fail_unless_equals_int (b.jitter, 321);
  fail_unless_equals_int (b.lsr, 0);
  fail_unless_equals_int (b.dlsr, 0);
  fail_unless_equals_int (state.expected_prior, 100);
  fail_unless_equals_uint64 (state.received_prior, 90);

  /* to 1299: expected 300 (200 in the interval), received 250 (160):
   * 40 lost in the interval, 40 × 256 / 200 = 51.2 → 51; 50 overall */
  c = counts_for (1000, 1299, 250);
  report (&c, &state, T0_US + 5000000, &b);
  fail_unless_equals_int (b.fraction, 51);
  fail_unless_equals_int (b.lost, 50);
  fail_unless_equals_int (b.ext_seq, 1299);
  fail_unless_equals_int (state.expected_prior, 300);
  fail_unless_equals_uint64 (state.received_prior, 250);

  /* nothing new: expected 0 in the interval → 0, still 50 overall */
  report (&c, &state, T0_US + 10000000, &b);
  fail_unless_equals_int (b.fraction, 0);
  fail_unless_equals_int (b.lost, 50);

  /* 10 expected, 30 received (duplicates): no loss in the interval, 30
   * overall */
  c = counts_for (1000, 1309, 280);
  report (&c, &state, T0_US + 15000000, &b);
  fail_unless_equals_int (b.fraction, 0);
  fail_unless_equals_int (b.lost, 30);

  /* 100 expected, none received: 256/256 is clamped to 255 */
  c = counts_for (1000, 1409, 280);
  report (&c, &state, T0_US + 20000000, &b);
  fail_unless_equals_int (b.fraction, 255);
  fail_unless_equals_int (b.lost, 130);

  /* all of 1 expected lost but one */
  c = counts_for (1000, 1409 + 256, 280 + 255);
  report (&c, &state, T0_US + 25000000, &b);
  fail_unless_equals_int (b.fraction, 1);
  fail_unless_equals_int (b.lost, 131);
}

GST_END_TEST;

GST_START_TEST (test_build_rr_clamps)
{
  GstResilientRtcpReceiverState state;
  GstResilientRtcpSourceCounts c;
  Block b;

  /* 0x1000001 expected, 1 received: 0x1000000 lost → 0x7fffff */
  memset (&state, 0, sizeof (state));
  c = counts_for (0, 0x1000000, 1);
  report (&c, &state, T0_US, &b);
  fail_unless_equals_int (b.lost, 0x7fffff);
  fail_unless_equals_int (b.fraction, 255);
  fail_unless_equals_int (state.last_packets_lost, 0x7fffff);

  /* just below the clamp */
  memset (&state, 0, sizeof (state));
  c = counts_for (0, 0x7fffff, 1);
  report (&c, &state, T0_US, &b);
  fail_unless_equals_int (b.lost, 0x7fffff);
  c = counts_for (0, 0x7ffffe, 1);
  memset (&state, 0, sizeof (state));
  report (&c, &state, T0_US, &b);
  fail_unless_equals_int (b.lost, 0x7ffffe);

  /* 10 expected, 0x900000 received: −0x8ffff6 → −0x800000 */
  memset (&state, 0, sizeof (state));
  c = counts_for (5, 14, 0x900000);
  report (&c, &state, T0_US, &b);
  fail_unless_equals_int (b.lost, -0x800000);
  fail_unless_equals_int (b.fraction, 0);

  /* 10 expected, 0x80000a received: exactly −0x800000 */
  memset (&state, 0, sizeof (state));
  c = counts_for (5, 14, 0x80000a);
  report (&c, &state, T0_US, &b);
  fail_unless_equals_int (b.lost, -0x800000);

  /* 10 expected, 13 received: −3 */
  memset (&state, 0, sizeof (state));
  c = counts_for (5, 14, 13);
  report (&c, &state, T0_US, &b);
  fail_unless_equals_int (b.lost, -3);

  /* received beyond 32 bits */
  memset (&state, 0, sizeof (state));
  c = counts_for (5, 14, G_GUINT64_CONSTANT (0x100000000));
  report (&c, &state, T0_US, &b);
  fail_unless_equals_int (b.lost, -0x800000);
  fail_unless_equals_int (b.fraction, 0);
}

GST_END_TEST;

GST_START_TEST (test_build_rr_seq_wrap)
{
  GstResilientRtcpReceiverState state;
  GstResilientRtcpSourceCounts c;
  Block b;

  /* the 16-bit sequence number wrapped once: 0xfff0..0x1_0005 is 22
   * packets; the block carries the cycle in the upper 16 bits */
  memset (&state, 0, sizeof (state));
  c = counts_for (0xfff0, 0x00010005, 20);
  report (&c, &state, T0_US, &b);
  fail_unless_equals_int (b.ext_seq, 0x00010005);
  fail_unless_equals_int (b.lost, 2);
  fail_unless_equals_int (b.fraction, 2 * 256 / 22);
  fail_unless_equals_int (state.expected_prior, 22);

  /* the next interval crosses a wrap of the cycle count too (32 bits):
   * the same 32-bit arithmetic as RFC 3550 A.3 */
  memset (&state, 0, sizeof (state));
  c = counts_for (0xfffffff0, 0x00000005, 22);
  report (&c, &state, T0_US, &b);
  fail_unless_equals_int (b.ext_seq, 5);
  fail_unless_equals_int (b.lost, 0);
  fail_unless_equals_int (b.fraction, 0);
  c = counts_for (0xfffffff0, 0x00000005 + 100, 22 + 50);
  report (&c, &state, T0_US + 1, &b);
  fail_unless_equals_int (b.lost, 50);
  fail_unless_equals_int (b.fraction, 128);
}

GST_END_TEST;

/* A new SSRC or a new base (restart): the report covers what came since,
 * without the old priors. */
GST_START_TEST (test_build_rr_restart)
{
  GstResilientRtcpReceiverState state;
  GstResilientRtcpSourceCounts c;
  Block b;

  memset (&state, 0, sizeof (state));
  c = counts_for (1000, 1999, 1000);
  report (&c, &state, T0_US, &b);
  fail_unless_equals_int (b.fraction, 0);

  /* a new PLAY: base 50000, 101 expected, 50 received (fewer than the old
   * received_prior) */
  c = counts_for (50000, 50100, 50);
  report (&c, &state, T0_US + 1, &b);
  fail_unless_equals_int (b.lost, 51);
  fail_unless_equals_int (b.fraction, 51 * 256 / 101);
  fail_unless_equals_int (state.expected_prior, 101);
  fail_unless_equals_uint64 (state.received_prior, 50);

  /* a restart with more received than before */
  c = counts_for (7, 7 + 1999, 1900);
  report (&c, &state, T0_US + 2, &b);
  fail_unless_equals_int (b.lost, 100);
  fail_unless_equals_int (b.fraction, 100 * 256 / 2000);

  /* a new SSRC with the same base */
  c = counts_for (7, 7 + 3999, 3800);
  c.ssrc = OTHER_SSRC;
  report (&c, &state, T0_US + 3, &b);
  fail_unless_equals_int (b.ssrc, OTHER_SSRC);
  fail_unless_equals_int (b.lost, 200);
  fail_unless_equals_int (b.fraction, 200 * 256 / 4000);
}

GST_END_TEST;

GST_START_TEST (test_build_rr_lsr_dlsr)
{
  GstResilientRtcpReceiverState state;
  GstResilientRtcpSenderReport sr = { 0, };
  GstResilientRtcpSourceCounts c = counts_for (1, 10, 10);
  GstResilientRtcpInfo info;
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstBuffer *buf;
  Block b;

  memset (&state, 0, sizeof (state));

  /* the SR as it arrives from the server */
  buf = compound_begin (&rtcp);
  add_sr (&rtcp, SERVER_SSRC, G_GUINT64_CONSTANT (0xe8a1b2c3d4e5f607), 1, 2,
      3, NULL, 0);
  gst_rtcp_buffer_unmap (&rtcp);
  parse_expect (buf, TRUE, &info);
  fail_unless (info.have_sr);
  gst_resilient_rtcp_receiver_state_sr (&state, &info.sr);
  fail_unless (state.have_sr);

  /* 1.5 s later: DLSR 1.5 × 65536 = 98304; LSR the middle 32 bits */
  report (&c, &state, T0_US + 1500000, &b);
  fail_unless_equals_int (b.lsr, 0xb2c3d4e5);
  fail_unless_equals_int (b.dlsr, 98304);

  /* 1 µs later: 65536 / 10^6 rounds down to 0 */
  report (&c, &state, T0_US + 1, &b);
  fail_unless_equals_int (b.lsr, 0xb2c3d4e5);
  fail_unless_equals_int (b.dlsr, 0);
  /* 16 µs later: 1.048576 → 1 */
  report (&c, &state, T0_US + 16, &b);
  fail_unless_equals_int (b.dlsr, 1);

  /* a clock that went backwards: DLSR 0, LSR still given */
  report (&c, &state, T0_US - 5, &b);
  fail_unless_equals_int (b.lsr, 0xb2c3d4e5);
  fail_unless_equals_int (b.dlsr, 0);

  /* a day later: 86400 × 65536 does not fit in 32 bits: clamped */
  report (&c, &state, T0_US + G_GINT64_CONSTANT (86400000000), &b);
  fail_unless_equals_int (b.dlsr, G_MAXUINT32);

  /* an SR of another source gives no LSR for this one */
  sr.ssrc = OTHER_SSRC;
  sr.ntptime = G_GUINT64_CONSTANT (0x0000111122220000);
  sr.arrival_us = T0_US;
  gst_resilient_rtcp_receiver_state_sr (&state, &sr);
  report (&c, &state, T0_US + 1500000, &b);
  fail_unless_equals_int (b.lsr, 0);
  fail_unless_equals_int (b.dlsr, 0);
  c.ssrc = OTHER_SSRC;
  report (&c, &state, T0_US + 1500000, &b);
  fail_unless_equals_int (b.lsr, 0x11112222);
  fail_unless_equals_int (b.dlsr, 98304);
}

GST_END_TEST;

/* No source, or nothing received: RR without a block, state untouched. */
GST_START_TEST (test_build_rr_no_block)
{
  GstResilientRtcpReceiverState state, before;
  GstResilientRtcpSourceCounts c = counts_for (1, 10, 0);
  GstBuffer *buf;
  Block b;

  memset (&state, 0, sizeof (state));
  c = counts_for (1, 100, 80);
  report (&c, &state, T0_US, &b);
  before = state;

  buf = gst_resilient_rtcp_build_rr (OUR_SSRC, CNAME, NULL, &state, T0_US);
  fail_unless_equals_int (read_back (buf, CNAME, FALSE, &b), 0);
  /* RR 8 + SDES 4 + SSRC 4 + CNAME item 2 + 19, null, padding to 24 */
  fail_unless_equals_int (gst_buffer_get_size (buf), 8 + 32);
  gst_buffer_unref (buf);
  fail_unless (memcmp (&state, &before, sizeof (state)) == 0);

  c = counts_for (1, 10, 0);
  buf = gst_resilient_rtcp_build_rr (OUR_SSRC, CNAME, &c, &state, T0_US);
  fail_unless_equals_int (read_back (buf, CNAME, FALSE, &b), 0);
  gst_buffer_unref (buf);
  fail_unless (memcmp (&state, &before, sizeof (state)) == 0);

  /* and no state needed then */
  buf = gst_resilient_rtcp_build_rr (OUR_SSRC, CNAME, NULL, NULL, T0_US);
  fail_unless_equals_int (read_back (buf, CNAME, FALSE, &b), 0);
  gst_buffer_unref (buf);
}

GST_END_TEST;

GST_START_TEST (test_build_bye)
{
  GstBuffer *buf = gst_resilient_rtcp_build_bye (OUR_SSRC, CNAME);
  GstResilientRtcpInfo info;
  Block b;

  fail_unless_equals_int (read_back (buf, CNAME, TRUE, &b), 0);
  /* and our own parser reads it */
  fail_unless (gst_resilient_rtcp_parse (buf, SERVER_SSRC, T0_US, &info));
  fail_unless (info.bye);
  fail_unless_equals_int (info.bye_ssrc, OUR_SSRC);
  fail_if (info.have_sr);
  fail_if (info.have_rb);
  gst_buffer_unref (buf);
}

GST_END_TEST;

/* CNAMEs of every length up to the SDES limit, and beyond it. */
GST_START_TEST (test_build_cname)
{
  GString *s = g_string_new (NULL);
  GstBuffer *buf;
  Block b;
  guint len;
  gchar *utf8;

  /* every padding case: the item needs a null octet and 32-bit words */
  for (len = 0; len <= 255; len++) {
    buf = gst_resilient_rtcp_build_rr (OUR_SSRC, s->str, NULL, NULL, T0_US);
    fail_unless_equals_int (read_back (buf, s->str, FALSE, &b), 0);
    /* RR 8 + SDES header, SSRC, type, length, text, null, padding */
    fail_unless_equals_int (gst_buffer_get_size (buf),
        8 + 8 + ((2 + len + 1 + 3) & ~3));
    gst_buffer_unref (buf);
    g_string_append_c (s, 'a' + len % 26);
  }

  /* 300 bytes are cut to 255 */
  g_string_append (s, "..............................................");
  fail_unless (s->len > 255);
  buf = gst_resilient_rtcp_build_rr (OUR_SSRC, s->str, NULL, NULL, T0_US);
  g_string_truncate (s, 255);
  fail_unless_equals_int (read_back (buf, s->str, FALSE, &b), 0);
  gst_buffer_unref (buf);
  g_string_free (s, TRUE);

  /* 200 two-byte characters: cut at 254, not inside a character */
  s = g_string_new (NULL);
  for (len = 0; len < 200; len++)
    g_string_append (s, "\xc3\xa9");
  buf = gst_resilient_rtcp_build_rr (OUR_SSRC, s->str, NULL, NULL, T0_US);
  utf8 = g_strndup (s->str, 254);
  fail_unless (g_utf8_validate (utf8, -1, NULL));
  fail_unless_equals_int (read_back (buf, utf8, FALSE, &b), 0);
  g_free (utf8);
  gst_buffer_unref (buf);
  g_string_free (s, TRUE);
}

GST_END_TEST;

/* A real rtpsession (what gst-rtsp-server runs per stream) takes our RR
 * and BYE: it learns our CNAME and our BYE. */
static void
on_bye_ssrc (GstElement * session, guint ssrc, gpointer user_data)
{
  guint *bye = user_data;

  *bye = ssrc;
}

GST_START_TEST (test_server_accepts)
{
  GstResilientRtcpReceiverState state;
  GstResilientRtcpSourceCounts c = counts_for (1000, 1099, 90);
  GstHarness *h;
  GstElement *element;
  GObject *session = NULL, *source = NULL;
  GstStructure *sdes = NULL;
  GstBuffer *buf;
  guint bye = 0;

  memset (&state, 0, sizeof (state));
  buf = gst_resilient_rtcp_build_rr (OUR_SSRC, CNAME, &c, &state, T0_US);
  /* the full compound rules (first packet RR, no padding) */
  fail_unless (gst_rtcp_buffer_validate (buf));

  h = gst_harness_new_with_padnames ("rtpsession", "recv_rtcp_sink", NULL);
  gst_harness_set_src_caps_str (h, "application/x-rtcp");
  element = h->element;
  g_signal_connect (element, "on-bye-ssrc", G_CALLBACK (on_bye_ssrc), &bye);
  g_object_get (element, "internal-session", &session, NULL);
  fail_unless (session != NULL);

  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  g_signal_emit_by_name (session, "get-source-by-ssrc", OUR_SSRC, &source);
  fail_unless (source != NULL, "rtpsession did not take our RR");
  g_object_get (source, "sdes", &sdes, NULL);
  fail_unless (sdes != NULL);
  fail_unless_equals_string (gst_structure_get_string (sdes, "cname"), CNAME);
  gst_structure_free (sdes);
  g_object_unref (source);
  fail_unless_equals_int (bye, 0);

  buf = gst_resilient_rtcp_build_bye (OUR_SSRC, CNAME);
  fail_unless (gst_rtcp_buffer_validate (buf));
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  fail_unless_equals_int (bye, OUR_SSRC);

  g_object_unref (session);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---------------------------------------------------------------------- */
/* timing */

static void
assert_near (gint64 got, gint64 want)
{
  fail_unless (ABS (got - want) <= 1, "got %" G_GINT64_FORMAT ", want %"
      G_GINT64_FORMAT, got, want);
}

GST_START_TEST (test_interval)
{
  /* RFC 3550 6.3.1: Td = 5 s (2.5 s initial) for want of bandwidth;
   * T = Td × (random + 0.5) / (e − 3/2), e − 3/2 = 1.2182818284590451 */
  assert_near (gst_resilient_rtcp_interval_us (TRUE, 0.0), 1026035);
  assert_near (gst_resilient_rtcp_interval_us (FALSE, 0.0), 2052070);
  assert_near (gst_resilient_rtcp_interval_us (FALSE, 0.5), 4104140);
  assert_near (gst_resilient_rtcp_interval_us (TRUE, 0.999999), 3078103);
  assert_near (gst_resilient_rtcp_interval_us (FALSE, 0.999999), 6156206);
  /* out of range is clamped */
  assert_near (gst_resilient_rtcp_interval_us (FALSE, -3.0), 2052070);
  assert_near (gst_resilient_rtcp_interval_us (FALSE, NAN), 2052070);
  assert_near (gst_resilient_rtcp_interval_us (FALSE, 7.0), 6156211);
  assert_near (gst_resilient_rtcp_interval_us (TRUE, INFINITY), 3078105);
}

GST_END_TEST;

GST_START_TEST (test_round_trip)
{
  /* RFC 3550 6.4.1's example: A = 0xb710:8000 (46864.500 s), LSR =
   * 0xb705:2000 (46853.125 s), DLSR = 0x0005:4000 (5.250 s): 6.125 s */
  guint64 a = G_GUINT64_CONSTANT (0xb7108000) << 16;

  fail_unless_equals_int64 (gst_resilient_rtcp_round_trip_us (0xb7052000,
          0x00054000, a), 6125000);
  /* the lowest 16 bits of A do not count */
  fail_unless_equals_int64 (gst_resilient_rtcp_round_trip_us (0xb7052000,
          0x00054000, a | 0xffff), 6125000);
  /* no SR from us seen */
  fail_unless_equals_int64 (gst_resilient_rtcp_round_trip_us (0, 0x00054000,
          a), -1);
  /* DLSR longer than the time since LSR: negative */
  fail_unless_equals_int64 (gst_resilient_rtcp_round_trip_us (0xb7052000,
          0x00100000, a), -1);
  /* arrival before LSR */
  fail_unless_equals_int64 (gst_resilient_rtcp_round_trip_us (0xb7200000, 0,
          a), -1);
  /* zero */
  fail_unless_equals_int64 (gst_resilient_rtcp_round_trip_us (0xb7052000,
          0x000b6000, a), 0);
  /* across the wrap of the 32-bit middle: 256 / 65536 s = 3906.25 µs */
  fail_unless_equals_int64 (gst_resilient_rtcp_round_trip_us (0xffffff00,
          0x100, G_GUINT64_CONSTANT (0x00000100) << 16), 3906);
}

GST_END_TEST;

static Suite *
rtcp_suite (void)
{
  Suite *s = suite_create ("rtcp");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_parse_sr_sdes);
  tcase_add_test (tc, test_parse_sr_block_about_us);
  tcase_add_test (tc, test_parse_rr_and_two_srs);
  tcase_add_test (tc, test_parse_bye);
  tcase_add_test (tc, test_parse_invalid);
  tcase_add_test (tc, test_parse_truncated);
  tcase_add_test (tc, test_parse_garbage);
  tcase_add_test (tc, test_build_rr_fraction_lost);
  tcase_add_test (tc, test_build_rr_clamps);
  tcase_add_test (tc, test_build_rr_seq_wrap);
  tcase_add_test (tc, test_build_rr_restart);
  tcase_add_test (tc, test_build_rr_lsr_dlsr);
  tcase_add_test (tc, test_build_rr_no_block);
  tcase_add_test (tc, test_build_bye);
  tcase_add_test (tc, test_build_cname);
  tcase_add_test (tc, test_server_accepts);
  tcase_add_test (tc, test_interval);
  tcase_add_test (tc, test_round_trip);

  return s;
}

GST_CHECK_MAIN (rtcp);
