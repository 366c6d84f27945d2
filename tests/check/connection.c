/* resilientrtsp
 * tests/check/connection.c: the control connection and the TCP connector,
 * against real sockets on loopback. The test thread plays the server with
 * plain blocking GSockets; connection callbacks run on the I/O thread and
 * hand what they get to the test thread through an async queue.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <gst/check/gstcheck.h>

#include "connection.h"
#include "error.h"
#include "framer.h"

/* generous bound for things that happen on the I/O thread */
#define WAIT_US (20 * G_USEC_PER_SEC)

/* ---- fixture ---- */

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
  GSocket *listener;
  guint16 port;
  GSocket *peer;                /* the server's end */
  GSocketConnection *client;    /* the client's end, given to the connection */
  GstResilientConnection *conn;
  GAsyncQueue *events;

  /* behaviour of the callbacks */
  gboolean close_in_message;
  gboolean unref_in_message;

  gint wrong_thread;            /* atomic: callbacks not on the I/O thread */
  gint after_close;             /* atomic: callbacks after close() or closed */
  gint closed_seen;             /* atomic */
  gint close_called;            /* atomic */
} Fixture;

static void
event_free (Event * ev)
{
  if (ev->msg)
    gst_rtsp_message_free (ev->msg);
  if (ev->buf)
    gst_buffer_unref (ev->buf);
  if (ev->error)
    g_error_free (ev->error);
  g_free (ev);
}

static void
check_callback (Fixture * f, GstResilientConnection * conn)
{
  if (!gst_resilient_io_context_is_current (f->io))
    g_atomic_int_inc (&f->wrong_thread);
  if (g_atomic_int_get (&f->closed_seen) || g_atomic_int_get (&f->close_called))
    g_atomic_int_inc (&f->after_close);
}

static void
on_message (GstResilientConnection * conn, GstRTSPMessage * msg,
    gpointer user_data)
{
  Fixture *f = user_data;
  Event *ev = g_new0 (Event, 1);

  check_callback (f, conn);
  ev->type = EV_MESSAGE;
  ev->msg = msg;
  g_async_queue_push (f->events, ev);

  if (f->close_in_message) {
    g_atomic_int_set (&f->close_called, 1);
    gst_resilient_connection_close (conn);
  }
  if (f->unref_in_message) {
    /* the fixture's reference: we are its owner now */
    g_object_unref (conn);
    f->conn = NULL;
  }
}

static void
on_data (GstResilientConnection * conn, guint8 channel, GstBuffer * buf,
    gpointer user_data)
{
  Fixture *f = user_data;
  Event *ev = g_new0 (Event, 1);

  check_callback (f, conn);
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

  check_callback (f, conn);
  g_atomic_int_set (&f->closed_seen, 1);
  ev->type = EV_CLOSED;
  ev->error = g_error_copy (error);
  g_async_queue_push (f->events, ev);
}

static const GstResilientConnectionCallbacks callbacks = {
  on_message, on_data, on_closed
};

static GSocket *
make_listener (gint backlog, guint16 * port)
{
  GSocket *sock;
  GInetAddress *lo;
  GSocketAddress *addr, *local;
  GError *err = NULL;

  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, &err);
  fail_unless (sock != NULL, "%s", err ? err->message : "");
  lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  addr = g_inet_socket_address_new (lo, 0);
  fail_unless (g_socket_bind (sock, addr, TRUE, &err), "%s",
      err ? err->message : "");
  if (backlog >= 0) {
    g_socket_set_listen_backlog (sock, backlog);
    fail_unless (g_socket_listen (sock, &err), "%s", err ? err->message : "");
  }
  local = g_socket_get_local_address (sock, NULL);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  g_object_unref (local);
  g_object_unref (addr);
  g_object_unref (lo);
  return sock;
}

static gboolean
start_conn (gpointer data)
{
  gst_resilient_connection_start (data);
  return G_SOURCE_REMOVE;
}

static gboolean
close_conn (gpointer data)
{
  gst_resilient_connection_close (data);
  return G_SOURCE_REMOVE;
}

static gboolean
noop (gpointer data)
{
  return G_SOURCE_REMOVE;
}

/* A connected pair; the connection is created but not started. */
static Fixture *
fixture_new_unstarted (void)
{
  Fixture *f = g_new0 (Fixture, 1);
  GSocketClient *client;
  GError *err = NULL;

  f->io = gst_resilient_io_context_get ();
  f->events = g_async_queue_new_full ((GDestroyNotify) event_free);
  f->listener = make_listener (8, &f->port);

  client = g_socket_client_new ();
  g_socket_client_set_enable_proxy (client, FALSE);
  f->client = g_socket_client_connect_to_host (client, "127.0.0.1", f->port,
      NULL, &err);
  fail_unless (f->client != NULL, "%s", err ? err->message : "");
  g_object_unref (client);

  f->peer = g_socket_accept (f->listener, NULL, &err);
  fail_unless (f->peer != NULL, "%s", err ? err->message : "");
  g_socket_set_blocking (f->peer, TRUE);
  g_socket_set_timeout (f->peer, 20);

  f->conn = gst_resilient_connection_new (f->io, G_IO_STREAM (f->client),
      &callbacks, f);
  fail_unless (f->conn != NULL);
  return f;
}

static Fixture *
fixture_new (void)
{
  Fixture *f = fixture_new_unstarted ();

  gst_resilient_io_context_invoke_sync (f->io, start_conn, f->conn);
  return f;
}

