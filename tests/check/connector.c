/* resilientrtsp
 * tests/check/connector.c: the connector's proxies and TLS, against real
 * components on loopback started by the test: TLS echo servers
 * (GTlsServerConnection on a GThreadedSocketService, certificates made at
 * test time by the openssl CLI), tinyproxy (HTTP CONNECT, with and without
 * BasicAuth), microsocks (SOCKS5, with and without user/password), and fake
 * proxies for what real ones don't do (garbage, silence, unsupported
 * authentication schemes, SOCKS4a, and — netfixture.c's mock — Digest
 * authentication, which no Debian proxy a test can start speaks).
 *
 * Certificates and proxy processes come from netfixture.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/check/gstcheck.h>

#include "connection.h"
#include "error.h"
#include "netfixture.h"

/* generous bounds: only to turn a hang into a failure */
#define CONNECT_TIMEOUT_MS 30000
#define WAIT_US (30 * G_USEC_PER_SEC)

/* ---- echo server: plain or TLS; a GSocketService in a thread, a thread per
 * connection ---- */

typedef struct
{
  GTlsCertificate *cert;        /* NULL: plain TCP */
  GTlsDatabase *client_ca;      /* set: a client certificate it signed is required */
  guint16 port;
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  GSocketService *service;
  GCancellable *cancel;         /* ends running handlers */
  GMutex lock;
  GPtrArray *handlers;          /* lock: GThread*, joined at the end */
  gint connections;             /* atomic */
  gint handshakes_failed;       /* atomic */
} EchoServer;

typedef struct
{
  EchoServer *es;
  GSocketConnection *conn;
} EchoJob;

static void
echo_stream (GIOStream * stream, GCancellable * cancel)
{
  GInputStream *in = g_io_stream_get_input_stream (stream);
  GOutputStream *out = g_io_stream_get_output_stream (stream);
  guint8 buf[4096];
  gssize n;

  while ((n = g_input_stream_read (in, buf, sizeof (buf), cancel, NULL)) > 0) {
    if (!g_output_stream_write_all (out, buf, n, NULL, cancel, NULL))
      break;
  }
}

/* glib-networking's server connections ask about every client certificate,
 * errors or not: take what the database validated. */
static gboolean
accept_validated (GTlsConnection * conn, GTlsCertificate * peer_cert,
    GTlsCertificateFlags errors, gpointer user_data)
{
  return errors == 0;
}

static gpointer
echo_handler (gpointer user_data)
{
  EchoJob *job = user_data;
  EchoServer *es = job->es;
  GIOStream *stream = G_IO_STREAM (job->conn);
  GIOStream *tls = NULL;

  if (es->cert) {
    tls = g_tls_server_connection_new (stream, es->cert, NULL);
    if (tls && es->client_ca) {
      g_tls_connection_set_database (G_TLS_CONNECTION (tls), es->client_ca);
      g_object_set (tls, "authentication-mode",
          G_TLS_AUTHENTICATION_REQUIRED, NULL);
      g_signal_connect (tls, "accept-certificate",
          G_CALLBACK (accept_validated), NULL);
    }
    if (tls == NULL || !g_tls_connection_handshake (G_TLS_CONNECTION (tls),
            es->cancel, NULL)) {
      g_atomic_int_inc (&es->handshakes_failed);
      goto done;
    }
    stream = tls;
  }
  echo_stream (stream, es->cancel);
  g_io_stream_close (stream, NULL, NULL);

done:
  g_clear_object (&tls);
  g_object_unref (job->conn);
  g_free (job);
  return NULL;
}

/* On the server's thread. */
static gboolean
on_echo_incoming (GSocketService * service, GSocketConnection * conn,
    GObject * source, gpointer user_data)
{
  EchoServer *es = user_data;
  EchoJob *job = g_new0 (EchoJob, 1);

  g_atomic_int_inc (&es->connections);
  job->es = es;
  job->conn = g_object_ref (conn);
  g_mutex_lock (&es->lock);
  g_ptr_array_add (es->handlers, g_thread_new ("echo", echo_handler, job));
  g_mutex_unlock (&es->lock);
  return TRUE;
}

static gpointer
echo_thread (gpointer user_data)
{
  EchoServer *es = user_data;

  g_main_context_push_thread_default (es->context);
  g_main_loop_run (es->loop);
  g_main_context_pop_thread_default (es->context);
  return NULL;
}

static EchoServer *
echo_server_new (GTlsCertificate * cert)
{
  EchoServer *es = g_new0 (EchoServer, 1);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0), *effective;
  GError *err = NULL;

  es->cert = cert ? g_object_ref (cert) : NULL;
  es->cancel = g_cancellable_new ();
  g_mutex_init (&es->lock);
  es->handlers = g_ptr_array_new ();
  es->context = g_main_context_new ();
  es->loop = g_main_loop_new (es->context, FALSE);

  /* the accept source goes to the thread-default context */
  g_main_context_push_thread_default (es->context);
  es->service = g_socket_service_new ();
  fail_unless (g_socket_listener_add_address (G_SOCKET_LISTENER
          (es->service), addr, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
          NULL, &effective, &err), "%s", err ? err->message : "");
  es->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (es->service, "incoming", G_CALLBACK (on_echo_incoming), es);
  g_socket_service_start (es->service);
  g_main_context_pop_thread_default (es->context);

  es->thread = g_thread_new ("echo-server", echo_thread, es);

  g_object_unref (effective);
  g_object_unref (addr);
  g_object_unref (lo);
  return es;
}

static gboolean
stop_service (gpointer user_data)
{
  EchoServer *es = user_data;

  g_socket_service_stop (es->service);
  g_socket_listener_close (G_SOCKET_LISTENER (es->service));
  return G_SOURCE_REMOVE;
}

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static void
echo_server_free (EchoServer * es)
{
  guint i;

  /* no new connection, then no running handler */
  g_main_context_invoke (es->context, stop_service, es);
  g_main_context_invoke (es->context, quit_loop, es->loop);
  g_thread_join (es->thread);
  g_cancellable_cancel (es->cancel);
  for (i = 0; i < es->handlers->len; i++)
    g_thread_join (es->handlers->pdata[i]);

  /* what the stopped service still has to dispatch (the cancelled accept) */
  g_main_context_push_thread_default (es->context);
  while (g_main_context_iteration (es->context, FALSE));
  g_object_unref (es->service);
  while (g_main_context_iteration (es->context, FALSE));
  g_main_context_pop_thread_default (es->context);

  g_ptr_array_unref (es->handlers);
  g_main_loop_unref (es->loop);
  g_main_context_unref (es->context);
  g_object_unref (es->cancel);
  g_clear_object (&es->cert);
  g_clear_object (&es->client_ca);
  g_mutex_clear (&es->lock);
  g_free (es);
}

/* ---- fake proxies: one thread, blocking sockets, one client at a time ---- */

typedef enum
{
  FAKE_HTTP_GARBAGE,            /* answers CONNECT with an SSH banner */
  FAKE_HTTP_SILENT,             /* never answers */
  FAKE_HTTP_OK_ECHO,            /* 200, then echoes */
  FAKE_HTTP_NEGOTIATE_ONLY,     /* 407 asking for Negotiate or NTLM */
  FAKE_HTTP_EARLY_DATA,         /* 200 and bytes the server never sent */
  FAKE_SOCKS5_GARBAGE,          /* answers the SOCKS5 greeting with HTTP */
  FAKE_SOCKS4A_ECHO,            /* grants a SOCKS4a request, then echoes */
  FAKE_SOCKS4A_REJECT,          /* rejects it (status 91) */
} FakeBehaviour;

typedef struct
{
  FakeBehaviour behaviour;
  GSocket *listener;
  guint16 port;
  GCancellable *cancel;
  GThread *thread;
  GMutex lock;
  GString *request;             /* lock: what clients sent before the answer */
  gint connections;             /* atomic */
} FakeServer;

static gboolean
send_all (GSocket * sock, const void *data, gsize len, GCancellable * cancel)
{
  const guint8 *p = data;

  while (len > 0) {
    gssize n = g_socket_send (sock, (const gchar *) p, len, cancel, NULL);

    if (n <= 0)
      return FALSE;
    p += n;
    len -= n;
  }
  return TRUE;
}

/* Reads byte by byte into @into until it ends with @marker (of @marker_len
 * bytes) or holds @count bytes; FALSE on EOF/error. */
static gboolean
recv_until (FakeServer * fs, GSocket * sock, GString * into,
    const gchar * marker, gsize marker_len, gsize count)
{
  while (TRUE) {
    gchar c;
    gssize n = g_socket_receive (sock, &c, 1, fs->cancel, NULL);

    if (n <= 0)
      return FALSE;
    g_string_append_c (into, c);
    if (marker && into->len >= marker_len &&
        memcmp (into->str + into->len - marker_len, marker, marker_len) == 0)
      return TRUE;
    if (count && into->len >= count)
      return TRUE;
  }
}

static void
drain (FakeServer * fs, GSocket * sock)
{
  gchar buf[1024];

  while (g_socket_receive (sock, buf, sizeof (buf), fs->cancel, NULL) > 0);
}

static void
echo_socket (FakeServer * fs, GSocket * sock)
{
  gchar buf[4096];
  gssize n;

  while ((n = g_socket_receive (sock, buf, sizeof (buf), fs->cancel, NULL)) > 0) {
    if (!send_all (sock, buf, n, fs->cancel))
      break;
  }
}

static void
fake_record (FakeServer * fs, GString * req)
{
  g_mutex_lock (&fs->lock);
  g_string_append_len (fs->request, req->str, req->len);
  g_mutex_unlock (&fs->lock);
}

/* Reads the client's request, records it (before answering: the test reads
 * it as soon as its connect returns), answers; FALSE when the client went. */
