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

#define DEFAULT_LOCATION NULL
#define DEFAULT_PROTOCOLS (GST_RTSP_LOWER_TRANS_UDP | \
    GST_RTSP_LOWER_TRANS_UDP_MCAST | GST_RTSP_LOWER_TRANS_TCP)
#define DEFAULT_LATENCY_MS 2000
#define DEFAULT_TIMEOUT_US (5 * G_USEC_PER_SEC)
#define DEFAULT_TCP_TIMEOUT_US (20 * G_USEC_PER_SEC)
#define DEFAULT_USER_AGENT "resilientrtsp/" VERSION
#define DEFAULT_DO_RTCP TRUE
#define DEFAULT_NAT_METHOD GST_RESILIENT_NAT_METHOD_DUMMY
#define DEFAULT_TEARDOWN_TIMEOUT (100 * GST_MSECOND)
#define DEFAULT_UDP_BUFFER_SIZE 0x80000
#define DEFAULT_DEPAYLOAD GST_RESILIENT_DEPAYLOAD_AUTO
#define DEFAULT_RTP_MANAGER GST_RESILIENT_RTP_MANAGER_BUILTIN
#define DEFAULT_STATS_INTERVAL_MS 1000
#define DEFAULT_RETRY_STRATEGY GST_RESILIENT_RETRY_AUTO
#define DEFAULT_RETRY_MAX_ATTEMPTS -1
#define DEFAULT_RETRY_INITIAL_DELAY_MS 100
#define DEFAULT_RETRY_MAX_DELAY_MS 30000
#define DEFAULT_RETRY_MULTIPLIER 2.0
#define DEFAULT_RETRY_JITTER 0.2
#define DEFAULT_STALL_TIMEOUT_MS 5000
#define DEFAULT_RETRY_INITIAL_CONNECT TRUE
#define DEFAULT_KEEPALIVE_METHOD GST_RESILIENT_KEEPALIVE_AUTO
#define DEFAULT_DO_RTSP_KEEP_ALIVE TRUE
#define DEFAULT_TLS_VALIDATION_FLAGS G_TLS_CERTIFICATE_VALIDATE_ALL
#define DEFAULT_RACE_MODE GST_RESILIENT_RACE_FIRST_WINS
#define DEFAULT_RACE_STAGGER_MS 250
#define DEFAULT_RACE_MAX_PARALLEL 0
#define DEFAULT_RACE_DUPLICATES 0
#define DEFAULT_POOL_IDLE_TIMEOUT 30

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_PROTOCOLS,
  PROP_LATENCY,
  PROP_USER_ID,
  PROP_USER_PW,
  PROP_TIMEOUT,
  PROP_TCP_TIMEOUT,
  PROP_USER_AGENT,
  PROP_DO_RTCP,
  PROP_NAT_METHOD,
  PROP_TEARDOWN_TIMEOUT,
  PROP_PORT_RANGE,
  PROP_UDP_BUFFER_SIZE,
  PROP_DEPAYLOAD,
  PROP_RTP_MANAGER,
  PROP_STATS_INTERVAL,
  PROP_STATS,
  PROP_RETRY_STRATEGY,
  PROP_RETRY_MAX_ATTEMPTS,
  PROP_RETRY_INITIAL_DELAY,
  PROP_RETRY_MAX_DELAY,
  PROP_RETRY_MULTIPLIER,
  PROP_RETRY_JITTER,
  PROP_RETRY_INITIAL_CONNECT,
  PROP_FAIL_FAST,
  PROP_STALL_TIMEOUT,
  PROP_KEEPALIVE_METHOD,
  PROP_DO_RTSP_KEEP_ALIVE,
  PROP_RACE_MODE,
  PROP_RACE_STAGGER,
  PROP_RACE_MAX_PARALLEL,
  PROP_RACE_DUPLICATES,
  PROP_TLS_VALIDATION_FLAGS,
  PROP_TLS_DATABASE,
  PROP_TLS_INTERACTION,
  PROP_PROXY,
  PROP_PROXY_ID,
  PROP_PROXY_PW,
  PROP_EXTRA_HTTP_REQUEST_HEADERS,
  PROP_IGNORE_X_SERVER_REPLY,
  PROP_POOL_IDLE_TIMEOUT,
  PROP_STATE,
};

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

/* The property values (settings_lock). What the session takes is embedded
 * whole; the rest is the element's own or the media's. */
typedef struct
{
  /* location, credentials, transports, timeouts (timeout → udp_timeout_us),
   * RTCP, NAT, ports, retry, stall, keep-alive method, TLS, proxy, HTTP
   * tunnel, pool-idle-timeout (in ms) */
  GstResilientSessionSettings session;
  gboolean do_rtsp_keep_alive;  /* FALSE: keep-alive method none at start */
  guint latency_ms;
  GstResilientDepayloadMode depayload;
  GstResilientRtpManager rtp_manager;
  guint64 teardown_timeout;     /* ns */
  guint stats_interval_ms;
  GstResilientRaceSettings race;        /* teardown_timeout_ns unused */
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

/* gstresilientrtspsrc-settings.c */
G_GNUC_INTERNAL void gst_resilient_rtsp_src_settings_init (Settings * s);
G_GNUC_INTERNAL void gst_resilient_rtsp_src_settings_clear (Settings * s);
G_GNUC_INTERNAL void gst_resilient_rtsp_src_set_property (GObject * object,
    guint prop_id, const GValue * value, GParamSpec * pspec);
G_GNUC_INTERNAL void gst_resilient_rtsp_src_get_property (GObject * object,
    guint prop_id, GValue * value, GParamSpec * pspec);
G_GNUC_INTERNAL gboolean gst_resilient_rtsp_src_settings_for_start (GstResilientRtspSrc * src,
    GstResilientSessionSettings * session, GstResilientRaceSettings * race,
    GstResilientMediaSettings * media, guint * stats_interval_ms);

/* gstresilientrtspsrc-messages.c */
/* the element's telemetry series, from start to cleanup */
G_GNUC_INTERNAL void gst_resilient_rtsp_src_telemetry_start (GstResilientRtspSrc * src,
    const gchar * location);
G_GNUC_INTERNAL void gst_resilient_rtsp_src_telemetry_stop (GstResilientRtspSrc * src);
G_GNUC_INTERNAL extern const GstResilientSessionCallbacks gst_resilient_rtsp_src_session_callbacks;
G_GNUC_INTERNAL extern const GstResilientMediaCallbacks gst_resilient_rtsp_src_media_callbacks;
/* the stats structure (the `stats` property and message); any thread */
G_GNUC_INTERNAL GstStructure *gst_resilient_rtsp_src_build_stats (GstResilientRtspSrc * src);
/* every stats-interval on the I/O context: the stats message */
G_GNUC_INTERNAL gboolean gst_resilient_rtsp_src_stats_tick (gpointer data);

G_END_DECLS