static void
fixture_free (Fixture * f)
{
  if (f->conn) {
    g_atomic_int_set (&f->close_called, 1);
    gst_resilient_io_context_invoke_sync (f->io, close_conn, f->conn);
    g_clear_object (&f->conn);
  }
  /* let pending invocations (and their references) run out */
  gst_resilient_io_context_invoke_sync (f->io, noop, NULL);

  fail_unless_equals_int (g_atomic_int_get (&f->wrong_thread), 0);
  fail_unless_equals_int (g_atomic_int_get (&f->after_close), 0);

  g_async_queue_unref (f->events);
  g_clear_object (&f->peer);
  g_clear_object (&f->client);
  g_socket_close (f->listener, NULL);
  g_object_unref (f->listener);
  gst_resilient_io_context_unref (f->io);
  g_free (f);
}

static Event *
fixture_pop (Fixture * f)
{
  Event *ev = g_async_queue_timeout_pop (f->events, WAIT_US);

  fail_unless (ev != NULL, "no event from the connection");
  return ev;
}

static void
fixture_expect_no_event (Fixture * f)
{
  /* anything already queued on the I/O thread has run after this */
  gst_resilient_io_context_invoke_sync (f->io, noop, NULL);
  fail_unless_equals_int (g_async_queue_length (f->events), 0);
}

static void
peer_send (Fixture * f, const guint8 * data, gsize len)
{
  GError *err = NULL;

  while (len > 0) {
    gssize n = g_socket_send (f->peer, (const gchar *) data, len, NULL, &err);

    fail_unless (n > 0, "send: %s", err ? err->message : "");
    data += n;
    len -= n;
  }
}

static void
peer_send_str (Fixture * f, const gchar * str)
{
  peer_send (f, (const guint8 *) str, strlen (str));
}

static void
peer_receive (Fixture * f, guint8 * data, gsize len)
{
  GError *err = NULL;

  while (len > 0) {
    gssize n = g_socket_receive (f->peer, (gchar *) data, len, NULL, &err);

    fail_unless (n > 0, "receive: %s", n == 0 ? "EOF" : err->message);
    data += n;
    len -= n;
  }
}

static void
wait_bytes_received (Fixture * f, guint64 bytes)
{
  GstResilientConnectionStats stats;
  gint64 end = g_get_monotonic_time () + WAIT_US;

  do {
    gst_resilient_connection_get_stats (f->conn, &stats);
    if (stats.bytes_received >= bytes)
      return;
    g_usleep (500);
  } while (g_get_monotonic_time () < end);
  fail ("only %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes read",
      stats.bytes_received, bytes);
}

/* appends an interleaved frame whose payload byte j is (seed + j) */
static void
append_frame (GByteArray * out, guint8 channel, gsize size, guint8 seed)
{
  guint8 header[4];
  gsize j, start;

  gst_resilient_interleaved_header (header, channel, size);
  g_byte_array_append (out, header, 4);
  start = out->len;
  g_byte_array_set_size (out, start + size);
  for (j = 0; j < size; j++)
    out->data[start + j] = (guint8) (seed + j);
}

static void
check_frame (Event * ev, guint8 channel, gsize size, guint8 seed)
{
  GstMapInfo map;
  gsize j;

  fail_unless_equals_int (ev->type, EV_DATA);
  fail_unless_equals_int (ev->channel, channel);
  fail_unless (gst_buffer_map (ev->buf, &map, GST_MAP_READ));
  fail_unless_equals_uint64 (map.size, size);
  for (j = 0; j < size; j++) {
    if (map.data[j] != (guint8) (seed + j))
      fail ("frame byte %" G_GSIZE_FORMAT " is %u, expected %u", j,
          map.data[j], (guint8) (seed + j));
  }
  gst_buffer_unmap (ev->buf, &map);
}

static void
check_response (Event * ev, GstRTSPStatusCode code, const gchar * cseq,
    const gchar * body)
{
  gchar *value = NULL;
  guint8 *data = NULL;
  guint size = 0;

  fail_unless_equals_int (ev->type, EV_MESSAGE);
  fail_unless_equals_int (gst_rtsp_message_get_type (ev->msg),
      GST_RTSP_MESSAGE_RESPONSE);
  fail_unless_equals_int (ev->msg->type_data.response.code, code);
  fail_unless_equals_int (gst_rtsp_message_get_header (ev->msg,
          GST_RTSP_HDR_CSEQ, &value, 0), GST_RTSP_OK);
  fail_unless_equals_string (value, cseq);
  gst_rtsp_message_get_body (ev->msg, &data, &size);
  if (body) {
    fail_unless_equals_int (size, strlen (body));
    fail_unless (memcmp (data, body, size) == 0);
  } else {
    fail_unless_equals_int (size, 0);
  }
}

static GstMemory *
frame_memory (Event * ev)
{
  fail_unless_equals_int (gst_buffer_n_memory (ev->buf), 1);
  return gst_buffer_peek_memory (ev->buf, 0);
}

/* ---- connection tests ---- */

static const gchar response_200[] =
    "RTSP/1.0 200 OK\r\n"
    "CSeq: 3\r\n"
    "Session: 12345678;timeout=60\r\n" "Content-Length: 5\r\n" "\r\n" "hello";