static gboolean
fake_request (FakeServer * fs, GSocket * sock)
{
  GString *req = g_string_new (NULL);
  gboolean ok;

  switch (fs->behaviour) {
    case FAKE_HTTP_SILENT:
      ok = TRUE;
      break;
    case FAKE_SOCKS5_GARBAGE:
      /* the greeting: VER NMETHODS METHOD */
      ok = recv_until (fs, sock, req, NULL, 0, 3);
      break;
    case FAKE_SOCKS4A_ECHO:
    case FAKE_SOCKS4A_REJECT:
      /* VN CD DSTPORT DSTIP USERID\0 [HOSTNAME\0 when DSTIP is 0.0.0.x] */
      ok = recv_until (fs, sock, req, NULL, 0, 8) &&
          recv_until (fs, sock, req, "", 1, 0);
      if (ok && req->str[4] == 0 && req->str[5] == 0 && req->str[6] == 0)
        ok = recv_until (fs, sock, req, "", 1, 0);
      break;
    default:
      ok = recv_until (fs, sock, req, "\r\n\r\n", 4, 0);
      break;
  }
  fake_record (fs, req);
  g_string_free (req, TRUE);
  return ok;
}

static void
fake_handle (FakeServer * fs, GSocket * sock)
{
  static const gchar banner[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";
  static const gchar http_ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
  static const gchar negotiate[] =
      "HTTP/1.1 407 Proxy Authentication Required\r\n"
      "Proxy-Authenticate: Negotiate\r\n"
      "Proxy-Authenticate: NTLM\r\n" "Content-Length: 0\r\n\r\n";
  static const gchar early[] =
      "HTTP/1.1 200 Connection established\r\n\r\nRTSP/1.0 200 OK\r\n";
  static const gchar not_socks[] = "HTTP/1.0 400 Bad Request\r\n\r\n";
  static const guint8 socks4_granted[8] = { 0, 0x5a, 0, 0, 0, 0, 0, 0 };
  static const guint8 socks4_rejected[8] = { 0, 0x5b, 0, 0, 0, 0, 0, 0 };
  gboolean ok;

  if (!fake_request (fs, sock))
    return;

  switch (fs->behaviour) {
    case FAKE_HTTP_GARBAGE:
      ok = send_all (sock, banner, strlen (banner), fs->cancel);
      break;
    case FAKE_HTTP_SILENT:
      ok = TRUE;
      break;
    case FAKE_HTTP_OK_ECHO:
      ok = send_all (sock, http_ok, strlen (http_ok), fs->cancel);
      if (ok)
        echo_socket (fs, sock);
      break;
    case FAKE_HTTP_NEGOTIATE_ONLY:
      ok = send_all (sock, negotiate, strlen (negotiate), fs->cancel);
      break;
    case FAKE_HTTP_EARLY_DATA:
      ok = send_all (sock, early, strlen (early), fs->cancel);
      break;
    case FAKE_SOCKS5_GARBAGE:
      ok = send_all (sock, not_socks, strlen (not_socks), fs->cancel);
      break;
    case FAKE_SOCKS4A_ECHO:
      ok = send_all (sock, socks4_granted, 8, fs->cancel);
      if (ok)
        echo_socket (fs, sock);
      break;
    case FAKE_SOCKS4A_REJECT:
      ok = send_all (sock, socks4_rejected, 8, fs->cancel);
      break;
    default:
      ok = FALSE;
      break;
  }
  /* keep the connection open until the client gives up */
  if (ok)
    drain (fs, sock);
}

static gpointer
fake_thread (gpointer user_data)
{
  FakeServer *fs = user_data;
  GSocket *sock;

  while ((sock = g_socket_accept (fs->listener, fs->cancel, NULL))) {
    g_atomic_int_inc (&fs->connections);
    fake_handle (fs, sock);
    g_socket_close (sock, NULL);
    g_object_unref (sock);
  }
  return NULL;
}

static GSocket *
make_listener (guint16 * port)
{
  GSocket *sock;
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0), *local;
  GError *err = NULL;

  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, &err);
  fail_unless (sock != NULL, "%s", err ? err->message : "");
  fail_unless (g_socket_bind (sock, addr, TRUE, &err), "%s",
      err ? err->message : "");
  fail_unless (g_socket_listen (sock, &err), "%s", err ? err->message : "");
  local = g_socket_get_local_address (sock, NULL);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  g_object_unref (local);
  g_object_unref (addr);
  g_object_unref (lo);
  return sock;
}

static FakeServer *
fake_server_new (FakeBehaviour behaviour)
{
  FakeServer *fs = g_new0 (FakeServer, 1);

  fs->behaviour = behaviour;
  fs->listener = make_listener (&fs->port);
  fs->cancel = g_cancellable_new ();
  fs->request = g_string_new (NULL);
  g_mutex_init (&fs->lock);
  fs->thread = g_thread_new ("fake-proxy", fake_thread, fs);
  return fs;
}

static gchar *
fake_server_get_request (FakeServer * fs)
{
  gchar *s;

  g_mutex_lock (&fs->lock);
  s = g_strndup (fs->request->str, fs->request->len);
  g_mutex_unlock (&fs->lock);
  return s;
}

/* What was sent so far (binary), and forget it. */
static GBytes *
fake_server_take_request (FakeServer * fs)
{
  GBytes *b;

  g_mutex_lock (&fs->lock);
  b = g_bytes_new (fs->request->str, fs->request->len);
  g_string_truncate (fs->request, 0);
  g_mutex_unlock (&fs->lock);
  return b;
}

static void
fake_server_free (FakeServer * fs)
{
  g_cancellable_cancel (fs->cancel);
  g_thread_join (fs->thread);
  g_socket_close (fs->listener, NULL);
  g_object_unref (fs->listener);
  g_object_unref (fs->cancel);
  g_string_free (fs->request, TRUE);
  g_mutex_clear (&fs->lock);
  g_free (fs);
}

/* ---- the client side ---- */

typedef struct
{
  GAsyncQueue *results;
  GstResilientIoContext *io;
  gint wrong_thread;
} ConnectState;

static void
on_connect_done (GObject * source, GAsyncResult * result, gpointer user_data)
{
  ConnectState *s = user_data;

  if (!gst_resilient_io_context_is_current (s->io))
    g_atomic_int_inc (&s->wrong_thread);
  g_async_queue_push (s->results, g_object_ref (result));
}

static gboolean
noop (gpointer data)
{
  return G_SOURCE_REMOVE;
}

static GIOStream *
connect_sync (const gchar * host, guint16 port,
    const GstResilientConnectOptions * options, guint timeout_ms,
    GError ** error)
{
  ConnectState s = { 0, };
  GAsyncResult *result;
  GIOStream *stream;

  s.results = g_async_queue_new ();
  s.io = gst_resilient_io_context_get ();

  gst_resilient_connect_async (s.io, host, port, options, timeout_ms, NULL,
      on_connect_done, &s);
  result = g_async_queue_timeout_pop (s.results, 90 * G_USEC_PER_SEC);
  fail_unless (result != NULL, "connect never completed");
  stream = gst_resilient_connect_finish (result, error);
  g_object_unref (result);
  fail_unless_equals_int (g_atomic_int_get (&s.wrong_thread), 0);

  /* the task is released on the I/O thread: let that happen */
  gst_resilient_io_context_invoke_sync (s.io, noop, NULL);
  gst_resilient_io_context_unref (s.io);
  g_async_queue_unref (s.results);
  return stream;
}

/* A connection that must fail: returns the error (class checked by the
 * caller), after checking it names @needle. */
static GError *
connect_expect_error (const gchar * host, guint16 port,
    const GstResilientConnectOptions * options, guint timeout_ms,
    const gchar * needle)
{
  GError *err = NULL;
  GIOStream *stream;

  stream = connect_sync (host, port, options, timeout_ms, &err);
  fail_unless (stream == NULL, "connected where it should fail");
  fail_unless (err != NULL);
  fail_unless (err->domain == GST_RESILIENT_ERROR, "%s",
      g_quark_to_string (err->domain));
  GST_INFO ("expected error: %s (%s)", err->message,
      gst_resilient_error_code_nick (err->code));
  if (needle)
    fail_unless (strstr (err->message, needle) != NULL,
        "\"%s\" does not say \"%s\"", err->message, needle);
  return err;
}

static GSocket *
base_socket (GIOStream * stream)
{
  if (G_IS_TLS_CONNECTION (stream)) {
    GIOStream *base = NULL;
    GSocket *sock;

    g_object_get (stream, "base-io-stream", &base, NULL);
    sock = base_socket (base);
    g_object_unref (base);
    return sock;
  }
  fail_unless (G_IS_SOCKET_CONNECTION (stream));
  return g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));
}

/* Bytes go to the echo server and come back. */
static void
assert_echo (GIOStream * stream)
{
  static const gchar msg[] = "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n";
  gchar buf[sizeof (msg)] = { 0, };
  gsize n = 0;
  GError *err = NULL;

  /* a hang becomes an error */
  g_socket_set_timeout (base_socket (stream), 30);
  fail_unless (g_output_stream_write_all (g_io_stream_get_output_stream
          (stream), msg, strlen (msg), NULL, NULL, &err), "%s",
      err ? err->message : "");
  fail_unless (g_input_stream_read_all (g_io_stream_get_input_stream (stream),
          buf, strlen (msg), &n, NULL, &err), "%s", err ? err->message : "");
  fail_unless_equals_int (n, strlen (msg));
  fail_unless_equals_string (buf, msg);
}

static void
options_init_tls (GstResilientConnectOptions * o, GTlsDatabase * db)
{
  gst_resilient_connect_options_init (o);
  o->tls = TRUE;
  o->tls_database = db;         /* borrowed: the connector copies */
}

/* ---- proxy setting parser ---- */

