/* resilientrtsp
 * keepalive.h: keeping an RTSP session alive — which method, how often, and
 * what an answer means. Pure: no I/O and no clock; the session passes the
 * server's capabilities, its answers and the time in (keepalive.c's second
 * half is the session glue that does the sending).
 */
#pragma once

#include <gst/gst.h>
#include <gst/rtsp/rtsp.h>

G_BEGIN_DECLS

/**
 * GstResilientKeepaliveMethod:
 * @GST_RESILIENT_KEEPALIVE_AUTO: GET_PARAMETER when the server's `Public`
 *   header lists it, else OPTIONS
 * @GST_RESILIENT_KEEPALIVE_OPTIONS: OPTIONS
 * @GST_RESILIENT_KEEPALIVE_GET_PARAMETER: GET_PARAMETER without a body
 * @GST_RESILIENT_KEEPALIVE_SET_PARAMETER: SET_PARAMETER without a body
 * @GST_RESILIENT_KEEPALIVE_RTCP: no RTSP request: the RTCP receiver reports
 *   keep the session alive (as auto when RTCP is off)
 * @GST_RESILIENT_KEEPALIVE_NONE: nothing
 *
 * A method the server refuses (405, 451, 501) falls back: SET_PARAMETER →
 * GET_PARAMETER → OPTIONS; a refused OPTIONS stops RTSP keep-alives.
 */
typedef enum
{
  GST_RESILIENT_KEEPALIVE_AUTO,
  GST_RESILIENT_KEEPALIVE_OPTIONS,
  GST_RESILIENT_KEEPALIVE_GET_PARAMETER,
  GST_RESILIENT_KEEPALIVE_SET_PARAMETER,
  GST_RESILIENT_KEEPALIVE_RTCP,
  GST_RESILIENT_KEEPALIVE_NONE,
} GstResilientKeepaliveMethod;

#define GST_TYPE_RESILIENT_KEEPALIVE_METHOD (gst_resilient_keepalive_method_get_type ())
G_GNUC_INTERNAL GType gst_resilient_keepalive_method_get_type (void);

/**
 * GstResilientKeepaliveVerdict:
 * @GST_RESILIENT_KEEPALIVE_ALIVE: answered 2xx: the session lives
 * @GST_RESILIENT_KEEPALIVE_FALLBACK: the method is refused; the next one
 *   (gst_resilient_keepalive_get_request()) should be sent now
 * @GST_RESILIENT_KEEPALIVE_LOST: 454: the server no longer knows the
 *   session — re-establish it
 * @GST_RESILIENT_KEEPALIVE_IGNORED: another error; logged, nothing to do
 *   (a session that is really gone shows as a stall or a 454 next time)
 */
typedef enum
{
  GST_RESILIENT_KEEPALIVE_ALIVE,
  GST_RESILIENT_KEEPALIVE_FALLBACK,
  GST_RESILIENT_KEEPALIVE_LOST,
  GST_RESILIENT_KEEPALIVE_IGNORED,
} GstResilientKeepaliveVerdict;

typedef struct
{
  GstResilientKeepaliveMethod configured;
  GstRTSPMethod request;        /* what is sent now; 0 = no RTSP keep-alive */
  guint timeout_s;              /* the server's session timeout */
  gint64 sent_us;               /* the keep-alive in flight, -1 if none */
  gint64 rtt_us;                /* the last round trip, -1 before any */
  guint64 sent;
  guint64 answered;
} GstResilientKeepalive;

G_GNUC_INTERNAL void gst_resilient_keepalive_init (GstResilientKeepalive * ka,
    GstResilientKeepaliveMethod method);

/* A new session: the methods of the server's `Public` header (0 when it
 * sent none), its Session timeout in seconds (0 → 60) and whether RTCP
 * receiver reports are sent. Keeps the counters. */
G_GNUC_INTERNAL void gst_resilient_keepalive_start (GstResilientKeepalive * ka,
    GstRTSPMethod server_methods, guint timeout_s, gboolean rtcp_sent);

/* The RTSP method to send, 0 for none. */
G_GNUC_INTERNAL GstRTSPMethod gst_resilient_keepalive_get_request (GstResilientKeepalive * ka);

/* Milliseconds between keep-alives: the session timeout less a margin of
 * max (timeout / 5, min (5 s, timeout / 2)) — 48 s for 60 s, 5 s for 10 s,
 * 1 s for 2 s. 0 when there is nothing to send. */
G_GNUC_INTERNAL guint gst_resilient_keepalive_interval_ms (GstResilientKeepalive * ka);

/* How long an answer may take before the session counts as lost: the
 * margin (at least 1 s). */
G_GNUC_INTERNAL guint gst_resilient_keepalive_answer_timeout_ms (GstResilientKeepalive * ka);

G_GNUC_INTERNAL void gst_resilient_keepalive_sent (GstResilientKeepalive * ka, gint64 now_us);

/* The answer to the keep-alive sent last, with status @code. */
G_GNUC_INTERNAL GstResilientKeepaliveVerdict
gst_resilient_keepalive_answered (GstResilientKeepalive * ka,
    GstRTSPStatusCode code, gint64 now_us);

G_END_DECLS
