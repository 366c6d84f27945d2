/* resilientrtsp test support
 * relay.c: a fault-injecting TCP relay for tests, on its own GMainContext
 * thread. See relay.h.
 *
 * Every connection is two pipes (client → target, target → client), each
 * with one buffer and one GSource at a time: it waits for its source to be
 * readable while its buffer is empty, and for its destination to be
 * writable while it holds data it could not send yet. So a slow reader
 * slows its writer down (TCP back-pressure passes through), and nothing is
 * read that could not be forwarded.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "relay.h"

#include <errno.h>
#include <gio/gio.h>
#include <gio/gnetworking.h>
#include <gst/gst.h>

GST_DEBUG_CATEGORY_STATIC (rr_relay_debug);
#define GST_CAT_DEFAULT rr_relay_debug

#define RR_RELAY_BUFSIZE (64 * 1024)

typedef struct _RrRelayConn RrRelayConn;

typedef enum
{
  WATCH_NONE,
  WATCH_READ,                   /* source: from, G_IO_IN */
  WATCH_WRITE                   /* source: to, G_IO_OUT */
} RrRelayWatch;

/* all fields: relay thread only */
typedef struct
{
  RrRelayConn *conn;
  GSocket *from;                /* not owned (the conn's sockets) */
  GSocket *to;
  gboolean to_target;
  guint8 *buf;
  gsize len;                    /* bytes in buf */
  gsize off;                    /* of those, already sent */
  gboolean eof;                 /* from said EOF */
  gboolean shut;                /* to was shut down for writing */
  RrRelayWatch watch;
  GSource *source;
} RrRelayPipe;

/* all fields: relay thread only */
struct _RrRelayConn
{
  RrRelay *relay;
  guint id;
  GSocket *client;
  GSocket *target;
  GSource *connect_source;      /* while connecting to the target */
  gboolean relaying;            /* connected; the pipes run */
  RrRelayPipe up;               /* client → target */
  RrRelayPipe down;             /* target → client */
};

/* locking order: lock is a leaf lock, never held while doing I/O. */
struct _RrRelay
{
  /* set in _new, read-only afterwards */
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  GSocket *listener;
  GSocketAddress *target_addr;
  guint port;

  /* relay thread only */
  GSource *listen_source;
  GList *conns;                 /* RrRelayConn*, open ones */
  guint next_id;
  gboolean blackhole;
  gboolean refuse;

  GMutex lock;
  GCond cond;
  /* protected by lock */
  RrRelayStats stats;
};

static void pipe_update (RrRelayPipe * pipe);

/* ---- counters ---- */

static void
count_bytes (RrRelay * relay, gboolean to_target, gboolean dropped, gsize bytes)
{
  g_mutex_lock (&relay->lock);
  if (dropped)
    relay->stats.bytes_dropped += bytes;
  else if (to_target)
    relay->stats.bytes_to_target += bytes;
  else
    relay->stats.bytes_to_client += bytes;
  g_mutex_unlock (&relay->lock);
}

static void
count_open (RrRelay * relay, gint delta)
{
  g_mutex_lock (&relay->lock);
  relay->stats.open += delta;
  g_cond_broadcast (&relay->cond);
  g_mutex_unlock (&relay->lock);
}

/* ---- sockets ---- */

static void
set_nodelay (GSocket * sock)
{
  GError *error = NULL;

  if (!g_socket_set_option (sock, IPPROTO_TCP, TCP_NODELAY, 1, &error)) {
    GST_WARNING ("TCP_NODELAY: %s", error->message);
    g_error_free (error);
  }
}

/* close() after this sends an RST instead of a FIN */
static void
set_linger_zero (GSocket * sock)
{
  struct linger linger = { 1, 0 };

  if (setsockopt (g_socket_get_fd (sock), SOL_SOCKET, SO_LINGER, &linger,
          sizeof (linger)) != 0)
    GST_WARNING ("SO_LINGER: %s", g_strerror (errno));
}

static void
close_socket (GSocket * sock, gboolean reset)
{
  if (sock == NULL)
    return;
  if (reset)
    set_linger_zero (sock);
  g_socket_close (sock, NULL);
  g_object_unref (sock);
}

static void
destroy_source (GSource ** source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_source_unref (*source);
  *source = NULL;
}

/* ---- connections ---- */

