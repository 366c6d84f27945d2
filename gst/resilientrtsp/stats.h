/* resilientrtsp
 * stats.h: pure building blocks of the `stats` structure — no I/O, no
 * clock, no locks; the caller passes the times in (monotonic µs, as
 * g_get_monotonic_time() gives) and guards the structs with its own lock.
 *
 *  - GstResilientSetupTimes: the set-up time breakdown of one connection
 *    attempt (DNS, TCP connect, proxy handshake, TLS, the round trip of
 *    each RTSP request up to PLAY) and the address connected to;
 *  - GstResilientSeqTracker: duplicated and reordered RTP packets of one
 *    stream, by sequence number, at the cost of a few integer operations
 *    per packet (no allocation).
 */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>
#include <gst/rtsp/rtsp.h>

G_BEGIN_DECLS

/**
 * GstResilientSetupPhase:
 * @GST_RESILIENT_SETUP_DNS: RESOLVING → RESOLVED (GSocketClient's events)
 * @GST_RESILIENT_SETUP_TCP_CONNECT: the first CONNECTING → CONNECTED (all
 *   the addresses tried until one answered)
 * @GST_RESILIENT_SETUP_PROXY: PROXY_NEGOTIATING → PROXY_NEGOTIATED (HTTP
 *   CONNECT or SOCKS handshake)
 * @GST_RESILIENT_SETUP_TLS: TLS_HANDSHAKING → TLS_HANDSHAKED
 * @GST_RESILIENT_SETUP_OPTIONS: OPTIONS sent → answered
 * @GST_RESILIENT_SETUP_DESCRIBE: DESCRIBE sent → answered
 * @GST_RESILIENT_SETUP_SETUP: SETUP sent → answered, summed over the
 *   streams
 * @GST_RESILIENT_SETUP_PLAY: PLAY sent → answered
 *
 * The connection phases count once per attempt: the first begin and the
 * first end after it (an HTTP tunnel's second connection, or a second
 * address's events, change nothing). A request phase is the sum of the
 * round trips of its exchanges: a 401 challenge and the request resent with
 * credentials both count; a request answered by nobody counts nothing.
 */
typedef enum
{
  GST_RESILIENT_SETUP_DNS,
  GST_RESILIENT_SETUP_TCP_CONNECT,
  GST_RESILIENT_SETUP_PROXY,
  GST_RESILIENT_SETUP_TLS,
  GST_RESILIENT_SETUP_OPTIONS,
  GST_RESILIENT_SETUP_DESCRIBE,
  GST_RESILIENT_SETUP_SETUP,
  GST_RESILIENT_SETUP_PLAY,
  GST_RESILIENT_SETUP_N_PHASES
} GstResilientSetupPhase;

/* SETUP exchanges listed one by one in "setup-stream-ms"; later ones are
 * still summed in "setup-ms". */
#define GST_RESILIENT_SETUP_MAX_EXCHANGES 16

/**
 * GstResilientSetupTimes:
 *
 * Opaque in spirit: use the functions. A plain struct so that it lives
 * inside its owner without an allocation. Zero-filled memory is not valid:
 * call gst_resilient_setup_times_init().
 */
typedef struct
{
  gint64 start_us;              /* 0: no attempt yet */
  gint64 begin_us[GST_RESILIENT_SETUP_N_PHASES];        /* 0: not running */
  gint64 duration_us[GST_RESILIENT_SETUP_N_PHASES];     /* -1: none ended */
  gint64 exchange_us[GST_RESILIENT_SETUP_MAX_EXCHANGES];        /* SETUP */
  guint n_exchanges;
  gint64 playing_us;            /* start → PLAY answered 2xx, -1 before */
  gboolean via_proxy;           /* a proxy handshake began */
  gchar peer[64];               /* "ip:port" / "[ip6]:port", "" before */
} GstResilientSetupTimes;

/* Nothing measured, no attempt started. */
G_GNUC_INTERNAL void gst_resilient_setup_times_init (GstResilientSetupTimes * times);

/* A new connection attempt starts at @now_us: everything measured before
 * is forgotten (the breakdown is always the most recent attempt's). */
G_GNUC_INTERNAL void gst_resilient_setup_times_start (GstResilientSetupTimes * times,
    gint64 now_us);

/* A GSocketClientEvent of the connection being made (RESOLVING, RESOLVED,
 * CONNECTING, CONNECTED, PROXY_NEGOTIATING, PROXY_NEGOTIATED,
 * TLS_HANDSHAKING, TLS_HANDSHAKED; others are ignored). Ignored before
 * _start() and once PLAY was answered. */
