/* resilientrtsp tests
 * connpool.c: the connection pool (gst/resilientrtsp/connpool.h) on real
 * loopback connections: a raw TCP server the test drives by hand (to send
 * what a server sends while a connection idles, to close it, to play an
 * HTTP proxy that answers CONNECT when told), and the MOCK quirk server.
 * Every pool call runs on an I/O thread, as in the element.
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "connpool.h"
#include "iocontext.h"
#include "quirkserver.h"

#define WAIT_US (30 * G_USEC_PER_SEC)

/* ---- a raw TCP server, driven by the test thread ---- */

typedef struct
{
  GSocketListener *listener;
  guint16 port;
  GPtrArray *conns;             /* GSocketConnection* accepted */
} RawServer;

static RawServer *
raw_server_new (void)
{
  RawServer *rs = g_new0 (RawServer, 1);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0);
  GSocketAddress *bound = NULL;

  rs->listener = g_socket_listener_new ();
  rs->conns = g_ptr_array_new_with_free_func (g_object_unref);
  fail_unless (g_socket_listener_add_address (rs->listener, addr,
          G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &bound, NULL));
  rs->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_object_unref (bound);
  g_object_unref (addr);
  g_object_unref (lo);
  return rs;
}

static void
raw_server_free (RawServer * rs)
{
  g_socket_listener_close (rs->listener);
  g_object_unref (rs->listener);
  g_ptr_array_unref (rs->conns);
  g_free (rs);
}

/* The next connection (blocks; a client that never comes hangs the test
 * until check's timeout). */
static GSocket *
raw_accept (RawServer * rs)
{
  GSocketConnection *conn = g_socket_listener_accept (rs->listener, NULL,
      NULL, NULL);
  GSocket *sock;

  fail_unless (conn != NULL);
  sock = g_object_ref (g_socket_connection_get_socket (conn));
  /* open until the server is freed (or shut down by the test) */
  g_ptr_array_add (rs->conns, conn);
  g_socket_set_timeout (sock, 30);
  return sock;
}

static void
raw_send_len (GSocket * sock, const gchar * bytes, gsize len)
{
  fail_unless_equals_int (g_socket_send (sock, bytes, len, NULL, NULL),
      (gssize) len);
}

static void
raw_send (GSocket * sock, const gchar * text)
{
  raw_send_len (sock, text, strlen (text));
}

/* Reads until @text came or the peer closed; TRUE when it came. */
static gboolean
raw_read_until (GSocket * sock, const gchar * text)
{
  GString *got = g_string_new (NULL);
  gboolean found = FALSE;

  while (!found) {
    gchar buf[512];
    gssize n = g_socket_receive (sock, buf, sizeof (buf), NULL, NULL);

    if (n <= 0)
      break;
    g_string_append_len (got, buf, n);
    found = strstr (got->str, text) != NULL;
  }
  g_string_free (got, TRUE);
  return found;
}

/* TRUE when the peer closed (end of stream), reading what comes first. */
static gboolean
raw_wait_closed (GSocket * sock)
{
  for (;;) {
    gchar buf[512];
    gssize n = g_socket_receive (sock, buf, sizeof (buf), NULL, NULL);

    if (n == 0)
      return TRUE;
    if (n < 0)
      return FALSE;
  }
}

/* ---- running things on an I/O thread, results back to the test ---- */

typedef struct
{
  GMutex lock;
  GCond cond;
  GIOStream *stream;            /* a connect's result */
  gboolean connected;
  GstResilientConnection *taken;
  GstResilientConnPoolTaken info;
  gboolean take_done;
  GError *take_error;
  guint messages;               /* messages to this owner */
  guint closed;                 /* closed callbacks to this owner */
} Owner;

static Owner *
owner_new (void)
{
  Owner *o = g_new0 (Owner, 1);

  g_mutex_init (&o->lock);
  g_cond_init (&o->cond);
  return o;
}

static void
owner_free (Owner * o)
{
  g_clear_object (&o->stream);
  g_clear_error (&o->take_error);
  g_mutex_clear (&o->lock);
  g_cond_clear (&o->cond);
  g_free (o);
}

typedef gboolean (*OwnerCondition) (Owner * o);

static gboolean
owner_wait (Owner * o, OwnerCondition cond)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_US;
  gboolean ok;

  g_mutex_lock (&o->lock);
  while (!(ok = cond (o)))
    if (!g_cond_wait_until (&o->cond, &o->lock, deadline))
      break;
  ok = cond (o);
  g_mutex_unlock (&o->lock);
  return ok;
}

static void
on_message (GstResilientConnection * conn, GstRTSPMessage * msg,
    gpointer user_data)
{
  Owner *o = user_data;

  gst_rtsp_message_free (msg);
  g_mutex_lock (&o->lock);
  o->messages++;
  g_cond_broadcast (&o->cond);
  g_mutex_unlock (&o->lock);
}

