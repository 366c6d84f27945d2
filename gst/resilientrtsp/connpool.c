/* resilientrtsp
 * connpool.c: the process-wide pool of idle RTSP control connections (see
 * connpool.h).
 *
 * An entry is one pooled connection: either a GstResilientConnection that
 * served a session and came back (bound to its I/O context, its callbacks
 * go to the entry's lease while idle), or a pre-warmed GIOStream nobody
 * has read yet (watched for readability by a source of our own on the I/O
 * context it was made on, given to a taker on any context). An entry is
 * "listed" while it can be found: connecting (a pre-warm in flight) or
 * idle. Whoever unlists an entry (take, idle timeout, end of stream,
 * eviction, flush) owns the list's reference and discards or hands it on.
 *
 * Threads: the pool lock guards the lists, the counters and every entry
 * field marked "lock". A lease's owner callbacks are touched only on the
 * connection's I/O thread (give back, take finish and the callbacks all
 * run there). Nothing is called with the lock held that could call back
 * into the pool: GTask completions go through an idle source on the
 * taker's context, connections are closed and I/O contexts unreferenced
 * outside it, an entry's last reference is dropped on its own I/O thread.
 *
 * locking order: pool_lock → none
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "connpool.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (pool_debug);
#define GST_CAT_DEFAULT pool_debug

typedef struct _Entry Entry;

typedef enum
{
  ENTRY_SCHEDULED,              /* a pre-warm, not started yet */
  ENTRY_CONNECTING,             /* a pre-warm in flight */
  ENTRY_IDLE,
} EntryState;

/* Attached to every connection made by gst_resilient_conn_pool_wrap(). */
typedef struct
{
  /* immutable */
  GstResilientIoContext *io;    /* the connection's (it holds the ref) */
  GIOStream *stream;            /* the connection's (it holds the ref) */
  gboolean forbidden;           /* never pooled */

  /* the connection's I/O thread */
  gboolean owned;               /* the callbacks below go somewhere */
  GstResilientConnectionCallbacks callbacks;
  gpointer user_data;
  gboolean dead;                /* closed by the peer or by us */

  Entry *entry;                 /* lock: the entry while idle in the pool */
} Lease;

struct _Entry
{
  gint refcount;                /* atomic */

  /* immutable */
  gchar *key;
  gchar *label;                 /* "rtsp[s]://host:port", for logs */
  GstResilientIoContext *io;    /* where it connects / idles: a reference */
  GTlsDatabase *tls_database;   /* references: the key's pointers stay unique */
  GTlsInteraction *tls_interaction;
  guint idle_timeout_ms;
  /* immutable: a pre-warm's connect */
  gchar *host;
  guint16 port;
  gboolean has_options;
  GstResilientConnectOptions options;   /* a copy, hooks ours */
  guint connect_timeout_ms;

  EntryState state;             /* lock */
  gboolean listed;              /* lock */
  gboolean via_proxy;           /* lock */
  gboolean linger;              /* lock; no user: idle for LINGER_MS at most */
  gint64 idle_since;            /* lock; monotonic µs */
  GstResilientConnection *conn; /* lock; a connection that served a session */
  GIOStream *stream;            /* lock; a pre-warmed one */
  GSource *watch;               /* lock; pre-warmed: readable while idle */
  GSource *timer;               /* lock; pre-warm delay, then idle timeout */
  GCancellable *cancellable;    /* lock; the pre-warm's connect */
  GTask *waiter;                /* lock; a take waiting for the pre-warm */
};

/* A take's task data. */
typedef struct
{
  GstResilientIoContext *io;    /* the taker's: a reference */
  GCancellable *cancellable;    /* the task's, or NULL */
  gulong cancel_id;             /* taker's thread */
  Entry *waiting_on;            /* lock: the pre-warm it waits for */
  Entry *result;                /* the entry handed over, or NULL */
  GError *error;
} TakeData;

static GMutex pool_lock;
static guint n_users;           /* pool_lock */
static GHashTable *by_key;      /* pool_lock: key → GQueue of Entry*, oldest first */
static GQueue all = G_QUEUE_INIT;       /* pool_lock: Entry*, oldest first */
static guint64 n_taken;         /* pool_lock */
static guint64 n_prewarms;      /* pool_lock */

static GQuark lease_quark;
static GQuark forbid_quark;

static void take_complete_later (GTask * task, Entry * e, GError * error);

static void
init_once (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (pool_debug, "resilientrtsppool", 0,
        "resilientrtsp connection pool");
    lease_quark = g_quark_from_static_string ("resilientrtsp-pool-lease");
    forbid_quark = g_quark_from_static_string ("resilientrtsp-pool-forbid");
    g_once_init_leave (&done, 1);
  }
}

/* ---------------------------------------------------------------------- */
/* keys */

static void
checksum_add_string (GChecksum * sum, const gchar * s)
{
  /* length-prefixed, so that fields cannot run into each other; NULL and
   * "" differ */
  gchar len[24];

  if (s == NULL) {
    g_checksum_update (sum, (const guchar *) "-", 1);
    return;
  }
  g_snprintf (len, sizeof (len), "%" G_GSIZE_FORMAT ":", strlen (s));
  g_checksum_update (sum, (const guchar *) len, -1);
  g_checksum_update (sum, (const guchar *) s, strlen (s));
}

static void
checksum_add_pointer (GChecksum * sum, gconstpointer p)
{
  gchar text[32];

  g_snprintf (text, sizeof (text), "%p;", p);
  g_checksum_update (sum, (const guchar *) text, -1);
}

