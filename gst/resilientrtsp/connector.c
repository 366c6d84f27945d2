/* resilientrtsp
 * connector.c: how a control channel is made, in steps, all under one
 * timeout for the whole attempt:
 *
 *   1. the proxy: from the options, or GIO's default GProxyResolver;
 *   2. DNS + TCP connect with GSocketClient (every resolved address in turn)
 *      to the server, or to the proxy;
 *   3. the proxy handshake: HTTP CONNECT here (non-blocking; a 407 is
 *      answered with Basic or Digest credentials from auth.c, on the same
 *      connection when the proxy keeps it open, else on a new one;
 *      GIO's own "http" GProxy is not used: it reads the answer with
 *      blocking calls in a worker thread, byte by byte, without a size
 *      limit), SOCKS4a here too (GIO 2.74's leaks a buffer per connection),
 *      SOCKS5 through GIO's GProxy (non-blocking);
 *   4. TLS (GTlsClientConnection) on top, for rtsps.
 *
 * Everything runs on the I/O thread: the attempt starts inside an invoke,
 * and the I/O context is the thread's default, so GSocketClient's internal
 * sources and every callback below run there. glib-networking runs the TLS
 * handshake itself in a worker thread; it emits accept-certificate on the
 * handshake's context, the I/O thread.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "auth.h"
#include "connection.h"
#include "error.h"

#ifdef G_OS_UNIX
#include <netinet/in.h>
#include <netinet/tcp.h>
#endif

GST_DEBUG_CATEGORY_STATIC (connector_debug);
#define GST_CAT_DEFAULT connector_debug

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

static void tls_start_or_finish (GTask * task);

static void
init_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (connector_debug, "resilientrtspconnector", 0,
        "resilientrtsp connector");
    g_once_init_leave (&done, 1);
  }
}

/* ---- options ---- */

void
gst_resilient_connect_options_init (GstResilientConnectOptions * opts)
{
  g_return_if_fail (opts != NULL);

  memset (opts, 0, sizeof (*opts));
  opts->tls_validation_flags = G_TLS_CERTIFICATE_VALIDATE_ALL;
}

void
gst_resilient_connect_options_copy (GstResilientConnectOptions * dest,
    const GstResilientConnectOptions * src)
{
  g_return_if_fail (dest != NULL);
  g_return_if_fail (src != NULL);

  *dest = *src;
  if (src->tls_database)
    dest->tls_database = g_object_ref (src->tls_database);
  if (src->tls_interaction)
    dest->tls_interaction = g_object_ref (src->tls_interaction);
  dest->proxy = g_strdup (src->proxy);
  dest->proxy_id = g_strdup (src->proxy_id);
  dest->proxy_pw = g_strdup (src->proxy_pw);
}

static void
free_secret (gchar * secret)
{
  if (secret) {
    memset (secret, 0, strlen (secret));
    g_free (secret);
  }
}

void
gst_resilient_connect_options_clear (GstResilientConnectOptions * opts)
{
  g_return_if_fail (opts != NULL);

  g_clear_object (&opts->tls_database);
  g_clear_object (&opts->tls_interaction);
  /* the proxy URL may carry a password */
  g_clear_pointer (&opts->proxy, free_secret);
  g_clear_pointer (&opts->proxy_id, g_free);
  g_clear_pointer (&opts->proxy_pw, free_secret);
}

/* ---- proxy settings ---- */

static const gchar *
proxy_type_name (GstResilientProxyType type)
{
  switch (type) {
    case GST_RESILIENT_PROXY_HTTP:
      return "http";
    case GST_RESILIENT_PROXY_SOCKS5:
      return "socks5";
    case GST_RESILIENT_PROXY_SOCKS4A:
      return "socks4a";
    default:
      return "direct";
  }
}

/* "host:port", "[v6]:port" */
static gchar *
format_host_port (const gchar * host, guint16 port)
{
  if (strchr (host, ':'))
    return g_strdup_printf ("[%s]:%u", host, port);
  return g_strdup_printf ("%s:%u", host, port);
}

gboolean
gst_resilient_proxy_parse (const gchar * proxy, const gchar * proxy_id,
    const gchar * proxy_pw, GstResilientProxyType * type, gchar ** host,
    guint16 * port, gchar ** user, gchar ** password, GError ** error)
{
  gchar *full;
  GUri *uri;
  const gchar *scheme, *path, *c;
  gint uri_port;
  guint default_port;

  g_return_val_if_fail (proxy != NULL, FALSE);
  g_return_val_if_fail (type != NULL && host != NULL && port != NULL, FALSE);
  g_return_val_if_fail (user != NULL && password != NULL, FALSE);

  *type = GST_RESILIENT_PROXY_NONE;
  *host = NULL;
  *port = 0;
  *user = NULL;
  *password = NULL;

  /* rtspsrc's format has no scheme: [user:passwd@]host[:port] */
  if (strstr (proxy, "://") == NULL)
    full = g_strconcat ("http://", proxy, NULL);
  else
    full = g_strdup (proxy);
  /* no GError from g_uri_parse: its message would quote the credentials */
  uri = g_uri_parse (full, G_URI_FLAGS_HAS_PASSWORD, NULL);
  free_secret (full);
  if (uri == NULL)
    goto not_a_url;

  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "direct") == 0) {
    g_uri_unref (uri);
    return TRUE;
  } else if (g_ascii_strcasecmp (scheme, "http") == 0) {
    *type = GST_RESILIENT_PROXY_HTTP;
    default_port = DEFAULT_HTTP_PROXY_PORT;
  } else if (g_ascii_strcasecmp (scheme, "socks5") == 0 ||
      g_ascii_strcasecmp (scheme, "socks5h") == 0) {
    *type = GST_RESILIENT_PROXY_SOCKS5;
    default_port = DEFAULT_SOCKS_PROXY_PORT;
  } else if (g_ascii_strcasecmp (scheme, "socks4a") == 0) {
    *type = GST_RESILIENT_PROXY_SOCKS4A;
    default_port = DEFAULT_SOCKS_PROXY_PORT;
  } else {
    goto unsupported_scheme;
  }

  path = g_uri_get_path (uri);
  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      (*path != '\0' && strcmp (path, "/") != 0) ||
      g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    goto not_a_proxy;
  uri_port = g_uri_get_port (uri);
  if (uri_port == 0)
    goto not_a_proxy;

  for (c = g_uri_get_host (uri); *c; c++) {
    if ((guchar) * c <= ' ' || *c == 0x7f)
      goto not_a_proxy;
  }

  *host = g_strdup (g_uri_get_host (uri));
  *port = uri_port > 0 ? (guint16) uri_port : default_port;
  if (proxy_id && *proxy_id) {
    *user = g_strdup (proxy_id);
    *password = g_strdup (proxy_pw);
  } else if (g_uri_get_user (uri) && *g_uri_get_user (uri)) {
    *user = g_strdup (g_uri_get_user (uri));
    *password = g_strdup (g_uri_get_password (uri));
  }
  g_uri_unref (uri);
  return TRUE;

  /* ERRORS */
not_a_url:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_BAD_URL,
        "the proxy setting is not a valid URL (expected "
        "[http://|socks5://|socks4a://][user:password@]host[:port])");
    return FALSE;
  }
unsupported_scheme:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_BAD_URL,
        "unsupported proxy scheme \"%s\" (http, socks5 and socks4a are "
        "supported)", scheme);
    g_uri_unref (uri);
    return FALSE;
  }
