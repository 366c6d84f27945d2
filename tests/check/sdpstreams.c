/* resilientrtsp
 * tests/check/sdpstreams.c: unit tests for SDP → stream descriptions.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/check/gstcheck.h>

#include "sdpstreams.h"
#include "error.h"

/* a string literal as (data, size) arguments */
#define TEXT(s) (const guint8 *) (s), strlen (s)

/* What gst-rtsp-server 1.22 sends for "( x264enc ! rtph264pay name=pay0
 * pt=96 audiotestsrc ! opusenc ! rtpopuspay name=pay1 pt=97 )" */
static const gchar rtsp_server_sdp[] =
    "v=0\r\n"
    "o=- 1188340656180883 1 IN IP4 127.0.0.1\r\n"
    "s=Session streamed with GStreamer\r\n"
    "i=rtsp-server\r\n"
    "t=0 0\r\n"
    "a=tool:GStreamer\r\n"
    "a=type:broadcast\r\n"
    "a=control:*\r\n"
    "a=range:npt=now-\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=framerate:30\r\n"
    "a=fmtp:96 packetization-mode=1;sprop-parameter-sets="
    "Z2QAH6zZQFAFuhAAAAMAEAAAAwPI8YMZYA==,aOvjyyLA;profile-level-id=64001f;"
    "level-asymmetry-allowed=1\r\n"
    "a=control:stream=0\r\n"
    "a=ts-refclk:local\r\n"
    "a=mediaclk:sender\r\n"
    "m=audio 0 RTP/AVP 97\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtpmap:97 OPUS/48000/2\r\n"
    "a=fmtp:97 sprop-stereo=0\r\n"
    "a=control:stream=1\r\n" "a=ts-refclk:local\r\n" "a=mediaclk:sender\r\n";

/* A camera: absolute control URLs, ONVIF metadata, an audio backchannel */
static const gchar camera_sdp[] =
    "v=0\r\n"
    "o=- 1109162014219182 1109162014219192 IN IP4 192.168.1.64\r\n"
    "s=Media Presentation\r\n"
    "e=NONE\r\n"
    "b=AS:5050\r\n"
    "t=0 0\r\n"
    "a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "b=AS:5000\r\n"
    "a=recvonly\r\n"
    "a=x-dimensions:1920,1080\r\n"
    "a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1\r\n"
    "a=rtpmap:96 H265/90000\r\n"
    "m=application 0 RTP/AVP 107\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "b=AS:50\r\n"
    "a=recvonly\r\n"
    "a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=3\r\n"
    "a=rtpmap:107 vnd.onvif.metadata/90000\r\n"
    "m=audio 0 RTP/AVP 0\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=4\r\n"
    "a=rtpmap:0 PCMU/8000\r\n" "a=sendonly\r\n";

static GstSDPMessage *
parse_sdp (const gchar * text)
{
  GError *err = NULL;
  GstSDPMessage *sdp;

  sdp = gst_resilient_sdp_parse ((const guint8 *) text, strlen (text), &err);
  fail_unless (sdp != NULL, "SDP refused: %s", err ? err->message : "");
  return sdp;
}

static GstResilientSdpInfo *
info_from_text (const gchar * text, const gchar * base_url)
{
  GstSDPMessage *sdp = parse_sdp (text);
  GError *err = NULL;
  GstResilientSdpInfo *info;

  info = gst_resilient_sdp_info_new (sdp, base_url, &err);
  fail_unless (info != NULL, "no info: %s", err ? err->message : "");
  gst_sdp_message_free (sdp);
  return info;
}

static GError *
info_error (const gchar * text, const gchar * base_url)
{
  GstSDPMessage *sdp = parse_sdp (text);
  GError *err = NULL;

  fail_unless (gst_resilient_sdp_info_new (sdp, base_url, &err) == NULL);
  fail_unless (g_error_matches (err, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_SDP));
  gst_sdp_message_free (sdp);
  return err;
}

#define STREAM(info, i) \
  ((GstResilientStreamDesc *) g_ptr_array_index ((info)->streams, (i)))