GST_START_TEST (test_split_at_every_byte)
{
  Fixture *f = fixture_new ();
  GByteArray *stream = g_byte_array_new ();
  GstResilientConnectionStats stats;
  Event *ev;
  guint i;

  g_byte_array_append (stream, (const guint8 *) response_200,
      strlen (response_200));
  append_frame (stream, 1, 7, 'a');
  /* stray CRLF between frames is allowed */
  g_byte_array_append (stream, (const guint8 *) "\r\n", 2);
  g_byte_array_append (stream, (const guint8 *) response_200,
      strlen (response_200));

  /* one byte per read: wait until each has been read before the next */
  for (i = 0; i < stream->len; i++) {
    peer_send (f, stream->data + i, 1);
    wait_bytes_received (f, i + 1);
  }

  ev = fixture_pop (f);
  check_response (ev, GST_RTSP_STS_OK, "3", "hello");
  event_free (ev);
  ev = fixture_pop (f);
  check_frame (ev, 1, 7, 'a');
  event_free (ev);
  ev = fixture_pop (f);
  check_response (ev, GST_RTSP_STS_OK, "3", "hello");
  event_free (ev);
  fixture_expect_no_event (f);

  gst_resilient_connection_get_stats (f->conn, &stats);
  fail_unless_equals_uint64 (stats.bytes_received, stream->len);
  fail_unless_equals_uint64 (stats.messages_received, 2);
  fail_unless_equals_uint64 (stats.frames_received, 1);
  /* split across reads, but inside one block: still zero-copy */
  fail_unless_equals_uint64 (stats.frame_bytes_shared, 7);
  fail_unless_equals_uint64 (stats.frame_bytes_copied, 0);
  fail_unless_equals_uint64 (stats.blocks_allocated, 1);

  g_byte_array_unref (stream);
  fixture_free (f);
}

GST_END_TEST;

/* frame i: channel i % 4, size (i * 37) % 600, seed i; a request from the
 * server every 25 frames */
#define N_FRAMES 100

GST_START_TEST (test_many_frames_one_write)
{
  Fixture *f = fixture_new ();
  GByteArray *stream = g_byte_array_new ();
  GstResilientConnectionStats stats;
  GstMemory *block = NULL;
  guint64 payload = 0;
  guint i;

  for (i = 0; i < N_FRAMES; i++) {
    if (i % 25 == 0) {
      gchar *req = g_strdup_printf ("GET_PARAMETER rtsp://cam/ RTSP/1.0\r\n"
          "CSeq: %u\r\n\r\n", i);
      g_byte_array_append (stream, (const guint8 *) req, strlen (req));
      g_free (req);
    }
    append_frame (stream, i % 4, (i * 37) % 600, i);
    payload += (i * 37) % 600;
  }
  fail_unless (stream->len < 64 * 1024);
  peer_send (f, stream->data, stream->len);

  for (i = 0; i < N_FRAMES; i++) {
    Event *ev;

    if (i % 25 == 0) {
      gchar *value = NULL, *expected = g_strdup_printf ("%u", i);

      ev = fixture_pop (f);
      fail_unless_equals_int (ev->type, EV_MESSAGE);
      fail_unless_equals_int (gst_rtsp_message_get_type (ev->msg),
          GST_RTSP_MESSAGE_REQUEST);
      fail_unless_equals_int (ev->msg->type_data.request.method,
          GST_RTSP_GET_PARAMETER);
      gst_rtsp_message_get_header (ev->msg, GST_RTSP_HDR_CSEQ, &value, 0);
      fail_unless_equals_string (value, expected);
      g_free (expected);
      event_free (ev);
    }
    ev = fixture_pop (f);
    check_frame (ev, i % 4, (i * 37) % 600, i);
    /* every non-empty frame shares the one block */
    if (gst_buffer_get_size (ev->buf) > 0) {
      GstMemory *mem = frame_memory (ev);

      fail_unless (mem->parent != NULL);
      if (block == NULL)
        block = mem->parent;
      fail_unless (mem->parent == block);
    }
    event_free (ev);
  }
  fixture_expect_no_event (f);

  gst_resilient_connection_get_stats (f->conn, &stats);
  fail_unless_equals_uint64 (stats.bytes_received, stream->len);
  fail_unless_equals_uint64 (stats.frames_received, N_FRAMES);
  fail_unless_equals_uint64 (stats.messages_received, N_FRAMES / 25);
  fail_unless_equals_uint64 (stats.frame_bytes_shared, payload);
  fail_unless_equals_uint64 (stats.frame_bytes_copied, 0);

  g_byte_array_unref (stream);
  fixture_free (f);
}

GST_END_TEST;

/* Several MB of frames, far more than a block: whatever the reads look
 * like, every frame arrives intact and every payload byte is counted once,
 * shared or copied. */
