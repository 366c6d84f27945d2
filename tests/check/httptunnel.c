/* resilientrtsp
 * tests/check/httptunnel.c: RTSP over HTTP tunnelling.
 *
 *  - the pure helpers: the GET answer parser (split at every byte, garbage,
 *    bounds), the base64 chunk encoder (units decode on their own and as
 *    one stream), the cookie;
 *  - against the real gst-rtsp-server (its normal port takes the tunnel):
 *    OPTIONS, DESCRIBE, SETUP interleaved, PLAY, RTP frames, RTCP sent,
 *    TEARDOWN, all through GstResilientConnection on the tunnel; separately
 *    written base64 units (padding in the middle of the POST body);
 *    the same through a real HTTP CONNECT proxy (tinyproxy);
 *  - against a fake HTTP server played by the test thread with blocking
 *    streams: the requests' headers, body bytes that come with the answer's
 *    headers, the POST body, a writer that stops while the socket is full,
 *    403 / garbage / RTSP / endless headers / oversized headers / close,
 *    refused, cancel, x-server-ip-address honoured and ignored, close; and
 *    over TLS (a certificate made by the openssl CLI at test time).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/sdp/sdp.h>

#include "httptunnel.h"
#include "connection.h"
#include "error.h"
#include "framer.h"
#include "url.h"
#include "testserver.h"

/* generous bound for things that happen on the I/O thread or the server */
#define WAIT_US (30 * G_USEC_PER_SEC)
#define SET_UP_TIMEOUT_MS 20000

/* ---- pure helpers ---- */

static const gchar gst_rtsp_server_answer[] =
    "HTTP/1.0 200 OK\r\n"
    "Server: GStreamer RTSP Server\r\n"
    "Connection: close\r\n"
    "Cache-Control: no-store\r\n"
    "Pragma: no-cache\r\n"
    "X-Server-IP-Address: 127.0.0.1\r\n"
    "Content-Type: application/x-rtsp-tunnelled\r\n"
    "Date: Sat, 21 Nov 2026 07:45:45 GMT\r\n" "\r\n";

GST_START_TEST (test_parse_answer)
{
  GstResilientHttpResponse resp;
  GError *err = NULL;
  gsize len = strlen (gst_rtsp_server_answer), i;
  GByteArray *with_body = g_byte_array_new ();
  const gchar *body = "RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n$\001\000\002xy";

  fail_unless_equals_int (gst_resilient_http_response_parse ((const guint8 *)
          gst_rtsp_server_answer, len, 0, &resp, &err),
      GST_RESILIENT_HTTP_PARSE_DONE);
  fail_unless (err == NULL);
  fail_unless_equals_int (resp.status, 200);
  fail_unless_equals_string (resp.reason, "OK");
  fail_unless_equals_string (resp.server_ip, "127.0.0.1");
  fail_unless_equals_int (resp.header_size, len);
  gst_resilient_http_response_clear (&resp);

  /* body bytes after the headers are not part of them; split anywhere,
   * the answer is incomplete until the blank line is in */
  g_byte_array_append (with_body, (const guint8 *) gst_rtsp_server_answer, len);
  g_byte_array_append (with_body, (const guint8 *) body, strlen (body));
  for (i = 0; i <= with_body->len; i++) {
    GstResilientHttpParseResult res;

    res = gst_resilient_http_response_parse (with_body->data, i, 0, &resp,
        &err);
    fail_unless (err == NULL, "%s", err ? err->message : "");
    if (i < len) {
      fail_unless_equals_int (res, GST_RESILIENT_HTTP_PARSE_NEED_MORE);
    } else {
      fail_unless_equals_int (res, GST_RESILIENT_HTTP_PARSE_DONE);
      fail_unless_equals_int (resp.header_size, len);
      fail_unless_equals_int (resp.status, 200);
    }
    gst_resilient_http_response_clear (&resp);
  }
  g_byte_array_unref (with_body);

  /* bare LF, no reason, a folded line, bracketed IPv6, extra spaces */
  {
    const gchar *a = "HTTP/1.1 200\nX-Other: a\n  folded\n"
        "x-server-ip-address:   [::1]  \n\nrest";

    fail_unless_equals_int (gst_resilient_http_response_parse ((const guint8
                *) a, strlen (a), 0, &resp, &err),
        GST_RESILIENT_HTTP_PARSE_DONE);
    fail_unless_equals_int (resp.status, 200);
    fail_unless_equals_string (resp.reason, "");
    fail_unless_equals_string (resp.server_ip, "[::1]");
    fail_unless_equals_int (resp.header_size, strlen (a) - 4);
    gst_resilient_http_response_clear (&resp);
  }

  /* a refusal parses: the caller decides */
  {
    const gchar *a = "HTTP/1.0 403 Forbidden\r\n\r\n";

    fail_unless_equals_int (gst_resilient_http_response_parse ((const guint8
                *) a, strlen (a), 0, &resp, &err),
        GST_RESILIENT_HTTP_PARSE_DONE);
    fail_unless_equals_int (resp.status, 403);
    fail_unless_equals_string (resp.reason, "Forbidden");
    fail_unless (resp.server_ip == NULL);
    gst_resilient_http_response_clear (&resp);
  }
}

GST_END_TEST;

static void
expect_parse_error (const gchar * data, gsize len, gsize max,
    const gchar * in_message)
{
  GstResilientHttpResponse resp;
  GError *err = NULL;

  fail_unless_equals_int (gst_resilient_http_response_parse ((const guint8 *)
          data, len, max, &resp, &err), GST_RESILIENT_HTTP_PARSE_ERROR);
  fail_unless (g_error_matches (err, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_PROTOCOL), "%s", err ? err->message : "none");
  if (in_message)
    fail_unless (strstr (err->message, in_message) != NULL, "%s", err->message);
  fail_unless (resp.reason == NULL && resp.server_ip == NULL);
  g_error_free (err);
}