static const GstStructure *
caps_s (GstResilientStreamDesc * desc)
{
  fail_unless (desc->caps != NULL);
  fail_unless_equals_int (gst_caps_get_size (desc->caps), 1);
  return gst_caps_get_structure (desc->caps, 0);
}

static void
check_rtp_caps (GstResilientStreamDesc * desc, const gchar * media, gint pt,
    gint clock_rate, const gchar * encoding_name)
{
  const GstStructure *s = caps_s (desc);
  gint v;

  fail_unless (gst_structure_has_name (s, "application/x-rtp"));
  fail_unless_equals_string (gst_structure_get_string (s, "media"), media);
  fail_unless (gst_structure_get_int (s, "payload", &v));
  fail_unless_equals_int (v, pt);
  fail_unless (gst_structure_get_int (s, "clock-rate", &v));
  fail_unless_equals_int (v, clock_rate);
  fail_unless_equals_string (gst_structure_get_string (s, "encoding-name"),
      encoding_name);
  fail_unless_equals_int (desc->pt, pt);
  fail_unless (gst_caps_is_fixed (desc->caps));
}

GST_START_TEST (test_rtsp_server_sdp)
{
  GstResilientSdpInfo *info;
  GstResilientStreamDesc *v, *a;
  const GstStructure *s;

  info = info_from_text (rtsp_server_sdp, "rtsp://127.0.0.1:8554/test/");

  fail_unless_equals_string (info->aggregate_url,
      "rtsp://127.0.0.1:8554/test/");
  fail_unless_equals_string (info->title, "Session streamed with GStreamer");
  fail_unless (info->range_start == -1);
  fail_unless (info->range_end == -1);
  fail_unless_equals_int (info->skipped, 0);
  fail_unless_equals_int (info->streams->len, 2);

  v = STREAM (info, 0);
  fail_unless_equals_int (v->index, 0);
  fail_unless_equals_string (v->media, "video");
  fail_unless_equals_string (v->control_url,
      "rtsp://127.0.0.1:8554/test/stream=0");
  check_rtp_caps (v, "video", 96, 90000, "H264");
  s = caps_s (v);
  fail_unless_equals_string (gst_structure_get_string (s,
          "packetization-mode"), "1");
  fail_unless_equals_string (gst_structure_get_string (s,
          "sprop-parameter-sets"),
      "Z2QAH6zZQFAFuhAAAAMAEAAAAwPI8YMZYA==,aOvjyyLA");
  /* GStreamer turns profile-level-id into profile */
  fail_unless_equals_string (gst_structure_get_string (s, "profile"), "high");
  /* media attributes: a=framerate becomes a-framerate */
  fail_unless (gst_structure_has_field (s, "a-framerate"));
  fail_unless_equals_int (v->profile, GST_RTSP_PROFILE_AVP);
  fail_if (v->is_multicast);
  fail_unless (v->multicast_address == NULL);
  fail_unless_equals_int (v->server_port, 0);
  fail_if (v->recvonly_backchannel);
  fail_unless (gst_structure_has_field_typed (v->pt_caps, "pt-96",
          GST_TYPE_CAPS));
  fail_unless_equals_int (gst_structure_n_fields (v->pt_caps), 1);

  a = STREAM (info, 1);
  fail_unless_equals_int (a->index, 1);
  fail_unless_equals_string (a->media, "audio");
  fail_unless_equals_string (a->control_url,
      "rtsp://127.0.0.1:8554/test/stream=1");
  check_rtp_caps (a, "audio", 97, 48000, "OPUS");
  fail_unless_equals_string (gst_structure_get_string (caps_s (a),
          "encoding-params"), "2");
  fail_unless_equals_string (gst_structure_get_string (caps_s (a),
          "sprop-stereo"), "0");

  gst_resilient_sdp_info_free (info);

  /* the same SDP with a Content-Base lacking the slash */
  info = info_from_text (rtsp_server_sdp, "rtsp://127.0.0.1:8554/test");
  fail_unless_equals_string (info->aggregate_url, "rtsp://127.0.0.1:8554/test");
  fail_unless_equals_string (STREAM (info, 0)->control_url,
      "rtsp://127.0.0.1:8554/test/stream=0");
  gst_resilient_sdp_info_free (info);
}

