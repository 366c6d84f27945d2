/* resilientrtsp
 * httptunnel.c: RTSP over HTTP, the QuickTime/Apple scheme (see httptunnel.h
 * for the protocol).
 *
 * This file: the pure helpers (the GET answer's head parser, the base64
 * chunk encoder, the cookie) and the set-up — a GTask chain on the I/O
 * thread: connect GET, send it, read the answer, connect POST, send its
 * headers, all under one timer. The stream it hands out is in
 * httptunnel-stream.c.
 *
 * No locks: the set-up runs on the I/O thread only.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 25))
#include <sys/random.h>
#define HAVE_GETRANDOM 1
#endif

#include "httptunnel.h"
#include "httptunnel-private.h"
#include "connection.h"
#include "error.h"

GST_DEBUG_CATEGORY_STATIC (http_tunnel_debug);
#define GST_CAT_DEFAULT http_tunnel_debug

/* how much is read at a time while waiting for the GET answer's headers */
#define RESPONSE_READ_SIZE 4096
#define COOKIE_LEN 24

static void
init_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (http_tunnel_debug, "resilientrtsphttptunnel", 0,
        "resilientrtsp RTSP-over-HTTP tunnel");
    g_once_init_leave (&done, 1);
  }
}

/* ---------------------------------------------------------------------- */
/* Pure helpers */

