/* resilientrtsp tests
 * elements/resilientrtspsrc.c: playback against a real gst-rtsp-server
 * (tests/server/testserver.c) on loopback.
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "pipeline-fixture.h"

/* GstResilientDepayloadMode values (the enum is internal to the plugin) */
#define GST_RESILIENT_DEPAYLOAD_OFF_VALUE 0
#include "testserver.h"
#include "quirkserver.h"

static void
assert_av_caps (RrPipeline * p)
{
  fail_unless (rr_pipeline_find_caps (p, "video/x-h264") != NULL,
      "no H.264 pad");
  fail_unless (rr_pipeline_find_caps (p, "audio/x-opus") != NULL,
      "no Opus pad");
}

static void
play_and_check (GstRTSPLowerTrans protocols, const gchar * transport_name)
{
  RrTestServer *server = rr_test_server_new (NULL);
  gchar *url = rr_test_server_get_url (server, "/test");
  RrPipeline *p = rr_pipeline_new (url, "protocols", protocols, NULL);
  const gchar *transport;

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 2, 20), "no data on both pads: %s",
      p->error ? p->error->message : "timeout");
  assert_av_caps (p);
  fail_unless (p->no_more_pads);
  fail_unless_equals_int (p->pads->len, 2);

  /* the state machine went through the documented states */
  fail_unless (rr_pipeline_wait_state (p, "connecting"));
  fail_unless (rr_pipeline_wait_state (p, "negotiating"));
  fail_unless (rr_pipeline_wait_state (p, "playing"));

  fail_unless (rr_pipeline_wait_stats (p, 1));
  g_mutex_lock (&p->lock);
  transport = gst_structure_get_string (p->last_stats, "transport");
  fail_unless_equals_string (transport, transport_name);
  g_mutex_unlock (&p->lock);

  /* SETUP for both streams, one PLAY */
  fail_unless_equals_int (rr_test_server_count_requests (server,
          GST_RTSP_SETUP), 2);
  fail_unless_equals_int (rr_test_server_count_requests (server,
          GST_RTSP_PLAY), 1);

  rr_pipeline_free (p);
  /* going to NULL sent TEARDOWN, never PAUSE */
  fail_unless_equals_int (rr_test_server_wait_requests (server,
          GST_RTSP_TEARDOWN, 1, RR_WAIT_MS), 1);
  fail_unless_equals_int (rr_test_server_count_requests (server,
          GST_RTSP_PAUSE), 0);

  g_free (url);
  rr_test_server_free (server);
}

GST_START_TEST (test_play_udp)
{
  play_and_check (GST_RTSP_LOWER_TRANS_UDP, "udp");
}

GST_END_TEST;

GST_START_TEST (test_play_tcp)
{
  play_and_check (GST_RTSP_LOWER_TRANS_TCP, "tcp");
}

GST_END_TEST;

