/* resilientrtsp
 * connector.c: how a control channel is made, in steps, all under one
 * timeout for the whole attempt:
 *
 *   1. the proxy: from the options, or GIO's default GProxyResolver;
 *   2. DNS + TCP connect with GSocketClient (every resolved address in turn)
 *      to the server, or to the proxy;
 *   3. the proxy handshake: HTTP CONNECT (connector-http.c; non-blocking;
 *      a 407 is answered with Basic or Digest credentials from auth.c, on
 *      the same connection when the proxy keeps it open, else on a new one;
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

#include "connector-private.h"
#include "connpool.h"

#ifdef G_OS_UNIX
#include <netinet/in.h>
#include <netinet/tcp.h>
#endif

GST_DEBUG_CATEGORY (connector_debug);
#define GST_CAT_DEFAULT connector_debug

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

void
gst_resilient_connector_free_secret (gchar * secret)
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
  g_clear_pointer (&opts->proxy, gst_resilient_connector_free_secret);
  g_clear_pointer (&opts->proxy_id, g_free);
  g_clear_pointer (&opts->proxy_pw, gst_resilient_connector_free_secret);
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
gchar *
gst_resilient_connector_format_host_port (const gchar * host, guint16 port)
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
  gst_resilient_connector_free_secret (full);
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
  gst_resilient_connector_free_secret (data->proxy_password);
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
void
gst_resilient_connector_return_error (GTask * task, GError * error)
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

/* A GST_RESILIENT_ERROR "<what>: <message>". */
void
gst_resilient_connector_return_new_error (GTask * task,
    GstResilientErrorCode code, const gchar * format, ...)
{
  ConnectData *data = g_task_get_task_data (task);
  va_list args;
  gchar *message;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  gst_resilient_connector_return_error (task, g_error_new (GST_RESILIENT_ERROR,
          code, "%s: %s", data->what, message));
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
 * on to the application's tls-interaction, if any.
 *
 * GIO runs an interaction on the main context it was made under: inline in
 * the handshake thread only when that is the global default context and no
 * other thread holds it, else from that context's loop — which an
 * application need not run, and other threads hold the default context at
 * times (another handshake asking; seen also with an in-process server's
 * TLS handshakes running). A question queued there then waits for good. So the
 * probe lives on the I/O context, whose loop always runs, and answers
 * asynchronously from a worker thread, one question at a time, that calls
 * the application's synchronous method directly (what GIO does inline);
 * an interaction with asynchronous methods only is invoked on its context,
 * as GIO would. The I/O thread never waits on the application. The probe
 * is dropped after the handshake; the connection keeps the certificate
 * given. */
static GMutex app_question_lock;

typedef struct
{
  GTlsInteraction parent;
  GTlsInteraction *app;         /* immutable: the application's, or NULL */
  gint asked;                   /* atomic: the server asked for one */
} CertProbe;

typedef GTlsInteractionClass CertProbeClass;

G_GNUC_INTERNAL GType cert_probe_get_type (void);
G_DEFINE_TYPE (CertProbe, cert_probe, G_TYPE_TLS_INTERACTION);

typedef struct
{
  GTlsConnection *conn;         /* a certificate request */
  GTlsCertificateRequestFlags flags;
  GTlsPassword *password;       /* or a password request */
} AppQuestion;

static void
app_question_free (AppQuestion * q)
{
  g_clear_object (&q->conn);
  g_clear_object (&q->password);
  g_free (q);
}

/* In a worker thread. */
static void
ask_app (GTask * task, gpointer source, gpointer task_data,
    GCancellable * cancellable)
{
  CertProbe *probe = source;
  AppQuestion *q = task_data;
  GTlsInteractionClass *klass = G_TLS_INTERACTION_GET_CLASS (probe->app);
  GTlsInteractionResult res;
  GError *error = NULL;

  g_mutex_lock (&app_question_lock);
  if (q->password && klass->ask_password)
    res = g_tls_interaction_ask_password (probe->app, q->password,
        cancellable, &error);
  else if (q->password)
    res = g_tls_interaction_invoke_ask_password (probe->app, q->password,
        cancellable, &error);
  else if (klass->request_certificate)
    res = g_tls_interaction_request_certificate (probe->app, q->conn,
        q->flags, cancellable, &error);
  else
    res = g_tls_interaction_invoke_request_certificate (probe->app, q->conn,
        q->flags, cancellable, &error);
  g_mutex_unlock (&app_question_lock);

  if (res == G_TLS_INTERACTION_FAILED)
    g_task_return_error (task, error ? error : g_error_new_literal
        (G_IO_ERROR, G_IO_ERROR_FAILED, "the TLS interaction failed"));
  else
    g_task_return_int (task, res);
}

/* On the I/O thread (GIO dispatches it there). */
static void
cert_probe_ask (CertProbe * probe, AppQuestion * q, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (probe, cancellable, callback, user_data);

  g_task_set_name (task, "resilientrtsp-tls-interaction");
  if (probe->app == NULL) {
    app_question_free (q);
    g_task_return_int (task, G_TLS_INTERACTION_UNHANDLED);
  } else {
    g_task_set_task_data (task, q, (GDestroyNotify) app_question_free);
    g_task_run_in_thread (task, ask_app);
  }
  g_object_unref (task);
}

static void
cert_probe_request_certificate_async (GTlsInteraction * interaction,
    GTlsConnection * conn, GTlsCertificateRequestFlags flags,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  CertProbe *probe = (CertProbe *) interaction;
  AppQuestion *q = g_new0 (AppQuestion, 1);

  g_atomic_int_set (&probe->asked, TRUE);
  q->conn = g_object_ref (conn);
  q->flags = flags;
  cert_probe_ask (probe, q, cancellable, callback, user_data);
}

static void
cert_probe_ask_password_async (GTlsInteraction * interaction,
    GTlsPassword * password, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  AppQuestion *q = g_new0 (AppQuestion, 1);

  q->password = g_object_ref (password);
  cert_probe_ask ((CertProbe *) interaction, q, cancellable, callback,
      user_data);
}

static GTlsInteractionResult
cert_probe_finish (GTlsInteraction * interaction, GAsyncResult * result,
    GError ** error)
{
  GError *err = NULL;
  gssize res = g_task_propagate_int (G_TASK (result), &err);

  if (err != NULL) {
    g_propagate_error (error, err);
    return G_TLS_INTERACTION_FAILED;
  }
  return (GTlsInteractionResult) res;
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
  /* asynchronous only: GIO prefers the synchronous ones, run inline */
  klass->request_certificate_async = cert_probe_request_certificate_async;
  klass->request_certificate_finish = cert_probe_finish;
  klass->ask_password_async = cert_probe_ask_password_async;
  klass->ask_password_finish = cert_probe_finish;
}

static void
cert_probe_init (CertProbe * probe)
{
}

/* On the I/O thread, whose context the probe takes. */
static CertProbe *
cert_probe_new (GstResilientIoContext * io, GTlsInteraction * app)
{
  GMainContext *context = gst_resilient_io_context_get_main_context (io);
  CertProbe *probe;

  g_main_context_push_thread_default (context);
  probe = g_object_new (cert_probe_get_type (), NULL);
  g_main_context_pop_thread_default (context);
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
    /* another element might not accept it: never pooled */
    gst_resilient_conn_pool_forbid (G_OBJECT (conn));
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
  g_tls_connection_set_interaction (G_TLS_CONNECTION (source), NULL);

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
      gst_resilient_connector_return_error (task, error);
    } else if (data->rejected) {
      gchar *why = describe_certificate_errors (data->rejected_errors,
          data->host);

      gst_resilient_connector_return_new_error (task, GST_RESILIENT_ERROR_TLS,
          "TLS handshake failed: the server's certificate was rejected: %s",
          why);
      g_free (why);
      g_error_free (error);
    } else if (error->domain == G_TLS_ERROR || note != NULL) {
      /* (a server that wants a client certificate may just close) */
      gst_resilient_connector_return_new_error (task, GST_RESILIENT_ERROR_TLS,
          "TLS handshake failed: %s%s%s%s", error->message,
          note ? " (" : "", note ? note : "", note ? ")" : "");
      g_error_free (error);
    } else {
      GError *ours;
      gchar *what = g_strdup_printf ("%s: in the TLS handshake", data->what);

      ours = gst_resilient_error_new_from_gio (error, what);
      g_free (what);
      g_error_free (error);
      gst_resilient_connector_return_error (task, ours);
    }
  }
}

