/* resilientrtsp
 * headers.c: pure parsing/formatting of the RTSP headers the client needs.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "headers.h"

#define DEFAULT_SESSION_TIMEOUT 60
/* Larger timeouts are treated as invalid: the keep-alive code works in
 * milliseconds and a session that never times out is not what a server
 * means by it. */
#define MAX_SESSION_TIMEOUT (G_MAXINT / 1000)
#define MAX_SESSION_ID_LEN 256

static gboolean
is_ws (gchar c)
{
  return c == ' ' || c == '\t';
}

static const gchar *
skip_ws (const gchar * p)
{
  while (is_ws (*p))
    p++;
  return p;
}

/* Parses [p, end) as decimal digits only, into *out, failing on overflow of
 * @max. */
static gboolean
parse_digits (const gchar * p, const gchar * end, guint64 max, guint64 * out)
{
  guint64 v = 0;

  if (p >= end)
    return FALSE;

  for (; p < end; p++) {
    guint d;

    if (!g_ascii_isdigit (*p))
      return FALSE;
    d = *p - '0';
    if (v > (max - d) / 10)
      return FALSE;
    v = v * 10 + d;
  }
  *out = v;
  return TRUE;
}

/* RFC 2326 §3.4 (ALPHA / DIGIT / safe) and RFC 7826 (unreserved / "+" / "$") */
static gboolean
is_session_id_char (gchar c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("$-_.+~", c) != NULL);
}

gboolean
gst_resilient_parse_session_header (const gchar * value, gchar ** id,
    guint * timeout_sec)
{
  const gchar *p, *id_start, *id_end;

  g_return_val_if_fail (id != NULL, FALSE);
  g_return_val_if_fail (timeout_sec != NULL, FALSE);

  *id = NULL;
  *timeout_sec = DEFAULT_SESSION_TIMEOUT;

  if (value == NULL)
    return FALSE;

  p = skip_ws (value);
  id_start = p;
  while (is_session_id_char (*p))
    p++;
  id_end = p;

  if (id_end == id_start || id_end - id_start > MAX_SESSION_ID_LEN)
    return FALSE;

  p = skip_ws (p);
  if (*p != '\0' && *p != ';')
    return FALSE;

  /* parameters: *( ";" name [ "=" value ] ) */
  while (*p == ';') {
    const gchar *name, *name_end, *val = NULL, *val_end = NULL;

    p = skip_ws (p + 1);
    name = p;
    while (*p != '\0' && *p != ';' && *p != '=' && !is_ws (*p))
      p++;
    name_end = p;
    p = skip_ws (p);
    if (*p == '=') {
      p = skip_ws (p + 1);
      val = p;
      while (*p != '\0' && *p != ';' && !is_ws (*p))
        p++;
      val_end = p;
      p = skip_ws (p);
    }
    /* skip anything unparsable up to the next parameter */
    while (*p != '\0' && *p != ';')
      p++;

    if (val != NULL && name_end - name == 7
        && g_ascii_strncasecmp (name, "timeout", 7) == 0) {
      guint64 t;

      if (parse_digits (val, val_end, G_MAXUINT64, &t) && t > 0
          && t <= MAX_SESSION_TIMEOUT)
        *timeout_sec = (guint) t;
      else
        *timeout_sec = DEFAULT_SESSION_TIMEOUT;
    }
  }

  *id = g_strndup (id_start, id_end - id_start);
  return TRUE;
}

GstRTSPMethod
gst_resilient_parse_public_header (const gchar * value)
{
  GstRTSPMethod methods = GST_RTSP_INVALID;
  gchar **tokens;
  guint i;

  if (value == NULL)
    return GST_RTSP_INVALID;

  tokens = g_strsplit (value, ",", -1);
  for (i = 0; tokens[i]; i++) {
    gchar *t = g_strstrip (tokens[i]);

    if (*t != '\0')
      methods |= gst_rtsp_find_method (t);
  }
  g_strfreev (tokens);

  return methods;
}

gboolean
gst_resilient_parse_content_length (const gchar * value, guint64 * length)
{
  const gchar *start, *end;

  g_return_val_if_fail (length != NULL, FALSE);

  if (value == NULL)
    return FALSE;

  start = skip_ws (value);
  end = start;
  while (g_ascii_isdigit (*end))
    end++;
  if (*skip_ws (end) != '\0')
    return FALSE;

  return parse_digits (start, end, G_MAXUINT64, length);
}

gboolean
gst_resilient_parse_retry_after (const gchar * value, guint * seconds)
{
  const gchar *start, *end, *rest;
  guint64 v;

  g_return_val_if_fail (seconds != NULL, FALSE);

  if (value == NULL)
    return FALSE;

  start = skip_ws (value);
  end = start;
  while (g_ascii_isdigit (*end))
    end++;
  /* delta-seconds, optionally followed by a comment: "120 (maintenance)" */
  rest = skip_ws (end);
  if (*rest != '\0' && *rest != '(')
    return FALSE;
  if (!parse_digits (start, end, G_MAXUINT, &v))
    return FALSE;

  *seconds = (guint) v;
  return TRUE;
}

static void
rtp_info_clear (gpointer data)
{
  GstResilientRtpInfo *info = data;

  g_clear_pointer (&info->url, g_free);
}