/* Ends @conn: an RST to both ends when @reset, else a plain close. */
static void
conn_close (RrRelayConn * conn, gboolean reset)
{
  RrRelay *relay = conn->relay;

  GST_DEBUG ("connection %u: %s", conn->id, reset ? "reset" : "closed");
  destroy_source (&conn->connect_source);
  destroy_source (&conn->up.source);
  destroy_source (&conn->down.source);
  close_socket (conn->client, reset);
  close_socket (conn->target, reset);
  g_free (conn->up.buf);
  g_free (conn->down.buf);
  relay->conns = g_list_remove (relay->conns, conn);
  g_free (conn);
  count_open (relay, -1);
}

static gboolean
is_would_block (GError * error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
}

/* Sends what the pipe holds; FALSE if the connection was reset. */
static gboolean
pipe_flush (RrRelayPipe * pipe)
{
  RrRelayConn *conn = pipe->conn;
  GError *error = NULL;
  gssize sent;

  while (pipe->off < pipe->len) {
    sent = g_socket_send (pipe->to, (const gchar *) pipe->buf + pipe->off,
        pipe->len - pipe->off, NULL, &error);
    if (sent < 0) {
      if (is_would_block (error)) {
        g_error_free (error);
        return TRUE;
      }
      GST_DEBUG ("connection %u: send to %s: %s", conn->id,
          pipe->to_target ? "target" : "client", error->message);
      g_error_free (error);
      conn_close (conn, TRUE);
      return FALSE;
    }
    pipe->off += sent;
    count_bytes (conn->relay, pipe->to_target, FALSE, sent);
  }
  pipe->off = pipe->len = 0;
  return TRUE;
}

static gboolean
on_pipe_ready (GSocket * sock, GIOCondition cond, gpointer data)
{
  RrRelayPipe *pipe = data;
  RrRelayConn *conn = pipe->conn;
  RrRelay *relay = conn->relay;
  GError *error = NULL;
  gssize n;

  if (pipe->watch == WATCH_WRITE) {
    if (pipe_flush (pipe))
      pipe_update (pipe);
    return G_SOURCE_CONTINUE;
  }

  n = g_socket_receive (pipe->from, (gchar *) pipe->buf, RR_RELAY_BUFSIZE,
      NULL, &error);
  if (n < 0) {
    if (is_would_block (error)) {
      g_error_free (error);
      return G_SOURCE_CONTINUE;
    }
    /* a reset (or another error) on one side resets the other */
    GST_DEBUG ("connection %u: receive from %s: %s", conn->id,
        pipe->to_target ? "client" : "target", error->message);
    g_error_free (error);
    conn_close (conn, TRUE);
    return G_SOURCE_CONTINUE;
  }

  if (n == 0) {
    GST_DEBUG ("connection %u: EOF from %s", conn->id,
        pipe->to_target ? "client" : "target");
    pipe->eof = TRUE;
  } else if (relay->blackhole) {
    count_bytes (relay, pipe->to_target, TRUE, n);
  } else {
    pipe->len = n;
    pipe->off = 0;
    if (!pipe_flush (pipe))
      return G_SOURCE_CONTINUE;
  }
  pipe_update (pipe);
  return G_SOURCE_CONTINUE;
}

/* Watches what the pipe waits for next; passes an EOF on once the data
 * before it is sent and closes the connection when both ends are done.
 * @pipe (and its connection) may be gone when it returns. */
static void
pipe_update (RrRelayPipe * pipe)
{
  RrRelayConn *conn = pipe->conn;
  RrRelayWatch want;
  GSocket *sock = NULL;
  GIOCondition cond = 0;

  if (pipe->off < pipe->len) {
    want = WATCH_WRITE;
    sock = pipe->to;
    cond = G_IO_OUT;
  } else if (!pipe->eof) {
    want = WATCH_READ;
    sock = pipe->from;
    cond = G_IO_IN;
  } else {
    want = WATCH_NONE;
  }

  if (want == pipe->watch && pipe->source != NULL)
    return;

  destroy_source (&pipe->source);
  pipe->watch = want;
  if (want != WATCH_NONE) {
    pipe->source = g_socket_create_source (sock, cond, NULL);
    g_source_set_callback (pipe->source, (GSourceFunc) on_pipe_ready, pipe,
        NULL);
    g_source_attach (pipe->source, conn->relay->context);
    return;
  }

  if (!pipe->shut) {
    GError *error = NULL;

    pipe->shut = TRUE;
    if (!g_socket_shutdown (pipe->to, FALSE, TRUE, &error)) {
      GST_DEBUG ("connection %u: shutdown: %s", conn->id, error->message);
      g_error_free (error);
    }
  }
  if (conn->up.shut && conn->down.shut)
    conn_close (conn, FALSE);
}

