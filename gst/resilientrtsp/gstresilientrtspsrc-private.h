/* resilientrtsp
 * gstresilientrtspsrc-private.h: what the element's two files share — its
 * settings, its instance struct, its signals, and the callbacks and stats
 * of gstresilientrtspsrc-messages.c.
 */
#pragma once

#include "gstresilientrtspsrc.h"

#include <gst/rtsp/rtsp.h>
#include <gst/sdp/sdp.h>

#include "iocontext.h"
#include "keepalive.h"
#include "media.h"
#include "natpunch.h"
#include "retry.h"
#include "race.h"
#include "session.h"
#include "telemetry.h"

G_BEGIN_DECLS

enum
{
  SIGNAL_ON_SDP,
  SIGNAL_SELECT_STREAM,
  SIGNAL_NEW_MANAGER,
  SIGNAL_BEFORE_SEND,
  SIGNAL_ACCEPT_CERTIFICATE,
  LAST_SIGNAL
};

G_GNUC_INTERNAL extern guint gst_resilient_rtsp_src_signals[LAST_SIGNAL];

typedef struct
{
  gchar *location;
  GstRTSPLowerTrans protocols;
  guint latency_ms;
  gchar *user_id;
  gchar *user_pw;
  guint64 timeout_us;
  guint64 tcp_timeout_us;
  gchar *user_agent;
  gboolean do_rtcp;
  GstResilientNatMethod nat_method;
  guint64 teardown_timeout;
  guint port_min;
  guint port_max;
  gint udp_buffer_size;
  GstResilientDepayloadMode depayload;
  GstResilientRtpManager rtp_manager;
  guint stats_interval_ms;
  GstResilientRetrySettings retry;      /* times in ns */
  gboolean retry_initial;
  guint stall_timeout_ms;
  GstResilientKeepaliveMethod keepalive_method;
  gboolean do_rtsp_keep_alive;
  GstResilientRaceSettings race;        /* teardown_timeout_ns unused */
  GTlsCertificateFlags tls_validation_flags;
  GTlsDatabase *tls_database;
  GTlsInteraction *tls_interaction;
  gchar *proxy;
  gchar *proxy_id;
  gchar *proxy_pw;
  GstStructure *extra_http_request_headers;
  gboolean ignore_x_server_reply;
  guint pool_idle_timeout;      /* s */
} Settings;

struct _GstResilientRtspSrc
{
  GstBin parent;

  GMutex settings_lock;
  Settings settings;            /* settings_lock */

  /* guards session/media pointers for readers outside the state-change
   * thread (the stats property); never taken on the data path */
  GMutex runtime_lock;

  /* state-change thread; read-only for the I/O and streaming threads while
   * a session exists (they run only between READY→PAUSED and PAUSED→READY) */
  GstResilientIoContext *io;
  GstResilientRace *race;       /* the session(s) */
  GstResilientMedia *media;
  GSource *stats_source;        /* attached to the I/O context */
  GstResilientTelemetrySource *telemetry;       /* NULL without a session */
  gboolean no_more_pads;        /* I/O thread */
};

/* gstresilientrtspsrc-messages.c */
G_GNUC_INTERNAL extern const GstResilientSessionCallbacks gst_resilient_rtsp_src_session_callbacks;
G_GNUC_INTERNAL extern const GstResilientMediaCallbacks gst_resilient_rtsp_src_media_callbacks;
/* the stats structure (the `stats` property and message); any thread */
G_GNUC_INTERNAL GstStructure *gst_resilient_rtsp_src_build_stats (GstResilientRtspSrc * src);
/* every stats-interval on the I/O context: the stats message */
G_GNUC_INTERNAL gboolean gst_resilient_rtsp_src_stats_tick (gpointer data);

G_END_DECLS
