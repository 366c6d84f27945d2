/* resilientrtsp
 * framer.c: incremental parser of the RTSP control stream — RTSP messages
 * (responses and requests from the server) and $-interleaved data frames.
 *
 * The parser keeps a small scan state between calls so that a header block
 * arriving a few bytes at a time is examined only once: every byte is looked
 * at when it first arrives, complete lines are turned into headers of a
 * pending GstRTSPMessage straight away, and once the blank line is seen only
 * the body length is checked on later calls.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "framer.h"
#include "headers.h"
#include "error.h"

GST_DEBUG_CATEGORY_STATIC (framer_debug);
#define GST_CAT_DEFAULT framer_debug

/* How much of an offending line an error message quotes. */
#define QUOTE_MAX 64

typedef enum
{
  PHASE_START,                  /* skipping stray CR/LF; frame type unknown */
  PHASE_HEADERS,                /* inside the header block of a message */
  PHASE_BODY,                   /* header block parsed, waiting for the body */
} FramerPhase;

struct _GstResilientFramer
{
  GstResilientFramerLimits limits;

  /* Partial-scan state. Offsets are relative to data[0] of the bytes the
   * caller presents again on the next call. */
  FramerPhase phase;
  gsize skip;                   /* stray CR/LF bytes before the pending frame */
  gsize scan_pos;               /* bytes before this have been examined */
  gsize line_start;             /* PHASE_HEADERS: start of the current line */
  gboolean start_sp_seen;       /* the start line's first token has ended */
  guint n_headers;
  GstRTSPMessage *msg;          /* once the start line is parsed */
  gchar *hdr_name;              /* the last header, held back for continuations */
  GString *hdr_value;
  gboolean have_length;
  guint64 content_length;
  gsize body_start;             /* PHASE_BODY: offset of the first body byte */
};

static void
ensure_debug_category (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized)) {
    GST_DEBUG_CATEGORY_INIT (framer_debug, "resilientrtspframer", 0,
        "resilientrtsp RTSP/interleaved framing");
    g_once_init_leave (&initialized, 1);
  }
}

GstResilientFramer *
gst_resilient_framer_new (const GstResilientFramerLimits * limits)
{
  GstResilientFramer *framer;

  ensure_debug_category ();

  framer = g_new0 (GstResilientFramer, 1);
  framer->limits.max_header_bytes =
      GST_RESILIENT_FRAMER_DEFAULT_MAX_HEADER_BYTES;
  framer->limits.max_headers = GST_RESILIENT_FRAMER_DEFAULT_MAX_HEADERS;
  framer->limits.max_body_bytes = GST_RESILIENT_FRAMER_DEFAULT_MAX_BODY_BYTES;

  if (limits != NULL) {
    if (limits->max_header_bytes > 0)
      framer->limits.max_header_bytes = limits->max_header_bytes;
    if (limits->max_headers > 0)
      framer->limits.max_headers = limits->max_headers;
    if (limits->max_body_bytes > 0)
      framer->limits.max_body_bytes = limits->max_body_bytes;
  }
  /* GstRTSPMessage bodies are sized in guint */
  if (framer->limits.max_body_bytes > G_MAXUINT)
    framer->limits.max_body_bytes = G_MAXUINT;

  framer->hdr_value = g_string_new (NULL);

  return framer;
}

void
gst_resilient_framer_reset (GstResilientFramer * framer)
{
  g_return_if_fail (framer != NULL);

  framer->phase = PHASE_START;
  framer->skip = 0;
  framer->scan_pos = 0;
  framer->line_start = 0;
  framer->start_sp_seen = FALSE;
  framer->n_headers = 0;
  if (framer->msg) {
    gst_rtsp_message_free (framer->msg);
    framer->msg = NULL;
  }
  g_clear_pointer (&framer->hdr_name, g_free);
  g_string_truncate (framer->hdr_value, 0);
  framer->have_length = FALSE;
  framer->content_length = 0;
  framer->body_start = 0;
}

void
gst_resilient_framer_free (GstResilientFramer * framer)
{
  if (framer == NULL)
    return;

  gst_resilient_framer_reset (framer);
  g_string_free (framer->hdr_value, TRUE);
  g_free (framer);
}

