/* resilientrtsp
 * session.h: the RTSP client state machine of one element.
 *
 * All RTSP work runs on the shared I/O context as typed commands taken from
 * a FIFO one at a time (open, play, teardown, keep-alive); callers on other
 * threads only enqueue. The session knows nothing of pads: it reports through
 * GstResilientSessionCallbacks, all called on the I/O thread.
 */
#pragma once

#include <gst/gst.h>
#include <gst/rtsp/rtsp.h>
#include <gst/sdp/sdp.h>

#include "iocontext.h"
#include "keepalive.h"
#include "natpunch.h"
#include "retry.h"
#include "sdpstreams.h"

G_BEGIN_DECLS

/**
 * GstResilientSessionState:
 * The session's own states (not the element's GstState).
 */
typedef enum
{
  GST_RESILIENT_SESSION_IDLE,
  GST_RESILIENT_SESSION_CONNECTING,     /* DNS + TCP connect */
  GST_RESILIENT_SESSION_AUTHENTICATING, /* a request resent with credentials */
  GST_RESILIENT_SESSION_NEGOTIATING,    /* OPTIONS, DESCRIBE, SETUP */
  GST_RESILIENT_SESSION_READY,          /* set up, not playing */
  GST_RESILIENT_SESSION_PLAYING,
  GST_RESILIENT_SESSION_PAUSED,         /* PAUSE answered */
  GST_RESILIENT_SESSION_RECOVERING,     /* re-establishing (e.g. UDP→TCP switch) */
  GST_RESILIENT_SESSION_CLOSING,        /* TEARDOWN sent */
  GST_RESILIENT_SESSION_CLOSED,
  GST_RESILIENT_SESSION_FAILED,
} GstResilientSessionState;

G_GNUC_INTERNAL const gchar *gst_resilient_session_state_name (GstResilientSessionState state);

/* "udp", "udp-mcast", "tcp", or @none for anything else (e.g. 0). */
G_GNUC_INTERNAL const gchar *gst_resilient_session_transport_name (GstRTSPLowerTrans transport,
    const gchar * none);

typedef struct
{
  gchar *location;              /* rtsp[s][u|t]://[user:pw@]host[:port]/path */
  gchar *user_id;               /* overrides URL credentials when set */
  gchar *user_pw;
  gchar *user_agent;
  GstRTSPLowerTrans protocols;
  /* racing (race.c): until the first PLAY is answered, offer only these
   * of the allowed transports; 0 = no restriction. Recoveries use all. */
  GstRTSPLowerTrans first_transports;
  guint64 udp_timeout_us;       /* no UDP data for this long after PLAY → retry over TCP; 0 = never */
  guint64 tcp_timeout_us;       /* per-request answer timeout; also the connect timeout */
  guint port_min, port_max;     /* UDP client ports, 0/0 = any */
  gint udp_buffer_size;
  gboolean do_rtcp;
  GstResilientNatMethod nat_method;     /* UDP hole punching + source learning */
  GstResilientRetrySettings retry;      /* after a session was lost */
  gboolean retry_initial;       /* also retry before the first PLAY was answered */
  guint stall_timeout_ms;       /* no RTP for this long while playing → lost; 0 = never */
  GstResilientKeepaliveMethod keepalive_method;
  /* the connector's (see GstResilientConnectOptions in connection.h); TLS
   * itself comes from the URL scheme (rtsps, rtspsu, rtspst) */
  GTlsCertificateFlags tls_validation_flags;    /* 0 accepts any certificate: set it */
  GTlsDatabase *tls_database;   /* a reference, or NULL: the system's CAs */
  GTlsInteraction *tls_interaction;     /* a reference, or NULL */
  gchar *proxy;                 /* NULL: GIO's default proxy resolver */
  gchar *proxy_id;
  gchar *proxy_pw;
  /* rtsph:// and rtspsh:// (RTSP tunnelled over HTTP) */
  GstStructure *extra_http_request_headers;     /* owned, or NULL */
  gboolean ignore_x_server_reply;
  /* connection pool (connpool.h): how long a control connection given back
   * (or pre-warmed) stays pooled; 0 = no pooling at all (none taken, none
   * given back) */
  guint pool_idle_timeout_ms;
} GstResilientSessionSettings;

G_GNUC_INTERNAL void gst_resilient_session_settings_clear (GstResilientSessionSettings * s);
G_GNUC_INTERNAL void gst_resilient_session_settings_copy (GstResilientSessionSettings * dest,
    const GstResilientSessionSettings * src);

/* One set-up stream. */
typedef struct
{
  guint index;                  /* same as desc->index */
  GstResilientStreamDesc *desc; /* owned by the session's SDP info */
  GstRTSPLowerTrans transport;  /* UDP, TCP or UDP_MCAST as negotiated */
  guint8 rtp_channel;           /* TCP: interleaved channels */
  guint8 rtcp_channel;
  guint server_rtp_port;        /* UDP: the server's ports (0 if not given) */
  guint server_rtcp_port;
  guint client_rtp_port;        /* UDP: ours */
  guint32 ssrc;                 /* from Transport: ssrc=, when has_ssrc */
  gboolean has_ssrc;
  gint seqnum_base;             /* from the PLAY answer's RTP-Info, -1 if none */
  gint64 clock_base;            /* rtptime from RTP-Info, -1 if none */
  gpointer udp;                 /* GstResilientUdpTransport *, UDP/multicast only */
} GstResilientSessionStream;