gchar *
gst_resilient_conn_pool_key (const gchar * host, guint16 port,
    const GstResilientConnectOptions * options, const gchar * user,
    const gchar * password)
{
  static guint32 salt[4];
  static gsize salted = 0;
  GChecksum *sum;
  gchar *bare, *lower, *key, number[32];
  gsize len;

  g_return_val_if_fail (host != NULL, NULL);
  g_return_val_if_fail (options != NULL, NULL);

  if (g_once_init_enter (&salted)) {
    guint i;

    /* the digest covers passwords: never the same in two processes */
    for (i = 0; i < G_N_ELEMENTS (salt); i++)
      salt[i] = g_random_int ();
    g_once_init_leave (&salted, 1);
  }

  len = strlen (host);
  if (len >= 2 && host[0] == '[' && host[len - 1] == ']')
    bare = g_strndup (host + 1, len - 2);
  else
    bare = g_strdup (host);
  lower = g_ascii_strdown (bare, -1);
  g_free (bare);

  sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, (const guchar *) salt, sizeof (salt));
  checksum_add_string (sum, lower);
  g_snprintf (number, sizeof (number), "%u;%d;%u;", port, options->tls ? 1 : 0,
      (guint) options->tls_validation_flags);
  g_checksum_update (sum, (const guchar *) number, -1);
  checksum_add_pointer (sum, options->tls_database);
  checksum_add_pointer (sum, options->tls_interaction);
  checksum_add_string (sum, options->proxy);
  checksum_add_string (sum, options->proxy_id);
  checksum_add_string (sum, options->proxy_pw);
  checksum_add_string (sum, user);
  checksum_add_string (sum, password);

  /* an IPv6 literal gets its brackets back */
  key = g_strdup_printf ("%s://%s%s%s:%u#%s", options->tls ? "rtsps" : "rtsp",
      strchr (lower, ':') ? "[" : "", lower, strchr (lower, ':') ? "]" : "",
      port, g_checksum_get_string (sum));
  g_checksum_free (sum);
  g_free (lower);
  return key;
}

/* ---------------------------------------------------------------------- */
/* entries */

static Entry *
entry_ref (Entry * e)
{
  g_atomic_int_inc (&e->refcount);
  return e;
}

static gboolean
entry_free_on_io (gpointer data)
{
  Entry *e = data;

  g_assert (e->conn == NULL && e->stream == NULL);
  g_assert (e->watch == NULL && e->timer == NULL && e->waiter == NULL);
  g_clear_object (&e->cancellable);
  g_clear_object (&e->tls_database);
  g_clear_object (&e->tls_interaction);
  if (e->has_options)
    gst_resilient_connect_options_clear (&e->options);
  g_free (e->host);
  g_free (e->key);
  g_free (e->label);
  /* on its own thread: if this is the last reference, the thread ends
   * after this dispatch (no thread ever joins another from here) */
  gst_resilient_io_context_unref (e->io);
  g_free (e);
  return G_SOURCE_REMOVE;
}

/* Never with the pool lock held. */
static void
entry_unref (Entry * e)
{
  if (!g_atomic_int_dec_and_test (&e->refcount))
    return;
  if (gst_resilient_io_context_is_current (e->io))
    entry_free_on_io (e);
  else
    gst_resilient_io_context_invoke (e->io, entry_free_on_io, e, NULL);
}

static Entry *
entry_new (const GstResilientConnPoolTarget * t, GstResilientIoContext * io,
    EntryState state)
{
  Entry *e = g_new0 (Entry, 1);
  const gchar *hash = strchr (t->key, '#');

  e->refcount = 1;
  e->key = g_strdup (t->key);
  e->label = hash ? g_strndup (t->key, hash - t->key) : g_strdup ("?");
  e->io = gst_resilient_io_context_ref (io);
  if (t->options && t->options->tls_database)
    e->tls_database = g_object_ref (t->options->tls_database);
  if (t->options && t->options->tls_interaction)
    e->tls_interaction = g_object_ref (t->options->tls_interaction);
  e->idle_timeout_ms = t->idle_timeout_ms;
  e->state = state;
  e->via_proxy = t->via_proxy;
  return e;
}

/* With the lock. */
static guint
key_count (const gchar * key)
{
  GQueue *q = by_key ? g_hash_table_lookup (by_key, key) : NULL;

  return q ? q->length : 0;
}

/* With the lock: takes the caller's reference. */
static void
entry_list (Entry * e)
{
  GQueue *q;

  if (by_key == NULL)
    by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
        (GDestroyNotify) g_queue_free);
  q = g_hash_table_lookup (by_key, e->key);
  if (q == NULL) {
    q = g_queue_new ();
    g_hash_table_insert (by_key, g_strdup (e->key), q);
  }
  g_queue_push_tail (q, e);
  g_queue_push_tail (&all, e);
  e->listed = TRUE;
}

/* With the lock: the list's reference goes to the caller. */
static void
entry_unlist (Entry * e)
{
  GQueue *q = g_hash_table_lookup (by_key, e->key);

  g_assert (e->listed && q != NULL);
  g_queue_remove (q, e);
  if (q->length == 0)
    g_hash_table_remove (by_key, e->key);
  g_queue_remove (&all, e);
  e->listed = FALSE;
  if (e->conn) {
    Lease *lease = g_object_get_qdata (G_OBJECT (e->conn), lease_quark);

    lease->entry = NULL;
  }
}

/* Thread-safe; a dispatch in progress finds the entry unlisted and
 * stops. */
