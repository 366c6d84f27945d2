/* resilientrtsp
 * connection.h: one RTSP control channel on a connected GIOStream, driven on
 * the shared I/O context — non-blocking reads into pooled blocks, framing
 * with GstResilientFramer, $-interleaved frames handed out as sub-buffers
 * that share the block's memory (zero-copy), and a send queue.
 */
#pragma once

#include <gst/gst.h>
#include <gio/gio.h>
#include <gst/rtsp/rtsp.h>

#include "iocontext.h"
#include "framer.h"

G_BEGIN_DECLS

#define GST_TYPE_RESILIENT_CONNECTION (gst_resilient_connection_get_type ())
G_DECLARE_FINAL_TYPE (GstResilientConnection, gst_resilient_connection,
    GST, RESILIENT_CONNECTION, GObject);

typedef struct
{
  /* A complete RTSP message (response, or a request from the server).
   * (transfer full): free with gst_rtsp_message_free. */
  void (*message) (GstResilientConnection * conn, GstRTSPMessage * msg,
      gpointer user_data);
  /* An interleaved frame; @buf (transfer full) shares the read block's memory
   * unless the frame straddled two reads. */
  void (*data) (GstResilientConnection * conn, guint8 channel, GstBuffer * buf,
      gpointer user_data);
  /* The channel is gone: peer closed (G_IO_ERROR_CONNECTION_CLOSED mapped to
   * GST_RESILIENT_ERROR_CONNECTION_LOST), reset, or a framing error
   * (GST_RESILIENT_ERROR_PROTOCOL). Called at most once; no callback follows
   * it. Not called for gst_resilient_connection_close(). */
  void (*closed) (GstResilientConnection * conn, const GError * error,
      gpointer user_data);
} GstResilientConnectionCallbacks;

typedef struct
{
  guint64 bytes_received;
  guint64 bytes_sent;
  guint64 messages_received;
  guint64 frames_received;
  guint64 frame_bytes_shared;   /* interleaved payload bytes handed out zero-copy */
  guint64 frame_bytes_copied;   /* … that had to be copied (straddled a read) */
  guint64 blocks_allocated;     /* read blocks taken: new or recycled */
} GstResilientConnectionStats;

/**
 * gst_resilient_connection_new:
 * @stream: (transfer none): a connected stream whose input and output streams
 *   are GPollableInputStream/GPollableOutputStream (GSocketConnection,
 *   GTlsConnection, …)
 * Reading starts with gst_resilient_connection_start(). Framer limits other
 * than the defaults: gst_resilient_connection_set_framer_limits().
 * While started, the I/O sources hold a reference on the connection: stop it
 * with gst_resilient_connection_close() (or wait for the closed callback)
 * before dropping the last reference.
 */
G_GNUC_INTERNAL
GstResilientConnection *gst_resilient_connection_new (GstResilientIoContext * io,
    GIOStream * stream, const GstResilientConnectionCallbacks * callbacks,
    gpointer user_data);

/* Before start(): replaces the framer's limits (@limits NULL: defaults). */
G_GNUC_INTERNAL void gst_resilient_connection_set_framer_limits (GstResilientConnection * conn,
    const GstResilientFramerLimits * limits);

/* I/O thread only. */
G_GNUC_INTERNAL void gst_resilient_connection_start (GstResilientConnection * conn);

/* I/O thread only. Stops reading and writing, closes the stream; no callback
 * is called after it returns. Unsent data is dropped. Idempotent. */
G_GNUC_INTERNAL void gst_resilient_connection_close (GstResilientConnection * conn);

/* Any thread. Queues the serialized message; never dropped. FALSE once closed. */
G_GNUC_INTERNAL gboolean gst_resilient_connection_send_message (GstResilientConnection * conn,
    const GstRTSPMessage * msg);

/* Any thread. Queues an interleaved frame (e.g. RTCP); may be dropped (FALSE)
 * when more than 1 MiB is already queued or the connection is closed.
 * @buf: (transfer none): the payload (at most 65535 bytes); a reference is
 *   kept until it is written. */
G_GNUC_INTERNAL gboolean gst_resilient_connection_send_data (GstResilientConnection * conn,
    guint8 channel, GstBuffer * buf);

/* Any thread. */
G_GNUC_INTERNAL void gst_resilient_connection_get_stats (GstResilientConnection * conn,
    GstResilientConnectionStats * stats);

/* The remote / local address, when the stream is a GSocketConnection or a
 * TLS connection over one (NULL otherwise). (transfer full): a new reference,
 * g_object_unref() it. Any thread. */
G_GNUC_INTERNAL GInetSocketAddress *gst_resilient_connection_get_remote_address (GstResilientConnection * conn);
G_GNUC_INTERNAL GInetSocketAddress *gst_resilient_connection_get_local_address (GstResilientConnection * conn);

/* ---- connector.c: how a control channel is made ---- */