GST_START_TEST (test_parse_errors)
{
  GString *big = g_string_new ("HTTP/1.0 200 OK\r\n");
  guint i;

  /* garbage is told at once, without waiting for a line end */
  expect_parse_error ("G", 1, 0, "not HTTP");
  expect_parse_error ("\x16\x03\x01", 3, 0, "not HTTP");
  expect_parse_error ("HTTP/1.0 200 OK\r\n\001\r\n\r\n", 22, 0, "control");
  expect_parse_error ("HTTP/1.0 200 OK\r\nX: a\000b\r\n\r\n", 27, 0, "control");
  /* a server that speaks RTSP only */
  expect_parse_error ("RTSP/1.0 400 Bad Request\r\n\r\n", 28, 0, "RTSP");
  /* malformed status lines and headers */
  expect_parse_error ("HTTP/1.0 2x0 OK\r\n\r\n", 19, 0, "status");
  expect_parse_error ("HTTP/2.0 200 OK\r\n\r\n", 19, 0, "status");
  expect_parse_error ("HTTP/1.0200 OK\r\n\r\n", 18, 0, "status");
  expect_parse_error ("HTTP/1.0 200OK\r\n\r\n", 18, 0, "status");
  expect_parse_error ("HTTP/1.0 200 OK\r\nno colon\r\n\r\n", 29, 0, "header");
  expect_parse_error ("HTTP/1.0 200 OK\r\nbad name: x\r\n\r\n", 31, 0,
      "header");

  /* the bound: headers never ending within it */
  for (i = 0; i < 100; i++)
    g_string_append_printf (big, "X-Filler-%u: %s\r\n", i,
        "0123456789012345678901234567890123456789");
  expect_parse_error (big->str, big->len, 1024, "exceed 1024");
  /* … also when the bytes stop in the middle of a line */
  expect_parse_error (big->str, 1024, 1024, "exceed 1024");
  /* within the bound it is only incomplete */
  {
    GstResilientHttpResponse resp;
    GError *err = NULL;

    fail_unless_equals_int (gst_resilient_http_response_parse ((const guint8
                *) big->str, 1023, 1024, &resp, &err),
        GST_RESILIENT_HTTP_PARSE_NEED_MORE);
    fail_unless (err == NULL);
  }
  g_string_free (big, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_encode)
{
  guint8 data[40];
  GByteArray *stream = g_byte_array_new ();
  GByteArray *decoded = g_byte_array_new ();
  GByteArray *expected = g_byte_array_new ();
  gint state = 0;
  guint save = 0;
  gsize i, len;

  for (i = 0; i < sizeof (data); i++)
    data[i] = (guint8) (i * 37 + 1);

  /* units of every length mod 3, each of 1–3 vectors, concatenated */
  for (len = 0; len <= 20; len++) {
    GOutputVector vecs[3];
    gsize before = stream->len, n;
    guchar *unit;
    gsize unit_len;
    gchar *text;

    vecs[0].buffer = data;
    vecs[0].size = len / 3;
    vecs[1].buffer = data + len / 3;
    vecs[1].size = 0;
    vecs[2].buffer = data + len / 3;
    vecs[2].size = len - len / 3;
    n = gst_resilient_http_tunnel_encode (vecs, 3, 1024, stream);
    fail_unless_equals_int (n, len);
    if (len == 0) {
      /* nothing to write: no unit at all */
      fail_unless_equals_int (stream->len, before);
      continue;
    }
    g_byte_array_append (expected, data, len);

    /* a complete unit: length a multiple of 4, no line breaks, and it
     * decodes on its own (servers that decode each chunk) */
    fail_unless_equals_int ((stream->len - before) % 4, 0);
    text = g_strndup ((const gchar *) stream->data + before,
        stream->len - before);
    fail_unless (strchr (text, '\n') == NULL);
    unit = g_base64_decode (text, &unit_len);
    fail_unless_equals_int (unit_len, len);
    fail_unless (memcmp (unit, data, len) == 0);
    g_free (unit);
    g_free (text);
  }

  /* the whole body decoded as one stream with g_base64_decode_step, as
   * gst-rtsp-server does, fed in pieces of 7 bytes */
  for (i = 0; i < stream->len; i += 7) {
    gsize piece = MIN (7, stream->len - i);
    gsize old = decoded->len;

    g_byte_array_set_size (decoded, old + piece);
    g_byte_array_set_size (decoded, old +
        g_base64_decode_step ((const gchar *) stream->data + i, piece,
            decoded->data + old, &state, &save));
  }
  fail_unless_equals_int (decoded->len, expected->len);
  fail_unless (memcmp (decoded->data, expected->data, expected->len) == 0);

  /* the cap */
  {
    GOutputVector vecs[2] = { {data, 10}, {data + 10, 10} };

    g_byte_array_set_size (stream, 0);
    fail_unless_equals_int (gst_resilient_http_tunnel_encode (vecs, 2, 13,
            stream), 13);
    fail_unless_equals_int (stream->len, 20);
    fail_unless_equals_int (gst_resilient_http_tunnel_encode (vecs, 0, 13,
            stream), 0);
    fail_unless_equals_int (stream->len, 20);
  }

  g_byte_array_unref (stream);
  g_byte_array_unref (decoded);
  g_byte_array_unref (expected);
}

GST_END_TEST;

GST_START_TEST (test_cookie)
{
  gchar *a = gst_resilient_http_tunnel_new_cookie ();
  gchar *b = gst_resilient_http_tunnel_new_cookie ();
  const gchar *p;

  fail_unless (strlen (a) >= 22);
  for (p = a; *p; p++)
    fail_unless (g_ascii_isalnum (*p), "%s", a);
  fail_unless (g_strcmp0 (a, b) != 0);
  g_free (a);
  g_free (b);
}

GST_END_TEST;

/* ---- shared fixture: the tunnel's result and a connection on it ---- */

typedef struct
{
  GIOStream *stream;
  GError *error;
  gboolean on_io_thread;
} Result;

typedef enum
{
  EV_MESSAGE,
  EV_DATA,
  EV_CLOSED,
} EventType;

typedef struct
{
  EventType type;
  GstRTSPMessage *msg;
  guint8 channel;
  GstBuffer *buf;
  GError *error;
} Event;

typedef struct
{
  GstResilientIoContext *io;
  GAsyncQueue *results;
  GAsyncQueue *events;
  GCancellable *cancellable;
  GstResilientConnection *conn;
} Fixture;

static void
result_free (Result * r)
{
  g_clear_object (&r->stream);
  g_clear_error (&r->error);
  g_free (r);
}

static void
event_free (Event * ev)
{
  if (ev->msg)
    gst_rtsp_message_free (ev->msg);
  if (ev->buf)
    gst_buffer_unref (ev->buf);
  g_clear_error (&ev->error);
  g_free (ev);
}

static Fixture *
fixture_new (void)
{
  Fixture *f = g_new0 (Fixture, 1);

  f->io = gst_resilient_io_context_get ();
  f->results = g_async_queue_new_full ((GDestroyNotify) result_free);
  f->events = g_async_queue_new_full ((GDestroyNotify) event_free);
  f->cancellable = g_cancellable_new ();
  return f;
}

static gboolean
close_conn (gpointer data)
{
  gst_resilient_connection_close (data);
  return G_SOURCE_REMOVE;
}

static gboolean
start_conn (gpointer data)
{
  gst_resilient_connection_start (data);
  return G_SOURCE_REMOVE;
}

static gboolean
noop (gpointer data)
{
  return G_SOURCE_REMOVE;
}

static void
fixture_free (Fixture * f)
{
  if (f->conn) {
    gst_resilient_io_context_invoke_sync (f->io, close_conn, f->conn);
    g_clear_object (&f->conn);
  }
  /* let pending work (and the references it holds) run out */
  gst_resilient_io_context_invoke_sync (f->io, noop, NULL);
  gst_resilient_io_context_invoke_sync (f->io, noop, NULL);
  g_async_queue_unref (f->results);
  g_async_queue_unref (f->events);
  g_object_unref (f->cancellable);
  gst_resilient_io_context_unref (f->io);
  g_free (f);
}

static void
on_tunnel (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Fixture *f = user_data;
  Result *r = g_new0 (Result, 1);

  r->on_io_thread = gst_resilient_io_context_is_current (f->io);
  r->stream = gst_resilient_http_tunnel_new_finish (result, &r->error);
  g_async_queue_push (f->results, r);
}

static void
fixture_open (Fixture * f, const gchar * host, guint16 port,
    const gchar * path, const GstResilientHttpTunnelOptions * options,
    guint timeout_ms)
{
  gst_resilient_http_tunnel_new_async (f->io, host, port, path, options,
      timeout_ms, f->cancellable, on_tunnel, f);
}

static Result *
fixture_result (Fixture * f)
{
  Result *r = g_async_queue_timeout_pop (f->results, WAIT_US);

  fail_unless (r != NULL, "no result from the tunnel set-up");
  fail_unless (r->on_io_thread);
  fail_unless ((r->stream == NULL) != (r->error == NULL));
  return r;
}

/* The set-up's error; checks its domain and code. */
static Result *
fixture_expect_error (Fixture * f, GQuark domain, gint code)
{
  Result *r = fixture_result (f);

  fail_unless (r->error != NULL, "the tunnel was set up");
  fail_unless (g_error_matches (r->error, domain, code),
      "wrong error %s %d: %s", g_quark_to_string (r->error->domain),
      r->error->code, r->error->message);
  return r;
}

static void
on_message (GstResilientConnection * conn, GstRTSPMessage * msg,
    gpointer user_data)
{
  Fixture *f = user_data;
  Event *ev = g_new0 (Event, 1);

  ev->type = EV_MESSAGE;
  ev->msg = msg;
  g_async_queue_push (f->events, ev);
}

static void
on_data (GstResilientConnection * conn, guint8 channel, GstBuffer * buf,
    gpointer user_data)
{
  Fixture *f = user_data;
  Event *ev = g_new0 (Event, 1);

  ev->type = EV_DATA;
  ev->channel = channel;
  ev->buf = buf;
  g_async_queue_push (f->events, ev);
}

static void
on_closed (GstResilientConnection * conn, const GError * error,
    gpointer user_data)
{
  Fixture *f = user_data;
  Event *ev = g_new0 (Event, 1);

  ev->type = EV_CLOSED;
  ev->error = g_error_copy (error);
  g_async_queue_push (f->events, ev);
}

static const GstResilientConnectionCallbacks callbacks = {
  on_message, on_data, on_closed
};

static void
fixture_start_connection (Fixture * f, GIOStream * stream)
{
  f->conn = gst_resilient_connection_new (f->io, stream, &callbacks, f);
  fail_unless (f->conn != NULL);
  gst_resilient_io_context_invoke_sync (f->io, start_conn, f->conn);
}

static Event *
fixture_pop (Fixture * f)
{
  Event *ev = g_async_queue_timeout_pop (f->events, WAIT_US);

  fail_unless (ev != NULL, "no event from the connection");
  return ev;
}

/* The next RTSP message, skipping interleaved frames. */
static GstRTSPMessage *
fixture_pop_message (Fixture * f, guint * frames)
{
  while (TRUE) {
    Event *ev = fixture_pop (f);
    GstRTSPMessage *msg;

    fail_unless (ev->type != EV_CLOSED, "connection closed: %s",
        ev->error->message);
    if (ev->type == EV_DATA) {
      if (frames)
        (*frames)++;
      event_free (ev);
      continue;
    }
    msg = ev->msg;
    ev->msg = NULL;
    event_free (ev);
    return msg;
  }
}

/* ---- against the real gst-rtsp-server ---- */

static GstRTSPMessage *
new_request (GstRTSPMethod method, const gchar * url, guint cseq)
{
  GstRTSPMessage *msg;
  gchar *s = g_strdup_printf ("%u", cseq);

  fail_unless_equals_int (gst_rtsp_message_new_request (&msg, method, url),
      GST_RTSP_OK);
  gst_rtsp_message_add_header (msg, GST_RTSP_HDR_CSEQ, s);
  gst_rtsp_message_add_header (msg, GST_RTSP_HDR_USER_AGENT,
      "resilientrtsp-httptunnel-test");
  g_free (s);
  return msg;
}

/* Sends @msg (taken) and returns the response (interleaved frames that
 * arrive meanwhile are counted into @frames). */
static GstRTSPMessage *
exchange (Fixture * f, GstRTSPMessage * msg, guint * frames)
{
  GstRTSPMessage *resp;
  GstRTSPStatusCode code;
  gchar *cseq = NULL, *rcseq = NULL;

  gst_rtsp_message_get_header (msg, GST_RTSP_HDR_CSEQ, &cseq, 0);
  fail_unless (gst_resilient_connection_send_message (f->conn, msg));
  resp = fixture_pop_message (f, frames);
  fail_unless_equals_int (gst_rtsp_message_get_type (resp),
      GST_RTSP_MESSAGE_RESPONSE);
  gst_rtsp_message_parse_response (resp, &code, NULL, NULL);
  fail_unless_equals_int (code, GST_RTSP_STS_OK);
  gst_rtsp_message_get_header (resp, GST_RTSP_HDR_CSEQ, &rcseq, 0);
  fail_unless_equals_string (rcseq, cseq);
  gst_rtsp_message_free (msg);
  return resp;
}

static gboolean
is_rtp (GstBuffer * buf)
{
  guint8 b[2];

  return gst_buffer_get_size (buf) >= 12 &&
      gst_buffer_extract (buf, 0, b, 2) == 2 && (b[0] >> 6) == 2 &&
      ((b[1] & 0x7f) < 72 || (b[1] & 0x7f) > 76);
}

/* The next close of the connection, skipping interleaved frames. */
static void
fixture_wait_closed (Fixture * f)
{
  while (TRUE) {
    Event *ev = fixture_pop (f);
    EventType type = ev->type;

    fail_unless (type != EV_MESSAGE, "unexpected message");
    if (type == EV_CLOSED)
      fail_unless (g_error_matches (ev->error, GST_RESILIENT_ERROR,
              GST_RESILIENT_ERROR_CONNECTION_LOST), "%s", ev->error->message);
    event_free (ev);
    if (type == EV_CLOSED)
      return;
  }
}

/* Frees the server while our connections on it are idle, then our side.
 * Closing ours first would have the server's client thread handle that
 * close while rr_test_server_free() closes the same client from the
 * server thread: gst-rtsp-server 1.22 races there (a use-after-free
 * critical in libgstrtsp, seen about once in 50 runs). @f2 may be NULL. */
static void
free_server_then_fixtures (RrTestServer * server, Fixture * f, Fixture * f2)
{
  rr_test_server_free (server);
  if (f->conn)
    fixture_wait_closed (f);
  fixture_free (f);
  if (f2) {
    if (f2->conn)
      fixture_wait_closed (f2);
    fixture_free (f2);
  }
}

/* A new tunnel and an OPTIONS exchange on it: the server's client thread
 * (one for all clients, gst-rtsp-server's default) has then finished what
 * it was doing for earlier clients. Returns the idle fixture. */
static Fixture *
server_barrier (RrTestServer * server, const gchar * url)
{
  Fixture *f = fixture_new ();
  GstRTSPMessage *resp;
  Result *r;

  fixture_open (f, "127.0.0.1", rr_test_server_get_port (server), "/", NULL,
      SET_UP_TIMEOUT_MS);
  r = fixture_result (f);
  fail_unless (r->error == NULL, "%s", r->error ? r->error->message : "");
  fixture_start_connection (f, r->stream);
  resp = exchange (f, new_request (GST_RTSP_OPTIONS, url, 1), NULL);
  gst_rtsp_message_free (resp);
  result_free (r);
  return f;
}

GST_START_TEST (test_real_server_session)
{
  RrTestServerConfig config = { 0, };
  RrTestServer *server;
  Fixture *f = fixture_new (), *barrier;
  GstResilientHttpTunnel *tunnel;
  GstRTSPMessage *resp, *msg;
  GstSDPMessage *sdp;
  const GstSDPMedia *media;
  gchar *url, *base = NULL, *control, *session_id;
  gchar *value;
  guint8 *body;
  guint body_size, frames = 0, rtp = 0, cseq = 1;
  Result *r;

  config.with_audio = FALSE;
  server = rr_test_server_new (&config);
  url = rr_test_server_get_url (server, "/video");

  fixture_open (f, "127.0.0.1", rr_test_server_get_port (server), "/video",
      NULL, SET_UP_TIMEOUT_MS);
  r = fixture_result (f);
  fail_unless (r->error == NULL, "%s", r->error ? r->error->message : "");
  fail_unless (GST_IS_RESILIENT_HTTP_TUNNEL (r->stream));
  tunnel = GST_RESILIENT_HTTP_TUNNEL (r->stream);
  /* gst-rtsp-server names its own address */
  fail_unless_equals_string (gst_resilient_http_tunnel_get_post_host (tunnel),
      "127.0.0.1");
  fail_unless (G_IS_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream
          (r->stream)));
  fail_unless (G_IS_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream
          (r->stream)));
  fixture_start_connection (f, r->stream);

  resp = exchange (f, new_request (GST_RTSP_OPTIONS, url, cseq++), NULL);
  fail_unless (gst_rtsp_message_get_header (resp, GST_RTSP_HDR_PUBLIC,
          &value, 0) == GST_RTSP_OK);
  fail_unless (strstr (value, "DESCRIBE") != NULL);
  gst_rtsp_message_free (resp);

  msg = new_request (GST_RTSP_DESCRIBE, url, cseq++);
  gst_rtsp_message_add_header (msg, GST_RTSP_HDR_ACCEPT, "application/sdp");
  resp = exchange (f, msg, NULL);
  if (gst_rtsp_message_get_header (resp, GST_RTSP_HDR_CONTENT_BASE, &value,
          0) == GST_RTSP_OK)
    base = g_strdup (value);
  else
    base = g_strdup (url);
  gst_rtsp_message_get_body (resp, &body, &body_size);
  fail_unless (body_size > 0);
  gst_sdp_message_new (&sdp);
  fail_unless_equals_int (gst_sdp_message_parse_buffer (body, body_size, sdp),
      GST_SDP_OK);
  fail_unless (gst_sdp_message_medias_len (sdp) >= 1);
  media = gst_sdp_message_get_media (sdp, 0);
  fail_unless_equals_string (gst_sdp_media_get_media (media), "video");
  control = gst_resilient_url_resolve_control (base,
      gst_sdp_media_get_attribute_val (media, "control"));
  gst_sdp_message_free (sdp);
  gst_rtsp_message_free (resp);

  msg = new_request (GST_RTSP_SETUP, control, cseq++);
  gst_rtsp_message_add_header (msg, GST_RTSP_HDR_TRANSPORT,
      "RTP/AVP/TCP;unicast;interleaved=0-1");
  resp = exchange (f, msg, NULL);
  fail_unless (gst_rtsp_message_get_header (resp, GST_RTSP_HDR_TRANSPORT,
          &value, 0) == GST_RTSP_OK);
  fail_unless (strstr (value, "interleaved=0-1") != NULL, "%s", value);
  fail_unless (gst_rtsp_message_get_header (resp, GST_RTSP_HDR_SESSION,
          &value, 0) == GST_RTSP_OK);
  session_id = g_strndup (value, strcspn (value, ";"));
  gst_rtsp_message_free (resp);

  msg = new_request (GST_RTSP_PLAY, base, cseq++);
  gst_rtsp_message_add_header (msg, GST_RTSP_HDR_SESSION, session_id);
  resp = exchange (f, msg, &frames);
  gst_rtsp_message_free (resp);

  /* RTP on channel 0 through the GET body */
  while (rtp < 10) {
    Event *ev = fixture_pop (f);

    fail_unless (ev->type == EV_DATA, "unexpected event %d", ev->type);
    fail_unless (ev->channel == 0 || ev->channel == 1);
    if (ev->channel == 0) {
      fail_unless (is_rtp (ev->buf));
      rtp++;
    }
    event_free (ev);
  }

  /* RTCP from us through the POST body: a receiver report (8 bytes, not a
   * multiple of 3, so its base64 unit ends in padding), after which the
   * server must still parse our TEARDOWN */
  {
    static const guint8 rr[8] = { 0x80, 201, 0, 1, 0x12, 0x34, 0x56, 0x78 };
    GstBuffer *buf = gst_buffer_new_memdup (rr, sizeof (rr));

    fail_unless (gst_resilient_connection_send_data (f->conn, 1, buf));
    gst_buffer_unref (buf);
  }

  msg = new_request (GST_RTSP_TEARDOWN, base, cseq++);
  gst_rtsp_message_add_header (msg, GST_RTSP_HDR_SESSION, session_id);
  resp = exchange (f, msg, &frames);
  gst_rtsp_message_free (resp);

  fail_unless_equals_int (rr_test_server_count_requests (server,
          GST_RTSP_SETUP), 1);
  fail_unless_equals_int (rr_test_server_count_requests (server,
          GST_RTSP_PLAY), 1);
  fail_unless_equals_int (rr_test_server_count_requests (server,
          GST_RTSP_TEARDOWN), 1);

  /* the same race with the TEARDOWN still being handled by the server's
   * client thread: let it answer another client first */
  barrier = server_barrier (server, url);

  result_free (r);
  g_free (session_id);
  g_free (control);
  g_free (base);
  g_free (url);
  free_server_then_fixtures (server, f, barrier);
}