/* RFC 7230 tchar */
static gboolean
is_token_char (guint8 c)
{
  if (g_ascii_isalnum (c))
    return TRUE;
  return c != '\0' && strchr ("!#$%&'*+-.^_`|~", c) != NULL;
}

static gboolean
is_ws (guint8 c)
{
  return c == ' ' || c == '\t';
}

/* An escaped, bounded copy of a line for error messages. */
static gchar *
quote_line (const guint8 * line, gsize len)
{
  gchar *raw, *escaped, *ret;
  gboolean truncated = len > QUOTE_MAX;

  raw = g_strndup ((const gchar *) line, MIN (len, QUOTE_MAX));
  escaped = g_strescape (raw, NULL);
  ret = g_strdup_printf ("%s%s", escaped, truncated ? "…" : "");
  g_free (raw);
  g_free (escaped);
  return ret;
}

/* Fails the parse with @message (transfer full). */
static GstResilientFrameResult
framer_fail (GstResilientFramer * framer, GError ** error, gchar * message)
{
  GST_WARNING ("framing error: %s", message);
  g_set_error_literal (error, GST_RESILIENT_ERROR,
      GST_RESILIENT_ERROR_PROTOCOL, message);
  g_free (message);

  gst_resilient_framer_reset (framer);
  return GST_RESILIENT_FRAME_ERROR;
}

/* "RTSP/1.0" → version; p points after "RTSP/" and *end_out after the
 * version. */
static gboolean
parse_version (const gchar * p, GstRTSPVersion * version,
    const gchar ** end_out)
{
  if (!g_ascii_isdigit (p[0]) || p[1] != '.' || !g_ascii_isdigit (p[2]))
    return FALSE;
  if (g_ascii_isdigit (p[3]))
    return FALSE;

  if (p[0] == '1' && p[2] == '0')
    *version = GST_RTSP_VERSION_1_0;
  else if (p[0] == '1' && p[2] == '1')
    *version = GST_RTSP_VERSION_1_1;
  else if (p[0] == '2' && p[2] == '0')
    *version = GST_RTSP_VERSION_2_0;
  else
    return FALSE;

  *end_out = p + 3;
  return TRUE;
}

/* Parses the start line (already checked for NUL bytes) into framer->msg. */
static gboolean
parse_start_line (GstResilientFramer * framer, const guint8 * line, gsize len,
    GError ** error)
{
  gchar *s, *p, *quoted;
  GstRTSPVersion version;
  const gchar *vend;

  s = g_strndup ((const gchar *) line, len);
  g_strchomp (s);

  if (g_str_has_prefix (s, "RTSP/")) {
    guint code;
    const gchar *reason;

    /* Status-Line = RTSP-Version SP Status-Code SP Reason-Phrase */
    if (!parse_version (s + 5, &version, &vend))
      goto bad_version;
    p = (gchar *) vend;
    if (!is_ws (*p))
      goto bad_status_line;
    while (is_ws (*p))
      p++;
    if (!g_ascii_isdigit (p[0]) || !g_ascii_isdigit (p[1])
        || !g_ascii_isdigit (p[2]) || (p[3] != '\0' && !is_ws (p[3])))
      goto bad_status_line;
    code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
    if (code < 100)
      goto bad_status_line;
    reason = p + 3;
    while (is_ws (*reason))
      reason++;

    gst_rtsp_message_new_response (&framer->msg, (GstRTSPStatusCode) code,
        reason, NULL);
    framer->msg->type_data.response.version = version;
  } else {
    gchar *method, *uri, *ver;
    GstRTSPMethod m;

    /* Request-Line = Method SP Request-URI SP RTSP-Version */
    p = s;
    method = p;
    while (is_token_char (*p))
      p++;
    if (p == method || !is_ws (*p))
      goto bad_request_line;
    *p++ = '\0';
    while (is_ws (*p))
      p++;
    uri = p;
    while (*p != '\0' && !is_ws (*p))
      p++;
    if (p == uri || *p == '\0')
      goto bad_request_line;
    *p++ = '\0';
    while (is_ws (*p))
      p++;
    ver = p;
    if (!g_str_has_prefix (ver, "RTSP/"))
      goto bad_request_line;
    if (!parse_version (ver + 5, &version, &vend) || *vend != '\0')
      goto bad_version;

    m = gst_rtsp_find_method (method);
    if (m == GST_RTSP_INVALID)
      GST_INFO ("request with unknown method '%s'", method);

    gst_rtsp_message_new_request (&framer->msg, m, uri);
    framer->msg->type_data.request.version = version;
  }

  g_free (s);
  return TRUE;

  /* ERRORS */
bad_version:
  {
    quoted = quote_line (line, len);
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_PROTOCOL,
        "unsupported RTSP version in start line '%s'", quoted);
    g_free (quoted);
    g_free (s);
    return FALSE;
  }