GST_END_TEST;

GST_START_TEST (test_camera_sdp)
{
  GstResilientSdpInfo *info;
  GstResilientStreamDesc *d;

  /* the Content-Base differs from the absolute controls: those win */
  info = info_from_text (camera_sdp, "rtsp://192.168.1.64/ignored/");
  fail_unless_equals_string (info->aggregate_url,
      "rtsp://192.168.1.64:554/Streaming/Channels/101/");
  fail_unless_equals_string (info->title, "Media Presentation");
  fail_unless_equals_int (info->streams->len, 3);
  fail_unless_equals_int (info->skipped, 0);

  d = STREAM (info, 0);
  fail_unless_equals_string (d->control_url,
      "rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1");
  check_rtp_caps (d, "video", 96, 90000, "H265");
  fail_unless (gst_structure_has_field (caps_s (d), "x-dimensions"));
  fail_if (d->recvonly_backchannel);

  d = STREAM (info, 1);
  fail_unless_equals_string (d->control_url,
      "rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=3");
  check_rtp_caps (d, "application", 107, 90000, "VND.ONVIF.METADATA");

  /* a=sendonly: the ONVIF backchannel */
  d = STREAM (info, 2);
  fail_unless_equals_int (d->index, 2);
  fail_unless (d->recvonly_backchannel);
  check_rtp_caps (d, "audio", 0, 8000, "PCMU");

  gst_resilient_sdp_info_free (info);
}

GST_END_TEST;

/* Session-level absolute control: relative media controls resolve against
 * it, not against the Content-Base. */
GST_START_TEST (test_session_control)
{
  GstResilientSdpInfo *info;

  info = info_from_text ("v=0\r\ns=-\r\nt=0 0\r\n"
      "a=control:rtsp://cam/live/\r\n"
      "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:track1\r\n"
      "m=audio 0 RTP/AVP 8\r\na=control:track2\r\n", "rtsp://proxy/other/");
  fail_unless_equals_string (info->aggregate_url, "rtsp://cam/live/");
  fail_unless_equals_string (STREAM (info, 0)->control_url,
      "rtsp://cam/live/track1");
  fail_unless_equals_string (STREAM (info, 1)->control_url,
      "rtsp://cam/live/track2");
  gst_resilient_sdp_info_free (info);

  /* the same with whitespace around the session control */
  info = info_from_text ("v=0\r\ns=-\r\nt=0 0\r\n"
      "a=control: rtsp://cam/live/ \r\n"
      "m=audio 0 RTP/AVP 8\r\na=control:track2\r\n", "rtsp://proxy/other/");
  fail_unless_equals_string (info->aggregate_url, "rtsp://cam/live/");
  fail_unless_equals_string (STREAM (info, 0)->control_url,
      "rtsp://cam/live/track2");
  gst_resilient_sdp_info_free (info);

  /* relative session control: media ones resolve against the base */
  info = info_from_text ("v=0\r\ns=-\r\nt=0 0\r\na=control:agg\r\n"
      "m=audio 0 RTP/AVP 8\r\na=control:track2\r\n", "rtsp://h/s/");
  fail_unless_equals_string (info->aggregate_url, "rtsp://h/s/agg");
  fail_unless_equals_string (STREAM (info, 0)->control_url,
      "rtsp://h/s/track2");
  gst_resilient_sdp_info_free (info);

  /* media a=control:* is the aggregate */
  info = info_from_text ("v=0\r\ns=-\r\nt=0 0\r\n"
      "m=audio 0 RTP/AVP 8\r\na=control:*\r\n", "rtsp://h/s/");
  fail_unless_equals_string (STREAM (info, 0)->control_url, "rtsp://h/s/");
  gst_resilient_sdp_info_free (info);

  /* no control at all, one stream: the aggregate URL */
  info = info_from_text ("v=0\r\ns=-\r\nt=0 0\r\nm=audio 0 RTP/AVP 8\r\n",
      "rtsp://h/s");
  fail_unless_equals_string (info->aggregate_url, "rtsp://h/s");
  fail_unless_equals_string (STREAM (info, 0)->control_url, "rtsp://h/s");
  gst_resilient_sdp_info_free (info);

  /* query in the base (Dahua) */
  info = info_from_text ("v=0\r\ns=-\r\nt=0 0\r\na=control:*\r\n"
      "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
      "a=control:trackID=0\r\n",
      "rtsp://h:554/cam/realmonitor?channel=1&subtype=0/");
  fail_unless_equals_string (STREAM (info, 0)->control_url,
      "rtsp://h:554/cam/realmonitor?channel=1&subtype=0/trackID=0");
  gst_resilient_sdp_info_free (info);

  /* no base, but an absolute session control */
  info = info_from_text ("v=0\r\ns=-\r\nt=0 0\r\na=control:rtsp://c/l/\r\n"
      "m=audio 0 RTP/AVP 8\r\na=control:t\r\n", NULL);
  fail_unless_equals_string (STREAM (info, 0)->control_url, "rtsp://c/l/t");
  gst_resilient_sdp_info_free (info);

  /* no base and nothing absolute */
  g_error_free (info_error ("v=0\r\ns=-\r\nt=0 0\r\n"
          "m=audio 0 RTP/AVP 8\r\na=control:t\r\n", NULL));
}