GST_END_TEST;

typedef struct
{
  GIOStream *stream;
  const gchar *url;
} WriteData;

/* I/O thread: three requests of lengths ≡ 0, 1 and 2 (mod 3), each written
 * on its own, so each is its own base64 unit and two end in padding. */
static gboolean
write_three_options (gpointer user_data)
{
  WriteData *wd = user_data;
  GPollableOutputStream *out =
      G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (wd->stream));
  guint mods = 0, cseq;

  for (cseq = 1; cseq <= 3; cseq++) {
    GstRTSPMessage *msg = new_request (GST_RTSP_OPTIONS, wd->url, cseq);
    GBytes *bytes;
    gsize size, pad = 0;
    const guint8 *data;
    GError *err = NULL;

    /* pad with a header until the length has the residue we want */
    do {
      gchar *v = g_strnfill (pad++, 'x');

      gst_rtsp_message_remove_header_by_name (msg, "X-Pad", -1);
      gst_rtsp_message_add_header_by_name (msg, "X-Pad", v);
      g_free (v);
      bytes = gst_resilient_message_serialize (msg);
      size = g_bytes_get_size (bytes);
      if (size % 3 == cseq - 1)
        break;
      g_bytes_unref (bytes);
    } while (TRUE);
    mods |= 1 << (size % 3);
    data = g_bytes_get_data (bytes, NULL);
    fail_unless_equals_int (g_pollable_output_stream_write_nonblocking (out,
            data, size, NULL, &err), size);
    g_bytes_unref (bytes);
    gst_rtsp_message_free (msg);
  }
  fail_unless_equals_int (mods, 7);
  return G_SOURCE_REMOVE;
}