static void
pipe_init (RrRelayConn * conn, RrRelayPipe * pipe, GSocket * from,
    GSocket * to, gboolean to_target)
{
  pipe->conn = conn;
  pipe->from = from;
  pipe->to = to;
  pipe->to_target = to_target;
  pipe->buf = g_malloc (RR_RELAY_BUFSIZE);
}

static void
conn_start_relaying (RrRelayConn * conn)
{
  GST_DEBUG ("connection %u: relaying", conn->id);
  set_nodelay (conn->target);
  conn->relaying = TRUE;
  pipe_update (&conn->up);
  /* the client may have closed already: up may have closed the conn */
  if (g_list_find (conn->relay->conns, conn))
    pipe_update (&conn->down);
}

static gboolean
on_target_connected (GSocket * sock, GIOCondition cond, gpointer data)
{
  RrRelayConn *conn = data;
  GError *error = NULL;

  destroy_source (&conn->connect_source);
  if (!g_socket_check_connect_result (sock, &error)) {
    GST_DEBUG ("connection %u: connecting to the target: %s", conn->id,
        error->message);
    g_error_free (error);
    conn_close (conn, TRUE);
    return G_SOURCE_REMOVE;
  }
  conn_start_relaying (conn);
  return G_SOURCE_REMOVE;
}

static void
conn_new (RrRelay * relay, GSocket * client)
{
  RrRelayConn *conn = g_new0 (RrRelayConn, 1);
  GError *error = NULL;

  conn->relay = relay;
  conn->id = relay->next_id++;
  conn->client = client;
  relay->conns = g_list_prepend (relay->conns, conn);
  /* (counted open by on_accept, with accepted) */

  g_socket_set_blocking (client, FALSE);
  set_nodelay (client);
  conn->target = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, &error);
  if (conn->target == NULL)
    goto no_socket;
  g_socket_set_blocking (conn->target, FALSE);
  pipe_init (conn, &conn->up, conn->client, conn->target, TRUE);
  pipe_init (conn, &conn->down, conn->target, conn->client, FALSE);

  if (g_socket_connect (conn->target, relay->target_addr, NULL, &error)) {
    conn_start_relaying (conn);
    return;
  }
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING))
    goto connect_failed;
  g_clear_error (&error);
  conn->connect_source = g_socket_create_source (conn->target, G_IO_OUT, NULL);
  g_source_set_callback (conn->connect_source,
      (GSourceFunc) on_target_connected, conn, NULL);
  g_source_attach (conn->connect_source, relay->context);
  return;

  /* ERRORS */
no_socket:
  {
    GST_WARNING ("connection %u: no socket: %s", conn->id, error->message);
    g_error_free (error);
    conn_close (conn, TRUE);
    return;
  }
connect_failed:
  {
    GST_DEBUG ("connection %u: connecting to the target: %s", conn->id,
        error->message);
    g_error_free (error);
    conn_close (conn, TRUE);
    return;
  }
}

static gboolean
on_accept (GSocket * listener, GIOCondition cond, gpointer data)
{
  RrRelay *relay = data;
  GSocket *client;
  GError *error = NULL;

  while ((client = g_socket_accept (listener, NULL, &error)) != NULL) {
    g_mutex_lock (&relay->lock);
    relay->stats.accepted++;
    /* open with accepted, in one step: a waiter for "accepted N, then none
     * open" must not see the one just accepted as not open yet */
    if (relay->refuse)
      relay->stats.refused++;
    else
      relay->stats.open++;
    g_cond_broadcast (&relay->cond);
    g_mutex_unlock (&relay->lock);

    if (relay->refuse) {
      GST_DEBUG ("refusing a connection");
      close_socket (client, TRUE);
    } else {
      conn_new (relay, client);
    }
  }
  if (!is_would_block (error))
    GST_WARNING ("accept: %s", error->message);
  g_error_free (error);
  return G_SOURCE_CONTINUE;
}