GST_START_TEST (test_play_aac)
{
  GstElementFactory *aacenc = gst_element_factory_find ("avenc_aac");
  RrTestServer *server;
  gchar *url;
  RrPipeline *p;

  if (aacenc == NULL) {
    GST_WARNING ("avenc_aac missing: no AAC mount to test against");
    return;
  }
  gst_object_unref (aacenc);

  server = rr_test_server_new (NULL);
  url = rr_test_server_get_url (server, "/audio-aac");
  p = rr_pipeline_new (url, NULL);
  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 1, 10), "%s",
      p->error ? p->error->message : "timeout");
  /* the MPEG-4 generic depayloader was picked from the registry */
  fail_unless (rr_pipeline_find_caps (p, "audio/mpeg") != NULL);
  rr_pipeline_free (p);

  g_free (url);
  rr_test_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_tcp_zero_copy_stats)
{
  RrTestServer *server = rr_test_server_new (NULL);
  gchar *url = rr_test_server_get_url (server, "/test");
  RrPipeline *p = rr_pipeline_new (url, "protocols", GST_RTSP_LOWER_TRANS_TCP,
      "stats-interval", 200, NULL);
  GstStructure *stats;
  gdouble ratio = 0;
  guint64 packets = 0, shared = 0, copied = 0;
  const GValue *streams;

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 2, 30));

  g_object_get (p->src, "stats", &stats, NULL);
  fail_unless (stats != NULL);
  fail_unless (gst_structure_get_double (stats, "zero-copy-ratio", &ratio));
  /* most interleaved payload is handed on without a copy */
  fail_unless (ratio > 0.5, "zero-copy ratio %f", ratio);
  fail_unless (gst_structure_get_uint64 (stats, "interleaved-bytes-shared",
          &shared));
  fail_unless (gst_structure_get_uint64 (stats, "interleaved-bytes-copied",
          &copied));
  fail_unless (shared > 0);
  /* the ratio is computed from the two counts */
  fail_unless (ABS (ratio - (gdouble) shared / (shared + copied)) < 1e-9,
      "ratio %f, shared %" G_GUINT64_FORMAT ", copied %" G_GUINT64_FORMAT,
      ratio, shared, copied);
  fail_unless (gst_structure_get_uint64 (stats, "packets-received", &packets));
  fail_unless (packets > 0);
  streams = gst_structure_get_value (stats, "streams");
  fail_unless (streams != NULL);
  fail_unless_equals_int (gst_value_array_get_size (streams), 2);
  gst_structure_free (stats);

  rr_pipeline_free (p);
  g_free (url);
  rr_test_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_rtp_output_without_depayload)
{
  RrTestServer *server = rr_test_server_new (NULL);
  gchar *url = rr_test_server_get_url (server, "/test");
  RrPipeline *p = rr_pipeline_new (url, "protocols", GST_RTSP_LOWER_TRANS_TCP,
      "depayload", GST_RESILIENT_DEPAYLOAD_OFF_VALUE, NULL);
  const gchar *caps;

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 2, 10));
  caps = rr_pipeline_find_caps (p, "application/x-rtp");
  fail_unless (caps != NULL);
  fail_unless (strstr (caps, "H264") || strstr (caps, "OPUS"), "%s", caps);
  fail_if (rr_pipeline_find_caps (p, "video/x-h264") != NULL);

  rr_pipeline_free (p);
  g_free (url);
  rr_test_server_free (server);
}

GST_END_TEST;

static gboolean
select_video_only (GstElement * src, guint num, GstCaps * caps, gpointer data)
{
  const gchar *media = gst_structure_get_string (gst_caps_get_structure (caps,
          0), "media");

  return g_strcmp0 (media, "video") == 0;
}

GST_START_TEST (test_select_stream_and_signals)
{
  RrTestServer *server = rr_test_server_new (NULL);
  gchar *url = rr_test_server_get_url (server, "/test");
  RrPipeline *p = rr_pipeline_new (url, "protocols", GST_RTSP_LOWER_TRANS_UDP,
      NULL);

  g_signal_connect (p->src, "select-stream", G_CALLBACK (select_video_only),
      NULL);
  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 1, 10));
  fail_unless_equals_int (p->pads->len, 1);
  fail_unless (rr_pipeline_find_caps (p, "video/x-h264") != NULL);
  fail_unless_equals_int (rr_test_server_count_requests (server,
          GST_RTSP_SETUP), 1);
  fail_unless_equals_int (p->on_sdp, 1);
  {
    gint manager;

    g_object_get (p->src, "rtp-manager", &manager, NULL);
    /* rtpbin is announced; the built-in path has none */
    fail_unless_equals_int (p->new_manager, manager == 0 ? 1 : 0);
  }
  /* OPTIONS, DESCRIBE, SETUP, PLAY at least */
  fail_unless (p->before_send >= 4, "before-send emitted %u times",
      p->before_send);

  rr_pipeline_free (p);
  g_free (url);
  rr_test_server_free (server);
}

GST_END_TEST;

static gboolean
add_header (GstElement * src, GstRTSPMessage * msg, gpointer data)
{
  gst_rtsp_message_add_header_by_name (msg, "X-Resilient-Test", "yes");
  return TRUE;
}

GST_START_TEST (test_before_send_modifies_requests)
{
  RrTestServer *server = rr_test_server_new (NULL);
  gchar *url = rr_test_server_get_url (server, "/video");
  RrPipeline *p = rr_pipeline_new (url, "protocols", GST_RTSP_LOWER_TRANS_TCP,
      NULL);

  g_signal_connect (p->src, "before-send", G_CALLBACK (add_header), NULL);
  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 1, 5));
  fail_unless (rr_test_server_count_header (server, "X-Resilient-Test") >= 4);

  rr_pipeline_free (p);
  g_free (url);
  rr_test_server_free (server);
}

