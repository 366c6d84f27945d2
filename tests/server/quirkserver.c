/* resilientrtsp test support
 * quirkserver.c: a scriptable MOCK RTSP server. It is not an RTSP
 * implementation: it reads requests and answers each from a script (or a
 * canned default). See quirkserver.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "quirkserver.h"

#include <string.h>
#include <gio/gio.h>
#include <gst/rtsp/rtsp.h>

GST_DEBUG_CATEGORY_STATIC (rr_quirk_server_debug);
#define GST_CAT_DEFAULT rr_quirk_server_debug

/* a request head larger than this closes the connection */
#define MAX_HEAD_SIZE (64 * 1024)
/* a body larger than this closes the connection (no huge allocations) */
#define MAX_BODY_SIZE (1024 * 1024)
/* a client that does not read stalls the server at most this long */
#define WRITE_TIMEOUT_US (5 * G_USEC_PER_SEC)

#define SERVER_HEADER "Server: resilientrtsp-quirk-server (MOCK)\r\n"
#define SESSION_ID "1234"

/* 320x240 constrained-baseline H.264, as produced by x264enc */
#define SPROP_PARAMETER_SETS \
  "Z0LADNoFB+wFqDAwNSgAAAMACAAAAwD0eKFV,aM48gA=="
#define PROFILE_LEVEL_ID "42c00c"

static const gchar default_sdp[] =
    "v=0\r\n"
    "o=- 1234 1 IN IP4 127.0.0.1\r\n"
    "s=resilientrtsp quirk server (MOCK)\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "a=tool:resilientrtsp-quirk-server\r\n"
    "a=range:npt=0-\r\n"
    "a=control:*\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 packetization-mode=1;profile-level-id=" PROFILE_LEVEL_ID
    ";sprop-parameter-sets=" SPROP_PARAMETER_SETS "\r\n"
    "a=framerate:15\r\n" "a=control:track1\r\n";

typedef struct
{
  RrQuirkAction action;
  gchar *template_;
} RrQuirkRule;

typedef struct _RrQuirkConn RrQuirkConn;

/* locking order: lock is a leaf lock */
struct _RrQuirkServer
{
  /* set in _new, read-only afterwards (until _free) */
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  GSocket *listener;
  GSource *listen_source;
  guint port;

  GMutex lock;
  GCond cond;
  /* protected by lock: method (upper case) → RrQuirkRule * */
  GHashTable *rules;
  /* protected by lock: method (upper case) → count */
  GHashTable *counts;
  /* protected by lock: the Transport header of the last SETUP */
  gchar *last_transport;

  /* server thread only (and _free after the join): open connections */
  GList *conns;
  guint next_conn_id;
};

/* server thread only */
struct _RrQuirkConn
{
  RrQuirkServer *server;
  guint id;
  GSocket *socket;
  GSource *source;
  GByteArray *buf;
};

/* a parsed request; strings point into a copy of the head */
typedef struct
{
  gchar *head;
  const gchar *method;
  const gchar *uri;
  const gchar *cseq;
  const gchar *transport;
  gchar *path;
} RrQuirkRequest;

static void
rule_free (gpointer data)
{
  RrQuirkRule *rule = data;

  g_free (rule->template_);
  g_free (rule);
}

/* ---- writing and closing (server thread) ---- */

static gboolean
send_all (RrQuirkConn * conn, const gchar * data, gsize len)
{
  gint64 end_time = g_get_monotonic_time () + WRITE_TIMEOUT_US;
  GError *error = NULL;

  while (len > 0) {
    gssize n = g_socket_send (conn->socket, data, len, NULL, &error);

    if (n < 0) {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        goto failed;
      g_clear_error (&error);
      if (g_get_monotonic_time () >= end_time)
        goto timeout;
      g_socket_condition_timed_wait (conn->socket, G_IO_OUT,
          end_time - g_get_monotonic_time (), NULL, NULL);
      continue;
    }
    data += n;
    len -= n;
  }
  return TRUE;

  /* ERRORS */
failed:
  {
    GST_INFO ("MOCK conn %u: send failed: %s", conn->id, error->message);
    g_clear_error (&error);
    return FALSE;
  }
timeout:
  {
    GST_INFO ("MOCK conn %u: client does not read, giving up", conn->id);
    return FALSE;
  }
}