GST_END_TEST;

GST_START_TEST (test_static_payload_types)
{
  GstResilientSdpInfo *info;
  GstResilientStreamDesc *d;
  GstCaps *caps = NULL;
  const GstStructure *s;

  info = info_from_text ("v=0\r\ns=-\r\nt=0 0\r\n"
      "m=audio 0 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
      "a=control:a\r\n"
      "m=video 0 RTP/AVP 26\r\na=control:v\r\n"
      "m=audio 0 RTP/AVP 14\r\na=control:m\r\n", "rtsp://h/s/");
  fail_unless_equals_int (info->streams->len, 3);

  d = STREAM (info, 0);
  check_rtp_caps (d, "audio", 0, 8000, "PCMU");
  fail_unless_equals_int (gst_structure_n_fields (d->pt_caps), 3);
  fail_unless (gst_structure_get (d->pt_caps, "pt-8", GST_TYPE_CAPS, &caps,
          NULL));
  s = gst_caps_get_structure (caps, 0);
  fail_unless (gst_structure_has_name (s, "application/x-rtp"));
  fail_unless_equals_string (gst_structure_get_string (s, "encoding-name"),
      "PCMA");
  gst_caps_unref (caps);
  fail_unless (gst_structure_get (d->pt_caps, "pt-101", GST_TYPE_CAPS, &caps,
          NULL));
  fail_unless_equals_string (gst_structure_get_string (gst_caps_get_structure
          (caps, 0), "encoding-name"), "TELEPHONE-EVENT");
  gst_caps_unref (caps);

  check_rtp_caps (STREAM (info, 1), "video", 26, 90000, "JPEG");
  check_rtp_caps (STREAM (info, 2), "audio", 14, 90000, "MPA");
  gst_resilient_sdp_info_free (info);
}

GST_END_TEST;

