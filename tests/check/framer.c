/* resilientrtsp
 * tests/check/framer.c: unit tests for the RTSP/interleaved framer.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/check/gstcheck.h>

#include "framer.h"
#include "error.h"

static const gchar describe_response[] =
    "RTSP/1.0 200 OK\r\n"
    "CSeq: 2\r\n"
    "Content-Base: rtsp://127.0.0.1:8554/test/\r\n"
    "Content-Type: application/sdp\r\n"
    "Server: GStreamer RTSP server\r\n"
    "Date: Fri, 21 Nov 2025 05:20:00 GMT\r\n"
    "Content-Length: 168\r\n"
    "\r\n"
    "v=0\r\n"
    "o=- 1188340656180883 1 IN IP4 127.0.0.1\r\n"
    "s=Session streamed with GStreamer\r\n"
    "t=0 0\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "a=rtpmap:96 H264/90000\r\n" "a=control:stream=0\r\n" "a=xx:yyyyyyy\r\n";

#define DESCRIBE_BODY_LEN 168

/* a string literal as (data, len) arguments */
#define TEXT(s) (const guint8 *) (s), strlen (s)

static GstResilientFramer *
framer_new (void)
{
  return gst_resilient_framer_new (NULL);
}

/* Parses @len bytes of @data once, checking the invariants every result
 * must hold. */
static GstResilientFrameResult
parse_once (GstResilientFramer * framer, const guint8 * data, gsize len,
    gsize * consumed, gsize * needed, GstResilientFrame * frame,
    GError ** error)
{
  GstResilientFrameResult res;
  gsize c = 12345, n = 12345;

  res = gst_resilient_framer_parse (framer, data, len, &c, &n, frame, error);
  fail_unless (c <= len);
  switch (res) {
    case GST_RESILIENT_FRAME_NEED_MORE:
      fail_unless_equals_int (c, 0);
      fail_unless (n == 0 || n > len);
      fail_unless (frame->message == NULL);
      break;
    case GST_RESILIENT_FRAME_ERROR:
      fail_unless_equals_int (c, 0);
      fail_unless (frame->message == NULL);
      break;
    case GST_RESILIENT_FRAME_MESSAGE:
      fail_unless (c > 0);
      fail_unless (frame->message != NULL);
      break;
    case GST_RESILIENT_FRAME_DATA:
      fail_unless (c >= 4);
      fail_unless (frame->data_offset + frame->data_size == c);
      fail_unless (frame->message == NULL);
      break;
  }
  if (consumed)
    *consumed = c;
  if (needed)
    *needed = n;
  return res;
}

static const gchar *
get_header (GstRTSPMessage * msg, const gchar * name)
{
  gchar *value = NULL;

  if (gst_rtsp_message_get_header_by_name (msg, name, &value, 0) != GST_RTSP_OK)
    return NULL;
  return value;
}

static void
check_describe_response (GstRTSPMessage * msg)
{
  guint8 *body;
  guint body_size;
  const gchar *data = describe_response;

  fail_unless_equals_int (msg->type, GST_RTSP_MESSAGE_RESPONSE);
  fail_unless_equals_int (msg->type_data.response.code, 200);
  fail_unless_equals_string (msg->type_data.response.reason, "OK");
  fail_unless_equals_int (msg->type_data.response.version,
      GST_RTSP_VERSION_1_0);
  fail_unless_equals_string (get_header (msg, "CSeq"), "2");
  fail_unless_equals_string (get_header (msg, "content-base"),
      "rtsp://127.0.0.1:8554/test/");
  fail_unless_equals_string (get_header (msg, "Content-Type"),
      "application/sdp");
  fail_unless_equals_string (get_header (msg, "Date"),
      "Fri, 21 Nov 2025 05:20:00 GMT");
  fail_unless (gst_rtsp_message_get_body (msg, &body, &body_size) ==
      GST_RTSP_OK);
  fail_unless_equals_int (body_size, DESCRIBE_BODY_LEN);
  fail_unless (memcmp (body, data + strlen (data) - DESCRIBE_BODY_LEN,
          DESCRIBE_BODY_LEN) == 0);
}

GST_START_TEST (test_describe_response_whole)
{
  GstResilientFramer *framer = framer_new ();
  GstResilientFrame frame;
  gsize consumed, needed;
  GError *err = NULL;
  gsize len = strlen (describe_response);

  fail_unless_equals_int (parse_once (framer, (const guint8 *)
          describe_response, len, &consumed, &needed, &frame, &err),
      GST_RESILIENT_FRAME_MESSAGE);
  fail_unless (err == NULL);
  fail_unless_equals_int (consumed, len);
  check_describe_response (frame.message);
  gst_rtsp_message_free (frame.message);

  gst_resilient_framer_free (framer);
}

GST_END_TEST;

/* The caller's buffer grows one read at a time; the first read ends at
 * every possible byte boundary, and each call sees a fresh copy (the caller
 * may move its bytes). */
GST_START_TEST (test_describe_response_split_everywhere)
{
  gsize len = strlen (describe_response);
  gsize header_len = len - DESCRIBE_BODY_LEN;
  gsize split;

  for (split = 0; split <= len; split++) {
    GstResilientFramer *framer = framer_new ();
    GstResilientFrame frame;
    gsize consumed, needed;
    GError *err = NULL;
    guint8 *copy;
    GstResilientFrameResult res;

    copy = g_memdup2 (describe_response, split);
    res = parse_once (framer, copy, split, &consumed, &needed, &frame, &err);
    g_free (copy);
    if (split < len) {
      fail_unless_equals_int (res, GST_RESILIENT_FRAME_NEED_MORE);
      /* the total is known once the header block is complete */
      if (split >= header_len) {
        fail_unless_equals_int (needed, len);
      } else {
        fail_unless_equals_int (needed, 0);
      }
    } else {
      fail_unless_equals_int (res, GST_RESILIENT_FRAME_MESSAGE);
      gst_rtsp_message_free (frame.message);
      gst_resilient_framer_free (framer);
      continue;
    }
    fail_unless (err == NULL);

    copy = g_memdup2 (describe_response, len);
    res = parse_once (framer, copy, len, &consumed, &needed, &frame, &err);
    g_free (copy);
    fail_unless_equals_int (res, GST_RESILIENT_FRAME_MESSAGE);
    fail_unless_equals_int (consumed, len);
    check_describe_response (frame.message);
    gst_rtsp_message_free (frame.message);
    gst_resilient_framer_free (framer);
  }
}

GST_END_TEST;