GST_END_TEST;

/* The Range header of every PLAY before-send saw ("" for none). */
typedef struct
{
  GMutex lock;
  GPtrArray *ranges;
} PlayRanges;

static gboolean
record_play_range (GstElement * src, GstRTSPMessage * msg, gpointer data)
{
  PlayRanges *r = data;
  GstRTSPMethod method;
  const gchar *uri;
  GstRTSPVersion version;
  gchar *range = NULL;

  if (gst_rtsp_message_parse_request (msg, &method, &uri,
          &version) != GST_RTSP_OK || method != GST_RTSP_PLAY)
    return TRUE;
  gst_rtsp_message_get_header (msg, GST_RTSP_HDR_RANGE, &range, 0);
  g_mutex_lock (&r->lock);
  g_ptr_array_add (r->ranges, g_strdup (range ? range : ""));
  g_mutex_unlock (&r->lock);
  return TRUE;
}

/* Plays @url until @done says so, then returns the PLAYs' Range headers
 * (the pipeline freed, so nothing adds to them any more). */
static GPtrArray *
play_ranges (const gchar * url, gboolean (*done) (RrPipeline *, gpointer),
    gpointer data)
{
  PlayRanges r;
  RrPipeline *p = rr_pipeline_new (url, "protocols", GST_RTSP_LOWER_TRANS_TCP,
      NULL);

  g_mutex_init (&r.lock);
  r.ranges = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (p->src, "before-send", G_CALLBACK (record_play_range),
      &r);
  rr_pipeline_play (p);
  fail_unless (done (p, data));
  rr_pipeline_free (p);
  g_mutex_clear (&r.lock);
  return r.ranges;
}

static gboolean
got_a_buffer (RrPipeline * p, gpointer data)
{
  return rr_pipeline_wait_buffers (p, 1, 10);
}

static gboolean
quirk_got_play (RrPipeline * p, gpointer server)
{
  return rr_quirk_server_wait (server, "PLAY", 1, 10000) >= 1;
}

/* A live stream (gst-rtsp-server: a=range:npt=now-) is played without a
 * Range, as rtspsrc does: gst-rtsp-server would seek its shared media for
 * it, flushing every other client's packets. A recorded presentation
 * (a=range:npt=0-, the quirk server) is played from its start. */