void
gst_resilient_connector_tls_start_or_finish (GTask * task)
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
  /* a connection the server already reset: glib-networking 2.74 would
   * unref the remote address it cannot get (a critical) as the handshake
   * starts; say what happened instead */
  if (G_IS_SOCKET_CONNECTION (data->stream)) {
    GSocketAddress *remote =
        g_socket_connection_get_remote_address (G_SOCKET_CONNECTION
        (data->stream), &error);

    if (remote == NULL)
      goto reset;
    g_object_unref (remote);
  }
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
    CertProbe *probe = cert_probe_new (data->io,
        data->options.tls_interaction);

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
reset:
  {
    gst_resilient_connector_return_new_error (task,
        GST_RESILIENT_ERROR_CONNECTION_LOST,
        "the connection was closed before the TLS handshake (%s)",
        error->message);
    g_error_free (error);
    return;
  }
no_tls:
  {
    gst_resilient_connector_return_new_error (task, GST_RESILIENT_ERROR_TLS,
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
    gst_resilient_connector_return_error (task, error);
    return;
  }
  g_object_unref (data->stream);
  data->stream = stream;
  GST_DEBUG ("%s: SOCKS tunnel open", data->what);
  gst_resilient_connector_tls_start_or_finish (task);
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
    gst_resilient_connector_return_error (task, error);
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
    gst_resilient_connector_return_new_error (task,
        GST_RESILIENT_ERROR_INTERNAL, "GIO has no %s proxy implementation",
        protocol);
  }
}