GST_START_TEST (test_describe_response_byte_by_byte)
{
  GstResilientFramer *framer = framer_new ();
  gsize len = strlen (describe_response);
  gsize avail;

  for (avail = 0; avail <= len; avail++) {
    GstResilientFrame frame;
    gsize consumed, needed;
    GError *err = NULL;
    GstResilientFrameResult res;
    guint8 *copy = g_memdup2 (describe_response, avail);

    res = parse_once (framer, copy, avail, &consumed, &needed, &frame, &err);
    g_free (copy);
    fail_unless (err == NULL);
    if (avail < len) {
      fail_unless_equals_int (res, GST_RESILIENT_FRAME_NEED_MORE);
    } else {
      fail_unless_equals_int (res, GST_RESILIENT_FRAME_MESSAGE);
      fail_unless_equals_int (consumed, len);
      check_describe_response (frame.message);
      gst_rtsp_message_free (frame.message);
    }
  }

  gst_resilient_framer_free (framer);
}

GST_END_TEST;

/* The framer remembers what it has scanned: lines already parsed are not
 * read again (documented: the caller must present the same bytes). */
GST_START_TEST (test_scanned_lines_not_reread)
{
  GstResilientFramer *framer = framer_new ();
  GstResilientFrame frame;
  gsize consumed;
  gchar part1[] = "RTSP/1.0 200 OK\r\nCSeq: 1\r\n";
  gchar part2[] = "RTSP/1.0 200 OK\r\nCSeq: 9\r\nSession: abc\r\n\r\n";

  fail_unless_equals_int (parse_once (framer, (guint8 *) part1,
          strlen (part1), &consumed, NULL, &frame, NULL),
      GST_RESILIENT_FRAME_NEED_MORE);
  fail_unless_equals_int (parse_once (framer, (guint8 *) part2,
          strlen (part2), &consumed, NULL, &frame, NULL),
      GST_RESILIENT_FRAME_MESSAGE);
  fail_unless_equals_string (get_header (frame.message, "CSeq"), "1");
  fail_unless_equals_string (get_header (frame.message, "Session"), "abc");
  gst_rtsp_message_free (frame.message);

  /* after reset, the same framer starts from scratch */
  fail_unless_equals_int (parse_once (framer, (guint8 *) part1,
          strlen (part1), &consumed, NULL, &frame, NULL),
      GST_RESILIENT_FRAME_NEED_MORE);
  gst_resilient_framer_reset (framer);
  fail_unless_equals_int (parse_once (framer, (guint8 *) part2,
          strlen (part2), &consumed, NULL, &frame, NULL),
      GST_RESILIENT_FRAME_MESSAGE);
  fail_unless_equals_string (get_header (frame.message, "CSeq"), "9");
  gst_rtsp_message_free (frame.message);

  gst_resilient_framer_free (framer);
}

GST_END_TEST;

/* A large header block arriving one byte at a time */
GST_START_TEST (test_large_header_block_slowly)
{
  GstResilientFramer *framer = framer_new ();
  GString *s = g_string_new ("RTSP/1.0 200 OK\r\nCSeq: 3\r\n");
  GstResilientFrame frame;
  gsize consumed, avail;
  guint i;
  gchar *expected;

  for (i = 0; i < 200; i++)
    g_string_append_printf (s, "X-Header-%u: %0200u\r\n", i, i);
  g_string_append (s, "\r\n");
  fail_unless (s->len < GST_RESILIENT_FRAMER_DEFAULT_MAX_HEADER_BYTES);

  for (avail = 1; avail < s->len; avail++)
    fail_unless_equals_int (gst_resilient_framer_parse (framer,
            (guint8 *) s->str, avail, &consumed, NULL, &frame, NULL),
        GST_RESILIENT_FRAME_NEED_MORE);
  fail_unless_equals_int (gst_resilient_framer_parse (framer,
          (guint8 *) s->str, s->len, &consumed, NULL, &frame, NULL),
      GST_RESILIENT_FRAME_MESSAGE);
  fail_unless_equals_int (consumed, s->len);
  expected = g_strdup_printf ("%0200u", 199);
  fail_unless_equals_string (get_header (frame.message, "X-Header-199"),
      expected);
  g_free (expected);
  gst_rtsp_message_free (frame.message);

  g_string_free (s, TRUE);
  gst_resilient_framer_free (framer);
}

GST_END_TEST;

static void
append_frame (GByteArray * a, guint8 channel, guint16 size, guint8 fill)
{
  guint8 header[4];
  guint i;

  gst_resilient_interleaved_header (header, channel, size);
  g_byte_array_append (a, header, 4);
  for (i = 0; i < size; i++)
    g_byte_array_append (a, &fill, 1);
}

static void
append_str (GByteArray * a, const gchar * s)
{
  g_byte_array_append (a, (const guint8 *) s, strlen (s));
}

typedef struct
{
  GstResilientFrameResult res;
  guint8 channel;
  gsize size;
  guint8 fill;
  gint cseq;
} Expect;

/* Consumes everything in @a, comparing each frame with @expect. */
static void
consume_all (GstResilientFramer * framer, const guint8 * data, gsize len,
    const Expect * expect, guint n_expect)
{
  guint i = 0;
  gsize pos = 0;

  while (pos < len) {
    GstResilientFrame frame;
    gsize consumed, j;
    GError *err = NULL;
    GstResilientFrameResult res;

    res = parse_once (framer, data + pos, len - pos, &consumed, NULL, &frame,
        &err);
    if (res == GST_RESILIENT_FRAME_NEED_MORE)
      break;
    fail_unless (err == NULL, "unexpected error: %s", err ? err->message : "");
    fail_unless (i < n_expect);
    fail_unless_equals_int (res, expect[i].res);
    if (res == GST_RESILIENT_FRAME_DATA) {
      fail_unless_equals_int (frame.channel, expect[i].channel);
      fail_unless_equals_int (frame.data_size, expect[i].size);
      for (j = 0; j < frame.data_size; j++)
        fail_unless_equals_int (data[pos + frame.data_offset + j],
            expect[i].fill);
    } else {
      gchar *cseq = g_strdup_printf ("%d", expect[i].cseq);

      fail_unless_equals_string (get_header (frame.message, "CSeq"), cseq);
      g_free (cseq);
      gst_rtsp_message_free (frame.message);
    }
    pos += consumed;
    i++;
  }
  fail_unless_equals_int (i, n_expect);
  fail_unless_equals_int (pos, len);
}