GST_START_TEST (test_proxy_parse)
{
  GstResilientProxyType type;
  gchar *host, *user, *pw;
  guint16 port;
  GError *err = NULL;

#define PARSE(s, id, idpw) \
  gst_resilient_proxy_parse (s, id, idpw, &type, &host, &port, &user, &pw, \
      &err)
#define CLEAR() G_STMT_START { g_free (host); g_free (user); g_free (pw); \
    host = user = pw = NULL; } G_STMT_END

  /* rtspsrc's format: no scheme is http, default port 8080 */
  fail_unless (PARSE ("proxy.example:3128", NULL, NULL));
  fail_unless_equals_int (type, GST_RESILIENT_PROXY_HTTP);
  fail_unless_equals_string (host, "proxy.example");
  fail_unless_equals_int (port, 3128);
  fail_unless (user == NULL && pw == NULL);
  CLEAR ();
  fail_unless (PARSE ("proxy.example", NULL, NULL));
  fail_unless_equals_int (port, 8080);
  CLEAR ();

  /* credentials, %-decoded */
  fail_unless (PARSE ("http://al%40ce:p%3Ass@10.0.0.1:81/", NULL, NULL));
  fail_unless_equals_string (host, "10.0.0.1");
  fail_unless_equals_int (port, 81);
  fail_unless_equals_string (user, "al@ce");
  fail_unless_equals_string (pw, "p:ss");
  CLEAR ();

  /* proxy-id / proxy-pw win */
  fail_unless (PARSE ("http://a:b@h:1", "carol", "pw2"));
  fail_unless_equals_string (user, "carol");
  fail_unless_equals_string (pw, "pw2");
  CLEAR ();
  fail_unless (PARSE ("http://h:1", "carol", NULL));
  fail_unless_equals_string (user, "carol");
  fail_unless (pw == NULL);
  CLEAR ();

  fail_unless (PARSE ("socks5://h", NULL, NULL));
  fail_unless_equals_int (type, GST_RESILIENT_PROXY_SOCKS5);
  fail_unless_equals_int (port, 1080);
  CLEAR ();
  fail_unless (PARSE ("SOCKS5H://u:p@h:9", NULL, NULL));
  fail_unless_equals_int (type, GST_RESILIENT_PROXY_SOCKS5);
  fail_unless_equals_string (user, "u");
  CLEAR ();
  fail_unless (PARSE ("socks4a://id@h:9", NULL, NULL));
  fail_unless_equals_int (type, GST_RESILIENT_PROXY_SOCKS4A);
  fail_unless_equals_string (user, "id");
  CLEAR ();
  fail_unless (PARSE ("http://[::1]:3128", NULL, NULL));
  fail_unless_equals_string (host, "::1");
  CLEAR ();

  fail_unless (PARSE ("direct://", NULL, NULL));
  fail_unless_equals_int (type, GST_RESILIENT_PROXY_NONE);
  fail_unless (host == NULL);

  /* bad settings: bad-url, never quoting the credentials */
  {
    const gchar *bad[] = {
      "ftp://user:hunter2@h:21", "socks4://user:hunter2@h",
      "http://user:hunter2@h:1/path", "http://user:hunter2@:80",
      "http://user:hunter2@h:0", "http://user:hunter2@h:99999",
      "http://user:hunter2@h:1?x", "http://user:hunter2@h :1",
    };
    guint i;

    for (i = 0; i < G_N_ELEMENTS (bad); i++) {
      fail_if (PARSE (bad[i], NULL, NULL), "%s accepted", bad[i]);
      fail_unless (g_error_matches (err, GST_RESILIENT_ERROR,
              GST_RESILIENT_ERROR_BAD_URL), "%s", bad[i]);
      fail_unless (strstr (err->message, "hunter2") == NULL, "%s",
          err->message);
      fail_unless (host == NULL && user == NULL && pw == NULL);
      g_clear_error (&err);
    }
  }
#undef PARSE
#undef CLEAR
}

GST_END_TEST;

/* ---- TLS ---- */

GST_START_TEST (test_tls_ca_database)
{
  GTlsCertificate *cert = rr_net_load_certificate ("server.pem", "server.key");
  GTlsDatabase *db = rr_net_load_ca_database ();
  EchoServer *es = echo_server_new (cert);
  GstResilientConnectOptions o;
  GIOStream *stream;
  GError *err = NULL;

  options_init_tls (&o, db);
  o.proxy = (gchar *) "direct://";
  stream = connect_sync ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  fail_unless (G_IS_TLS_CLIENT_CONNECTION (stream));
  assert_echo (stream);
  g_object_unref (stream);

  /* by name (the certificate has DNS:localhost; SNI is the name) */
  stream = connect_sync ("localhost", es->port, &o, CONNECT_TIMEOUT_MS, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  assert_echo (stream);
  g_object_unref (stream);

  echo_server_free (es);
  g_object_unref (db);
  g_object_unref (cert);
}

GST_END_TEST;

GST_START_TEST (test_tls_self_signed_rejected)
{
  GTlsCertificate *cert = rr_net_load_certificate ("self.pem", "self.key");
  EchoServer *es = echo_server_new (cert);
  GstResilientConnectOptions o;
  GError *err;

  /* default flags, the system's CAs */
  options_init_tls (&o, NULL);
  o.proxy = (gchar *) "direct://";
  err = connect_expect_error ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS,
      "unknown CA");
  fail_unless_equals_int (err->code, GST_RESILIENT_ERROR_TLS);
  fail_unless (strstr (err->message, "127.0.0.1") != NULL);
  g_error_free (err);

  /* our CA does not vouch for it either */
  o.tls_database = rr_net_load_ca_database ();
  err = connect_expect_error ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS,
      "unknown CA");
  fail_unless_equals_int (err->code, GST_RESILIENT_ERROR_TLS);
  g_error_free (err);
  g_object_unref (o.tls_database);

  echo_server_free (es);
  g_object_unref (cert);
}

GST_END_TEST;

GST_START_TEST (test_tls_bad_identity)
{
  GTlsCertificate *cert = rr_net_load_certificate ("other.pem", "server.key");
  GTlsDatabase *db = rr_net_load_ca_database ();
  EchoServer *es = echo_server_new (cert);
  GstResilientConnectOptions o;
  GError *err;

  options_init_tls (&o, db);
  err = connect_expect_error ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS,
      "bad identity");
  fail_unless_equals_int (err->code, GST_RESILIENT_ERROR_TLS);
  fail_unless (strstr (err->message, "unknown CA") == NULL, "%s", err->message);
  g_error_free (err);

  /* the flags may leave the identity out */
  o.tls_validation_flags = G_TLS_CERTIFICATE_VALIDATE_ALL &
      ~G_TLS_CERTIFICATE_BAD_IDENTITY;
  {
    GIOStream *stream = connect_sync ("127.0.0.1", es->port, &o,
        CONNECT_TIMEOUT_MS, &err);

    fail_unless (stream != NULL, "%s", err ? err->message : "");
    assert_echo (stream);
    g_object_unref (stream);
  }

  echo_server_free (es);
  g_object_unref (db);
  g_object_unref (cert);
}

GST_END_TEST;

GST_START_TEST (test_tls_expired)
{
  GTlsCertificate *cert;
  GTlsDatabase *db;
  EchoServer *es;
  GstResilientConnectOptions o;
  GError *err;

  /* valid until the second it was made: make sure that second is over */
  while (g_get_real_time () < rr_net_certs_made_at () + 2 * G_USEC_PER_SEC)
    g_usleep (100 * 1000);

  cert = rr_net_load_certificate ("expired.pem", "server.key");
  db = rr_net_load_ca_database ();
  es = echo_server_new (cert);
  options_init_tls (&o, db);
  err = connect_expect_error ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS,
      "expired");
  fail_unless_equals_int (err->code, GST_RESILIENT_ERROR_TLS);
  g_error_free (err);

  echo_server_free (es);
  g_object_unref (db);
  g_object_unref (cert);
}

GST_END_TEST;

GST_START_TEST (test_tls_flags_zero)
{
  GTlsCertificate *cert = rr_net_load_certificate ("self.pem", "self.key");
  EchoServer *es = echo_server_new (cert);
  GstResilientConnectOptions o;
  GIOStream *stream;
  GError *err = NULL;

  options_init_tls (&o, NULL);
  o.tls_validation_flags = 0;
  stream = connect_sync ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  assert_echo (stream);
  g_object_unref (stream);

  echo_server_free (es);
  g_object_unref (cert);
}

GST_END_TEST;

typedef struct
{
  GstResilientIoContext *io;
  gboolean answer;
  gint calls;                   /* atomic */
  gint off_io_thread;           /* atomic */
  GTlsCertificateFlags errors;
  gboolean had_cert;
} AcceptState;

static gboolean
accept_cert (GTlsConnection * conn, GTlsCertificate * peer_cert,
    GTlsCertificateFlags errors, gpointer user_data)
{
  AcceptState *a = user_data;

  g_atomic_int_inc (&a->calls);
  if (!gst_resilient_io_context_is_current (a->io))
    g_atomic_int_inc (&a->off_io_thread);
  a->errors = errors;
  a->had_cert = G_IS_TLS_CERTIFICATE (peer_cert) &&
      G_IS_TLS_CLIENT_CONNECTION (conn);
  return a->answer;
}

GST_START_TEST (test_tls_accept_certificate)
{
  GTlsCertificate *cert = rr_net_load_certificate ("self.pem", "self.key");
  EchoServer *es = echo_server_new (cert);
  GstResilientConnectOptions o;
  AcceptState a = { 0, };
  GIOStream *stream;
  GError *err = NULL;

  a.io = gst_resilient_io_context_get ();
  options_init_tls (&o, NULL);
  o.accept_certificate = accept_cert;
  o.accept_certificate_data = &a;

  a.answer = TRUE;
  stream = connect_sync ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  assert_echo (stream);
  g_object_unref (stream);
  fail_unless_equals_int (g_atomic_int_get (&a.calls), 1);
  fail_unless_equals_int (g_atomic_int_get (&a.off_io_thread), 0);
  fail_unless (a.errors & G_TLS_CERTIFICATE_UNKNOWN_CA);
  fail_unless (a.had_cert);

  /* FALSE: rejected, with the reason */
  a.answer = FALSE;
  a.calls = 0;
  err = connect_expect_error ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS,
      "unknown CA");
  fail_unless_equals_int (err->code, GST_RESILIENT_ERROR_TLS);
  fail_unless_equals_int (g_atomic_int_get (&a.calls), 1);
  g_error_free (err);

  /* not consulted for a certificate that validates */
  {
    GTlsCertificate *good =
        rr_net_load_certificate ("server.pem", "server.key");
    EchoServer *es2 = echo_server_new (good);

    o.tls_database = rr_net_load_ca_database ();
    a.calls = 0;
    stream = connect_sync ("127.0.0.1", es2->port, &o, CONNECT_TIMEOUT_MS,
        &err);
    fail_unless (stream != NULL, "%s", err ? err->message : "");
    g_object_unref (stream);
    fail_unless_equals_int (g_atomic_int_get (&a.calls), 0);
    g_object_unref (o.tls_database);
    echo_server_free (es2);
    g_object_unref (good);
  }

  echo_server_free (es);
  g_object_unref (cert);
  gst_resilient_io_context_unref (a.io);
}