/**
 * GstResilientAcceptCertificateFunc:
 * @conn: the client connection in its handshake
 * @peer_cert: the server's certificate
 * @errors: why it failed validation (all the flags GIO found)
 * @user_data: GstResilientConnectOptions.accept_certificate_data
 *
 * Consulted when the server's certificate fails validation (as
 * GTlsConnection::accept-certificate, and rtspsrc's signal of that name).
 * Runs on the I/O thread, inside the handshake: it must not block.
 *
 * Returns: TRUE to accept the certificate anyway.
 */
typedef gboolean (*GstResilientAcceptCertificateFunc) (GTlsConnection * conn,
    GTlsCertificate * peer_cert, GTlsCertificateFlags errors,
    gpointer user_data);

/**
 * GstResilientConnectEventFunc:
 * @event: G_SOCKET_CLIENT_RESOLVING, _RESOLVED, _CONNECTING, _CONNECTED
 *   (GSocketClient's own, for the TCP connection to the server or to the
 *   proxy), _PROXY_NEGOTIATING, _PROXY_NEGOTIATED (the proxy handshake),
 *   _TLS_HANDSHAKING, _TLS_HANDSHAKED (the server's TLS)
 * @connection: the connection so far (for _CONNECTED the
 *   GSocketConnection, whose remote address is the one connected to)
 * @user_data: GstResilientConnectOptions.event_data
 *
 * Progress of a connect, for timing it. Runs on the I/O thread; must not
 * block. Never called after the connect's callback.
 */
typedef void (*GstResilientConnectEventFunc) (GSocketClientEvent event,
    GIOStream * connection, gpointer user_data);

/**
 * GstResilientConnectOptions:
 * @tls: speak TLS on the connection (rtsps://), after the proxy (if any)
 * @tls_validation_flags: which certificate errors reject the server
 *   (default G_TLS_CERTIFICATE_VALIDATE_ALL; 0 accepts any certificate)
 * @tls_database: (nullable): the CAs to trust; NULL: the system's
 * @tls_interaction: (nullable): for client certificates / PINs
 * @accept_certificate: (nullable): consulted when validation fails; the
 *   handshake fails if it is NULL or returns FALSE
 * @accept_certificate_data: for @accept_certificate; must stay valid until
 *   the connect's callback has run (not copied, not freed)
 * @proxy: (nullable): [http://|socks5://|socks4a://][user[:password]@]host[:port]
 *   (no scheme means http://; default port 8080 for http as in rtspsrc,
 *   1080 for SOCKS;
 *   user and password may be %-escaped). "direct://" means no proxy at all.
 *   NULL or "": when the environment sets http_proxy, https_proxy or
 *   all_proxy (either case), GIO's default GProxyResolver decides, for the
 *   URI rtsp[s]://host:port — with glib-networking that is libproxy (which
 *   also honours no_proxy); unsupported schemes it returns are an error.
 *   Without those variables: direct, no lookup (it would cost a thread-pool
 *   round trip per connection).
 * @proxy_id: (nullable): proxy user; overrides the one in @proxy when set
 * @proxy_pw: (nullable): proxy password; overrides the one in @proxy when
 *   @proxy_id is set
 * @event: (nullable): told the connect's progress (for the stats)
 * @event_data: for @event; must stay valid until the connect's callback
 *   has run (not copied, not freed)
 *
 * How gst_resilient_connect_async() reaches the server. Initialise with
 * gst_resilient_connect_options_init(); _copy() refs/dups the members,
 * _clear() releases them.
 */
typedef struct
{
  gboolean tls;
  GTlsCertificateFlags tls_validation_flags;
  GTlsDatabase *tls_database;
  GTlsInteraction *tls_interaction;
  GstResilientAcceptCertificateFunc accept_certificate;
  gpointer accept_certificate_data;
  gchar *proxy;
  gchar *proxy_id;
  gchar *proxy_pw;
  GstResilientConnectEventFunc event;
  gpointer event_data;
} GstResilientConnectOptions;

G_GNUC_INTERNAL void gst_resilient_connect_options_init (GstResilientConnectOptions * opts);
G_GNUC_INTERNAL void gst_resilient_connect_options_copy (GstResilientConnectOptions * dest,
    const GstResilientConnectOptions * src);
G_GNUC_INTERNAL void gst_resilient_connect_options_clear (GstResilientConnectOptions * opts);

/**
 * GstResilientProxyType:
 * The proxies the connector speaks: HTTP CONNECT and SOCKS4a (user id),
 * both our own non-blocking code; SOCKS5 (user/password) through GIO's
 * GProxy. HTTP CONNECT authentication: the first CONNECT carries no
 * credentials, unless the same proxy asked for Basic before in this process
 * (then Basic goes at once); a 407 (or tinyproxy's 401) is answered with
 * the strongest challenge it offers — Digest SHA-512-256 > SHA-256 > MD5
 * (method CONNECT, digest-uri host:port, qop=auth) > Basic — on the same
 * connection when the proxy keeps it open (Content-Length body, no
 * "Connection: close"), else on a new one. At most one resend per attempt,
 * one more for a stale nonce; credentials the proxy rejects give one auth
 * error naming the proxy.
 */