GST_START_TEST (test_several_frames_in_one_read)
{
  GstResilientFramer *framer = framer_new ();
  GByteArray *a = g_byte_array_new ();
  static const Expect expect[] = {
    {GST_RESILIENT_FRAME_MESSAGE, 0, 0, 0, 4},
    {GST_RESILIENT_FRAME_DATA, 0, 1400, 0xaa, 0},
    {GST_RESILIENT_FRAME_DATA, 1, 52, 0xbb, 0},
    {GST_RESILIENT_FRAME_DATA, 0, 0, 0, 0},
    {GST_RESILIENT_FRAME_MESSAGE, 0, 0, 0, 5},
    {GST_RESILIENT_FRAME_DATA, 2, 65535, 0xcc, 0},
    {GST_RESILIENT_FRAME_MESSAGE, 0, 0, 0, 6},
  };

  append_str (a, "RTSP/1.0 200 OK\r\nCSeq: 4\r\nSession: 1234\r\n"
      "RTP-Info: url=rtsp://h/s/stream=0;seq=1;rtptime=2\r\n\r\n");
  append_frame (a, 0, 1400, 0xaa);
  append_frame (a, 1, 52, 0xbb);
  append_frame (a, 0, 0, 0);
  /* stray line endings between frames are skipped */
  append_str (a, "\r\n\r\nGET_PARAMETER rtsp://h/s/ RTSP/1.0\r\nCSeq: 5\r\n"
      "Content-Length: 4\r\n\r\n$abc");
  append_str (a, "\n");
  append_frame (a, 2, 65535, 0xcc);
  append_str (a, "RTSP/1.0 200 OK\r\nCSeq: 6\r\n\r\n");

  consume_all (framer, a->data, a->len, expect, G_N_ELEMENTS (expect));

  g_byte_array_unref (a);
  gst_resilient_framer_free (framer);
}

GST_END_TEST;

/* Same stream, delivered in reads of every size from 1 to 97 bytes: the
 * caller appends each read to its unparsed bytes and parses until
 * NEED_MORE. */
GST_START_TEST (test_frames_across_reads)
{
  GByteArray *a = g_byte_array_new ();
  gsize chunk;
  static const Expect expect[] = {
    {GST_RESILIENT_FRAME_DATA, 0, 300, 0x11, 0},
    {GST_RESILIENT_FRAME_MESSAGE, 0, 0, 0, 7},
    {GST_RESILIENT_FRAME_DATA, 1, 3, 0x22, 0},
    {GST_RESILIENT_FRAME_DATA, 0, 1, 0x24, 0},
    {GST_RESILIENT_FRAME_MESSAGE, 0, 0, 0, 8},
  };

  append_frame (a, 0, 300, 0x11);
  append_str (a, "RTSP/1.0 200 OK\nCSeq: 7\nContent-Length: 10\n\n0123456789");
  append_frame (a, 1, 3, 0x22);
  /* a frame whose payload is a '$' */
  append_frame (a, 0, 1, '$');
  append_str (a, "RTSP/1.0 200 OK\r\nCSeq: 8\r\n\r\n");

  for (chunk = 1; chunk < 98; chunk++) {
    GstResilientFramer *framer = framer_new ();
    GByteArray *pending = g_byte_array_new ();
    gsize fed = 0;
    guint i = 0;

    while (fed < a->len || pending->len > 0) {
      gsize n = MIN (chunk, a->len - fed);
      GstResilientFrameResult res;

      g_byte_array_append (pending, a->data + fed, n);
      fed += n;

      do {
        GstResilientFrame frame;
        gsize consumed, needed;
        GError *err = NULL;

        res = parse_once (framer, pending->data, pending->len, &consumed,
            &needed, &frame, &err);
        fail_unless (res != GST_RESILIENT_FRAME_ERROR, "%s",
            err ? err->message : "");
        if (res == GST_RESILIENT_FRAME_NEED_MORE) {
          fail_unless (fed < a->len, "NEED_MORE at the end of the stream");
          break;
        }
        fail_unless (i < G_N_ELEMENTS (expect));
        fail_unless_equals_int (res, expect[i].res);
        if (res == GST_RESILIENT_FRAME_DATA) {
          fail_unless_equals_int (frame.channel, expect[i].channel);
          fail_unless_equals_int (frame.data_size, expect[i].size);
          fail_unless_equals_int (pending->data[frame.data_offset],
              expect[i].fill);
        } else {
          gchar *cseq = g_strdup_printf ("%d", expect[i].cseq);
          fail_unless_equals_string (get_header (frame.message, "CSeq"), cseq);
          g_free (cseq);
          gst_rtsp_message_free (frame.message);
        }
        g_byte_array_remove_range (pending, 0, consumed);
        i++;
      } while (pending->len > 0);
    }
    fail_unless_equals_int (i, G_N_ELEMENTS (expect));

    g_byte_array_unref (pending);
    gst_resilient_framer_free (framer);
  }

  g_byte_array_unref (a);
}

GST_END_TEST;

#define INPUT(s) { s, sizeof (s) - 1 }

GST_START_TEST (test_truncated_input_needs_more)
{
  static const struct
  {
    const gchar *data;
    gsize len;
  } inputs[] = {
    INPUT ("R"),
    INPUT ("RTSP/1.0 200 OK"),
    INPUT ("RTSP/1.0 200 OK\r\n"),
    INPUT ("RTSP/1.0 200 OK\r\nCSeq: 1\r\n"),
    INPUT ("RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r"),
    INPUT ("RTSP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nabc"),
    INPUT ("GET_PARAMETER rtsp://h/ RTSP/1.0\r\nCSeq: 1\r\n"),
    INPUT ("$"),
    INPUT ("$\x01"),
    INPUT ("$\x01\x00"),
    INPUT ("$\x01\x00\x10"),
    INPUT ("$\x01\x00\x10" "abc"),
    INPUT ("\r\n\r\n"),
    INPUT ("\n\n$\x00\x00\x02" "a"),
  };
  guint i, round;

  for (i = 0; i < G_N_ELEMENTS (inputs); i++) {
    GstResilientFramer *framer = framer_new ();

    for (round = 0; round < 5; round++) {
      GstResilientFrame frame;
      gsize consumed, needed;
      GError *err = NULL;

      fail_unless (parse_once (framer, (const guint8 *) inputs[i].data,
              inputs[i].len, &consumed, &needed, &frame, &err) ==
          GST_RESILIENT_FRAME_NEED_MORE, "input %u", i);
      fail_unless (err == NULL);
    }
    gst_resilient_framer_free (framer);
  }
}

GST_END_TEST;

