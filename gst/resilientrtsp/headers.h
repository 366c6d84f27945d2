/* resilientrtsp
 * headers.h: pure parsing/formatting of the RTSP headers the client needs.
 * Every parser is strict about syntax it depends on, lenient about
 * whitespace and case, and never reads past the string it is given.
 */
#pragma once

#include <gst/gst.h>
#include <gst/rtsp/rtsp.h>

G_BEGIN_DECLS

/**
 * gst_resilient_parse_session_header:
 * "Session: 12345678;timeout=60" → id "12345678", timeout 60.
 * @id: (out) (transfer full): the session id (1..256 chars of the RFC's
 *   safe set; anything else fails)
 * @timeout_sec: (out): the timeout parameter, or 60 when absent/invalid
 *   (0, not digits, or over G_MAXINT / 1000 seconds)
 * Returns FALSE for an empty or malformed value.
 */
G_GNUC_INTERNAL
gboolean gst_resilient_parse_session_header (const gchar * value, gchar ** id,
    guint * timeout_sec);

/**
 * gst_resilient_parse_public_header:
 * "Public: OPTIONS, DESCRIBE, GET_PARAMETER" → GstRTSPMethod flags;
 * unknown tokens are ignored.
 */
G_GNUC_INTERNAL
GstRTSPMethod gst_resilient_parse_public_header (const gchar * value);

/**
 * gst_resilient_parse_content_length:
 * Strict: only digits (surrounding spaces allowed), no sign, no overflow.
 */
G_GNUC_INTERNAL
gboolean gst_resilient_parse_content_length (const gchar * value, guint64 * length);

/**
 * gst_resilient_parse_retry_after:
 * "Retry-After: 120" (delta-seconds) → 120. HTTP-dates are not supported → FALSE.
 */
G_GNUC_INTERNAL
gboolean gst_resilient_parse_retry_after (const gchar * value, guint * seconds);

typedef struct
{
  gchar *url;                   /* as given, may be relative */
  gboolean has_seq;
  guint16 seq;
  gboolean has_rtptime;
  guint32 rtptime;
} GstResilientRtpInfo;

/**
 * gst_resilient_parse_rtp_info:
 * "RTP-Info: url=rtsp://h/s/track1;seq=1;rtptime=2,url=…" → array of
 * GstResilientRtpInfo (free with gst_resilient_rtp_info_array_free). Handles
 * URLs containing ';' or ',' only as far as RFC 2326 allows (split on ","
 * followed by "url="). RFC 7826 quoted URLs and "ssrc=…:seq=…" are
 * understood too. Entries without url= are dropped; invalid seq/rtptime
 * values leave has_seq/has_rtptime FALSE. Returns NULL only for a NULL
 * @value, else an array (maybe empty). The array's clear func frees the
 * urls, so g_array_unref works as well.
 */
G_GNUC_INTERNAL
GArray *gst_resilient_parse_rtp_info (const gchar * value);
G_GNUC_INTERNAL
void gst_resilient_rtp_info_array_free (GArray * infos);

/**
 * gst_resilient_format_transport:
 * Builds a Transport request header value for one stream:
 *   lower_transport GST_RTSP_LOWER_TRANS_UDP → "RTP/AVP;unicast;client_port=a-b"
 *   GST_RTSP_LOWER_TRANS_TCP → "RTP/AVP/TCP;unicast;interleaved=a-b"
 *   GST_RTSP_LOWER_TRANS_UDP_MCAST → "RTP/AVP;multicast"
 * @profile: GST_RTSP_PROFILE_AVP (others as "RTP/AVPF", "RTP/SAVP", "RTP/SAVPF")
 * @port_or_channel: RTP client port (UDP) or first interleaved channel (TCP);
 *   the RTCP one is that + 1.
 */
G_GNUC_INTERNAL
gchar *gst_resilient_format_transport (GstRTSPProfile profile,
    GstRTSPLowerTrans lower_transport, guint port_or_channel);

G_END_DECLS