GST_END_TEST;

/* TLS to a server that does not speak it: a TLS error, no hang. */
GST_START_TEST (test_tls_not_tls)
{
  EchoServer *es = echo_server_new (NULL);
  GstResilientConnectOptions o;
  GError *err;

  options_init_tls (&o, NULL);
  o.tls_validation_flags = 0;
  err = connect_expect_error ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS,
      "127.0.0.1");
  fail_unless (err->code == GST_RESILIENT_ERROR_TLS ||
      err->code == GST_RESILIENT_ERROR_CONNECTION_LOST, "%s", err->message);
  g_error_free (err);
  echo_server_free (es);
}

GST_END_TEST;

/* The control connection works on the TLS stream (pollable, non-blocking):
 * an RTSP message and an interleaved frame go out and come back. */
typedef struct
{
  GAsyncQueue *messages;
  GAsyncQueue *frames;
} ConnEvents;

static void
on_conn_message (GstResilientConnection * conn, GstRTSPMessage * msg,
    gpointer user_data)
{
  g_async_queue_push (((ConnEvents *) user_data)->messages, msg);
}

static void
on_conn_data (GstResilientConnection * conn, guint8 channel, GstBuffer * buf,
    gpointer user_data)
{
  GST_BUFFER_OFFSET (buf) = channel;
  g_async_queue_push (((ConnEvents *) user_data)->frames, buf);
}

static void
on_conn_closed (GstResilientConnection * conn, const GError * error,
    gpointer user_data)
{
  GST_INFO ("closed: %s", error ? error->message : "");
}

static gboolean
start_conn (gpointer conn)
{
  gst_resilient_connection_start (conn);
  return G_SOURCE_REMOVE;
}

static gboolean
close_conn (gpointer conn)
{
  gst_resilient_connection_close (conn);
  return G_SOURCE_REMOVE;
}

GST_START_TEST (test_tls_connection_framing)
{
  static const GstResilientConnectionCallbacks cbs = {
    on_conn_message, on_conn_data, on_conn_closed
  };
  GTlsCertificate *cert = rr_net_load_certificate ("server.pem", "server.key");
  GTlsDatabase *db = rr_net_load_ca_database ();
  EchoServer *es = echo_server_new (cert);
  GstResilientIoContext *io = gst_resilient_io_context_get ();
  ConnEvents ev;
  GstResilientConnectOptions o;
  GstResilientConnection *conn;
  GstRTSPMessage *req, *msg;
  GstBuffer *buf, *frame;
  GIOStream *stream;
  GError *err = NULL;
  guint i;

  ev.messages = g_async_queue_new ();
  ev.frames = g_async_queue_new ();
  options_init_tls (&o, db);
  stream = connect_sync ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");

  conn = gst_resilient_connection_new (io, stream, &cbs, &ev);
  g_object_unref (stream);
  gst_resilient_io_context_invoke_sync (io, start_conn, conn);

  gst_rtsp_message_new_request (&req, GST_RTSP_OPTIONS, "rtsps://h/x");
  gst_rtsp_message_add_header (req, GST_RTSP_HDR_CSEQ, "7");
  fail_unless (gst_resilient_connection_send_message (conn, req));
  gst_rtsp_message_free (req);
  msg = g_async_queue_timeout_pop (ev.messages, WAIT_US);
  fail_unless (msg != NULL, "the echoed request never came back");
  fail_unless_equals_int (gst_rtsp_message_get_type (msg),
      GST_RTSP_MESSAGE_REQUEST);
  fail_unless_equals_int (msg->type_data.request.method, GST_RTSP_OPTIONS);
  gst_rtsp_message_free (msg);

  /* frames larger than a TLS record */
  buf = gst_buffer_new_allocate (NULL, 40000, NULL);
  gst_buffer_memset (buf, 0, 0xab, 40000);
  for (i = 0; i < 3; i++)
    fail_unless (gst_resilient_connection_send_data (conn, 3, buf));
  for (i = 0; i < 3; i++) {
    frame = g_async_queue_timeout_pop (ev.frames, WAIT_US);
    fail_unless (frame != NULL, "frame %u never came back", i);
    fail_unless_equals_int (GST_BUFFER_OFFSET (frame), 3);
    fail_unless_equals_int (gst_buffer_get_size (frame), 40000);
    fail_unless (gst_buffer_memcmp (frame, 39999, "\xab", 1) == 0);
    gst_buffer_unref (frame);
  }
  gst_buffer_unref (buf);

  gst_resilient_io_context_invoke_sync (io, close_conn, conn);
  g_object_unref (conn);
  gst_resilient_io_context_unref (io);
  g_async_queue_unref (ev.messages);
  g_async_queue_unref (ev.frames);
  echo_server_free (es);
  g_object_unref (db);
  g_object_unref (cert);
}

GST_END_TEST;

/* ---- client certificates ---- */

/* A GTlsInteraction that answers a certificate request with one
 * certificate, as an application's would. */
G_DECLARE_FINAL_TYPE (TestCertInteraction, test_cert_interaction, TEST,
    CERT_INTERACTION, GTlsInteraction);

struct _TestCertInteraction
{
  GTlsInteraction parent;
  GTlsCertificate *cert;
  guint delay_ms;               /* answers after this long */
  gint requests;                /* atomic */
};

G_DEFINE_TYPE (TestCertInteraction, test_cert_interaction,
    G_TYPE_TLS_INTERACTION);

static GTlsInteractionResult
test_cert_interaction_request_certificate (GTlsInteraction * interaction,
    GTlsConnection * connection, GTlsCertificateRequestFlags flags,
    GCancellable * cancellable, GError ** error)
{
  TestCertInteraction *self = TEST_CERT_INTERACTION (interaction);

  g_atomic_int_inc (&self->requests);
  if (self->delay_ms)
    g_usleep (self->delay_ms * 1000);
  g_tls_connection_set_certificate (connection, self->cert);
  return G_TLS_INTERACTION_HANDLED;
}

static void
test_cert_interaction_finalize (GObject * object)
{
  g_clear_object (&TEST_CERT_INTERACTION (object)->cert);
  G_OBJECT_CLASS (test_cert_interaction_parent_class)->finalize (object);
}

static void
test_cert_interaction_class_init (TestCertInteractionClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_cert_interaction_finalize;
  G_TLS_INTERACTION_CLASS (klass)->request_certificate =
      test_cert_interaction_request_certificate;
}

static void
test_cert_interaction_init (TestCertInteraction * self)
{
}

static TestCertInteraction *
test_cert_interaction_new (const gchar * cert, const gchar * key)
{
  TestCertInteraction *i = g_object_new (test_cert_interaction_get_type (),
      NULL);

  i->cert = rr_net_load_certificate (cert, key);
  return i;
}

static const gchar http_get[] = "GET / HTTP/1.0\r\n\r\n";

/* A connection to the openssl server that must not get an answer: the
 * server refuses in the handshake (the connector's error), or — TLS 1.3 —
 * right after it, at the first read (what connection.c then does is done
 * here). Returns the error, of class tls, saying @needle. */
static void
expect_refused (const GstResilientConnectOptions * o, guint16 port,
    const gchar * needle)
{
  GError *err = NULL;
  GIOStream *stream;

  stream = connect_sync ("localhost", port, o, CONNECT_TIMEOUT_MS, &err);
  if (stream != NULL) {
    GError *gio_err = NULL;
    gchar buf[64];
    gssize n = -1;

    g_socket_set_timeout (base_socket (stream), 30);
    if (g_output_stream_write_all (g_io_stream_get_output_stream (stream),
            http_get, strlen (http_get), NULL, NULL, &gio_err))
      n = g_input_stream_read (g_io_stream_get_input_stream (stream), buf,
          sizeof (buf), NULL, &gio_err);
    fail_unless (n < 0, "the server answered");
    err = gst_resilient_error_new_from_gio (gio_err, "reading from the server");
    gst_resilient_connect_explain_error (stream, err, TRUE);
    g_error_free (gio_err);

    /* a server that resets the connection instead: connection-lost is
     * taken as the refusal as long as the server sent nothing */
    gio_err = g_error_new_literal (GST_RESILIENT_ERROR,
        GST_RESILIENT_ERROR_CONNECTION_LOST, "connection lost");
    gst_resilient_connect_explain_error (stream, gio_err, FALSE);
    fail_unless_equals_int (gio_err->code, GST_RESILIENT_ERROR_CONNECTION_LOST);
    fail_unless_equals_string (gio_err->message, "connection lost");
    gst_resilient_connect_explain_error (stream, gio_err, TRUE);
    fail_unless_equals_int (gio_err->code, GST_RESILIENT_ERROR_TLS);
    fail_unless (strstr (gio_err->message, needle) != NULL, "%s",
        gio_err->message);
    g_error_free (gio_err);
    g_object_unref (stream);
  }
  GST_INFO ("error: %s", err->message);
  fail_unless (g_error_matches (err, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_TLS), "%s", err->message);
  fail_unless (strstr (err->message, needle) != NULL, "\"%s\" not in \"%s\"",
      needle, err->message);
  g_error_free (err);
}

/* openssl s_server requiring a client certificate: tls-interaction gives
 * it; without one, or with one the server does not trust, a tls error
 * that says so. */
