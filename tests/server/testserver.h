/* resilientrtsp test support
 * testserver.h: a real RTSP server (gst-rtsp-server) for the tests, run
 * in-process on its own GMainContext thread, listening on 127.0.0.1 with a
 * kernel-chosen port.
 *
 * All mounts are shared (one encoder for all clients) and live. A PLAY
 * makes the encoder send a keyframe (SPS/PPS go with every IDR), so a
 * client that joins a running stream gets a picture at once; without it
 * there is one IDR a second.
 * Sessions (gst-rtsp-server 1.22 behaviour, checked): while the client's
 * RTSP connection is open its session never expires, even without
 * keep-alives or RTCP. When the connection closes without TEARDOWN, the
 * session (UDP or TCP interleaved) lives on, can be used from a new
 * connection, and expires 60-65 s after its last request or RTCP packet
 * (checked each second; then 454 Session Not Found).
 * Multicast: clients asking for it get a group from 224.3.0.0-224.3.0.10,
 * ports 5000-5010, TTL 1. Because client and server share the host, the
 * server lets other sockets bind its group ports (SO_REUSEADDR) and turns
 * multicast loopback on, which gst-rtsp-server does not do by itself.
 * Auth: with config->user, every mount needs credentials (Basic, or what
 * config->auth_methods says); requests without them get 401 (OPTIONS is
 * answered without).
 */
#pragma once

#include <gst/gst.h>
#include <gst/rtsp/rtsp.h>
#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _RrTestServer RrTestServer;

typedef struct
{
  /* "/test": H.264 (x264enc, videotestsrc, 320x240@15, key-int 15) +
   * Opus (audiotestsrc) when with_audio; "/video": H.264 only;
   * "/audio-aac": AAC only (avenc_aac) when available. Always mounted. */
  gboolean with_audio;
  /* allowed lower transports (GST_RTSP_LOWER_TRANS_*); 0 means UDP|TCP|MCAST */
  GstRTSPLowerTrans protocols;
  /* Basic auth required when user is set */
  const gchar *user;
  const gchar *password;
  /* the address to bind; NULL → "127.0.0.1" */
  const gchar *address;
  /* the port to listen on; 0 → a free port chosen by the kernel */
  guint port;
  /* with user set: the schemes offered, GST_RTSP_AUTH_BASIC and/or
   * GST_RTSP_AUTH_DIGEST (0 → Basic). gst-rtsp-server's Digest is MD5
   * without qop (RFC 2069 style), a new nonce in every 401, each nonce
   * valid on the connection that got it only. */
  GstRTSPAuthMethod auth_methods;
  /* Session timeout in seconds announced in the Session header (0 → 60).
   * With strict_session_timeout a session is removed (its media stops, the
   * next request gets 454) once no request of its client arrived for that
   * long, even while the client's connection is open, as cameras do;
   * checked every 250 ms; RTCP does not count. Without it gst-rtsp-server's
   * own rule applies: no expiry while the connection is open. */
  guint session_timeout;
  gboolean strict_session_timeout;
  /* rtsps: the server's certificate, with its private key
   * (g_tls_certificate_new_from_files); NULL → plain RTSP. With it every
   * connection speaks TLS and rr_test_server_get_url() gives rtsps:// URLs. */
  GTlsCertificate *tls_certificate;
  /* with tls_certificate: every client must present a certificate that
   * this database (e.g. the test CA) validates
   * (G_TLS_AUTHENTICATION_REQUIRED); the handshake fails otherwise. NULL:
   * no client certificate asked for. */
  GTlsDatabase *tls_client_database;
  /* every session gets its own media (encoder) instead of the shared one.
   * gst-rtsp-server 1.22's shared media is fragile when two clients set up
   * and tear down at the same moment (as a connection race does): seen are
   * an assertion in gst_rtsp_media_get_rates() that aborts the process and
   * a stream that never sends its second track's RTP. */
  gboolean unshared;
  /* "/test": the H.264 packets leave at least this much later than the
   * encoder makes them (a queue holds them back), as from a camera whose
   * video encoder is slower than its audio one. With it, as a camera, the
   * sender reports map RTP to NTP time by capture time (rtpbin's
   * rtcp-sync-send-time off) and the sinks do not sync on the clock
   * (packets leave as soon as they are made), so the delay shows as a
   * skew between the streams. 0 = none. */
  guint video_delay_ms;
} RrTestServerConfig;