GST_START_TEST (test_play_range_only_for_recorded)
{
  RrTestServer *server = rr_test_server_new (NULL);
  RrQuirkServer *quirk = rr_quirk_server_new ();
  gchar *url = rr_test_server_get_url (server, "/video");
  GPtrArray *ranges = play_ranges (url, got_a_buffer, NULL);

  fail_unless_equals_int (ranges->len, 1);
  fail_unless_equals_string (g_ptr_array_index (ranges, 0), "");
  fail_unless_equals_int (rr_test_server_count_header (server, "Range"), 0);
  g_ptr_array_unref (ranges);
  g_free (url);

  url = rr_quirk_server_get_url (quirk, "/test");
  ranges = play_ranges (url, quirk_got_play, quirk);
  fail_unless (ranges->len >= 1);
  fail_unless_equals_string (g_ptr_array_index (ranges, 0), "npt=0.000-");
  g_ptr_array_unref (ranges);
  g_free (url);

  rr_quirk_server_free (quirk);
  rr_test_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_basic_auth)
{
  RrTestServerConfig config = { 0, };
  RrTestServer *server;
  gchar *url, *url_with_creds;
  RrPipeline *p;

  config.with_audio = FALSE;
  config.user = "alice";
  config.password = "s3cret:pw";
  server = rr_test_server_new (&config);
  url = rr_test_server_get_url (server, "/video");

  /* user-id / user-pw */
  p = rr_pipeline_new (url, "user-id", "alice", "user-pw", "s3cret:pw", NULL);
  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 1, 5), "%s",
      p->error ? p->error->message : "timeout");
  rr_pipeline_free (p);

  /* credentials in the URL (percent-encoded ':') */
  url_with_creds = g_strdup_printf ("rtsp://alice:s3cret%%3Apw@127.0.0.1:%u"
      "/video", rr_test_server_get_port (server));
  p = rr_pipeline_new (url_with_creds, NULL);
  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 1, 5), "%s",
      p->error ? p->error->message : "timeout");
  rr_pipeline_free (p);
  g_free (url_with_creds);

  /* wrong password: a clear authorization error */
  p = rr_pipeline_new (url, "user-id", "alice", "user-pw", "wrong", NULL);
  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_error (p));
  fail_unless (g_error_matches (p->error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED), "%s", p->error->message);
  fail_unless_equals_string (p->error_class, "auth");
  fail_unless (strstr (p->error->message, "401") != NULL, "%s",
      p->error->message);
  rr_pipeline_free (p);

  /* no credentials at all */
  p = rr_pipeline_new (url, NULL);
  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_error (p));
  fail_unless_equals_string (p->error_class, "auth");
  fail_unless (strstr (p->error->message, "no credentials") != NULL, "%s",
      p->error->message);
  rr_pipeline_free (p);

  g_free (url);
  rr_test_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_null_with_hung_server_returns)
{
  RrTestServer *server = rr_test_server_new (NULL);
  gchar *url = rr_test_server_get_url (server, "/video");
  RrPipeline *p = rr_pipeline_new (url, "protocols", GST_RTSP_LOWER_TRANS_TCP,
      "teardown-timeout", (guint64) 200 * GST_MSECOND, NULL);

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 1, 5));

  /* the server stops answering; NULL must still return (the fixture asserts
   * SUCCESS; a hang fails the test by its timeout) */
  rr_test_server_freeze (server);
  rr_pipeline_free (p);
  rr_test_server_thaw (server);
  rr_test_server_wait_clients_closed (server, RR_WAIT_MS);

  g_free (url);
  rr_test_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_null_while_connecting_to_hung_server)
{
  RrTestServer *server = rr_test_server_new (NULL);
  gchar *url = rr_test_server_get_url (server, "/video");
  RrPipeline *p = rr_pipeline_new (url, NULL);

  /* nothing is ever answered: stop in the middle of OPTIONS/DESCRIBE */
  rr_test_server_freeze (server);
  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_state (p, "negotiating"));
  rr_pipeline_free (p);
  rr_test_server_thaw (server);
  /* the server answers the request it missed to a peer that is gone and
   * closes that client: let it finish before it is freed */
  rr_test_server_wait_clients_closed (server, RR_WAIT_MS);

  g_free (url);
  rr_test_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_restart_after_stop)
{
  RrTestServer *server = rr_test_server_new (NULL);
  gchar *url = rr_test_server_get_url (server, "/video");
  RrPipeline *p = rr_pipeline_new (url, NULL);
  guint round;

  /* PLAYING → READY → PLAYING works with fresh sessions */
  for (round = 0; round < 2; round++) {
    rr_pipeline_play (p);
    fail_unless (rr_pipeline_wait_buffers (p, 1, 5 + round * 10));
    fail_unless_equals_int (gst_element_set_state (p->pipeline,
            GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
  }
  fail_unless_equals_int (rr_test_server_wait_requests (server,
          GST_RTSP_TEARDOWN, 2, RR_WAIT_MS), 2);

  rr_pipeline_free (p);
  g_free (url);
  rr_test_server_free (server);
}

GST_END_TEST;

/* PLAYING → PAUSED sends PAUSE (state "paused"), PAUSED → PLAYING a PLAY
 * that resumes on the same pads; going to NULL afterwards sends no second
 * PAUSE. */
static void
pause_and_resume (GstRTSPLowerTrans protocols)
{
  RrTestServer *server = rr_test_server_new (NULL);
  gchar *url = rr_test_server_get_url (server, "/test");
  RrPipeline *p = rr_pipeline_new (url, "protocols", protocols, NULL);
  guint before;

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 2, 5));

  fail_if (gst_element_set_state (p->pipeline, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_FAILURE);
  fail_unless (rr_pipeline_wait_state (p, "paused"));
  fail_unless_equals_int (rr_test_server_count_requests (server,
          GST_RTSP_PAUSE), 1);

  before = rr_pipeline_total_buffers (p);
  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_state_count (p, "playing", 2));
  fail_unless (rr_pipeline_wait_more_buffers (p, before, 20));
  fail_unless_equals_int (rr_test_server_count_requests (server,
          GST_RTSP_PLAY), 2);
  fail_unless_equals_int (p->pads->len, 2);
  fail_unless (p->error == NULL);

  rr_pipeline_free (p);
  fail_unless_equals_int (rr_test_server_wait_requests (server,
          GST_RTSP_TEARDOWN, 1, RR_WAIT_MS), 1);
  fail_unless_equals_int (rr_test_server_count_requests (server,
          GST_RTSP_PAUSE), 1);

  g_free (url);
  rr_test_server_free (server);
}