GST_START_TEST (test_tls_client_certificate)
{
  GTlsDatabase *db;
  RrProxyProcess *srv;
  TestCertInteraction *interaction;
  GstResilientConnectOptions o;
  GIOStream *stream;
  GError *err = NULL;
  gchar buf[13] = { 0, };
  gsize n = 0;
  guint16 port;

  if (!rr_net_have_program ("openssl"))
    return;
  db = rr_net_load_ca_database ();
  srv = rr_net_openssl_server_start ();
  port = rr_net_proxy_get_port (srv);

  options_init_tls (&o, db);

  /* (the refusals first: after an accepted handshake GIO resumes the TLS
   * session, and the server asks for no certificate again) */

  /* none */
  expect_refused (&o, port, "the server asked for a client certificate and "
      "none was given: set tls-interaction");

  /* one the server does not trust */
  interaction = test_cert_interaction_new ("intruder.pem", "intruder.key");
  o.tls_interaction = G_TLS_INTERACTION (interaction);
  expect_refused (&o, port, "the server asked for a client certificate and "
      "may have refused the one given");
  fail_unless_equals_int (g_atomic_int_get (&interaction->requests), 1);
  g_object_unref (interaction);

  /* the certificate our CA signed: the server answers */
  interaction = test_cert_interaction_new ("client.pem", "client.key");
  o.tls_interaction = G_TLS_INTERACTION (interaction);
  stream = connect_sync ("localhost", port, &o, CONNECT_TIMEOUT_MS, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (g_atomic_int_get (&interaction->requests), 1);
  g_socket_set_timeout (base_socket (stream), 30);
  fail_unless (g_output_stream_write_all (g_io_stream_get_output_stream
          (stream), http_get, strlen (http_get), NULL, NULL, &err), "%s",
      err ? err->message : "");
  fail_unless (g_input_stream_read_all (g_io_stream_get_input_stream (stream),
          buf, 12, &n, NULL, &err), "%s", err ? err->message : "");
  fail_unless_equals_string (buf, "HTTP/1.0 200");
  g_object_unref (stream);
  g_object_unref (interaction);

  rr_net_proxy_stop (srv);
  g_object_unref (db);
}

GST_END_TEST;

/* Several handshakes ask an interaction that takes its time at once, and
 * nobody runs the default main context (as in an application that pops
 * its bus from a thread): every one gets its certificate. GIO runs an
 * interaction inline only when it can take the interaction's main context;
 * two at once used to leave the second waiting for a loop that never ran
 * until the connect timed out. */
GST_START_TEST (test_tls_client_certificate_concurrent)
{
  GTlsCertificate *cert = rr_net_load_certificate ("server.pem", "server.key");
  GTlsDatabase *db = rr_net_load_ca_database ();
  EchoServer *es;
  TestCertInteraction *interaction;
  GstResilientConnectOptions o;
  ConnectState s = { 0, };
  const guint n = 4;
  guint i;

  es = echo_server_new (cert);
  es->client_ca = g_object_ref (db);
  interaction = test_cert_interaction_new ("client.pem", "client.key");
  interaction->delay_ms = 300;

  options_init_tls (&o, db);
  o.proxy = (gchar *) "direct://";
  o.tls_interaction = G_TLS_INTERACTION (interaction);
  s.results = g_async_queue_new ();
  s.io = gst_resilient_io_context_get ();
  for (i = 0; i < n; i++)
    gst_resilient_connect_async (s.io, "127.0.0.1", es->port, &o,
        CONNECT_TIMEOUT_MS, NULL, on_connect_done, &s);

  for (i = 0; i < n; i++) {
    GAsyncResult *result = g_async_queue_timeout_pop (s.results,
        90 * G_USEC_PER_SEC);
    GError *err = NULL;
    GIOStream *stream;

    fail_unless (result != NULL, "connect never completed");
    stream = gst_resilient_connect_finish (result, &err);
    fail_unless (stream != NULL, "connection %u: %s", i,
        err ? err->message : "");
    assert_echo (stream);
    g_object_unref (stream);
    g_object_unref (result);
  }
  fail_unless (g_atomic_int_get (&interaction->requests) >= 1);
  fail_unless_equals_int (g_atomic_int_get (&s.wrong_thread), 0);

  gst_resilient_io_context_invoke_sync (s.io, noop, NULL);
  gst_resilient_io_context_unref (s.io);
  g_async_queue_unref (s.results);
  g_object_unref (interaction);
  echo_server_free (es);
  g_object_unref (db);
  g_object_unref (cert);
}

GST_END_TEST;

/* ---- HTTP proxies ---- */

GST_START_TEST (test_http_proxy_tinyproxy)
{
  EchoServer *es;
  RrProxyProcess *tp;
  GstResilientConnectOptions o;
  GIOStream *stream;
  GError *err = NULL;
  gchar *proxy;

  if (!rr_net_have_program ("tinyproxy"))
    return;
  es = echo_server_new (NULL);
  tp = rr_net_tinyproxy_start (es->port, NULL, NULL);

  gst_resilient_connect_options_init (&o);
  proxy = g_strdup_printf ("http://127.0.0.1:%u", rr_net_proxy_get_port (tp));
  o.proxy = proxy;
  stream = connect_sync ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  assert_echo (stream);
  g_object_unref (stream);
  fail_unless_equals_int (g_atomic_int_get (&es->connections), 1);
  g_free (proxy);

  /* rtspsrc's format, no scheme; the server by name */
  proxy = g_strdup_printf ("127.0.0.1:%u", rr_net_proxy_get_port (tp));
  o.proxy = proxy;
  stream = connect_sync ("localhost", es->port, &o, CONNECT_TIMEOUT_MS, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  assert_echo (stream);
  g_object_unref (stream);
  fail_unless_equals_int (g_atomic_int_get (&es->connections), 2);
  g_free (proxy);

  rr_net_proxy_stop (tp);
  echo_server_free (es);
}

GST_END_TEST;

GST_START_TEST (test_http_proxy_tinyproxy_auth)
{
  EchoServer *es;
  RrProxyProcess *tp;
  GstResilientConnectOptions o;
  GIOStream *stream;
  GError *err = NULL;
  gchar *proxy;

  if (!rr_net_have_program ("tinyproxy"))
    return;
  es = echo_server_new (NULL);
  tp = rr_net_tinyproxy_start (es->port, "alice", "Wonder1and");

  /* credentials in the URL */
  gst_resilient_connect_options_init (&o);
  proxy =
      g_strdup_printf ("http://alice:Wonder1and@127.0.0.1:%u",
      rr_net_proxy_get_port (tp));
  o.proxy = proxy;
  stream = connect_sync ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  assert_echo (stream);
  g_object_unref (stream);
  g_free (proxy);

  /* proxy-id / proxy-pw */
  proxy = g_strdup_printf ("http://127.0.0.1:%u", rr_net_proxy_get_port (tp));
  o.proxy = proxy;
  o.proxy_id = (gchar *) "alice";
  o.proxy_pw = (gchar *) "Wonder1and";
  stream = connect_sync ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  assert_echo (stream);
  g_object_unref (stream);

  /* wrong password: auth, without the password in the message */
  o.proxy_pw = (gchar *) "Looking-Glass";
  err = connect_expect_error ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS,
      "rejected the credentials");
  fail_unless_equals_int (err->code, GST_RESILIENT_ERROR_AUTH);
  fail_unless (strstr (err->message, "Looking-Glass") == NULL);
  fail_unless (strstr (err->message, "alice") == NULL);
  g_error_free (err);

  /* none at all */
  o.proxy_id = NULL;
  o.proxy_pw = NULL;
  err = connect_expect_error ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS,
      "requires authentication");
  fail_unless_equals_int (err->code, GST_RESILIENT_ERROR_AUTH);
  {
    gchar *name =
        g_strdup_printf ("http proxy 127.0.0.1:%u", rr_net_proxy_get_port (tp));

    fail_unless (strstr (err->message, name) != NULL, "%s", err->message);
    g_free (name);
  }
  g_error_free (err);
  g_free (proxy);

  rr_net_proxy_stop (tp);
  echo_server_free (es);
}

GST_END_TEST;

/* A port the proxy does not allow: forbidden. */
GST_START_TEST (test_http_proxy_forbidden_port)
{
  EchoServer *es;
  RrProxyProcess *tp;
  GstResilientConnectOptions o;
  GError *err;
  gchar *proxy;

  if (!rr_net_have_program ("tinyproxy"))
    return;
  es = echo_server_new (NULL);
  tp = rr_net_tinyproxy_start (es->port == 65535 ? 1 : es->port + 1, NULL,
      NULL);

  gst_resilient_connect_options_init (&o);
  proxy = g_strdup_printf ("http://127.0.0.1:%u", rr_net_proxy_get_port (tp));
  o.proxy = proxy;
  err = connect_expect_error ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS,
      "refuses to connect");
  fail_unless_equals_int (err->code, GST_RESILIENT_ERROR_FORBIDDEN);
  g_error_free (err);
  fail_unless_equals_int (g_atomic_int_get (&es->connections), 0);
  g_free (proxy);

  rr_net_proxy_stop (tp);
  echo_server_free (es);
}

GST_END_TEST;

