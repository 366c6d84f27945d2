/* resilientrtsp
 * session-private.h: what session.c and session-setup.c share — the session
 * object's fields and the internal steps of the state machine. Not for any
 * other file.
 */
#pragma once

#include "session.h"

#include "auth.h"
#include "connection.h"
#include "natpunch.h"
#include "stats.h"
#include "udptransport.h"

G_BEGIN_DECLS

#define MAX_REDIRECTS 5
#define DEFAULT_SESSION_TIMEOUT 60

typedef struct _PendingRequest PendingRequest;
typedef struct _StreamPriv StreamPriv;
typedef struct _AsyncClose AsyncClose;
typedef void (*ResponseHandler) (GstResilientSession * session,
    PendingRequest * req, GstRTSPMessage * response);

/* What becomes of the control connection once TEARDOWN was answered. */
typedef enum
{
  POOL_AFTER_CLOSE,             /* closed (no TEARDOWN answered 2xx) */
  POOL_AFTER_KEEP,              /* back to the pool: the server keeps it */
  POOL_AFTER_PREWARM,           /* closed ("Connection: close"): pre-warm one */
} PoolAfter;

typedef enum
{
  CMD_OPEN = 1,                 /* non-zero: commands are stored as pointers */
  CMD_PLAY,
  CMD_PAUSE,
  CMD_KEEPALIVE,
  CMD_SWITCH_TO_TCP,
  CMD_RECONNECT,
} CommandType;


struct _PendingRequest
{
  guint cseq;
  GstRTSPMethod method;
  gchar *uri;
  GstRTSPMessage *request;      /* kept to resend with credentials */
  ResponseHandler handler;
  GSource *timeout;
};

struct _GstResilientSession
{
  GObject parent;

  /* immutable after construction */
  GstResilientIoContext *io;
  GstResilientSessionSettings settings;
  GstResilientSessionCallbacks callbacks;
  gpointer user_data;

  GMutex lock;
  GCond cond;
  GstResilientSessionState state;       /* lock */
  gboolean closed;              /* lock; no callback once set */
  gboolean teardown_done;       /* lock */
  GstResilientConnection *conn; /* lock (pointer); used on I/O thread */
  GPtrArray *streams;           /* lock (array contents); GstResilientSessionStream* */
  GstRTSPLowerTrans transport;  /* lock; transport in use, 0 before SETUP */
  gint64 open_time;             /* lock; monotonic µs at the first OPEN */
  gint64 connect_us;            /* lock; open → PLAY answered, -1 before */
  guint64 packets;              /* lock */
  guint64 bytes;                /* lock */

