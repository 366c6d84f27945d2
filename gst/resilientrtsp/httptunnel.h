/* resilientrtsp
 * httptunnel.h: RTSP over HTTP, the QuickTime/Apple tunnelling scheme
 * (rtsph://, and rtspsh:// over TLS).
 *
 * The client opens two HTTP connections to the server: a GET whose
 * never-ending response body carries everything the server sends (RTSP
 * responses and requests, $-interleaved RTP/RTCP) as is, and a POST whose
 * never-ending request body carries everything the client sends, base64
 * encoded. A random x-sessioncookie header ties the two together.
 *
 *   GET /path HTTP/1.0                      POST /path HTTP/1.0
 *   x-sessioncookie: <cookie>               x-sessioncookie: <cookie>
 *   Accept: application/x-rtsp-tunnelled    Content-Type: application/x-rtsp-tunnelled
 *   Pragma: no-cache                        Pragma: no-cache
 *   Cache-Control: no-cache                 Cache-Control: no-cache
 *                                           Content-Length: 32767
 *                                           Expires: Sun, 9 Jan 1972 00:00:00 GMT
 *
 * The server answers the GET with "HTTP/1.0 200 OK" and headers; nothing
 * answers the POST.
 *
 * The result is a GIOStream (GstResilientHttpTunnel) that
 * gst_resilient_connection_new() takes like any other stream: its input
 * stream is the GET response body, its output stream base64-encodes onto the
 * POST body, and both are pollable.
 *
 * Base64 framing: every write (every writev: all its vectors together, up to
 * 48 KiB of input) becomes one complete base64 unit, padding included, so
 * every POST chunk decodes on its own. Servers that decode each read
 * independently (live555) need that; gst-rtsp-server, which decodes the
 * body as one stream with g_base64_decode_step, accepts padding in the
 * middle of the stream (checked against gst-rtsp-server 1.22: three
 * requests of lengths ≡ 0, 1 and 2 mod 3, concatenated in one TCP write,
 * were all answered; tests/check/httptunnel.c drives a whole session).
 */
#pragma once

#include <gst/gst.h>
#include <gio/gio.h>

#include "iocontext.h"
#include "connection.h"

G_BEGIN_DECLS

#define GST_TYPE_RESILIENT_HTTP_TUNNEL (gst_resilient_http_tunnel_get_type ())
G_DECLARE_FINAL_TYPE (GstResilientHttpTunnel, gst_resilient_http_tunnel,
    GST, RESILIENT_HTTP_TUNNEL, GIOStream);

/* The Content-Length announced on the POST, as QuickTime does; the body is
 * in fact unbounded and servers ignore it. */
#define GST_RESILIENT_HTTP_TUNNEL_POST_CONTENT_LENGTH 32767

/* Default bound on the GET response's status line and headers. */
#define GST_RESILIENT_HTTP_TUNNEL_DEFAULT_MAX_RESPONSE_BYTES (16 * 1024)

/**
 * GstResilientHttpTunnelOptions:
 * @extra_headers: (nullable): headers added to both the GET and the POST, as
 *   rtspsrc's extra-http-request-headers: each field name is a header name,
 *   each value a string (other types are serialised with
 *   gst_value_serialize()). Headers whose name is not an HTTP token or whose
 *   value holds CR, LF or NUL, and the tunnel's own x-sessioncookie,
 *   Content-Length and Content-Type, are skipped with a warning.
 * @user_agent: (nullable): the User-Agent header, none when NULL (skipped
 *   with a warning when it holds CR or LF)
 * @ignore_x_server_reply: do not honour the GET response's
 *   x-server-ip-address header. By default the POST connection goes to the
 *   address that header names (servers behind a load balancer need it;
 *   rtspsrc does the same, with the same property name). Security: the
 *   header lets whoever answers the GET — the server, or anyone able to
 *   tamper with a plain-HTTP answer — send the POST, which carries every
 *   RTSP request including Authorization headers, to any IP address of
 *   their choosing. So: only IP address literals are honoured (never a
 *   name: no DNS lookup), the port stays the URL's, and over TLS the header
 *   is never honoured (the POST must verify the certificate against the
 *   URL's host name, and goes there). Set this on untrusted networks.
 * @max_response_bytes: bound on the GET response's status line and headers;
 *   0 for GST_RESILIENT_HTTP_TUNNEL_DEFAULT_MAX_RESPONSE_BYTES
 * @connect: (nullable): how both connections are made — proxy, TLS
 *   (rtspsh://) — as gst_resilient_connect_async() takes them; both go the
 *   same way. NULL: plain TCP straight to the server, whatever the
 *   environment says (gst_resilient_connect_tcp_async()). Its
 *   accept_certificate_data must stay valid until the tunnel's callback
 *   has run.
 *
 * Everything is copied by gst_resilient_http_tunnel_new_async().
 */
typedef struct
{
  const GstStructure *extra_headers;
  const gchar *user_agent;
  gboolean ignore_x_server_reply;
  gsize max_response_bytes;
  const GstResilientConnectOptions *connect;
} GstResilientHttpTunnelOptions;