static void
destroy_source (GSource * source)
{
  if (source) {
    g_source_destroy (source);
    g_source_unref (source);
  }
}

static gboolean
close_connection_on_io (gpointer data)
{
  GstResilientConnection *conn = data;
  Lease *lease = g_object_get_qdata (G_OBJECT (conn), lease_quark);

  lease->dead = TRUE;
  gst_resilient_connection_close (conn);
  g_object_unref (conn);
  return G_SOURCE_REMOVE;
}

static void
on_stream_closed (GObject * source, GAsyncResult * result, gpointer data)
{
  g_io_stream_close_finish (G_IO_STREAM (source), result, NULL);
  /* the thread ran until the close was done */
  gst_resilient_io_context_unref (data);
}

/* On the entry's I/O thread: the discard itself. */
static gboolean
entry_discard_on_io (gpointer data)
{
  Entry *e = data;
  GSource *watch, *timer;
  GstResilientConnection *conn;
  GIOStream *stream;
  GCancellable *cancellable;
  GTask *waiter;

  g_mutex_lock (&pool_lock);
  g_assert (!e->listed);
  watch = g_steal_pointer (&e->watch);
  timer = g_steal_pointer (&e->timer);
  conn = g_steal_pointer (&e->conn);
  stream = g_steal_pointer (&e->stream);
  cancellable = e->cancellable ? g_object_ref (e->cancellable) : NULL;
  /* (an evicted pre-warm someone waits for: that one connects itself) */
  waiter = g_steal_pointer (&e->waiter);
  if (waiter)
    ((TakeData *) g_task_get_task_data (waiter))->waiting_on = NULL;
  g_mutex_unlock (&pool_lock);

  if (waiter)
    take_complete_later (waiter, NULL, NULL);
  destroy_source (watch);
  destroy_source (timer);
  if (cancellable) {
    /* a pre-warm in flight: its callback finds the entry unlisted */
    g_cancellable_cancel (cancellable);
    g_object_unref (cancellable);
  }
  if (stream) {
    /* a socket closes at once; a TLS close (close_notify) goes async, as
     * in connection.c, holding the thread until it is done */
    if (G_IS_SOCKET_CONNECTION (stream))
      g_io_stream_close (stream, NULL, NULL);
    else
      g_io_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL,
          on_stream_closed, gst_resilient_io_context_ref (e->io));
    g_object_unref (stream);
  }
  if (conn)
    close_connection_on_io (conn);
  entry_unref (e);
  return G_SOURCE_REMOVE;
}

/* Closes an unlisted entry's connection or cancels its pre-warm, and drops
 * the caller's reference; on the entry's I/O thread, where its sources run
 * (glib-networking's TLS sources must not be destroyed from another thread
 * while they dispatch). Any thread, never with the lock held. */
static void
entry_discard (Entry * e)
{
  if (gst_resilient_io_context_is_current (e->io))
    entry_discard_on_io (e);
  else
    gst_resilient_io_context_invoke (e->io, entry_discard_on_io, e, NULL);
}

/* Whether an idle stream is still fit: nothing to read (no end of stream,
 * reset or stray data). With @can_read, a TLS stream is read to tell a
 * post-handshake record (a TLS 1.3 session ticket: no data) from the
 * rest. */
static gboolean
stream_still_idle (GIOStream * stream, gboolean can_read)
{
  GPollableInputStream *in;
  guint i;

  if (g_io_stream_is_closed (stream))
    return FALSE;
  in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream));
  for (i = 0; i < 4; i++) {
    GError *error = NULL;
    guint8 byte;
    gssize n;

    if (!g_pollable_input_stream_is_readable (in))
      return TRUE;
    if (!can_read || !G_IS_TLS_CONNECTION (stream))
      return FALSE;
    n = g_pollable_input_stream_read_nonblocking (in, &byte, 1, NULL, &error);
    if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_error_free (error);
      continue;
    }
    g_clear_error (&error);
    return FALSE;
  }
  return FALSE;
}

/* ---------------------------------------------------------------------- */
/* idle life */

/* With the lock: how long @e may stay idle. */
static guint
entry_idle_ms (Entry * e)
{
  if (e->linger)
    return MIN (e->idle_timeout_ms, GST_RESILIENT_CONN_POOL_LINGER_MS);
  return e->idle_timeout_ms;
}

static gboolean
on_idle_timeout (gpointer data)
{
  Entry *e = data;

  g_mutex_lock (&pool_lock);
  if (!e->listed) {
    g_mutex_unlock (&pool_lock);
    return G_SOURCE_REMOVE;
  }
  entry_unlist (e);
  g_mutex_unlock (&pool_lock);

  GST_DEBUG ("%s: idle for %u ms, closing", e->label, entry_idle_ms (e));
  entry_discard (e);
  return G_SOURCE_REMOVE;
}

/* A pre-warmed stream became readable while idle. */
static gboolean
on_idle_readable (GObject * pollable, gpointer data)
{
  Entry *e = data;

  GST_LOG ("%s: readable while idle", e->label);
  g_mutex_lock (&pool_lock);
  if (!e->listed || e->stream == NULL) {
    g_mutex_unlock (&pool_lock);
    return G_SOURCE_REMOVE;
  }
  /* under the lock: a taker unlists first, so nobody reads concurrently */
  if (stream_still_idle (e->stream, TRUE)) {
    g_mutex_unlock (&pool_lock);
    return G_SOURCE_CONTINUE;
  }
  entry_unlist (e);
  g_mutex_unlock (&pool_lock);

  GST_INFO ("%s: the server closed an idle connection (or sent on it)",
      e->label);
  entry_discard (e);
  return G_SOURCE_REMOVE;
}