not_a_proxy:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_BAD_URL,
        "the proxy setting is not [%s://][user:password@]host[:port]",
        proxy_type_name (*type));
    *type = GST_RESILIENT_PROXY_NONE;
    g_uri_unref (uri);
    return FALSE;
  }
}

/* ---- the attempt ---- */

static void
stop_timer (ConnectData * data)
{
  if (data->timer) {
    g_source_destroy (data->timer);
    g_clear_pointer (&data->timer, g_source_unref);
  }
}

static void
connect_data_free (ConnectData * data)
{
  stop_timer (data);
  if (data->cancelled_id)
    g_cancellable_disconnect (data->cancellable, data->cancelled_id);
  g_clear_object (&data->child);
  g_clear_object (&data->cancellable);
  g_clear_object (&data->stream);
  if (data->request) {
    memset (data->request, 0, data->request_len);
    g_free (data->request);
  }
  if (data->answer)
    g_byte_array_unref (data->answer);
  g_clear_pointer (&data->proxy_auth, gst_resilient_auth_free);
  gst_resilient_connect_options_clear (&data->options);
  gst_resilient_io_context_unref (data->io);
  g_free (data->host);
  g_free (data->what);
  g_free (data->proxy_host);
  g_free (data->proxy_user);
  free_secret (data->proxy_password);
  g_free (data);
}

static void
on_caller_cancelled (GCancellable * cancellable, gpointer user_data)
{
  GCancellable *child = user_data;

  /* any thread */
  g_cancellable_cancel (child);
}

static gboolean
on_connect_timeout (gpointer user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);

  GST_INFO ("%s: timed out after %u ms (%s)", data->what, data->timeout_ms,
      data->step);
  data->timed_out = TRUE;
  g_cancellable_cancel (data->child);

  return G_SOURCE_REMOVE;
}

/* Ends the attempt with @error (transfer full): ours as it is, a GIO one
 * classified, the timer's cancellation as a timeout. */
static void
return_error (GTask * task, GError * error)
{
  ConnectData *data = g_task_get_task_data (task);

  stop_timer (data);
  if (data->timed_out) {
    GST_INFO ("%s: %s", data->what, error->message);
    g_task_return_new_error (task, GST_RESILIENT_ERROR,
        GST_RESILIENT_ERROR_TIMEOUT, "%s: timed out after %u ms (%s)",
        data->what, data->timeout_ms, data->step);
    g_error_free (error);
  } else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    /* the caller's own cancellation stays G_IO_ERROR_CANCELLED */
    GST_DEBUG ("%s: cancelled", data->what);
    g_task_return_error (task, error);
  } else if (error->domain == GST_RESILIENT_ERROR) {
    GST_INFO ("%s", error->message);
    g_task_return_error (task, error);
  } else {
    GError *ours = gst_resilient_error_new_from_gio (error, data->what);

    GST_INFO ("%s", ours->message);
    g_task_return_error (task, ours);
    g_error_free (error);
  }
  g_object_unref (task);
}

/* *INDENT-OFF* */
static void return_new_error (GTask * task, GstResilientErrorCode code,
    const gchar * format, ...) G_GNUC_PRINTF (3, 4);
/* *INDENT-ON* */

/* A GST_RESILIENT_ERROR "<what>: <message>". */
static void
return_new_error (GTask * task, GstResilientErrorCode code,
    const gchar * format, ...)
{
  ConnectData *data = g_task_get_task_data (task);
  va_list args;
  gchar *message;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  return_error (task, g_error_new (GST_RESILIENT_ERROR, code, "%s: %s",
          data->what, message));
  g_free (message);
}

/* Tells options.event the attempt's progress (the stats' set-up times). */
static void
report (ConnectData * data, GSocketClientEvent event, GIOStream * connection)
{
  if (data->options.event)
    data->options.event (event, connection, data->options.event_data);
}

static void
on_client_event (GSocketClient * client, GSocketClientEvent event,
    GSocketConnectable * connectable, GIOStream * connection,
    gpointer user_data)
{
  if (event <= G_SOCKET_CLIENT_CONNECTED)
    report (g_task_get_task_data (user_data), event, connection);
}

static void
finish (GTask * task)
{
  ConnectData *data = g_task_get_task_data (task);
  GIOStream *stream = g_steal_pointer (&data->stream);

  stop_timer (data);
  GST_DEBUG ("%s: connected%s", data->what, data->options.tls ? " (TLS)" : "");
  g_task_return_pointer (task, stream, g_object_unref);
  g_object_unref (task);
}

static void
set_tcp_nodelay (GSocketConnection * conn)
{
#if defined(G_OS_UNIX) && defined(TCP_NODELAY)
  GError *error = NULL;
  GSocket *socket = g_socket_connection_get_socket (conn);

  if (!g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, &error)) {
    GST_WARNING ("cannot set TCP_NODELAY: %s", error->message);
    g_error_free (error);
  }
#endif
}

/* ---- step 4: TLS ---- */

/* glib-networking asks a connection's interaction for a client certificate
 * only when the server asks for one and the connection has none. Ours notes
 * that the server asked and passes the question (and any password request)
 * on to the application's tls-interaction, if any. It belongs to the global
 * default main context — not the I/O thread's, which must not wait on the
 * application — as an application's interaction usually does: GIO runs it
 * there when a loop runs that context, else in glib-networking's handshake
 * thread; the application's then runs where GIO puts it. */
typedef struct
{
  GTlsInteraction parent;
  GTlsInteraction *app;         /* immutable: the application's, or NULL */
  gint asked;                   /* atomic: the server asked for one */
} CertProbe;

typedef GTlsInteractionClass CertProbeClass;

G_GNUC_INTERNAL GType cert_probe_get_type (void);
G_DEFINE_TYPE (CertProbe, cert_probe, G_TYPE_TLS_INTERACTION);

static GTlsInteractionResult
cert_probe_request_certificate (GTlsInteraction * interaction,
    GTlsConnection * conn, GTlsCertificateRequestFlags flags,
    GCancellable * cancellable, GError ** error)
{
  CertProbe *probe = (CertProbe *) interaction;

  g_atomic_int_set (&probe->asked, TRUE);
  if (probe->app == NULL)
    return G_TLS_INTERACTION_UNHANDLED;
  return g_tls_interaction_invoke_request_certificate (probe->app, conn,
      flags, cancellable, error);
}

static GTlsInteractionResult
cert_probe_ask_password (GTlsInteraction * interaction,
    GTlsPassword * password, GCancellable * cancellable, GError ** error)
{
  CertProbe *probe = (CertProbe *) interaction;

  if (probe->app == NULL)
    return G_TLS_INTERACTION_UNHANDLED;
  return g_tls_interaction_invoke_ask_password (probe->app, password,
      cancellable, error);
}

static void
cert_probe_finalize (GObject * object)
{
  g_clear_object (&((CertProbe *) object)->app);
  G_OBJECT_CLASS (cert_probe_parent_class)->finalize (object);
}

static void
cert_probe_class_init (CertProbeClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = cert_probe_finalize;
  klass->request_certificate = cert_probe_request_certificate;
  klass->ask_password = cert_probe_ask_password;
}

static void
cert_probe_init (CertProbe * probe)
{
}