bad_status_line:
  {
    quoted = quote_line (line, len);
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_PROTOCOL,
        "malformed status line '%s'", quoted);
    g_free (quoted);
    g_free (s);
    return FALSE;
  }
bad_request_line:
  {
    quoted = quote_line (line, len);
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_PROTOCOL,
        "malformed request line '%s' (not an RTSP message)", quoted);
    g_free (quoted);
    g_free (s);
    return FALSE;
  }
}

/* Adds the held-back header to the message. */
static gboolean
flush_header (GstResilientFramer * framer, GError ** error)
{
  gchar *value;
  GstRTSPHeaderField field;

  if (framer->hdr_name == NULL)
    return TRUE;

  /* trailing whitespace of the (possibly folded) value; a CR there would
   * not survive serializing and parsing again */
  while (framer->hdr_value->len > 0
      && (is_ws (framer->hdr_value->str[framer->hdr_value->len - 1])
          || framer->hdr_value->str[framer->hdr_value->len - 1] == '\r'))
    g_string_truncate (framer->hdr_value, framer->hdr_value->len - 1);

  if (g_ascii_strcasecmp (framer->hdr_name, "Content-Length") == 0) {
    guint64 length;

    if (!gst_resilient_parse_content_length (framer->hdr_value->str, &length))
      goto bad_length;
    if (framer->have_length && length != framer->content_length)
      goto conflicting_length;
    framer->have_length = TRUE;
    framer->content_length = length;
  }

  value = g_strndup (framer->hdr_value->str, framer->hdr_value->len);
  /* take_header_by_name() would store a known header under its name only,
   * where gst_rtsp_message_get_header() does not find it */
  field = gst_rtsp_find_header_field (framer->hdr_name);
  if (field != GST_RTSP_HDR_INVALID)
    gst_rtsp_message_take_header (framer->msg, field, value);
  else
    gst_rtsp_message_take_header_by_name (framer->msg, framer->hdr_name, value);
  g_clear_pointer (&framer->hdr_name, g_free);
  g_string_truncate (framer->hdr_value, 0);

  return TRUE;

  /* ERRORS */
bad_length:
  {
    gchar *quoted = quote_line ((const guint8 *) framer->hdr_value->str,
        framer->hdr_value->len);
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_PROTOCOL,
        "invalid Content-Length '%s'", quoted);
    g_free (quoted);
    return FALSE;
  }
conflicting_length:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_PROTOCOL,
        "conflicting Content-Length headers (%" G_GUINT64_FORMAT " and %s)",
        framer->content_length, framer->hdr_value->str);
    return FALSE;
  }
}

/* One complete header-block line (without its line ending). Sets *done
 * when it was the blank line ending the block. */
static gboolean
process_line (GstResilientFramer * framer, const guint8 * line, gsize len,
    gboolean * done, GError ** error)
{
  gsize i, name_end, value_start;
  gchar *quoted;

  *done = FALSE;

  if (memchr (line, '\0', len) != NULL)
    goto nul_byte;

  if (framer->msg == NULL)
    return parse_start_line (framer, line, len, error);

  if (len == 0) {
    if (!flush_header (framer, error))
      return FALSE;
    *done = TRUE;
    return TRUE;
  }

  if (is_ws (line[0])) {
    /* obsolete line folding: continues the previous header's value */
    if (framer->hdr_name == NULL)
      goto orphan_continuation;
    i = 0;
    while (i < len && is_ws (line[i]))
      i++;
    if (i < len) {
      if (framer->hdr_value->len > 0)
        g_string_append_c (framer->hdr_value, ' ');
      g_string_append_len (framer->hdr_value, (const gchar *) line + i,
          len - i);
    }
    return TRUE;
  }

  if (!flush_header (framer, error))
    return FALSE;

  if (++framer->n_headers > framer->limits.max_headers)
    goto too_many_headers;

  /* field-name ":" OWS field-value OWS; whitespace before the colon is
   * tolerated */
  for (name_end = 0; name_end < len && is_token_char (line[name_end]);
      name_end++);
  i = name_end;
  while (i < len && is_ws (line[i]))
    i++;
  if (name_end == 0 || i >= len || line[i] != ':')
    goto bad_header;
  value_start = i + 1;
  while (value_start < len && is_ws (line[value_start]))
    value_start++;

  framer->hdr_name = g_strndup ((const gchar *) line, name_end);
  g_string_append_len (framer->hdr_value, (const gchar *) line + value_start,
      len - value_start);

  return TRUE;

  /* ERRORS */
nul_byte:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_PROTOCOL,
        "NUL byte in RTSP %s line", framer->msg ? "header" : "start");
    return FALSE;
  }