GST_START_TEST (test_stream_across_blocks)
{
  Fixture *f = fixture_new ();
  GByteArray *stream = g_byte_array_new ();
  GstResilientConnectionStats stats;
  guint64 payload = 0;
  guint i, n = 2000;

  for (i = 0; i < n; i++) {
    gsize size = (i * 7919) % 4000;

    append_frame (stream, i & 0xff, size, i * 3);
    payload += size;
  }
  peer_send (f, stream->data, stream->len);

  for (i = 0; i < n; i++) {
    Event *ev = fixture_pop (f);

    check_frame (ev, i & 0xff, (i * 7919) % 4000, i * 3);
    event_free (ev);
  }
  fixture_expect_no_event (f);

  gst_resilient_connection_get_stats (f->conn, &stats);
  fail_unless_equals_uint64 (stats.bytes_received, stream->len);
  fail_unless_equals_uint64 (stats.frames_received, n);
  fail_unless_equals_uint64 (stats.frame_bytes_shared +
      stats.frame_bytes_copied, payload);
  /* most of it zero-copy */
  fail_unless (stats.frame_bytes_shared > stats.frame_bytes_copied);
  fail_unless (stats.blocks_allocated > 1);

  g_byte_array_unref (stream);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_frame_straddling_blocks)
{
  Fixture *f = fixture_new ();
  GByteArray *stream = g_byte_array_new ();
  GstResilientConnectionStats stats;
  Event *a, *b, *c;

  /* A fills all but 532 bytes of the first 64 KiB block */
  append_frame (stream, 0, 65000, 1);
  peer_send (f, stream->data, stream->len);
  a = fixture_pop (f);
  check_frame (a, 0, 65000, 1);

  /* B (1004 bytes) cannot fit: its head is read into the first block, then
   * moved to a new one */
  g_byte_array_set_size (stream, 0);
  append_frame (stream, 1, 1000, 2);
  peer_send (f, stream->data, stream->len);
  b = fixture_pop (f);
  check_frame (b, 1, 1000, 2);

  gst_resilient_connection_get_stats (f->conn, &stats);
  fail_unless_equals_uint64 (stats.frame_bytes_shared, 65000);
  fail_unless_equals_uint64 (stats.frame_bytes_copied, 1000);
  fail_unless_equals_uint64 (stats.blocks_allocated, 2);
  fail_unless (frame_memory (a)->parent != NULL);
  fail_unless (frame_memory (b)->parent != NULL);
  fail_unless (frame_memory (a)->parent != frame_memory (b)->parent);

  /* C: the largest frame, straddling again; the new block must hold all
   * of it (65539 bytes) */
  g_byte_array_set_size (stream, 0);
  append_frame (stream, 2, 65535, 3);
  peer_send (f, stream->data, stream->len);
  c = fixture_pop (f);
  check_frame (c, 2, 65535, 3);
  fail_unless (frame_memory (c)->parent != frame_memory (b)->parent);
  fail_unless (frame_memory (c)->parent->size >= 65539);

  gst_resilient_connection_get_stats (f->conn, &stats);
  fail_unless_equals_uint64 (stats.frame_bytes_shared, 65000);
  fail_unless_equals_uint64 (stats.frame_bytes_copied, 1000 + 65535);
  fail_unless_equals_uint64 (stats.blocks_allocated, 3);
  fail_unless_equals_uint64 (stats.frames_received, 3);

  event_free (a);
  event_free (b);
  event_free (c);
  g_byte_array_unref (stream);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_large_frame)
{
  Fixture *f = fixture_new ();
  GByteArray *stream = g_byte_array_new ();
  GstResilientConnectionStats stats;
  guint off;
  Event *ev;

  append_frame (stream, 5, 60000, 9);
  /* in pieces, so it straddles several reads */
  for (off = 0; off < stream->len; off += 7000) {
    peer_send (f, stream->data + off, MIN (7000, stream->len - off));
    wait_bytes_received (f, MIN (off + 7000, stream->len));
  }

  ev = fixture_pop (f);
  check_frame (ev, 5, 60000, 9);
  /* one memory, sharing the block */
  fail_unless (frame_memory (ev)->parent != NULL);
  event_free (ev);
  fixture_expect_no_event (f);

  gst_resilient_connection_get_stats (f->conn, &stats);
  fail_unless_equals_uint64 (stats.frame_bytes_shared, 60000);
  fail_unless_equals_uint64 (stats.frame_bytes_copied, 0);
  fail_unless_equals_uint64 (stats.blocks_allocated, 1);

  g_byte_array_unref (stream);
  fixture_free (f);
}

GST_END_TEST;

/* Once every buffer handed out is gone, the block is reused from its start
 * instead of allocating new ones. */
GST_START_TEST (test_block_reused)
{
  Fixture *f = fixture_new ();
  GByteArray *stream = g_byte_array_new ();
  GstResilientConnectionStats stats;
  guint i;

  for (i = 0; i < 200; i++) {
    Event *ev;

    g_byte_array_set_size (stream, 0);
    append_frame (stream, 0, 1000, i);
    peer_send (f, stream->data, stream->len);
    ev = fixture_pop (f);
    check_frame (ev, 0, 1000, i);
    event_free (ev);
  }

  gst_resilient_connection_get_stats (f->conn, &stats);
  fail_unless_equals_uint64 (stats.frame_bytes_shared, 200 * 1000);
  fail_unless_equals_uint64 (stats.blocks_allocated, 1);

  g_byte_array_unref (stream);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_peer_close)
{
  Fixture *f = fixture_new ();
  GstRTSPMessage *msg;
  Event *ev;

  peer_send_str (f, response_200);
  /* and half a frame */
  peer_send (f, (const guint8 *) "$\001\000\010abc", 7);
  g_socket_shutdown (f->peer, FALSE, TRUE, NULL);

  ev = fixture_pop (f);
  check_response (ev, GST_RTSP_STS_OK, "3", "hello");
  event_free (ev);
  ev = fixture_pop (f);
  fail_unless_equals_int (ev->type, EV_CLOSED);
  fail_unless (g_error_matches (ev->error, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_CONNECTION_LOST), "%s", ev->error->message);
  event_free (ev);
  fixture_expect_no_event (f);

  /* sending is refused from now on */
  gst_rtsp_message_new_request (&msg, GST_RTSP_OPTIONS, "rtsp://cam/");
  fail_if (gst_resilient_connection_send_message (f->conn, msg));
  gst_rtsp_message_free (msg);

  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_garbage)
{
  Fixture *f = fixture_new ();
  Event *ev;

  peer_send_str (f, response_200);
  peer_send_str (f, "this is not rtsp\r\n\r\n");

  ev = fixture_pop (f);
  check_response (ev, GST_RTSP_STS_OK, "3", "hello");
  event_free (ev);
  ev = fixture_pop (f);
  fail_unless_equals_int (ev->type, EV_CLOSED);
  fail_unless (g_error_matches (ev->error, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_PROTOCOL), "%s", ev->error->message);
  event_free (ev);

  /* more bytes change nothing: it was closed once */
  peer_send_str (f, response_200);
  fixture_expect_no_event (f);

  fixture_free (f);
}