/* With the lock, on @e's I/O thread: @e becomes idle. */
static void
entry_start_idle (Entry * e)
{
  e->state = ENTRY_IDLE;
  e->idle_since = g_get_monotonic_time ();
  e->timer = gst_resilient_io_context_add_timeout (e->io,
      MAX (entry_idle_ms (e), 1), on_idle_timeout, entry_ref (e),
      (GDestroyNotify) entry_unref);
  if (e->stream) {
    GInputStream *in = g_io_stream_get_input_stream (e->stream);

    e->watch = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM
        (in), NULL);
    g_source_set_callback (e->watch, (GSourceFunc) on_idle_readable,
        entry_ref (e), (GDestroyNotify) entry_unref);
    g_source_set_static_name (e->watch, "rrtsp-pool-idle");
    gst_resilient_io_context_attach (e->io, e->watch);
  }
}

/* With the lock: makes room for one more entry of @key, unlisting what
 * must go into @evicted. */
static void
make_room (const gchar * key, GList ** evicted)
{
  GQueue *q = by_key ? g_hash_table_lookup (by_key, key) : NULL;

  while (q != NULL && q->length >= GST_RESILIENT_CONN_POOL_MAX_PER_KEY) {
    Entry *victim = g_queue_peek_head (q);
    GList *l;

    /* the oldest idle one, else the oldest pre-warm */
    for (l = q->head; l; l = l->next) {
      if (((Entry *) l->data)->state == ENTRY_IDLE) {
        victim = l->data;
        break;
      }
    }
    entry_unlist (victim);
    *evicted = g_list_prepend (*evicted, victim);
    q = g_hash_table_lookup (by_key, key);
  }
  while (all.length >= GST_RESILIENT_CONN_POOL_MAX_TOTAL) {
    Entry *victim = g_queue_peek_head (&all);

    entry_unlist (victim);
    *evicted = g_list_prepend (*evicted, victim);
  }
}

/* ---------------------------------------------------------------------- */
/* leases: the callbacks of a poolable connection */

static Lease *
lease_get (GstResilientConnection * conn)
{
  return g_object_get_qdata (G_OBJECT (conn), lease_quark);
}

/* Something happened on a connection nobody owns (idle in the pool, or
 * handed to a taker that has not finished the take): it is unfit. */
static void
lease_spoil (GstResilientConnection * conn, Lease * lease, const gchar * what)
{
  Entry *e;

  g_mutex_lock (&pool_lock);
  e = lease->entry;
  if (e != NULL && e->listed)
    entry_unlist (e);
  else
    e = NULL;
  g_mutex_unlock (&pool_lock);

  GST_INFO ("an idle connection %s: discarding it", what);
  lease->dead = TRUE;
  if (e)
    entry_discard (e);
  else
    gst_resilient_connection_close (conn);
}

static void
lease_on_message (GstResilientConnection * conn, GstRTSPMessage * msg,
    gpointer user_data)
{
  Lease *lease = user_data;

  if (lease->owned) {
    lease->callbacks.message (conn, msg, lease->user_data);
    return;
  }
  gst_rtsp_message_free (msg);
  lease_spoil (conn, lease, "got a message");
}

static void
lease_on_data (GstResilientConnection * conn, guint8 channel, GstBuffer * buf,
    gpointer user_data)
{
  Lease *lease = user_data;

  if (lease->owned) {
    lease->callbacks.data (conn, channel, buf, lease->user_data);
    return;
  }
  gst_buffer_unref (buf);
  lease_spoil (conn, lease, "got interleaved data");
}

static void
lease_on_closed (GstResilientConnection * conn, const GError * error,
    gpointer user_data)
{
  Lease *lease = user_data;

  lease->dead = TRUE;
  if (lease->owned) {
    lease->callbacks.closed (conn, error, lease->user_data);
    return;
  }
  lease_spoil (conn, lease, "was closed by the server");
}

static const GstResilientConnectionCallbacks lease_callbacks = {
  lease_on_message,
  lease_on_data,
  lease_on_closed,
};

static void
lease_set_owner (Lease * lease, const GstResilientConnectionCallbacks * cb,
    gpointer user_data)
{
  if (cb) {
    lease->callbacks = *cb;
    lease->user_data = user_data;
    lease->owned = TRUE;
  } else {
    memset (&lease->callbacks, 0, sizeof (lease->callbacks));
    lease->user_data = NULL;
    lease->owned = FALSE;
  }
}

GstResilientConnection *
gst_resilient_conn_pool_wrap (GstResilientIoContext * io, GIOStream * stream,
    const GstResilientConnectionCallbacks * callbacks, gpointer user_data)
{
  GstResilientConnection *conn;
  Lease *lease;

  g_return_val_if_fail (io != NULL, NULL);
  g_return_val_if_fail (G_IS_IO_STREAM (stream), NULL);
  g_return_val_if_fail (callbacks != NULL, NULL);
  g_return_val_if_fail (callbacks->message && callbacks->data &&
      callbacks->closed, NULL);

  init_once ();
  lease = g_new0 (Lease, 1);
  lease->io = io;
  lease->stream = stream;
  lease->forbidden = g_object_get_qdata (G_OBJECT (stream), forbid_quark) !=
      NULL;
  lease_set_owner (lease, callbacks, user_data);
  conn = gst_resilient_connection_new (io, stream, &lease_callbacks, lease);
  if (conn == NULL) {
    g_free (lease);
    return NULL;
  }
  /* freed with the connection: no callback comes after that */
  g_object_set_qdata_full (G_OBJECT (conn), lease_quark, lease, g_free);
  return conn;
}

