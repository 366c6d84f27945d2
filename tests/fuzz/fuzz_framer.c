/* resilientrtsp
 * tests/fuzz/fuzz_framer.c: libFuzzer target for the RTSP/interleaved
 * framer (and the header parsers fed from what it parses).
 *
 * The first input byte seeds the read sizes; the rest is the byte stream.
 * The stream is parsed once whole and once in reads of pseudo-random sizes
 * (the caller's buffer reallocated every read); both must give the same
 * frames and the same final outcome. Every message is serialized and
 * parsed again, which must give the same serialization.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gst/gst.h>

#include "framer.h"
#include "headers.h"
#include "url.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

#define CHECK(cond) \
  G_STMT_START { \
    if (!(cond)) { \
      g_printerr ("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort (); \
    } \
  } G_STMT_END

typedef struct
{
  GstResilientFrameResult res;
  gsize consumed;
  guint8 channel;
  gsize data_offset;
  gsize data_size;
  GBytes *serialized;           /* MESSAGE: the message written out again */
} Event;

static void
event_clear (gpointer p)
{
  Event *e = p;

  if (e->serialized)
    g_bytes_unref (e->serialized);
}

/* Formats a message and exercises the header parsers on it. */
static GBytes *
message_checks (GstRTSPMessage * msg)
{
  gchar *value = NULL;
  GBytes *bytes;

  if (gst_rtsp_message_get_header (msg, GST_RTSP_HDR_SESSION, &value,
          0) == GST_RTSP_OK) {
    gchar *id = NULL;
    guint timeout = 0;

    if (gst_resilient_parse_session_header (value, &id, &timeout)) {
      CHECK (id != NULL && *id != '\0' && strlen (id) <= 256);
      CHECK (strpbrk (id, " \t;\",") == NULL);
    } else {
      CHECK (id == NULL);
    }
    CHECK (timeout > 0);
    g_free (id);
  }
  if (gst_rtsp_message_get_header (msg, GST_RTSP_HDR_PUBLIC, &value,
          0) == GST_RTSP_OK)
    (void) gst_resilient_parse_public_header (value);
  if (gst_rtsp_message_get_header (msg, GST_RTSP_HDR_RETRY_AFTER, &value,
          0) == GST_RTSP_OK) {
    guint s;
    (void) gst_resilient_parse_retry_after (value, &s);
  }
  if (gst_rtsp_message_get_header (msg, GST_RTSP_HDR_RTP_INFO, &value,
          0) == GST_RTSP_OK) {
    GArray *infos = gst_resilient_parse_rtp_info (value);
    guint i;

    CHECK (infos != NULL);
    for (i = 0; i < infos->len; i++) {
      GstResilientRtpInfo *info = &g_array_index (infos, GstResilientRtpInfo,
          i);
      gchar *url;

      CHECK (info->url != NULL && *info->url != '\0');
      url = gst_resilient_url_resolve_control ("rtsp://h:554/s/", info->url);
      CHECK (url != NULL);
      g_free (url);
    }
    gst_resilient_rtp_info_array_free (infos);
  }
  if (gst_rtsp_message_get_header (msg, GST_RTSP_HDR_CONTENT_BASE, &value,
          0) == GST_RTSP_OK) {
    gchar *base = gst_resilient_url_control_base ("rtsp://h/s", value, NULL);
    gchar *stripped, *user = NULL, *pw = NULL;

    CHECK (base != NULL);
    stripped = gst_resilient_url_strip_credentials (base, &user, &pw);
    CHECK (stripped != NULL && strlen (stripped) <= strlen (base));
    g_free (stripped);
    g_free (user);
    g_free (pw);
    g_free (base);
  }
  if (msg->type == GST_RTSP_MESSAGE_REQUEST) {
    gchar *u = gst_resilient_url_resolve (msg->type_data.request.uri, "t");
    g_free (u);
  }

  bytes = gst_resilient_message_serialize (msg);
  if (msg->type == GST_RTSP_MESSAGE_REQUEST
      && msg->type_data.request.method == GST_RTSP_INVALID)
    CHECK (bytes == NULL);
  else
    CHECK (bytes != NULL);
  return bytes;
}

/* The serialized message parses back into a message that serializes the
 * same. */
static void
check_round_trip (GBytes * serialized)
{
  GstResilientFramer *framer = gst_resilient_framer_new (NULL);
  GstResilientFrame frame;
  gsize size, consumed = 0, needed = 0;
  const guint8 *data = g_bytes_get_data (serialized, &size);
  GError *err = NULL;
  GstResilientFrameResult res;
  GBytes *again;

  res = gst_resilient_framer_parse (framer, data, size, &consumed, &needed,
      &frame, &err);
  if (res != GST_RESILIENT_FRAME_MESSAGE) {
    g_printerr ("re-parse gave %d: %s\n%.*s\n", res,
        err ? err->message : "", (int) size, (const char *) data);
    abort ();
  }
  CHECK (consumed == size);
  again = gst_resilient_message_serialize (frame.message);
  CHECK (again != NULL);
  if (!g_bytes_equal (again, serialized)) {
    gsize size2;
    const gchar *d2 = g_bytes_get_data (again, &size2);

    g_printerr ("serialization changed:\n%.*s\n---\n%.*s\n", (int) size,
        (const char *) data, (int) size2, d2);
    abort ();
  }
  g_bytes_unref (again);
  gst_rtsp_message_free (frame.message);
  gst_resilient_framer_free (framer);
}