GST_END_TEST;

#define N_SENDS 200

static gpointer
send_messages_thread (gpointer data)
{
  GstResilientConnection *conn = data;
  guint i;

  for (i = 0; i < N_SENDS; i++) {
    GstRTSPMessage *msg;
    gchar *cseq = g_strdup_printf ("%u", i);

    gst_rtsp_message_new_request (&msg, GST_RTSP_GET_PARAMETER,
        "rtsp://cam/stream");
    gst_rtsp_message_add_header (msg, GST_RTSP_HDR_CSEQ, cseq);
    gst_rtsp_message_set_body (msg, (const guint8 *) "position\r\n", 10);
    if (!gst_resilient_connection_send_message (conn, msg))
      g_error ("send_message failed");
    gst_rtsp_message_free (msg);
    g_free (cseq);
  }
  return NULL;
}

static gpointer
send_data_thread (gpointer data)
{
  GstResilientConnection *conn = data;
  guint i;

  for (i = 0; i < N_SENDS; i++) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL, 100 + i, NULL);
    GstMapInfo map;
    guint j;

    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    for (j = 0; j < map.size; j++)
      map.data[j] = (guint8) (i + j);
    gst_buffer_unmap (buf, &map);
    if (!gst_resilient_connection_send_data (conn, 1, buf))
      g_error ("send_data failed");
    gst_buffer_unref (buf);
  }
  return NULL;
}

GST_START_TEST (test_send_from_threads)
{
  Fixture *f = fixture_new ();
  GstResilientFramer *framer = gst_resilient_framer_new (NULL);
  GByteArray *in = g_byte_array_new ();
  GThread *t1, *t2;
  GstResilientConnectionStats stats;
  guint next_msg = 0, next_frame = 0;
  gsize pos = 0;

  t1 = g_thread_new ("send-messages", send_messages_thread, f->conn);
  t2 = g_thread_new ("send-data", send_data_thread, f->conn);

  /* read and parse what arrives until everything is there */
  while (next_msg < N_SENDS || next_frame < N_SENDS) {
    GstResilientFrame frame = { 0, };
    GError *err = NULL;
    gsize consumed = 0;
    GstResilientFrameResult res;

    res = gst_resilient_framer_parse (framer, in->data + pos, in->len - pos,
        &consumed, NULL, &frame, &err);
    if (res == GST_RESILIENT_FRAME_NEED_MORE) {
      guint8 chunk[4096];
      gssize n = g_socket_receive (f->peer, (gchar *) chunk, sizeof (chunk),
          NULL, &err);

      fail_unless (n > 0, "receive: %s", n == 0 ? "EOF" : err->message);
      g_byte_array_append (in, chunk, n);
      continue;
    }
    fail_unless (res != GST_RESILIENT_FRAME_ERROR, "%s", err ?
        err->message : "");
    if (res == GST_RESILIENT_FRAME_MESSAGE) {
      gchar *cseq = NULL, *expected = g_strdup_printf ("%u", next_msg);
      guint8 *body;
      guint size;

      fail_unless_equals_int (frame.message->type_data.request.method,
          GST_RTSP_GET_PARAMETER);
      gst_rtsp_message_get_header (frame.message, GST_RTSP_HDR_CSEQ, &cseq, 0);
      fail_unless_equals_string (cseq, expected);
      gst_rtsp_message_get_body (frame.message, &body, &size);
      fail_unless_equals_int (size, 10);
      fail_unless (memcmp (body, "position\r\n", 10) == 0);
      gst_rtsp_message_free (frame.message);
      g_free (expected);
      next_msg++;
    } else {
      gsize j;

      fail_unless_equals_int (frame.channel, 1);
      fail_unless_equals_uint64 (frame.data_size, 100 + next_frame);
      for (j = 0; j < frame.data_size; j++)
        fail_unless_equals_int (in->data[pos + frame.data_offset + j],
            (guint8) (next_frame + j));
      next_frame++;
    }
    pos += consumed;
  }
  fail_unless_equals_uint64 (pos, in->len);

  g_thread_join (t1);
  g_thread_join (t2);

  gst_resilient_connection_get_stats (f->conn, &stats);
  fail_unless_equals_uint64 (stats.bytes_sent, in->len);

  gst_resilient_framer_free (framer);
  g_byte_array_unref (in);
  fixture_free (f);
}