static void
on_data (GstResilientConnection * conn, guint8 channel, GstBuffer * buf,
    gpointer user_data)
{
  gst_buffer_unref (buf);
}

static void
on_closed (GstResilientConnection * conn, const GError * error,
    gpointer user_data)
{
  Owner *o = user_data;

  g_mutex_lock (&o->lock);
  o->closed++;
  g_cond_broadcast (&o->cond);
  g_mutex_unlock (&o->lock);
}

static const GstResilientConnectionCallbacks owner_callbacks = {
  on_message, on_data, on_closed
};

static void
on_connected (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Owner *o = user_data;
  GIOStream *stream = gst_resilient_connect_finish (result, NULL);

  g_mutex_lock (&o->lock);
  o->stream = stream;
  o->connected = TRUE;
  g_cond_broadcast (&o->cond);
  g_mutex_unlock (&o->lock);
}

static gboolean
is_connected (Owner * o)
{
  return o->connected;
}

/* A connected stream to 127.0.0.1:@port, made on @io. */
static GIOStream *
connect_stream (GstResilientIoContext * io, guint16 port)
{
  Owner *o = owner_new ();
  GIOStream *stream;

  gst_resilient_connect_tcp_async (io, "127.0.0.1", port, 10000, NULL,
      on_connected, o);
  fail_unless (owner_wait (o, is_connected));
  stream = g_steal_pointer (&o->stream);
  fail_unless (stream != NULL);
  owner_free (o);
  return stream;
}

typedef struct
{
  GstResilientIoContext *io;
  GIOStream *stream;
  Owner *owner;
  GstResilientConnection *conn;
  GstResilientConnPoolTarget target;
  gboolean keep;
  gboolean result;
  GCancellable *cancellable;
} Call;

static gboolean
wrap_on_io (gpointer data)
{
  Call *c = data;

  c->conn = gst_resilient_conn_pool_wrap (c->io, c->stream, &owner_callbacks,
      c->owner);
  gst_resilient_connection_start (c->conn);
  return G_SOURCE_REMOVE;
}

/* A started poolable connection on @io whose callbacks go to @owner. */
static GstResilientConnection *
wrap (GstResilientIoContext * io, GIOStream * stream, Owner * owner)
{
  Call c = { io, stream, owner };

  gst_resilient_io_context_invoke_sync (io, wrap_on_io, &c);
  return c.conn;
}

static gboolean
give_back_on_io (gpointer data)
{
  Call *c = data;

  c->result = gst_resilient_conn_pool_give_back (c->conn, &c->target, c->keep);
  return G_SOURCE_REMOVE;
}

static gboolean
give_back (GstResilientIoContext * io, GstResilientConnection * conn,
    const GstResilientConnPoolTarget * target, gboolean keep)
{
  Call c = { io };

  c.conn = conn;
  c.target = *target;
  c.keep = keep;
  gst_resilient_io_context_invoke_sync (io, give_back_on_io, &c);
  return c.result;
}

static void
on_taken (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Owner *o = user_data;
  GError *error = NULL;
  GstResilientConnection *conn;
  GstResilientConnPoolTaken info;

  conn = gst_resilient_conn_pool_take_finish (result, &owner_callbacks, o,
      &info, &error);
  g_mutex_lock (&o->lock);
  o->taken = conn;
  o->info = info;
  o->take_error = error;
  o->take_done = TRUE;
  g_cond_broadcast (&o->cond);
  g_mutex_unlock (&o->lock);
}

static gboolean
take_on_io (gpointer data)
{
  Call *c = data;

  gst_resilient_conn_pool_take_async (c->io, c->target.key, c->cancellable,
      on_taken, c->owner);
  return G_SOURCE_REMOVE;
}

/* Starts a take for @owner on @io; its result comes to @owner. */
static void
take_start (GstResilientIoContext * io, const gchar * key, Owner * owner,
    GCancellable * cancellable)
{
  Call c = { io };

  c.owner = owner;
  c.target.key = key;
  c.cancellable = cancellable;
  gst_resilient_io_context_invoke_sync (io, take_on_io, &c);
}

static gboolean
is_take_done (Owner * o)
{
  return o->take_done;
}

/* Takes for @owner on @io and waits for the answer. */
static GstResilientConnection *
take (GstResilientIoContext * io, const gchar * key, Owner * owner)
{
  take_start (io, key, owner, NULL);
  fail_unless (owner_wait (owner, is_take_done));
  fail_unless (owner->take_error == NULL);
  return owner->taken;
}

static gboolean
close_on_io (gpointer data)
{
  GstResilientConnection *conn = data;

  gst_resilient_connection_close (conn);
  g_object_unref (conn);
  return G_SOURCE_REMOVE;
}

