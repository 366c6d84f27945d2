/* resilientrtsp
 * gstresilientrtspsrc.c: the element — property and signal declarations,
 * state changes, the URI handler. Property values are kept by
 * gstresilientrtspsrc-settings.c, bus messages, stats and telemetry by
 * gstresilientrtspsrc-messages.c. The RTSP work lives in session.c, the
 * receive pipeline in media.c; this file wires them together.
 *
 * locking order: settings_lock and runtime_lock are never held together.
 * Runtime fields are written only by the state-change thread.
 */

/**
 * SECTION:element-resilientrtspsrc
 * @title: resilientrtspsrc
 *
 * An RTSP client source that keeps streaming when real networks and real
 * cameras misbehave. Where `rtspsrc` has a property or signal for a concept,
 * resilientrtspsrc uses the same name, type and meaning, so a working
 * `rtspsrc` line works after changing only the element name (with
 * `depayload=false`, or with the default when the next element takes
 * elementary streams).
 *
 * All RTSP connections, timers and UDP sockets of every instance run on one
 * shared I/O thread: no per-stream reader threads.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 resilientrtspsrc location=rtsp://127.0.0.1:8554/test ! decodebin ! autovideosink
 * gst-launch-1.0 resilientrtspsrc location=rtsp://cam/stream depayload=false protocols=tcp ! rtph264depay ! h264parse ! fakesink
 * gst-launch-1.0 resilientrtspsrc location=rtsps://cam/stream proxy=socks5://user:pw@proxy:1080 ! decodebin ! autovideosink
 * ]|
 *
 * ## TLS and proxies
 * rtsps://, rtspsu:// and rtspst:// locations speak TLS on the control
 * connection (GIO's GTlsClientConnection; glib-networking must be
 * installed): see #GstResilientRtspSrc:tls-validation-flags,
 * #GstResilientRtspSrc:tls-database, #GstResilientRtspSrc:tls-interaction
 * and #GstResilientRtspSrc::accept-certificate. #GstResilientRtspSrc:proxy
 * (HTTP CONNECT, SOCKS5, SOCKS4a) carries every connection; unset, the
 * environment's proxy variables apply (through GIO's proxy resolver).
 *
 * ## Bus messages
 * Element messages posted by the element:
 *
 * * `resilientrtsp-state`: the session changed state. Fields: `state`
 *   (string: idle, connecting, negotiating, ready, playing, recovering,
 *   closing, closed, failed), `previous` (string), `reason` (string, only
 *   when there is one, e.g. why a transport switch happened or why it failed).
 * * `resilientrtsp-reconnecting`: a lost session will be re-established:
 *   `attempt` (guint), `delay-ms` (guint64), `class` (string, the failure
 *   class), `error` (string), `transport` (string: udp, tcp, udp-mcast,
 *   any), `reason` (string, the retry strategy's explanation).
 * * `resilientrtsp-recovered`: PLAY answered again after an outage:
 *   `outage-ms` (guint64), `attempts` (guint).
 * * `resilientrtsp-streams-changed`: a re-established session describes
 *   other streams than before: `streams` (guint, now), `added` (guint, new
 *   pads), `missing` (guint, pads that stay but get no data).
 * * `resilientrtsp-stats`: every #GstResilientRtspSrc:stats-interval
 *   milliseconds; the same structure as the #GstResilientRtspSrc:stats
 *   property.
 *
 * Errors are posted as usual with GST_ELEMENT_ERROR; their details structure
 * (`resilientrtsp-error`) has a field `class` with the error class (refused,
 * dns, timeout, auth, not-found, protocol, sdp, …).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstresilientrtspsrc-private.h"

#include <gst/rtsp/rtsp.h>
#include <gst/sdp/sdp.h>
#include <stdio.h>

#include "connection.h"
#include "connpool.h"
#include "error.h"
#include "iocontext.h"
#include "media.h"
#include "natpunch.h"
#include "retry.h"
#include "session.h"
#include "telemetry.h"
#include "url.h"

GST_DEBUG_CATEGORY (resilientrtspsrc_debug);
#define GST_CAT_DEFAULT resilientrtspsrc_debug

guint gst_resilient_rtsp_src_signals[LAST_SIGNAL];

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("stream_%u",
    GST_PAD_SRC,
    GST_PAD_SOMETIMES,
    GST_STATIC_CAPS_ANY);

static void gst_resilient_rtsp_src_uri_handler_init (gpointer g_iface,
    gpointer iface_data);

#define gst_resilient_rtsp_src_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstResilientRtspSrc, gst_resilient_rtsp_src,
    GST_TYPE_BIN,
    G_IMPLEMENT_INTERFACE (GST_TYPE_URI_HANDLER,
        gst_resilient_rtsp_src_uri_handler_init));

GST_ELEMENT_REGISTER_DEFINE (resilientrtspsrc, "resilientrtspsrc",
    GST_RANK_NONE, GST_TYPE_RESILIENT_RTSP_SRC);

static GstStateChangeReturn gst_resilient_rtsp_src_change_state (GstElement *
    element, GstStateChange transition);
static void gst_resilient_rtsp_src_finalize (GObject * object);

static gboolean
boolean_stop_on_false (GSignalInvocationHint * ihint, GValue * return_accu,
    const GValue * handler_return, gpointer data)
{
  gboolean value = g_value_get_boolean (handler_return);

  g_value_set_boolean (return_accu, value);
  return value;
}

static gboolean
default_select_stream (GstResilientRtspSrc * src, guint num, GstCaps * caps)
{
  return TRUE;
}

static gboolean
default_before_send (GstResilientRtspSrc * src, GstRTSPMessage * msg)
{
  return TRUE;
}

static void
gst_resilient_rtsp_src_class_init (GstResilientRtspSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (resilientrtspsrc_debug, "resilientrtspsrc", 0,
      "Resilient RTSP source");

  gobject_class->set_property = gst_resilient_rtsp_src_set_property;
  gobject_class->get_property = gst_resilient_rtsp_src_get_property;
  gobject_class->finalize = gst_resilient_rtsp_src_finalize;

  /**
   * GstResilientRtspSrc:location:
   * The RTSP URL: rtsp:// (UDP or TCP as `protocols` allows), rtspu:// (UDP
   * only), rtspt:// (TCP only); rtsps://, rtspsu://, rtspst:// the same
   * with TLS on the control connection (default port 322; see
   * #GstResilientRtspSrc:tls-validation-flags). Credentials in the URL are
   * used for authentication and never sent in the request line.
   */
  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "RTSP Location",
          "Location of the RTSP URL to read", DEFAULT_LOCATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:protocols:
   * Allowed lower transports, tried in the order UDP, UDP multicast, TCP
   * (as rtspsrc).
   */
  g_object_class_install_property (gobject_class, PROP_PROTOCOLS,
      g_param_spec_flags ("protocols", "Protocols",
          "Allowed lower transport protocols", GST_TYPE_RTSP_LOWER_TRANS,
          DEFAULT_PROTOCOLS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:latency:
   * Jitterbuffer latency in milliseconds.
   */
  g_object_class_install_property (gobject_class, PROP_LATENCY,
      g_param_spec_uint ("latency", "Buffer latency in ms",
          "Amount of ms to buffer", 0, G_MAXUINT, DEFAULT_LATENCY_MS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:user-id:
   * User name for authentication; overrides credentials in the URL.
   */
  g_object_class_install_property (gobject_class, PROP_USER_ID,
      g_param_spec_string ("user-id", "user-id",
          "RTSP location URI user id for authentication", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:user-pw:
   * Password for authentication: Basic, or Digest (MD5, SHA-256,
   * SHA-512-256, their -sess variants; qop auth/auth-int) — the strongest
   * scheme the server offers. Never logged or posted.
   */
  g_object_class_install_property (gobject_class, PROP_USER_PW,
      g_param_spec_string ("user-pw", "user-pw",
          "RTSP location URI user password for authentication", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:timeout:
   * Microseconds without any UDP data after PLAY before the session is
   * re-established over TCP (when `protocols` allows TCP); 0 disables.
   * rtspsrc's meaning.
   */
  g_object_class_install_property (gobject_class, PROP_TIMEOUT,
      g_param_spec_uint64 ("timeout", "Timeout",
          "Retry TCP transport after UDP timeout microseconds (0 = disabled)",
          0, G_MAXUINT64, DEFAULT_TIMEOUT_US,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:tcp-timeout:
   * Microseconds to wait for the TCP connection and for each RTSP answer
   * before failing with a timeout error; 0 waits forever.
   */
  g_object_class_install_property (gobject_class, PROP_TCP_TIMEOUT,
      g_param_spec_uint64 ("tcp-timeout", "TCP Timeout",
          "Fail after timeout microseconds on TCP connections (0 = disabled)",
          0, G_MAXUINT64, DEFAULT_TCP_TIMEOUT_US,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:user-agent:
   * The User-Agent header sent with every request.
   */
  g_object_class_install_property (gobject_class, PROP_USER_AGENT,
      g_param_spec_string ("user-agent", "User Agent",
          "The User-Agent string to send to the server", DEFAULT_USER_AGENT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:do-rtcp:
   * Send RTCP receiver reports to the server.
   */
  g_object_class_install_property (gobject_class, PROP_DO_RTCP,
      g_param_spec_boolean ("do-rtcp", "Do RTCP",
          "Send RTCP packets, disable for old incompatible server.",
          DEFAULT_DO_RTCP, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:nat-method:
   * How UDP gets through a NAT or stateful firewall in front of the client
   * (rtspsrc's property, names and default). dummy (the default): once
   * every stream is set up, and before PLAY, each UDP stream sends a small
   * packet from its RTP port to the server's RTP port (an empty RTP packet
   * with a payload type the stream does not use) and one from its RTCP port
   * to the server's RTCP port (an empty receiver report), so that the NAT
   * maps the ports and lets the server's packets in. They are repeated
   * every 15 s: from the RTP port for the whole session, from the RTCP port
   * only while no RTCP is being sent (do-rtcp off, or before the first
   * report). dummy also learns the server's real source ports (symmetric
   * RTP): when the server's first RTP or RTCP packet comes from its address
   * but another port than it announced, punches and RTCP go to that port.
   * none: nothing is sent before data arrives and nothing is learned.
   * Multicast and TCP streams are not affected.
   */
  g_object_class_install_property (gobject_class, PROP_NAT_METHOD,
      g_param_spec_enum ("nat-method", "NAT Method",
          "Method to use for traversing firewalls and NAT (dummy: punch "
          "packets before PLAY, refreshed, and server source-port learning)",
          GST_TYPE_RESILIENT_NAT_METHOD, DEFAULT_NAT_METHOD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:teardown-timeout:
   * Nanoseconds to wait for the answer to TEARDOWN when stopping. Going to
   * READY or NULL never sends PAUSE and never waits longer than this.
   */
  g_object_class_install_property (gobject_class, PROP_TEARDOWN_TIMEOUT,
      g_param_spec_uint64 ("teardown-timeout", "Teardown Timeout",
          "When transitioning PAUSED-READY, allow up to timeout (in "
          "nanoseconds) delay in order to send teardown (0 = disabled)",
          0, G_MAXUINT64, DEFAULT_TEARDOWN_TIMEOUT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:port-range:
   * Client UDP port range "min-max" for RTP/RTCP pairs (RTP on even ports);
   * unset lets the kernel choose.
   */
  g_object_class_install_property (gobject_class, PROP_PORT_RANGE,
      g_param_spec_string ("port-range", "Port range",
          "Client port range that can be used to receive RTP and RTCP data, "
          "eg. 3000-3005 (NULL = no restrictions)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:udp-buffer-size:
   * SO_RCVBUF of the UDP sockets, in bytes (0 = system default).
   */
  g_object_class_install_property (gobject_class, PROP_UDP_BUFFER_SIZE,
      g_param_spec_int ("udp-buffer-size", "UDP Buffer Size",
          "Size of the kernel UDP receive buffer in bytes, 0=default",
          0, G_MAXINT, DEFAULT_UDP_BUFFER_SIZE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:depayload:
   * on (also "true", 1): source pads carry elementary streams — a
   * depayloader is chosen from the registry by the stream's caps; a stream
   * with no depayloader carries RTP. off (also "false", 0): pads carry
   * application/x-rtp as rtspsrc's do. auto (the default): elementary
   * streams, unless the element linked to the pad accepts the stream's RTP
   * caps but not the depayloader's output (e.g. `! rtph264depay`), decided
   * when the stream's first packet arrives; an unlinked pad gets elementary
   * streams.
   */
  g_object_class_install_property (gobject_class, PROP_DEPAYLOAD,
      g_param_spec_enum ("depayload", "Depayload",
          "Output depayloaded elementary streams instead of RTP (auto: "
          "RTP only when the peer takes nothing else)",
          GST_TYPE_RESILIENT_DEPAYLOAD_MODE, DEFAULT_DEPAYLOAD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:rtp-manager:
   * What receives the RTP streams. builtin (the default): a threadless
   * jitterbuffer per stream (reordering, loss events, timestamps from the
   * arrivals with network jitter removed, lip-sync between the streams
   * from the sender reports), receiver reports made by the element, and
   * the output pushed by a process-wide pool of delivery threads (one per
   * CPU, more while a downstream element blocks): no thread per stream.
   * rtpbin: as rtspsrc, an rtpbin (emitted with
   * #GstResilientRtspSrc::new-manager) with its jitterbuffer and RTCP, at
   * three threads per stream; for what only rtpbin does (retransmission,
   * configuring it in new-manager). Read when the element starts.
   */
  g_object_class_install_property (gobject_class, PROP_RTP_MANAGER,
      g_param_spec_enum ("rtp-manager", "RTP manager",
          "What receives the RTP streams: builtin (no thread per stream) or "
          "rtpbin (as rtspsrc, three threads per stream)",
          GST_TYPE_RESILIENT_RTP_MANAGER, DEFAULT_RTP_MANAGER,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:stats-interval:
   * Milliseconds between `resilientrtsp-stats` bus messages; 0 posts none.
   */
  g_object_class_install_property (gobject_class, PROP_STATS_INTERVAL,
      g_param_spec_uint ("stats-interval", "Stats interval",
          "Milliseconds between resilientrtsp-stats element messages "
          "(0 = none)", 0, G_MAXUINT, DEFAULT_STATS_INTERVAL_MS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:stats:
   * A `resilientrtsp-stats` structure: `state` (string), `transport`
   * (udp, tcp, udp-mcast, none), `url`, `connect-ms` (guint64, start to
   * PLAY answered), `reconnects` (guint), `bytes-received` and
   * `packets-received` (guint64, RTP+RTCP of all streams),
   * `zero-copy-ratio` (gdouble, share of interleaved bytes handed on
   * without copying) with `interleaved-bytes-shared` and
   * `interleaved-bytes-copied` (guint64, since the start), `keepalives`
   * (guint64) and `keepalive-rtt-ms` (gdouble, -1 before any answer),
   * `nat-punches` (guint64, NAT punch
   * packets sent) and `nat-learned-port` (gboolean, the server sends from
   * other ports than it announced), `io-threads` (guint, I/O threads
   * running in the process), `connection-reused` (gboolean, the control
   * connection came from the pool), `server-address` (string, ip:port connected to — the
   * proxy's with a proxy), `via-proxy` (gboolean), `outage-ms` (guint64,
   * total time in outages), `frames-received` (guint64, buffers output on
   * all pads), `setup` (structure: the newest connection attempt's
   * `dns-ms`, `tcp-connect-ms`, `proxy-ms`, `tls-ms`, `options-ms`,
   * `describe-ms`, `setup-ms`, `setup-stream-ms` (array), `play-ms`,
   * `playing-ms`, `first-rtp-ms`, `first-buffer-ms`; gdouble, -1 when not
   * measured), `race-attempts` (guint, connection attempts started for
   * the first connection), and `streams`: an array of `stream` structures with `index`,
   * `media`, `encoding-name`, `packets-received`, `bytes-received` (RTP),
   * `packets-lost` (gint64), `packets-duplicated`, `packets-reordered`
   * (guint64), `jitter-ms`, `fraction-lost` (0-1, -1 before our first RR),
   * `rtt-ms` (-1 without a report block from the server) (gdouble),
   * `bitrate` (guint64, bits/s since the previous stats), `ssrc` (guint),
   * `have-sr`, `sr-ntptime` (guint64), `sr-rtptime` (guint),
   * `rtcp-packets-received`, `rtcp-packets-sent`, `frames-received`
   * (guint64), `sync-offset-ms` (gdouble, the lip-sync delay added with
   * rtp-manager=builtin). docs/element.md explains each.
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Session and per-stream statistics", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:retry-strategy:
   * How to re-establish a session that was playing and got lost (server
   * restart, connection reset, 454, 5xx, stall, failed keep-alive): none,
   * immediate, fixed, linear, exponential, exponential-jitter, or auto
   * (the default: fast while an outage is young, backing off as it ages,
   * transport fallback, a circuit breaker for a flapping server; see
   * docs/element.md). Pads stay; downstream sees a gap, no EOS or error.
   * Failures whose class is in `fail-fast` (by default those a retry cannot
   * fix: auth, forbidden, not-found, method not allowed, other 4xx, TLS) are
   * never retried.
   */
  g_object_class_install_property (gobject_class, PROP_RETRY_STRATEGY,
      g_param_spec_enum ("retry-strategy", "Retry strategy",
          "How to re-establish a lost session",
          GST_TYPE_RESILIENT_RETRY_STRATEGY, DEFAULT_RETRY_STRATEGY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:retry-max-attempts:
   * Attempts per outage before giving up with an error; -1 = forever.
   */
  g_object_class_install_property (gobject_class, PROP_RETRY_MAX_ATTEMPTS,
      g_param_spec_int ("retry-max-attempts", "Retry max attempts",
          "Reconnection attempts per outage before giving up (-1 = forever)",
          -1, G_MAXINT, DEFAULT_RETRY_MAX_ATTEMPTS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:retry-initial-delay:
   * Base delay in milliseconds of the fixed, linear and exponential
   * strategies.
   */
  g_object_class_install_property (gobject_class, PROP_RETRY_INITIAL_DELAY,
      g_param_spec_uint ("retry-initial-delay", "Retry initial delay",
          "Base delay between reconnection attempts in ms", 0, G_MAXUINT,
          DEFAULT_RETRY_INITIAL_DELAY_MS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:retry-max-delay:
   * Longest delay between attempts, in milliseconds (a 503's Retry-After
   * may ask for more and is honoured).
   */
  g_object_class_install_property (gobject_class, PROP_RETRY_MAX_DELAY,
      g_param_spec_uint ("retry-max-delay", "Retry max delay",
          "Longest delay between reconnection attempts in ms", 0, G_MAXUINT,
          DEFAULT_RETRY_MAX_DELAY_MS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:retry-multiplier:
   * Growth factor of the exponential strategies.
   */
  g_object_class_install_property (gobject_class, PROP_RETRY_MULTIPLIER,
      g_param_spec_double ("retry-multiplier", "Retry multiplier",
          "Growth factor of the exponential retry strategies", 1.0, 100.0,
          DEFAULT_RETRY_MULTIPLIER,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:retry-jitter:
   * Random spread of exponential-jitter delays, as a fraction (0.2 = ±20 %).
   */
  g_object_class_install_property (gobject_class, PROP_RETRY_JITTER,
      g_param_spec_double ("retry-jitter", "Retry jitter",
          "Random spread of exponential-jitter delays (fraction)", 0.0, 1.0,
          DEFAULT_RETRY_JITTER, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:retry-initial-connect:
   * Also retry when the session cannot be established in the first place
   * (a camera that is off or rebooting when the pipeline starts), with the
   * same strategy, `fail-fast` classes and bus messages as after a loss.
   * Pads appear once it succeeds. An unknown host name ("dns") still fails
   * at once at start — it is almost always a typo; once the stream has
   * played, it is retried like any outage. FALSE: as rtspsrc, an initial
   * failure is an error.
   */
  g_object_class_install_property (gobject_class, PROP_RETRY_INITIAL_CONNECT,
      g_param_spec_boolean ("retry-initial-connect", "Retry initial connect",
          "Also retry when the first connection fails (except an unknown "
          "host name)", DEFAULT_RETRY_INITIAL_CONNECT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:fail-fast:
   * Error classes that end the stream with an error at once instead of being
   * retried. The default holds the classes a retry cannot fix: auth,
   * forbidden, not-found, method-not-allowed, client-error (other 4xx), tls,
   * no-streams, redirect, bad-url. Remove one for a camera that answers it
   * while booting (e.g. `fail-fast="auth+tls"` retries a 404), or add one
   * (e.g. `+refused`) to give up on it.
   */
  g_object_class_install_property (gobject_class, PROP_FAIL_FAST,
      g_param_spec_flags ("fail-fast", "Fail fast",
          "Error classes that are never retried",
          GST_TYPE_RESILIENT_ERROR_CLASSES,
          gst_resilient_error_classes_fail_default (),
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:stall-timeout:
   * Milliseconds without RTP on any stream, while playing, after which the
   * session counts as lost and is re-established; 0 disables. (`timeout`
   * keeps rtspsrc's meaning: the UDP → TCP switch.)
   */
  g_object_class_install_property (gobject_class, PROP_STALL_TIMEOUT,
      g_param_spec_uint ("stall-timeout", "Stall timeout",
          "Re-establish the session after this many ms without RTP "
          "(0 = never)", 0, G_MAXUINT, DEFAULT_STALL_TIMEOUT_MS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:keep-alive-method:
   * How the session is kept alive while playing or paused: auto
   * (GET_PARAMETER when the server's Public header lists it, else OPTIONS),
   * options, get-parameter, set-parameter, rtcp (RTCP receiver reports only;
   * as auto when do-rtcp is off) or none. Sent at the server's session
   * timeout (60 s when it gives none) less a margin; a refused method
   * (405/451/501) falls back to the next simpler one. A keep-alive answered
   * 454, or not answered within the margin, counts as a lost session and is
   * recovered like any other loss. Works over UDP and TCP.
   */
  g_object_class_install_property (gobject_class, PROP_KEEPALIVE_METHOD,
      g_param_spec_enum ("keep-alive-method", "Keep-alive method",
          "How the RTSP session is kept alive",
          GST_TYPE_RESILIENT_KEEPALIVE_METHOD, DEFAULT_KEEPALIVE_METHOD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:do-rtsp-keep-alive:
   * As rtspsrc: FALSE sends no RTSP keep-alive at all (for old servers that
   * choke on them), whatever keep-alive-method says.
   */
  g_object_class_install_property (gobject_class, PROP_DO_RTSP_KEEP_ALIVE,
      g_param_spec_boolean ("do-rtsp-keep-alive", "Do RTSP keep-alive",
          "Send RTSP keep-alive requests (see keep-alive-method)",
          DEFAULT_DO_RTSP_KEEP_ALIVE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:race-mode:
   * How the first connection is made when more than one path is allowed
   * (UDP and TCP in `protocols`, or `race-duplicates`): none tries one
   * path at a time as rtspsrc does (UDP, and TCP only after `timeout`
   * without UDP data). first-wins starts the next path when the running
   * ones are stuck: not connected, or PLAY answered but no RTP, for
   * `race-stagger` ms, or no answer for max(`race-stagger`, 1 s) while
   * negotiating. The first path with RTP wins; the others are torn down
   * (TEARDOWN sent). With UDP blocked the stream therefore plays
   * over TCP after about one stagger instead of after `timeout`. last-wins
   * is for cameras that keep only their newest session: the newest path
   * with RTP replaces the older one (pads stay). Applies to the first
   * connection; recoveries use `retry-strategy`.
   */
  g_object_class_install_property (gobject_class, PROP_RACE_MODE,
      g_param_spec_enum ("race-mode", "Race mode",
          "Connection racing: none, first-wins or last-wins",
          GST_TYPE_RESILIENT_RACE_MODE, DEFAULT_RACE_MODE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:race-stagger:
   * Milliseconds the running attempts may stay unconnected, or playing
   * without RTP, before the next one starts (while negotiating, each answer
   * may take max(race-stagger, 1 s)); a failed attempt starts the next at
   * once.
   */
  g_object_class_install_property (gobject_class, PROP_RACE_STAGGER,
      g_param_spec_uint ("race-stagger", "Race stagger",
          "ms without progress before the next connection attempt starts",
          0, G_MAXUINT, DEFAULT_RACE_STAGGER_MS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:race-max-parallel:
   * At most this many connection attempts at once (0 = no limit).
   */
  g_object_class_install_property (gobject_class, PROP_RACE_MAX_PARALLEL,
      g_param_spec_uint ("race-max-parallel", "Race max parallel",
          "Connection attempts in flight at once (0 = no limit)",
          0, G_MAXUINT, DEFAULT_RACE_MAX_PARALLEL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:race-duplicates:
   * Extra copies of every attempt, started like the others, for lossy
   * links where a lost SYN or request would otherwise cost a
   * retransmission timeout.
   */
  g_object_class_install_property (gobject_class, PROP_RACE_DUPLICATES,
      g_param_spec_uint ("race-duplicates", "Race duplicates",
          "Extra staggered copies of every connection attempt",
          0, 8, DEFAULT_RACE_DUPLICATES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:tls-validation-flags:
   * rtsps: which certificate errors make the server's certificate
   * unacceptable (rtspsrc's property). The default checks everything; 0
   * accepts any certificate. A rejected certificate ends the stream with a
   * `tls` error saying why (unknown CA, bad identity, expired …), unless an
   * #GstResilientRtspSrc::accept-certificate handler accepts it. GLib 2.72+
   * deprecates ignoring single flags (it does not promise to report every
   * problem), so prefer a `tls-database` with your CA over clearing flags.
   */
  g_object_class_install_property (gobject_class, PROP_TLS_VALIDATION_FLAGS,
      g_param_spec_flags ("tls-validation-flags", "TLS validation flags",
          "TLS certificate validation flags used to validate the server "
          "certificate (rtsps)", G_TYPE_TLS_CERTIFICATE_FLAGS,
          DEFAULT_TLS_VALIDATION_FLAGS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:tls-database:
   * rtsps: the certificate authorities the server's certificate is checked
   * against (e.g. g_tls_file_database_new() with your CA); NULL (the
   * default) uses the system's.
   */
  g_object_class_install_property (gobject_class, PROP_TLS_DATABASE,
      g_param_spec_object ("tls-database", "TLS database",
          "TLS database with anchor certificate authorities used to validate "
          "the server certificate (NULL: the system's)", G_TYPE_TLS_DATABASE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:tls-interaction:
   * rtsps: a #GTlsInteraction that supplies a client certificate (its
   * request_certificate sets it with g_tls_connection_set_certificate())
   * or a password when the server asks for one. Its synchronous methods are
   * called from a worker thread, one question at a time process-wide (an
   * interaction with asynchronous methods only is invoked on the main
   * context it was created under); never on the element's I/O thread.
   */
  g_object_class_install_property (gobject_class, PROP_TLS_INTERACTION,
      g_param_spec_object ("tls-interaction", "TLS interaction",
          "A GTlsInteraction object to prompt the user for password or "
          "certificate", G_TYPE_TLS_INTERACTION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:proxy:
   * The proxy every connection to the server goes through:
   * `[http://][user:passwd@]host[:port]` as rtspsrc (HTTP CONNECT, port 8080
   * when none is given, Basic or Digest authentication as the proxy asks),
   * or `socks5://…` (port 1080, user/password authentication) or
   * `socks4a://…` (the user is the SOCKS user id). rtsps runs TLS end to
   * end through it. User and password may be %-escaped. Unset (the default): when the environment sets `http_proxy`,
   * `https_proxy` or `all_proxy` (either case), GIO's default proxy resolver
   * decides (with glib-networking, libproxy, which also honours `no_proxy`);
   * otherwise the connection is direct, without a lookup. `direct://` means
   * no proxy at all.
   * A proxy that cannot be reached, rejects the credentials (class `auth`)
   * or answers garbage is an error naming the proxy.
   */
  g_object_class_install_property (gobject_class, PROP_PROXY,
      g_param_spec_string ("proxy", "Proxy",
          "Proxy for the RTSP connection: [http://|socks5://|socks4a://]"
          "[user:passwd@]host[:port] (unset: the system's, direct:// none)",
          NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:proxy-id:
   * Proxy user; overrides the one in #GstResilientRtspSrc:proxy.
   */
  g_object_class_install_property (gobject_class, PROP_PROXY_ID,
      g_param_spec_string ("proxy-id", "proxy-id",
          "Proxy user id for authentication", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:proxy-pw:
   * Proxy password, with #GstResilientRtspSrc:proxy-id. Never logged.
   */
  g_object_class_install_property (gobject_class, PROP_PROXY_PW,
      g_param_spec_string ("proxy-pw", "proxy-pw",
          "Proxy user password for authentication", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:extra-http-request-headers:
   * rtsph:// and rtspsh:// only: extra headers for the tunnel's HTTP GET
   * and POST, one field per header (`headers,X-Token=abc`), as in rtspsrc.
   * Values with line breaks, names that are not HTTP tokens and the
   * tunnel's own headers (x-sessioncookie, Content-Type, Content-Length)
   * are skipped with a warning.
   */
  g_object_class_install_property (gobject_class,
      PROP_EXTRA_HTTP_REQUEST_HEADERS,
      g_param_spec_boxed ("extra-http-request-headers",
          "Extra HTTP request headers",
          "Extra headers for the HTTP tunnel's GET and POST requests",
          GST_TYPE_STRUCTURE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:ignore-x-server-reply:
   * rtsph:// only: the server's answer to the tunnel's GET may name
   * another address for the POST (x-server-ip-address, an address literal);
   * it is followed unless this is TRUE. Following it lets whoever can alter
   * that answer receive the POST, which carries the requests and their
   * Authorization headers; over rtspsh:// it is never followed (the POST
   * must reach the certificate's host).
   */
  g_object_class_install_property (gobject_class, PROP_IGNORE_X_SERVER_REPLY,
      g_param_spec_boolean ("ignore-x-server-reply", "Ignore x-server-reply",
          "Do not follow the x-server-ip-address of an HTTP tunnel's answer",
          FALSE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:pool-idle-timeout:
   * Connection pooling: after a TEARDOWN answered 2xx the control
   * connection stays open this many seconds in a process-wide pool, for a
   * restart, a reconnect or another element to the same server with the
   * same proxy, TLS settings and credentials (saving the TCP, proxy and TLS
   * set-up); a server that closes it after TEARDOWN gets a fresh one made
   * ahead instead. 0 = no pooling: this element neither takes nor gives
   * connections. See docs/element.md, *Connection pooling*.
   */
  g_object_class_install_property (gobject_class, PROP_POOL_IDLE_TIMEOUT,
      g_param_spec_uint ("pool-idle-timeout", "Pool idle timeout",
          "Seconds an idle control connection is kept for reuse by a restart "
          "or another element (0 = no connection pooling)", 0, 3600,
          DEFAULT_POOL_IDLE_TIMEOUT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc:state:
   * The session state, as in `resilientrtsp-state` messages (idle when no
   * session exists).
   */
  g_object_class_install_property (gobject_class, PROP_STATE,
      g_param_spec_string ("state", "State", "The RTSP session state",
          "idle", G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstResilientRtspSrc::on-sdp:
   * @src: the element
   * @sdp: the SDP of the DESCRIBE answer
   *
   * Emitted (from the I/O thread) when the SDP arrives, before streams are
   * selected; the SDP may be inspected or modified.
   */
  gst_resilient_rtsp_src_signals[SIGNAL_ON_SDP] =
      g_signal_new ("on-sdp", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
      NULL, NULL, NULL, G_TYPE_NONE, 1,
      GST_TYPE_SDP_MESSAGE | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * GstResilientRtspSrc::select-stream:
   * @src: the element
   * @num: the stream number (its m= line index)
   * @caps: the stream's RTP caps
   *
   * Return FALSE to skip the stream (no SETUP, no pad).
   */
  gst_resilient_rtsp_src_signals[SIGNAL_SELECT_STREAM] =
      g_signal_new_class_handler ("select-stream", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, G_CALLBACK (default_select_stream),
      boolean_stop_on_false, NULL, NULL, G_TYPE_BOOLEAN, 2, G_TYPE_UINT,
      GST_TYPE_CAPS);

  /**
   * GstResilientRtspSrc::new-manager:
   * @src: the element
   * @manager: the rtpbin
   *
   * Emitted when the rtpbin is created, to configure it.
   */
  gst_resilient_rtsp_src_signals[SIGNAL_NEW_MANAGER] =
      g_signal_new ("new-manager", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
      0, NULL, NULL, NULL, G_TYPE_NONE, 1, GST_TYPE_ELEMENT);

  /**
   * GstResilientRtspSrc::before-send:
   * @src: the element
   * @msg: the request about to be sent
   *
   * Emitted before each request; handlers may add or change headers.
   * Returning FALSE skips sending it (it then counts as answered 200 OK).
   */
  gst_resilient_rtsp_src_signals[SIGNAL_BEFORE_SEND] =
      g_signal_new_class_handler ("before-send", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, G_CALLBACK (default_before_send),
      boolean_stop_on_false, NULL, NULL, G_TYPE_BOOLEAN, 1,
      GST_TYPE_RTSP_MESSAGE | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * GstResilientRtspSrc::accept-certificate:
   * @src: the element
   * @peer_cert: the server's certificate
   * @errors: why it failed validation
   *
   * rtsps: the server's certificate failed validation against
   * #GstResilientRtspSrc:tls-validation-flags (and the
   * #GstResilientRtspSrc:tls-database); return TRUE to accept it anyway, as
   * rtspsrc's signal of the same name. Handler signature:
   * `gboolean (GstElement *src, GTlsConnection *conn, GTlsCertificate
   * *peer_cert, GTlsCertificateFlags errors, gpointer user_data)`. No
   * handler, or FALSE: the stream ends with a `tls` error. Emitted from the
   * shared I/O thread during the TLS handshake: the handler must not block
   * and must not change the pipeline's state.
   */
  gst_resilient_rtsp_src_signals[SIGNAL_ACCEPT_CERTIFICATE] =
      g_signal_new ("accept-certificate", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, g_signal_accumulator_true_handled, NULL, NULL,
      G_TYPE_BOOLEAN, 3, G_TYPE_TLS_CONNECTION, G_TYPE_TLS_CERTIFICATE,
      G_TYPE_TLS_CERTIFICATE_FLAGS);

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_resilient_rtsp_src_change_state);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Resilient RTSP source", "Source/Network",
      "Receives audio and video from an RTSP server and keeps streaming "
      "through network trouble", "resilientrtsp developers");

  gst_type_mark_as_plugin_api (GST_TYPE_RESILIENT_ERROR_CODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_RESILIENT_DEPAYLOAD_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_RESILIENT_RTP_MANAGER, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_RESILIENT_RETRY_STRATEGY, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_RESILIENT_NAT_METHOD, 0);
}

static void
gst_resilient_rtsp_src_init (GstResilientRtspSrc * src)
{
  g_mutex_init (&src->settings_lock);
  g_mutex_init (&src->runtime_lock);
  gst_resilient_rtsp_src_settings_init (&src->settings);

  GST_OBJECT_FLAG_SET (src, GST_ELEMENT_FLAG_SOURCE);
  gst_bin_set_suppressed_flags (GST_BIN (src),
      GST_ELEMENT_FLAG_SOURCE | GST_ELEMENT_FLAG_SINK);
}

static void
gst_resilient_rtsp_src_finalize (GObject * object)
{
  GstResilientRtspSrc *src = GST_RESILIENT_RTSP_SRC (object);

  gst_resilient_rtsp_src_settings_clear (&src->settings);
  g_mutex_clear (&src->settings_lock);
  g_mutex_clear (&src->runtime_lock);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* ---------------------------------------------------------------------- */
/* state changes */

static gboolean
start (GstResilientRtspSrc * src)
{
  GstResilientSessionSettings ss = { 0, };
  GstResilientMediaSettings ms;
  GstResilientRaceSettings rs;
  GstResilientRace *race;
  GstResilientMedia *media;
  guint stats_interval;

  if (!gst_resilient_rtsp_src_settings_for_start (src, &ss, &rs, &ms,
          &stats_interval)) {
    GST_ELEMENT_ERROR (src, RESOURCE, NOT_FOUND, ("No location set"),
        ("set the location property to an rtsp:// URL"));
    return FALSE;
  }

  media = gst_resilient_media_new (GST_BIN (src),
      gst_element_get_pad_template (GST_ELEMENT (src), "stream_%u"), &ms,
      &gst_resilient_rtsp_src_media_callbacks, src);
  if (media == NULL) {
    gst_resilient_session_settings_clear (&ss);
    GST_ELEMENT_ERROR (src, CORE, MISSING_PLUGIN, ("Missing rtpbin"),
        ("the rtpbin element (gst-plugins-good) is not installed"));
    return FALSE;
  }
  if (gst_resilient_media_get_manager (media))
    g_signal_emit (src, gst_resilient_rtsp_src_signals[SIGNAL_NEW_MANAGER], 0,
        gst_resilient_media_get_manager (media));

  race = gst_resilient_race_new (src->io, &ss, &rs,
      &gst_resilient_rtsp_src_session_callbacks, src);
  gst_resilient_rtsp_src_telemetry_start (src, ss.location);
  gst_resilient_session_settings_clear (&ss);

  g_mutex_lock (&src->runtime_lock);
  src->media = media;
  src->race = race;
  src->no_more_pads = FALSE;
  g_mutex_unlock (&src->runtime_lock);

  if (stats_interval > 0)
    src->stats_source = gst_resilient_io_context_add_timeout (src->io,
        stats_interval, gst_resilient_rtsp_src_stats_tick, src, NULL);

  gst_resilient_race_open (race);
  return TRUE;
}

static gboolean
stop_stats_on_io (gpointer data)
{
  GstResilientRtspSrc *src = data;

  if (src->stats_source) {
    g_source_destroy (src->stats_source);
    g_source_unref (src->stats_source);
    src->stats_source = NULL;
  }
  return G_SOURCE_REMOVE;
}

/* Before the children go down: TEARDOWN, then no more data from the I/O
 * thread. */
static void
stop_session (GstResilientRtspSrc * src)
{
  guint64 teardown_timeout;

  if (src->race == NULL)
    return;

  g_mutex_lock (&src->settings_lock);
  teardown_timeout = src->settings.teardown_timeout;
  g_mutex_unlock (&src->settings_lock);

  gst_resilient_io_context_invoke_sync (src->io, stop_stats_on_io, src);
  gst_resilient_race_close (src->race, teardown_timeout);
}

/* After the children went to READY: remove pads and elements. */
static void
cleanup (GstResilientRtspSrc * src)
{
  GstResilientRace *race;
  GstResilientMedia *media;

  gst_resilient_rtsp_src_telemetry_stop (src);

  g_mutex_lock (&src->runtime_lock);
  race = src->race;
  media = src->media;
  src->race = NULL;
  src->media = NULL;
  g_mutex_unlock (&src->runtime_lock);

  if (media)
    gst_resilient_media_free (media);
  gst_resilient_race_free (race);
}

/* PLAYING → PAUSED on the way to READY/NULL is part of a shutdown, which
 * sends TEARDOWN and never PAUSE: TRUE when this element or a bin above it
 * is headed below PAUSED (a bin moves its children one step at a time, so
 * only the ancestors know the final target). */
static gboolean
shutting_down (GstElement * element)
{
  GstObject *obj = gst_object_ref (GST_OBJECT (element));
  gboolean down = FALSE;

  while (obj != NULL && !down) {
    GstObject *parent;

    GST_OBJECT_LOCK (obj);
    if (GST_IS_ELEMENT (obj))
      down = GST_STATE_TARGET (obj) < GST_STATE_PAUSED;
    GST_OBJECT_UNLOCK (obj);
    parent = gst_object_get_parent (obj);
    gst_object_unref (obj);
    obj = parent;
  }
  if (obj)
    gst_object_unref (obj);
  return down;
}

static GstStateChangeReturn
gst_resilient_rtsp_src_change_state (GstElement * element,
    GstStateChange transition)
{
  GstResilientRtspSrc *src = GST_RESILIENT_RTSP_SRC (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      /* one of the I/O threads, for everything this element does */
      src->io = gst_resilient_io_context_get_for_stream ();
      /* pooled connections outlive the last element at READY or above
       * only briefly (connpool.h) */
      gst_resilient_conn_pool_add_user ();
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!start (src))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      stop_session (src);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE) {
    if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
      stop_session (src);
      cleanup (src);
    }
    return ret;
  }

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      if (!shutting_down (element))
        gst_resilient_race_pause (src->race);
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      gst_resilient_race_play (src->race);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      cleanup (src);
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      gst_resilient_conn_pool_remove_user ();
      gst_resilient_io_context_unref_for_stream (src->io);
      src->io = NULL;
      break;
    default:
      break;
  }
  return ret;
}

/* ---------------------------------------------------------------------- */
/* GstURIHandler */

static GstURIType
uri_get_type (GType type)
{
  return GST_URI_SRC;
}

static const gchar *const *
uri_get_protocols (GType type)
{
  static const gchar *protocols[] = { "rtsp", "rtspu", "rtspt", "rtsps",
    "rtspsu", "rtspst", "rtsph", "rtspsh", NULL
  };

  return protocols;
}

static gchar *
uri_get_uri (GstURIHandler * handler)
{
  GstResilientRtspSrc *src = GST_RESILIENT_RTSP_SRC (handler);
  gchar *uri;

  g_mutex_lock (&src->settings_lock);
  uri = g_strdup (src->settings.session.location);
  g_mutex_unlock (&src->settings_lock);
  return uri;
}

static gboolean
uri_set_uri (GstURIHandler * handler, const gchar * uri, GError ** error)
{
  GstResilientRtspSrc *src = GST_RESILIENT_RTSP_SRC (handler);
  GstRTSPUrl *url = NULL;

  if (uri == NULL || gst_rtsp_url_parse (uri, &url) != GST_RTSP_OK) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
        "Invalid RTSP URI \"%s\"", uri ? uri : "(null)");
    return FALSE;
  }
  gst_rtsp_url_free (url);

  g_object_set (src, "location", uri, NULL);
  return TRUE;
}

static void
gst_resilient_rtsp_src_uri_handler_init (gpointer g_iface, gpointer iface_data)
{
  GstURIHandlerInterface *iface = g_iface;

  iface->get_type = uri_get_type;
  iface->get_protocols = uri_get_protocols;
  iface->get_uri = uri_get_uri;
  iface->set_uri = uri_set_uri;
}