GST_START_TEST (test_needed_hints)
{
  GstResilientFramer *framer = framer_new ();
  GstResilientFrame frame;
  gsize consumed, needed;
  const guint8 frame_hdr[] = { '\r', '\n', '$', 3, 0x01, 0x00, 'x' };
  const gchar *msg = "RTSP/1.0 200 OK\r\nContent-Length: 100\r\n\r\n";

  /* interleaved: skipped CR/LF + 4 + 256 */
  fail_unless_equals_int (parse_once (framer, frame_hdr, 7, &consumed,
          &needed, &frame, NULL), GST_RESILIENT_FRAME_NEED_MORE);
  fail_unless_equals_int (needed, 2 + 4 + 256);
  /* fewer than 4 header bytes: not known yet */
  gst_resilient_framer_reset (framer);
  fail_unless_equals_int (parse_once (framer, frame_hdr, 4, &consumed,
          &needed, &frame, NULL), GST_RESILIENT_FRAME_NEED_MORE);
  fail_unless_equals_int (needed, 0);

  /* message: headers + Content-Length */
  gst_resilient_framer_reset (framer);
  fail_unless_equals_int (parse_once (framer, (const guint8 *) msg,
          strlen (msg), &consumed, &needed, &frame, NULL),
      GST_RESILIENT_FRAME_NEED_MORE);
  fail_unless_equals_int (needed, strlen (msg) + 100);
  /* headers incomplete: unknown */
  gst_resilient_framer_reset (framer);
  fail_unless_equals_int (parse_once (framer, (const guint8 *) msg, 20,
          &consumed, &needed, &frame, NULL), GST_RESILIENT_FRAME_NEED_MORE);
  fail_unless_equals_int (needed, 0);

  /* @needed is optional */
  gst_resilient_framer_reset (framer);
  fail_unless_equals_int (gst_resilient_framer_parse (framer,
          (const guint8 *) msg, strlen (msg), &consumed, NULL, &frame, NULL),
      GST_RESILIENT_FRAME_NEED_MORE);

  gst_resilient_framer_free (framer);
}

GST_END_TEST;

GST_START_TEST (test_stray_line_endings)
{
  GstResilientFramer *framer = framer_new ();
  GstResilientFrame frame;
  gsize consumed;
  const guint8 data[] = { '\r', '\n', '\n', '\r', '$', 7, 0, 2, 'h', 'i' };
  const gchar *msg = "\r\n\r\nRTSP/1.0 200 OK\r\n\r\n";

  fail_unless_equals_int (parse_once (framer, data, sizeof (data), &consumed,
          NULL, &frame, NULL), GST_RESILIENT_FRAME_DATA);
  fail_unless_equals_int (consumed, sizeof (data));
  fail_unless_equals_int (frame.channel, 7);
  fail_unless_equals_int (frame.data_offset, 8);
  fail_unless_equals_int (frame.data_size, 2);

  fail_unless_equals_int (parse_once (framer, (const guint8 *) msg,
          strlen (msg), &consumed, NULL, &frame, NULL),
      GST_RESILIENT_FRAME_MESSAGE);
  fail_unless_equals_int (consumed, strlen (msg));
  gst_rtsp_message_free (frame.message);

  /* only line endings: wait */
  fail_unless_equals_int (parse_once (framer, (const guint8 *) "\r\n\r\n", 4,
          &consumed, NULL, &frame, NULL), GST_RESILIENT_FRAME_NEED_MORE);

  gst_resilient_framer_free (framer);
}

GST_END_TEST;

static GstRTSPMessage *
parse_one_message (const gchar * text)
{
  GstResilientFramer *framer = framer_new ();
  GstResilientFrame frame;
  gsize consumed;
  GError *err = NULL;
  GstResilientFrameResult res;

  res = parse_once (framer, (const guint8 *) text, strlen (text), &consumed,
      NULL, &frame, &err);
  fail_unless (res == GST_RESILIENT_FRAME_MESSAGE,
      "'%s' did not parse: %s", text, err ? err->message : "need more");
  fail_unless_equals_int (consumed, strlen (text));
  gst_resilient_framer_free (framer);
  return frame.message;
}

/* Returns the error of parsing @len bytes of @data, asserting there was
 * one. */
static GError *
parse_error (GstResilientFramer * framer, const guint8 * data, gsize len)
{
  GstResilientFrame frame;
  gsize consumed;
  GError *err = NULL;

  fail_unless_equals_int (parse_once (framer, data, len, &consumed, NULL,
          &frame, &err), GST_RESILIENT_FRAME_ERROR);
  fail_unless (err != NULL);
  fail_unless (g_error_matches (err, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_PROTOCOL), "wrong error %s", err->message);
  return err;
}

static void
check_message_error (const gchar * text, const gchar * substring)
{
  GstResilientFramer *framer = framer_new ();
  GError *err = parse_error (framer, (const guint8 *) text, strlen (text));

  fail_unless (strstr (err->message, substring) != NULL,
      "error '%s' for '%s' does not mention '%s'", err->message, text,
      substring);
  g_error_free (err);
  gst_resilient_framer_free (framer);
}

GST_START_TEST (test_line_ending_variants)
{
  static const gchar *variants[] = {
    "RTSP/1.0 200 OK\r\nCSeq: 5\r\nSession: 1;timeout=30\r\n"
        "Content-Length: 3\r\n\r\nabc",
    "RTSP/1.0 200 OK\nCSeq: 5\nSession: 1;timeout=30\nContent-Length: 3\n\nabc",
    "RTSP/1.0 200 OK\r\nCSeq: 5\nSession: 1;timeout=30\r\n"
        "Content-Length: 3\n\r\nabc",
    "RTSP/1.0 200 OK\nCSeq: 5\r\nSession: 1;timeout=30\n"
        "Content-Length: 3\r\n\nabc",
    /* whitespace around values, before the colon, trailing CR junk */
    "RTSP/1.0 200 OK  \r\nCSeq:5\r\nSession :  1;timeout=30   \r\n"
        "Content-Length:\t3\r\r\n\r\nabc",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (variants); i++) {
    GstRTSPMessage *msg = parse_one_message (variants[i]);
    guint8 *body;
    guint size;

    fail_unless_equals_int (msg->type_data.response.code, 200);
    fail_unless_equals_string (msg->type_data.response.reason, "OK");
    fail_unless_equals_string (get_header (msg, "CSeq"), "5");
    fail_unless_equals_string (get_header (msg, "Session"), "1;timeout=30");
    gst_rtsp_message_get_body (msg, &body, &size);
    fail_unless_equals_int (size, 3);
    fail_unless (memcmp (body, "abc", 3) == 0);
    gst_rtsp_message_free (msg);
  }
}

GST_END_TEST;