GST_START_TEST (test_skipped_media)
{
  GstResilientSdpInfo *info;
  GstResilientStreamDesc *d;

  info = info_from_text ("v=0\r\ns=-\r\nt=0 0\r\n"
      /* dynamic pt without rtpmap: unusable */
      "m=video 0 RTP/AVP 98\r\na=control:s0\r\n"
      /* not RTP */
      "m=application 9 UDP/BFCP *\r\na=control:s1\r\n"
      "m=application 0 UDP/TLS/RTP/SAVPF 100\r\na=rtpmap:100 VP8/90000\r\n"
      /* an unassigned static pt without rtpmap, garbage formats */
      "m=audio 0 RTP/AVP 20 abc 300 -1\r\na=control:s3\r\n"
      /* port 0 is normal in RTSP: kept */
      "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:s4\r\n"
      /* the first usable pt is preferred */
      "m=video 0 RTP/AVP 99 97\r\na=rtpmap:97 VP8/90000\r\na=control:s5\r\n"
      /* proto variants */
      "m=audio 0 RTP/AVP/TCP 0\r\na=control:s6\r\n"
      "m=audio 0 TCP/RTP/AVP 0\r\na=control:s7\r\n"
      "m=audio 0 RTP/SAVPF 0\r\na=control:s8\r\n"
      "m=audio 0 rtp/savp 0\r\na=control:s9\r\n"
      "m=audio 0 RTP/AVPF/UDP 0\r\na=control:s10\r\n", "rtsp://h/s/");

  fail_unless_equals_int (info->skipped, 4);
  fail_unless_equals_int (info->streams->len, 7);

  d = STREAM (info, 0);
  fail_unless_equals_int (d->index, 4);
  fail_unless_equals_string (d->control_url, "rtsp://h/s/s4");
  check_rtp_caps (d, "video", 96, 90000, "H264");

  d = STREAM (info, 1);
  fail_unless_equals_int (d->index, 5);
  check_rtp_caps (d, "video", 97, 90000, "VP8");
  fail_unless_equals_int (gst_structure_n_fields (d->pt_caps), 1);

  fail_unless_equals_int (STREAM (info, 2)->profile, GST_RTSP_PROFILE_AVP);
  fail_unless_equals_int (STREAM (info, 3)->profile, GST_RTSP_PROFILE_AVP);
  fail_unless_equals_int (STREAM (info, 4)->profile, GST_RTSP_PROFILE_SAVPF);
  fail_unless_equals_int (STREAM (info, 5)->profile, GST_RTSP_PROFILE_SAVP);
  fail_unless_equals_int (STREAM (info, 6)->profile, GST_RTSP_PROFILE_AVPF);
  fail_unless_equals_string (STREAM (info, 6)->control_url, "rtsp://h/s/s10");

  gst_resilient_sdp_info_free (info);
}

GST_END_TEST;

GST_START_TEST (test_multicast)
{
  GstResilientSdpInfo *info;
  GstResilientStreamDesc *d;

  info = info_from_text ("v=0\r\ns=-\r\nt=0 0\r\n"
      "c=IN IP4 224.2.1.1/16\r\n"
      "m=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:v\r\n"
      "m=audio 5002 RTP/AVP 0\r\nc=IN IP6 ff15::101\r\na=control:a\r\n"
      "m=audio 5004 RTP/AVP 8\r\nc=IN IP4 192.168.1.2\r\na=control:u\r\n"
      "m=audio 5006 RTP/AVP 8\r\nc=IN IP4 239.255.255.250/127/2\r\n"
      "a=control:b\r\n", "rtsp://h/s/");
  fail_unless_equals_int (info->streams->len, 4);

  d = STREAM (info, 0);
  fail_unless (d->is_multicast);
  fail_unless_equals_string (d->multicast_address, "224.2.1.1");
  fail_unless_equals_int (d->multicast_ttl, 16);
  fail_unless_equals_int (d->server_port, 5000);

  d = STREAM (info, 1);
  fail_unless (d->is_multicast);
  fail_unless_equals_string (d->multicast_address, "ff15::101");
  fail_unless_equals_int (d->server_port, 5002);

  d = STREAM (info, 2);
  fail_if (d->is_multicast);
  fail_unless (d->multicast_address == NULL);
  fail_unless_equals_int (d->server_port, 0);

  d = STREAM (info, 3);
  fail_unless (d->is_multicast);
  fail_unless_equals_string (d->multicast_address, "239.255.255.250");
  fail_unless_equals_int (d->multicast_ttl, 127);

  gst_resilient_sdp_info_free (info);
}

GST_END_TEST;