static void
close_conn (GstResilientIoContext * io, GstResilientConnection * conn)
{
  gst_resilient_io_context_invoke_sync (io, close_on_io, conn);
}

static void
send_options (GstResilientConnection * conn)
{
  GstRTSPMessage *msg = NULL;

  gst_rtsp_message_new_request (&msg, GST_RTSP_OPTIONS, "rtsp://x/");
  gst_rtsp_message_add_header (msg, GST_RTSP_HDR_CSEQ, "1");
  fail_unless (gst_resilient_connection_send_message (conn, msg));
  gst_rtsp_message_free (msg);
}

static GstResilientConnPoolStats
pool_stats (void)
{
  GstResilientConnPoolStats stats;

  gst_resilient_conn_pool_get_stats (&stats);
  return stats;
}

/* Polls until the pool holds @idle idle and @connecting connecting ones. */
static gboolean
wait_pool (guint idle, guint connecting)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_US;

  while (g_get_monotonic_time () < deadline) {
    GstResilientConnPoolStats s = pool_stats ();

    if (s.idle == idle && s.connecting == connecting)
      return TRUE;
    g_usleep (5 * 1000);
  }
  return FALSE;
}

static gboolean
has_one_message (Owner * o)
{
  return o->messages >= 1;
}

/* A target for 127.0.0.1:@port, plain, no proxy (@options initialised
 * by the caller); @key is made here (g_free). */
static GstResilientConnPoolTarget
make_target (guint16 port, GstResilientConnectOptions * options, guint idle_ms)
{
  GstResilientConnPoolTarget t = { 0, };

  t.key = gst_resilient_conn_pool_key ("127.0.0.1", port, options, NULL, NULL);
  t.host = "127.0.0.1";
  t.port = port;
  t.options = options;
  t.connect_timeout_ms = 10000;
  t.idle_timeout_ms = idle_ms;
  return t;
}

/* the counters at the start of the test (they add up over the tests of a
 * process when check does not fork) */
static GstResilientConnPoolStats baseline;

static void
setup (void)
{
  gst_resilient_conn_pool_add_user ();
  baseline = pool_stats ();
}

static guint64
prewarms_since_setup (void)
{
  return pool_stats ().prewarms - baseline.prewarms;
}

static guint64
taken_since_setup (void)
{
  return pool_stats ().taken - baseline.taken;
}

static void
teardown (void)
{
  gst_resilient_conn_pool_remove_user ();
  fail_unless (wait_pool (0, 0));
}

/* ---- tests ---- */

GST_START_TEST (test_key)
{
  GstResilientConnectOptions a, b;
  GTlsDatabase *db =
      g_tls_backend_get_default_database (g_tls_backend_get_default ());
  gchar *base, *k;

  gst_resilient_connect_options_init (&a);
  base = gst_resilient_conn_pool_key ("Cam.Example", 554, &a, "user",
      "secret-pw");
  fail_unless (g_str_has_prefix (base, "rtsp://cam.example:554#"), "%s", base);
  fail_unless (strstr (base, "secret") == NULL && strstr (base, "user") ==
      NULL);

#define SAME(expr) G_STMT_START { k = (expr); \
    fail_unless_equals_string (k, base); g_free (k); } G_STMT_END