/**
 * gst_resilient_http_tunnel_new_async:
 * @io: the I/O context; every step and the callback run on it
 * @host: the server (name or address literal; an IPv6 literal with or
 *   without brackets)
 * @port: the server's port (the RTSP URL's port: servers take the tunnel on
 *   their RTSP port)
 * @path: (nullable): the request path, the RTSP URL's path and query
 *   ("/stream?x=1"); NULL or "" means "/"
 * @options: (nullable): NULL for the defaults
 * @timeout_ms: limit for the whole set-up (both connections, the GET's
 *   answer); 0 for none
 *
 * Connects the GET, sends it, reads the answer's headers, connects the POST
 * (to the x-server-ip-address it names, see @options) and sends its headers.
 * Always asynchronous, from any thread; the callback runs on @io.
 * _finish returns the tunnel (a GstResilientHttpTunnel) or:
 *  - what gst_resilient_connect_async() reports when a connection fails
 *    (DNS, REFUSED, UNREACHABLE, TLS, proxy errors…), prefixed with the
 *    tunnel and the connection ("HTTP tunnel to cam:80 (GET connection):
 *    …")
 *  - GST_RESILIENT_ERROR_TIMEOUT: the set-up took longer than @timeout_ms
 *    (a connection, or a GET answer that never ends its headers)
 *  - GST_RESILIENT_ERROR_PROTOCOL: the answer is not HTTP, or headers that
 *    do not parse or exceed the bound
 *  - GST_RESILIENT_ERROR_CONNECTION_LOST: the server closed the GET
 *    connection without answering
 *  - the class of the status for an answer other than 200 (403 →
 *    FORBIDDEN, 401/407 → AUTH, 404 → NOT_FOUND, 503 → SERVER_BUSY, 3xx →
 *    REDIRECT, …; redirects are not followed)
 *  - G_IO_ERROR_CANCELLED when @cancellable was cancelled.
 */
G_GNUC_INTERNAL
void gst_resilient_http_tunnel_new_async (GstResilientIoContext * io,
    const gchar * host, guint16 port, const gchar * path,
    const GstResilientHttpTunnelOptions * options, guint timeout_ms,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data);
G_GNUC_INTERNAL
GIOStream *gst_resilient_http_tunnel_new_finish (GAsyncResult * result,
    GError ** error);

/* The x-sessioncookie both requests carried. */
G_GNUC_INTERNAL
const gchar *gst_resilient_http_tunnel_get_cookie (GstResilientHttpTunnel * tunnel);

/* Where the POST connection went: the host given to new_async, or the
 * address of the GET answer's x-server-ip-address. */
G_GNUC_INTERNAL
const gchar *gst_resilient_http_tunnel_get_post_host (GstResilientHttpTunnel * tunnel);

/* The two underlying connections ((transfer none); for addresses and
 * stats). Closing the tunnel closes both. */
G_GNUC_INTERNAL
GIOStream *gst_resilient_http_tunnel_get_get_connection (GstResilientHttpTunnel * tunnel);
G_GNUC_INTERNAL
GIOStream *gst_resilient_http_tunnel_get_post_connection (GstResilientHttpTunnel * tunnel);

/* ---- pure parsing and formatting (no I/O), exposed for the unit tests ---- */

typedef enum
{
  GST_RESILIENT_HTTP_PARSE_NEED_MORE,   /* no end of headers yet */
  GST_RESILIENT_HTTP_PARSE_DONE,        /* @response is filled in */
  GST_RESILIENT_HTTP_PARSE_ERROR,       /* not HTTP, malformed, or too large */
} GstResilientHttpParseResult;

typedef struct
{
  guint status;                 /* 100..999 */
  gchar *reason;                /* reason phrase, may be "" */
  gchar *server_ip;             /* x-server-ip-address, trimmed, or NULL */
  gsize header_size;            /* bytes up to and including the blank line */
} GstResilientHttpResponse;

/**
 * gst_resilient_http_response_parse:
 * @data: the bytes received so far on the GET connection
 * @max_bytes: bound on the headers (0: the default)
 *
 * Parses an HTTP response head: "HTTP/1.x NNN reason" then header lines up
 * to a blank line (CRLF or bare LF line ends). Everything from
 * response->header_size on belongs to the tunnel body. Reports an error as
 * soon as the bytes cannot be an HTTP response (so garbage does not wait
 * for the timeout), with GST_RESILIENT_ERROR_PROTOCOL. Free the response
 * with gst_resilient_http_response_clear().
 */
G_GNUC_INTERNAL
GstResilientHttpParseResult gst_resilient_http_response_parse (const guint8 * data,
    gsize len, gsize max_bytes, GstResilientHttpResponse * response,
    GError ** error);
G_GNUC_INTERNAL
void gst_resilient_http_response_clear (GstResilientHttpResponse * response);

/**
 * gst_resilient_http_tunnel_encode:
 * Appends to @out the base64 of the first @max_in bytes (at most) of the
 * concatenated @vectors, as one complete unit with padding, without line
 * breaks. Returns how many input bytes were encoded.
 */
G_GNUC_INTERNAL
gsize gst_resilient_http_tunnel_encode (const GOutputVector * vectors,
    gsize n_vectors, gsize max_in, GByteArray * out);

/* A new random session cookie: 24 characters from [A-Za-z0-9]. */
G_GNUC_INTERNAL
gchar *gst_resilient_http_tunnel_new_cookie (void);

G_END_DECLS