/* rtsps through the HTTP proxy: TLS end to end, SNI the server's name. */
GST_START_TEST (test_http_proxy_tls)
{
  GTlsCertificate *cert;
  GTlsDatabase *db;
  EchoServer *es;
  RrProxyProcess *tp;
  GstResilientConnectOptions o;
  GIOStream *stream;
  GError *err = NULL;
  gchar *proxy;

  if (!rr_net_have_program ("tinyproxy"))
    return;
  cert = rr_net_load_certificate ("server.pem", "server.key");
  db = rr_net_load_ca_database ();
  es = echo_server_new (cert);
  tp = rr_net_tinyproxy_start (es->port, "alice", "Wonder1and");

  options_init_tls (&o, db);
  proxy =
      g_strdup_printf ("alice:Wonder1and@127.0.0.1:%u",
      rr_net_proxy_get_port (tp));
  o.proxy = proxy;
  stream = connect_sync ("localhost", es->port, &o, CONNECT_TIMEOUT_MS, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  fail_unless (G_IS_TLS_CLIENT_CONNECTION (stream));
  assert_echo (stream);
  g_object_unref (stream);
  g_free (proxy);

  rr_net_proxy_stop (tp);
  echo_server_free (es);
  g_object_unref (db);
  g_object_unref (cert);
}

GST_END_TEST;

GST_START_TEST (test_http_proxy_garbage)
{
  FakeServer *fs = fake_server_new (FAKE_HTTP_GARBAGE);
  GstResilientConnectOptions o;
  GError *err;
  gchar *proxy, *name, *request;

  gst_resilient_connect_options_init (&o);
  proxy = g_strdup_printf ("http://u:pw@127.0.0.1:%u", fs->port);
  name = g_strdup_printf ("http proxy 127.0.0.1:%u", fs->port);
  o.proxy = proxy;
  /* the timeout is only a bound: garbage is refused as soon as it shows */
  err = connect_expect_error ("cam.invalid", 554, &o, CONNECT_TIMEOUT_MS, name);
  fail_unless_equals_int (err->code, GST_RESILIENT_ERROR_PROTOCOL);
  fail_unless (strstr (err->message, "SSH-2.0") != NULL, "%s", err->message);
  g_error_free (err);

  /* what was sent: CONNECT for the server; no credentials to a proxy that
   * never asked for them */
  request = fake_server_get_request (fs);
  fail_unless (g_str_has_prefix (request,
          "CONNECT cam.invalid:554 HTTP/1.1\r\n"), "%s", request);
  fail_unless (strstr (request, "\r\nHost: cam.invalid:554\r\n"));
  fail_unless (strstr (request, "Proxy-Authorization") == NULL, "%s", request);
  g_free (request);

  g_free (name);
  g_free (proxy);
  fake_server_free (fs);
}

GST_END_TEST;

/* A proxy that never answers: the overall timeout, naming the step. */
GST_START_TEST (test_http_proxy_silent)
{
  FakeServer *fs = fake_server_new (FAKE_HTTP_SILENT);
  GstResilientConnectOptions o;
  GError *err;
  gchar *proxy, *name;

  gst_resilient_connect_options_init (&o);
  proxy = g_strdup_printf ("http://127.0.0.1:%u", fs->port);
  name = g_strdup_printf ("http proxy 127.0.0.1:%u", fs->port);
  o.proxy = proxy;
  err = connect_expect_error ("127.0.0.1", 554, &o, 300, name);
  fail_unless_equals_int (err->code, GST_RESILIENT_ERROR_TIMEOUT);
  fail_unless (strstr (err->message, "HTTP proxy handshake") != NULL, "%s",
      err->message);
  g_error_free (err);
  g_free (name);
  g_free (proxy);
  fake_server_free (fs);
}

GST_END_TEST;

/* Only schemes we do not speak: one auth error listing them, nothing
 * resent. */
GST_START_TEST (test_http_proxy_unsupported_scheme)
{
  FakeServer *fs = fake_server_new (FAKE_HTTP_NEGOTIATE_ONLY);
  GstResilientConnectOptions o;
  GError *err;
  gchar *proxy;

  gst_resilient_connect_options_init (&o);
  proxy = g_strdup_printf ("http://127.0.0.1:%u", fs->port);
  o.proxy = proxy;
  o.proxy_id = (gchar *) "u";
  o.proxy_pw = (gchar *) "secret-pw";
  err = connect_expect_error ("127.0.0.1", 554, &o, CONNECT_TIMEOUT_MS,
      "requires Negotiate, NTLM authentication");
  fail_unless_equals_int (err->code, GST_RESILIENT_ERROR_AUTH);
  fail_unless (strstr (err->message, "secret-pw") == NULL);
  g_error_free (err);
  fail_unless_equals_int (g_atomic_int_get (&fs->connections), 1);
  g_free (proxy);
  fake_server_free (fs);
}

GST_END_TEST;

/* ---- Digest through netfixture.c's fake proxy (a mock: no Debian proxy a
 * test can start speaks Digest); it checks each answer independently ---- */

#define DIGEST_USER "alice"
#define DIGEST_PW "Wonder-1and"

/* CONNECT through a fake Digest proxy made from @config (user, target
 * filled in here) with @password (NULL: no proxy credentials at all), to an
 * echo server; bytes must come back when it connects. Returns whether it
 * did, the proxy's log in @log. */
static gboolean
through_digest_proxy (RrDigestProxyConfig * config, const gchar * password,
    gchar ** log, GError ** error)
{
  EchoServer *es = echo_server_new (NULL);
  RrDigestProxy *dp;
  GstResilientConnectOptions o;
  GIOStream *stream;
  gchar *proxy;

  config->user = DIGEST_USER;
  config->password = DIGEST_PW;
  config->target_port = es->port;
  dp = rr_net_digest_proxy_start (config);

  gst_resilient_connect_options_init (&o);
  proxy = g_strdup_printf ("http://127.0.0.1:%u",
      rr_net_digest_proxy_get_port (dp));
  o.proxy = proxy;
  o.proxy_id = password ? (gchar *) DIGEST_USER : NULL;
  o.proxy_pw = (gchar *) password;
  stream = connect_sync ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS, error);
  if (stream != NULL) {
    assert_echo (stream);
    g_object_unref (stream);
    fail_unless_equals_int (g_atomic_int_get (&es->connections), 1);
  }
  *log = rr_net_digest_proxy_get_log (dp);
  GST_INFO ("proxy log: %s", *log);

  rr_net_digest_proxy_stop (dp);
  echo_server_free (es);
  g_free (proxy);
  return stream != NULL;
}

/* MD5, the proxy keeps the connection open after the 407 (its 3000-byte
 * body is skipped): the answer goes on the same connection. */
GST_START_TEST (test_http_proxy_digest_md5_same_connection)
{
  RrDigestProxyConfig config = { 0, };
  GError *err = NULL;
  gchar *log;

  config.algorithm = "MD5";
  config.keep_alive = TRUE;
  fail_unless (through_digest_proxy (&config, DIGEST_PW, &log, &err), "%s",
      err ? err->message : "");
  fail_unless_equals_string (log, "1:none:407 1:digest:200");
  g_free (log);
}

GST_END_TEST;

/* SHA-256, "Connection: close" after the 407: a new connection. */
GST_START_TEST (test_http_proxy_digest_sha256_new_connection)
{
  RrDigestProxyConfig config = { 0, };
  GError *err = NULL;
  gchar *log;

  config.algorithm = "SHA-256";
  fail_unless (through_digest_proxy (&config, DIGEST_PW, &log, &err), "%s",
      err ? err->message : "");
  fail_unless_equals_string (log, "1:none:407 2:digest:200");
  g_free (log);
}

GST_END_TEST;

/* The 407 looks kept-alive but the proxy closes anyway (and names no
 * algorithm: MD5): the CONNECT is sent once more on a new connection. */
GST_START_TEST (test_http_proxy_digest_closed_silently)
{
  RrDigestProxyConfig config = { 0, };
  GError *err = NULL;
  gchar *log;

  config.keep_alive = TRUE;
  config.close_silently = TRUE;
  fail_unless (through_digest_proxy (&config, DIGEST_PW, &log, &err), "%s",
      err ? err->message : "");
  fail_unless_equals_string (log, "1:none:407 2:digest:200");
  g_free (log);
}

GST_END_TEST;

/* A stale nonce: one more answer with the new nonce, on both kinds of
 * connection. */
GST_START_TEST (test_http_proxy_digest_stale)
{
  RrDigestProxyConfig config = { 0, };
  GError *err = NULL;
  gchar *log;

  config.algorithm = "SHA-256";
  config.keep_alive = TRUE;
  config.stale_count = 1;
  fail_unless (through_digest_proxy (&config, DIGEST_PW, &log, &err), "%s",
      err ? err->message : "");
  fail_unless_equals_string (log, "1:none:407 1:digest:407 1:digest:200");
  g_free (log);

  memset (&config, 0, sizeof (config));
  config.algorithm = "MD5";
  config.stale_count = 1;
  fail_unless (through_digest_proxy (&config, DIGEST_PW, &log, &err), "%s",
      err ? err->message : "");
  fail_unless_equals_string (log, "1:none:407 2:digest:407 3:digest:200");
  g_free (log);
}

GST_END_TEST;

/* A proxy that calls every nonce stale: bounded (one resend, one more for
 * the stale nonce), then one auth error. */
GST_START_TEST (test_http_proxy_digest_stale_forever)
{
  RrDigestProxyConfig config = { 0, };
  GError *err = NULL;
  gchar *log;

  config.algorithm = "SHA-256";
  config.keep_alive = TRUE;
  config.stale_count = G_MAXUINT;
  fail_if (through_digest_proxy (&config, DIGEST_PW, &log, &err));
  fail_unless_equals_string (log, "1:none:407 1:digest:407 1:digest:407");
  fail_unless (g_error_matches (err, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_AUTH), "%s", err->message);
  fail_unless (strstr (err->message, "declared the nonce stale again") !=
      NULL, "%s", err->message);
  g_error_free (err);
  g_free (log);
}

GST_END_TEST;

/* A wrong password: one answer, then one auth error naming the proxy and
 * the scheme, without the credentials; no loop. */
GST_START_TEST (test_http_proxy_digest_wrong_password)
{
  RrDigestProxyConfig config = { 0, };
  GError *err = NULL;
  gchar *log;

  config.algorithm = "SHA-256";
  config.keep_alive = TRUE;
  fail_if (through_digest_proxy (&config, "Looking-Glass", &log, &err));
  fail_unless_equals_string (log, "1:none:407 1:digest-bad(response):407");
  fail_unless (g_error_matches (err, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_AUTH), "%s", err->message);
  GST_INFO ("error: %s", err->message);
  fail_unless (strstr (err->message, "rejected the credentials (Digest "
          "SHA-256; 407 ") != NULL, "%s", err->message);
  fail_unless (strstr (err->message, "through http proxy 127.0.0.1:") !=
      NULL, "%s", err->message);
  fail_unless (strstr (err->message, "Looking-Glass") == NULL);
  fail_unless (strstr (err->message, DIGEST_USER) == NULL);
  g_clear_error (&err);
  g_free (log);

  /* the same on a new connection */
  memset (&config, 0, sizeof (config));
  fail_if (through_digest_proxy (&config, "Looking-Glass", &log, &err));
  fail_unless_equals_string (log, "1:none:407 2:digest-bad(response):407");
  fail_unless (g_error_matches (err, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_AUTH), "%s", err->message);
  g_error_free (err);
  g_free (log);
}