#define DIFFERENT(expr) G_STMT_START { k = (expr); \
    fail_if (g_strcmp0 (k, base) == 0, "%s", #expr); g_free (k); } G_STMT_END

  SAME (gst_resilient_conn_pool_key ("cam.example", 554, &a, "user",
          "secret-pw"));
  DIFFERENT (gst_resilient_conn_pool_key ("cam.example", 555, &a, "user",
          "secret-pw"));
  DIFFERENT (gst_resilient_conn_pool_key ("cam2.example", 554, &a, "user",
          "secret-pw"));
  DIFFERENT (gst_resilient_conn_pool_key ("cam.example", 554, &a, "user",
          "other-pw"));
  DIFFERENT (gst_resilient_conn_pool_key ("cam.example", 554, &a, "other",
          "secret-pw"));
  DIFFERENT (gst_resilient_conn_pool_key ("cam.example", 554, &a, NULL, NULL));
  /* fields cannot run into each other */
  DIFFERENT (gst_resilient_conn_pool_key ("cam.example", 554, &a, "users",
          "ecret-pw"));

  b = a;
  b.tls = TRUE;
  k = gst_resilient_conn_pool_key ("cam.example", 554, &b, "user", "secret-pw");
  fail_unless (g_str_has_prefix (k, "rtsps://"), "%s", k);
  g_free (k);
  b = a;
  b.tls_validation_flags = 0;
  DIFFERENT (gst_resilient_conn_pool_key ("cam.example", 554, &b, "user",
          "secret-pw"));
  b = a;
  b.tls_database = db;
  DIFFERENT (gst_resilient_conn_pool_key ("cam.example", 554, &b, "user",
          "secret-pw"));
  b = a;
  b.proxy = (gchar *) "http://proxy:8080";
  DIFFERENT (gst_resilient_conn_pool_key ("cam.example", 554, &b, "user",
          "secret-pw"));
  b.proxy_id = (gchar *) "pu";
  b.proxy_pw = (gchar *) "pp";
  k = gst_resilient_conn_pool_key ("cam.example", 554, &b, "user", "secret-pw");
  fail_unless (strstr (k, "pp") == NULL && strstr (k, "proxy") == NULL);
  g_free (k);
  /* the callbacks are no part of it */
  b = a;
  b.event_data = &b;
  SAME (gst_resilient_conn_pool_key ("cam.example", 554, &b, "user",
          "secret-pw"));

  k = gst_resilient_conn_pool_key ("[::1]", 554, &a, NULL, NULL);
  fail_unless (g_str_has_prefix (k, "rtsp://[::1]:554#"), "%s", k);
  g_free (k);
  SAME (gst_resilient_conn_pool_key ("CAM.example", 554, &a, "user",
          "secret-pw"));
#undef SAME
#undef DIFFERENT

  g_free (base);
  g_clear_object (&db);
}

GST_END_TEST;

/* A connection given back is the very one the next taker gets; its
 * callbacks go to the new owner from then on. */
GST_START_TEST (test_give_back_and_take)
{
  RrQuirkServer *server = rr_quirk_server_new ();
  guint16 port = rr_quirk_server_get_port (server);
  GstResilientIoContext *io = gst_resilient_io_context_get ();
  GstResilientConnectOptions options;
  GstResilientConnPoolTarget target;
  Owner *owner1 = owner_new (), *owner2 = owner_new ();
  GstResilientConnection *conn, *again;
  GIOStream *stream;

  gst_resilient_connect_options_init (&options);
  target = make_target (port, &options, 30000);
  stream = connect_stream (io, port);
  conn = wrap (io, stream, owner1);
  g_object_unref (stream);
  send_options (conn);
  fail_unless (owner_wait (owner1, has_one_message));

  fail_unless (give_back (io, conn, &target, TRUE));
  fail_unless (wait_pool (1, 0));

  again = take (io, target.key, owner2);
  fail_unless (again == conn);
  fail_if (owner2->info.prewarmed);
  fail_unless (wait_pool (0, 0));
  fail_unless_equals_int (taken_since_setup (), 1);

  send_options (again);
  fail_unless (owner_wait (owner2, has_one_message));
  fail_unless_equals_int (owner1->messages, 1);
  fail_unless_equals_int (rr_quirk_server_count (server, "OPTIONS"), 2);

  /* nothing left for another one */
  {
    Owner *third = owner_new ();

    fail_unless (take (io, target.key, third) == NULL);
    owner_free (third);
  }

  close_conn (io, again);
  gst_resilient_io_context_unref (io);
  g_free ((gchar *) target.key);
  owner_free (owner1);
  owner_free (owner2);
  rr_quirk_server_free (server);
}

GST_END_TEST;

/* Whatever comes on an idle connection discards it: a message,
 * interleaved data, the end of stream. */
static void
idle_event_discards (const gchar * what, gsize len)
{
  RawServer *rs = raw_server_new ();
  GstResilientIoContext *io = gst_resilient_io_context_get ();
  GstResilientConnectOptions options;
  GstResilientConnPoolTarget target;
  Owner *owner = owner_new ();
  GstResilientConnection *conn;
  GIOStream *stream;
  GSocket *peer;

  gst_resilient_connect_options_init (&options);
  target = make_target (rs->port, &options, 30000);
  stream = connect_stream (io, rs->port);
  peer = raw_accept (rs);
  conn = wrap (io, stream, owner);
  g_object_unref (stream);
  fail_unless (give_back (io, conn, &target, TRUE));
  fail_unless (wait_pool (1, 0));

  if (what)
    raw_send_len (peer, what, len);
  else
    g_socket_shutdown (peer, FALSE, TRUE, NULL);
  fail_unless (wait_pool (0, 0));
  /* closed on our side, and the owner of old heard nothing */
  fail_unless (raw_wait_closed (peer));
  fail_unless_equals_int (owner->messages, 0);
  fail_unless_equals_int (owner->closed, 0);
  /* and no connection is made ahead for it */
  fail_unless_equals_int (prewarms_since_setup (), 0);

  g_object_unref (peer);
  gst_resilient_io_context_unref (io);
  g_free ((gchar *) target.key);
  owner_free (owner);
  raw_server_free (rs);
}