static CertProbe *
cert_probe_new (GTlsInteraction * app)
{
  CertProbe *probe;

  g_main_context_push_thread_default (g_main_context_default ());
  probe = g_object_new (cert_probe_get_type (), NULL);
  g_main_context_pop_thread_default (g_main_context_default ());
  probe->app = app ? g_object_ref (app) : NULL;
  return probe;
}

/* What to add to a TLS error on @tls: NULL unless the server asked for a
 * client certificate (static string). */
static const gchar *
client_certificate_note (GTlsConnection * tls)
{
  GTlsInteraction *i = g_tls_connection_get_interaction (tls);

  if (i == NULL || G_TYPE_FROM_INSTANCE (i) != cert_probe_get_type () ||
      !g_atomic_int_get (&((CertProbe *) i)->asked))
    return NULL;
  if (g_tls_connection_get_certificate (tls) == NULL)
    return "the server asked for a client certificate and none was given: "
        "set tls-interaction";
  return "the server asked for a client certificate and may have refused "
      "the one given";
}

static GQuark
tls_note_quark (void)
{
  return g_quark_from_static_string ("resilientrtsp-tls-note");
}

void
gst_resilient_connect_explain_error (GIOStream * stream, GError * error,
    gboolean nothing_received)
{
  const gchar *note;
  gchar *message;

  g_return_if_fail (G_IS_IO_STREAM (stream));

  if (error == NULL || error->domain != GST_RESILIENT_ERROR)
    return;
  note = g_object_get_qdata (G_OBJECT (stream), tls_note_quark ());
  if (note == NULL)
    return;
  /* a server that wants a certificate may also just reset the connection */
  if (error->code == GST_RESILIENT_ERROR_CONNECTION_LOST && nothing_received)
    error->code = GST_RESILIENT_ERROR_TLS;
  if (error->code != GST_RESILIENT_ERROR_TLS)
    return;
  message = g_strdup_printf ("%s (%s)", error->message, note);
  g_free (error->message);
  error->message = message;
}

static gchar *
describe_certificate_errors (GTlsCertificateFlags errors, const gchar * host)
{
  GString *s = g_string_new (NULL);

#define ADD(text) G_STMT_START { \
    if (s->len) g_string_append (s, "; "); \
    g_string_append (s, text); } G_STMT_END

  if (errors & G_TLS_CERTIFICATE_UNKNOWN_CA)
    ADD ("it is not signed by a trusted certificate authority (unknown CA)");
  if (errors & G_TLS_CERTIFICATE_BAD_IDENTITY) {
    if (s->len)
      g_string_append (s, "; ");
    g_string_append_printf (s, "it is not valid for \"%s\" (bad identity)",
        host);
  }
  if (errors & G_TLS_CERTIFICATE_NOT_ACTIVATED)
    ADD ("it is not valid yet");
  if (errors & G_TLS_CERTIFICATE_EXPIRED)
    ADD ("it has expired");
  if (errors & G_TLS_CERTIFICATE_REVOKED)
    ADD ("it has been revoked");
  if (errors & G_TLS_CERTIFICATE_INSECURE)
    ADD ("it uses an insecure algorithm");
  if ((errors & G_TLS_CERTIFICATE_GENERIC_ERROR) || s->len == 0)
    ADD ("it failed validation");
#undef ADD

  return g_string_free (s, FALSE);
}

/* In the handshake, on the I/O thread: validation failed. */
static gboolean
on_accept_certificate (GTlsConnection * conn, GTlsCertificate * peer_cert,
    GTlsCertificateFlags errors, gpointer user_data)
{
  ConnectData *data = user_data;
  gchar *why;

  /* the validation flags say which errors count (GIO checks them too) */
  if ((errors & data->options.tls_validation_flags) == 0) {
    GST_DEBUG ("%s: certificate errors 0x%x ignored by the validation flags",
        data->what, errors);
    return TRUE;
  }
  why = describe_certificate_errors (errors, data->host);
  if (data->options.accept_certificate &&
      data->options.accept_certificate (conn, peer_cert, errors,
          data->options.accept_certificate_data)) {
    GST_INFO ("%s: certificate accepted by the application although %s",
        data->what, why);
    g_free (why);
    return TRUE;
  }
  GST_INFO ("%s: certificate rejected: %s", data->what, why);
  g_free (why);
  data->rejected = TRUE;
  data->rejected_errors = errors;
  return FALSE;
}

static void
on_handshake (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  GError *error = NULL;
  const gchar *note;
  gboolean ok;

  ok = g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result,
      &error);
  /* the handler's data dies with the task; the connection may live on */
  g_signal_handler_disconnect (source, data->accept_id);
  data->accept_id = 0;
  note = client_certificate_note (G_TLS_CONNECTION (source));

  if (!ok)
    goto failed;

  if (note != NULL) {
    GST_INFO ("%s: %s", data->what, note);
    /* under TLS 1.3 a server refuses a client certificate (or its absence)
     * only after the handshake: connection.c's errors say why */
    g_object_set_qdata (source, tls_note_quark (), (gpointer) note);
  }

  report (data, G_SOCKET_CLIENT_TLS_HANDSHAKED, data->stream);
  finish (task);
  return;

  /* ERRORS */
failed:
  {
    if (data->timed_out || g_error_matches (error, G_IO_ERROR,
            G_IO_ERROR_CANCELLED)) {
      return_error (task, error);
    } else if (data->rejected) {
      gchar *why = describe_certificate_errors (data->rejected_errors,
          data->host);

      return_new_error (task, GST_RESILIENT_ERROR_TLS,
          "TLS handshake failed: the server's certificate was rejected: %s",
          why);
      g_free (why);
      g_error_free (error);
    } else if (error->domain == G_TLS_ERROR || note != NULL) {
      /* (a server that wants a client certificate may just close) */
      return_new_error (task, GST_RESILIENT_ERROR_TLS,
          "TLS handshake failed: %s%s%s%s", error->message,
          note ? " (" : "", note ? note : "", note ? ")" : "");
      g_error_free (error);
    } else {
      GError *ours;
      gchar *what = g_strdup_printf ("%s: in the TLS handshake", data->what);

      ours = gst_resilient_error_new_from_gio (error, what);
      g_free (what);
      g_error_free (error);
      return_error (task, ours);
    }
  }
}

static void
tls_start_or_finish (GTask * task)
{
  ConnectData *data = g_task_get_task_data (task);
  GSocketConnectable *identity;
  GIOStream *tls;
  GError *error = NULL;

  if (data->proxy_type != GST_RESILIENT_PROXY_NONE)
    report (data, G_SOCKET_CLIENT_PROXY_NEGOTIATED, data->stream);
  if (!data->options.tls) {
    finish (task);
    return;
  }

  data->step = "TLS handshake";
  /* SNI and the identity checked: the server's name, never the proxy's */
  identity = g_network_address_new (data->host, data->port);
  tls = g_tls_client_connection_new (data->stream, identity, &error);
  g_object_unref (identity);
  if (tls == NULL)
    goto no_tls;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS;
  /* deprecated in GLib 2.72 ("there is no safe way to ignore validation
   * errors"), but it is rtspsrc's tls-validation-flags; on_accept_certificate
   * applies the same mask */
  g_tls_client_connection_set_validation_flags (G_TLS_CLIENT_CONNECTION (tls),
      data->options.tls_validation_flags);
  G_GNUC_END_IGNORE_DEPRECATIONS;
  if (data->options.tls_database)
    g_tls_connection_set_database (G_TLS_CONNECTION (tls),
        data->options.tls_database);
  {
    /* the application's interaction, behind ours */
    CertProbe *probe = cert_probe_new (data->options.tls_interaction);

    g_tls_connection_set_interaction (G_TLS_CONNECTION (tls),
        G_TLS_INTERACTION (probe));
    g_object_unref (probe);
  }
  data->accept_id = g_signal_connect (tls, "accept-certificate",
      G_CALLBACK (on_accept_certificate), data);

  g_object_unref (data->stream);
  data->stream = tls;
  GST_DEBUG ("%s: TLS handshake", data->what);
  report (data, G_SOCKET_CLIENT_TLS_HANDSHAKING, tls);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT,
      data->child, on_handshake, task);
  return;

  /* ERRORS */