void
gst_resilient_conn_pool_forbid (GObject * stream)
{
  g_return_if_fail (G_IS_OBJECT (stream));

  init_once ();
  g_object_set_qdata (stream, forbid_quark, GINT_TO_POINTER (1));
}

/* ---------------------------------------------------------------------- */
/* takes */

static void
take_data_free (TakeData * td)
{
  if (td->result)
    entry_discard (td->result);
  g_clear_error (&td->error);
  g_clear_object (&td->cancellable);
  gst_resilient_io_context_unref (td->io);
  g_free (td);
}

static gboolean
take_complete_idle (gpointer data)
{
  GTask *task = data;
  TakeData *td = g_task_get_task_data (task);

  if (td->cancel_id) {
    /* waits for a handler running in another thread (it finds nothing to
     * do: waiting_on is gone) */
    g_cancellable_disconnect (td->cancellable, td->cancel_id);
    td->cancel_id = 0;
  }
  if (td->error)
    g_task_return_error (task, g_steal_pointer (&td->error));
  else
    g_task_return_boolean (task, TRUE);
  return G_SOURCE_REMOVE;
}

/* Completes @task (transfer full) with @e (transfer full, nullable) or
 * @error (transfer full, nullable) from an idle source on its context:
 * never inside the caller, whatever thread that is. */
static void
take_complete_later (GTask * task, Entry * e, GError * error)
{
  TakeData *td = g_task_get_task_data (task);
  GSource *source = g_idle_source_new ();

  td->result = e;
  td->error = error;
  g_source_set_callback (source, take_complete_idle, task, g_object_unref);
  g_source_set_static_name (source, "rrtsp-pool-take");
  g_source_attach (source, g_task_get_context (task));
  g_source_unref (source);
}

/* The taker's cancellable fired (any thread). */
static void
on_take_cancelled (GCancellable * cancellable, gpointer data)
{
  GTask *task = data;
  TakeData *td = g_task_get_task_data (task);
  gboolean detached = FALSE;

  g_mutex_lock (&pool_lock);
  if (td->waiting_on != NULL && td->waiting_on->waiter == task) {
    td->waiting_on->waiter = NULL;
    td->waiting_on = NULL;
    detached = TRUE;
  }
  g_mutex_unlock (&pool_lock);

  if (detached)
    take_complete_later (task, NULL, g_error_new_literal (G_IO_ERROR,
            G_IO_ERROR_CANCELLED, "cancelled"));
}

static void prewarm_start (Entry * e);

typedef struct
{
  GTask *task;
  Entry *entry;
} HandOver;

static HandOver *
hand_over_new (GTask * task, Entry * e)
{
  HandOver *h = g_new (HandOver, 1);

  h->task = task;
  h->entry = e;
  return h;
}

/* On a pre-warmed entry's I/O thread: its idle watch goes (its sources
 * are only ever touched there), it is checked, and it goes to the taker
 * (@data's task and entry reference are taken). */
static gboolean
hand_over_on_io (gpointer data)
{
  HandOver *h = data;
  Entry *e = h->entry;
  GSource *watch, *timer;
  gboolean fit;

  g_mutex_lock (&pool_lock);
  watch = g_steal_pointer (&e->watch);
  timer = g_steal_pointer (&e->timer);
  g_mutex_unlock (&pool_lock);
  destroy_source (watch);
  destroy_source (timer);

  /* unlisted: nobody else reads it */
  fit = stream_still_idle (e->stream, TRUE);
  if (fit) {
    take_complete_later (h->task, e, NULL);
  } else {
    GST_INFO ("%s: a pre-warmed connection is gone (closed or readable)",
        e->label);
    take_complete_later (h->task, NULL, NULL);
    entry_discard (e);
  }
  g_free (h);
  return G_SOURCE_REMOVE;
}