/* ---- running things on the relay thread ---- */

typedef void (*RrRelayFunc) (RrRelay * relay, gboolean arg);

typedef struct
{
  RrRelay *relay;
  RrRelayFunc func;
  gboolean arg;
  gboolean done;
} RrRelayInvoke;

static gboolean
invoke_cb (gpointer data)
{
  RrRelayInvoke *inv = data;

  inv->func (inv->relay, inv->arg);

  g_mutex_lock (&inv->relay->lock);
  inv->done = TRUE;
  g_cond_broadcast (&inv->relay->cond);
  g_mutex_unlock (&inv->relay->lock);
  return G_SOURCE_REMOVE;
}

/* Runs @func on the relay thread and waits for it. Always through a source
 * (never g_main_context_invoke), so it runs on the relay thread even
 * before the loop has started. */
static void
invoke_sync (RrRelay * relay, RrRelayFunc func, gboolean arg)
{
  RrRelayInvoke inv = { relay, func, arg, FALSE };
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, invoke_cb, &inv, NULL);
  g_source_attach (source, relay->context);
  g_source_unref (source);

  g_mutex_lock (&relay->lock);
  while (!inv.done)
    g_cond_wait (&relay->cond, &relay->lock);
  g_mutex_unlock (&relay->lock);
}

static void
do_reset_all (RrRelay * relay, gboolean unused)
{
  guint n = 0;

  while (relay->conns) {
    conn_close (relay->conns->data, TRUE);
    n++;
  }
  GST_DEBUG ("reset %u connections", n);
  g_mutex_lock (&relay->lock);
  relay->stats.reset += n;
  g_mutex_unlock (&relay->lock);
}

static void
do_blackhole (RrRelay * relay, gboolean on)
{
  GList *l, *next;

  GST_DEBUG ("blackhole %s", on ? "on" : "off");
  relay->blackhole = on;
  if (!on)
    return;
  /* what was read but not yet sent is dropped too */
  for (l = relay->conns; l; l = next) {
    RrRelayConn *conn = l->data;
    RrRelayPipe *pipes[2] = { &conn->up, &conn->down };
    guint i;

    next = l->next;
    if (!conn->relaying)
      continue;
    for (i = 0; i < G_N_ELEMENTS (pipes); i++) {
      RrRelayPipe *pipe = pipes[i];

      if (pipe->off < pipe->len) {
        count_bytes (relay, pipe->to_target, TRUE, pipe->len - pipe->off);
        pipe->off = pipe->len = 0;
      }
    }
    /* pipe_update() of one pipe may close the connection */
    pipe_update (&conn->up);
    if (g_list_find (relay->conns, conn))
      pipe_update (&conn->down);
  }
}

static void
do_set_refuse (RrRelay * relay, gboolean refuse)
{
  GST_DEBUG ("refuse %s", refuse ? "on" : "off");
  relay->refuse = refuse;
}

static void
do_shutdown (RrRelay * relay, gboolean unused)
{
  while (relay->conns)
    conn_close (relay->conns->data, FALSE);
  destroy_source (&relay->listen_source);
  g_socket_close (relay->listener, NULL);
  g_main_loop_quit (relay->loop);
}

static gpointer
relay_thread_func (gpointer data)
{
  RrRelay *relay = data;

  g_main_context_push_thread_default (relay->context);
  g_main_loop_run (relay->loop);
  g_main_context_pop_thread_default (relay->context);
  return NULL;
}

/* ---- API ---- */