GST_START_TEST (test_real_server_padding_mid_stream)
{
  RrTestServerConfig config = { 0, };
  RrTestServer *server;
  Fixture *f = fixture_new ();
  WriteData wd;
  gchar *url;
  guint cseq;
  Result *r;

  config.with_audio = FALSE;
  server = rr_test_server_new (&config);
  url = rr_test_server_get_url (server, "/video");

  fixture_open (f, "127.0.0.1", rr_test_server_get_port (server), "/video",
      NULL, SET_UP_TIMEOUT_MS);
  r = fixture_result (f);
  fail_unless (r->error == NULL, "%s", r->error ? r->error->message : "");

  wd.stream = r->stream;
  wd.url = url;
  gst_resilient_io_context_invoke_sync (f->io, write_three_options, &wd);

  fixture_start_connection (f, r->stream);
  for (cseq = 1; cseq <= 3; cseq++) {
    GstRTSPMessage *resp = fixture_pop_message (f, NULL);
    GstRTSPStatusCode code;
    gchar *value, *expected = g_strdup_printf ("%u", cseq);

    gst_rtsp_message_parse_response (resp, &code, NULL, NULL);
    fail_unless_equals_int (code, GST_RTSP_STS_OK);
    gst_rtsp_message_get_header (resp, GST_RTSP_HDR_CSEQ, &value, 0);
    fail_unless_equals_string (value, expected);
    g_free (expected);
    gst_rtsp_message_free (resp);
  }
  fail_unless_equals_int (rr_test_server_count_requests (server,
          GST_RTSP_OPTIONS), 3);

  result_free (r);
  g_free (url);
  free_server_then_fixtures (server, f, NULL);
}

GST_END_TEST;

/* ---- the fake HTTP server: blocking streams on the test thread ---- */

static GSocket *
listen_on (const gchar * address, guint16 * port, gint rcvbuf)
{
  GSocket *sock;
  GInetAddress *addr;
  GSocketAddress *saddr, *local;
  GError *err = NULL;

  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, &err);
  fail_unless (sock != NULL, "%s", err ? err->message : "");
  if (rcvbuf > 0)
    fail_unless (g_socket_set_option (sock, SOL_SOCKET, SO_RCVBUF, rcvbuf,
            NULL));
  addr = g_inet_address_new_from_string (address);
  saddr = g_inet_socket_address_new (addr, *port);
  if (!g_socket_bind (sock, saddr, FALSE, &err)) {
    g_object_unref (saddr);
    g_object_unref (addr);
    g_object_unref (sock);
    g_clear_error (&err);
    return NULL;
  }
  fail_unless (g_socket_listen (sock, &err), "%s", err ? err->message : "");
  local = g_socket_get_local_address (sock, NULL);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  g_socket_set_blocking (sock, TRUE);
  g_socket_set_timeout (sock, 30);
  g_object_unref (local);
  g_object_unref (saddr);
  g_object_unref (addr);
  return sock;
}

/* An accepted socket as a stream; TLS (handshake done) when @cert is set. */
static GIOStream *
peer_stream (GSocket * sock, GTlsCertificate * cert)
{
  GIOStream *stream;
  GError *err = NULL;

  g_socket_set_blocking (sock, TRUE);
  g_socket_set_timeout (sock, 30);
  stream = G_IO_STREAM (g_socket_connection_factory_create_connection (sock));
  g_object_unref (sock);
  if (cert) {
    GIOStream *tls = g_tls_server_connection_new (stream, cert, &err);

    fail_unless (tls != NULL, "%s", err ? err->message : "");
    g_object_unref (stream);
    fail_unless (g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL,
            &err), "server handshake: %s", err ? err->message : "");
    stream = tls;
  }
  return stream;
}

static GIOStream *
accept_one (GSocket * listener, GTlsCertificate * cert)
{
  GError *err = NULL;
  GSocket *peer = g_socket_accept (listener, NULL, &err);

  fail_unless (peer != NULL, "accept: %s", err ? err->message : "");
  return peer_stream (peer, cert);
}

/* A pending connection on @listener, without waiting; NULL if none. */
static GIOStream *
accept_pending (GSocket * listener)
{
  GSocket *peer;

  g_socket_set_blocking (listener, FALSE);
  peer = g_socket_accept (listener, NULL, NULL);
  g_socket_set_blocking (listener, TRUE);
  return peer ? peer_stream (peer, NULL) : NULL;
}

static void
peer_send (GIOStream * peer, const gchar * data, gsize len)
{
  GError *err = NULL;

  fail_unless (g_output_stream_write_all (g_io_stream_get_output_stream
          (peer), data, len, NULL, NULL, &err), "send: %s",
      err ? err->message : "");
}

static void
peer_send_str (GIOStream * peer, const gchar * str)
{
  peer_send (peer, str, strlen (str));
}

/* An HTTP request head, read a byte at a time so nothing after it is
 * consumed. */
static gchar *
read_head (GIOStream * peer)
{
  GString *head = g_string_new (NULL);
  GInputStream *in = g_io_stream_get_input_stream (peer);
  GError *err = NULL;

  while (!g_str_has_suffix (head->str, "\r\n\r\n")) {
    gchar c;
    gssize n = g_input_stream_read (in, &c, 1, NULL, &err);

    fail_unless (n == 1, "receive: %s", n == 0 ? "EOF" : err->message);
    g_string_append_c (head, c);
    fail_unless (head->len < 16384);
  }
  return g_string_free (head, FALSE);
}

/* The value of header @name in @head (case-insensitive), or NULL. */
static gchar *
head_get (const gchar * head, const gchar * name)
{
  gchar **lines = g_strsplit (head, "\r\n", -1);
  gchar *value = NULL;
  guint i;

  for (i = 1; lines[i] && value == NULL; i++) {
    gchar *colon = strchr (lines[i], ':');

    if (colon && (gsize) (colon - lines[i]) == strlen (name) &&
        g_ascii_strncasecmp (lines[i], name, strlen (name)) == 0)
      value = g_strstrip (g_strdup (colon + 1));
  }
  g_strfreev (lines);
  return value;
}

static void
check_header (const gchar * head, const gchar * name, const gchar * expected)
{
  gchar *value = head_get (head, name);

  fail_unless (value != NULL, "no %s header in\n%s", name, head);
  if (expected)
    fail_unless_equals_string (value, expected);
  g_free (value);
}

/* Reads until the client closes; FALSE on a read timeout. */
static gboolean
peer_wait_eof (GIOStream * peer)
{
  GInputStream *in = g_io_stream_get_input_stream (peer);
  gchar buf[4096];

  while (TRUE) {
    GError *err = NULL;
    gssize n = g_input_stream_read (in, buf, sizeof (buf), NULL, &err);

    if (n == 0)
      return TRUE;
    if (n < 0) {
      gboolean timeout = g_error_matches (err, G_IO_ERROR,
          G_IO_ERROR_TIMED_OUT);

      /* a reset, or TLS ending without close_notify, is a close too */
      g_error_free (err);
      return !timeout;
    }
  }
}

/* Decodes the POST body until @len bytes came out. */
static GByteArray *
read_post_body (GIOStream * peer, gsize len)
{
  GInputStream *in = g_io_stream_get_input_stream (peer);
  GByteArray *out = g_byte_array_sized_new (len + 64);
  gint state = 0;
  guint save = 0;
  gchar buf[16384];
  GError *err = NULL;

  while (out->len < len) {
    gssize n = g_input_stream_read (in, buf, sizeof (buf), NULL, &err);
    guint old = out->len;

    fail_unless (n > 0, "receive: %s (%u of %" G_GSIZE_FORMAT " bytes)",
        n == 0 ? "EOF" : err->message, out->len, len);
    g_byte_array_set_size (out, old + (n / 4 + 1) * 3);
    g_byte_array_set_size (out, old + g_base64_decode_step (buf, n,
            out->data + old, &state, &save));
  }
  fail_unless_equals_int (out->len, len);
  return out;
}

typedef struct
{
  GSocket *listener;
  GSocket *listener2;           /* on 127.0.0.2, same port, or NULL */
  guint16 port;
  GTlsCertificate *cert;        /* TLS when set */
  GIOStream *get;
  GIOStream *post;
  gchar *get_head;
  gchar *post_head;
} FakeServer;