GST_START_TEST (test_idle_message_discards)
{
  static const gchar answer[] = "RTSP/1.0 200 OK\r\nCSeq: 7\r\n\r\n";

  idle_event_discards (answer, sizeof (answer) - 1);
}

GST_END_TEST;

GST_START_TEST (test_idle_data_discards)
{
  static const gchar frame[] = "$\x01\x00\x04" "abcd";

  idle_event_discards (frame, sizeof (frame) - 1);
}

GST_END_TEST;

GST_START_TEST (test_idle_end_of_stream_discards)
{
  idle_event_discards (NULL, 0);
}

GST_END_TEST;

/* After its idle timeout a connection is closed. */
GST_START_TEST (test_idle_timeout)
{
  RawServer *rs = raw_server_new ();
  GstResilientIoContext *io = gst_resilient_io_context_get ();
  GstResilientConnectOptions options;
  GstResilientConnPoolTarget target;
  Owner *owner = owner_new ();
  GIOStream *stream;
  GSocket *peer;

  gst_resilient_connect_options_init (&options);
  target = make_target (rs->port, &options, 50);
  stream = connect_stream (io, rs->port);
  peer = raw_accept (rs);
  fail_unless (give_back (io, wrap (io, stream, owner), &target, TRUE));
  g_object_unref (stream);
  fail_unless (raw_wait_closed (peer));
  fail_unless (wait_pool (0, 0));

  g_object_unref (peer);
  gst_resilient_io_context_unref (io);
  g_free ((gchar *) target.key);
  owner_free (owner);
  raw_server_free (rs);
}

GST_END_TEST;

/* Given back without keep (the server said "Connection: close"): closed,
 * and a fresh connection made ahead, which the next taker gets (on
 * another I/O context too: it was never read). */
GST_START_TEST (test_prewarm)
{
  RawServer *rs = raw_server_new ();
  GstResilientIoContext *io = gst_resilient_io_context_get ();
  GstResilientIoContext *other = gst_resilient_io_context_get_for_stream ();
  GstResilientConnectOptions options;
  GstResilientConnPoolTarget target;
  Owner *owner = owner_new (), *taker = owner_new ();
  GstResilientConnection *conn;
  GIOStream *stream;
  GSocket *peer, *warm;

  fail_unless (io != other);
  gst_resilient_connect_options_init (&options);
  target = make_target (rs->port, &options, 30000);
  stream = connect_stream (io, rs->port);
  peer = raw_accept (rs);
  conn = wrap (io, stream, owner);
  g_object_unref (stream);

  fail_if (give_back (io, conn, &target, FALSE));
  fail_unless (raw_wait_closed (peer));
  warm = raw_accept (rs);
  fail_unless (wait_pool (1, 0));
  fail_unless_equals_int (prewarms_since_setup (), 1);

  conn = take (other, target.key, taker);
  fail_unless (conn != NULL);
  fail_unless (taker->info.prewarmed);
  fail_if (taker->info.via_proxy);
  /* it is the taker's, on its context */
  raw_send (warm, "RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n");
  fail_unless (owner_wait (taker, has_one_message));
  send_options (conn);
  fail_unless (raw_read_until (warm, "OPTIONS rtsp://x/ RTSP/1.0"));
  fail_unless_equals_int (owner->messages, 0);

  close_conn (other, conn);
  fail_unless (raw_wait_closed (warm));
  g_object_unref (peer);
  g_object_unref (warm);
  gst_resilient_io_context_unref (io);
  gst_resilient_io_context_unref_for_stream (other);
  g_free ((gchar *) target.key);
  owner_free (owner);
  owner_free (taker);
  raw_server_free (rs);
}

GST_END_TEST;

/* A connection that served a session stays with its I/O context. */
GST_START_TEST (test_used_connection_stays_on_its_context)
{
  RrQuirkServer *server = rr_quirk_server_new ();
  guint16 port = rr_quirk_server_get_port (server);
  GstResilientIoContext *io = gst_resilient_io_context_get ();
  GstResilientIoContext *other = gst_resilient_io_context_get_for_stream ();
  GstResilientConnectOptions options;
  GstResilientConnPoolTarget target;
  Owner *owner = owner_new (), *elsewhere = owner_new (), *here = owner_new ();
  GstResilientConnection *conn;
  GIOStream *stream;

  gst_resilient_connect_options_init (&options);
  target = make_target (port, &options, 30000);
  stream = connect_stream (io, port);
  conn = wrap (io, stream, owner);
  g_object_unref (stream);
  fail_unless (give_back (io, conn, &target, TRUE));

  fail_unless (take (other, target.key, elsewhere) == NULL);
  fail_unless (wait_pool (1, 0));
  fail_unless (take (io, target.key, here) == conn);

  close_conn (io, conn);
  gst_resilient_io_context_unref (io);
  gst_resilient_io_context_unref_for_stream (other);
  g_free ((gchar *) target.key);
  owner_free (owner);
  owner_free (elsewhere);
  owner_free (here);
  rr_quirk_server_free (server);
}