void
gst_resilient_conn_pool_take_async (GstResilientIoContext * io,
    const gchar * key, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;
  TakeData *td;

  g_return_if_fail (io != NULL);
  g_return_if_fail (key != NULL);
  g_return_if_fail (gst_resilient_io_context_is_current (io));

  init_once ();
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, gst_resilient_conn_pool_take_async);
  g_task_set_name (task, "gst_resilient_conn_pool_take_async");
  td = g_new0 (TakeData, 1);
  td->io = gst_resilient_io_context_ref (io);
  td->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  g_task_set_task_data (task, td, (GDestroyNotify) take_data_free);

  if (g_cancellable_is_cancelled (cancellable)) {
    take_complete_later (task, NULL, g_error_new_literal (G_IO_ERROR,
            G_IO_ERROR_CANCELLED, "cancelled"));
    return;
  }

  for (;;) {
    GQueue *q;
    GSource *timer;
    Entry *chosen = NULL, *join = NULL;
    GList *l;
    gboolean fit;

    g_mutex_lock (&pool_lock);
    q = n_users > 0 && by_key ? g_hash_table_lookup (by_key, key) : NULL;
    for (l = q ? q->tail : NULL; l; l = l->prev) {
      Entry *e = l->data;

      if (e->state == ENTRY_IDLE && (e->stream != NULL || e->io == io)) {
        chosen = e;
        break;
      }
      /* a pre-warm in flight (the oldest: it is nearest done) before one
       * that has to start: a started one may be stuck */
      if (e->state != ENTRY_IDLE && e->waiter == NULL && (join == NULL
              || e->state == ENTRY_CONNECTING))
        join = e;
    }
    if (chosen == NULL && join != NULL) {
      gboolean start = join->state == ENTRY_SCHEDULED;

      join->waiter = task;
      td->waiting_on = join;
      if (start) {
        /* wanted now: no more waiting for the delay */
        join->state = ENTRY_CONNECTING;
        timer = g_steal_pointer (&join->timer);
        entry_ref (join);
      }
      g_mutex_unlock (&pool_lock);
      GST_DEBUG ("%s: waiting for the pre-warm %s", join->label,
          start ? "started now" : "in flight");
      if (start) {
        destroy_source (timer);
        prewarm_start (join);
        entry_unref (join);
      }
      /* calls back at once if cancelled meanwhile */
      if (cancellable)
        td->cancel_id = g_cancellable_connect (cancellable,
            G_CALLBACK (on_take_cancelled), task, NULL);
      return;
    }
    if (chosen == NULL) {
      g_mutex_unlock (&pool_lock);
      take_complete_later (task, NULL, NULL);
      return;
    }
    entry_unlist (chosen);
    if (chosen->stream != NULL) {
      g_mutex_unlock (&pool_lock);
      /* pre-warmed: checked and released where it idled */
      if (gst_resilient_io_context_is_current (chosen->io))
        hand_over_on_io (hand_over_new (task, chosen));
      else
        gst_resilient_io_context_invoke (chosen->io, hand_over_on_io,
            hand_over_new (task, chosen), NULL);
      return;
    }
    /* used: on this thread, its reads too */
    fit = !lease_get (chosen->conn)->dead &&
        stream_still_idle (lease_get (chosen->conn)->stream, FALSE);
    timer = g_steal_pointer (&chosen->timer);
    g_mutex_unlock (&pool_lock);
    destroy_source (timer);

    if (fit) {
      take_complete_later (task, chosen, NULL);
      return;
    }
    GST_INFO ("%s: a pooled connection is gone (closed or readable), "
        "trying the next", chosen->label);
    entry_discard (chosen);
  }
}

GstResilientConnection *
gst_resilient_conn_pool_take_finish (GAsyncResult * result,
    const GstResilientConnectionCallbacks * callbacks, gpointer user_data,
    GstResilientConnPoolTaken * taken, GError ** error)
{
  GTask *task;
  TakeData *td;
  Entry *e;
  GstResilientConnection *conn;
  GstResilientConnPoolTaken info = { 0, };

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result,
          gst_resilient_conn_pool_take_async), NULL);
  g_return_val_if_fail (callbacks != NULL, NULL);

  task = G_TASK (result);
  td = g_task_get_task_data (task);
  if (taken)
    memset (taken, 0, sizeof (*taken));
  /* (a result not taken here is discarded with the task data) */
  if (!g_task_propagate_boolean (task, error))
    return NULL;
  e = g_steal_pointer (&td->result);
  if (e == NULL)
    return NULL;

  g_mutex_lock (&pool_lock);
  info.prewarmed = e->stream != NULL;
  info.via_proxy = e->via_proxy;
  info.idle_ms = e->idle_since ?
      (g_get_monotonic_time () - e->idle_since) / 1000 : 0;
  if (e->conn) {
    Lease *lease = lease_get (e->conn);

    if (lease->dead) {
      /* closed between the take and now (same thread) */
      g_mutex_unlock (&pool_lock);
      entry_discard (e);
      return NULL;
    }
    g_assert (lease->io == td->io);
    lease_set_owner (lease, callbacks, user_data);
    conn = g_steal_pointer (&e->conn);
  } else {
    GIOStream *stream = g_steal_pointer (&e->stream);

    g_mutex_unlock (&pool_lock);
    conn = gst_resilient_conn_pool_wrap (td->io, stream, callbacks, user_data);
    g_object_unref (stream);
    gst_resilient_connection_start (conn);
    g_mutex_lock (&pool_lock);
  }
  n_taken++;
  g_mutex_unlock (&pool_lock);

  GST_INFO ("%s: reusing a %s connection (idle %" G_GUINT64_FORMAT " ms)",
      e->label, info.prewarmed ? "pre-warmed" : "pooled", info.idle_ms);
  entry_unref (e);
  if (taken)
    *taken = info;
  return conn;
}

/* ---------------------------------------------------------------------- */
/* pre-warming */

static void
on_prewarm_event (GSocketClientEvent event, GIOStream * connection,
    gpointer user_data)
{
  Entry *e = user_data;

  if (event == G_SOCKET_CLIENT_PROXY_NEGOTIATING) {
    g_mutex_lock (&pool_lock);
    e->via_proxy = TRUE;
    g_mutex_unlock (&pool_lock);
  }
}

/* With the lock: a taker waiting on another pre-warm of @e's key, which
 * @e, done first, serves instead (that one goes on for the next taker), or
 * NULL. */
static GTask *
steal_sibling_waiter (Entry * e)
{
  GQueue *q = g_hash_table_lookup (by_key, e->key);
  GList *l;

  for (l = q ? q->head : NULL; l; l = l->next) {
    Entry *other = l->data;

    if (other != e && other->waiter != NULL)
      return g_steal_pointer (&other->waiter);
  }
  return NULL;
}