static FakeServer *
fake_server_new (gint rcvbuf)
{
  FakeServer *s = g_new0 (FakeServer, 1);

  s->listener = listen_on ("127.0.0.1", &s->port, rcvbuf);
  return s;
}

/* Both 127.0.0.1:P and 127.0.0.2:P. */
static FakeServer *
fake_server_new_two_addresses (void)
{
  guint tries;

  for (tries = 0; tries < 20; tries++) {
    FakeServer *s = fake_server_new (0);
    guint16 port = s->port;

    s->listener2 = listen_on ("127.0.0.2", &port, 0);
    if (s->listener2)
      return s;
    g_object_unref (s->listener);
    g_free (s);
  }
  fail ("no port free on both 127.0.0.1 and 127.0.0.2");
  return NULL;
}

static void
fake_server_drop_peers (FakeServer * s)
{
  g_clear_object (&s->get);
  g_clear_object (&s->post);
  g_clear_pointer (&s->get_head, g_free);
  g_clear_pointer (&s->post_head, g_free);
}

static void
fake_server_free (FakeServer * s)
{
  fake_server_drop_peers (s);
  g_object_unref (s->listener);
  g_clear_object (&s->listener2);
  g_clear_object (&s->cert);
  g_free (s);
}

/* Takes the GET and reads its head. */
static void
fake_server_accept_get (FakeServer * s)
{
  s->get = accept_one (s->listener, s->cert);
  s->get_head = read_head (s->get);
  fail_unless (g_str_has_prefix (s->get_head, "GET "), "%s", s->get_head);
}

/* Takes the POST from @listener and reads its head. */
static void
fake_server_accept_post (FakeServer * s, GSocket * listener)
{
  s->post = accept_one (listener, s->cert);
  s->post_head = read_head (s->post);
  fail_unless (g_str_has_prefix (s->post_head, "POST "), "%s", s->post_head);
}

#define OK_ANSWER "HTTP/1.0 200 OK\r\nContent-Type: " \
    "application/x-rtsp-tunnelled\r\nCache-Control: no-store\r\n" \
    "Pragma: no-cache\r\n"

GST_START_TEST (test_requests_and_body)
{
  FakeServer *s = fake_server_new (0);
  Fixture *f = fixture_new ();
  GstResilientHttpTunnelOptions options = { 0, };
  GstStructure *extra;
  gchar *cookie, *post_cookie, *host;
  GstRTSPMessage *msg;
  GBytes *expected;
  GByteArray *got, *want;
  Event *ev;
  Result *r;

  extra = gst_structure_new ("headers", "X-Camera-Token", G_TYPE_STRING,
      "abc", "X-Number", G_TYPE_INT, 42, "X-Inject", G_TYPE_STRING,
      "a\r\nEvil: 1", "x-sessioncookie", G_TYPE_STRING, "mine", NULL);
  options.extra_headers = extra;
  options.user_agent = "test-agent/1.0";

  fixture_open (f, "127.0.0.1", s->port, "/cam/stream?channel=1&x=2",
      &options, SET_UP_TIMEOUT_MS);
  gst_structure_free (extra);

  fake_server_accept_get (s);
  fail_unless (g_str_has_prefix (s->get_head,
          "GET /cam/stream?channel=1&x=2 HTTP/1.0\r\n"), "%s", s->get_head);
  cookie = head_get (s->get_head, "x-sessioncookie");
  fail_unless (cookie != NULL && strlen (cookie) >= 22);
  fail_unless (g_strcmp0 (cookie, "mine") != 0);
  check_header (s->get_head, "Accept", "application/x-rtsp-tunnelled");
  check_header (s->get_head, "Pragma", "no-cache");
  check_header (s->get_head, "Cache-Control", "no-cache");
  check_header (s->get_head, "User-Agent", "test-agent/1.0");
  check_header (s->get_head, "X-Camera-Token", "abc");
  check_header (s->get_head, "X-Number", "42");
  host = g_strdup_printf ("127.0.0.1:%u", s->port);
  check_header (s->get_head, "Host", host);
  /* header injection refused */
  fail_unless (head_get (s->get_head, "X-Inject") == NULL);
  fail_unless (head_get (s->get_head, "Evil") == NULL);

  /* the answer comes with the first bytes of the body in the same write:
   * a response and an interleaved frame, which must not be lost */
  {
    static const gchar first[] = OK_ANSWER "\r\n"
        "RTSP/1.0 200 OK\r\nCSeq: 7\r\n\r\n" "$\001\000\004abcd";

    peer_send (s->get, first, sizeof (first) - 1);
  }

  fake_server_accept_post (s, s->listener);
  fail_unless (g_str_has_prefix (s->post_head,
          "POST /cam/stream?channel=1&x=2 HTTP/1.0\r\n"), "%s", s->post_head);
  post_cookie = head_get (s->post_head, "x-sessioncookie");
  fail_unless_equals_string (post_cookie, cookie);
  check_header (s->post_head, "Content-Type", "application/x-rtsp-tunnelled");
  check_header (s->post_head, "Content-Length", "32767");
  check_header (s->post_head, "Pragma", "no-cache");
  check_header (s->post_head, "Cache-Control", "no-cache");
  check_header (s->post_head, "Expires", NULL);
  check_header (s->post_head, "Host", host);
  check_header (s->post_head, "X-Camera-Token", "abc");

  r = fixture_result (f);
  fail_unless (r->error == NULL, "%s", r->error ? r->error->message : "");
  fail_unless_equals_string (gst_resilient_http_tunnel_get_cookie
      (GST_RESILIENT_HTTP_TUNNEL (r->stream)), cookie);
  fixture_start_connection (f, r->stream);

  ev = fixture_pop (f);
  fail_unless_equals_int (ev->type, EV_MESSAGE);
  {
    gchar *value;

    gst_rtsp_message_get_header (ev->msg, GST_RTSP_HDR_CSEQ, &value, 0);
    fail_unless_equals_string (value, "7");
  }
  event_free (ev);
  ev = fixture_pop (f);
  fail_unless_equals_int (ev->type, EV_DATA);
  fail_unless_equals_int (ev->channel, 1);
  fail_unless_equals_int (gst_buffer_get_size (ev->buf), 4);
  fail_unless (gst_buffer_memcmp (ev->buf, 0, "abcd", 4) == 0);
  event_free (ev);

  /* later body bytes go the same way */
  peer_send (s->get, "$\000\000\003xyz", 7);
  ev = fixture_pop (f);
  fail_unless_equals_int (ev->type, EV_DATA);
  fail_unless_equals_int (ev->channel, 0);
  fail_unless (gst_buffer_memcmp (ev->buf, 0, "xyz", 3) == 0);
  event_free (ev);

  /* what we send arrives base64-encoded in the POST body */
  msg = new_request (GST_RTSP_OPTIONS, "rtsp://127.0.0.1/cam/stream", 1);
  expected = gst_resilient_message_serialize (msg);
  fail_unless (gst_resilient_connection_send_message (f->conn, msg));
  gst_rtsp_message_free (msg);
  {
    GstBuffer *buf = gst_buffer_new_memdup ("hello", 5);

    fail_unless (gst_resilient_connection_send_data (f->conn, 3, buf));
    gst_buffer_unref (buf);
  }
  want = g_byte_array_new ();
  g_byte_array_append (want, g_bytes_get_data (expected, NULL),
      g_bytes_get_size (expected));
  g_byte_array_append (want, (const guint8 *) "$\003\000\005hello", 9);
  got = read_post_body (s->post, want->len);
  fail_unless (memcmp (got->data, want->data, want->len) == 0);
  g_byte_array_unref (got);
  g_byte_array_unref (want);
  g_bytes_unref (expected);

  /* the server closing the GET is the end of the connection */
  g_io_stream_close (s->get, NULL, NULL);
  ev = fixture_pop (f);
  fail_unless_equals_int (ev->type, EV_CLOSED);
  fail_unless (g_error_matches (ev->error, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_CONNECTION_LOST), "%s", ev->error->message);
  event_free (ev);

  g_clear_object (&f->conn);
  result_free (r);
  g_free (cookie);
  g_free (post_cookie);
  g_free (host);
  fixture_free (f);
  fake_server_free (s);
}

GST_END_TEST;

/* Sets up a tunnel with the fake server answering 200. */
static Result *
open_fake_tunnel (Fixture * f, FakeServer * s)
{
  Result *r;

  fixture_open (f, "127.0.0.1", s->port, "/", NULL, SET_UP_TIMEOUT_MS);
  fake_server_accept_get (s);
  peer_send_str (s->get, OK_ANSWER "\r\n");
  fake_server_accept_post (s, s->listener);
  r = fixture_result (f);
  fail_unless (r->error == NULL, "%s", r->error ? r->error->message : "");
  return r;
}

typedef struct
{
  GIOStream *stream;
  gsize accepted;               /* input bytes taken */
  gboolean blocked;
  gboolean writable_after;
} FillData;

#define FILL_CHUNK 10000
#define FILL_MAX (256 * 1024 * 1024)

/* I/O thread: writes a byte pattern until the tunnel says it would block,
 * then stops; what was taken must still reach the server. */
