/* resilientrtsp
 * connector-http.c: step 3 of a connection attempt through an HTTP proxy
 * (see connector.c) — CONNECT, read without blocking and bounded; a 407
 * (or tinyproxy's 401) answered with Basic or Digest credentials from
 * auth.c, on the same connection when the proxy keeps it open, else on a
 * new one; then on to TLS.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "connector-private.h"

GST_DEBUG_CATEGORY_EXTERN (connector_debug);
#define GST_CAT_DEFAULT connector_debug

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
  gchar *key = gst_resilient_connector_format_host_port (data->proxy_host,
      data->proxy_port);
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
  gchar *key = gst_resilient_connector_format_host_port (data->proxy_host,
      data->proxy_port);

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
    gst_resilient_connector_return_new_error (task, GST_RESILIENT_ERROR_AUTH,
        "the proxy requires authentication: set proxy-id and proxy-pw "
        "(%u %s)", code, reason);
    goto failed;
  }
unsupported:
  {
    gst_resilient_connector_return_new_error (task, GST_RESILIENT_ERROR_AUTH,
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
    gst_resilient_connector_return_new_error (task, GST_RESILIENT_ERROR_AUTH,
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
  target = gst_resilient_connector_format_host_port (data->host, data->port);
  if (code == 407 || code == 401) {
    result = proxy_challenge (task, code, reason_text, lines, len - end);
  } else if (code == 403) {
    gst_resilient_connector_return_new_error (task,
        GST_RESILIENT_ERROR_FORBIDDEN,
        "the proxy refuses to connect to %s (403 %s)", target, reason_text);
  } else {
    gst_resilient_connector_return_new_error (task,
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
    gchar *text = gst_resilient_connector_excerpt (buf, len);

    gst_resilient_connector_return_new_error (task,
        GST_RESILIENT_ERROR_PROTOCOL,
        "the proxy does not speak HTTP (it answered \"%s\")", text);
    g_free (text);
    return ANSWER_FAILED;
  }
closed:
  {
    gst_resilient_connector_return_new_error (task,
        GST_RESILIENT_ERROR_CONNECTION_LOST,
        "the proxy closed the connection without answering");
    return ANSWER_FAILED;
  }
truncated:
  {
    gst_resilient_connector_return_new_error (task,
        GST_RESILIENT_ERROR_PROTOCOL,
        "the proxy closed the connection in the middle of its answer");
    return ANSWER_FAILED;
  }
too_long:
  {
    gst_resilient_connector_return_new_error (task,
        GST_RESILIENT_ERROR_PROTOCOL,
        "the proxy's answer is longer than %u bytes", HTTP_MAX_ANSWER);
    return ANSWER_FAILED;
  }
early_data:
  {
    gst_resilient_connector_return_new_error (task,
        GST_RESILIENT_ERROR_PROTOCOL,
        "the proxy sent %" G_GSIZE_FORMAT " bytes after its answer, before "
        "the server could speak", len - end);
    return ANSWER_FAILED;
  }
}

static void http_read_more (GTask * task);

/* The CONNECT again, on a new connection to the proxy. */
static void
http_reconnect (GTask * task)
{
  ConnectData *data = g_task_get_task_data (task);

  data->reused = FALSE;
  g_clear_object (&data->stream);
  gst_resilient_connector_tcp_start (task);
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
    gst_resilient_connector_return_error (task, error);
  } else if (n == 0) {
    /* it closed after all */
    http_reconnect (task);
  } else if ((data->discard -= n) > 0) {
    http_discard_more (task);
  } else {
    data->reused = TRUE;
    gst_resilient_connector_http_start (task);
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
    gst_resilient_connector_http_start (task);
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
      gst_resilient_connector_return_error (task, error);
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
      gst_resilient_connector_tls_start_or_finish (task);
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
      gst_resilient_connector_return_error (task, error);
    return;
  }
  if (data->answer)
    g_byte_array_set_size (data->answer, 0);
  else
    data->answer = g_byte_array_new ();
  http_read_more (task);
}

void
gst_resilient_connector_http_start (GTask * task)
{
  ConnectData *data = g_task_get_task_data (task);
  GOutputStream *out = g_io_stream_get_output_stream (data->stream);
  GString *req = g_string_new (NULL);
  gchar *ascii, *authority;

  data->step = "HTTP proxy handshake";
  ascii = g_hostname_to_ascii (data->host);
  authority =
      gst_resilient_connector_format_host_port (ascii ? ascii : data->host,
      data->port);
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
      gst_resilient_connector_return_new_error (task, GST_RESILIENT_ERROR_AUTH,
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
    gst_resilient_connector_free_secret (cred);
    gst_resilient_connector_free_secret (b64);
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