orphan_continuation:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_PROTOCOL,
        "header continuation line without a header before it");
    return FALSE;
  }
too_many_headers:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_PROTOCOL,
        "RTSP message has more than %u headers", framer->limits.max_headers);
    return FALSE;
  }
bad_header:
  {
    quoted = quote_line (line, len);
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_PROTOCOL,
        "malformed header line '%s'", quoted);
    g_free (quoted);
    return FALSE;
  }
}

/* Checks bytes of a start line as they arrive, so that binary garbage is
 * refused after a few bytes rather than after max_header_bytes. */
static gboolean
check_start_line_bytes (GstResilientFramer * framer, const guint8 * data,
    gsize from, gsize to, GError ** error)
{
  gsize i;

  for (i = from; i < to; i++) {
    guint8 c = data[i];

    if (!framer->start_sp_seen) {
      if (c == ' ') {
        framer->start_sp_seen = TRUE;
        continue;
      }
      /* "RTSP/1.0" and method names are tokens, but '/' ends "RTSP" */
      if (is_token_char (c) || c == '/' || c == '\r')
        continue;
    } else if ((c >= 0x20 && c != 0x7f) || c == '\t' || c == '\r') {
      continue;
    }
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_PROTOCOL,
        "unexpected byte 0x%02x in RTSP start line", c);
    return FALSE;
  }
  return TRUE;
}

static GstResilientFrameResult
parse_headers (GstResilientFramer * framer, const guint8 * data, gsize len,
    GError ** error)
{
  const gsize max = framer->limits.max_header_bytes;
  GError *err = NULL;

  while (TRUE) {
    const guint8 *nl;
    gsize line_end, content_end, limit;
    gboolean done;

    nl = memchr (data + framer->scan_pos, '\n', len - framer->scan_pos);
    limit = nl ? (gsize) (nl - data) : len;

    if (framer->msg == NULL && !check_start_line_bytes (framer, data,
            framer->scan_pos, limit, &err))
      goto failed;

    if (nl == NULL) {
      framer->scan_pos = len;
      if (len - framer->skip > max)
        goto too_big;
      return GST_RESILIENT_FRAME_NEED_MORE;
    }

    line_end = limit;
    framer->scan_pos = line_end + 1;
    if (framer->scan_pos - framer->skip > max)
      goto too_big;

    /* CRLF or bare LF; extra CRs before the LF are dropped too */
    content_end = line_end;
    while (content_end > framer->line_start && data[content_end - 1] == '\r')
      content_end--;

    if (!process_line (framer, data + framer->line_start,
            content_end - framer->line_start, &done, &err))
      goto failed;

    framer->line_start = framer->scan_pos;

    if (done) {
      if (framer->content_length > framer->limits.max_body_bytes)
        goto body_too_big;
      framer->phase = PHASE_BODY;
      framer->body_start = framer->scan_pos;
      return GST_RESILIENT_FRAME_NEED_MORE;     /* caller checks the body */
    }
  }

  /* ERRORS */
failed:
  {
    GST_WARNING ("framing error: %s", err->message);
    g_propagate_error (error, err);
    gst_resilient_framer_reset (framer);
    return GST_RESILIENT_FRAME_ERROR;
  }
too_big:
  {
    return framer_fail (framer, error,
        g_strdup_printf ("RTSP header block exceeds %" G_GSIZE_FORMAT
            " bytes", max));
  }
body_too_big:
  {
    return framer_fail (framer, error,
        g_strdup_printf ("Content-Length %" G_GUINT64_FORMAT
            " exceeds the limit of %" G_GSIZE_FORMAT " bytes",
            framer->content_length, framer->limits.max_body_bytes));
  }
}