no_tls:
  {
    return_new_error (task, GST_RESILIENT_ERROR_TLS,
        "TLS is not available: %s (is glib-networking installed?)",
        error->message);
    g_error_free (error);
  }
}

/* ---- step 3: SOCKS5 (GIO) ---- */

static void
on_socks_connected (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  GError *error = NULL;
  GIOStream *stream;

  stream = g_proxy_connect_finish (G_PROXY (source), result, &error);
  if (stream == NULL) {
    return_error (task, error);
    return;
  }
  g_object_unref (data->stream);
  data->stream = stream;
  GST_DEBUG ("%s: SOCKS tunnel open", data->what);
  tls_start_or_finish (task);
}

static void
socks_start (GTask * task)
{
  ConnectData *data = g_task_get_task_data (task);
  const gchar *protocol = proxy_type_name (data->proxy_type);
  GSocketAddress *remote;
  GSocketAddress *address;
  GProxy *proxy;
  GError *error = NULL;

  data->step = "SOCKS handshake";
  proxy = g_proxy_get_default_for_protocol (protocol);
  if (proxy == NULL)
    goto no_proxy;
  remote = g_socket_connection_get_remote_address (G_SOCKET_CONNECTION
      (data->stream), &error);
  if (remote == NULL) {
    g_object_unref (proxy);
    return_error (task, error);
    return;
  }

  /* GIO's SOCKS5 sends the user only with a password */
  address = g_proxy_address_new (g_inet_socket_address_get_address
      (G_INET_SOCKET_ADDRESS (remote)),
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote)),
      protocol, data->host, data->port, data->proxy_user,
      data->proxy_user ? (data->proxy_password ? data->proxy_password : "") :
      NULL);
  g_object_unref (remote);

  g_proxy_connect_async (proxy, data->stream, G_PROXY_ADDRESS (address),
      data->child, on_socks_connected, task);
  g_object_unref (address);
  g_object_unref (proxy);
  return;

  /* ERRORS */
no_proxy:
  {
    return_new_error (task, GST_RESILIENT_ERROR_INTERNAL,
        "GIO has no %s proxy implementation", protocol);
  }
}

/* A printable excerpt of untrusted bytes (at most 60). */
static gchar *
excerpt (const guint8 * bytes, gsize len)
{
  gchar *raw, *escaped;
  gsize n = 0;

  while (n < len && n < 60 && bytes[n] != '\r' && bytes[n] != '\n' &&
      bytes[n] != '\0')
    n++;
  raw = g_strndup ((const gchar *) bytes, n);
  escaped = g_strescape (raw, NULL);
  g_free (raw);
  return escaped;
}

/* ---- step 3: SOCKS4a (ours: GIO's leaks its reply buffer) ---- */

static void
on_socks4a_reply (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  GError *error = NULL;
  gsize n = 0;

  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (source), result, &n,
          &error)) {
    return_error (task, error);
    return;
  }
  if (n < 8) {
    return_new_error (task, n == 0 ? GST_RESILIENT_ERROR_CONNECTION_LOST :
        GST_RESILIENT_ERROR_PROTOCOL, "the proxy closed the connection %s",
        n == 0 ? "without answering" : "in the middle of its answer");
    return;
  }
  /* VN = 0, CD = 90 granted, 91 rejected or failed, 92/93 identd */
  if (data->read_buf[0] != 0) {
    gchar *text = excerpt (data->read_buf, n);

    return_new_error (task, GST_RESILIENT_ERROR_PROTOCOL,
        "the proxy does not speak SOCKS4 (it answered \"%s\")", text);
    g_free (text);
    return;
  }
  switch (data->read_buf[1]) {
    case 90:
      GST_DEBUG ("%s: SOCKS4a tunnel open", data->what);
      tls_start_or_finish (task);
      break;
    case 91:
      return_new_error (task, GST_RESILIENT_ERROR_UNREACHABLE,
          "the proxy rejected the request or could not connect (SOCKS4 "
          "status 91)");
      break;
    case 92:
    case 93:
      return_new_error (task, GST_RESILIENT_ERROR_AUTH,
          "the proxy could not confirm the user id (SOCKS4 status %u)",
          data->read_buf[1]);
      break;
    default:
      return_new_error (task, GST_RESILIENT_ERROR_PROTOCOL,
          "the proxy answered an unknown SOCKS4 status %u", data->read_buf[1]);
      break;
  }
}

/* A proxy request was written. It may carry credentials: gone as soon as it
 * is sent. FALSE (task completed) when the write failed. */
static gboolean
proxy_request_written (GTask * task, GObject * source, GAsyncResult * result)
{
  ConnectData *data = g_task_get_task_data (task);
  GError *error = NULL;

  memset (data->request, 0, data->request_len);
  g_clear_pointer (&data->request, g_free);
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result,
          NULL, &error)) {
    return_error (task, error);
    return FALSE;
  }
  return TRUE;
}

static void
on_socks4a_written (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);

  if (!proxy_request_written (task, source, result))
    return;
  g_input_stream_read_all_async (g_io_stream_get_input_stream (data->stream),
      data->read_buf, 8, G_PRIORITY_DEFAULT, data->child, on_socks4a_reply,
      task);
}

/* VN=4 CD=1 DSTPORT DSTIP USERID\0 [HOSTNAME\0]: an IPv4 address goes in
 * DSTIP; a name goes after the user id, DSTIP 0.0.0.1 (SOCKS4a). */
static void
socks4a_start (GTask * task)
{
  ConnectData *data = g_task_get_task_data (task);
  GByteArray *req = g_byte_array_new ();
  GInetAddress *ip = g_inet_address_new_from_string (data->host);
  guint8 head[8] = { 4, 1, data->port >> 8, data->port & 0xff, 0, 0, 0, 1 };
  const gchar *user = data->proxy_user ? data->proxy_user : "";

  data->step = "SOCKS handshake";
  if (ip && g_inet_address_get_family (ip) != G_SOCKET_FAMILY_IPV4)
    goto ipv6;
  if (strlen (data->host) > 255 || strlen (user) > 255)
    goto too_long;
  if (ip)
    memcpy (head + 4, g_inet_address_to_bytes (ip), 4);
  g_byte_array_append (req, head, 8);
  g_byte_array_append (req, (const guint8 *) user, strlen (user) + 1);
  if (ip == NULL)
    g_byte_array_append (req, (const guint8 *) data->host,
        strlen (data->host) + 1);
  g_clear_object (&ip);

  data->request_len = req->len;
  data->request = (gchar *) g_byte_array_free (req, FALSE);
  g_output_stream_write_all_async (g_io_stream_get_output_stream
      (data->stream), data->request, data->request_len, G_PRIORITY_DEFAULT,
      data->child, on_socks4a_written, task);
  return;

  /* ERRORS */
ipv6:
  {
    return_new_error (task, GST_RESILIENT_ERROR_BAD_URL,
        "a SOCKS4a proxy cannot reach an IPv6 address");
    g_object_unref (ip);
    g_byte_array_unref (req);
    return;
  }
too_long:
  {
    return_new_error (task, GST_RESILIENT_ERROR_BAD_URL,
        "the host name or the user id is too long for SOCKS4a");
    g_clear_object (&ip);
    g_byte_array_unref (req);
    return;
  }
}