static void
conn_close (RrQuirkConn * conn)
{
  RrQuirkServer *s = conn->server;
  gchar drain[1024];

  GST_INFO ("MOCK conn %u: closing", conn->id);

  /* FIN first and read what is pending, so that the kernel does not reset
   * the connection (which could discard a reply the client has not read) */
  g_socket_shutdown (conn->socket, FALSE, TRUE, NULL);
  while (g_socket_receive (conn->socket, drain, sizeof (drain), NULL,
          NULL) > 0);
  g_socket_close (conn->socket, NULL);

  s->conns = g_list_remove (s->conns, conn);
  g_source_destroy (conn->source);
  g_source_unref (conn->source);
  g_object_unref (conn->socket);
  g_byte_array_unref (conn->buf);
  g_free (conn);
}

/* ---- replies ---- */

static gchar *
substitute (RrQuirkServer * s, const gchar * template_,
    const RrQuirkRequest * req)
{
  GString *out = g_string_new (NULL);
  const gchar *p = template_;

  while (*p != '\0') {
    if (*p == '{') {
      if (g_str_has_prefix (p, "{cseq}")) {
        g_string_append (out, req->cseq ? req->cseq : "");
        p += strlen ("{cseq}");
        continue;
      }
      if (g_str_has_prefix (p, "{cseq+1}")) {
        if (req->cseq != NULL)
          g_string_append_printf (out, "%" G_GUINT64_FORMAT,
              g_ascii_strtoull (req->cseq, NULL, 10) + 1);
        p += strlen ("{cseq+1}");
        continue;
      }
      if (g_str_has_prefix (p, "{transport}")) {
        g_string_append (out, req->transport ? req->transport : "");
        p += strlen ("{transport}");
        continue;
      }
      if (g_str_has_prefix (p, "{port}")) {
        g_string_append_printf (out, "%u", s->port);
        p += strlen ("{port}");
        continue;
      }
      if (g_str_has_prefix (p, "{url}")) {
        g_string_append_printf (out, "rtsp://127.0.0.1:%u%s", s->port,
            req->path);
        p += strlen ("{url}");
        continue;
      }
      if (g_str_has_prefix (p, "{sdp}")) {
        g_string_append (out, default_sdp);
        p += strlen ("{sdp}");
        continue;
      }
      if (g_str_has_prefix (p, "{sdp-length}")) {
        g_string_append_printf (out, "%" G_GSIZE_FORMAT, strlen (default_sdp));
        p += strlen ("{sdp-length}");
        continue;
      }
    }
    g_string_append_c (out, *p);
    p++;
  }

  return g_string_free (out, FALSE);
}

/* the first transport of the request, with server_port added for UDP */
static gchar *
setup_transport (RrQuirkServer * s, const gchar * transport)
{
  const gchar *end;
  gchar *first, *result;
  guint rtp_port;

  if (transport == NULL)
    return g_strdup ("RTP/AVP/TCP;unicast;interleaved=0-1");

  end = strchr (transport, ',');
  first = end ? g_strndup (transport, end - transport) : g_strdup (transport);
  g_strstrip (first);
  if (strstr (first, "interleaved=") != NULL || strstr (first, "/TCP") != NULL
      || strstr (first, "multicast") != NULL)
    return first;

  /* nobody listens there: the mock sends no media */
  rtp_port = s->port & ~1u;
  result = g_strdup_printf ("%s;server_port=%u-%u", first, rtp_port,
      rtp_port + 1);
  g_free (first);

  return result;
}