GST_START_TEST (test_pause_resume_udp)
{
  pause_and_resume (GST_RTSP_LOWER_TRANS_UDP);
}

GST_END_TEST;

GST_START_TEST (test_pause_resume_tcp)
{
  pause_and_resume (GST_RTSP_LOWER_TRANS_TCP);
}

GST_END_TEST;

/* A value of @pspec other than its default (and valid for it) in @value,
 * initialised to the property's type; FALSE for types not covered. */
static gboolean
other_value (GParamSpec * pspec, GValue * value)
{
  const GValue *def = g_param_spec_get_default_value (pspec);
  GType type = G_PARAM_SPEC_VALUE_TYPE (pspec);

  g_value_init (value, type);
  if (G_IS_PARAM_SPEC_BOOLEAN (pspec)) {
    g_value_set_boolean (value, !g_value_get_boolean (def));
  } else if (G_IS_PARAM_SPEC_UINT (pspec)) {
    GParamSpecUInt *u = G_PARAM_SPEC_UINT (pspec);
    guint d = g_value_get_uint (def);

    g_value_set_uint (value, d < u->maximum ? d + 1 : d - 1);
  } else if (G_IS_PARAM_SPEC_INT (pspec)) {
    GParamSpecInt *i = G_PARAM_SPEC_INT (pspec);
    gint d = g_value_get_int (def);

    g_value_set_int (value, d < i->maximum ? d + 1 : d - 1);
  } else if (G_IS_PARAM_SPEC_UINT64 (pspec)) {
    GParamSpecUInt64 *u = G_PARAM_SPEC_UINT64 (pspec);
    guint64 d = g_value_get_uint64 (def);

    g_value_set_uint64 (value, d < u->maximum ? d + 1 : d - 1);
  } else if (G_IS_PARAM_SPEC_DOUBLE (pspec)) {
    GParamSpecDouble *f = G_PARAM_SPEC_DOUBLE (pspec);
    gdouble mid = f->minimum / 2 + f->maximum / 2;

    g_value_set_double (value, mid != g_value_get_double (def) ? mid :
        f->minimum);
  } else if (G_IS_PARAM_SPEC_ENUM (pspec)) {
    GEnumClass *klass = G_PARAM_SPEC_ENUM (pspec)->enum_class;
    guint k = 0;

    while (klass->values[k].value == g_value_get_enum (def))
      k++;
    g_value_set_enum (value, klass->values[k].value);
  } else if (G_IS_PARAM_SPEC_FLAGS (pspec)) {
    GFlagsClass *klass = G_PARAM_SPEC_FLAGS (pspec)->flags_class;
    guint k = 0;

    while (klass->values[k].value == g_value_get_flags (def)
        || klass->values[k].value == 0)
      k++;
    g_value_set_flags (value, klass->values[k].value);
  } else if (G_IS_PARAM_SPEC_STRING (pspec)) {
    const gchar *name = g_param_spec_get_name (pspec);

    if (g_str_equal (name, "port-range"))
      g_value_set_string (value, "5000-5009");
    else if (g_str_equal (name, "location"))
      g_value_set_string (value, "rtsp://127.0.0.1:8554/other");
    else if (g_str_equal (name, "proxy"))
      g_value_set_string (value, "http://127.0.0.1:3128");
    else
      g_value_take_string (value, g_strdup_printf ("value of %s", name));
  } else if (type == GST_TYPE_STRUCTURE) {
    g_value_take_boxed (value, gst_structure_new ("headers", "X-Test",
            G_TYPE_STRING, "1", NULL));
  } else {
    g_value_unset (value);
    return FALSE;
  }
  return TRUE;
}

/* Every writable property reads back what was set, each one on its own:
 * the values live in one settings structure, so a property stored in the
 * wrong field, or converted one way only, shows here. */