/* Starts the server; a NULL config gives the defaults (audio on, all
 * transports, no auth). Aborts the test on failure. */
RrTestServer *rr_test_server_new (const RrTestServerConfig * config);
/* Same, but returns NULL with @error set when the server cannot start
 * (address in use, bad address); for the command-line wrapper. */
RrTestServer *rr_test_server_new_full (const RrTestServerConfig * config,
    GError ** error);
/* Closes all client connections, waits (bounded) for the media pipelines to
 * shut down, joins the server thread and frees everything. Thaws first. */
void rr_test_server_free (RrTestServer * server);

guint rr_test_server_get_port (RrTestServer * server);
/* "rtsp://<address>:<port><mount>" (g_free), rtsps:// with a
 * tls_certificate; <address> is 127.0.0.1 unless config->address said
 * otherwise (IPv6 literals get brackets). */
gchar *rr_test_server_get_url (RrTestServer * server, const gchar * mount);

/* How many requests of @method the server has received (all clients).
 * A request is counted when the server sends its response (any status,
 * 401 and 4xx/5xx included), so a request that arrives while the server is
 * frozen is counted only after thaw, once it has been answered. */
guint rr_test_server_count_requests (RrTestServer * server,
    GstRTSPMethod method);
/* Blocks until at least @count requests of @method were received or
 * @timeout_ms passed; returns the final count. */
guint rr_test_server_wait_requests (RrTestServer * server, GstRTSPMethod method,
    guint count, guint timeout_ms);

/* Client connections accepted so far (an HTTP tunnel makes two: its GET
 * and its POST). */
guint rr_test_server_count_connections (RrTestServer * server);
/* Closes every client connection now, as a server that drops idle
 * connections does (gst-rtsp-server closes the socket: a FIN; the
 * sessions of those clients are torn down). Not while frozen. */
void rr_test_server_close_connections (RrTestServer * server);

/* Blocks until the server accepted a client connection and has closed
 * every one it accepted (the peers went away), or @timeout_ms passed;
 * returns whether they are all closed. Freeing the server while
 * gst-rtsp-server 1.22 is still closing a client whose peer left can make
 * that client's watch spin forever; tests that stop a client against a
 * frozen server wait for this after thaw. */
gboolean rr_test_server_wait_clients_closed (RrTestServer * server,
    guint timeout_ms);

/* RTSP sessions alive in the server now (set up, not torn down or
 * expired). */
guint rr_test_server_count_sessions (RrTestServer * server);

/* Sessions expired so far (strict timeout, or gst-rtsp-server's cleanup). */
guint rr_test_server_count_expired (RrTestServer * server);
/* Blocks until at least @count sessions expired or @timeout_ms passed;
 * returns the final count. */
guint rr_test_server_wait_expired (RrTestServer * server, guint count,
    guint timeout_ms);

/* How many requests carried a header named @name (case-insensitive). */
guint rr_test_server_count_header (RrTestServer * server, const gchar * name);

/* Freeze: models a hung camera. Returns once it is in effect:
 *  - the server's thread is blocked (a GSource on its GMainContext waits on
 *    a GCond), so no connection is accepted (the kernel still completes the
 *    TCP handshake into the listen backlog), no request is read or
 *    answered, no session expires, and open connections stay open;
 *  - the media pipelines keep running on their own threads (the encoders
 *    do not stop), but every sink of every live media (the UDP/multicast
 *    multiudpsinks and the appsinks that feed TCP interleaved data) drops
 *    its buffers, so no RTP and no RTCP leave the server, over UDP,
 *    multicast or TCP. Blocking the context alone does not stop any of it
 *    (checked): gst-rtsp-server writes interleaved data straight from the
 *    streaming threads.
 * Thaw undoes both: queued requests are read and answered, data flows
 * again (the RTP sequence numbers and timestamps jump over the gap, as a
 * camera's would). Both are idempotent. */
void rr_test_server_freeze (RrTestServer * server);
void rr_test_server_thaw (RrTestServer * server);

G_END_DECLS