static gboolean
fill_until_blocked (gpointer user_data)
{
  FillData *fd = user_data;
  GPollableOutputStream *out =
      G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (fd->stream));
  guint8 chunk[FILL_CHUNK];

  while (fd->accepted < FILL_MAX) {
    GError *err = NULL;
    gssize n;
    gsize i;

    for (i = 0; i < FILL_CHUNK; i++)
      chunk[i] = (guint8) ((fd->accepted + i) % 251);
    n = g_pollable_output_stream_write_nonblocking (out, chunk, FILL_CHUNK,
        NULL, &err);
    if (n < 0) {
      fail_unless (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK),
          "%s", err->message);
      g_error_free (err);
      fd->blocked = TRUE;
      fd->writable_after = g_pollable_output_stream_is_writable (out);
      break;
    }
    fail_unless (n > 0);
    fd->accepted += n;
  }
  return G_SOURCE_REMOVE;
}

GST_START_TEST (test_writer_stops_while_blocked)
{
  /* a small receive buffer so the POST socket fills up */
  FakeServer *s = fake_server_new (4096);
  Fixture *f = fixture_new ();
  FillData fd = { 0, };
  GByteArray *got;
  gsize i;
  Result *r;

  r = open_fake_tunnel (f, s);
  fd.stream = r->stream;
  gst_resilient_io_context_invoke_sync (f->io, fill_until_blocked, &fd);
  fail_unless (fd.blocked, "never blocked after %" G_GSIZE_FORMAT " bytes",
      fd.accepted);
  fail_unless (!fd.writable_after);

  /* nobody writes any more: the tunnel itself must finish the last chunk
   * once the server reads */
  got = read_post_body (s->post, fd.accepted);
  for (i = 0; i < got->len; i++) {
    if (got->data[i] != (guint8) (i % 251))
      fail ("byte %" G_GSIZE_FORMAT " differs", i);
  }
  g_byte_array_unref (got);

  result_free (r);
  fixture_free (f);
  fake_server_free (s);
}

GST_END_TEST;

GST_START_TEST (test_many_large_messages)
{
  FakeServer *s = fake_server_new (4096);
  Fixture *f = fixture_new ();
  GByteArray *want = g_byte_array_new (), *got;
  guint i;
  Result *r;

  r = open_fake_tunnel (f, s);
  fixture_start_connection (f, r->stream);

  /* 6 MiB queued at once, far more than the sockets hold */
  for (i = 0; i < 64; i++) {
    GstRTSPMessage *msg = new_request (GST_RTSP_SET_PARAMETER,
        "rtsp://127.0.0.1/", i + 1);
    guint8 *body = g_malloc (96 * 1024);
    GBytes *bytes;
    gsize j;

    for (j = 0; j < 96 * 1024; j++)
      body[j] = (guint8) (i + j);
    gst_rtsp_message_take_body (msg, body, 96 * 1024);
    bytes = gst_resilient_message_serialize (msg);
    g_byte_array_append (want, g_bytes_get_data (bytes, NULL),
        g_bytes_get_size (bytes));
    g_bytes_unref (bytes);
    fail_unless (gst_resilient_connection_send_message (f->conn, msg));
    gst_rtsp_message_free (msg);
  }

  got = read_post_body (s->post, want->len);
  fail_unless (memcmp (got->data, want->data, want->len) == 0);
  g_byte_array_unref (got);
  g_byte_array_unref (want);

  gst_resilient_io_context_invoke_sync (f->io, close_conn, f->conn);
  g_clear_object (&f->conn);
  result_free (r);
  fixture_free (f);
  fake_server_free (s);
}

GST_END_TEST;

/* The fake server answers the GET with @answer (NULL: nothing); returns
 * the set-up's error. */
static void
check_answer_error (const gchar * answer, gboolean close_after,
    guint timeout_ms, gsize max_response_bytes, gint code,
    const gchar * in_message)
{
  FakeServer *s = fake_server_new (0);
  Fixture *f = fixture_new ();
  GstResilientHttpTunnelOptions options = { 0, };
  GIOStream *post;
  Result *r;

  options.max_response_bytes = max_response_bytes;
  fixture_open (f, "127.0.0.1", s->port, "/x", &options, timeout_ms);
  fake_server_accept_get (s);
  if (answer)
    peer_send (s->get, answer, strlen (answer));
  if (close_after)
    g_io_stream_close (s->get, NULL, NULL);

  r = fixture_expect_error (f, GST_RESILIENT_ERROR, code);
  if (in_message)
    fail_unless (strstr (r->error->message, in_message) != NULL, "%s",
        r->error->message);
  /* the message names the tunnel */
  fail_unless (strstr (r->error->message, "HTTP tunnel to 127.0.0.1:") !=
      NULL, "%s", r->error->message);
  /* no POST was attempted, and the GET connection was closed */
  post = accept_pending (s->listener);
  fail_unless (post == NULL);
  if (!close_after)
    fail_unless (peer_wait_eof (s->get));

  result_free (r);
  fixture_free (f);
  fake_server_free (s);
}

GST_START_TEST (test_answer_errors)
{
  gchar *big;

  check_answer_error ("HTTP/1.0 403 Forbidden\r\n\r\n", FALSE,
      SET_UP_TIMEOUT_MS, 0, GST_RESILIENT_ERROR_FORBIDDEN, "403 Forbidden");
  check_answer_error ("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic "
      "realm=\"x\"\r\n\r\n", FALSE, SET_UP_TIMEOUT_MS, 0,
      GST_RESILIENT_ERROR_AUTH, "401");
  check_answer_error ("HTTP/1.0 404 Not Found\r\n\r\n", FALSE,
      SET_UP_TIMEOUT_MS, 0, GST_RESILIENT_ERROR_NOT_FOUND, "404");
  check_answer_error ("HTTP/1.0 503 Service Unavailable\r\n\r\n", FALSE,
      SET_UP_TIMEOUT_MS, 0, GST_RESILIENT_ERROR_SERVER_BUSY, "503");
  check_answer_error ("HTTP/1.0 302 Found\r\nLocation: http://x/\r\n\r\n",
      FALSE, SET_UP_TIMEOUT_MS, 0, GST_RESILIENT_ERROR_REDIRECT, "302");
  check_answer_error ("HTTP/1.0 204 No Content\r\n\r\n", FALSE,
      SET_UP_TIMEOUT_MS, 0, GST_RESILIENT_ERROR_PROTOCOL, "204");
  /* garbage: told without waiting for the timeout */
  check_answer_error ("\x16\x03\x01\x02\x00garbage", FALSE, 0, 0,
      GST_RESILIENT_ERROR_PROTOCOL, "not HTTP");
  check_answer_error ("RTSP/1.0 400 Bad Request\r\nCSeq: 0\r\n\r\n", FALSE, 0,
      0, GST_RESILIENT_ERROR_PROTOCOL, "RTSP");
  /* headers that never end: the timeout */
  check_answer_error ("HTTP/1.0 200 OK\r\nContent-Type: application/x-rtsp-"
      "tunnelled\r\n", FALSE, 300, 0, GST_RESILIENT_ERROR_TIMEOUT,
      "answer to the tunnel GET");
  /* nothing at all: the timeout */
  check_answer_error (NULL, FALSE, 300, 0, GST_RESILIENT_ERROR_TIMEOUT,
      "timed out");
  /* headers over the bound */
  big = g_strdup_printf ("HTTP/1.0 200 OK\r\nX-Big: %0600d\r\n\r\n", 0);
  check_answer_error (big, FALSE, 0, 512, GST_RESILIENT_ERROR_PROTOCOL,
      "exceed 512");
  g_free (big);
  /* closed without an answer, or in the middle of the headers */
  check_answer_error (NULL, TRUE, SET_UP_TIMEOUT_MS, 0,
      GST_RESILIENT_ERROR_CONNECTION_LOST, "without answering");
  check_answer_error ("HTTP/1.0 200 OK\r\nPragma: no", TRUE,
      SET_UP_TIMEOUT_MS, 0, GST_RESILIENT_ERROR_PROTOCOL, "middle");
}

GST_END_TEST;