/* ---- step 3: HTTP CONNECT ---- */

typedef enum
{
  ANSWER_MORE,
  ANSWER_OK,
  ANSWER_RESEND,                /* a 407: CONNECT again with credentials */
  ANSWER_FAILED,
} AnswerResult;

/* The HTTP proxies ("host:port") whose last challenge was Basic: only they
 * get Basic credentials with the first CONNECT (as auth.h does for
 * servers). Any other proxy gets the first CONNECT without credentials, so
 * that one wanting Digest never sees the password. */
static GMutex basic_proxies_lock;
static GHashTable *basic_proxies;       /* basic_proxies_lock; bounded */
#define MAX_BASIC_PROXIES 64

static gboolean
proxy_asked_for_basic (ConnectData * data)
{
  gchar *key = format_host_port (data->proxy_host, data->proxy_port);
  gboolean basic;

  g_mutex_lock (&basic_proxies_lock);
  basic = basic_proxies != NULL && g_hash_table_contains (basic_proxies, key);
  g_mutex_unlock (&basic_proxies_lock);
  g_free (key);
  return basic;
}

static void
remember_proxy_scheme (ConnectData * data, gboolean basic)
{
  gchar *key = format_host_port (data->proxy_host, data->proxy_port);

  g_mutex_lock (&basic_proxies_lock);
  if (basic_proxies == NULL)
    basic_proxies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
        NULL);
  if (!basic) {
    g_hash_table_remove (basic_proxies, key);
    g_free (key);
  } else {
    if (g_hash_table_size (basic_proxies) >= MAX_BASIC_PROXIES)
      g_hash_table_remove_all (basic_proxies);
    g_hash_table_add (basic_proxies, key);
  }
  g_mutex_unlock (&basic_proxies_lock);
}

void
gst_resilient_connect_forget_proxies (void)
{
  g_mutex_lock (&basic_proxies_lock);
  g_clear_pointer (&basic_proxies, g_hash_table_unref);
  g_mutex_unlock (&basic_proxies_lock);
}

/* The value of the header line @line when it is a @name header, or NULL. */
static const gchar *
header_value (const gchar * line, const gchar * name)
{
  gsize len = strlen (name);

  if (g_ascii_strncasecmp (line, name, len) != 0 || line[len] != ':')
    return NULL;
  line += len + 1;
  while (*line == ' ' || *line == '\t')
    line++;
  return line;
}

/* Whether the comma-separated @list holds @token. */
static gboolean
has_token (const gchar * list, const gchar * token)
{
  gchar **items = g_strsplit (list, ",", -1);
  gboolean found = FALSE;
  guint i;

  for (i = 0; items[i] && !found; i++)
    found = g_ascii_strcasecmp (g_strstrip (items[i]), token) == 0;
  g_strfreev (items);
  return found;
}

/* Whether the connection that brought a 407 can carry the next CONNECT:
 * HTTP/1.1 (or 1.0 with keep-alive) without "close", and a body of known
 * length (Content-Length, no Transfer-Encoding) of at most HTTP_MAX_ANSWER
 * bytes, of which @have arrived; *discard: the rest. */
static gboolean
answer_keeps_connection (gchar ** lines, gsize have, gsize * discard)
{
  gboolean keep = g_str_has_prefix (lines[0], "HTTP/1.1 ");
  gboolean closing = FALSE, sized = FALSE;
  guint64 length = 0;
  const gchar *v;
  guint i;

  for (i = 1; lines[i]; i++) {
    if ((v = header_value (lines[i], "Connection")) ||
        (v = header_value (lines[i], "Proxy-Connection"))) {
      closing |= has_token (v, "close");
      keep |= has_token (v, "keep-alive");
    } else if ((v = header_value (lines[i], "Content-Length"))) {
      gchar *end;
      guint64 n = g_ascii_strtoull (v, &end, 10);

      if (!g_ascii_isdigit (*v) || *end != '\0' || (sized && n != length))
        return FALSE;
      length = n;
      sized = TRUE;
    } else if (header_value (lines[i], "Transfer-Encoding")) {
      return FALSE;
    }
  }
  if (closing || !keep || !sized || length > HTTP_MAX_ANSWER || have > length)
    return FALSE;
  *discard = length - have;
  return TRUE;
}

/* "HTTP/1.1 200 Connection established" */
static gboolean
parse_status_line (const gchar * line, guint * code, const gchar ** reason)
{
  const gchar *p;

  if (!g_str_has_prefix (line, "HTTP/") || !g_ascii_isdigit (line[5]) ||
      line[6] != '.' || !g_ascii_isdigit (line[7]) || line[8] != ' ')
    return FALSE;
  p = line + 9;
  while (*p == ' ')
    p++;
  if (!g_ascii_isdigit (p[0]) || !g_ascii_isdigit (p[1]) ||
      !g_ascii_isdigit (p[2]) || (p[3] != '\0' && p[3] != ' '))
    return FALSE;
  *code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
  p += 3;
  while (*p == ' ')
    p++;
  *reason = p;
  return TRUE;
}

/* Where the header block ends (after the blank line), or 0. */
static gsize
find_header_end (const guint8 * buf, gsize len)
{
  gsize i;

  for (i = 0; i + 1 < len; i++) {
    if (buf[i] != '\n')
      continue;
    if (buf[i + 1] == '\n')
      return i + 2;
    if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
      return i + 3;
  }
  return 0;
}

/* The schemes a 407 (Proxy-Authenticate) or 401 (WWW-Authenticate, as
 * tinyproxy answers wrong credentials) offers, "Basic, Digest"; *basic when
 * Basic is one of them (or none is named). */
static gchar *
auth_schemes (gchar ** lines, gboolean * basic)
{
  GString *schemes = g_string_new (NULL);
  guint i;

  *basic = FALSE;
  for (i = 1; lines[i]; i++) {
    const gchar *v;
    gsize n = 0;

    if (g_ascii_strncasecmp (lines[i], "Proxy-Authenticate:", 19) == 0)
      v = lines[i] + 19;
    else if (g_ascii_strncasecmp (lines[i], "WWW-Authenticate:", 17) == 0)
      v = lines[i] + 17;
    else
      continue;
    while (*v == ' ' || *v == '\t')
      v++;
    while (v[n] && v[n] != ' ' && v[n] != '\t' && v[n] != ',' && n < 32)
      n++;
    if (n == 0)
      continue;
    if (n == 5 && g_ascii_strncasecmp (v, "Basic", 5) == 0)
      *basic = TRUE;
    if (schemes->len)
      g_string_append (schemes, ", ");
    g_string_append_len (schemes, v, n);
  }
  if (schemes->len == 0)
    *basic = TRUE;
  return g_string_free (schemes, FALSE);
}