GST_END_TEST;

/* Basic and Digest offered (two Proxy-Authenticate headers): Digest. */
GST_START_TEST (test_http_proxy_digest_preferred)
{
  RrDigestProxyConfig config = { 0, };
  GError *err = NULL;
  gchar *log;

  config.algorithm = "MD5";
  config.keep_alive = TRUE;
  config.also_basic = TRUE;
  fail_unless (through_digest_proxy (&config, DIGEST_PW, &log, &err), "%s",
      err ? err->message : "");
  fail_unless_equals_string (log, "1:none:407 1:digest:200");
  g_free (log);
}

GST_END_TEST;

/* No credentials configured: the auth error says what to set. */
GST_START_TEST (test_http_proxy_digest_no_credentials)
{
  RrDigestProxyConfig config = { 0, };
  GError *err = NULL;
  gchar *log;

  config.keep_alive = TRUE;
  fail_if (through_digest_proxy (&config, NULL, &log, &err));
  fail_unless_equals_string (log, "1:none:407");
  fail_unless (g_error_matches (err, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_AUTH), "%s", err->message);
  fail_unless (strstr (err->message, "set proxy-id and proxy-pw") != NULL,
      "%s", err->message);
  g_error_free (err);
  g_free (log);
}

GST_END_TEST;

/* Basic: the first CONNECT to a proxy carries no credentials; once it
 * asked for Basic, later CONNECTs to it carry them at once; wrong ones are
 * then rejected without a second try. */
GST_START_TEST (test_http_proxy_basic_remembered)
{
  RrDigestProxyConfig config = { 0, };
  EchoServer *es = echo_server_new (NULL);
  RrDigestProxy *dp;
  GstResilientConnectOptions o;
  GIOStream *stream;
  GError *err = NULL;
  gchar *proxy, *log;

  config.user = DIGEST_USER;
  config.password = DIGEST_PW;
  config.basic_only = TRUE;
  config.keep_alive = TRUE;
  config.target_port = es->port;
  dp = rr_net_digest_proxy_start (&config);
  gst_resilient_connect_options_init (&o);
  proxy = g_strdup_printf ("http://" DIGEST_USER ":" DIGEST_PW
      "@127.0.0.1:%u", rr_net_digest_proxy_get_port (dp));
  o.proxy = proxy;

  stream = connect_sync ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  assert_echo (stream);
  g_object_unref (stream);
  log = rr_net_digest_proxy_get_log (dp);
  fail_unless_equals_string (log, "1:none:407 1:basic:200");
  g_free (log);

  stream = connect_sync ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  assert_echo (stream);
  g_object_unref (stream);
  log = rr_net_digest_proxy_get_log (dp);
  fail_unless_equals_string (log, "1:none:407 1:basic:200 2:basic:200");
  g_free (log);

  o.proxy_id = (gchar *) DIGEST_USER;
  o.proxy_pw = (gchar *) "Looking-Glass";
  err = connect_expect_error ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS,
      "rejected the credentials (Basic; 407 ");
  fail_unless_equals_int (err->code, GST_RESILIENT_ERROR_AUTH);
  fail_unless (strstr (err->message, "Looking-Glass") == NULL);
  g_error_free (err);
  log = rr_net_digest_proxy_get_log (dp);
  fail_unless_equals_string (log,
      "1:none:407 1:basic:200 2:basic:200 3:basic-bad:407");
  g_free (log);

  g_free (proxy);
  rr_net_digest_proxy_stop (dp);
  echo_server_free (es);
}

GST_END_TEST;