RrRelay *
rr_relay_new (const gchar * target_host, guint target_port)
{
  static gsize debug_init = 0;
  RrRelay *relay;
  GInetAddress *lo, *target;
  GSocketAddress *addr, *bound;
  GError *error = NULL;

  g_return_val_if_fail (g_strcmp0 (target_host, "127.0.0.1") == 0, NULL);
  g_return_val_if_fail (target_port > 0 && target_port <= G_MAXUINT16, NULL);

  if (g_once_init_enter (&debug_init)) {
    GST_DEBUG_CATEGORY_INIT (rr_relay_debug, "rrrelay", 0,
        "fault-injecting TCP relay for tests");
    g_once_init_leave (&debug_init, 1);
  }

  relay = g_new0 (RrRelay, 1);
  g_mutex_init (&relay->lock);
  g_cond_init (&relay->cond);
  relay->context = g_main_context_new ();
  relay->loop = g_main_loop_new (relay->context, FALSE);

  target = g_inet_address_new_from_string (target_host);
  relay->target_addr = g_inet_socket_address_new (target, target_port);
  g_object_unref (target);

  relay->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, &error);
  if (relay->listener == NULL)
    g_error ("relay: socket: %s", error->message);
  lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  addr = g_inet_socket_address_new (lo, 0);
  g_object_unref (lo);
  if (!g_socket_bind (relay->listener, addr, TRUE, &error))
    g_error ("relay: bind: %s", error->message);
  g_object_unref (addr);
  g_socket_set_listen_backlog (relay->listener, 64);
  if (!g_socket_listen (relay->listener, &error))
    g_error ("relay: listen: %s", error->message);
  g_socket_set_blocking (relay->listener, FALSE);
  bound = g_socket_get_local_address (relay->listener, &error);
  if (bound == NULL)
    g_error ("relay: local address: %s", error->message);
  relay->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_object_unref (bound);

  relay->listen_source = g_socket_create_source (relay->listener, G_IO_IN,
      NULL);
  g_source_set_callback (relay->listen_source, (GSourceFunc) on_accept,
      relay, NULL);
  g_source_attach (relay->listen_source, relay->context);

  relay->thread = g_thread_new ("rrrelay", relay_thread_func, relay);
  GST_INFO ("relay 127.0.0.1:%u → %s:%u", relay->port, target_host,
      target_port);
  return relay;
}

void
rr_relay_free (RrRelay * relay)
{
  g_return_if_fail (relay != NULL);

  invoke_sync (relay, do_shutdown, FALSE);
  g_thread_join (relay->thread);

  g_object_unref (relay->listener);
  g_object_unref (relay->target_addr);
  g_main_loop_unref (relay->loop);
  g_main_context_unref (relay->context);
  g_mutex_clear (&relay->lock);
  g_cond_clear (&relay->cond);
  g_free (relay);
}

guint
rr_relay_get_port (RrRelay * relay)
{
  g_return_val_if_fail (relay != NULL, 0);

  return relay->port;
}

gchar *
rr_relay_get_url (RrRelay * relay, const gchar * path)
{
  g_return_val_if_fail (relay != NULL, NULL);
  g_return_val_if_fail (path != NULL && path[0] == '/', NULL);

  return g_strdup_printf ("rtsp://127.0.0.1:%u%s", relay->port, path);
}

void
rr_relay_reset_all (RrRelay * relay)
{
  g_return_if_fail (relay != NULL);

  invoke_sync (relay, do_reset_all, FALSE);
}

void
rr_relay_blackhole (RrRelay * relay, gboolean on)
{
  g_return_if_fail (relay != NULL);

  invoke_sync (relay, do_blackhole, on);
}

void
rr_relay_set_refuse (RrRelay * relay, gboolean refuse)
{
  g_return_if_fail (relay != NULL);

  invoke_sync (relay, do_set_refuse, refuse);
}

void
rr_relay_get_stats (RrRelay * relay, RrRelayStats * stats)
{
  g_return_if_fail (relay != NULL);
  g_return_if_fail (stats != NULL);

  g_mutex_lock (&relay->lock);
  *stats = relay->stats;
  g_mutex_unlock (&relay->lock);
}

guint
rr_relay_wait_accepted (RrRelay * relay, guint count, guint timeout_ms)
{
  gint64 deadline;
  guint accepted;

  g_return_val_if_fail (relay != NULL, 0);

  deadline = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;
  g_mutex_lock (&relay->lock);
  while (relay->stats.accepted < count) {
    if (!g_cond_wait_until (&relay->cond, &relay->lock, deadline))
      break;
  }
  accepted = relay->stats.accepted;
  g_mutex_unlock (&relay->lock);
  return accepted;
}

guint
rr_relay_wait_open (RrRelay * relay, guint count, guint timeout_ms)
{
  gint64 deadline;
  guint open;

  g_return_val_if_fail (relay != NULL, 0);

  deadline = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;
  g_mutex_lock (&relay->lock);
  while (relay->stats.open != count) {
    if (!g_cond_wait_until (&relay->cond, &relay->lock, deadline))
      break;
  }
  open = relay->stats.open;
  g_mutex_unlock (&relay->lock);
  return open;
}