/* On the entry's I/O thread; holds the connect's reference on @e. */
static void
on_prewarm_connected (GObject * source, GAsyncResult * result, gpointer data)
{
  Entry *e = data;
  GError *error = NULL;
  GIOStream *stream = gst_resilient_connect_finish (result, &error);
  GTask *waiter;

  g_mutex_lock (&pool_lock);
  if (!e->listed) {
    /* flushed, evicted or cancelled meanwhile */
    g_mutex_unlock (&pool_lock);
    if (stream) {
      g_io_stream_close (stream, NULL, NULL);
      g_object_unref (stream);
    }
    g_clear_error (&error);
    entry_unref (e);
    return;
  }
  waiter = g_steal_pointer (&e->waiter);
  if (waiter == NULL && stream != NULL)
    waiter = steal_sibling_waiter (e);
  if (waiter)
    ((TakeData *) g_task_get_task_data (waiter))->waiting_on = NULL;

  if (stream == NULL) {
    entry_unlist (e);
    g_mutex_unlock (&pool_lock);
    GST_INFO ("%s: pre-warming failed: %s", e->label, error->message);
    g_error_free (error);
    if (waiter)
      take_complete_later (waiter, NULL, NULL);
    entry_discard (e);
    entry_unref (e);
    return;
  }

  e->stream = stream;
  if (waiter) {
    /* straight to the taker that waited for it */
    entry_unlist (e);
    g_mutex_unlock (&pool_lock);
    GST_DEBUG ("%s: pre-warmed, handed to the waiting taker", e->label);
    take_complete_later (waiter, entry_ref (e), NULL);
    /* the list's reference and the connect's */
    entry_unref (e);
    entry_unref (e);
    return;
  }
  entry_start_idle (e);
  g_mutex_unlock (&pool_lock);
  GST_DEBUG ("%s: pre-warmed", e->label);
  entry_unref (e);
}

/* A scheduled pre-warm starts (its state already CONNECTING). */
static void
prewarm_start (Entry * e)
{
  g_mutex_lock (&pool_lock);
  n_prewarms++;
  g_mutex_unlock (&pool_lock);
  GST_DEBUG ("%s: pre-warming a connection", e->label);
  /* (the connect holds a reference until its callback; it copies the
   * options) */
  gst_resilient_connect_async (e->io, e->host, e->port, &e->options,
      e->connect_timeout_ms, e->cancellable, on_prewarm_connected,
      entry_ref (e));
}

/* On the entry's I/O thread: the delay is over. */
static gboolean
on_prewarm_due (gpointer data)
{
  Entry *e = data;
  GSource *timer;

  g_mutex_lock (&pool_lock);
  if (!e->listed || e->state != ENTRY_SCHEDULED) {
    g_mutex_unlock (&pool_lock);
    return G_SOURCE_REMOVE;
  }
  e->state = ENTRY_CONNECTING;
  timer = g_steal_pointer (&e->timer);
  g_mutex_unlock (&pool_lock);

  /* (being dispatched: it goes when this returns) */
  g_source_unref (timer);
  prewarm_start (e);
  return G_SOURCE_REMOVE;
}

/* Schedules a fresh connection to @t on @io when there is room: made after
 * GST_RESILIENT_CONN_POOL_PREWARM_DELAY_MS, or at once when someone asks
 * for it before. */
static void
prewarm (GstResilientIoContext * io, const GstResilientConnPoolTarget * t)
{
  Entry *e;

  if (t->options == NULL || t->host == NULL)
    return;

  e = entry_new (t, io, ENTRY_SCHEDULED);
  e->via_proxy = FALSE;
  e->host = g_strdup (t->host);
  e->port = t->port;
  e->connect_timeout_ms = t->connect_timeout_ms;
  gst_resilient_connect_options_copy (&e->options, t->options);
  e->has_options = TRUE;
  /* nobody to ask about a certificate that fails validation */
  e->options.accept_certificate = NULL;
  e->options.accept_certificate_data = NULL;
  e->options.event = on_prewarm_event;
  e->options.event_data = e;
  e->cancellable = g_cancellable_new ();

  g_mutex_lock (&pool_lock);
  if (n_users == 0 || key_count (t->key) >= GST_RESILIENT_CONN_POOL_MAX_PER_KEY
      || all.length >= GST_RESILIENT_CONN_POOL_MAX_TOTAL) {
    g_mutex_unlock (&pool_lock);
    entry_unref (e);
    return;
  }
  e->timer = gst_resilient_io_context_add_timeout (io,
      GST_RESILIENT_CONN_POOL_PREWARM_DELAY_MS, on_prewarm_due, entry_ref (e),
      (GDestroyNotify) entry_unref);
  /* (the list takes the creator's reference) */
  entry_list (e);
  g_mutex_unlock (&pool_lock);
  GST_DEBUG ("%s: pre-warm scheduled", e->label);
}

/* ---------------------------------------------------------------------- */
/* giving back */