GstResilientFrameResult
gst_resilient_framer_parse (GstResilientFramer * framer,
    const guint8 * data, gsize len, gsize * consumed, gsize * needed,
    GstResilientFrame * frame, GError ** error)
{
  GstResilientFrameResult res;

  g_return_val_if_fail (framer != NULL, GST_RESILIENT_FRAME_ERROR);
  g_return_val_if_fail (data != NULL || len == 0, GST_RESILIENT_FRAME_ERROR);
  g_return_val_if_fail (consumed != NULL, GST_RESILIENT_FRAME_ERROR);
  g_return_val_if_fail (frame != NULL, GST_RESILIENT_FRAME_ERROR);

  memset (frame, 0, sizeof (*frame));
  *consumed = 0;
  if (needed)
    *needed = 0;

  /* The caller must present at least the bytes we have already scanned;
   * if it does not, start over rather than read past its buffer. */
  if (len < framer->scan_pos) {
    GST_WARNING ("input shrank from %" G_GSIZE_FORMAT " to %" G_GSIZE_FORMAT
        " bytes, rescanning", framer->scan_pos, len);
    gst_resilient_framer_reset (framer);
  }

  if (framer->phase == PHASE_START) {
    while (framer->skip < len && (data[framer->skip] == '\r'
            || data[framer->skip] == '\n'))
      framer->skip++;
    framer->scan_pos = framer->skip;

    if (framer->skip > framer->limits.max_header_bytes)
      return framer_fail (framer, error,
          g_strdup_printf ("more than %" G_GSIZE_FORMAT
              " stray CR/LF bytes between frames",
              framer->limits.max_header_bytes));

    if (framer->skip == len)
      return GST_RESILIENT_FRAME_NEED_MORE;

    if (data[framer->skip] == '$') {
      gsize size, total;

      if (len - framer->skip < 4)
        return GST_RESILIENT_FRAME_NEED_MORE;

      size = ((gsize) data[framer->skip + 2] << 8) | data[framer->skip + 3];
      total = framer->skip + 4 + size;
      if (len < total) {
        if (needed)
          *needed = total;
        return GST_RESILIENT_FRAME_NEED_MORE;
      }

      frame->channel = data[framer->skip + 1];
      frame->data_offset = framer->skip + 4;
      frame->data_size = size;
      *consumed = total;
      GST_LOG ("interleaved frame: channel %u, %" G_GSIZE_FORMAT " bytes",
          frame->channel, size);
      gst_resilient_framer_reset (framer);
      return GST_RESILIENT_FRAME_DATA;
    }

    if (!g_ascii_isalpha (data[framer->skip]))
      return framer_fail (framer, error,
          g_strdup_printf ("garbage byte 0x%02x where an RTSP message or "
              "interleaved frame was expected", data[framer->skip]));

    framer->phase = PHASE_HEADERS;
    framer->line_start = framer->skip;
  }

  if (framer->phase == PHASE_HEADERS) {
    res = parse_headers (framer, data, len, error);
    if (res != GST_RESILIENT_FRAME_NEED_MORE || framer->phase != PHASE_BODY)
      return res;
  }

  /* PHASE_BODY */
  {
    gsize total = framer->body_start + (gsize) framer->content_length;
    GstRTSPMessage *msg;

    if (len < total) {
      if (needed)
        *needed = total;
      return GST_RESILIENT_FRAME_NEED_MORE;
    }

    msg = framer->msg;
    framer->msg = NULL;
    if (framer->content_length > 0)
      gst_rtsp_message_take_body (msg,
          g_memdup2 (data + framer->body_start, framer->content_length),
          (guint) framer->content_length);

    GST_LOG ("RTSP message: %" G_GSIZE_FORMAT " header bytes, %"
        G_GUINT64_FORMAT " body bytes", framer->body_start - framer->skip,
        framer->content_length);

    frame->message = msg;
    *consumed = total;
    gst_resilient_framer_reset (framer);
    return GST_RESILIENT_FRAME_MESSAGE;
  }
}