static gchar *
default_reply (RrQuirkServer * s, const RrQuirkRequest * req)
{
  GString *out = g_string_new ("RTSP/1.0 200 OK\r\n");
  gboolean known = TRUE;

  if (req->cseq != NULL)
    g_string_append_printf (out, "CSeq: %s\r\n", req->cseq);
  g_string_append (out, SERVER_HEADER);

  if (g_str_equal (req->method, "OPTIONS")) {
    g_string_append (out, "Public: OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, "
        "TEARDOWN, GET_PARAMETER, SET_PARAMETER\r\n");
  } else if (g_str_equal (req->method, "DESCRIBE")) {
    g_string_append_printf (out,
        "Content-Base: rtsp://127.0.0.1:%u%s%s\r\n"
        "Content-Type: application/sdp\r\n"
        "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n%s", s->port, req->path,
        g_str_has_suffix (req->path, "/") ? "" : "/", strlen (default_sdp),
        default_sdp);
    return g_string_free (out, FALSE);
  } else if (g_str_equal (req->method, "SETUP")) {
    gchar *transport = setup_transport (s, req->transport);

    g_string_append_printf (out, "Transport: %s\r\n"
        "Session: " SESSION_ID ";timeout=60\r\n", transport);
    g_free (transport);
  } else if (g_str_equal (req->method, "PLAY")) {
    g_string_append (out, "Session: " SESSION_ID "\r\n"
        "Range: npt=0.000-\r\n");
  } else if (g_str_equal (req->method, "PAUSE") ||
      g_str_equal (req->method, "TEARDOWN") ||
      g_str_equal (req->method, "GET_PARAMETER") ||
      g_str_equal (req->method, "SET_PARAMETER")) {
    g_string_append (out, "Session: " SESSION_ID "\r\n");
  } else {
    known = FALSE;
  }
  g_string_append (out, "\r\n");

  if (!known) {
    g_string_free (out, TRUE);
    out = g_string_new ("RTSP/1.0 501 Not Implemented\r\n");
    if (req->cseq != NULL)
      g_string_append_printf (out, "CSeq: %s\r\n", req->cseq);
    g_string_append (out, SERVER_HEADER "\r\n");
  }

  return g_string_free (out, FALSE);
}

/* returns FALSE when the connection was closed */
static gboolean
handle_request (RrQuirkConn * conn, const RrQuirkRequest * req)
{
  RrQuirkServer *s = conn->server;
  RrQuirkRule *rule;
  RrQuirkAction action = RR_QUIRK_REPLY;
  gchar *template_ = NULL, *reply = NULL;
  gboolean have_rule = FALSE, ok = TRUE;
  guint count;

  g_mutex_lock (&s->lock);
  count = GPOINTER_TO_UINT (g_hash_table_lookup (s->counts, req->method)) + 1;
  g_hash_table_insert (s->counts, g_strdup (req->method),
      GUINT_TO_POINTER (count));
  if (g_strcmp0 (req->method, "SETUP") == 0) {
    g_free (s->last_transport);
    s->last_transport = g_strdup (req->transport);
  }
  g_cond_broadcast (&s->cond);
  rule = g_hash_table_lookup (s->rules, req->method);
  if (rule != NULL) {
    have_rule = TRUE;
    action = rule->action;
    template_ = g_strdup (rule->template_);
  }
  g_mutex_unlock (&s->lock);

  GST_INFO ("MOCK conn %u: %s %s (CSeq %s), %s", conn->id, req->method,
      req->uri, req->cseq ? req->cseq : "none",
      have_rule ? "scripted" : "default");

  switch (action) {
    case RR_QUIRK_REPLY:
    case RR_QUIRK_REPLY_AND_CLOSE:
      reply = template_ ? substitute (s, template_, req) :
          default_reply (s, req);
      ok = send_all (conn, reply, strlen (reply));
      if (!ok || action == RR_QUIRK_REPLY_AND_CLOSE) {
        conn_close (conn);
        ok = FALSE;
      }
      break;
    case RR_QUIRK_CLOSE:
      conn_close (conn);
      ok = FALSE;
      break;
    case RR_QUIRK_SILENCE:
      break;
  }
  g_free (reply);
  g_free (template_);

  return ok;
}

/* ---- reading (server thread) ---- */

static gchar *
path_of_uri (const gchar * uri)
{
  GstRTSPUrl *url = NULL;
  gchar *path;

  if (uri != NULL && gst_rtsp_url_parse (uri, &url) == GST_RTSP_OK &&
      url->abspath != NULL && url->abspath[0] == '/')
    path = g_strdup (url->abspath);
  else
    path = g_strdup ("/");
  if (url != NULL)
    gst_rtsp_url_free (url);

  return path;
}

