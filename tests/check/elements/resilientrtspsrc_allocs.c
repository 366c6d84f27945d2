/* resilientrtsp tests
 * resilientrtspsrc_allocs.c: no allocation per packet in steady state.
 *
 * This program is linked with benchmarks/alloc-count.c, whose malloc & co.
 * count every call per thread (meson.build sets G_SLICE=always-malloc, so
 * GstBuffers and GstMemories count too, and builds it only without a
 * sanitizer). The element's own threads (rrtsp-io: reading, jitterbuffer;
 * rrtsp-out: delivery) play RTP (depayload=false) into the fixture's
 * fakesink; the in-process server's threads are not counted.
 *
 * What is asserted is a count, not a speed: over a window of packets after
 * a warm-up, fewer allocations than half the packets. A path that allocates
 * per packet makes at least one each (the TCP path before frames were
 * recycled made two); what is left is not per packet: buffer pools growing
 * to their steady size, and a keep-alive or its answer should one fall in
 * the window (keep-alives, statistics messages, receiver reports and NAT
 * punches are per second and are turned off here where they can be).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include "alloc-count.h"
#include "pipeline-fixture.h"
#include "../../server/testserver.h"

#define OWN_THREADS "rrtsp-io,rrtsp-out"
#define WARMUP_PACKETS 100
#define WINDOW_PACKETS 300

static void
assert_no_allocation_per_packet (GstRTSPLowerTrans protocols)
{
  RrTestServerConfig config = { 0, };
  RrTestServer *server;
  gchar *url;
  RrPipeline *p;
  guint64 allocs;
  guint start, packets;

  config.with_audio = FALSE;
  server = rr_test_server_new (&config);
  url = rr_test_server_get_url (server, "/video");
  p = rr_pipeline_new (url, "protocols", protocols, "depayload", 0,
      "stats-interval", 0, "do-rtcp", FALSE, "nat-method", 0, NULL);
  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 1, WARMUP_PACKETS), "%s",
      p->error ? p->error->message : "no data");

  start = rr_pipeline_total_buffers (p);
  allocs = rrtsp_alloc_count_named (OWN_THREADS);
  fail_unless (rr_pipeline_wait_more_buffers (p, start, WINDOW_PACKETS));
  allocs = rrtsp_alloc_count_named (OWN_THREADS) - allocs;
  packets = rr_pipeline_total_buffers (p) - start;

  GST_INFO ("%s: %" G_GUINT64_FORMAT " allocations on the element's threads "
      "for %u packets", protocols == GST_RTSP_LOWER_TRANS_TCP ? "TCP" : "UDP",
      allocs, packets);
  fail_unless (allocs * 2 < packets, "%" G_GUINT64_FORMAT " allocations on "
      "the element's threads for %u packets", allocs, packets);
  /* (the counter sees the process: it is not blind) */
  fail_unless (rrtsp_alloc_count () > allocs);

  rr_pipeline_free (p);
  g_free (url);
  rr_test_server_free (server);
}

GST_START_TEST (test_udp_no_allocation_per_packet)
{
  assert_no_allocation_per_packet (GST_RTSP_LOWER_TRANS_UDP);
}

GST_END_TEST;

GST_START_TEST (test_tcp_no_allocation_per_packet)
{
  assert_no_allocation_per_packet (GST_RTSP_LOWER_TRANS_TCP);
}

GST_END_TEST;

static Suite *
resilientrtspsrc_allocs_suite (void)
{
  Suite *s = suite_create ("resilientrtspsrc_allocs");
  TCase *tc = tcase_create ("allocs");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_udp_no_allocation_per_packet);
  tcase_add_test (tc, test_tcp_no_allocation_per_packet);
  return s;
}

GST_CHECK_MAIN (resilientrtspsrc_allocs);