GST_END_TEST;

/* A take while the pre-warm is still connecting waits for it (here: an
 * HTTP proxy that answers CONNECT when the test says); a cancelled one
 * gives up, and the pre-warm goes to the pool. */
GST_START_TEST (test_take_waits_for_prewarm)
{
  RawServer *proxy = raw_server_new ();
  RawServer *rs = raw_server_new ();
  GstResilientIoContext *io = gst_resilient_io_context_get ();
  GstResilientConnectOptions options;
  GstResilientConnPoolTarget target;
  Owner *owner = owner_new (), *taker = owner_new (), *quitter = owner_new ();
  GCancellable *cancellable = g_cancellable_new ();
  gchar *proxy_url = g_strdup_printf ("http://127.0.0.1:%u", proxy->port);
  GstResilientConnection *conn;
  GIOStream *stream;
  GSocket *peer, *tunnel;

  /* the first connection, direct: the key is what counts */
  gst_resilient_connect_options_init (&options);
  options.proxy = proxy_url;
  target = make_target (rs->port, &options, 30000);
  stream = connect_stream (io, rs->port);
  peer = raw_accept (rs);
  conn = wrap (io, stream, owner);
  g_object_unref (stream);

  fail_if (give_back (io, conn, &target, FALSE));
  tunnel = raw_accept (proxy);
  fail_unless (raw_read_until (tunnel, "\r\n\r\n"));
  fail_unless (wait_pool (0, 1));

  take_start (io, target.key, taker, NULL);
  /* the proxy has not answered: the taker waits */
  fail_if (taker->take_done);
  raw_send (tunnel, "HTTP/1.1 200 Connection established\r\n\r\n");
  fail_unless (owner_wait (taker, is_take_done));
  fail_unless (taker->take_error == NULL);
  fail_unless (taker->taken != NULL);
  fail_unless (taker->info.prewarmed);
  fail_unless (taker->info.via_proxy);
  fail_unless (wait_pool (0, 0));
  close_conn (io, taker->taken);
  g_object_unref (tunnel);

  /* again, but the taker gives up */
  stream = connect_stream (io, rs->port);
  conn = wrap (io, stream, owner);
  g_object_unref (stream);
  fail_if (give_back (io, conn, &target, FALSE));
  tunnel = raw_accept (proxy);
  fail_unless (raw_read_until (tunnel, "\r\n\r\n"));
  take_start (io, target.key, quitter, cancellable);
  g_cancellable_cancel (cancellable);
  fail_unless (owner_wait (quitter, is_take_done));
  fail_unless (g_error_matches (quitter->take_error, G_IO_ERROR,
          G_IO_ERROR_CANCELLED));
  fail_unless (quitter->taken == NULL);
  raw_send (tunnel, "HTTP/1.1 200 Connection established\r\n\r\n");
  fail_unless (wait_pool (1, 0));

  g_object_unref (tunnel);
  g_object_unref (peer);
  g_object_unref (cancellable);
  gst_resilient_io_context_unref (io);
  g_free ((gchar *) target.key);
  g_free (proxy_url);
  owner_free (owner);
  owner_free (taker);
  owner_free (quitter);
  raw_server_free (rs);
  raw_server_free (proxy);
}

GST_END_TEST;

/* Two pre-warms of one key in flight, through an HTTP proxy that answers
 * each CONNECT when the test says: tunnels[0] is the older. */
typedef struct
{
  RawServer *proxy, *rs;
  GstResilientIoContext *io;
  GstResilientConnectOptions options;
  GstResilientConnPoolTarget target;
  gchar *proxy_url;
  Owner *owner, *taker;
  GSocket *peers[2], *tunnels[2];
} TwoPrewarms;

static TwoPrewarms *
two_prewarms_new (void)
{
  TwoPrewarms *t = g_new0 (TwoPrewarms, 1);
  guint i;

  t->proxy = raw_server_new ();
  t->rs = raw_server_new ();
  t->io = gst_resilient_io_context_get ();
  t->owner = owner_new ();
  t->taker = owner_new ();
  t->proxy_url = g_strdup_printf ("http://127.0.0.1:%u", t->proxy->port);
  gst_resilient_connect_options_init (&t->options);
  t->options.proxy = t->proxy_url;
  t->target = make_target (t->rs->port, &t->options, 30000);
  for (i = 0; i < 2; i++) {
    GIOStream *stream = connect_stream (t->io, t->rs->port);
    GstResilientConnection *conn;

    t->peers[i] = raw_accept (t->rs);
    conn = wrap (t->io, stream, t->owner);
    g_object_unref (stream);
    fail_if (give_back (t->io, conn, &t->target, FALSE));
    /* in flight before the next is listed */
    t->tunnels[i] = raw_accept (t->proxy);
    fail_unless (raw_read_until (t->tunnels[i], "\r\n\r\n"));
  }
  fail_unless (wait_pool (0, 2));
  return t;
}