GST_START_TEST (test_refused)
{
  Fixture *f = fixture_new ();
  GSocket *sock;
  GSocketAddress *local;
  GInetAddress *lo;
  GSocketAddress *addr;
  guint16 port;
  Result *r;

  /* a bound socket that does not listen: the port is ours, and refuses */
  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  addr = g_inet_socket_address_new (lo, 0);
  fail_unless (g_socket_bind (sock, addr, FALSE, NULL));
  local = g_socket_get_local_address (sock, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));

  fixture_open (f, "127.0.0.1", port, "/", NULL, SET_UP_TIMEOUT_MS);
  r = fixture_expect_error (f, GST_RESILIENT_ERROR,
      GST_RESILIENT_ERROR_REFUSED);
  fail_unless (strstr (r->error->message, "HTTP tunnel") != NULL, "%s",
      r->error->message);

  result_free (r);
  g_object_unref (local);
  g_object_unref (addr);
  g_object_unref (lo);
  g_object_unref (sock);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_bad_path)
{
  Fixture *f = fixture_new ();
  Result *r;

  fixture_open (f, "127.0.0.1", 1, "/a b", NULL, SET_UP_TIMEOUT_MS);
  r = fixture_expect_error (f, GST_RESILIENT_ERROR,
      GST_RESILIENT_ERROR_BAD_URL);
  result_free (r);
  fixture_open (f, "127.0.0.1", 1, "/a\r\nX: y", NULL, SET_UP_TIMEOUT_MS);
  r = fixture_expect_error (f, GST_RESILIENT_ERROR,
      GST_RESILIENT_ERROR_BAD_URL);
  result_free (r);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_cancel)
{
  FakeServer *s = fake_server_new (0);
  Fixture *f = fixture_new ();
  Result *r;

  /* while waiting for the answer */
  fixture_open (f, "127.0.0.1", s->port, "/", NULL, 0);
  fake_server_accept_get (s);
  g_cancellable_cancel (f->cancellable);
  r = fixture_expect_error (f, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  result_free (r);
  fail_unless (peer_wait_eof (s->get));

  /* already cancelled */
  fixture_open (f, "127.0.0.1", s->port, "/", NULL, 0);
  r = fixture_expect_error (f, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  result_free (r);

  fixture_free (f);
  fake_server_free (s);
}

GST_END_TEST;

/* The GET answer names 127.0.0.2 (or @server_ip); where does the POST go? */
static void
check_server_ip (const gchar * server_ip, gboolean ignore,
    gboolean expect_second)
{
  FakeServer *s = fake_server_new_two_addresses ();
  Fixture *f = fixture_new ();
  GstResilientHttpTunnelOptions options = { 0, };
  gchar *answer;
  GIOStream *on_first, *on_second;
  const gchar *post_host;
  Result *r;

  options.ignore_x_server_reply = ignore;
  fixture_open (f, "127.0.0.1", s->port, "/", &options, SET_UP_TIMEOUT_MS);
  fake_server_accept_get (s);
  answer = g_strdup_printf (OK_ANSWER "X-Server-IP-Address: %s\r\n\r\n",
      server_ip);
  peer_send_str (s->get, answer);
  g_free (answer);

  /* the set-up is complete once the POST is connected and sent */
  r = fixture_result (f);
  fail_unless (r->error == NULL, "%s", r->error ? r->error->message : "");
  on_first = accept_pending (s->listener);
  on_second = accept_pending (s->listener2);
  post_host =
      gst_resilient_http_tunnel_get_post_host (GST_RESILIENT_HTTP_TUNNEL
      (r->stream));
  if (expect_second) {
    fail_unless (on_first == NULL && on_second != NULL);
    fail_unless_equals_string (post_host, "127.0.0.2");
    s->post = on_second;
  } else {
    fail_unless (on_first != NULL && on_second == NULL);
    fail_unless_equals_string (post_host, "127.0.0.1");
    s->post = on_first;
  }
  s->post_head = read_head (s->post);
  fail_unless (g_str_has_prefix (s->post_head, "POST / HTTP/1.0\r\n"));

  result_free (r);
  fixture_free (f);
  fake_server_free (s);
}

GST_START_TEST (test_x_server_ip_address)
{
  /* honoured by default */
  check_server_ip ("127.0.0.2", FALSE, TRUE);
  /* ignored when asked */
  check_server_ip ("127.0.0.2", TRUE, FALSE);
  /* only address literals: no DNS look-up for a name */
  check_server_ip ("localhost", FALSE, FALSE);
  check_server_ip ("127.0.0.2; rm -rf", FALSE, FALSE);
}

GST_END_TEST;

GST_START_TEST (test_close_closes_both)
{
  FakeServer *s = fake_server_new (0);
  Fixture *f = fixture_new ();
  Result *r;

  /* synchronous close, from this thread */
  r = open_fake_tunnel (f, s);
  fail_unless (g_io_stream_close (r->stream, NULL, NULL));
  fail_unless (peer_wait_eof (s->get));
  fail_unless (peer_wait_eof (s->post));
  fail_unless (g_output_stream_write (g_io_stream_get_output_stream
          (r->stream), "x", 1, NULL, NULL) < 0);
  result_free (r);
  fake_server_drop_peers (s);

  /* the connection's close, on the I/O thread (asynchronous close) */
  r = open_fake_tunnel (f, s);
  fixture_start_connection (f, r->stream);
  gst_resilient_io_context_invoke_sync (f->io, close_conn, f->conn);
  fail_unless (peer_wait_eof (s->get));
  fail_unless (peer_wait_eof (s->post));
  g_clear_object (&f->conn);
  result_free (r);

  fixture_free (f);
  fake_server_free (s);
}

GST_END_TEST;

/* ---- TLS (rtspsh://) ---- */

static gchar *tmp_dir;

static void
remove_tmp_dir (void)
{
  GDir *dir;
  const gchar *name;

  if (tmp_dir == NULL)
    return;
  dir = g_dir_open (tmp_dir, 0, NULL);
  while (dir && (name = g_dir_read_name (dir))) {
    gchar *path = g_build_filename (tmp_dir, name, NULL);

    g_unlink (path);
    g_free (path);
  }
  if (dir)
    g_dir_close (dir);
  g_rmdir (tmp_dir);
  g_clear_pointer (&tmp_dir, g_free);
}

/* A directory for this test process, removed at exit. */
static const gchar *
test_tmp_dir (void)
{
  if (tmp_dir == NULL) {
    tmp_dir = g_dir_make_tmp ("rrtsp-tunnel-XXXXXX", NULL);
    fail_unless (tmp_dir != NULL);
    atexit (remove_tmp_dir);
  }
  return tmp_dir;
}

/* A self-signed certificate for 127.0.0.1, made once per process. */
static const gchar *
tls_files (void)
{
  static gboolean made = FALSE;
  const gchar *dir = test_tmp_dir ();
  gchar *cmd, *out = NULL, *err = NULL;
  gint status = -1;

  if (made)
    return dir;
  cmd = g_strdup_printf ("openssl req -x509 -newkey rsa:2048 -nodes "
      "-keyout %s/key.pem -out %s/cert.pem -days 2 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1", dir, dir);
  fail_unless (g_spawn_command_line_sync (cmd, &out, &err, &status, NULL)
      && g_spawn_check_wait_status (status, NULL), "openssl failed: %s", err);
  g_free (cmd);
  g_free (out);
  g_free (err);
  made = TRUE;
  return dir;
}

static GTlsCertificate *
tls_server_certificate (void)
{
  gchar *cert = g_build_filename (tls_files (), "cert.pem", NULL);
  gchar *key = g_build_filename (tls_files (), "key.pem", NULL);
  GError *err = NULL;
  GTlsCertificate *c = g_tls_certificate_new_from_files (cert, key, &err);

  fail_unless (c != NULL, "%s", err ? err->message : "");
  g_free (cert);
  g_free (key);
  return c;
}

static GTlsDatabase *
tls_client_database (void)
{
  gchar *cert = g_build_filename (tls_files (), "cert.pem", NULL);
  GError *err = NULL;
  GTlsDatabase *db = g_tls_file_database_new (cert, &err);

  fail_unless (db != NULL, "%s", err ? err->message : "");
  g_free (cert);
  return db;
}

GST_START_TEST (test_tls)
{
  FakeServer *s = fake_server_new_two_addresses ();
  Fixture *f = fixture_new ();
  GstResilientHttpTunnelOptions options = { 0, };
  GstResilientConnectOptions connect;
  GstRTSPMessage *msg;
  GBytes *expected;
  GByteArray *got;
  Event *ev;
  Result *r;

  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ())) {
    g_printerr ("SKIP: no TLS backend (glib-networking)\n");
    goto done;
  }
  s->cert = tls_server_certificate ();
  gst_resilient_connect_options_init (&connect);
  connect.tls = TRUE;
  connect.tls_database = tls_client_database ();
  connect.proxy = g_strdup ("direct://");
  options.connect = &connect;

  fixture_open (f, "127.0.0.1", s->port, "/secure", &options,
      SET_UP_TIMEOUT_MS);
  gst_resilient_connect_options_clear (&connect);

  fake_server_accept_get (s);
  fail_unless (g_str_has_prefix (s->get_head, "GET /secure HTTP/1.0\r\n"));
  /* over TLS the POST must not follow x-server-ip-address */
  {
    static const gchar answer[] = OK_ANSWER
        "X-Server-IP-Address: 127.0.0.2\r\n\r\n"
        "RTSP/1.0 200 OK\r\nCSeq: 9\r\n\r\n";

    peer_send (s->get, answer, sizeof (answer) - 1);
  }
  fake_server_accept_post (s, s->listener);
  check_header (s->post_head, "x-sessioncookie", NULL);

  r = fixture_result (f);
  fail_unless (r->error == NULL, "%s", r->error ? r->error->message : "");
  fail_unless (G_IS_TLS_CONNECTION (gst_resilient_http_tunnel_get_get_connection
          (GST_RESILIENT_HTTP_TUNNEL (r->stream))));
  fail_unless (G_IS_TLS_CONNECTION
      (gst_resilient_http_tunnel_get_post_connection (GST_RESILIENT_HTTP_TUNNEL
              (r->stream))));
  fail_unless_equals_string (gst_resilient_http_tunnel_get_post_host
      (GST_RESILIENT_HTTP_TUNNEL (r->stream)), "127.0.0.1");
  fail_unless (accept_pending (s->listener2) == NULL);
  fixture_start_connection (f, r->stream);

  ev = fixture_pop (f);
  fail_unless_equals_int (ev->type, EV_MESSAGE);
  event_free (ev);

  msg = new_request (GST_RTSP_OPTIONS, "rtspsh://127.0.0.1/secure", 1);
  expected = gst_resilient_message_serialize (msg);
  fail_unless (gst_resilient_connection_send_message (f->conn, msg));
  gst_rtsp_message_free (msg);
  got = read_post_body (s->post, g_bytes_get_size (expected));
  fail_unless (memcmp (got->data, g_bytes_get_data (expected, NULL),
          got->len) == 0);
  g_byte_array_unref (got);
  g_bytes_unref (expected);

  /* the connection's close closes both TLS connections (asynchronously) */
  gst_resilient_io_context_invoke_sync (f->io, close_conn, f->conn);
  fail_unless (peer_wait_eof (s->get));
  fail_unless (peer_wait_eof (s->post));
  g_clear_object (&f->conn);
  result_free (r);

done:
  fixture_free (f);
  fake_server_free (s);
}