gboolean
gst_resilient_conn_pool_give_back (GstResilientConnection * conn,
    const GstResilientConnPoolTarget * target, gboolean keep)
{
  Lease *lease;
  gboolean fit;
  GstResilientIoContext *io = NULL;
  Entry *e;
  GList *evicted = NULL, *l;

  g_return_val_if_fail (GST_IS_RESILIENT_CONNECTION (conn), FALSE);
  g_return_val_if_fail (target != NULL, FALSE);

  init_once ();
  lease = lease_get (conn);
  fit = lease != NULL && !lease->forbidden && target->key != NULL &&
      target->idle_timeout_ms > 0;
  if (lease)
    io = gst_resilient_io_context_ref (lease->io);

  if (!fit || !keep || lease->dead || !stream_still_idle (lease->stream, FALSE))
    goto close;

  e = entry_new (target, io, ENTRY_IDLE);
  g_mutex_lock (&pool_lock);
  if (n_users == 0) {
    g_mutex_unlock (&pool_lock);
    entry_unref (e);
    goto close;
  }
  make_room (e->key, &evicted);
  lease_set_owner (lease, NULL, NULL);
  e->conn = conn;
  lease->entry = e;
  entry_list (e);
  entry_start_idle (e);
  GST_DEBUG ("%s: connection back in the pool for %u ms", e->label,
      e->idle_timeout_ms);
  g_mutex_unlock (&pool_lock);

  for (l = evicted; l; l = l->next) {
    GST_DEBUG ("%s: evicted (pool full)", ((Entry *) l->data)->label);
    entry_discard (l->data);
  }
  g_list_free (evicted);
  gst_resilient_io_context_unref (io);
  return TRUE;

close:
  if (lease) {
    lease_set_owner (lease, NULL, NULL);
    lease->dead = TRUE;
  }
  gst_resilient_connection_close (conn);
  g_object_unref (conn);
  /* a server that closes after TEARDOWN: the next user gets a connection
   * made now */
  if (fit)
    prewarm (io, target);
  if (io)
    gst_resilient_io_context_unref (io);
  return FALSE;
}

/* ---------------------------------------------------------------------- */
/* users, flush, stats */

void
gst_resilient_conn_pool_flush (void)
{
  GList *victims = NULL, *waiters = NULL, *l;
  Entry *e;

  init_once ();
  g_mutex_lock (&pool_lock);
  while ((e = g_queue_peek_head (&all)) != NULL) {
    if (e->waiter) {
      ((TakeData *) g_task_get_task_data (e->waiter))->waiting_on = NULL;
      waiters = g_list_prepend (waiters, g_steal_pointer (&e->waiter));
    }
    entry_unlist (e);
    victims = g_list_prepend (victims, e);
  }
  g_mutex_unlock (&pool_lock);

  if (victims)
    GST_DEBUG ("flushing %u pooled connections", g_list_length (victims));
  for (l = waiters; l; l = l->next)
    take_complete_later (l->data, NULL, NULL);
  for (l = victims; l; l = l->next)
    entry_discard (l->data);
  g_list_free (waiters);
  g_list_free (victims);
}

void
gst_resilient_conn_pool_add_user (void)
{
  GList *l, *old_timers = NULL;

  init_once ();
  g_mutex_lock (&pool_lock);
  if (n_users++ == 0) {
    gint64 now = g_get_monotonic_time ();

    /* back in time: every entry gets its full idle time again */
    for (l = all.head; l; l = l->next) {
      Entry *e = l->data;
      gint64 left;

      if (!e->linger)
        continue;
      e->linger = FALSE;
      if (e->state != ENTRY_IDLE || e->timer == NULL)
        continue;
      left = (gint64) e->idle_timeout_ms - (now - e->idle_since) / 1000;
      old_timers = g_list_prepend (old_timers, g_steal_pointer (&e->timer));
      e->timer = gst_resilient_io_context_add_timeout (e->io,
          (guint) CLAMP (left, 1, G_MAXUINT), on_idle_timeout, entry_ref (e),
          (GDestroyNotify) entry_unref);
    }
  }
  GST_LOG ("%u users", n_users);
  g_mutex_unlock (&pool_lock);

  for (l = old_timers; l; l = l->next)
    destroy_source (l->data);
  g_list_free (old_timers);
}

void
gst_resilient_conn_pool_remove_user (void)
{
  GList *l, *old_timers = NULL;
  gboolean last;

  g_mutex_lock (&pool_lock);
  if (n_users == 0) {
    g_mutex_unlock (&pool_lock);
    g_critical ("gst_resilient_conn_pool_remove_user: no user");
    return;
  }
  last = (--n_users == 0);
  GST_LOG ("%u users", n_users);
  if (last) {
    /* no element running any more: what is pooled (or being pre-warmed,
     * for a restart that may follow) goes soon */
    for (l = all.head; l; l = l->next) {
      Entry *e = l->data;

      e->linger = TRUE;
      if (e->state == ENTRY_IDLE && e->timer) {
        old_timers = g_list_prepend (old_timers, g_steal_pointer (&e->timer));
        e->timer = gst_resilient_io_context_add_timeout (e->io,
            MAX (entry_idle_ms (e), 1), on_idle_timeout, entry_ref (e),
            (GDestroyNotify) entry_unref);
      }
    }
  }
  g_mutex_unlock (&pool_lock);

  /* (a timer being dispatched meanwhile finds its entry's timer replaced:
   * both may fire, the second finds the entry unlisted) */
  for (l = old_timers; l; l = l->next)
    destroy_source (l->data);
  g_list_free (old_timers);
}

void
gst_resilient_conn_pool_get_stats (GstResilientConnPoolStats * stats)
{
  GList *l;

  g_return_if_fail (stats != NULL);

  memset (stats, 0, sizeof (*stats));
  g_mutex_lock (&pool_lock);
  stats->users = n_users;
  for (l = all.head; l; l = l->next) {
    if (((Entry *) l->data)->state == ENTRY_IDLE)
      stats->idle++;
    else
      stats->connecting++;
  }
  stats->taken = n_taken;
  stats->prewarms = n_prewarms;
  g_mutex_unlock (&pool_lock);
}
