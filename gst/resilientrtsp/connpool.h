/* resilientrtsp
 * connpool.h: the process-wide pool of idle RTSP control connections.
 *
 * A restart, a reconnect or a second element to the same server takes a
 * live control connection from the pool instead of making one, saving the
 * DNS lookup, the TCP connect, the proxy handshake and the TLS handshake.
 * A connection goes back to the pool after a TEARDOWN answered 2xx when
 * the server keeps it open (no "Connection: close"). A server that closes
 * it after TEARDOWN (gst-rtsp-server does, always) gets a fresh connection
 * made ahead instead ("pre-warmed", after a short delay, see
 * GST_RESILIENT_CONN_POOL_PREWARM_DELAY_MS), for whoever asks next.
 *
 * Key: what a connection was made for and with — the scheme's TLS, the
 * host (case-insensitive) and port, the proxy setting with its
 * credentials, the TLS validation flags, database and interaction (by
 * identity: the pool keeps a reference on them, so an address is never
 * reused for another object while a connection is pooled), and the RTSP
 * user and password. The secret parts go in as a salted SHA-256 only; the
 * key is never logged, only "rtsp[s]://host:port".
 *
 * Idle life: a pooled connection needs no keep-alive (it carries no RTSP
 * session); it is closed after its idle timeout, when the server closes it
 * or sends anything on it (watched while idle), and soon after the last
 * user of the pool goes (gst_resilient_conn_pool_remove_user(): every
 * element is a user from NULL→READY to READY→NULL, while it holds an I/O
 * thread): then every pooled connection stays at most
 * GST_RESILIENT_CONN_POOL_LINGER_MS (a restart is back by then), so
 * nothing is kept long for elements that stopped or went away (an element
 * stopped for good still leaves its pre-warmed connection for that long),
 * and the I/O threads are kept alive by pooled connections only briefly.
 * On take a connection that has become readable (an end of stream, a reset
 * or stray bytes) is discarded.
 * Limits: GST_RESILIENT_CONN_POOL_MAX_PER_KEY connections (idle or being
 * pre-warmed) per key, GST_RESILIENT_CONN_POOL_MAX_TOTAL in the process; a
 * connection given back beyond them evicts the oldest, a pre-warm is
 * skipped.
 *
 * I/O contexts: a connection that served a session stays bound to the I/O
 * context it was made on (its GstResilientConnection reads there); it is
 * only given to a taker on that same context. A pre-warmed connection has
 * never been read by anyone: it goes to a taker on any context.
 * A take with nothing idle waits for a pre-warm of its key: the oldest in
 * flight, else a scheduled one started at once; whichever pre-warm of the
 * key is done first serves it.
 * Connections of an HTTP tunnel (rtsph://) are never pooled, nor ones
 * whose TLS certificate the application accepted through its
 * accept-certificate handler although it failed validation (another
 * element might not).
 *
 * locking order: pool lock (global) → none. Completions (GTask) always run
 * from an idle source on the taker's context, never inside a pool call.
 */
#pragma once

#include <gio/gio.h>

#include "connection.h"
#include "iocontext.h"

G_BEGIN_DECLS

#define GST_RESILIENT_CONN_POOL_MAX_PER_KEY 4
#define GST_RESILIENT_CONN_POOL_MAX_TOTAL 256
/* A pre-warm starts this long after the connection it replaces was closed
 * (the stop it follows goes first), or at once when a take asks for it
 * before. */
#define GST_RESILIENT_CONN_POOL_PREWARM_DELAY_MS 100
/* With no user left, pooled connections stay at most this long. */
#define GST_RESILIENT_CONN_POOL_LINGER_MS 5000

/* Any thread. The pool takes and keeps connections only while it has
 * users. When the last one goes, every pooled connection (and every
 * pre-warm, once made) stays at most GST_RESILIENT_CONN_POOL_LINGER_MS
 * unless a user comes back meanwhile. */
G_GNUC_INTERNAL void gst_resilient_conn_pool_add_user (void);
G_GNUC_INTERNAL void gst_resilient_conn_pool_remove_user (void);

/**
 * gst_resilient_conn_pool_key:
 * @host: the server's host (an IPv6 literal with or without brackets)
 * @port: its port
 * @options: how the connection is made (TLS, proxy); the callbacks in it
 *   are not part of the key
 * @user: (nullable): the RTSP user
 * @password: (nullable): its password
 *
 * Pure. Returns: (transfer full): the pool key "rtsp[s]://host:port#digest"
 * (the digest covers everything else; never log it).
 */
G_GNUC_INTERNAL gchar *gst_resilient_conn_pool_key (const gchar * host, guint16 port,
    const GstResilientConnectOptions * options, const gchar * user,
    const gchar * password);

