/* resilientrtsp
 * connector-private.h: what connector.c and connector-http.c share — one
 * connection attempt's state and the steps the HTTP CONNECT handshake
 * hands on to. Not for any other file.
 */
#pragma once

#include "auth.h"
#include "connection.h"
#include "error.h"

G_BEGIN_DECLS

#define DEFAULT_HTTP_PROXY_PORT 8080    /* as rtspsrc */
#define DEFAULT_SOCKS_PROXY_PORT 1080
/* an HTTP proxy's answer to CONNECT longer than this is refused */
#define HTTP_MAX_ANSWER 16384

typedef struct
{
  /* immutable once created */
  GstResilientIoContext *io;
  gchar *host;
  guint16 port;
  GstResilientConnectOptions options;
  guint timeout_ms;
  GCancellable *cancellable;    /* the caller's, or NULL */
  GAsyncReadyCallback callback;
  gpointer user_data;

  /* I/O thread, once started */
  gchar *what;                  /* "connecting to host:port[ through …]" */
  const gchar *step;            /* the step in progress, for timeouts */
  GCancellable *child;          /* cancelled by the caller's or the timer */
  gulong cancelled_id;
  GSource *timer;
  gboolean timed_out;

  GstResilientProxyType proxy_type;
  gchar *proxy_host;
  guint16 proxy_port;
  gchar *proxy_user;
  gchar *proxy_password;

  GIOStream *stream;            /* the connection so far */
  gchar *request;               /* HTTP CONNECT request (credentials) */
  gsize request_len;
  GByteArray *answer;           /* HTTP proxy answer so far */
  guint8 read_buf[1024];
  GstResilientAuth *proxy_auth; /* HTTP proxy: from its first challenge on */
  gboolean sent_credentials;    /* the CONNECT in flight carries them … */
  gboolean sent_basic_unasked;  /* … as Basic before any challenge */
  guint auth_resends;           /* CONNECTs resent after a 407 */
  gboolean keep_alive;          /* the last 407 keeps the connection open … */
  gsize discard;                /* … once this much of its body is read */
  gboolean reused;              /* the CONNECT in flight follows a 407 on the
                                 * same connection */
  gulong accept_id;             /* accept-certificate handler */
  gboolean rejected;            /* the certificate was refused … */
  GTlsCertificateFlags rejected_errors; /* … for these */
} ConnectData;

/* connector.c */
G_GNUC_INTERNAL void gst_resilient_connector_free_secret (gchar * secret);
/* "host:port", "[v6]:port" */
G_GNUC_INTERNAL gchar *gst_resilient_connector_format_host_port (const gchar * host, guint16 port);
/* A printable excerpt of untrusted bytes (at most 60). */
G_GNUC_INTERNAL gchar *gst_resilient_connector_excerpt (const guint8 * bytes, gsize len);
/* Ends the attempt with @error (taken), classified and named after the
 * step in progress. */
G_GNUC_INTERNAL void gst_resilient_connector_return_error (GTask * task, GError * error);
/* A GST_RESILIENT_ERROR "<what>: <message>". */
G_GNUC_INTERNAL void gst_resilient_connector_return_new_error (GTask * task,
    GstResilientErrorCode code, const gchar * format, ...) G_GNUC_PRINTF (3, 4);
/* step 2: DNS + TCP to the server or the proxy */
G_GNUC_INTERNAL void gst_resilient_connector_tcp_start (GTask * task);
/* step 4: TLS on data->stream when the scheme wants it, else done */
G_GNUC_INTERNAL void gst_resilient_connector_tls_start_or_finish (GTask * task);

/* connector-http.c: step 3, HTTP CONNECT on data->stream */
G_GNUC_INTERNAL void gst_resilient_connector_http_start (GTask * task);

G_END_DECLS