/* parses the head (request line and headers) in @head (NUL-terminated, is
 * modified); returns FALSE when there is no request line */
static gboolean
parse_head (gchar * head, RrQuirkRequest * req, gsize * content_length)
{
  gchar *line, *next, *colon, *sp;

  memset (req, 0, sizeof (*req));
  req->head = head;
  *content_length = 0;

  next = head;
  line = strsep (&next, "\n");
  g_strchomp (line);
  sp = strchr (line, ' ');
  if (sp == NULL || sp == line)
    return FALSE;
  *sp = '\0';
  req->method = line;
  req->uri = sp + 1;
  sp = strchr (sp + 1, ' ');
  if (sp != NULL)
    *sp = '\0';

  while (next != NULL && *next != '\0') {
    line = strsep (&next, "\n");
    g_strchomp (line);
    colon = strchr (line, ':');
    if (colon == NULL)
      continue;
    *colon = '\0';
    g_strstrip (line);
    colon = g_strstrip (colon + 1);
    if (g_ascii_strcasecmp (line, "CSeq") == 0)
      req->cseq = colon;
    else if (g_ascii_strcasecmp (line, "Transport") == 0)
      req->transport = colon;
    else if (g_ascii_strcasecmp (line, "Content-Length") == 0)
      *content_length = (gsize) g_ascii_strtoull (colon, NULL, 10);
  }
  req->path = path_of_uri (req->uri);

  return TRUE;
}

/* the end of the head ("\r\n\r\n" or "\n\n"), or 0 */
static gsize
find_head_end (const guint8 * data, gsize len)
{
  gsize i;

  for (i = 0; i + 1 < len; i++) {
    if (data[i] == '\n' && data[i + 1] == '\n')
      return i + 2;
    if (i + 3 < len && data[i] == '\r' && data[i + 1] == '\n' &&
        data[i + 2] == '\r' && data[i + 3] == '\n')
      return i + 4;
  }
  return 0;
}

/* handles what is complete in conn->buf; FALSE when the connection was
 * closed */
static gboolean
process_buffer (RrQuirkConn * conn)
{
  while (conn->buf->len > 0) {
    guint8 *data = conn->buf->data;
    gsize len = conn->buf->len, head_len, content_length;
    RrQuirkRequest req;
    gboolean ok;

    if (data[0] == '$') {
      /* interleaved data from the client (RTCP): skip it */
      gsize frame;

      if (len < 4)
        return TRUE;
      frame = 4 + ((gsize) data[2] << 8 | data[3]);
      if (len < frame)
        return TRUE;
      g_byte_array_remove_range (conn->buf, 0, frame);
      continue;
    }
    if (data[0] == '\r' || data[0] == '\n') {
      g_byte_array_remove_range (conn->buf, 0, 1);
      continue;
    }

    head_len = find_head_end (data, len);
    if (head_len == 0) {
      if (len > MAX_HEAD_SIZE)
        goto too_big;
      return TRUE;
    }

    if (!parse_head (g_strndup ((const gchar *) data, head_len), &req,
            &content_length)) {
      GST_INFO ("MOCK conn %u: no request line, ignoring %" G_GSIZE_FORMAT
          " bytes", conn->id, head_len);
      g_free (req.head);
      g_byte_array_remove_range (conn->buf, 0, head_len);
      continue;
    }
    if (content_length > MAX_BODY_SIZE) {
      g_free (req.head);
      g_free (req.path);
      goto too_big;
    }
    if (len < head_len + content_length) {
      g_free (req.head);
      g_free (req.path);
      return TRUE;
    }
    g_byte_array_remove_range (conn->buf, 0, head_len + content_length);

    ok = handle_request (conn, &req);
    g_free (req.head);
    g_free (req.path);
    if (!ok)
      return FALSE;
  }
  return TRUE;

  /* ERRORS */
too_big:
  {
    GST_INFO ("MOCK conn %u: request too large", conn->id);
    conn_close (conn);
    return FALSE;
  }
}