static const gchar *
version_text (GstRTSPVersion version)
{
  switch (version) {
    case GST_RTSP_VERSION_1_1:
      return "1.1";
    case GST_RTSP_VERSION_2_0:
      return "2.0";
    case GST_RTSP_VERSION_1_0:
    default:
      return "1.0";
  }
}

GBytes *
gst_resilient_message_serialize (const GstRTSPMessage * msg)
{
  GString *str;
  guint8 *body = NULL;
  guint body_size = 0;
  GstBuffer *body_buf = NULL;
  GstMapInfo map = GST_MAP_INFO_INIT;
  gchar *cl = NULL;

  g_return_val_if_fail (msg != NULL, NULL);

  ensure_debug_category ();

  if (gst_rtsp_message_has_body_buffer (msg)) {
    gst_rtsp_message_get_body_buffer (msg, &body_buf);
    if (body_buf && gst_buffer_map (body_buf, &map, GST_MAP_READ)) {
      body = map.data;
      body_size = map.size;
    } else {
      body_buf = NULL;
    }
  } else {
    gst_rtsp_message_get_body (msg, &body, &body_size);
  }

  str = g_string_sized_new (256 + body_size);

  switch (msg->type) {
    case GST_RTSP_MESSAGE_REQUEST:
    case GST_RTSP_MESSAGE_HTTP_REQUEST:{
      const gchar *method =
          gst_rtsp_method_as_text (msg->type_data.request.method);

      if (method == NULL || msg->type_data.request.uri == NULL)
        goto unformattable;
      g_string_append_printf (str, "%s %s %s/%s\r\n", method,
          msg->type_data.request.uri,
          msg->type == GST_RTSP_MESSAGE_REQUEST ? "RTSP" : "HTTP",
          version_text (msg->type_data.request.version));
      break;
    }
    case GST_RTSP_MESSAGE_RESPONSE:
    case GST_RTSP_MESSAGE_HTTP_RESPONSE:{
      const gchar *reason = msg->type_data.response.reason;

      if (reason == NULL)
        reason = gst_rtsp_status_as_text (msg->type_data.response.code);
      g_string_append_printf (str, "%s/%s %u %s\r\n",
          msg->type == GST_RTSP_MESSAGE_RESPONSE ? "RTSP" : "HTTP",
          version_text (msg->type_data.response.version),
          (guint) msg->type_data.response.code, reason ? reason : "");
      break;
    }
    case GST_RTSP_MESSAGE_DATA:{
      guint8 header[4];

      if (body_size > G_MAXUINT16)
        goto unformattable;
      gst_resilient_interleaved_header (header, msg->type_data.data.channel,
          (guint16) body_size);
      g_string_append_len (str, (const gchar *) header, 4);
      g_string_append_len (str, (const gchar *) body, body_size);
      goto done;
    }
    default:
      goto unformattable;
  }

  gst_rtsp_message_append_headers (msg, str);

  if (body_size > 0 && gst_rtsp_message_get_header (msg,
          GST_RTSP_HDR_CONTENT_LENGTH, &cl, 0) != GST_RTSP_OK)
    g_string_append_printf (str, "Content-Length: %u\r\n", body_size);

  g_string_append (str, "\r\n");
  if (body_size > 0)
    g_string_append_len (str, (const gchar *) body, body_size);

done:
  if (body_buf)
    gst_buffer_unmap (body_buf, &map);
  return g_string_free_to_bytes (str);

  /* ERRORS */
unformattable:
  {
    GST_WARNING ("cannot serialize a message of type %d (method %d)",
        msg->type, msg->type == GST_RTSP_MESSAGE_REQUEST ?
        (gint) msg->type_data.request.method : -1);
    if (body_buf)
      gst_buffer_unmap (body_buf, &map);
    g_string_free (str, TRUE);
    return NULL;
  }
}

void
gst_resilient_interleaved_header (guint8 header[4], guint8 channel,
    guint16 length)
{
  header[0] = '$';
  header[1] = channel;
  header[2] = (guint8) (length >> 8);
  header[3] = (guint8) (length & 0xff);
}