/* Does @p start a RTP-Info parameter we know ("seq=", "rtptime=", "ssrc=")? */
static gboolean
is_rtp_info_param (const gchar * p)
{
  p = skip_ws (p);
  return g_ascii_strncasecmp (p, "seq=", 4) == 0
      || g_ascii_strncasecmp (p, "rtptime=", 8) == 0
      || g_ascii_strncasecmp (p, "ssrc=", 5) == 0;
}

/* Finds the start of the next entry: "," followed by optional whitespace
 * and "url=". Returns a pointer to the ',' or to the terminating NUL. */
static const gchar *
find_entry_end (const gchar * p)
{
  for (; *p != '\0'; p++) {
    if (*p == ',' && g_ascii_strncasecmp (skip_ws (p + 1), "url=", 4) == 0)
      return p;
  }
  return p;
}

/* One "url=…;seq=…;rtptime=…" entry in [p, end). */
static gboolean
parse_rtp_info_entry (const gchar * p, const gchar * end,
    GstResilientRtpInfo * info)
{
  const gchar *url, *url_end;

  memset (info, 0, sizeof (*info));

  p = skip_ws (p);
  if (end - p < 4 || g_ascii_strncasecmp (p, "url=", 4) != 0)
    return FALSE;
  p += 4;

  if (p < end && *p == '"') {
    /* RFC 7826 quoted-url */
    url = ++p;
    while (p < end && *p != '"')
      p++;
    if (p >= end)
      return FALSE;
    url_end = p++;
  } else {
    /* unquoted: up to the ';' (or, RFC 7826 style, whitespace) that starts
     * a known parameter; URLs may contain ';' themselves */
    url = p;
    while (p < end) {
      if ((*p == ';' || is_ws (*p)) && is_rtp_info_param (p + 1))
        break;
      p++;
    }
    url_end = p;
    while (url_end > url && is_ws (url_end[-1]))
      url_end--;
  }
  if (url_end == url)
    return FALSE;

  info->url = g_strndup (url, url_end - url);

  /* parameters, separated by ';', whitespace, or ':' after an ssrc */
  while (p < end) {
    const gchar *name, *name_end, *val, *val_end;
    guint64 v;

    while (p < end && (*p == ';' || *p == ':' || is_ws (*p)))
      p++;
    if (p >= end)
      break;
    name = p;
    while (p < end && *p != '=' && *p != ';' && *p != ':' && !is_ws (*p))
      p++;
    name_end = p;
    if (p >= end || *p != '=') {
      /* valueless parameter: ignore */
      continue;
    }
    val = ++p;
    while (p < end && *p != ';' && *p != ':' && !is_ws (*p))
      p++;
    val_end = p;

    if (name_end - name == 3 && g_ascii_strncasecmp (name, "seq", 3) == 0) {
      if (parse_digits (val, val_end, G_MAXUINT16, &v)) {
        info->has_seq = TRUE;
        info->seq = (guint16) v;
      }
    } else if (name_end - name == 7
        && g_ascii_strncasecmp (name, "rtptime", 7) == 0) {
      if (parse_digits (val, val_end, G_MAXUINT32, &v)) {
        info->has_rtptime = TRUE;
        info->rtptime = (guint32) v;
      }
    }
  }

  return TRUE;
}

GArray *
gst_resilient_parse_rtp_info (const gchar * value)
{
  GArray *infos;
  const gchar *p;

  if (value == NULL)
    return NULL;

  infos = g_array_new (FALSE, TRUE, sizeof (GstResilientRtpInfo));
  g_array_set_clear_func (infos, rtp_info_clear);

  p = value;
  while (*p != '\0') {
    const gchar *end = find_entry_end (p);
    GstResilientRtpInfo info;

    if (parse_rtp_info_entry (p, end, &info))
      g_array_append_val (infos, info);

    p = end;
    if (*p == ',')
      p++;
  }

  return infos;
}

void
gst_resilient_rtp_info_array_free (GArray * infos)
{
  if (infos)
    g_array_unref (infos);
}

gchar *
gst_resilient_format_transport (GstRTSPProfile profile,
    GstRTSPLowerTrans lower_transport, guint port_or_channel)
{
  const gchar *proto;

  switch (profile) {
    case GST_RTSP_PROFILE_AVPF:
      proto = "RTP/AVPF";
      break;
    case GST_RTSP_PROFILE_SAVP:
      proto = "RTP/SAVP";
      break;
    case GST_RTSP_PROFILE_SAVPF:
      proto = "RTP/SAVPF";
      break;
    case GST_RTSP_PROFILE_AVP:
    default:
      proto = "RTP/AVP";
      break;
  }

  switch (lower_transport) {
    case GST_RTSP_LOWER_TRANS_UDP:
      g_return_val_if_fail (port_or_channel > 0 && port_or_channel < 65535,
          NULL);
      return g_strdup_printf ("%s;unicast;client_port=%u-%u", proto,
          port_or_channel, port_or_channel + 1);
    case GST_RTSP_LOWER_TRANS_TCP:
      g_return_val_if_fail (port_or_channel < 255, NULL);
      return g_strdup_printf ("%s/TCP;unicast;interleaved=%u-%u", proto,
          port_or_channel, port_or_channel + 1);
    case GST_RTSP_LOWER_TRANS_UDP_MCAST:
      return g_strdup_printf ("%s;multicast", proto);
    default:
      g_return_val_if_reached (NULL);
  }
}