GST_START_TEST (test_continuation_lines)
{
  GstRTSPMessage *msg;

  msg = parse_one_message ("RTSP/1.0 200 OK\r\n"
      "CSeq: 1\r\n"
      "Public: OPTIONS,\r\n"
      "  DESCRIBE,\r\n"
      "\tSETUP, PLAY\r\n"
      "X-Empty:\r\n" "X-Folded-Empty:\r\n" "   next\r\n" "\r\n");
  fail_unless_equals_string (get_header (msg, "Public"),
      "OPTIONS, DESCRIBE, SETUP, PLAY");
  fail_unless_equals_string (get_header (msg, "X-Empty"), "");
  fail_unless_equals_string (get_header (msg, "X-Folded-Empty"), "next");
  fail_unless_equals_string (get_header (msg, "CSeq"), "1");
  gst_rtsp_message_free (msg);

  check_message_error ("RTSP/1.0 200 OK\r\n  folded\r\n\r\n", "continuation");
}

GST_END_TEST;

GST_START_TEST (test_requests_from_server)
{
  GstRTSPMessage *msg;
  guint8 *body;
  guint size;

  msg = parse_one_message ("GET_PARAMETER rtsp://127.0.0.1:8554/test RTSP/1.0"
      "\r\nCSeq: 12\r\nSession: abcdef\r\n\r\n");
  fail_unless_equals_int (msg->type, GST_RTSP_MESSAGE_REQUEST);
  fail_unless_equals_int (msg->type_data.request.method,
      GST_RTSP_GET_PARAMETER);
  fail_unless_equals_string (msg->type_data.request.uri,
      "rtsp://127.0.0.1:8554/test");
  fail_unless_equals_string (get_header (msg, "CSeq"), "12");
  gst_rtsp_message_free (msg);

  msg = parse_one_message ("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n");
  fail_unless_equals_int (msg->type_data.request.method, GST_RTSP_OPTIONS);
  fail_unless_equals_string (msg->type_data.request.uri, "*");
  gst_rtsp_message_free (msg);

  msg = parse_one_message ("SET_PARAMETER rtsp://h/s RTSP/1.0\r\nCSeq: 2\r\n"
      "Content-Type: text/parameters\r\nContent-Length: 9\r\n\r\nbarparam\n");
  fail_unless_equals_int (msg->type_data.request.method,
      GST_RTSP_SET_PARAMETER);
  gst_rtsp_message_get_body (msg, &body, &size);
  fail_unless_equals_int (size, 9);
  fail_unless (memcmp (body, "barparam\n", 9) == 0);
  gst_rtsp_message_free (msg);

  msg = parse_one_message ("REDIRECT rtsp://h/s RTSP/1.0\r\nCSeq: 3\r\n"
      "Location: rtsp://other/s\r\n\r\n");
  fail_unless_equals_int (msg->type_data.request.method, GST_RTSP_REDIRECT);
  gst_rtsp_message_free (msg);

  /* RTSP 2.0, and a method GStreamer does not know: parsed, method INVALID */
  msg = parse_one_message ("PLAY_NOTIFY rtsp://h/s RTSP/2.0\r\nCSeq: 4\r\n"
      "Notify-Reason: end-of-stream\r\n\r\n");
  fail_unless_equals_int (msg->type, GST_RTSP_MESSAGE_REQUEST);
  fail_unless_equals_int (msg->type_data.request.method, GST_RTSP_INVALID);
  fail_unless_equals_int (msg->type_data.request.version, GST_RTSP_VERSION_2_0);
  fail_unless_equals_string (get_header (msg, "CSeq"), "4");
  gst_rtsp_message_free (msg);
}

GST_END_TEST;

GST_START_TEST (test_status_lines)
{
  GstRTSPMessage *msg;

  msg = parse_one_message ("RTSP/1.0 299 Something New\r\n\r\n");
  fail_unless_equals_int (msg->type_data.response.code, 299);
  fail_unless_equals_string (msg->type_data.response.reason, "Something New");
  gst_rtsp_message_free (msg);

  msg = parse_one_message ("RTSP/1.0 599 Whatever\r\nCSeq: 2\r\n\r\n");
  fail_unless_equals_int (msg->type_data.response.code, 599);
  gst_rtsp_message_free (msg);

  msg = parse_one_message ("RTSP/1.0 454\r\n\r\n");
  fail_unless_equals_int (msg->type_data.response.code, 454);
  fail_unless_equals_string (msg->type_data.response.reason, "");
  gst_rtsp_message_free (msg);

  msg = parse_one_message ("RTSP/2.0 200 OK\r\n\r\n");
  fail_unless_equals_int (msg->type_data.response.version,
      GST_RTSP_VERSION_2_0);
  gst_rtsp_message_free (msg);

  msg = parse_one_message ("RTSP/1.0 401 Unauthorized\r\n"
      "WWW-Authenticate: Digest realm=\"cam\", nonce=\"abc\"\r\n"
      "WWW-Authenticate: Basic realm=\"cam\"\r\n\r\n");
  {
    gchar *v = NULL;

    fail_unless (gst_rtsp_message_get_header (msg,
            GST_RTSP_HDR_WWW_AUTHENTICATE, &v, 1) == GST_RTSP_OK);
    fail_unless_equals_string (v, "Basic realm=\"cam\"");
  }
  gst_rtsp_message_free (msg);

  check_message_error ("RTSP/1.0 20 OK\r\n\r\n", "status line");
  check_message_error ("RTSP/1.0 2000 OK\r\n\r\n", "status line");
  check_message_error ("RTSP/1.0 abc OK\r\n\r\n", "status line");
  check_message_error ("RTSP/1.0 099 Low\r\n\r\n", "status line");
  check_message_error ("RTSP/3.0 200 OK\r\n\r\n", "version");
  check_message_error ("RTSP/1.0200 OK\r\n\r\n", "version");
  check_message_error ("RTSP/1 200 OK\r\n\r\n", "version");
}

GST_END_TEST;

GST_START_TEST (test_header_values)
{
  GstRTSPMessage *msg;
  const gchar text[] = "RTSP/1.0 200 OK\r\nX-Bin: \xff\xfe\x01\x7f end\r\n"
      "X-Utf8: caf\xc3\xa9\r\n\r\n";

  /* non-UTF-8 and control characters are kept, not fatal */
  msg = parse_one_message (text);
  fail_unless_equals_string (get_header (msg, "X-Bin"), "\xff\xfe\x01\x7f end");
  fail_unless_equals_string (get_header (msg, "X-Utf8"), "caf\xc3\xa9");
  gst_rtsp_message_free (msg);

  {
    GstResilientFramer *framer = framer_new ();
    const guint8 nul[] = "RTSP/1.0 200 OK\r\nX-Nul: a\0b\r\n\r\n";
    GError *err = parse_error (framer, nul, sizeof (nul) - 1);

    fail_unless (strstr (err->message, "NUL") != NULL);
    g_error_free (err);
    gst_resilient_framer_free (framer);
  }

  check_message_error ("RTSP/1.0 200 OK\r\nno colon here\r\n\r\n",
      "malformed header line");
  check_message_error ("RTSP/1.0 200 OK\r\n: empty name\r\n\r\n",
      "malformed header line");
  check_message_error ("RTSP/1.0 200 OK\r\nBad Name: x\r\n\r\n",
      "malformed header line");
  check_message_error ("RTSP/1.0 200 OK\r\nBad(Name): x\r\n\r\n",
      "malformed header line");
}