G_GNUC_INTERNAL void gst_resilient_setup_times_connect_event (GstResilientSetupTimes * times,
    GSocketClientEvent event, gint64 now_us);

/* The address the control connection's TCP socket is connected to (the
 * proxy's when one is used); the first one of an attempt is kept. NULL or a
 * non-IP address is ignored. */
G_GNUC_INTERNAL void gst_resilient_setup_times_set_peer (GstResilientSetupTimes * times,
    GSocketAddress * address);

/* A request of @method was sent at @now_us. Only OPTIONS, DESCRIBE, SETUP
 * and PLAY are timed, and only until PLAY was answered 2xx (so keep-alive
 * OPTIONS and a PLAY resuming after PAUSE change nothing). */
G_GNUC_INTERNAL void gst_resilient_setup_times_request_sent (GstResilientSetupTimes * times,
    GstRTSPMethod method, gint64 now_us);

/* The answer (@code) to the request of @method sent last arrived at
 * @now_us. A 2xx answer to PLAY ends the attempt's breakdown. */
G_GNUC_INTERNAL void gst_resilient_setup_times_request_answered (GstResilientSetupTimes * times,
    GstRTSPMethod method, GstRTSPStatusCode code, gint64 now_us);

/* Milliseconds of @phase, -1 when it was not measured (not begun or not
 * ended: e.g. no TLS, no proxy, no answer yet). */
G_GNUC_INTERNAL gdouble gst_resilient_setup_times_get_ms (const GstResilientSetupTimes * times,
    GstResilientSetupPhase phase);

/**
 * gst_resilient_setup_times_to_structure:
 *
 * Returns: (transfer full): a "setup" structure: `dns-ms`,
 * `tcp-connect-ms`, `proxy-ms`, `tls-ms`, `options-ms`, `describe-ms`,
 * `setup-ms`, `play-ms` (gdouble, -1 when not measured), `setup-stream-ms`
 * (GstValueArray of gdouble, one per SETUP exchange in the order sent),
 * `playing-ms` (gdouble: the attempt's start → PLAY answered, -1 before),
 * and `first-rtp-ms`, `first-buffer-ms` set to -1 (the receive pipeline
 * fills them in).
 */
G_GNUC_INTERNAL GstStructure *gst_resilient_setup_times_to_structure (const GstResilientSetupTimes * times);

/**
 * GstResilientSeqVerdict:
 * @GST_RESILIENT_SEQ_NEXT: newer than every packet seen (gaps are losses,
 *   not counted here)
 * @GST_RESILIENT_SEQ_REORDERED: older than the newest, not seen before
 * @GST_RESILIENT_SEQ_DUPLICATE: seen before
 * @GST_RESILIENT_SEQ_RESTART: the first packet, a new SSRC, or a jump
 *   (more than 3000 ahead or 64 behind): counting starts again from it
 */
typedef enum
{
  GST_RESILIENT_SEQ_NEXT,
  GST_RESILIENT_SEQ_REORDERED,
  GST_RESILIENT_SEQ_DUPLICATE,
  GST_RESILIENT_SEQ_RESTART,
} GstResilientSeqVerdict;

/* Packets up to this far behind the newest are told apart exactly
 * (duplicate or reordered); older ones restart the tracking. */
#define GST_RESILIENT_SEQ_WINDOW 64
/* A jump ahead by more than this restarts the tracking (RFC 3550 A.1) */
#define GST_RESILIENT_SEQ_MAX_DROPOUT 3000

typedef struct
{
  gboolean started;
  guint32 ssrc;
  guint16 max_seq;              /* the newest sequence number */
  guint64 window;               /* bit i: max_seq - i was seen */
  guint64 duplicates;           /* totals, kept across restarts */
  guint64 reordered;
} GstResilientSeqTracker;

/* Zero counters, nothing seen. (Zero-filled memory is the same.) */
G_GNUC_INTERNAL void gst_resilient_seq_tracker_init (GstResilientSeqTracker * tracker);

/* Forget the sequence (a new PLAY, where numbers jump); keep the totals. */
G_GNUC_INTERNAL void gst_resilient_seq_tracker_restart (GstResilientSeqTracker * tracker);

/* One RTP packet of @ssrc with sequence number @seq. */
G_GNUC_INTERNAL GstResilientSeqVerdict gst_resilient_seq_tracker_push (GstResilientSeqTracker * tracker,
    guint32 ssrc, guint16 seq);

G_END_DECLS