static gboolean
conn_readable (GSocket * socket, GIOCondition condition, gpointer user_data)
{
  RrQuirkConn *conn = user_data;
  guint8 data[4096];
  GError *error = NULL;
  gssize n;

  n = g_socket_receive (socket, (gchar *) data, sizeof (data), NULL, &error);
  if (n < 0) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_clear_error (&error);
      return G_SOURCE_CONTINUE;
    }
    GST_INFO ("MOCK conn %u: receive failed: %s", conn->id, error->message);
    g_clear_error (&error);
    conn_close (conn);
    return G_SOURCE_REMOVE;
  }
  if (n == 0) {
    GST_INFO ("MOCK conn %u: client closed", conn->id);
    conn_close (conn);
    return G_SOURCE_REMOVE;
  }

  g_byte_array_append (conn->buf, data, n);
  if (!process_buffer (conn))
    return G_SOURCE_REMOVE;

  return G_SOURCE_CONTINUE;
}

static gboolean
listener_readable (GSocket * socket, GIOCondition condition, gpointer user_data)
{
  RrQuirkServer *s = user_data;
  GSocket *client;
  RrQuirkConn *conn;
  GError *error = NULL;

  client = g_socket_accept (socket, NULL, &error);
  if (client == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
      GST_WARNING ("MOCK accept failed: %s", error->message);
    g_clear_error (&error);
    return G_SOURCE_CONTINUE;
  }
  g_socket_set_blocking (client, FALSE);

  conn = g_new0 (RrQuirkConn, 1);
  conn->server = s;
  conn->id = ++s->next_conn_id;
  conn->socket = client;
  conn->buf = g_byte_array_new ();
  conn->source = g_socket_create_source (client,
      G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (conn->source, (GSourceFunc) conn_readable, conn, NULL);
  g_source_attach (conn->source, s->context);
  s->conns = g_list_prepend (s->conns, conn);

  GST_INFO ("MOCK conn %u: accepted", conn->id);

  return G_SOURCE_CONTINUE;
}

static gpointer
server_thread_func (gpointer data)
{
  RrQuirkServer *s = data;

  g_main_context_push_thread_default (s->context);
  g_main_loop_run (s->loop);
  g_main_context_pop_thread_default (s->context);

  return NULL;
}

/* ---- public API ---- */

RrQuirkServer *
rr_quirk_server_new_full (guint port, GError ** error)
{
  RrQuirkServer *s;
  GInetAddress *inet;
  GSocketAddress *addr, *bound;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  g_return_val_if_fail (port <= 65535, NULL);

  GST_DEBUG_CATEGORY_INIT (rr_quirk_server_debug, "rrquirkserver", 0,
      "resilientrtsp quirk server (a scriptable MOCK, not an RTSP server)");

  s = g_new0 (RrQuirkServer, 1);
  g_mutex_init (&s->lock);
  g_cond_init (&s->cond);
  s->rules = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, rule_free);
  s->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  s->context = g_main_context_new ();
  s->loop = g_main_loop_new (s->context, FALSE);

  s->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, error);
  if (s->listener == NULL)
    goto failed;
  g_socket_set_blocking (s->listener, FALSE);

  inet = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  addr = g_inet_socket_address_new (inet, (guint16) port);
  g_object_unref (inet);
  if (!g_socket_bind (s->listener, addr, TRUE, error)) {
    g_object_unref (addr);
    goto failed;
  }
  g_object_unref (addr);
  if (!g_socket_listen (s->listener, error))
    goto failed;
  bound = g_socket_get_local_address (s->listener, error);
  if (bound == NULL)
    goto failed;
  s->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_object_unref (bound);

  s->listen_source = g_socket_create_source (s->listener, G_IO_IN, NULL);
  g_source_set_callback (s->listen_source, (GSourceFunc) listener_readable,
      s, NULL);
  g_source_attach (s->listen_source, s->context);

  s->thread = g_thread_new ("rrquirkserver", server_thread_func, s);

  GST_INFO ("MOCK quirk server (not an RTSP implementation) listening on "
      "rtsp://127.0.0.1:%u", s->port);

  return s;

  /* ERRORS */