/* A 407 (or the 401 tinyproxy answers wrong credentials with) to our
 * CONNECT: ANSWER_RESEND when the CONNECT goes again with credentials for
 * the strongest challenge (auth.c's policy; here at most once, and once
 * more for a stale nonce), or ANSWER_FAILED with the task's error.
 * @body_have: how much of the answer's body is already read. */
static AnswerResult
proxy_challenge (GTask * task, guint code, const gchar * reason,
    gchar ** lines, gsize body_have)
{
  ConnectData *data = g_task_get_task_data (task);
  const gchar *field = code == 407 ? "Proxy-Authenticate" : "WWW-Authenticate";
  GPtrArray *values = g_ptr_array_new ();
  GPtrArray *usable =
      g_ptr_array_new_with_free_func (gst_resilient_auth_challenge_free);
  const gchar *v, *scheme = NULL;
  gboolean basic, stale = FALSE;
  gchar *offered = auth_schemes (lines, &basic);
  GError *error = NULL;
  guint i;

  for (i = 1; lines[i]; i++) {
    if ((v = header_value (lines[i], field)) != NULL) {
      g_ptr_array_add (values, (gpointer) v);
      gst_resilient_auth_parse_challenges (v, usable, NULL);
    }
  }
  /* no challenge at all: Basic, as before */
  if (values->len == 0) {
    g_ptr_array_add (values, (gpointer) "Basic");
    gst_resilient_auth_parse_challenges ("Basic", usable, NULL);
  }
  g_ptr_array_add (values, NULL);
  for (i = 0; i < usable->len; i++)
    stale |= ((GstResilientAuthChallenge *) g_ptr_array_index (usable,
            i))->stale;

  if (data->proxy_user == NULL)
    goto no_credentials;
  if (usable->len == 0)
    goto unsupported;
  if (data->auth_resends >= 2 || (data->auth_resends == 1 && !stale))
    goto rejected;
  if (data->proxy_auth == NULL)
    data->proxy_auth = gst_resilient_auth_new (data->proxy_user,
        data->proxy_password);
  if (!gst_resilient_auth_challenge_values (data->proxy_auth,
          (const gchar * const *) values->pdata, data->sent_credentials,
          &error))
    goto rejected;
  scheme = gst_resilient_auth_describe (data->proxy_auth);
  /* Basic again, for the Basic sent unasked */
  if (data->sent_basic_unasked && g_strcmp0 (scheme, "Basic") == 0)
    goto rejected;
  remember_proxy_scheme (data, g_strcmp0 (scheme, "Basic") == 0);

  data->keep_alive = answer_keeps_connection (lines, body_have, &data->discard);
  GST_DEBUG ("%s: the proxy asks for credentials (%u%s): sending %s on %s "
      "connection", data->what, code, stale ? ", stale nonce" : "", scheme,
      data->keep_alive ? "the same" : "a new");
  g_ptr_array_unref (values);
  g_ptr_array_unref (usable);
  g_free (offered);
  return ANSWER_RESEND;

  /* ERRORS */
no_credentials:
  {
    return_new_error (task, GST_RESILIENT_ERROR_AUTH,
        "the proxy requires authentication: set proxy-id and proxy-pw "
        "(%u %s)", code, reason);
    goto failed;
  }
unsupported:
  {
    return_new_error (task, GST_RESILIENT_ERROR_AUTH,
        "the proxy requires %s authentication; Basic and Digest (MD5, "
        "SHA-256, SHA-512-256) are supported (%u %s)", offered, code, reason);
    goto failed;
  }
rejected:
  {
    if (scheme == NULL && data->proxy_auth != NULL)
      scheme = gst_resilient_auth_describe (data->proxy_auth);
    if (error != NULL)
      GST_DEBUG ("%s: %s", data->what, error->message);
    g_clear_error (&error);
    return_new_error (task, GST_RESILIENT_ERROR_AUTH,
        "the proxy %s (%s; %u %s)", stale ? "declared the nonce stale again" :
        "rejected the credentials", scheme ? scheme : "Basic", code, reason);
    goto failed;
  }
failed:
  {
    g_ptr_array_unref (values);
    g_ptr_array_unref (usable);
    g_free (offered);
    return ANSWER_FAILED;
  }
}

static AnswerResult
check_http_answer (GTask * task, gboolean eof)
{
  ConnectData *data = g_task_get_task_data (task);
  const guint8 *buf = data->answer->data;
  gsize len = data->answer->len;
  gsize end, prefix = MIN (len, 5);
  gchar *header, **lines, *line, *reason_text, *target;
  const gchar *reason;
  guint code, i;
  AnswerResult result = ANSWER_FAILED;

  /* anything that is not HTTP is refused as soon as it shows */
  if (len > 0 && memcmp (buf, "HTTP/", prefix) != 0)
    goto not_http;
  end = find_header_end (buf, len);
  if (end == 0) {
    if (eof && len == 0)
      goto closed;
    if (eof)
      goto truncated;
    if (len >= HTTP_MAX_ANSWER)
      goto too_long;
    return ANSWER_MORE;
  }

  header = g_strndup ((const gchar *) buf, end);
  lines = g_strsplit (header, "\n", -1);
  g_free (header);
  for (i = 0; lines[i]; i++)
    g_strchomp (lines[i]);
  line = lines[0];
  if (!parse_status_line (line, &code, &reason)) {
    g_strfreev (lines);
    goto not_http;
  }
  if (code >= 200 && code < 300) {
    g_strfreev (lines);
    if (end < len)
      goto early_data;
    GST_DEBUG ("%s: the proxy answered %u", data->what, code);
    return ANSWER_OK;
  }

  reason_text = g_strescape (reason, NULL);
  target = format_host_port (data->host, data->port);
  if (code == 407 || code == 401) {
    result = proxy_challenge (task, code, reason_text, lines, len - end);
  } else if (code == 403) {
    return_new_error (task, GST_RESILIENT_ERROR_FORBIDDEN,
        "the proxy refuses to connect to %s (403 %s)", target, reason_text);
  } else {
    return_new_error (task,
        gst_resilient_error_code_from_status ((GstRTSPStatusCode) code),
        "the proxy could not connect to %s (%u %s)", target, code, reason_text);
  }
  g_free (target);
  g_free (reason_text);
  g_strfreev (lines);
  return result;

  /* ERRORS */
not_http:
  {
    gchar *text = excerpt (buf, len);

    return_new_error (task, GST_RESILIENT_ERROR_PROTOCOL,
        "the proxy does not speak HTTP (it answered \"%s\")", text);
    g_free (text);
    return ANSWER_FAILED;
  }
closed:
  {
    return_new_error (task, GST_RESILIENT_ERROR_CONNECTION_LOST,
        "the proxy closed the connection without answering");
    return ANSWER_FAILED;
  }
truncated:
  {
    return_new_error (task, GST_RESILIENT_ERROR_PROTOCOL,
        "the proxy closed the connection in the middle of its answer");
    return ANSWER_FAILED;
  }
too_long:
  {
    return_new_error (task, GST_RESILIENT_ERROR_PROTOCOL,
        "the proxy's answer is longer than %u bytes", HTTP_MAX_ANSWER);
    return ANSWER_FAILED;
  }
early_data:
  {
    return_new_error (task, GST_RESILIENT_ERROR_PROTOCOL,
        "the proxy sent %" G_GSIZE_FORMAT " bytes after its answer, before "
        "the server could speak", len - end);
    return ANSWER_FAILED;
  }
}