/* Answers @i's CONNECT. */
static void
two_prewarms_answer (TwoPrewarms * t, guint i)
{
  raw_send (t->tunnels[i], "HTTP/1.1 200 Connection established\r\n\r\n");
}

/* The taker gets a pre-warmed connection; @other is answered then and
 * goes to the pool. */
static void
two_prewarms_finish (TwoPrewarms * t, guint other)
{
  guint i;

  fail_unless (owner_wait (t->taker, is_take_done));
  fail_unless (t->taker->take_error == NULL);
  fail_unless (t->taker->taken != NULL);
  fail_unless (t->taker->info.prewarmed);
  close_conn (t->io, t->taker->taken);
  two_prewarms_answer (t, other);
  fail_unless (wait_pool (1, 0));

  for (i = 0; i < 2; i++) {
    g_object_unref (t->tunnels[i]);
    g_object_unref (t->peers[i]);
  }
  gst_resilient_io_context_unref (t->io);
  g_free ((gchar *) t->target.key);
  g_free (t->proxy_url);
  owner_free (t->owner);
  owner_free (t->taker);
  raw_server_free (t->rs);
  raw_server_free (t->proxy);
  g_free (t);
}

/* A take waiting for a pre-warm (it joins the oldest in flight) is served
 * by whichever is done first while the other is stuck: run 0 answers the
 * older, run 1 the newer; the other goes to the pool afterwards. */
GST_START_TEST (test_take_served_by_first_prewarm_done)
{
  TwoPrewarms *t = two_prewarms_new ();
  guint first = __i__;

  take_start (t->io, t->target.key, t->taker, NULL);
  two_prewarms_answer (t, first);
  two_prewarms_finish (t, 1 - first);
}

GST_END_TEST;

/* At most GST_RESILIENT_CONN_POOL_MAX_PER_KEY per key: the oldest goes;
 * no pre-warm beyond it. */
GST_START_TEST (test_limit_per_key)
{
  RawServer *rs = raw_server_new ();
  GstResilientIoContext *io = gst_resilient_io_context_get ();
  GstResilientConnectOptions options;
  GstResilientConnPoolTarget target;
  Owner *owner = owner_new ();
  GSocket *peers[GST_RESILIENT_CONN_POOL_MAX_PER_KEY + 1];
  guint i;

  gst_resilient_connect_options_init (&options);
  target = make_target (rs->port, &options, 30000);
  for (i = 0; i < G_N_ELEMENTS (peers); i++) {
    GIOStream *stream = connect_stream (io, rs->port);

    peers[i] = raw_accept (rs);
    fail_unless (give_back (io, wrap (io, stream, owner), &target, TRUE));
    g_object_unref (stream);
  }
  fail_unless (wait_pool (GST_RESILIENT_CONN_POOL_MAX_PER_KEY, 0));
  /* the oldest was evicted */
  fail_unless (raw_wait_closed (peers[0]));

  /* full: a connection given back without keep is not replaced */
  {
    GIOStream *stream = connect_stream (io, rs->port);
    GSocket *peer = raw_accept (rs);

    fail_if (give_back (io, wrap (io, stream, owner), &target, FALSE));
    g_object_unref (stream);
    fail_unless (raw_wait_closed (peer));
    g_object_unref (peer);
  }
  fail_unless_equals_int (prewarms_since_setup (), 0);
  fail_unless (wait_pool (GST_RESILIENT_CONN_POOL_MAX_PER_KEY, 0));

  gst_resilient_conn_pool_flush ();
  fail_unless (wait_pool (0, 0));
  for (i = 1; i < G_N_ELEMENTS (peers); i++)
    fail_unless (raw_wait_closed (peers[i]));
  for (i = 0; i < G_N_ELEMENTS (peers); i++)
    g_object_unref (peers[i]);
  gst_resilient_io_context_unref (io);
  g_free ((gchar *) target.key);
  owner_free (owner);
  raw_server_free (rs);
}

GST_END_TEST;

/* Never pooled: a connection whose certificate the application accepted,
 * one with idle timeout 0, any connection while the pool has no user. */