GST_END_TEST;

/* not g_strstr_len (): it stops at the NUL bytes of frame headers */
static gboolean
bytes_contain (const GByteArray * hay, const gchar * needle)
{
  gsize len = strlen (needle), i;

  for (i = 0; i + len <= hay->len; i++) {
    if (memcmp (hay->data + i, needle, len) == 0)
      return TRUE;
  }
  return FALSE;
}

/* The peer doesn't read: data frames are dropped once more than 1 MiB is
 * queued, messages never are. */
GST_START_TEST (test_send_queue_limit)
{
  Fixture *f = fixture_new ();
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 60000, NULL);
  GstRTSPMessage *msg;
  GByteArray *in = g_byte_array_new ();
  gboolean dropped = FALSE;
  guint i;
  guint8 chunk[65536];
  const gchar *marker = "CSeq: 4242";

  gst_buffer_memset (buf, 0, 'x', 60000);
  /* bounded: socket buffers hold a few MB at most */
  for (i = 0; i < 5000 && !dropped; i++) {
    if (!gst_resilient_connection_send_data (f->conn, 0, buf))
      dropped = TRUE;
  }
  fail_unless (dropped, "no frame was dropped");

  gst_rtsp_message_new_request (&msg, GST_RTSP_OPTIONS, "rtsp://cam/");
  gst_rtsp_message_add_header (msg, GST_RTSP_HDR_CSEQ, "4242");
  fail_unless (gst_resilient_connection_send_message (f->conn, msg));
  gst_rtsp_message_free (msg);

  /* now read: the message arrives after the frames */
  while (TRUE) {
    GError *err = NULL;
    gssize n = g_socket_receive (f->peer, (gchar *) chunk, sizeof (chunk),
        NULL, &err);

    fail_unless (n > 0, "receive: %s", n == 0 ? "EOF" : err->message);
    /* keep only a tail to search in */
    g_byte_array_append (in, chunk, n);
    if (bytes_contain (in, marker))
      break;
    if (in->len > 64)
      g_byte_array_remove_range (in, 0, in->len - 64);
  }

  gst_buffer_unref (buf);
  g_byte_array_unref (in);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_close_then_no_callbacks)
{
  Fixture *f = fixture_new ();
  GstRTSPMessage *msg;
  GstBuffer *buf;
  guint8 c;
  GError *err = NULL;

  g_atomic_int_set (&f->close_called, 1);
  gst_resilient_io_context_invoke_sync (f->io, close_conn, f->conn);
  /* idempotent */
  gst_resilient_io_context_invoke_sync (f->io, close_conn, f->conn);

  /* the peer sees the end of the stream */
  fail_unless_equals_int (g_socket_receive (f->peer, (gchar *) & c, 1, NULL,
          &err), 0);

  peer_send_str (f, response_200);
  g_socket_shutdown (f->peer, FALSE, TRUE, NULL);
  fixture_expect_no_event (f);

  gst_rtsp_message_new_request (&msg, GST_RTSP_OPTIONS, "rtsp://cam/");
  fail_if (gst_resilient_connection_send_message (f->conn, msg));
  gst_rtsp_message_free (msg);
  buf = gst_buffer_new_allocate (NULL, 10, NULL);
  fail_if (gst_resilient_connection_send_data (f->conn, 0, buf));
  gst_buffer_unref (buf);

  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_close_in_callback)
{
  Fixture *f = fixture_new ();
  GByteArray *stream = g_byte_array_new ();
  Event *ev;

  f->close_in_message = TRUE;
  g_byte_array_append (stream, (const guint8 *) response_200,
      strlen (response_200));
  append_frame (stream, 0, 100, 0);
  g_byte_array_append (stream, (const guint8 *) response_200,
      strlen (response_200));
  peer_send (f, stream->data, stream->len);
  g_socket_shutdown (f->peer, FALSE, TRUE, NULL);

  ev = fixture_pop (f);
  check_response (ev, GST_RTSP_STS_OK, "3", "hello");
  event_free (ev);
  /* neither the frame, the second message nor closed */
  fixture_expect_no_event (f);

  g_byte_array_unref (stream);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_unref_in_callback)
{
  Fixture *f = fixture_new ();
  GByteArray *stream = g_byte_array_new ();
  Event *ev;

  /* the callback closes and drops the only reference */
  f->close_in_message = TRUE;
  f->unref_in_message = TRUE;
  g_byte_array_append (stream, (const guint8 *) response_200,
      strlen (response_200));
  append_frame (stream, 0, 100, 0);
  peer_send (f, stream->data, stream->len);

  ev = fixture_pop (f);
  check_response (ev, GST_RTSP_STS_OK, "3", "hello");
  event_free (ev);
  fixture_expect_no_event (f);
  fail_unless (f->conn == NULL);

  g_byte_array_unref (stream);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_addresses)
{
  Fixture *f = fixture_new_unstarted ();
  GInetSocketAddress *remote, *local;
  GSocketAddress *peer_remote;
  gchar *s;

  remote = gst_resilient_connection_get_remote_address (f->conn);
  local = gst_resilient_connection_get_local_address (f->conn);
  fail_unless (remote != NULL);
  fail_unless (local != NULL);
  fail_unless_equals_int (g_inet_socket_address_get_port (remote), f->port);
  s = g_inet_address_to_string (g_inet_socket_address_get_address (remote));
  fail_unless_equals_string (s, "127.0.0.1");
  g_free (s);

  peer_remote = g_socket_get_remote_address (f->peer, NULL);
  fail_unless_equals_int (g_inet_socket_address_get_port (local),
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (peer_remote)));

  g_object_unref (peer_remote);
  g_object_unref (remote);
  g_object_unref (local);
  /* never started: dropping it closes the stream */
  fixture_free (f);
}