/* rtsps through the Digest proxy: TLS end to end after the 407. */
GST_START_TEST (test_http_proxy_digest_tls)
{
  GTlsCertificate *cert = rr_net_load_certificate ("server.pem", "server.key");
  GTlsDatabase *db = rr_net_load_ca_database ();
  EchoServer *es = echo_server_new (cert);
  RrDigestProxyConfig config = { 0, };
  RrDigestProxy *dp;
  GstResilientConnectOptions o;
  GIOStream *stream;
  GError *err = NULL;
  gchar *proxy, *log;

  config.user = DIGEST_USER;
  config.password = DIGEST_PW;
  config.algorithm = "SHA-256";
  config.keep_alive = TRUE;
  config.target_port = es->port;
  dp = rr_net_digest_proxy_start (&config);
  options_init_tls (&o, db);
  proxy = g_strdup_printf ("127.0.0.1:%u", rr_net_digest_proxy_get_port (dp));
  o.proxy = proxy;
  o.proxy_id = (gchar *) DIGEST_USER;
  o.proxy_pw = (gchar *) DIGEST_PW;
  stream = connect_sync ("localhost", es->port, &o, CONNECT_TIMEOUT_MS, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  fail_unless (G_IS_TLS_CLIENT_CONNECTION (stream));
  assert_echo (stream);
  g_object_unref (stream);
  log = rr_net_digest_proxy_get_log (dp);
  fail_unless_equals_string (log, "1:none:407 1:digest:200");
  g_free (log);

  g_free (proxy);
  rr_net_digest_proxy_stop (dp);
  echo_server_free (es);
  g_object_unref (db);
  g_object_unref (cert);
}

GST_END_TEST;

GST_START_TEST (test_http_proxy_early_data)
{
  FakeServer *fs = fake_server_new (FAKE_HTTP_EARLY_DATA);
  GstResilientConnectOptions o;
  GError *err;
  gchar *proxy;

  gst_resilient_connect_options_init (&o);
  proxy = g_strdup_printf ("http://127.0.0.1:%u", fs->port);
  o.proxy = proxy;
  err = connect_expect_error ("127.0.0.1", 554, &o, CONNECT_TIMEOUT_MS,
      "after its answer");
  fail_unless_equals_int (err->code, GST_RESILIENT_ERROR_PROTOCOL);
  g_error_free (err);
  g_free (proxy);
  fake_server_free (fs);
}

GST_END_TEST;

/* Nothing listens where the proxy should be. */
GST_START_TEST (test_proxy_unreachable)
{
  GstResilientConnectOptions o;
  GError *err;
  gchar *proxy, *name;
  guint16 port = rr_net_free_port ();

  gst_resilient_connect_options_init (&o);
  proxy = g_strdup_printf ("socks5://127.0.0.1:%u", port);
  name = g_strdup_printf ("socks5 proxy 127.0.0.1:%u", port);
  o.proxy = proxy;
  err = connect_expect_error ("127.0.0.1", 554, &o, CONNECT_TIMEOUT_MS,
      "cannot reach the proxy");
  fail_unless_equals_int (err->code, GST_RESILIENT_ERROR_REFUSED);
  fail_unless (strstr (err->message, name) != NULL, "%s", err->message);
  g_error_free (err);
  g_free (name);
  g_free (proxy);

  /* a proxy setting that is not one */
  o.proxy = (gchar *) "gopher://u:pw@127.0.0.1:70";
  err = connect_expect_error ("127.0.0.1", 554, &o, CONNECT_TIMEOUT_MS,
      "unsupported proxy scheme");
  fail_unless_equals_int (err->code, GST_RESILIENT_ERROR_BAD_URL);
  g_error_free (err);
}

GST_END_TEST;

/* No proxy set: GIO's default resolver decides (here libproxy, from the
 * http_proxy variable); "direct://" overrides it. */
GST_START_TEST (test_default_resolver)
{
  EchoServer *es = echo_server_new (NULL);
  FakeServer *fs = fake_server_new (FAKE_HTTP_OK_ECHO);
  GstResilientConnectOptions o;
  GIOStream *stream;
  GError *err = NULL;
  gchar *env, *request, *expected;
  gchar **proxies;

  env = g_strdup_printf ("http://127.0.0.1:%u", fs->port);
  g_setenv ("http_proxy", env, TRUE);
  g_unsetenv ("no_proxy");
  g_unsetenv ("NO_PROXY");
  proxies = g_proxy_resolver_lookup (g_proxy_resolver_get_default (),
      "rtsp://127.0.0.1:554", NULL, NULL);
  if (proxies == NULL || g_strcmp0 (proxies[0], env) != 0) {
    g_printerr ("SKIP: GIO's default proxy resolver (%s) ignores http_proxy\n",
        G_OBJECT_TYPE_NAME (g_proxy_resolver_get_default ()));
    g_strfreev (proxies);
    goto done;
  }
  g_strfreev (proxies);

  stream = connect_sync ("127.0.0.1", es->port, NULL, CONNECT_TIMEOUT_MS, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  assert_echo (stream);
  g_object_unref (stream);
  request = fake_server_get_request (fs);
  expected = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n", es->port);
  fail_unless (g_str_has_prefix (request, expected), "%s", request);
  g_free (expected);
  g_free (request);
  fail_unless_equals_int (g_atomic_int_get (&fs->connections), 1);
  /* the fake proxy echoes by itself: the server saw nothing */
  fail_unless_equals_int (g_atomic_int_get (&es->connections), 0);

  gst_resilient_connect_options_init (&o);
  o.proxy = (gchar *) "direct://";
  stream = connect_sync ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  assert_echo (stream);
  g_object_unref (stream);
  fail_unless_equals_int (g_atomic_int_get (&fs->connections), 1);
  fail_unless_equals_int (g_atomic_int_get (&es->connections), 1);

done:
  g_unsetenv ("http_proxy");
  g_free (env);
  fake_server_free (fs);
  echo_server_free (es);
}

GST_END_TEST;

/* ---- SOCKS ---- */

GST_START_TEST (test_socks5_microsocks)
{
  EchoServer *es;
  RrProxyProcess *ms;
  GstResilientConnectOptions o;
  GIOStream *stream;
  GError *err = NULL;
  gchar *proxy;

  if (!rr_net_have_program ("microsocks"))
    return;
  es = echo_server_new (NULL);
  ms = rr_net_microsocks_start (NULL, NULL);

  gst_resilient_connect_options_init (&o);
  proxy = g_strdup_printf ("socks5://127.0.0.1:%u", rr_net_proxy_get_port (ms));
  o.proxy = proxy;
  stream = connect_sync ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  assert_echo (stream);
  g_object_unref (stream);
  /* a name, resolved by the proxy */
  stream = connect_sync ("localhost", es->port, &o, CONNECT_TIMEOUT_MS, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  assert_echo (stream);
  g_object_unref (stream);
  fail_unless_equals_int (g_atomic_int_get (&es->connections), 2);
  g_free (proxy);

  rr_net_proxy_stop (ms);
  echo_server_free (es);
}

GST_END_TEST;

GST_START_TEST (test_socks5_microsocks_auth)
{
  GTlsCertificate *cert;
  GTlsDatabase *db;
  EchoServer *es, *tls_es;
  RrProxyProcess *ms;
  GstResilientConnectOptions o;
  GIOStream *stream;
  GError *err = NULL;
  gchar *proxy;

  if (!rr_net_have_program ("microsocks"))
    return;
  es = echo_server_new (NULL);
  ms = rr_net_microsocks_start ("bob", "s0cks:pw");

  /* credentials in the URL (%-escaped ':') */
  gst_resilient_connect_options_init (&o);
  proxy =
      g_strdup_printf ("socks5://bob:s0cks%%3Apw@127.0.0.1:%u",
      rr_net_proxy_get_port (ms));
  o.proxy = proxy;
  stream = connect_sync ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  assert_echo (stream);
  g_object_unref (stream);
  g_free (proxy);

  /* proxy-id / proxy-pw; wrong password: auth */
  proxy = g_strdup_printf ("socks5://127.0.0.1:%u", rr_net_proxy_get_port (ms));
  o.proxy = proxy;
  o.proxy_id = (gchar *) "bob";
  o.proxy_pw = (gchar *) "not-it";
  err = connect_expect_error ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS,
      "proxy");
  fail_unless_equals_int (err->code, GST_RESILIENT_ERROR_AUTH);
  fail_unless (strstr (err->message, "not-it") == NULL);
  g_error_free (err);

  /* none: auth */
  o.proxy_id = o.proxy_pw = NULL;
  err = connect_expect_error ("127.0.0.1", es->port, &o, CONNECT_TIMEOUT_MS,
      "proxy");
  fail_unless_equals_int (err->code, GST_RESILIENT_ERROR_AUTH);
  g_error_free (err);
  fail_unless_equals_int (g_atomic_int_get (&es->connections), 1);

  /* rtsps through it */
  cert = rr_net_load_certificate ("server.pem", "server.key");
  db = rr_net_load_ca_database ();
  tls_es = echo_server_new (cert);
  options_init_tls (&o, db);
  o.proxy = proxy;
  o.proxy_id = (gchar *) "bob";
  o.proxy_pw = (gchar *) "s0cks:pw";
  stream = connect_sync ("localhost", tls_es->port, &o, CONNECT_TIMEOUT_MS,
      &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  fail_unless (G_IS_TLS_CLIENT_CONNECTION (stream));
  assert_echo (stream);
  g_object_unref (stream);
  echo_server_free (tls_es);
  g_object_unref (db);
  g_object_unref (cert);
  g_free (proxy);

  rr_net_proxy_stop (ms);
  echo_server_free (es);
}

GST_END_TEST;

GST_START_TEST (test_socks5_garbage)
{
  FakeServer *fs = fake_server_new (FAKE_SOCKS5_GARBAGE);
  GstResilientConnectOptions o;
  GError *err;
  gchar *proxy, *name;

  gst_resilient_connect_options_init (&o);
  proxy = g_strdup_printf ("socks5://127.0.0.1:%u", fs->port);
  name = g_strdup_printf ("socks5 proxy 127.0.0.1:%u", fs->port);
  o.proxy = proxy;
  err = connect_expect_error ("127.0.0.1", 554, &o, CONNECT_TIMEOUT_MS, name);
  fail_unless (err->code != GST_RESILIENT_ERROR_TIMEOUT, "%s", err->message);
  g_error_free (err);
  g_free (name);
  g_free (proxy);
  fake_server_free (fs);
}

GST_END_TEST;

/* No Debian proxy in our list speaks SOCKS4a: a fake one checks the
 * request (user id, the name for the proxy to resolve) and echoes. */
GST_START_TEST (test_socks4a)
{
  FakeServer *fs = fake_server_new (FAKE_SOCKS4A_ECHO);
  GstResilientConnectOptions o;
  GIOStream *stream;
  GError *err = NULL;
  gchar *proxy;
  GBytes *req;
  const guint8 *r;
  gsize len;

  gst_resilient_connect_options_init (&o);
  proxy = g_strdup_printf ("socks4a://camuser@127.0.0.1:%u", fs->port);
  o.proxy = proxy;
  stream = connect_sync ("cam.example", 8554, &o, CONNECT_TIMEOUT_MS, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  assert_echo (stream);
  g_object_unref (stream);

  /* VN=4 CD=1 port 8554, DSTIP 0.0.0.1, "camuser\0" "cam.example\0" */
  req = fake_server_take_request (fs);
  r = g_bytes_get_data (req, &len);
  fail_unless_equals_int (len, 8 + 8 + 12);
  fail_unless (memcmp (r, "\x04\x01\x21\x6a\0\0\0\x01", 8) == 0);
  fail_unless (memcmp (r + 8, "camuser\0cam.example\0", 20) == 0);
  g_bytes_unref (req);

  /* an IPv4 address goes in DSTIP */
  stream = connect_sync ("10.1.2.3", 554, &o, CONNECT_TIMEOUT_MS, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  g_object_unref (stream);
  req = fake_server_take_request (fs);
  r = g_bytes_get_data (req, &len);
  fail_unless_equals_int (len, 8 + 8);
  fail_unless (memcmp (r, "\x04\x01\x02\x2a\x0a\x01\x02\x03" "camuser\0", 16)
      == 0);
  g_bytes_unref (req);

  /* an IPv6 address cannot go at all */
  err = connect_expect_error ("::1", 554, &o, CONNECT_TIMEOUT_MS, "IPv6");
  fail_unless_equals_int (err->code, GST_RESILIENT_ERROR_BAD_URL);
  g_error_free (err);

  g_free (proxy);
  fake_server_free (fs);

  /* status 91: rejected or failed */
  fs = fake_server_new (FAKE_SOCKS4A_REJECT);
  proxy = g_strdup_printf ("socks4a://127.0.0.1:%u", fs->port);
  o.proxy = proxy;
  err = connect_expect_error ("cam.example", 554, &o, CONNECT_TIMEOUT_MS,
      "status 91");
  fail_unless_equals_int (err->code, GST_RESILIENT_ERROR_UNREACHABLE);
  g_error_free (err);
  g_free (proxy);
  fake_server_free (fs);
}

GST_END_TEST;

static Suite *
connector_suite (void)
{
  Suite *s = suite_create ("connector");
  TCase *tc_parse = tcase_create ("parse");
  TCase *tc_tls = tcase_create ("tls");
  TCase *tc_proxy = tcase_create ("proxy");

  suite_add_tcase (s, tc_parse);
  tcase_add_test (tc_parse, test_proxy_parse);

  suite_add_tcase (s, tc_tls);
  tcase_add_unchecked_fixture (tc_tls, rr_net_setup, rr_net_teardown);
  tcase_add_test (tc_tls, test_tls_ca_database);
  tcase_add_test (tc_tls, test_tls_self_signed_rejected);
  tcase_add_test (tc_tls, test_tls_bad_identity);
  tcase_add_test (tc_tls, test_tls_expired);
  tcase_add_test (tc_tls, test_tls_flags_zero);
  tcase_add_test (tc_tls, test_tls_accept_certificate);
  tcase_add_test (tc_tls, test_tls_not_tls);
  tcase_add_test (tc_tls, test_tls_connection_framing);
  tcase_add_test (tc_tls, test_tls_client_certificate);
  tcase_add_test (tc_tls, test_tls_client_certificate_concurrent);

  suite_add_tcase (s, tc_proxy);
  tcase_add_unchecked_fixture (tc_proxy, rr_net_setup, rr_net_teardown);
  /* every test starts knowing no proxy (CK_FORK=no runs share a process) */
  tcase_add_checked_fixture (tc_proxy, gst_resilient_connect_forget_proxies,
      NULL);
  tcase_add_test (tc_proxy, test_http_proxy_tinyproxy);
  tcase_add_test (tc_proxy, test_http_proxy_tinyproxy_auth);
  tcase_add_test (tc_proxy, test_http_proxy_forbidden_port);
  tcase_add_test (tc_proxy, test_http_proxy_tls);
  tcase_add_test (tc_proxy, test_http_proxy_garbage);
  tcase_add_test (tc_proxy, test_http_proxy_silent);
  tcase_add_test (tc_proxy, test_http_proxy_unsupported_scheme);
  tcase_add_test (tc_proxy, test_http_proxy_digest_md5_same_connection);
  tcase_add_test (tc_proxy, test_http_proxy_digest_sha256_new_connection);
  tcase_add_test (tc_proxy, test_http_proxy_digest_closed_silently);
  tcase_add_test (tc_proxy, test_http_proxy_digest_stale);
  tcase_add_test (tc_proxy, test_http_proxy_digest_stale_forever);
  tcase_add_test (tc_proxy, test_http_proxy_digest_wrong_password);
  tcase_add_test (tc_proxy, test_http_proxy_digest_preferred);
  tcase_add_test (tc_proxy, test_http_proxy_digest_no_credentials);
  tcase_add_test (tc_proxy, test_http_proxy_basic_remembered);
  tcase_add_test (tc_proxy, test_http_proxy_digest_tls);
  tcase_add_test (tc_proxy, test_http_proxy_early_data);
  tcase_add_test (tc_proxy, test_proxy_unreachable);
  tcase_add_test (tc_proxy, test_default_resolver);
  tcase_add_test (tc_proxy, test_socks5_microsocks);
  tcase_add_test (tc_proxy, test_socks5_microsocks_auth);
  tcase_add_test (tc_proxy, test_socks5_garbage);
  tcase_add_test (tc_proxy, test_socks4a);

  return s;
}

GST_CHECK_MAIN (connector);