static void http_read_more (GTask * task);
static void http_connect_start (GTask * task);
static void tcp_start (GTask * task);

/* The CONNECT again, on a new connection to the proxy. */
static void
http_reconnect (GTask * task)
{
  ConnectData *data = g_task_get_task_data (task);

  data->reused = FALSE;
  g_clear_object (&data->stream);
  tcp_start (task);
}

/* The proxy closed the connection it had kept open after a 407 before
 * answering the CONNECT sent on it again (@error NULL: at EOF): the CONNECT
 * goes once more on a new connection. TRUE when it does (@error freed). */
static gboolean
reused_connection_lost (GTask * task, GError * error)
{
  ConnectData *data = g_task_get_task_data (task);

  if (!data->reused || data->timed_out || (error != NULL &&
          !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED)))
    return FALSE;
  GST_DEBUG ("%s: the proxy closed the connection it kept open: CONNECT on "
      "a new one", data->what);
  g_clear_error (&error);
  http_reconnect (task);
  return TRUE;
}

static void http_discard_more (GTask * task);

/* Reading the body of a 407 the connection carries on after. */
static void
on_http_discarded (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  GError *error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (n < 0) {
    return_error (task, error);
  } else if (n == 0) {
    /* it closed after all */
    http_reconnect (task);
  } else if ((data->discard -= n) > 0) {
    http_discard_more (task);
  } else {
    data->reused = TRUE;
    http_connect_start (task);
  }
}

static void
http_discard_more (GTask * task)
{
  ConnectData *data = g_task_get_task_data (task);

  g_input_stream_read_async (g_io_stream_get_input_stream (data->stream),
      data->read_buf, MIN (data->discard, sizeof (data->read_buf)),
      G_PRIORITY_DEFAULT, data->child, on_http_discarded, task);
}

/* After a 407 that proxy_challenge() answered. */
static void
http_resend (GTask * task)
{
  ConnectData *data = g_task_get_task_data (task);

  data->auth_resends++;
  if (!data->keep_alive) {
    http_reconnect (task);
  } else if (data->discard > 0) {
    http_discard_more (task);
  } else {
    data->reused = TRUE;
    http_connect_start (task);
  }
}

static void
on_http_read (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  GError *error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (n < 0) {
    if (!reused_connection_lost (task, error))
      return_error (task, error);
    return;
  }
  if (n == 0 && data->answer->len == 0 && reused_connection_lost (task, NULL))
    return;
  g_byte_array_append (data->answer, data->read_buf, n);
  switch (check_http_answer (task, n == 0)) {
    case ANSWER_MORE:
      http_read_more (task);
      break;
    case ANSWER_OK:
      g_clear_pointer (&data->answer, g_byte_array_unref);
      tls_start_or_finish (task);
      break;
    case ANSWER_RESEND:
      http_resend (task);
      break;
    case ANSWER_FAILED:
      break;
  }
}

static void
http_read_more (GTask * task)
{
  ConnectData *data = g_task_get_task_data (task);
  GInputStream *in = g_io_stream_get_input_stream (data->stream);
  gsize room = HTTP_MAX_ANSWER - data->answer->len;

  g_input_stream_read_async (in, data->read_buf,
      MIN (room, sizeof (data->read_buf)), G_PRIORITY_DEFAULT, data->child,
      on_http_read, task);
}

static void
on_http_written (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  GError *error = NULL;

  /* it may carry credentials: gone as soon as it is sent */
  memset (data->request, 0, data->request_len);
  g_clear_pointer (&data->request, g_free);
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result,
          NULL, &error)) {
    if (!reused_connection_lost (task, error))
      return_error (task, error);
    return;
  }
  if (data->answer)
    g_byte_array_set_size (data->answer, 0);
  else
    data->answer = g_byte_array_new ();
  http_read_more (task);
}

static void
http_connect_start (GTask * task)
{
  ConnectData *data = g_task_get_task_data (task);
  GOutputStream *out = g_io_stream_get_output_stream (data->stream);
  GString *req = g_string_new (NULL);
  gchar *ascii, *authority;

  data->step = "HTTP proxy handshake";
  ascii = g_hostname_to_ascii (data->host);
  authority = format_host_port (ascii ? ascii : data->host, data->port);
  g_free (ascii);
  g_string_append_printf (req, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n",
      authority, authority);
  data->sent_credentials = data->sent_basic_unasked = FALSE;
  if (data->proxy_auth) {
    /* after a 407: the digest-uri is the request-target, host:port */
    gchar *value = gst_resilient_auth_header_for (data->proxy_auth,
        "CONNECT", authority, NULL, 0);

    if (value == NULL) {
      g_free (authority);
      memset (req->str, 0, req->len);
      g_string_free (req, TRUE);
      return_new_error (task, GST_RESILIENT_ERROR_AUTH,
          "cannot answer the proxy's %s challenge",
          gst_resilient_auth_describe (data->proxy_auth));
      return;
    }
    g_string_append_printf (req, "Proxy-Authorization: %s\r\n", value);
    gst_resilient_auth_clear_string (value);
    data->sent_credentials = TRUE;
  } else if (data->proxy_user && proxy_asked_for_basic (data)) {
    gchar *cred, *b64;

    cred = g_strdup_printf ("%s:%s", data->proxy_user,
        data->proxy_password ? data->proxy_password : "");
    b64 = g_base64_encode ((const guchar *) cred, strlen (cred));
    g_string_append_printf (req, "Proxy-Authorization: Basic %s\r\n", b64);
    free_secret (cred);
    free_secret (b64);
    data->sent_credentials = data->sent_basic_unasked = TRUE;
  }
  g_free (authority);
  g_string_append (req, "\r\n");
  data->request_len = req->len;
  data->request = g_string_free (req, FALSE);

  GST_DEBUG ("%s: sending CONNECT%s%s", data->what,
      data->sent_credentials ? " with credentials: " : "",
      data->sent_credentials ? (data->proxy_auth ?
          gst_resilient_auth_describe (data->proxy_auth) : "Basic") : "");
  g_output_stream_write_all_async (out, data->request, data->request_len,
      G_PRIORITY_DEFAULT, data->child, on_http_written, task);
}

/* ---- step 2: TCP ---- */

static void
on_tcp_connected (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  GSocketConnection *conn;
  GError *error = NULL;

  g_signal_handlers_disconnect_by_func (source, on_client_event, task);
  conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result,
      &error);
  if (conn == NULL)
    goto failed;

  set_tcp_nodelay (conn);
  data->stream = G_IO_STREAM (conn);
  if (data->proxy_type != GST_RESILIENT_PROXY_NONE)
    report (data, G_SOCKET_CLIENT_PROXY_NEGOTIATING, data->stream);
  switch (data->proxy_type) {
    case GST_RESILIENT_PROXY_HTTP:
      http_connect_start (task);
      break;
    case GST_RESILIENT_PROXY_SOCKS5:
      socks_start (task);
      break;
    case GST_RESILIENT_PROXY_SOCKS4A:
      socks4a_start (task);
      break;
    default:
      tls_start_or_finish (task);
      break;
  }
  return;

  /* ERRORS */