  /* I/O thread only */
  GQueue commands;              /* lock: pushed from any thread */
  gboolean command_running;
  CommandType current;
  GCancellable *cancellable;
  guint next_cseq;
  GHashTable *pending;          /* cseq → PendingRequest */
  gchar *url;                   /* request URL, no credentials */
  gchar *user;
  gchar *password;
  gchar *host;
  guint16 port;
  gboolean tunnel;              /* rtsph/rtspsh: over an HTTP tunnel */
  gchar *tunnel_path;           /* its GET/POST path */
  GstResilientAuth *auth;       /* NULL without credentials */
  gboolean authenticating;      /* a request was resent with credentials */
  GstResilientSessionState auth_prev_state;     /* the state before */
  GError *initial_error;        /* open_after_failure: the first failure */
  guint redirects;
  GstRTSPMethod server_methods;
  gchar *session_id;
  guint session_timeout;
  GstSDPMessage *sdp;
  GstResilientSdpInfo *info;
  GPtrArray *selected;          /* GstResilientStreamDesc* (owned by info) to set up */
  gchar *aggregate_url;
  gboolean play_after_setup;    /* re-establishing: PLAY once set up */
  StreamPriv *setup_stream;     /* the stream of the SETUP in flight */
  guint setup_index;            /* next stream of info->streams to set up */
  GstRTSPLowerTrans allowed;    /* what settings + URL scheme allow */
  GstRTSPLowerTrans trying;     /* the lower transport of the SETUP in flight */
  GError *setup_error;          /* first failure while trying transports */
  GSource *keepalive_source;
  GstResilientKeepalive keepalive;      /* lock (counters, for stats) */
  GSource *udp_check_source;
  GSource *nat_source;          /* NAT punch refresh timer (natpunch.c) */
  gboolean udp_data_seen;       /* lock */
  GstResilientRetry *retry;     /* I/O thread (stats read the counters under lock) */
  GstRTSPLowerTrans base_allowed;       /* allowed by settings + URL, before retry preferences */
  gboolean established;         /* PLAY was answered once: losses are recovered */
  gboolean want_play;           /* a PLAY command ran: re-establish to PLAYING */
  GstClockTime retry_after;     /* from the last 503, NONE if none */
  GSource *retry_source;
  GSource *stall_source;
  gint64 last_rtp_us;           /* lock; monotonic time of the last RTP packet */
  guint recoveries;             /* lock */
  GstResilientSetupTimes setup_times;   /* lock; the last connection attempt */
  gint64 outage_start_us;       /* lock; monotonic µs, 0 = not in an outage */
  gint64 outage_total_us;       /* lock; outages that ended */
  gboolean hold_packets;        /* PLAY in flight: queue packets until answered */
  GQueue held;                  /* HeldPacket*, I/O thread */
  AsyncClose *async_close;       /* I/O thread; close_async in progress */
  /* connection pool (connpool.c; session-connect.c), I/O thread */
  gchar *pool_key;              /* the control connection's pool key; NULL:
                                 * not poolable (pool-idle-timeout 0, tunnel) */
  gboolean pool_bypass;         /* the next connect makes a fresh connection */
  gboolean conn_reused;         /* lock; the control connection came from the pool */
  /* interleaved payload bytes (zero-copy stats), lock: the connection's own
   * counts when it became ours (a pooled one has counted before), and the
   * totals of the connections dropped since the element started */
  guint64 conn_shared_base;
  guint64 conn_copied_base;
  guint64 dropped_shared;
  guint64 dropped_copied;
  gboolean conn_answered;       /* a message came on it since */
  gboolean conn_via_proxy;      /* it goes through a proxy */
  guint64 teardown_mark;        /* messages received before TEARDOWN was sent */
  PoolAfter pool_after;         /* TEARDOWN answered: what becomes of it */
  gint8 channel_map[256];       /* interleaved channel → stream position, -1 */
  gboolean channel_is_rtcp[256];
};

/* A set-up stream, with what the UDP callbacks need to find the session. */
struct _StreamPriv
{
  GstResilientSessionStream pub;
  GstResilientSession *session; /* not a ref: streams live inside the session */
  GstResilientNatPunch nat;     /* I/O thread; natpunch.c */
};


G_GNUC_INTERNAL void gst_resilient_session_deliver (GstResilientSession * session,
    guint index, gboolean is_rtcp, GstBuffer * buf);
G_GNUC_INTERNAL void gst_resilient_session_fail (GstResilientSession * session, GError * error);
G_GNUC_INTERNAL gboolean gst_resilient_session_send_request (GstResilientSession * session, GstRTSPMessage * msg, ResponseHandler handler);
/* Same, with its own answer timeout (0: tcp-timeout). */
G_GNUC_INTERNAL gboolean gst_resilient_session_send_request_full (GstResilientSession * session, GstRTSPMessage * msg, ResponseHandler handler, guint timeout_ms);
G_GNUC_INTERNAL GstRTSPMessage * gst_resilient_session_new_request (GstResilientSession * session, GstRTSPMethod method, const gchar * uri);
G_GNUC_INTERNAL gboolean gst_resilient_session_handle_failure (GstResilientSession * session, PendingRequest * req, GstRTSPMessage * response, GstRTSPStatusCode code, const gchar * reason);
G_GNUC_INTERNAL gboolean gst_resilient_session_check_session_header (GstResilientSession * session, GstRTSPMessage * response);
G_GNUC_INTERNAL void gst_resilient_session_command_done (GstResilientSession * session);
G_GNUC_INTERNAL void gst_resilient_session_set_state (GstResilientSession * session, GstResilientSessionState state, const gchar * reason);
G_GNUC_INTERNAL gboolean gst_resilient_session_is_closed (GstResilientSession * session);
G_GNUC_INTERNAL void gst_resilient_session_start_play (GstResilientSession * session);
G_GNUC_INTERNAL void gst_resilient_session_stream_free (gpointer data);
G_GNUC_INTERNAL void gst_resilient_session_destroy_source (GSource ** source);
G_GNUC_INTERNAL void gst_resilient_session_send_setup (GstResilientSession * session);
G_GNUC_INTERNAL void gst_resilient_session_streams_set_up (GstResilientSession * session);