GST_START_TEST (test_range)
{
  GstResilientSdpInfo *info;

  info = info_from_text ("v=0\r\ns=VOD\r\nt=0 0\r\na=range:npt=0-30.5\r\n"
      "m=audio 0 RTP/AVP 8\r\n", "rtsp://h/s/");
  fail_unless (info->range_start == 0.0);
  fail_unless (info->range_end == 30.5);
  gst_resilient_sdp_info_free (info);

  info = info_from_text ("v=0\r\ns=-\r\nt=0 0\r\na=range:npt=12.25-\r\n"
      "m=audio 0 RTP/AVP 8\r\n", "rtsp://h/s/");
  fail_unless (info->range_start == 12.25);
  fail_unless (info->range_end == -1);
  gst_resilient_sdp_info_free (info);

  /* media-level range when the session has none */
  info = info_from_text ("v=0\r\ns=-\r\nt=0 0\r\n"
      "m=audio 0 RTP/AVP 8\r\na=range:npt=0-10\r\n", "rtsp://h/s/");
  fail_unless (info->range_start == 0.0);
  fail_unless (info->range_end == 10.0);
  gst_resilient_sdp_info_free (info);

  /* not npt, or garbage: none */
  info = info_from_text ("v=0\r\ns=-\r\nt=0 0\r\n"
      "a=range:clock=20250101T000000Z-\r\nm=audio 0 RTP/AVP 8\r\n",
      "rtsp://h/s/");
  fail_unless (info->range_start == -1);
  fail_unless (info->range_end == -1);
  gst_resilient_sdp_info_free (info);
  {
    static const gchar *bad[] = { "npt=x-y", "npt=1-y", "npt=5", "npt=-5",
      "npt=1:2:3-", "npt=1.5:00:00-", "npt=0:60:00-", "npt=1e5-",
      "npt=99999999999999999999999-", "npt=", "range", ""
    };
    guint i;

    for (i = 0; i < G_N_ELEMENTS (bad); i++) {
      gchar *text = g_strdup_printf ("v=0\r\ns=-\r\nt=0 0\r\na=range:%s\r\n"
          "m=audio 0 RTP/AVP 8\r\n", bad[i]);

      info = info_from_text (text, "rtsp://h/s/");
      fail_unless (info->range_start == -1 && info->range_end == -1,
          "range '%s' gave %f-%f", bad[i], info->range_start, info->range_end);
      gst_resilient_sdp_info_free (info);
      g_free (text);
    }
  }

  info = info_from_text ("v=0\r\ns=-\r\nt=0 0\r\n"
      "a=range: npt = 1:02:03.5-2:00:00 \r\nm=audio 0 RTP/AVP 8\r\n",
      "rtsp://h/s/");
  fail_unless (info->range_start == 3723.5);
  fail_unless (info->range_end == 7200.0);
  gst_resilient_sdp_info_free (info);

  info = info_from_text ("v=0\r\ns=-\r\nt=0 0\r\na=range:npt=now-\r\n"
      "m=audio 0 RTP/AVP 8\r\n", "rtsp://h/s/");
  fail_unless (info->range_start == -1);
  fail_unless (info->range_end == -1);
  gst_resilient_sdp_info_free (info);
}

GST_END_TEST;

GST_START_TEST (test_no_usable_media)
{
  GError *err;

  err = info_error ("v=0\r\ns=-\r\nt=0 0\r\nm=video 0 RTP/AVP 98\r\n"
      "m=application 9 UDP/BFCP *\r\n", "rtsp://h/s/");
  fail_unless (strstr (err->message, "usable") != NULL, "%s", err->message);
  g_error_free (err);
}

GST_END_TEST;

static void
check_parse_error (const guint8 * data, gsize size, const gchar * substring)
{
  GError *err = NULL;

  fail_unless (gst_resilient_sdp_parse (data, size, &err) == NULL);
  fail_unless (g_error_matches (err, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_SDP));
  fail_unless (strstr (err->message, substring) != NULL,
      "'%s' does not mention '%s'", err->message, substring);
  g_error_free (err);
}