failed:
  {
    GST_WARNING ("MOCK quirk server cannot listen on port %u", port);
    rr_quirk_server_free (s);
    return NULL;
  }
}

RrQuirkServer *
rr_quirk_server_new (void)
{
  GError *error = NULL;
  RrQuirkServer *s = rr_quirk_server_new_full (0, &error);

  if (s == NULL)
    g_error ("quirk server: %s", error ? error->message : "failed to start");

  return s;
}

void
rr_quirk_server_free (RrQuirkServer * s)
{
  g_return_if_fail (s != NULL);

  if (s->thread != NULL) {
    g_main_loop_quit (s->loop);
    g_thread_join (s->thread);
  }
  /* the thread is gone: the connections are ours now */
  while (s->conns != NULL)
    conn_close (s->conns->data);
  if (s->listen_source != NULL) {
    g_source_destroy (s->listen_source);
    g_source_unref (s->listen_source);
  }
  if (s->listener != NULL) {
    g_socket_close (s->listener, NULL);
    g_object_unref (s->listener);
  }
  g_main_loop_unref (s->loop);
  g_main_context_unref (s->context);
  g_hash_table_unref (s->rules);
  g_hash_table_unref (s->counts);
  g_free (s->last_transport);
  g_mutex_clear (&s->lock);
  g_cond_clear (&s->cond);
  g_free (s);
}

guint
rr_quirk_server_get_port (RrQuirkServer * s)
{
  g_return_val_if_fail (s != NULL, 0);

  return s->port;
}

gchar *
rr_quirk_server_get_url (RrQuirkServer * s, const gchar * path)
{
  g_return_val_if_fail (s != NULL, NULL);

  if (path == NULL)
    path = "";

  return g_strdup_printf ("rtsp://127.0.0.1:%u%s%s", s->port,
      path[0] == '/' || path[0] == '\0' ? "" : "/", path);
}

void
rr_quirk_server_set (RrQuirkServer * s, const gchar * method,
    RrQuirkAction action, const gchar * template_)
{
  RrQuirkRule *rule;

  g_return_if_fail (s != NULL);
  g_return_if_fail (method != NULL);

  rule = g_new0 (RrQuirkRule, 1);
  rule->action = action;
  rule->template_ = g_strdup (template_);

  g_mutex_lock (&s->lock);
  g_hash_table_insert (s->rules, g_ascii_strup (method, -1), rule);
  g_mutex_unlock (&s->lock);
}

void
rr_quirk_server_clear (RrQuirkServer * s, const gchar * method)
{
  gchar *key;

  g_return_if_fail (s != NULL);
  g_return_if_fail (method != NULL);

  key = g_ascii_strup (method, -1);
  g_mutex_lock (&s->lock);
  g_hash_table_remove (s->rules, key);
  g_mutex_unlock (&s->lock);
  g_free (key);
}

guint
rr_quirk_server_count (RrQuirkServer * s, const gchar * method)
{
  return rr_quirk_server_wait (s, method, 0, 0);
}

guint
rr_quirk_server_wait (RrQuirkServer * s, const gchar * method, guint count,
    guint timeout_ms)
{
  gint64 end_time;
  gchar *key;
  guint result;

  g_return_val_if_fail (s != NULL, 0);
  g_return_val_if_fail (method != NULL, 0);

  key = g_ascii_strup (method, -1);
  end_time = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;

  g_mutex_lock (&s->lock);
  while ((result = GPOINTER_TO_UINT (g_hash_table_lookup (s->counts,
                  key))) < count) {
    if (!g_cond_wait_until (&s->cond, &s->lock, end_time))
      break;
  }
  result = GPOINTER_TO_UINT (g_hash_table_lookup (s->counts, key));
  g_mutex_unlock (&s->lock);
  g_free (key);

  return result;
}

gboolean
rr_quirk_server_last_transport_has (RrQuirkServer * s, const gchar * text)
{
  gboolean has;

  g_mutex_lock (&s->lock);
  has = s->last_transport != NULL && strstr (s->last_transport, text) != NULL;
  g_mutex_unlock (&s->lock);
  return has;
}