static gboolean
is_tchar (guchar c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-.^_`|~", c));
}

static gboolean
is_token (const gchar * s, gsize len)
{
  gsize i;

  if (len == 0)
    return FALSE;
  for (i = 0; i < len; i++) {
    if (!is_tchar (s[i]))
      return FALSE;
  }
  return TRUE;
}

void
gst_resilient_http_response_clear (GstResilientHttpResponse * response)
{
  g_return_if_fail (response != NULL);

  g_clear_pointer (&response->reason, g_free);
  g_clear_pointer (&response->server_ip, g_free);
  response->status = 0;
  response->header_size = 0;
}

/* "HTTP/1.x NNN reason" */
static gboolean
parse_status_line (const gchar * line, gsize len,
    GstResilientHttpResponse * response)
{
  gsize pos = 5;

  /* the "HTTP/" prefix was checked by the caller */
  if (len < 8 || !g_ascii_isdigit (line[5]) || line[6] != '.'
      || !g_ascii_isdigit (line[7]))
    return FALSE;
  if (line[5] != '1')
    return FALSE;
  pos = 8;
  if (pos >= len || line[pos] != ' ')
    return FALSE;
  while (pos < len && line[pos] == ' ')
    pos++;
  if (pos + 3 > len || !g_ascii_isdigit (line[pos])
      || !g_ascii_isdigit (line[pos + 1]) || !g_ascii_isdigit (line[pos + 2]))
    return FALSE;
  response->status = (line[pos] - '0') * 100 + (line[pos + 1] - '0') * 10 +
      (line[pos + 2] - '0');
  if (response->status < 100)
    return FALSE;
  pos += 3;
  if (pos < len && line[pos] != ' ')
    return FALSE;
  while (pos < len && line[pos] == ' ')
    pos++;
  response->reason = g_strndup (line + pos, len - pos);
  return TRUE;
}

GstResilientHttpParseResult
gst_resilient_http_response_parse (const guint8 * data, gsize len,
    gsize max_bytes, GstResilientHttpResponse * response, GError ** error)
{
  const gchar *text = (const gchar *) data;
  gsize limit, pos = 0, i;
  gboolean first = TRUE;

  g_return_val_if_fail (data != NULL || len == 0,
      GST_RESILIENT_HTTP_PARSE_ERROR);
  g_return_val_if_fail (response != NULL, GST_RESILIENT_HTTP_PARSE_ERROR);

  memset (response, 0, sizeof (*response));
  if (max_bytes == 0)
    max_bytes = GST_RESILIENT_HTTP_TUNNEL_DEFAULT_MAX_RESPONSE_BYTES;

  if (len == 0)
    return GST_RESILIENT_HTTP_PARSE_NEED_MORE;

  /* say "not HTTP" as soon as the first bytes tell */
  if (memcmp (text, "HTTP/", MIN (len, 5)) != 0)
    goto not_http;

  limit = MIN (len, max_bytes);
  while (TRUE) {
    const gchar *nl = memchr (text + pos, '\n', limit - pos);
    gsize end;

    if (nl == NULL) {
      if (len >= max_bytes)
        goto too_large;
      /* check what we have of the line so far */
      for (i = pos; i < limit; i++) {
        if ((guchar) text[i] < 0x20 && text[i] != '\t' && text[i] != '\r')
          goto bad_char;
      }
      gst_resilient_http_response_clear (response);
      return GST_RESILIENT_HTTP_PARSE_NEED_MORE;
    }

    end = nl - text;
    /* CRLF or bare LF */
    while (end > pos && text[end - 1] == '\r')
      end--;
    for (i = pos; i < end; i++) {
      if (((guchar) text[i] < 0x20 && text[i] != '\t') || text[i] == 0x7f)
        goto bad_char;
    }

    if (first) {
      if (!parse_status_line (text + pos, end - pos, response))
        goto bad_status;
      first = FALSE;
    } else if (end == pos) {
      /* the blank line */
      response->header_size = (nl - text) + 1;
      return GST_RESILIENT_HTTP_PARSE_DONE;
    } else if (text[pos] == ' ' || text[pos] == '\t') {
      /* a folded continuation line (obsolete): nothing we need */
    } else {
      const gchar *colon = memchr (text + pos, ':', end - pos);
      gsize name_len;

      if (colon == NULL)
        goto bad_header;
      name_len = colon - (text + pos);
      if (!is_token (text + pos, name_len))
        goto bad_header;
      if (name_len == strlen ("x-server-ip-address") &&
          g_ascii_strncasecmp (text + pos, "x-server-ip-address",
              name_len) == 0) {
        gchar *value = g_strndup (colon + 1, text + end - (colon + 1));

        g_free (response->server_ip);
        response->server_ip = g_strstrip (value);
        if (*response->server_ip == '\0')
          g_clear_pointer (&response->server_ip, g_free);
      }
    }
    pos = (nl - text) + 1;
  }

  /* ERRORS */
not_http:
  {
    if (len >= 5 && memcmp (text, "RTSP/", 5) == 0) {
      g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_PROTOCOL,
          "the server answered the tunnel GET with RTSP, not HTTP "
          "(it does not support RTSP over HTTP tunnelling)");
    } else {
      g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_PROTOCOL,
          "the answer to the tunnel GET is not HTTP");
    }
    gst_resilient_http_response_clear (response);
    return GST_RESILIENT_HTTP_PARSE_ERROR;
  }
too_large:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_PROTOCOL,
        "the HTTP headers of the answer to the tunnel GET exceed %"
        G_GSIZE_FORMAT " bytes", max_bytes);
    gst_resilient_http_response_clear (response);
    return GST_RESILIENT_HTTP_PARSE_ERROR;
  }
bad_char:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_PROTOCOL,
        "the answer to the tunnel GET holds a control character (0x%02x) "
        "in its headers", (guchar) text[i]);
    gst_resilient_http_response_clear (response);
    return GST_RESILIENT_HTTP_PARSE_ERROR;
  }
bad_status:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_PROTOCOL,
        "malformed HTTP status line in the answer to the tunnel GET");
    gst_resilient_http_response_clear (response);
    return GST_RESILIENT_HTTP_PARSE_ERROR;
  }
bad_header:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_PROTOCOL,
        "malformed HTTP header line in the answer to the tunnel GET");
    gst_resilient_http_response_clear (response);
    return GST_RESILIENT_HTTP_PARSE_ERROR;
  }
}

gsize
gst_resilient_http_tunnel_encode (const GOutputVector * vectors,
    gsize n_vectors, gsize max_in, GByteArray * out)
{
  gsize total = 0, old, written = 0, i;
  gint state = 0, save = 0;

  g_return_val_if_fail (vectors != NULL || n_vectors == 0, 0);
  g_return_val_if_fail (out != NULL, 0);

  for (i = 0; i < n_vectors && total < max_in; i++)
    total += MIN (vectors[i].size, max_in - total);
  if (total == 0)
    return 0;

  old = out->len;
  g_byte_array_set_size (out, old + (total / 3 + 2) * 4 + 4);

  total = 0;
  for (i = 0; i < n_vectors && total < max_in; i++) {
    gsize take = MIN (vectors[i].size, max_in - total);

    if (take == 0)
      continue;
    written += g_base64_encode_step (vectors[i].buffer, take, FALSE,
        (gchar *) out->data + old + written, &state, &save);
    total += take;
  }
  written += g_base64_encode_close (FALSE, (gchar *) out->data + old + written,
      &state, &save);
  g_byte_array_set_size (out, old + written);

  return total;
}

gchar *
gst_resilient_http_tunnel_new_cookie (void)
{
  static const gchar alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  gchar *cookie = g_malloc (COOKIE_LEN + 1);
  guint n = 0;

  /* the cookie is what ties the POST to the GET: it must not be guessable */
  while (n < COOKIE_LEN) {
    guint8 rnd[64];
    gsize got = 0, i;

#ifdef HAVE_GETRANDOM
    {
      gssize r = getrandom (rnd, sizeof (rnd), 0);

      if (r > 0)
        got = r;
    }
#endif
    if (got == 0) {
      for (i = 0; i < sizeof (rnd); i++)
        rnd[i] = g_random_int_range (0, 256);
      got = sizeof (rnd);
    }
    /* rejection sampling keeps the characters uniform */
    for (i = 0; i < got && n < COOKIE_LEN; i++) {
      if (rnd[i] < 248)
        cookie[n++] = alphabet[rnd[i] % 62];
    }
  }
  cookie[COOKIE_LEN] = '\0';
  return cookie;
}

/* ---------------------------------------------------------------------- */
/* Set-up */

typedef struct
{
  GstResilientIoContext *io;
  gchar *host;                  /* without URL brackets */
  guint16 port;
  gchar *path;
  gchar *headers;               /* Host, User-Agent and extra headers, CRLF-terminated */
  gboolean ignore_x_server_reply;
  gsize max_response_bytes;
  guint timeout_ms;
  GCancellable *cancellable;    /* the caller's, or NULL */
  GAsyncReadyCallback callback;
  gpointer user_data;
  gboolean bad_path;
  gboolean have_connect;        /* else plain TCP */
  GstResilientConnectOptions connect;

  /* I/O thread, once started */
  gchar *what;                  /* "HTTP tunnel to host:port" */
  const gchar *step;            /* what we wait for, for the timeout message */
  GCancellable *child;          /* cancelled by the caller's or the timer */
  gulong cancelled_id;
  GSource *timer;
  gboolean timed_out;
  gint64 deadline;              /* monotonic µs, 0 without timeout */
  gchar *cookie;
  gchar *request;               /* the GET or POST head being sent */
  GIOStream *get_conn;
  GIOStream *post_conn;
  gchar *post_host;
  guint8 *response;             /* the GET answer so far */
  gsize response_len;
  gsize response_alloc;
  GBytes *prefix;               /* body bytes read with the headers */
} TunnelSetup;

static void
tunnel_setup_free (TunnelSetup * setup)
{
  if (setup->timer) {
    g_source_destroy (setup->timer);
    g_source_unref (setup->timer);
  }
  if (setup->cancelled_id)
    g_cancellable_disconnect (setup->cancellable, setup->cancelled_id);
  g_clear_object (&setup->child);
  g_clear_object (&setup->cancellable);
  if (setup->have_connect)
    gst_resilient_connect_options_clear (&setup->connect);
  g_clear_object (&setup->get_conn);
  g_clear_object (&setup->post_conn);
  g_clear_pointer (&setup->prefix, g_bytes_unref);
  gst_resilient_io_context_unref (setup->io);
  g_free (setup->host);
  g_free (setup->path);
  g_free (setup->headers);
  g_free (setup->what);
  g_free (setup->cookie);
  g_free (setup->request);
  g_free (setup->post_host);
  g_free (setup->response);
  g_free (setup);
}

/* Closes a connection of a failed set-up without blocking (a TLS close may
 * write), as connection.c does. I/O thread. */
static void
close_stream (GIOStream * stream)
{
  if (G_IS_SOCKET_CONNECTION (stream))
    g_io_stream_close (stream, NULL, NULL);
  else
    g_io_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
}

/* The set-up is over: the timer (which holds a reference on the task) and
 * the link to the caller's cancellable go. */
static void
tunnel_setup_done (TunnelSetup * setup)
{
  if (setup->timer) {
    g_source_destroy (setup->timer);
    g_clear_pointer (&setup->timer, g_source_unref);
  }
  if (setup->cancelled_id) {
    g_cancellable_disconnect (setup->cancellable, setup->cancelled_id);
    setup->cancelled_id = 0;
  }
}

/* Ends the set-up with @error (taken): the caller's cancellation stays
 * G_IO_ERROR_CANCELLED, the timer's becomes a timeout. */
static void
tunnel_setup_fail (GTask * task, GError * error)
{
  TunnelSetup *setup = g_task_get_task_data (task);

  tunnel_setup_done (setup);
  if (setup->get_conn)
    close_stream (setup->get_conn);
  if (setup->post_conn)
    close_stream (setup->post_conn);

  if (setup->timed_out) {
    GST_INFO ("%s: timed out after %u ms %s", setup->what, setup->timeout_ms,
        setup->step);
    g_clear_error (&error);
    error = g_error_new (GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_TIMEOUT,
        "%s: timed out after %u ms %s", setup->what, setup->timeout_ms,
        setup->step);
  } else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    GST_DEBUG ("%s: cancelled", setup->what);
  } else {
    GST_INFO ("%s", error->message);
  }
  g_task_return_error (task, error);
  g_object_unref (task);
}

/* Same, for an error of GIO or of the connector. */
static void
tunnel_setup_fail_gio (GTask * task, GError * error, const gchar * doing)
{
  TunnelSetup *setup = g_task_get_task_data (task);
  gchar *what;
  GError *err;

  if (setup->timed_out
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    tunnel_setup_fail (task, error);
    return;
  }
  what = g_strdup_printf ("%s (%s)", setup->what, doing);
  err = gst_resilient_error_new_from_gio (error, what);
  g_free (what);
  g_error_free (error);
  tunnel_setup_fail (task, err);
}

static gboolean
cancel_child (gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_REMOVE;
}

static void
on_caller_cancelled (GCancellable * cancellable, gpointer user_data)
{
  TunnelSetup *setup = user_data;

  /* any thread; @setup lives on (g_cancellable_disconnect waits for us).
   * The child is cancelled on the I/O thread: cancelling it here would
   * race with the I/O thread disposing of the sources that watch it, which
   * leaks one in GLib 2.74 */
  gst_resilient_io_context_invoke (setup->io, cancel_child,
      g_object_ref (setup->child), g_object_unref);
}

static gboolean
on_setup_timeout (gpointer user_data)
{
  GTask *task = user_data;
  TunnelSetup *setup = g_task_get_task_data (task);

  setup->timed_out = TRUE;
  g_cancellable_cancel (setup->child);
  return G_SOURCE_REMOVE;
}

/* What is left of the timeout for a connect; 0 for none. */
static guint
remaining_ms (TunnelSetup * setup)
{
  gint64 left;

  if (setup->deadline == 0)
    return 0;
  left = (setup->deadline - g_get_monotonic_time ()) / 1000;
  return (guint) CLAMP (left, 1, G_MAXUINT);
}

static void
tunnel_connect (TunnelSetup * setup, const gchar * host,
    GAsyncReadyCallback callback, GTask * task)
{
  if (setup->have_connect) {
    gst_resilient_connect_async (setup->io, host, setup->port,
        &setup->connect, remaining_ms (setup), setup->child, callback, task);
  } else {
    gst_resilient_connect_tcp_async (setup->io, host, setup->port,
        remaining_ms (setup), setup->child, callback, task);
  }
}

static GIOStream *
tunnel_connect_finish (TunnelSetup * setup, GAsyncResult * result,
    GError ** error)
{
  if (setup->have_connect)
    return gst_resilient_connect_finish (result, error);
  return gst_resilient_connect_tcp_finish (result, error);
}

static void
on_post_sent (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GTask *task = user_data;
  TunnelSetup *setup = g_task_get_task_data (task);
  GstResilientHttpTunnel *tunnel;
  GError *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result,
          NULL, &error)) {
    tunnel_setup_fail_gio (task, error, "sending the POST");
    return;
  }
  if (g_cancellable_is_cancelled (setup->child)) {
    tunnel_setup_fail (task, g_error_new_literal (G_IO_ERROR,
            G_IO_ERROR_CANCELLED, "cancelled"));
    return;
  }

  tunnel_setup_done (setup);
  tunnel = gst_resilient_http_tunnel_new_internal (g_steal_pointer
      (&setup->get_conn), g_steal_pointer (&setup->post_conn), setup->prefix,
      g_steal_pointer (&setup->cookie), g_steal_pointer (&setup->post_host));

  GST_DEBUG ("%s: tunnel %s ready, POST to %s, %" G_GSIZE_FORMAT
      " body bytes came with the GET answer", setup->what,
      gst_resilient_http_tunnel_get_cookie (tunnel),
      gst_resilient_http_tunnel_get_post_host (tunnel),
      setup->prefix ? g_bytes_get_size (setup->prefix) : 0);
  g_task_return_pointer (task, tunnel, g_object_unref);
  g_object_unref (task);
}

static gboolean
is_pollable_stream (GIOStream * stream)
{
  return G_IS_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream))
      && G_IS_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream));
}

static void
on_post_connected (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GTask *task = user_data;
  TunnelSetup *setup = g_task_get_task_data (task);
  GError *error = NULL;

  setup->post_conn = tunnel_connect_finish (setup, result, &error);
  if (setup->post_conn == NULL) {
    tunnel_setup_fail_gio (task, error, "POST connection");
    return;
  }
  if (!is_pollable_stream (setup->post_conn))
    goto not_pollable;

  g_free (setup->request);
  setup->request = g_strdup_printf ("POST %s HTTP/1.0\r\n"
      "%s"
      "x-sessioncookie: %s\r\n"
      "Content-Type: application/x-rtsp-tunnelled\r\n"
      "Pragma: no-cache\r\n"
      "Cache-Control: no-cache\r\n"
      "Expires: Sun, 9 Jan 1972 00:00:00 GMT\r\n"
      "Content-Length: %d\r\n"
      "\r\n", setup->path, setup->headers, setup->cookie,
      GST_RESILIENT_HTTP_TUNNEL_POST_CONTENT_LENGTH);
  setup->step = "sending the tunnel POST";
  g_output_stream_write_all_async (g_io_stream_get_output_stream
      (setup->post_conn), setup->request, strlen (setup->request),
      G_PRIORITY_DEFAULT, setup->child, on_post_sent, task);
  return;

  /* ERRORS */
not_pollable:
  {
    tunnel_setup_fail (task, g_error_new (GST_RESILIENT_ERROR,
            GST_RESILIENT_ERROR_INTERNAL, "%s: the POST connection is not "
            "pollable", setup->what));
    return;
  }
}

/* The answer's headers are in: check them, go on with the POST. */
static void
handle_response (GTask * task, GstResilientHttpResponse * response)
{
  TunnelSetup *setup = g_task_get_task_data (task);
  const gchar *post_host = setup->host;

  if (response->status != 200)
    goto bad_status;

  if (response->header_size < setup->response_len) {
    setup->prefix = g_bytes_new (setup->response + response->header_size,
        setup->response_len - response->header_size);
  }

  if (response->server_ip) {
    gchar *ip = response->server_ip;
    gsize len = strlen (ip);
    GInetAddress *addr;

    if (len >= 2 && ip[0] == '[' && ip[len - 1] == ']') {
      ip[len - 1] = '\0';
      ip++;
    }
    addr = g_inet_address_new_from_string (ip);
    if (addr == NULL) {
      GST_WARNING ("%s: ignoring x-server-ip-address, not an IP address",
          setup->what);
    } else if (setup->ignore_x_server_reply) {
      GST_INFO ("%s: ignoring x-server-ip-address %s as configured",
          setup->what, ip);
    } else if (setup->have_connect && setup->connect.tls) {
      /* the POST must verify the URL's host name, so it goes there */
      GST_INFO ("%s: ignoring x-server-ip-address %s over TLS", setup->what,
          ip);
    } else {
      setup->post_host = g_inet_address_to_string (addr);
      post_host = setup->post_host;
      GST_INFO ("%s: the POST goes to %s (x-server-ip-address)", setup->what,
          post_host);
    }
    g_clear_object (&addr);
  }
  if (setup->post_host == NULL)
    setup->post_host = g_strdup (setup->host);

  setup->step = "connecting the tunnel POST";
  tunnel_connect (setup, post_host, on_post_connected, task);
  return;

  /* ERRORS */
bad_status:
  {
    GstResilientErrorCode code = GST_RESILIENT_ERROR_PROTOCOL;

    if (response->status >= 300)
      code = gst_resilient_error_code_from_status (response->status);
    tunnel_setup_fail (task, g_error_new (GST_RESILIENT_ERROR, code,
            "%s: the tunnel GET %s was answered %u %s", setup->what,
            setup->path, response->status, response->reason));
    return;
  }
}

static void read_response (GTask * task);

static void
on_response_read (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GTask *task = user_data;
  TunnelSetup *setup = g_task_get_task_data (task);
  GstResilientHttpResponse response;
  GError *error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (n < 0) {
    tunnel_setup_fail_gio (task, error, "reading the GET answer");
    return;
  }
  if (n == 0)
    goto eof;
  setup->response_len += n;

  switch (gst_resilient_http_response_parse (setup->response,
          setup->response_len, setup->max_response_bytes, &response, &error)) {
    case GST_RESILIENT_HTTP_PARSE_NEED_MORE:
      read_response (task);
      return;
    case GST_RESILIENT_HTTP_PARSE_ERROR:
      goto parse_error;
    case GST_RESILIENT_HTTP_PARSE_DONE:
      GST_DEBUG ("%s: GET answered %u %s", setup->what, response.status,
          response.reason);
      handle_response (task, &response);
      gst_resilient_http_response_clear (&response);
      return;
  }
  g_assert_not_reached ();

  /* ERRORS */
eof:
  {
    if (setup->response_len == 0) {
      tunnel_setup_fail (task, g_error_new (GST_RESILIENT_ERROR,
              GST_RESILIENT_ERROR_CONNECTION_LOST, "%s: the server closed "
              "the connection without answering the tunnel GET", setup->what));
    } else {
      tunnel_setup_fail (task, g_error_new (GST_RESILIENT_ERROR,
              GST_RESILIENT_ERROR_PROTOCOL, "%s: the server closed the "
              "connection in the middle of the HTTP headers answering the "
              "tunnel GET", setup->what));
    }
    return;
  }
parse_error:
  {
    GError *err = g_error_new (GST_RESILIENT_ERROR, error->code, "%s: %s",
        setup->what, error->message);

    g_error_free (error);
    tunnel_setup_fail (task, err);
    return;
  }
}

static void
read_response (GTask * task)
{
  TunnelSetup *setup = g_task_get_task_data (task);
  gsize want;

  /* read at most the bound: a little body may come along, never more
   * than the bound in all */
  want = MIN (RESPONSE_READ_SIZE,
      setup->max_response_bytes - setup->response_len);
  g_assert (want > 0);
  if (setup->response_alloc < setup->response_len + want) {
    setup->response_alloc = setup->response_len + want;
    setup->response = g_realloc (setup->response, setup->response_alloc);
  }
  g_input_stream_read_async (g_io_stream_get_input_stream (setup->get_conn),
      setup->response + setup->response_len, want, G_PRIORITY_DEFAULT,
      setup->child, on_response_read, task);
}

static void
on_get_sent (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GTask *task = user_data;
  TunnelSetup *setup = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result,
          NULL, &error)) {
    tunnel_setup_fail_gio (task, error, "sending the GET");
    return;
  }
  setup->step = "waiting for the HTTP answer to the tunnel GET";
  read_response (task);
}

static void
on_get_connected (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GTask *task = user_data;
  TunnelSetup *setup = g_task_get_task_data (task);
  GError *error = NULL;

  setup->get_conn = tunnel_connect_finish (setup, result, &error);
  if (setup->get_conn == NULL) {
    tunnel_setup_fail_gio (task, error, "GET connection");
    return;
  }
  if (!is_pollable_stream (setup->get_conn))
    goto not_pollable;

  setup->request = g_strdup_printf ("GET %s HTTP/1.0\r\n"
      "%s"
      "x-sessioncookie: %s\r\n"
      "Accept: application/x-rtsp-tunnelled\r\n"
      "Pragma: no-cache\r\n"
      "Cache-Control: no-cache\r\n"
      "\r\n", setup->path, setup->headers, setup->cookie);
  setup->step = "sending the tunnel GET";
  g_output_stream_write_all_async (g_io_stream_get_output_stream
      (setup->get_conn), setup->request, strlen (setup->request),
      G_PRIORITY_DEFAULT, setup->child, on_get_sent, task);
  return;

  /* ERRORS */
not_pollable:
  {
    tunnel_setup_fail (task, g_error_new (GST_RESILIENT_ERROR,
            GST_RESILIENT_ERROR_INTERNAL, "%s: the GET connection is not "
            "pollable", setup->what));
    return;
  }
}

/* On the I/O thread, where the I/O context is the thread-default one: GTask
 * and the GIO streams' asynchronous calls dispatch there. */
static gboolean
tunnel_setup_start (gpointer user_data)
{
  TunnelSetup *setup = user_data;
  GTask *task;

  task = g_task_new (NULL, setup->cancellable, setup->callback,
      setup->user_data);
  g_task_set_source_tag (task, gst_resilient_http_tunnel_new_async);
  g_task_set_name (task, "gst_resilient_http_tunnel_new_async");
  g_task_set_task_data (task, setup, (GDestroyNotify) tunnel_setup_free);

  if (setup->bad_path)
    goto bad_path;

  if (setup->cancellable) {
    /* calls back at once if already cancelled */
    setup->cancelled_id = g_cancellable_connect (setup->cancellable,
        G_CALLBACK (on_caller_cancelled), setup, NULL);
  }
  if (setup->timeout_ms > 0) {
    setup->deadline = g_get_monotonic_time () +
        (gint64) setup->timeout_ms * 1000;
    setup->timer = gst_resilient_io_context_add_timeout (setup->io,
        setup->timeout_ms, on_setup_timeout, g_object_ref (task),
        g_object_unref);
  }

  GST_DEBUG ("%s: GET %s, cookie %s (timeout %u ms)", setup->what,
      setup->path, setup->cookie, setup->timeout_ms);
  setup->step = "connecting the tunnel GET";
  tunnel_connect (setup, setup->host, on_get_connected, task);

  return G_SOURCE_REMOVE;

  /* ERRORS */
bad_path:
  {
    GST_WARNING ("%s: request path holds spaces or control characters",
        setup->what);
    tunnel_setup_fail (task, g_error_new (GST_RESILIENT_ERROR,
            GST_RESILIENT_ERROR_BAD_URL, "%s: the request path holds spaces "
            "or control characters", setup->what));
    return G_SOURCE_REMOVE;
  }
}

static gboolean
header_value_ok (const gchar * value)
{
  return strpbrk (value, "\r\n") == NULL;
}

static gboolean
append_extra_header (GQuark field, const GValue * value, gpointer user_data)
{
  GString *headers = user_data;
  const gchar *name = g_quark_to_string (field);
  gchar *str;

  if (G_VALUE_HOLDS_STRING (value))
    str = g_value_dup_string (value);
  else
    str = gst_value_serialize (value);

  if (!is_token (name, strlen (name)) || str == NULL || !header_value_ok (str)) {
    GST_WARNING ("skipping extra HTTP header '%s': invalid name or value",
        name);
  } else if (!g_ascii_strcasecmp (name, "x-sessioncookie")
      || !g_ascii_strcasecmp (name, "content-length")
      || !g_ascii_strcasecmp (name, "content-type")) {
    GST_WARNING ("skipping extra HTTP header '%s': the tunnel sets it", name);
  } else {
    g_string_append_printf (headers, "%s: %s\r\n", name, str);
  }
  g_free (str);
  return TRUE;
}

static gboolean
path_ok (const gchar * path)
{
  const guchar *p;

  for (p = (const guchar *) path; *p; p++) {
    if (*p <= 0x20 || *p == 0x7f)
      return FALSE;
  }
  return TRUE;
}

void
gst_resilient_http_tunnel_new_async (GstResilientIoContext * io,
    const gchar * host, guint16 port, const gchar * path,
    const GstResilientHttpTunnelOptions * options, guint timeout_ms,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  TunnelSetup *setup;
  GString *headers;
  gsize len;

  g_return_if_fail (io != NULL);
  g_return_if_fail (host != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  init_debug ();

  setup = g_new0 (TunnelSetup, 1);
  setup->io = gst_resilient_io_context_ref (io);
  len = strlen (host);
  if (len >= 2 && host[0] == '[' && host[len - 1] == ']')
    setup->host = g_strndup (host + 1, len - 2);
  else
    setup->host = g_strdup (host);
  setup->port = port;
  if (path == NULL || *path == '\0')
    setup->path = g_strdup ("/");
  else if (path[0] != '/')
    setup->path = g_strconcat ("/", path, NULL);
  else
    setup->path = g_strdup (path);
  setup->timeout_ms = timeout_ms;
  setup->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  setup->child = g_cancellable_new ();
  setup->cookie = gst_resilient_http_tunnel_new_cookie ();
  if (strchr (setup->host, ':'))
    setup->what = g_strdup_printf ("HTTP tunnel to [%s]:%u", setup->host, port);
  else
    setup->what = g_strdup_printf ("HTTP tunnel to %s:%u", setup->host, port);

  headers = g_string_new (NULL);
  if (strchr (setup->host, ':'))
    g_string_append_printf (headers, "Host: [%s]:%u\r\n", setup->host, port);
  else
    g_string_append_printf (headers, "Host: %s:%u\r\n", setup->host, port);
  setup->max_response_bytes =
      GST_RESILIENT_HTTP_TUNNEL_DEFAULT_MAX_RESPONSE_BYTES;
  if (options) {
    if (options->user_agent && header_value_ok (options->user_agent))
      g_string_append_printf (headers, "User-Agent: %s\r\n",
          options->user_agent);
    else if (options->user_agent)
      GST_WARNING ("skipping User-Agent: it holds CR or LF");
    if (options->extra_headers)
      gst_structure_foreach (options->extra_headers, append_extra_header,
          headers);
    setup->ignore_x_server_reply = options->ignore_x_server_reply;
    if (options->connect) {
      setup->have_connect = TRUE;
      gst_resilient_connect_options_copy (&setup->connect, options->connect);
    }
    if (options->max_response_bytes > 0)
      setup->max_response_bytes = options->max_response_bytes;
  }
  setup->headers = g_string_free (headers, FALSE);

  setup->bad_path = !path_ok (setup->path);
  setup->callback = callback;
  setup->user_data = user_data;

  /* always asynchronous, even on the I/O thread */
  gst_resilient_io_context_invoke (io, tunnel_setup_start, setup, NULL);
}

GIOStream *
gst_resilient_http_tunnel_new_finish (GAsyncResult * result, GError ** error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result,
          gst_resilient_http_tunnel_new_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