/* Parses every frame in [data, data + len) starting at *pos; appends events;
 * returns the last result (NEED_MORE or ERROR). */
static GstResilientFrameResult
drain (GstResilientFramer * framer, const guint8 * data, gsize len,
    gsize * pos, GArray * events)
{
  while (TRUE) {
    GstResilientFrame frame;
    gsize consumed = 7777, needed = 7777;
    GError *err = NULL;
    GstResilientFrameResult res;
    Event e = { 0, };
    gsize avail = len - *pos;

    res = gst_resilient_framer_parse (framer, data + *pos, avail, &consumed,
        &needed, &frame, &err);
    CHECK (consumed <= avail);
    switch (res) {
      case GST_RESILIENT_FRAME_NEED_MORE:
        CHECK (consumed == 0);
        CHECK (needed == 0 || needed > avail);
        CHECK (err == NULL);
        CHECK (frame.message == NULL);
        return res;
      case GST_RESILIENT_FRAME_ERROR:
        CHECK (consumed == 0);
        CHECK (err != NULL && err->message != NULL);
        CHECK (frame.message == NULL);
        g_error_free (err);
        return res;
      case GST_RESILIENT_FRAME_DATA:
        CHECK (err == NULL);
        CHECK (frame.message == NULL);
        CHECK (frame.data_size <= 65535);
        CHECK (frame.data_offset >= 4);
        CHECK (frame.data_offset + frame.data_size <= avail);
        CHECK (frame.data_offset + frame.data_size == consumed);
        CHECK (data[*pos + frame.data_offset - 4] == '$');
        break;
      case GST_RESILIENT_FRAME_MESSAGE:
        CHECK (err == NULL);
        CHECK (frame.message != NULL);
        CHECK (consumed > 0);
        e.serialized = message_checks (frame.message);
        gst_rtsp_message_free (frame.message);
        break;
      default:
        abort ();
    }
    e.res = res;
    e.consumed = consumed;
    e.channel = frame.channel;
    e.data_offset = frame.data_offset;
    e.data_size = frame.data_size;
    g_array_append_val (events, e);
    *pos += consumed;
  }
}

static guint32
next_random (guint32 * state)
{
  /* xorshift32 */
  guint32 x = *state;

  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}

int
LLVMFuzzerTestOneInput (const uint8_t * input, size_t input_size)
{
  static const GstResilientFramerLimits limits = { 512, 16, 2048 };
  GstResilientFramer *framer;
  const guint8 *data;
  gsize len, pos;
  GArray *whole, *chunked;
  GstResilientFrameResult whole_end, chunked_end;
  GByteArray *pending = NULL;
  gsize fed = 0;
  guint32 rng;
  guint max_chunk;
  guint i;

  if (input_size < 1)
    return 0;

  max_chunk = (guint) input[0] + 1;
  rng = 0x9e3779b9u ^ ((guint32) input[0] << 8) ^ (guint32) input_size;
  data = input + 1;
  len = input_size - 1;

  whole = g_array_new (FALSE, TRUE, sizeof (Event));
  g_array_set_clear_func (whole, event_clear);
  chunked = g_array_new (FALSE, TRUE, sizeof (Event));
  g_array_set_clear_func (chunked, event_clear);

  /* whole */
  framer = gst_resilient_framer_new (&limits);
  pos = 0;
  whole_end = drain (framer, data, len, &pos, whole);
  CHECK (pos <= len);

  /* in reads: the caller's unparsed bytes move to a new buffer each time */
  gst_resilient_framer_reset (framer);
  chunked_end = GST_RESILIENT_FRAME_NEED_MORE;
  pending = g_byte_array_new ();
  while (fed < len && chunked_end == GST_RESILIENT_FRAME_NEED_MORE) {
    gsize n = 1 + next_random (&rng) % max_chunk;
    GByteArray *moved;

    n = MIN (n, len - fed);
    moved = g_byte_array_sized_new (pending->len + n);
    g_byte_array_append (moved, pending->data, pending->len);
    g_byte_array_append (moved, data + fed, n);
    g_byte_array_unref (pending);
    pending = moved;
    fed += n;

    pos = 0;
    chunked_end = drain (framer, pending->data, pending->len, &pos, chunked);
    g_byte_array_remove_range (pending, 0, pos);
  }
  if (len == 0)
    chunked_end = drain (framer, data, 0, &pos, chunked);
  g_byte_array_unref (pending);
  gst_resilient_framer_free (framer);

  /* same frames, same outcome */
  CHECK (whole_end == chunked_end);
  CHECK (whole->len == chunked->len);
  for (i = 0; i < whole->len; i++) {
    Event *a = &g_array_index (whole, Event, i);
    Event *b = &g_array_index (chunked, Event, i);

    CHECK (a->res == b->res);
    CHECK (a->consumed == b->consumed);
    CHECK (a->channel == b->channel);
    CHECK (a->data_offset == b->data_offset);
    CHECK (a->data_size == b->data_size);
    CHECK ((a->serialized == NULL) == (b->serialized == NULL));
    if (a->serialized) {
      CHECK (g_bytes_equal (a->serialized, b->serialized));
      check_round_trip (a->serialized);
    }
  }

  g_array_unref (whole);
  g_array_unref (chunked);
  return 0;
}