GST_END_TEST;

/* ---- connector tests ---- */

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

static GIOStream *
connect_sync (const gchar * host, guint16 port, guint timeout_ms,
    GCancellable * cancellable, GError ** error)
{
  ConnectState s = { 0, };
  GAsyncResult *result;
  GIOStream *stream;

  s.results = g_async_queue_new ();
  s.io = gst_resilient_io_context_get ();

  gst_resilient_connect_tcp_async (s.io, host, port, timeout_ms, cancellable,
      on_connect_done, &s);
  result = g_async_queue_timeout_pop (s.results, 60 * G_USEC_PER_SEC);
  fail_unless (result != NULL, "connect never completed");
  stream = gst_resilient_connect_tcp_finish (result, error);
  g_object_unref (result);
  fail_unless_equals_int (g_atomic_int_get (&s.wrong_thread), 0);

  /* the task is released on the I/O thread: let that happen */
  gst_resilient_io_context_invoke_sync (s.io, noop, NULL);
  gst_resilient_io_context_unref (s.io);
  g_async_queue_unref (s.results);
  return stream;
}

GST_START_TEST (test_connect_success)
{
  guint16 port;
  GSocket *listener = make_listener (8, &port);
  GSocket *peer, *sock;
  GIOStream *stream;
  GSocketAddress *remote;
  GError *err = NULL;
  gint nodelay = 0;

  stream = connect_sync ("127.0.0.1", port, 10000, NULL, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  fail_unless (G_IS_SOCKET_CONNECTION (stream));

  sock = g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));
  fail_unless (g_socket_get_option (sock, IPPROTO_TCP, TCP_NODELAY, &nodelay,
          NULL));
  fail_unless (nodelay != 0);
  remote = g_socket_connection_get_remote_address (G_SOCKET_CONNECTION
      (stream), NULL);
  fail_unless_equals_int (g_inet_socket_address_get_port
      (G_INET_SOCKET_ADDRESS (remote)), port);
  g_object_unref (remote);

  peer = g_socket_accept (listener, NULL, &err);
  fail_unless (peer != NULL);

  g_object_unref (peer);
  g_object_unref (stream);

  /* a name that resolves (maybe to ::1 first: every address is tried) */
  stream = connect_sync ("localhost", port, 10000, NULL, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  g_object_unref (stream);

  g_object_unref (listener);
}

GST_END_TEST;

/* An IPv6 literal, with its URL brackets. */
GST_START_TEST (test_connect_ipv6_literal)
{
  GSocket *listener;
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0), *local;
  GIOStream *stream;
  GError *err = NULL;
  guint16 port;

  listener = g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  if (listener == NULL || !g_socket_bind (listener, addr, TRUE, NULL)) {
    /* no IPv6 loopback on this host */
    g_clear_object (&listener);
    g_object_unref (addr);
    g_object_unref (lo);
    return;
  }
  fail_unless (g_socket_listen (listener, NULL));
  local = g_socket_get_local_address (listener, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));

  stream = connect_sync ("[::1]", port, 10000, NULL, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  g_object_unref (stream);
  stream = connect_sync ("::1", port, 10000, NULL, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  g_object_unref (stream);

  g_object_unref (local);
  g_object_unref (listener);
  g_object_unref (addr);
  g_object_unref (lo);
}

GST_END_TEST;

GST_START_TEST (test_connect_refused)
{
  guint16 port;
  /* bound but not listening: connecting is refused, and nobody else can
   * take the port meanwhile */
  GSocket *sock = make_listener (-1, &port);
  GIOStream *stream;
  GError *err = NULL;

  stream = connect_sync ("127.0.0.1", port, 10000, NULL, &err);
  fail_unless (stream == NULL);
  fail_unless (g_error_matches (err, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_REFUSED), "%s", err->message);
  fail_unless (strstr (err->message, "127.0.0.1") != NULL, "%s", err->message);
  g_error_free (err);

  g_object_unref (sock);
}

GST_END_TEST;

GST_START_TEST (test_connect_dns)
{
  GIOStream *stream;
  GError *err = NULL;

  stream = connect_sync ("nonexistent.invalid", 554, 30000, NULL, &err);
  fail_unless (stream == NULL);
  fail_unless (g_error_matches (err, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_DNS), "%s", err->message);
  fail_unless (strstr (err->message, "nonexistent.invalid") != NULL, "%s",
      err->message);
  g_error_free (err);
}

GST_END_TEST;

/* A listener with a backlog of 0 whose accept queue is already full drops
 * new SYNs: the connect hangs until our timer fires. */
static GSocket *
make_full_listener (guint16 * port, GSocketConnection ** filler)
{
  GSocket *listener = make_listener (0, port);
  GSocketClient *client = g_socket_client_new ();
  GError *err = NULL;

  g_socket_client_set_enable_proxy (client, FALSE);
  *filler = g_socket_client_connect_to_host (client, "127.0.0.1", *port,
      NULL, &err);
  fail_unless (*filler != NULL, "%s", err ? err->message : "");
  g_object_unref (client);
  return listener;
}

GST_START_TEST (test_connect_timeout)
{
  guint16 port;
  GSocketConnection *filler;
  GSocket *listener = make_full_listener (&port, &filler);
  GIOStream *stream;
  GError *err = NULL;

  stream = connect_sync ("127.0.0.1", port, 300, NULL, &err);
  fail_unless (stream == NULL);
  fail_unless (g_error_matches (err, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_TIMEOUT), "%s", err->message);
  g_error_free (err);

  g_object_unref (filler);
  g_object_unref (listener);
}

GST_END_TEST;

static gboolean
cancel_later (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

GST_START_TEST (test_connect_cancel)
{
  guint16 port;
  GSocketConnection *filler;
  GSocket *listener = make_full_listener (&port, &filler);
  GCancellable *cancellable = g_cancellable_new ();
  GstResilientIoContext *io = gst_resilient_io_context_get ();
  GSource *timer;
  GIOStream *stream;
  GError *err = NULL;

  /* cancelled while hanging */
  timer = gst_resilient_io_context_add_timeout (io, 100, cancel_later,
      g_object_ref (cancellable), g_object_unref);
  stream = connect_sync ("127.0.0.1", port, 30000, cancellable, &err);
  fail_unless (stream == NULL);
  fail_unless (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED), "%s",
      err->message);
  g_clear_error (&err);
  g_source_destroy (timer);
  g_source_unref (timer);

  /* already cancelled */
  stream = connect_sync ("127.0.0.1", port, 30000, cancellable, &err);
  fail_unless (stream == NULL);
  fail_unless (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED), "%s",
      err->message);
  g_clear_error (&err);

  gst_resilient_io_context_unref (io);
  g_object_unref (cancellable);
  g_object_unref (filler);
  g_object_unref (listener);
}