GST_END_TEST;

GST_START_TEST (test_content_length)
{
  GstRTSPMessage *msg;

  msg = parse_one_message ("RTSP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  fail_unless (msg->body_size == 0);
  gst_rtsp_message_free (msg);

  /* repeated but equal */
  msg = parse_one_message ("RTSP/1.0 200 OK\r\ncontent-length: 2\r\n"
      "Content-Length: 2\r\n\r\nab");
  fail_unless_equals_int (msg->body_size, 2);
  gst_rtsp_message_free (msg);

  check_message_error ("RTSP/1.0 200 OK\r\nContent-Length: 12a\r\n\r\n",
      "Content-Length");
  check_message_error ("RTSP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n",
      "Content-Length");
  check_message_error ("RTSP/1.0 200 OK\r\nContent-Length: +5\r\n\r\n",
      "Content-Length");
  check_message_error ("RTSP/1.0 200 OK\r\nContent-Length: \r\n\r\n",
      "Content-Length");
  check_message_error ("RTSP/1.0 200 OK\r\nContent-Length: 0x10\r\n\r\n",
      "Content-Length");
  check_message_error ("RTSP/1.0 200 OK\r\n"
      "Content-Length: 99999999999999999999999\r\n\r\n", "Content-Length");
  check_message_error ("RTSP/1.0 200 OK\r\nContent-Length: 1\r\n"
      "Content-Length: 2\r\n\r\nab", "conflicting");
}

GST_END_TEST;

GST_START_TEST (test_limits)
{
  GstResilientFramerLimits limits = { 256, 4, 1000 };
  GstResilientFramer *framer;
  GstResilientFrame frame;
  gsize consumed, needed;
  GString *s;
  GError *err;
  guint i;

  framer = gst_resilient_framer_new (&limits);

  /* Content-Length over the limit: refused as soon as the headers are in,
   * without waiting for the body */
  err = parse_error (framer,
      TEXT ("RTSP/1.0 200 OK\r\nContent-Length: 1001\r\n\r\n"));
  fail_unless (strstr (err->message, "1001") != NULL, "%s", err->message);
  g_error_free (err);
  /* at the limit: fine */
  s = g_string_new ("RTSP/1.0 200 OK\r\nContent-Length: 1000\r\n\r\n");
  fail_unless_equals_int (parse_once (framer, (guint8 *) s->str, s->len,
          &consumed, &needed, &frame, NULL), GST_RESILIENT_FRAME_NEED_MORE);
  fail_unless_equals_int (needed, s->len + 1000);
  for (i = 0; i < 1000; i++)
    g_string_append_c (s, 'x');
  fail_unless_equals_int (parse_once (framer, (guint8 *) s->str, s->len,
          &consumed, &needed, &frame, NULL), GST_RESILIENT_FRAME_MESSAGE);
  gst_rtsp_message_free (frame.message);
  g_string_free (s, TRUE);

  /* too many headers */
  err = parse_error (framer, TEXT ("RTSP/1.0 200 OK\r\nA: 1\r\n"
          "B: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n"));
  fail_unless (strstr (err->message, "headers") != NULL, "%s", err->message);
  g_error_free (err);
  /* four are fine */
  fail_unless_equals_int (parse_once (framer,
          TEXT ("RTSP/1.0 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n"),
          &consumed, NULL, &frame, NULL), GST_RESILIENT_FRAME_MESSAGE);
  gst_rtsp_message_free (frame.message);

  /* header block over 256 bytes, complete or still arriving */
  s = g_string_new ("RTSP/1.0 200 OK\r\nX-Long: ");
  while (s->len < 300)
    g_string_append_c (s, 'a');
  err = parse_error (framer, (guint8 *) s->str, s->len);
  fail_unless (strstr (err->message, "256") != NULL, "%s", err->message);
  g_error_free (err);
  g_string_append (s, "\r\n\r\n");
  err = parse_error (framer, (guint8 *) s->str, s->len);
  g_error_free (err);
  /* ...also when it arrives in small pieces */
  for (i = 1; i <= 256; i++)
    fail_unless_equals_int (parse_once (framer, (guint8 *) s->str, i,
            &consumed, NULL, &frame, NULL), GST_RESILIENT_FRAME_NEED_MORE);
  err = parse_error (framer, (guint8 *) s->str, 257);
  g_error_free (err);
  g_string_free (s, TRUE);

  /* exactly at the limit: fine */
  s = g_string_new ("RTSP/1.0 200 OK\r\nX-Long: ");
  while (s->len < 252)
    g_string_append_c (s, 'a');
  g_string_append (s, "\r\n\r\n");
  fail_unless_equals_int (s->len, 256);
  fail_unless_equals_int (parse_once (framer, (guint8 *) s->str, s->len,
          &consumed, NULL, &frame, NULL), GST_RESILIENT_FRAME_MESSAGE);
  gst_rtsp_message_free (frame.message);
  g_string_free (s, TRUE);

  /* a start line that never ends */
  s = g_string_new ("RTSP/1.0 200 ");
  while (s->len < 400)
    g_string_append_c (s, 'O');
  err = parse_error (framer, (guint8 *) s->str, s->len);
  g_error_free (err);
  g_string_free (s, TRUE);

  /* endless line endings */
  s = g_string_new (NULL);
  while (s->len < 300)
    g_string_append (s, "\r\n");
  err = parse_error (framer, (guint8 *) s->str, s->len);
  g_error_free (err);
  g_string_free (s, TRUE);

  gst_resilient_framer_free (framer);

  /* the defaults, including 0 fields */
  limits.max_header_bytes = 0;
  limits.max_headers = 0;
  limits.max_body_bytes = 0;
  framer = gst_resilient_framer_new (&limits);
  fail_unless_equals_int (parse_once (framer,
          TEXT ("RTSP/1.0 200 OK\r\nContent-Length: 4194304\r\n\r\n"),
          &consumed, &needed, &frame, NULL), GST_RESILIENT_FRAME_NEED_MORE);
  fail_unless_equals_int (needed, 44 + 4194304);
  gst_resilient_framer_reset (framer);
  err = parse_error (framer,
      TEXT ("RTSP/1.0 200 OK\r\nContent-Length: 4194305\r\n\r\n"));
  g_error_free (err);
  gst_resilient_framer_free (framer);
}

GST_END_TEST;

GST_START_TEST (test_garbage)
{
  GstResilientFramer *framer = framer_new ();
  GError *err;
  GstResilientFrame frame;
  gsize consumed;
  GByteArray *a;

  err = parse_error (framer, (const guint8 *) "\x17garbage", 8);
  fail_unless (strstr (err->message, "garbage byte 0x17") != NULL, "%s",
      err->message);
  g_error_free (err);

  err = parse_error (framer, (const guint8 *) "\x00", 1);
  fail_unless (strstr (err->message, "0x00") != NULL, "%s", err->message);
  g_error_free (err);

  err = parse_error (framer, (const guint8 *) "  RTSP/1.0 200 OK\r\n", 19);
  fail_unless (strstr (err->message, "0x20") != NULL, "%s", err->message);
  g_error_free (err);

  /* binary bytes inside the start line are refused before its end */
  err = parse_error (framer, (const guint8 *) "RTSP\x80\x81", 6);
  g_error_free (err);
  err = parse_error (framer, (const guint8 *) "RTSP/1.0 200 \x01", 14);
  g_error_free (err);

  /* not RTSP */
  check_message_error ("HTTP/1.1 200 OK\r\n\r\n", "not an RTSP message");
  check_message_error ("GET / HTTP/1.1\r\nHost: x\r\n\r\n",
      "not an RTSP message");
  check_message_error ("hello\r\n\r\n", "not an RTSP message");
  check_message_error ("OPTIONS\r\n\r\n", "not an RTSP message");
  check_message_error ("OPTIONS rtsp://h/\r\n\r\n", "not an RTSP message");

  /* garbage after a valid frame: the frame first, then the error */
  a = g_byte_array_new ();
  append_frame (a, 0, 3, 1);
  append_str (a, "\x17\x18");
  fail_unless_equals_int (parse_once (framer, a->data, a->len, &consumed,
          NULL, &frame, NULL), GST_RESILIENT_FRAME_DATA);
  err = parse_error (framer, a->data + consumed, a->len - consumed);
  g_error_free (err);
  g_byte_array_unref (a);

  /* errors are optional for the caller */
  fail_unless_equals_int (parse_once (framer, (const guint8 *) "\xff", 1,
          &consumed, NULL, &frame, NULL), GST_RESILIENT_FRAME_ERROR);
  fail_unless_equals_int (parse_once (framer,
          TEXT ("RTSP/1.0 200 OK\r\nbad\r\n\r\n"), &consumed, NULL, &frame,
          NULL), GST_RESILIENT_FRAME_ERROR);
  fail_unless_equals_int (parse_once (framer, TEXT ("RTSP/1.0 200 \x01"),
          &consumed, NULL, &frame, NULL), GST_RESILIENT_FRAME_ERROR);

  gst_resilient_framer_free (framer);
}

GST_END_TEST;

static gchar *
bytes_to_string (GBytes * bytes)
{
  gsize size;
  const gchar *data = g_bytes_get_data (bytes, &size);

  return g_strndup (data, size);
}

GST_START_TEST (test_serialize_request)
{
  GstRTSPMessage *msg, *parsed;
  GBytes *bytes;
  gchar *text;
  guint8 *body;
  guint size;

  gst_rtsp_message_new_request (&msg, GST_RTSP_SETUP,
      "rtsp://127.0.0.1:8554/test/stream=0");
  gst_rtsp_message_add_header (msg, GST_RTSP_HDR_CSEQ, "3");
  gst_rtsp_message_add_header (msg, GST_RTSP_HDR_TRANSPORT,
      "RTP/AVP/TCP;unicast;interleaved=0-1");
  gst_rtsp_message_add_header_by_name (msg, "X-Custom", "yes");

  bytes = gst_resilient_message_serialize (msg);
  text = bytes_to_string (bytes);
  fail_unless_equals_string (text,
      "SETUP rtsp://127.0.0.1:8554/test/stream=0 RTSP/1.0\r\n"
      "CSeq: 3\r\n"
      "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n"
      "X-Custom: yes\r\n" "\r\n");
  g_free (text);

  parsed = parse_one_message (g_bytes_get_data (bytes, NULL));
  fail_unless_equals_int (parsed->type_data.request.method, GST_RTSP_SETUP);
  fail_unless_equals_string (parsed->type_data.request.uri,
      "rtsp://127.0.0.1:8554/test/stream=0");
  fail_unless_equals_string (get_header (parsed, "Transport"),
      "RTP/AVP/TCP;unicast;interleaved=0-1");
  fail_unless_equals_string (get_header (parsed, "X-Custom"), "yes");
  gst_rtsp_message_free (parsed);
  g_bytes_unref (bytes);

  /* with a body: Content-Length added */
  gst_rtsp_message_set_body (msg, (const guint8 *) "position\r\n", 10);
  bytes = gst_resilient_message_serialize (msg);
  text = bytes_to_string (bytes);
  fail_unless (g_str_has_suffix (text,
          "X-Custom: yes\r\nContent-Length: 10\r\n\r\nposition\r\n"), "%s",
      text);
  g_free (text);
  parsed = parse_one_message (g_bytes_get_data (bytes, NULL));
  gst_rtsp_message_get_body (parsed, &body, &size);
  fail_unless_equals_int (size, 10);
  fail_unless (memcmp (body, "position\r\n", 10) == 0);
  gst_rtsp_message_free (parsed);
  g_bytes_unref (bytes);

  /* ... but not twice */
  gst_rtsp_message_add_header (msg, GST_RTSP_HDR_CONTENT_LENGTH, "10");
  bytes = gst_resilient_message_serialize (msg);
  text = bytes_to_string (bytes);
  fail_unless (strstr (text, "Content-Length") ==
      g_strrstr (text, "Content-Length"));
  g_free (text);
  g_bytes_unref (bytes);
  gst_rtsp_message_free (msg);

  /* a body buffer */
  gst_rtsp_message_new_request (&msg, GST_RTSP_SET_PARAMETER, "rtsp://h/");
  gst_rtsp_message_take_body_buffer (msg, gst_buffer_new_memdup ("abc", 3));
  bytes = gst_resilient_message_serialize (msg);
  text = bytes_to_string (bytes);
  fail_unless_equals_string (text, "SET_PARAMETER rtsp://h/ RTSP/1.0\r\n"
      "Content-Length: 3\r\n\r\nabc");
  g_free (text);
  g_bytes_unref (bytes);
  gst_rtsp_message_free (msg);

  /* a method without a name cannot be written */
  gst_rtsp_message_new_request (&msg, GST_RTSP_INVALID, "rtsp://h/");
  fail_unless (gst_resilient_message_serialize (msg) == NULL);
  gst_rtsp_message_free (msg);
}

GST_END_TEST;

GST_START_TEST (test_serialize_response)
{
  GstRTSPMessage *msg, *parsed;
  GBytes *bytes;
  gchar *text;

  gst_rtsp_message_new_response (&msg, GST_RTSP_STS_OK, NULL, NULL);
  gst_rtsp_message_add_header (msg, GST_RTSP_HDR_CSEQ, "12");
  bytes = gst_resilient_message_serialize (msg);
  text = bytes_to_string (bytes);
  fail_unless_equals_string (text, "RTSP/1.0 200 OK\r\nCSeq: 12\r\n\r\n");
  g_free (text);
  g_bytes_unref (bytes);
  gst_rtsp_message_free (msg);

  /* round trip of a parsed message, unknown status and RTSP 2.0 included */
  msg = parse_one_message ("RTSP/2.0 299 Odd\r\nCSeq: 7\r\nX-A: b c\r\n"
      "Content-Length: 5\r\n\r\nhello");
  bytes = gst_resilient_message_serialize (msg);
  text = bytes_to_string (bytes);
  fail_unless_equals_string (text, "RTSP/2.0 299 Odd\r\nCSeq: 7\r\nX-A: b c\r\n"
      "Content-Length: 5\r\n\r\nhello");
  parsed = parse_one_message (text);
  fail_unless_equals_int (parsed->type_data.response.code, 299);
  fail_unless_equals_int (parsed->type_data.response.version,
      GST_RTSP_VERSION_2_0);
  fail_unless_equals_int (parsed->body_size, 5);
  gst_rtsp_message_free (parsed);
  g_free (text);
  g_bytes_unref (bytes);
  gst_rtsp_message_free (msg);

  /* the describe response: parse → serialize → parse gives the same */
  msg = parse_one_message (describe_response);
  bytes = gst_resilient_message_serialize (msg);
  text = bytes_to_string (bytes);
  parsed = parse_one_message (text);
  check_describe_response (parsed);
  gst_rtsp_message_free (parsed);
  g_free (text);
  g_bytes_unref (bytes);
  gst_rtsp_message_free (msg);
}

GST_END_TEST;

GST_START_TEST (test_serialize_data)
{
  GstRTSPMessage *msg;
  GBytes *bytes;
  gsize size;
  const guint8 *data;
  GstResilientFramer *framer = framer_new ();
  GstResilientFrame frame;
  gsize consumed;

  gst_rtsp_message_new_data (&msg, 3);
  gst_rtsp_message_set_body (msg, (const guint8 *) "\x80\x60rtp", 5);
  bytes = gst_resilient_message_serialize (msg);
  data = g_bytes_get_data (bytes, &size);
  fail_unless_equals_int (size, 9);
  fail_unless (memcmp (data, "$\x03\x00\x05\x80\x60rtp", 9) == 0);
  fail_unless_equals_int (parse_once (framer, data, size, &consumed, NULL,
          &frame, NULL), GST_RESILIENT_FRAME_DATA);
  fail_unless_equals_int (frame.channel, 3);
  fail_unless_equals_int (frame.data_size, 5);
  g_bytes_unref (bytes);
  gst_rtsp_message_free (msg);
  gst_resilient_framer_free (framer);
}

GST_END_TEST;

GST_START_TEST (test_interleaved_header)
{
  guint8 h[4];

  gst_resilient_interleaved_header (h, 0, 0);
  fail_unless (memcmp (h, "$\x00\x00\x00", 4) == 0);
  gst_resilient_interleaved_header (h, 255, 65535);
  fail_unless (memcmp (h, "$\xff\xff\xff", 4) == 0);
  gst_resilient_interleaved_header (h, 1, 0x1234);
  fail_unless (memcmp (h, "$\x01\x12\x34", 4) == 0);
}

GST_END_TEST;

/* A caller that presents fewer bytes than before (breaking the contract)
 * must not make the framer read out of bounds. */
GST_START_TEST (test_shrinking_input)
{
  GstResilientFramer *framer = framer_new ();
  GstResilientFrame frame;
  gsize consumed;
  const gchar *text = "RTSP/1.0 200 OK\r\nCSeq: 1\r\n";
  GstRTSPMessage *msg;

  fail_unless_equals_int (parse_once (framer, (const guint8 *) text,
          strlen (text), &consumed, NULL, &frame, NULL),
      GST_RESILIENT_FRAME_NEED_MORE);
  text = "RTSP/1.0 200 OK\r\n\r\n";
  fail_unless_equals_int (parse_once (framer, (const guint8 *) text,
          strlen (text), &consumed, NULL, &frame, NULL),
      GST_RESILIENT_FRAME_MESSAGE);
  msg = frame.message;
  fail_unless (get_header (msg, "CSeq") == NULL);
  gst_rtsp_message_free (msg);

  gst_resilient_framer_free (framer);
}

GST_END_TEST;

static Suite *
framer_suite (void)
{
  Suite *s = suite_create ("framer");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_describe_response_whole);
  tcase_add_test (tc, test_describe_response_split_everywhere);
  tcase_add_test (tc, test_describe_response_byte_by_byte);
  tcase_add_test (tc, test_scanned_lines_not_reread);
  tcase_add_test (tc, test_large_header_block_slowly);
  tcase_add_test (tc, test_several_frames_in_one_read);
  tcase_add_test (tc, test_frames_across_reads);
  tcase_add_test (tc, test_truncated_input_needs_more);
  tcase_add_test (tc, test_needed_hints);
  tcase_add_test (tc, test_stray_line_endings);
  tcase_add_test (tc, test_line_ending_variants);
  tcase_add_test (tc, test_continuation_lines);
  tcase_add_test (tc, test_requests_from_server);
  tcase_add_test (tc, test_status_lines);
  tcase_add_test (tc, test_header_values);
  tcase_add_test (tc, test_content_length);
  tcase_add_test (tc, test_limits);
  tcase_add_test (tc, test_garbage);
  tcase_add_test (tc, test_serialize_request);
  tcase_add_test (tc, test_serialize_response);
  tcase_add_test (tc, test_serialize_data);
  tcase_add_test (tc, test_interleaved_header);
  tcase_add_test (tc, test_shrinking_input);

  return s;
}

GST_CHECK_MAIN (framer);