GST_START_TEST (test_not_pooled)
{
  RawServer *rs = raw_server_new ();
  GstResilientIoContext *io = gst_resilient_io_context_get ();
  GstResilientConnectOptions options;
  GstResilientConnPoolTarget target, no_idle;
  Owner *owner = owner_new ();
  GIOStream *stream;
  GSocket *peer;

  gst_resilient_connect_options_init (&options);
  target = make_target (rs->port, &options, 30000);
  no_idle = target;
  no_idle.idle_timeout_ms = 0;

  stream = connect_stream (io, rs->port);
  peer = raw_accept (rs);
  gst_resilient_conn_pool_forbid (G_OBJECT (stream));
  fail_if (give_back (io, wrap (io, stream, owner), &target, TRUE));
  g_object_unref (stream);
  fail_unless (raw_wait_closed (peer));
  g_object_unref (peer);

  stream = connect_stream (io, rs->port);
  peer = raw_accept (rs);
  fail_if (give_back (io, wrap (io, stream, owner), &no_idle, FALSE));
  g_object_unref (stream);
  fail_unless (raw_wait_closed (peer));
  g_object_unref (peer);
  fail_unless_equals_int (prewarms_since_setup (), 0);

  /* no user: nothing kept, nothing taken */
  gst_resilient_conn_pool_remove_user ();
  stream = connect_stream (io, rs->port);
  peer = raw_accept (rs);
  fail_if (give_back (io, wrap (io, stream, owner), &target, TRUE));
  g_object_unref (stream);
  fail_unless (raw_wait_closed (peer));
  g_object_unref (peer);
  fail_unless (take (io, target.key, owner) == NULL);
  fail_unless (wait_pool (0, 0));
  gst_resilient_conn_pool_add_user ();

  gst_resilient_io_context_unref (io);
  g_free ((gchar *) target.key);
  owner_free (owner);
  raw_server_free (rs);
}

GST_END_TEST;

/* The last user gone, everything pooled is closed after a while: an idle
 * connection after the linger time, a pre-warm stalled at its proxy at its
 * connect timeout. */
GST_START_TEST (test_last_user_closes_all)
{
  RawServer *rs = raw_server_new ();
  RawServer *proxy = raw_server_new ();
  GstResilientIoContext *io = gst_resilient_io_context_get ();
  GstResilientConnectOptions options, via_proxy;
  GstResilientConnPoolTarget target, slow;
  Owner *owner = owner_new ();
  gchar *proxy_url = g_strdup_printf ("http://127.0.0.1:%u", proxy->port);
  GIOStream *stream;
  GSocket *peer, *tunnel;

  gst_resilient_connect_options_init (&options);
  target = make_target (rs->port, &options, 30000);
  gst_resilient_connect_options_init (&via_proxy);
  via_proxy.proxy = proxy_url;
  slow = make_target (rs->port, &via_proxy, 30000);
  slow.connect_timeout_ms = 3000;

  stream = connect_stream (io, rs->port);
  peer = raw_accept (rs);
  fail_unless (give_back (io, wrap (io, stream, owner), &target, TRUE));
  g_object_unref (stream);
  stream = connect_stream (io, rs->port);
  fail_if (give_back (io, wrap (io, stream, owner), &slow, FALSE));
  g_object_unref (stream);
  g_object_unref (raw_accept (rs));
  tunnel = raw_accept (proxy);
  fail_unless (wait_pool (1, 1));

  gst_resilient_conn_pool_remove_user ();
  fail_unless (wait_pool (0, 0));
  fail_unless (raw_wait_closed (peer));
  fail_unless (raw_wait_closed (tunnel));
  gst_resilient_conn_pool_add_user ();

  g_object_unref (peer);
  g_object_unref (tunnel);
  gst_resilient_io_context_unref (io);
  g_free ((gchar *) target.key);
  g_free ((gchar *) slow.key);
  g_free (proxy_url);
  owner_free (owner);
  raw_server_free (rs);
  raw_server_free (proxy);
}

GST_END_TEST;

static Suite *
connpool_suite (void)
{
  Suite *s = suite_create ("connpool");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_key);
  tcase_add_test (tc, test_give_back_and_take);
  tcase_add_test (tc, test_idle_message_discards);
  tcase_add_test (tc, test_idle_data_discards);
  tcase_add_test (tc, test_idle_end_of_stream_discards);
  tcase_add_test (tc, test_idle_timeout);
  tcase_add_test (tc, test_prewarm);
  tcase_add_test (tc, test_used_connection_stays_on_its_context);
  tcase_add_test (tc, test_take_waits_for_prewarm);
  tcase_add_loop_test (tc, test_take_served_by_first_prewarm_done, 0, 2);
  tcase_add_test (tc, test_limit_per_key);
  tcase_add_test (tc, test_not_pooled);
  tcase_add_test (tc, test_last_user_closes_all);
  return s;
}

GST_CHECK_MAIN (connpool);