GST_END_TEST;

/* The connector's stream, driven by a connection. */
GST_START_TEST (test_connect_and_talk)
{
  Fixture *f = g_new0 (Fixture, 1);
  GIOStream *stream;
  GError *err = NULL;
  GstRTSPMessage *msg;
  GBytes *expected;
  guint8 *got;
  gsize size;
  Event *ev;

  f->io = gst_resilient_io_context_get ();
  f->events = g_async_queue_new_full ((GDestroyNotify) event_free);
  f->listener = make_listener (8, &f->port);

  stream = connect_sync ("127.0.0.1", f->port, 10000, NULL, &err);
  fail_unless (stream != NULL, "%s", err ? err->message : "");
  f->client = G_SOCKET_CONNECTION (stream);
  f->peer = g_socket_accept (f->listener, NULL, &err);
  fail_unless (f->peer != NULL);
  g_socket_set_blocking (f->peer, TRUE);
  g_socket_set_timeout (f->peer, 20);
  f->conn = gst_resilient_connection_new (f->io, stream, &callbacks, f);
  gst_resilient_io_context_invoke_sync (f->io, start_conn, f->conn);

  gst_rtsp_message_new_request (&msg, GST_RTSP_OPTIONS, "rtsp://cam/");
  gst_rtsp_message_add_header (msg, GST_RTSP_HDR_CSEQ, "3");
  expected = gst_resilient_message_serialize (msg);
  fail_unless (gst_resilient_connection_send_message (f->conn, msg));
  gst_rtsp_message_free (msg);

  got = g_malloc (g_bytes_get_size (expected));
  peer_receive (f, got, g_bytes_get_size (expected));
  fail_unless (memcmp (got, g_bytes_get_data (expected, &size), size) == 0);
  g_free (got);
  g_bytes_unref (expected);

  peer_send_str (f, response_200);
  ev = fixture_pop (f);
  check_response (ev, GST_RTSP_STS_OK, "3", "hello");
  event_free (ev);

  fixture_free (f);
}

GST_END_TEST;

static Suite *
connection_suite (void)
{
  Suite *s = suite_create ("connection");
  TCase *tc = tcase_create ("connection");
  TCase *tc_connect = tcase_create ("connector");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_split_at_every_byte);
  tcase_add_test (tc, test_many_frames_one_write);
  tcase_add_test (tc, test_stream_across_blocks);
  tcase_add_test (tc, test_frame_straddling_blocks);
  tcase_add_test (tc, test_large_frame);
  tcase_add_test (tc, test_block_reused);
  tcase_add_test (tc, test_peer_close);
  tcase_add_test (tc, test_garbage);
  tcase_add_test (tc, test_send_from_threads);
  tcase_add_test (tc, test_send_queue_limit);
  tcase_add_test (tc, test_close_then_no_callbacks);
  tcase_add_test (tc, test_close_in_callback);
  tcase_add_test (tc, test_unref_in_callback);
  tcase_add_test (tc, test_addresses);

  suite_add_tcase (s, tc_connect);
  tcase_add_test (tc_connect, test_connect_success);
  tcase_add_test (tc_connect, test_connect_ipv6_literal);
  tcase_add_test (tc_connect, test_connect_refused);
  tcase_add_test (tc_connect, test_connect_dns);
  tcase_add_test (tc_connect, test_connect_timeout);
  tcase_add_test (tc_connect, test_connect_cancel);
  tcase_add_test (tc_connect, test_connect_and_talk);
  return s;
}

GST_CHECK_MAIN (connection);
