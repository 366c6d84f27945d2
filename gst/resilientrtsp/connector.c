/* resilientrtsp
 * connector.c: how a control channel is made. For now: resolve and connect
 * over TCP with GSocketClient (every resolved address in turn), under one
 * timeout for the whole attempt. Proxies, TLS and tunnels come later.
 *
 * Everything runs on the I/O thread: the attempt starts inside an invoke,
 * with the I/O context as thread-default, so GSocketClient's internal sources
 * and the GTask callback run there.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "connection.h"
#include "error.h"

#ifdef G_OS_UNIX
#include <netinet/in.h>
#include <netinet/tcp.h>
#endif

GST_DEBUG_CATEGORY_STATIC (connector_debug);
#define GST_CAT_DEFAULT connector_debug

typedef struct
{
  GstResilientIoContext *io;
  gchar *host;
  guint16 port;
  guint timeout_ms;
  GCancellable *cancellable;    /* the caller's, or NULL */
  GAsyncReadyCallback callback;
  gpointer user_data;

  /* I/O thread, once started */
  gchar *what;                  /* "connecting to host:port" */
  GCancellable *child;          /* cancelled by the caller's or the timer */
  gulong cancelled_id;
  GSource *timer;
  gboolean timed_out;
} ConnectData;

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

static void
connect_data_free (ConnectData * data)
{
  if (data->timer) {
    g_source_destroy (data->timer);
    g_source_unref (data->timer);
  }
  if (data->cancelled_id)
    g_cancellable_disconnect (data->cancellable, data->cancelled_id);
  g_clear_object (&data->child);
  g_clear_object (&data->cancellable);
  gst_resilient_io_context_unref (data->io);
  g_free (data->host);
  g_free (data->what);
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

  GST_INFO ("%s: timed out after %u ms", data->what, data->timeout_ms);
  data->timed_out = TRUE;
  g_cancellable_cancel (data->child);

  return G_SOURCE_REMOVE;
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

static void
on_connected (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  GSocketConnection *conn;
  GError *error = NULL;

  conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result,
      &error);

  /* the timer must not fire any more */
  if (data->timer) {
    g_source_destroy (data->timer);
    g_clear_pointer (&data->timer, g_source_unref);
  }

  if (conn == NULL)
    goto failed;

  set_tcp_nodelay (conn);
  GST_DEBUG ("%s: connected", data->what);
  g_task_return_pointer (task, conn, g_object_unref);
  g_object_unref (task);
  return;

  /* ERRORS */
failed:
  {
    GST_INFO ("%s: failed: %s", data->what, error->message);
    if (data->timed_out) {
      g_task_return_new_error (task, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_TIMEOUT, "%s: timed out after %u ms",
          data->what, data->timeout_ms);
    } else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      /* the caller's own cancellation stays G_IO_ERROR_CANCELLED */
      g_task_return_error (task, error);
      error = NULL;
    } else {
      g_task_return_error (task, gst_resilient_error_new_from_gio (error,
              data->what));
    }
    g_clear_error (&error);
    g_object_unref (task);
    return;
  }
}

/* On the I/O thread. */
static gboolean
connect_start (gpointer user_data)
{
  ConnectData *data = user_data;
  GMainContext *context = gst_resilient_io_context_get_main_context (data->io);
  GSocketClient *client;
  GSocketConnectable *address;
  GTask *task;

  /* GTask, GSocketClient and GResolver all use the thread-default context */
  g_main_context_push_thread_default (context);

  task = g_task_new (NULL, data->cancellable, data->callback, data->user_data);
  g_task_set_source_tag (task, gst_resilient_connect_tcp_async);
  g_task_set_name (task, "gst_resilient_connect_tcp_async");
  g_task_set_task_data (task, data, (GDestroyNotify) connect_data_free);

  if (strchr (data->host, ':'))
    data->what = g_strdup_printf ("connecting to [%s]:%u", data->host,
        data->port);
  else
    data->what = g_strdup_printf ("connecting to %s:%u", data->host,
        data->port);
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

  client = g_socket_client_new ();
  /* proxies are chosen by the connector itself (later), not by the
   * environment */
  g_socket_client_set_enable_proxy (client, FALSE);
  address = g_network_address_new (data->host, data->port);

  GST_DEBUG ("%s (timeout %u ms)", data->what, data->timeout_ms);
  g_socket_client_connect_async (client, address, data->child, on_connected,
      task);

  g_object_unref (address);
  g_object_unref (client);
  g_main_context_pop_thread_default (context);

  return G_SOURCE_REMOVE;
}

void
gst_resilient_connect_tcp_async (GstResilientIoContext * io,
    const gchar * host, guint16 port, guint timeout_ms,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
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
  data->timeout_ms = timeout_ms;
  data->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  data->callback = callback;
  data->user_data = user_data;

  /* always asynchronous, even on the I/O thread; the task is created there
   * so its callback runs there */
  gst_resilient_io_context_invoke (io, connect_start, data, NULL);
}

GIOStream *
gst_resilient_connect_tcp_finish (GAsyncResult * result, GError ** error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result,
          gst_resilient_connect_tcp_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