/* A printable excerpt of untrusted bytes (at most 60). */
gchar *
gst_resilient_connector_excerpt (const guint8 * bytes, gsize len)
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
    gst_resilient_connector_return_error (task, error);
    return;
  }
  if (n < 8) {
    gst_resilient_connector_return_new_error (task,
        n ==
        0 ? GST_RESILIENT_ERROR_CONNECTION_LOST : GST_RESILIENT_ERROR_PROTOCOL,
        "the proxy closed the connection %s",
        n == 0 ? "without answering" : "in the middle of its answer");
    return;
  }
  /* VN = 0, CD = 90 granted, 91 rejected or failed, 92/93 identd */
  if (data->read_buf[0] != 0) {
    gchar *text = gst_resilient_connector_excerpt (data->read_buf, n);

    gst_resilient_connector_return_new_error (task,
        GST_RESILIENT_ERROR_PROTOCOL,
        "the proxy does not speak SOCKS4 (it answered \"%s\")", text);
    g_free (text);
    return;
  }
  switch (data->read_buf[1]) {
    case 90:
      GST_DEBUG ("%s: SOCKS4a tunnel open", data->what);
      gst_resilient_connector_tls_start_or_finish (task);
      break;
    case 91:
      gst_resilient_connector_return_new_error (task,
          GST_RESILIENT_ERROR_UNREACHABLE,
          "the proxy rejected the request or could not connect (SOCKS4 "
          "status 91)");
      break;
    case 92:
    case 93:
      gst_resilient_connector_return_new_error (task, GST_RESILIENT_ERROR_AUTH,
          "the proxy could not confirm the user id (SOCKS4 status %u)",
          data->read_buf[1]);
      break;
    default:
      gst_resilient_connector_return_new_error (task,
          GST_RESILIENT_ERROR_PROTOCOL,
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
    gst_resilient_connector_return_error (task, error);
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
    gst_resilient_connector_return_new_error (task, GST_RESILIENT_ERROR_BAD_URL,
        "a SOCKS4a proxy cannot reach an IPv6 address");
    g_object_unref (ip);
    g_byte_array_unref (req);
    return;
  }
too_long:
  {
    gst_resilient_connector_return_new_error (task, GST_RESILIENT_ERROR_BAD_URL,
        "the host name or the user id is too long for SOCKS4a");
    g_clear_object (&ip);
    g_byte_array_unref (req);
    return;
  }
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
      gst_resilient_connector_http_start (task);
      break;
    case GST_RESILIENT_PROXY_SOCKS5:
      socks_start (task);
      break;
    case GST_RESILIENT_PROXY_SOCKS4A:
      socks4a_start (task);
      break;
    default:
      gst_resilient_connector_tls_start_or_finish (task);
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
    gst_resilient_connector_return_error (task, error);
  }
}

void
gst_resilient_connector_tcp_start (GTask * task)
{
  ConnectData *data = g_task_get_task_data (task);
  GSocketClient *client;
  GSocketConnectable *address;

  if (data->proxy_type != GST_RESILIENT_PROXY_NONE) {
    gchar *target =
        gst_resilient_connector_format_host_port (data->host, data->port);
    gchar *proxy = gst_resilient_connector_format_host_port (data->proxy_host,
        data->proxy_port);

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
      gst_resilient_connector_return_error (task, error);
      return;
    }
    GST_WARNING ("%s: proxy lookup failed (%s), connecting directly",
        data->what, error->message);
    g_error_free (error);
  } else if (proxies[0] && !gst_resilient_proxy_parse (proxies[0], NULL,
          NULL, &data->proxy_type, &data->proxy_host, &data->proxy_port,
          &data->proxy_user, &data->proxy_password, &error)) {
    g_strfreev (proxies);
    gst_resilient_connector_return_new_error (task,
        (GstResilientErrorCode) error->code, "the system's proxy settings: %s",
        error->message);
    g_error_free (error);
    return;
  }
  g_strfreev (proxies);
  if (data->proxy_type != GST_RESILIENT_PROXY_NONE)
    GST_INFO ("%s: the system's proxy settings name the %s proxy %s:%u",
        data->what, proxy_type_name (data->proxy_type), data->proxy_host,
        data->proxy_port);
  gst_resilient_connector_tcp_start (task);
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
    gchar *target =
        gst_resilient_connector_format_host_port (data->host, data->port);

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
      gst_resilient_connector_return_new_error (task,
          (GstResilientErrorCode) error->code, "%s", error->message);
      g_error_free (error);
      return G_SOURCE_REMOVE;
    }
    gst_resilient_connector_tcp_start (task);
  } else if (!environment_names_proxy ()) {
    /* nothing configured: no lookup (it costs a thread-pool round trip per
     * connection, and libproxy may even try PAC/WPAD) */
    gst_resilient_connector_tcp_start (task);
  } else {
    gchar *target =
        gst_resilient_connector_format_host_port (data->host, data->port);
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