G_GNUC_INTERNAL void gst_resilient_session_enqueue (GstResilientSession * session, CommandType type);
G_GNUC_INTERNAL void gst_resilient_session_drop_transport (GstResilientSession * session);
G_GNUC_INTERNAL void gst_resilient_session_start_connect (GstResilientSession * session);
G_GNUC_INTERNAL gboolean gst_resilient_session_recover (GstResilientSession * session, GError * error);
G_GNUC_INTERNAL void gst_resilient_session_reconnect (GstResilientSession * session);
G_GNUC_INTERNAL void gst_resilient_session_switch_to_tcp (GstResilientSession * session);
G_GNUC_INTERNAL gboolean gst_resilient_session_stall_check (gpointer data);
G_GNUC_INTERNAL gboolean gst_resilient_session_udp_check (gpointer data);
/* natpunch.c: every stream is set up: punch (nat-method=dummy), turn source
 * learning on or off and start the refresh timer (nat_source). */
G_GNUC_INTERNAL void gst_resilient_session_nat_punch_start (GstResilientSession * session);
/* session.c, for session-connect.c */
G_GNUC_INTERNAL extern const GstResilientConnectionCallbacks gst_resilient_session_conn_callbacks;
G_GNUC_INTERNAL gboolean gst_resilient_session_prepare_url (GstResilientSession * session,
    const gchar * location, GError ** error);
G_GNUC_INTERNAL void gst_resilient_session_prepare_auth (GstResilientSession * session);
G_GNUC_INTERNAL gboolean gst_resilient_session_retry_with_auth (GstResilientSession * session,
    PendingRequest * req, GstRTSPMessage * response, GError ** error);
/* session-play.c */
G_GNUC_INTERNAL void gst_resilient_session_start_pause (GstResilientSession * session);
/* session-play.c: closing — TEARDOWN if a session exists, else done */
G_GNUC_INTERNAL void gst_resilient_session_close_teardown (GstResilientSession * session);
/* session-connect.c: the control connection is done with (drop_transport):
 * back to the pool, or closed (a fresh one pre-warmed); takes @conn */
G_GNUC_INTERNAL void gst_resilient_session_conn_done (GstResilientSession * session,
    GstResilientConnection * conn);
/* session-connect.c: a connection taken from the pool failed (@error: lost
 * or timed out) before its first answer: TRUE when a fresh one is being
 * made instead (@error consumed) */
G_GNUC_INTERNAL gboolean gst_resilient_session_pool_fallback (GstResilientSession * session,
    GError * error);
/* session.c: hands the packets held while PLAY was in flight on */
G_GNUC_INTERNAL void gst_resilient_session_release_held_packets (GstResilientSession * session);
/* keepalive.c */
G_GNUC_INTERNAL void gst_resilient_session_keepalive_start (GstResilientSession * session);
G_GNUC_INTERNAL void gst_resilient_session_send_keepalive (GstResilientSession * session);
G_GNUC_INTERNAL void gst_resilient_session_send_teardown_best_effort (GstResilientSession * session);

G_END_DECLS