#define GST_TYPE_RESILIENT_SESSION (gst_resilient_session_get_type ())
G_DECLARE_FINAL_TYPE (GstResilientSession, gst_resilient_session,
    GST, RESILIENT_SESSION, GObject);

typedef struct
{
  void (*state_changed) (GstResilientSession * session,
      GstResilientSessionState old_state, GstResilientSessionState new_state,
      const gchar * reason, gpointer user_data);
  /* The DESCRIBE answer, before stream selection (on-sdp). */
  void (*sdp) (GstResilientSession * session, GstSDPMessage * sdp,
      gpointer user_data);
  /* Whether to set up @desc (select-stream). NULL callback = all streams. */
  gboolean (*select_stream) (GstResilientSession * session,
      const GstResilientStreamDesc * desc, gpointer user_data);
  /* Called for every request before it is sent; may modify @msg; FALSE
   * means don't send it (the request then counts as answered 200 OK). */
  gboolean (*before_send) (GstResilientSession * session, GstRTSPMessage * msg,
      gpointer user_data);
  /* Every selected stream is set up: GstResilientSessionStream* array, valid
   * until the session is closed or re-established. Called again after a
   * re-establishment with the new transports. */
  void (*streams_ready) (GstResilientSession * session, GPtrArray * streams,
      gpointer user_data);
  /* PLAY was answered; @streams carry the RTP-Info values. Called before
   * any packet of the new PLAY is delivered. */
  void (*playing) (GstResilientSession * session, GPtrArray * streams,
      gpointer user_data);
  /* An RTP or RTCP packet of stream @index; @buf (transfer full). */
  void (*packet) (GstResilientSession * session, guint index, gboolean is_rtcp,
      GstBuffer * buf, gpointer user_data);
  /* A played session was lost; attempt @attempt follows in @delay.
   * @error is why (GST_RESILIENT_ERROR domain), @reason the retry logic's
   * explanation, @transport the one it will try (0 = as allowed). */
  void (*reconnecting) (GstResilientSession * session, guint attempt,
      GstClockTime delay, const GError * error, GstRTSPLowerTrans transport,
      const gchar * reason, gpointer user_data);
  /* PLAY answered again after an outage of @outage (first failure → now)
   * that took @attempts attempts. */
  void (*recovered) (GstResilientSession * session, GstClockTime outage,
      guint attempts, gpointer user_data);
  /* A fatal error; the session is FAILED and its connection closed. */
  void (*error) (GstResilientSession * session, const GError * error,
      gpointer user_data);
  /* rtsps: the server's certificate failed validation (@errors, masked by
   * tls_validation_flags, is not 0); TRUE accepts it anyway. NULL callback:
   * rejected (a tls error). Called during the TLS handshake; must not
   * block. */
  gboolean (*accept_certificate) (GstResilientSession * session,
      GTlsConnection * conn, GTlsCertificate * peer_cert,
      GTlsCertificateFlags errors, gpointer user_data);
} GstResilientSessionCallbacks;

G_GNUC_INTERNAL
GstResilientSession *gst_resilient_session_new (GstResilientIoContext * io,
    const GstResilientSessionSettings * settings,
    const GstResilientSessionCallbacks * callbacks, gpointer user_data);

/* Any thread: enqueue commands. */
G_GNUC_INTERNAL void gst_resilient_session_open (GstResilientSession * session);
/* As _open (), for a session whose first attempt already failed elsewhere
 * (a lost connection race) with @error: goes straight to the retry logic
 * (retry-initial-connect), or to the error callback if it gives up. */
G_GNUC_INTERNAL void gst_resilient_session_open_after_failure (GstResilientSession * session,
    const GError * error);
G_GNUC_INTERNAL void gst_resilient_session_play (GstResilientSession * session);
/* PAUSE the playing session (PLAY resumes it); a session that is being
 * (re-)established stops at "ready" instead of playing. */
G_GNUC_INTERNAL void gst_resilient_session_pause (GstResilientSession * session);

/**
 * gst_resilient_session_close:
 * Any thread but the I/O thread. Sends TEARDOWN if a session exists and waits
 * for its answer at most @teardown_timeout_ns; then closes the connection and
 * the UDP sockets. When it returns no callback runs any more. Pending commands
 * are cancelled. Never sends PAUSE.
 */
G_GNUC_INTERNAL void gst_resilient_session_close (GstResilientSession * session,
    guint64 teardown_timeout_ns);

/**
 * gst_resilient_session_close_async:
 * Any thread, the I/O thread included. As gst_resilient_session_close (),
 * but returns at once: no callback runs any more from now on, TEARDOWN is
 * sent if a session exists, and the connection and UDP sockets are closed
 * when it is answered or after @teardown_timeout_ns. Then @done runs on
 * the I/O thread (may be NULL). Takes a reference of its own.
 */
G_GNUC_INTERNAL void gst_resilient_session_close_async (GstResilientSession * session,
    guint64 teardown_timeout_ns, GFunc done, gpointer user_data);

/* Any thread. Sends an RTCP packet of stream @index to the server (UDP or
 * interleaved); dropped when not possible. @buf (transfer full). */
G_GNUC_INTERNAL void gst_resilient_session_send_rtcp (GstResilientSession * session,
    guint index, GstBuffer * buf);

G_GNUC_INTERNAL GstResilientSessionState gst_resilient_session_get_state (GstResilientSession * session);

/* Adds the session-level fields of the stats structure (transport,
 * connect-ms, bytes/packets received, zero-copy-ratio). Any thread. */
G_GNUC_INTERNAL void gst_resilient_session_fill_stats (GstResilientSession * session,
    GstStructure * stats);

G_END_DECLS