GST_START_TEST (test_parse_errors)
{
  const guint8 binary[] = { 0x01, 0x02, 0xff, 0x80, 'h', 'i', '\n', 0x7f };
  const gchar with_nul[] = "v=0\r\ns=-\r\n\0m=audio 0 RTP/AVP 8\r\n";
  const gchar trailing_nul[] = "v=0\r\ns=-\r\nm=audio 0 RTP/AVP 8\r\n\0\0";
  GstSDPMessage *sdp;

  check_parse_error ((const guint8 *) "", 0, "empty SDP");
  check_parse_error (NULL, 0, "empty SDP");
  check_parse_error (TEXT (" \r\n\r\n"), "empty SDP");
  check_parse_error (TEXT ("v=0\r\ns=-\r\nt=0 0\r\n"),
      "SDP has no media (m=) lines");
  check_parse_error (binary, sizeof (binary), "SDP has no media (m=) lines");
  check_parse_error (TEXT ("RTSP/1.0 200 OK\r\n\r\n"),
      "SDP has no media (m=) lines");
  check_parse_error ((const guint8 *) with_nul, sizeof (with_nul) - 1, "NUL");

  /* a NUL counted in Content-Length is tolerated */
  sdp = gst_resilient_sdp_parse ((const guint8 *) trailing_nul,
      sizeof (trailing_nul) - 1, NULL);
  fail_unless (sdp != NULL);
  fail_unless_equals_int (gst_sdp_message_medias_len (sdp), 1);
  gst_sdp_message_free (sdp);

  /* no v= line: accepted */
  sdp = gst_resilient_sdp_parse (TEXT ("m=audio 0 RTP/AVP 8\n"), NULL);
  fail_unless (sdp != NULL);
  gst_sdp_message_free (sdp);

  /* LF line endings */
  sdp =
      gst_resilient_sdp_parse (TEXT ("v=0\ns=-\nt=0 0\nm=audio 0 RTP/AVP 8\n"),
      NULL);
  fail_unless (sdp != NULL);
  fail_unless_equals_int (gst_sdp_message_medias_len (sdp), 1);
  gst_sdp_message_free (sdp);
}

GST_END_TEST;

/* GBK / Latin-1 text from cameras: accepted, and everything in the caps is
 * valid UTF-8 (GstStructure would warn and drop the fields otherwise). */
GST_START_TEST (test_not_utf8)
{
  GstResilientSdpInfo *info;
  const GstStructure *s;
  gchar *str;

  info = info_from_text ("v=0\r\ns=C\xe9mera \xc9\xe3\xcf\xf1\xcd\xb7\r\n"
      "t=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
      "a=x-name:\xff\xfe\r\na=fmtp:96 packetization-mode=1;x-info=\xe9t\xe9\r\n"
      "a=control:stream=0\r\n", "rtsp://h/s/");
  fail_unless (g_utf8_validate (info->title, -1, NULL));
  fail_unless (g_str_has_prefix (info->title, "C"));
  fail_unless_equals_int (info->streams->len, 1);
  s = caps_s (STREAM (info, 0));
  fail_unless_equals_string (gst_structure_get_string (s, "packetization-mode"),
      "1");
  fail_unless (gst_structure_get_string (s, "x-info") != NULL);
  fail_unless (g_utf8_validate (gst_structure_get_string (s, "x-info"), -1,
          NULL));
  fail_unless (gst_structure_get_string (s, "x-name") != NULL);
  str = gst_caps_to_string (STREAM (info, 0)->caps);
  fail_unless (g_utf8_validate (str, -1, NULL));
  g_free (str);
  gst_resilient_sdp_info_free (info);
}

GST_END_TEST;

static Suite *
sdpstreams_suite (void)
{
  Suite *s = suite_create ("sdpstreams");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_rtsp_server_sdp);
  tcase_add_test (tc, test_camera_sdp);
  tcase_add_test (tc, test_session_control);
  tcase_add_test (tc, test_static_payload_types);
  tcase_add_test (tc, test_skipped_media);
  tcase_add_test (tc, test_multicast);
  tcase_add_test (tc, test_range);
  tcase_add_test (tc, test_no_usable_media);
  tcase_add_test (tc, test_parse_errors);
  tcase_add_test (tc, test_not_utf8);

  return s;
}

GST_CHECK_MAIN (sdpstreams);