failed:
  {
    if (data->proxy_type != GST_RESILIENT_PROXY_NONE && !data->timed_out &&
        !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      gchar *what = g_strdup_printf ("%s: cannot reach the proxy", data->what);
      GError *ours = gst_resilient_error_new_from_gio (error, what);

      g_free (what);
      g_error_free (error);
      error = ours;
    }
    return_error (task, error);
  }
}

static void
tcp_start (GTask * task)
{
  ConnectData *data = g_task_get_task_data (task);
  GSocketClient *client;
  GSocketConnectable *address;

  if (data->proxy_type != GST_RESILIENT_PROXY_NONE) {
    gchar *target = format_host_port (data->host, data->port);
    gchar *proxy = format_host_port (data->proxy_host, data->proxy_port);

    g_free (data->what);
    data->what = g_strdup_printf ("connecting to %s through %s proxy %s",
        target, proxy_type_name (data->proxy_type), proxy);
    g_free (proxy);
    g_free (target);
    data->step = "connecting to the proxy";
    address = g_network_address_new (data->proxy_host, data->proxy_port);
  } else {
    data->step = "connecting";
    address = g_network_address_new (data->host, data->port);
  }

  client = g_socket_client_new ();
  /* the proxy was chosen above; GSocketClient must not choose another */
  g_socket_client_set_enable_proxy (client, FALSE);
  if (data->options.event)
    g_signal_connect (client, "event", G_CALLBACK (on_client_event), task);
  GST_DEBUG ("%s (timeout %u ms)", data->what, data->timeout_ms);
  g_socket_client_connect_async (client, address, data->child,
      on_tcp_connected, task);
  g_object_unref (address);
  g_object_unref (client);
}

/* ---- step 1: the proxy ---- */

/* Whether the environment asks for a proxy (as curl and rtspsrc read it);
 * only then is GIO's proxy resolver asked. */
static gboolean
environment_names_proxy (void)
{
  static const gchar *const names[] = { "http_proxy", "HTTP_PROXY",
    "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    const gchar *value = g_getenv (names[i]);

    if (value != NULL && *value != '\0')
      return TRUE;
  }
  return FALSE;
}

static void
on_proxy_lookup (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  GError *error = NULL;
  gchar **proxies;

  proxies = g_proxy_resolver_lookup_finish (G_PROXY_RESOLVER (source), result,
      &error);
  if (proxies == NULL) {
    if (data->timed_out || g_error_matches (error, G_IO_ERROR,
            G_IO_ERROR_CANCELLED)) {
      return_error (task, error);
      return;
    }
    GST_WARNING ("%s: proxy lookup failed (%s), connecting directly",
        data->what, error->message);
    g_error_free (error);
  } else if (proxies[0] && !gst_resilient_proxy_parse (proxies[0], NULL,
          NULL, &data->proxy_type, &data->proxy_host, &data->proxy_port,
          &data->proxy_user, &data->proxy_password, &error)) {
    g_strfreev (proxies);
    return_new_error (task, (GstResilientErrorCode) error->code,
        "the system's proxy settings: %s", error->message);
    g_error_free (error);
    return;
  }
  g_strfreev (proxies);
  if (data->proxy_type != GST_RESILIENT_PROXY_NONE)
    GST_INFO ("%s: the system's proxy settings name the %s proxy %s:%u",
        data->what, proxy_type_name (data->proxy_type), data->proxy_host,
        data->proxy_port);
  tcp_start (task);
}

/* On the I/O thread. */
static gboolean
connect_start (gpointer user_data)
{
  ConnectData *data = user_data;
  GTask *task;
  GError *error = NULL;

  task = g_task_new (NULL, data->cancellable, data->callback, data->user_data);
  g_task_set_source_tag (task, gst_resilient_connect_async);
  g_task_set_name (task, "gst_resilient_connect_async");
  g_task_set_task_data (task, data, (GDestroyNotify) connect_data_free);

  {
    gchar *target = format_host_port (data->host, data->port);

    data->what = g_strdup_printf ("connecting to %s", target);
    g_free (target);
  }
  data->child = g_cancellable_new ();
  if (data->cancellable) {
    /* calls back at once if already cancelled */
    data->cancelled_id = g_cancellable_connect (data->cancellable,
        G_CALLBACK (on_caller_cancelled), g_object_ref (data->child),
        g_object_unref);
  }
  if (data->timeout_ms > 0) {
    data->timer = gst_resilient_io_context_add_timeout (data->io,
        data->timeout_ms, on_connect_timeout, g_object_ref (task),
        g_object_unref);
  }

  if (data->options.proxy && *data->options.proxy) {
    if (!gst_resilient_proxy_parse (data->options.proxy,
            data->options.proxy_id, data->options.proxy_pw,
            &data->proxy_type, &data->proxy_host, &data->proxy_port,
            &data->proxy_user, &data->proxy_password, &error)) {
      return_new_error (task, (GstResilientErrorCode) error->code, "%s",
          error->message);
      g_error_free (error);
      return G_SOURCE_REMOVE;
    }
    tcp_start (task);
  } else if (!environment_names_proxy ()) {
    /* nothing configured: no lookup (it costs a thread-pool round trip per
     * connection, and libproxy may even try PAC/WPAD) */
    tcp_start (task);
  } else {
    gchar *target = format_host_port (data->host, data->port);
    gchar *uri = g_strdup_printf ("%s://%s",
        data->options.tls ? "rtsps" : "rtsp", target);

    data->step = "looking up the proxy";
    g_proxy_resolver_lookup_async (g_proxy_resolver_get_default (), uri,
        data->child, on_proxy_lookup, task);
    g_free (uri);
    g_free (target);
  }

  return G_SOURCE_REMOVE;
}

void
gst_resilient_connect_async (GstResilientIoContext * io, const gchar * host,
    guint16 port, const GstResilientConnectOptions * options,
    guint timeout_ms, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  ConnectData *data;
  gsize len;

  g_return_if_fail (io != NULL);
  g_return_if_fail (host != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  init_debug ();

  data = g_new0 (ConnectData, 1);
  data->io = gst_resilient_io_context_ref (io);
  /* an IPv6 literal may come with its URL brackets */
  len = strlen (host);
  if (len >= 2 && host[0] == '[' && host[len - 1] == ']')
    data->host = g_strndup (host + 1, len - 2);
  else
    data->host = g_strdup (host);
  data->port = port;
  if (options)
    gst_resilient_connect_options_copy (&data->options, options);
  else
    gst_resilient_connect_options_init (&data->options);
  data->timeout_ms = timeout_ms;
  data->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  data->callback = callback;
  data->user_data = user_data;
  data->step = "starting";

  /* always asynchronous, even on the I/O thread; the task is created there
   * so its callback runs there */
  gst_resilient_io_context_invoke (io, connect_start, data, NULL);
}

GIOStream *
gst_resilient_connect_finish (GAsyncResult * result, GError ** error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result,
          gst_resilient_connect_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
gst_resilient_connect_tcp_async (GstResilientIoContext * io,
    const gchar * host, guint16 port, guint timeout_ms,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  GstResilientConnectOptions options;

  gst_resilient_connect_options_init (&options);
  options.proxy = (gchar *) "direct://";
  gst_resilient_connect_async (io, host, port, &options, timeout_ms,
      cancellable, callback, user_data);
}

GIOStream *
gst_resilient_connect_tcp_finish (GAsyncResult * result, GError ** error)
{
  return gst_resilient_connect_finish (result, error);
}