GST_START_TEST (test_properties_read_back)
{
  GstElement *src = gst_element_factory_make ("resilientrtspsrc", NULL);
  GParamSpec **pspecs;
  guint n, i, checked = 0;

  pspecs = g_object_class_list_properties (G_OBJECT_GET_CLASS (src), &n);
  for (i = 0; i < n; i++) {
    GParamSpec *pspec = pspecs[i];
    GValue want = G_VALUE_INIT, got = G_VALUE_INIT, def = G_VALUE_INIT;
    const gchar *name = g_param_spec_get_name (pspec);

    if (pspec->owner_type != G_OBJECT_TYPE (src)
        || !(pspec->flags & G_PARAM_WRITABLE)
        || !(pspec->flags & G_PARAM_READABLE) || !other_value (pspec, &want))
      continue;

    /* the default reads back first */
    g_value_init (&def, G_PARAM_SPEC_VALUE_TYPE (pspec));
    g_object_get_property (G_OBJECT (src), name, &def);
    fail_unless (g_param_values_cmp (pspec, &def,
            g_param_spec_get_default_value (pspec)) == 0,
        "%s: the default does not read back", name);

    g_object_set_property (G_OBJECT (src), name, &want);
    g_value_init (&got, G_PARAM_SPEC_VALUE_TYPE (pspec));
    g_object_get_property (G_OBJECT (src), name, &got);
    if (G_PARAM_SPEC_VALUE_TYPE (pspec) == GST_TYPE_STRUCTURE)
      fail_unless (gst_structure_is_equal (gst_value_get_structure (&want),
              gst_value_get_structure (&got)), "%s", name);
    else
      fail_unless (g_param_values_cmp (pspec, &want, &got) == 0,
          "%s: set %s, read %s", name, g_strdup_value_contents (&want),
          g_strdup_value_contents (&got));

    /* and the default again, so that the next property starts clean */
    g_object_set_property (G_OBJECT (src), name, &def);
    g_value_unset (&want);
    g_value_unset (&got);
    g_value_unset (&def);
    checked++;
  }
  g_free (pspecs);
  /* location, protocols, latency, … : all but stats, state and the TLS
   * objects */
  fail_unless (checked >= 35, "only %u properties checked", checked);
  gst_object_unref (src);
}

GST_END_TEST;

GST_START_TEST (test_uri_handler)
{
  GstElement *src = gst_element_factory_make ("resilientrtspsrc", NULL);
  GError *error = NULL;
  gchar *uri;
  const gchar *const *protocols;

  protocols = gst_uri_handler_get_protocols (GST_URI_HANDLER (src));
  fail_unless (g_strv_contains (protocols, "rtsp"));
  fail_unless (g_strv_contains (protocols, "rtspt"));
  fail_unless (g_strv_contains (protocols, "rtspu"));

  fail_unless (gst_uri_handler_set_uri (GST_URI_HANDLER (src),
          "rtspt://127.0.0.1:8554/x", &error));
  uri = gst_uri_handler_get_uri (GST_URI_HANDLER (src));
  fail_unless_equals_string (uri, "rtspt://127.0.0.1:8554/x");
  g_free (uri);

  fail_if (gst_uri_handler_set_uri (GST_URI_HANDLER (src), "http://x/",
          &error));
  fail_unless (error != NULL);
  g_clear_error (&error);

  gst_object_unref (src);
}

GST_END_TEST;

static Suite *
resilientrtspsrc_suite (void)
{
  Suite *s = suite_create ("resilientrtspsrc");
  TCase *tc = tcase_create ("playback");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_uri_handler);
  tcase_add_test (tc, test_properties_read_back);
  tcase_add_test (tc, test_play_udp);
  tcase_add_test (tc, test_play_tcp);
  tcase_add_test (tc, test_play_aac);
  tcase_add_test (tc, test_tcp_zero_copy_stats);
  tcase_add_test (tc, test_rtp_output_without_depayload);
  tcase_add_test (tc, test_select_stream_and_signals);
  tcase_add_test (tc, test_before_send_modifies_requests);
  tcase_add_test (tc, test_play_range_only_for_recorded);
  tcase_add_test (tc, test_basic_auth);
  tcase_add_test (tc, test_null_with_hung_server_returns);
  tcase_add_test (tc, test_null_while_connecting_to_hung_server);
  tcase_add_test (tc, test_restart_after_stop);
  tcase_add_test (tc, test_pause_resume_udp);
  tcase_add_test (tc, test_pause_resume_tcp);
  return s;
}

GST_CHECK_MAIN (resilientrtspsrc);