/**
 * gst_resilient_conn_pool_wrap:
 * @io: the I/O context the connection runs on
 * @stream: (transfer none): a connected stream (gst_resilient_connect_finish)
 * @callbacks: the owner's callbacks
 * @user_data: for @callbacks
 *
 * As gst_resilient_connection_new(), for a connection that may go back to
 * the pool later (gst_resilient_conn_pool_give_back()): the callbacks go
 * to the owner while it has it. Not started.
 */
G_GNUC_INTERNAL GstResilientConnection *gst_resilient_conn_pool_wrap (GstResilientIoContext * io,
    GIOStream * stream, const GstResilientConnectionCallbacks * callbacks,
    gpointer user_data);

/* Marks a stream as never to be pooled (its TLS certificate was accepted
 * by the application although it failed validation). Any thread. */
G_GNUC_INTERNAL void gst_resilient_conn_pool_forbid (GObject * stream);

/**
 * GstResilientConnPoolTarget:
 * @key: gst_resilient_conn_pool_key() of the connection
 * @host, @port, @options: how to make a fresh one (pre-warm); the
 *   callbacks in @options are ignored (a pre-warm has no
 *   accept-certificate handler: a certificate that fails validation fails
 *   it)
 * @connect_timeout_ms: for the pre-warm's connect, 0 = none
 * @idle_timeout_ms: how long a connection stays in the pool unused
 * @via_proxy: the connection went through a proxy
 */
typedef struct
{
  const gchar *key;
  const gchar *host;
  guint16 port;
  const GstResilientConnectOptions *options;
  guint connect_timeout_ms;
  guint idle_timeout_ms;
  gboolean via_proxy;
} GstResilientConnPoolTarget;

/**
 * gst_resilient_conn_pool_give_back:
 * @conn: (transfer full): a connection made by gst_resilient_conn_pool_wrap()
 *   or taken from the pool, whose TEARDOWN was answered 2xx; or any other
 *   connection (it is then just closed)
 * @target: what it was made for
 * @keep: the server keeps the connection (no "Connection: close")
 *
 * I/O thread of @conn. With @keep, a live connection goes back to the pool
 * (its callbacks go nowhere until taken: a message, interleaved data or
 * an end of stream while idle discards it); otherwise it is closed, and a
 * fresh connection to the same target is made ahead (pre-warmed) when the
 * pool has room and @conn was fit for pooling. Either way @conn is no
 * longer the caller's.
 *
 * Returns: TRUE when @conn itself went back to the pool.
 */
G_GNUC_INTERNAL gboolean gst_resilient_conn_pool_give_back (GstResilientConnection * conn,
    const GstResilientConnPoolTarget * target, gboolean keep);

/**
 * GstResilientConnPoolTaken:
 * @prewarmed: the connection was made ahead and never used before
 * @via_proxy: it goes through a proxy
 * @idle_ms: how long it waited in the pool (0 when the taker waited for
 *   its pre-warm to finish)
 */
typedef struct
{
  gboolean prewarmed;
  gboolean via_proxy;
  guint64 idle_ms;
} GstResilientConnPoolTaken;

/**
 * gst_resilient_conn_pool_take_async:
 * @io: the taker's I/O context; call from its thread
 * @key: the key of the connection wanted
 *
 * Looks for an idle connection of @key (bound to @io, or pre-warmed), the
 * newest first; when there is none but a pre-warm of @key is in flight
 * that nobody waits for, waits for it. @callback runs on @io's thread,
 * never before this returns.
 */
G_GNUC_INTERNAL void gst_resilient_conn_pool_take_async (GstResilientIoContext * io,
    const gchar * key, GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data);

/**
 * gst_resilient_conn_pool_take_finish:
 * @callbacks, @user_data: the new owner's connection callbacks
 * @taken: (out) (optional): about the connection
 *
 * On the taker's I/O thread (in the callback). Returns: (transfer full)
 * (nullable): a started connection whose callbacks go to @callbacks; NULL
 * without @error when there was none to take (connect as usual), NULL
 * with G_IO_ERROR_CANCELLED when cancelled.
 */
G_GNUC_INTERNAL GstResilientConnection *gst_resilient_conn_pool_take_finish (GAsyncResult * result,
    const GstResilientConnectionCallbacks * callbacks, gpointer user_data,
    GstResilientConnPoolTaken * taken, GError ** error);

/* For tests and stats. Any thread. */
typedef struct
{
  guint users;
  guint idle;                   /* connections waiting to be taken */
  guint connecting;             /* pre-warms in flight */
  guint64 taken;                /* connections handed out so far */
  guint64 prewarms;             /* pre-warms started so far */
} GstResilientConnPoolStats;

G_GNUC_INTERNAL void gst_resilient_conn_pool_get_stats (GstResilientConnPoolStats * stats);

/* Closes every pooled connection and cancels every pre-warm (as when the
 * last user goes), without changing the users. Any thread. */
G_GNUC_INTERNAL void gst_resilient_conn_pool_flush (void);

G_END_DECLS