GST_END_TEST;

GST_START_TEST (test_tls_rejected)
{
  FakeServer *s = fake_server_new (0);
  Fixture *f = fixture_new ();
  GstResilientHttpTunnelOptions options = { 0, };
  GstResilientConnectOptions connect;
  GTlsCertificate *cert;
  GIOStream *peer, *tls;
  GSocket *sock;
  Result *r;

  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ())) {
    g_printerr ("SKIP: no TLS backend (glib-networking)\n");
    goto done;
  }
  cert = tls_server_certificate ();
  /* the system's CAs do not know our certificate */
  gst_resilient_connect_options_init (&connect);
  connect.tls = TRUE;
  connect.proxy = g_strdup ("direct://");
  options.connect = &connect;
  fixture_open (f, "127.0.0.1", s->port, "/", &options, SET_UP_TIMEOUT_MS);
  gst_resilient_connect_options_clear (&connect);

  sock = g_socket_accept (s->listener, NULL, NULL);
  fail_unless (sock != NULL);
  peer = peer_stream (sock, NULL);
  tls = g_tls_server_connection_new (peer, cert, NULL);
  fail_if (g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, NULL));

  r = fixture_expect_error (f, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_TLS);
  fail_unless (strstr (r->error->message, "HTTP tunnel to 127.0.0.1") !=
      NULL, "%s", r->error->message);
  result_free (r);
  g_object_unref (tls);
  g_object_unref (peer);
  g_object_unref (cert);

done:
  fixture_free (f);
  fake_server_free (s);
}

GST_END_TEST;

/* ---- through a real HTTP CONNECT proxy ---- */

static GPid tinyproxy_pid;

static void
kill_tinyproxy (void)
{
  if (tinyproxy_pid > 0)
    kill (tinyproxy_pid, SIGKILL);
}

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static gboolean
port_accepts (guint16 port)
{
  GSocketClient *client = g_socket_client_new ();
  GSocketConnection *conn;

  g_socket_client_set_enable_proxy (client, FALSE);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL,
      NULL);
  g_object_unref (client);
  if (conn == NULL)
    return FALSE;
  g_object_unref (conn);
  return TRUE;
}

/* tinyproxy allowing CONNECT to @connect_port; its log goes to @log_path. */
static GSubprocess *
tinyproxy_start (guint16 connect_port, guint16 * port, gchar ** log_path)
{
  guint attempt;

  atexit (kill_tinyproxy);
  for (attempt = 0; attempt < 5; attempt++) {
    GSocket *probe;
    GSubprocessLauncher *launcher;
    GSubprocess *proc;
    gchar *conf, *conf_path;
    gint64 end;

    *port = 0;
    probe = listen_on ("127.0.0.1", port, 0);
    g_object_unref (probe);

    conf_path = g_strdup_printf ("%s/tinyproxy-%u.conf", test_tmp_dir (),
        *port);
    g_free (*log_path);
    *log_path = g_strdup_printf ("%s/tinyproxy-%u.log", test_tmp_dir (), *port);
    conf = g_strdup_printf ("Port %u\nListen 127.0.0.1\nTimeout 60\n"
        "MaxClients 16\nLogLevel Connect\nAllow 127.0.0.1\n"
        "DisableViaHeader Yes\nConnectPort %u\n", *port, connect_port);
    fail_unless (g_file_set_contents (conf_path, conf, -1, NULL));
    g_free (conf);

    launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE);
    g_subprocess_launcher_set_stdout_file_path (launcher, *log_path);
    g_subprocess_launcher_set_stderr_file_path (launcher, *log_path);
    g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL,
        NULL);
    proc = g_subprocess_launcher_spawn (launcher, NULL, "tinyproxy", "-d",
        "-c", conf_path, NULL);
    g_object_unref (launcher);
    fail_unless (proc != NULL, "cannot start tinyproxy");
    {
      /* NULL once it has exited (a bad configuration, the port taken) */
      const gchar *id = g_subprocess_get_identifier (proc);

      tinyproxy_pid = id ? atoi (id) : 0;
    }

    end = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
    while (g_get_monotonic_time () < end &&
        g_subprocess_get_identifier (proc) != NULL && !port_accepts (*port))
      g_usleep (20 * 1000);
    /* (the configuration is read at start and on SIGHUP only) */
    g_unlink (conf_path);
    g_free (conf_path);
    if (g_subprocess_get_identifier (proc) != NULL && port_accepts (*port))
      return proc;

    /* the port was taken meanwhile */
    g_subprocess_force_exit (proc);
    g_subprocess_wait (proc, NULL, NULL);
    g_object_unref (proc);
    tinyproxy_pid = 0;
  }
  fail ("tinyproxy would not start");
  return NULL;
}

static guint
count_lines_with (const gchar * path, const gchar * needle)
{
  gchar *text = NULL, **lines;
  guint n = 0, i;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i]; i++) {
    if (strstr (lines[i], needle))
      n++;
  }
  g_strfreev (lines);
  g_free (text);
  return n;
}

GST_START_TEST (test_real_server_through_proxy)
{
  RrTestServerConfig config = { 0, };
  RrTestServer *server;
  Fixture *f = fixture_new ();
  GstResilientHttpTunnelOptions options = { 0, };
  GstResilientConnectOptions connect;
  GSubprocess *proxy;
  gchar *log_path = NULL, *url, *needle;
  guint16 proxy_port;
  GstRTSPMessage *resp;
  gchar *program;
  Result *r;

  program = g_find_program_in_path ("tinyproxy");
  if (program == NULL) {
    g_printerr ("SKIP: tinyproxy is not installed\n");
    fixture_free (f);
    return;
  }
  g_free (program);
  config.with_audio = FALSE;
  server = rr_test_server_new (&config);
  url = rr_test_server_get_url (server, "/video");
  proxy = tinyproxy_start (rr_test_server_get_port (server), &proxy_port,
      &log_path);

  gst_resilient_connect_options_init (&connect);
  connect.proxy = g_strdup_printf ("http://127.0.0.1:%u", proxy_port);
  options.connect = &connect;
  fixture_open (f, "127.0.0.1", rr_test_server_get_port (server), "/video",
      &options, SET_UP_TIMEOUT_MS);
  gst_resilient_connect_options_clear (&connect);
  r = fixture_result (f);
  fail_unless (r->error == NULL, "%s", r->error ? r->error->message : "");
  fixture_start_connection (f, r->stream);

  resp = exchange (f, new_request (GST_RTSP_OPTIONS, url, 1), NULL);
  gst_rtsp_message_free (resp);
  resp = exchange (f, new_request (GST_RTSP_DESCRIBE, url, 2), NULL);
  gst_rtsp_message_free (resp);

  /* both connections went through the proxy */
  needle = g_strdup_printf ("CONNECT 127.0.0.1:%u",
      rr_test_server_get_port (server));
  fail_unless_equals_int (count_lines_with (log_path, needle), 2);
  g_free (needle);

  result_free (r);
  free_server_then_fixtures (server, f, NULL);
  g_subprocess_force_exit (proxy);
  g_subprocess_wait (proxy, NULL, NULL);
  g_object_unref (proxy);
  tinyproxy_pid = 0;
  g_unlink (log_path);
  g_free (log_path);
  g_free (url);
}

GST_END_TEST;

static Suite *
httptunnel_suite (void)
{
  Suite *s = suite_create ("httptunnel");
  TCase *tc_pure = tcase_create ("pure");
  TCase *tc_real = tcase_create ("gst-rtsp-server");
  TCase *tc_fake = tcase_create ("fake-server");

  suite_add_tcase (s, tc_pure);
  tcase_add_test (tc_pure, test_parse_answer);
  tcase_add_test (tc_pure, test_parse_errors);
  tcase_add_test (tc_pure, test_encode);
  tcase_add_test (tc_pure, test_cookie);

  suite_add_tcase (s, tc_real);
  tcase_add_test (tc_real, test_real_server_session);
  tcase_add_test (tc_real, test_real_server_padding_mid_stream);
  tcase_add_test (tc_real, test_real_server_through_proxy);

  suite_add_tcase (s, tc_fake);
  tcase_add_test (tc_fake, test_requests_and_body);
  tcase_add_test (tc_fake, test_writer_stops_while_blocked);
  tcase_add_test (tc_fake, test_many_large_messages);
  tcase_add_test (tc_fake, test_answer_errors);
  tcase_add_test (tc_fake, test_refused);
  tcase_add_test (tc_fake, test_bad_path);
  tcase_add_test (tc_fake, test_cancel);
  tcase_add_test (tc_fake, test_x_server_ip_address);
  tcase_add_test (tc_fake, test_close_closes_both);
  tcase_add_test (tc_fake, test_tls);
  tcase_add_test (tc_fake, test_tls_rejected);
  return s;
}

GST_CHECK_MAIN (httptunnel);