typedef enum
{
  GST_RESILIENT_PROXY_NONE,
  GST_RESILIENT_PROXY_HTTP,
  GST_RESILIENT_PROXY_SOCKS5,
  GST_RESILIENT_PROXY_SOCKS4A,
} GstResilientProxyType;

/**
 * gst_resilient_proxy_parse:
 * @proxy: a proxy setting as GstResilientConnectOptions.proxy describes
 * @proxy_id: (nullable): overrides the user of @proxy when non-empty
 * @proxy_pw: (nullable): the password that goes with @proxy_id
 * @type: (out): the kind; GST_RESILIENT_PROXY_NONE for "direct://"
 * @host: (out) (transfer full): the proxy's host (an IPv6 literal without
 *   brackets)
 * @port: (out): the proxy's port
 * @user: (out) (transfer full) (nullable): the user, %-decoded, or NULL
 * @password: (out) (transfer full) (nullable): the password, or NULL
 *
 * Pure. A GST_RESILIENT_ERROR_BAD_URL error (whose message never contains
 * the credentials) for anything else.
 */
G_GNUC_INTERNAL
gboolean gst_resilient_proxy_parse (const gchar * proxy, const gchar * proxy_id,
    const gchar * proxy_pw, GstResilientProxyType * type, gchar ** host,
    guint16 * port, gchar ** user, gchar ** password, GError ** error);

/**
 * gst_resilient_connect_async:
 * @io: the I/O context the attempt and @callback run on
 * @host: a name or an address literal (an IPv6 one with or without brackets)
 * @port: the server's port
 * @options: (nullable): proxy and TLS; NULL: plain TCP, proxy from GIO's
 *   default resolver. Copied.
 * @timeout_ms: limit for the whole attempt (proxy lookup, DNS, TCP connect,
 *   proxy handshake, TLS handshake); 0 = none
 *
 * Connects to @host:@port: through the proxy when there is one (the proxy
 * carries every TCP connection), then TLS on top when @options asks for it
 * (SNI and the identity checked are @host). Resolving tries every address in
 * turn, as GSocketClient does. The TCP socket has TCP_NODELAY set.
 * Always asynchronous, from any thread; @callback runs on the I/O context.
 *
 * _finish returns the stream — a GSocketConnection, or a GTlsClientConnection
 * over one — whose streams are pollable; or a GST_RESILIENT_ERROR naming the
 * server and the proxy (never the credentials): dns, refused, unreachable,
 * timeout (saying which step), tls (saying why the certificate was
 * rejected), auth (407 / SOCKS authentication), forbidden (the proxy refused
 * the destination), protocol (a proxy that does not speak its protocol),
 * bad-url (an unusable proxy setting); or G_IO_ERROR_CANCELLED when
 * @cancellable was cancelled.
 */
G_GNUC_INTERNAL
void gst_resilient_connect_async (GstResilientIoContext * io,
    const gchar * host, guint16 port,
    const GstResilientConnectOptions * options, guint timeout_ms,
    GCancellable * cancellable, GAsyncReadyCallback callback, gpointer user_data);
G_GNUC_INTERNAL
GIOStream *gst_resilient_connect_finish (GAsyncResult * result,
    GError ** error);

/**
 * gst_resilient_connect_tcp_async:
 * gst_resilient_connect_async() with plain TCP and no proxy at all
 * ("direct://"), whatever the environment says. _finish returns a
 * GSocketConnection.
 */
G_GNUC_INTERNAL
void gst_resilient_connect_tcp_async (GstResilientIoContext * io,
    const gchar * host, guint16 port, guint timeout_ms,
    GCancellable * cancellable, GAsyncReadyCallback callback, gpointer user_data);
G_GNUC_INTERNAL
GIOStream *gst_resilient_connect_tcp_finish (GAsyncResult * result,
    GError ** error);

/* For tests: forgets which HTTP proxies asked for Basic, so that the next
 * CONNECT to any proxy goes without credentials. Any thread. */
G_GNUC_INTERNAL void gst_resilient_connect_forget_proxies (void);

/**
 * gst_resilient_connect_explain_error:
 * @stream: a stream gst_resilient_connect_finish() returned
 * @error: (inout): a GST_RESILIENT_ERROR on it (any thread)
 * @nothing_received: no byte came from the server on @stream yet
 *
 * For a server that asked @stream for a client certificate in the
 * handshake: under TLS 1.3 a server refuses the client's certificate (or
 * its absence: no tls-interaction, or it gave none) only after the
 * handshake, by closing the connection, and GIO then says just "TLS
 * connection closed unexpectedly" or "Connection reset by peer". So
 * @error, when of class tls, or of class connection-lost with
 * @nothing_received (it then becomes tls: a retry cannot fix it), gets the
 * likely reason added to its message. Anything else is left alone.
 */
G_GNUC_INTERNAL void gst_resilient_connect_explain_error (GIOStream * stream,
    GError * error, gboolean nothing_received);

G_END_DECLS
