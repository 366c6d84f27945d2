/* resilientrtsp
 * sdpstreams.c: SDP → stream descriptions (control URLs, caps per payload
 * type, multicast, profile, range), pure.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gio/gio.h>
#include <gst/rtp/rtp.h>

#include "sdpstreams.h"
#include "url.h"
#include "error.h"

GST_DEBUG_CATEGORY_STATIC (sdp_debug);
#define GST_CAT_DEFAULT sdp_debug

static void
ensure_debug_category (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized)) {
    GST_DEBUG_CATEGORY_INIT (sdp_debug, "resilientrtspsdp", 0,
        "resilientrtsp SDP to stream descriptions");
    g_once_init_leave (&initialized, 1);
  }
}

static void
stream_desc_free (gpointer data)
{
  GstResilientStreamDesc *desc = data;

  g_free (desc->media);
  g_free (desc->control_url);
  g_free (desc->multicast_address);
  if (desc->caps)
    gst_caps_unref (desc->caps);
  if (desc->pt_caps)
    gst_structure_free (desc->pt_caps);
  g_free (desc);
}

void
gst_resilient_sdp_info_free (GstResilientSdpInfo * info)
{
  if (info == NULL)
    return;

  g_free (info->aggregate_url);
  g_free (info->title);
  if (info->streams)
    g_ptr_array_unref (info->streams);
  g_free (info);
}

static gboolean
media_has_attribute (const GstSDPMedia * media, const gchar * key)
{
  guint i, n = gst_sdp_media_attributes_len (media);

  for (i = 0; i < n; i++) {
    const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, i);

    if (attr && attr->key && g_ascii_strcasecmp (attr->key, key) == 0)
      return TRUE;
  }
  return FALSE;
}

/* "RTP/AVP", "RTP/SAVPF", "RTP/AVP/TCP", "TCP/RTP/AVP", "RTP/AVP/UDP" */
static gboolean
parse_proto (const gchar * proto, GstRTSPProfile * profile)
{
  gchar *p;
  gboolean ok = TRUE;

  if (proto == NULL)
    return FALSE;

  p = g_ascii_strup (proto, -1);
  if (g_str_has_prefix (p, "TCP/"))
    memmove (p, p + 4, strlen (p + 4) + 1);
  if (g_str_has_suffix (p, "/TCP") || g_str_has_suffix (p, "/UDP"))
    p[strlen (p) - 4] = '\0';

  if (strcmp (p, "RTP/AVP") == 0)
    *profile = GST_RTSP_PROFILE_AVP;
  else if (strcmp (p, "RTP/AVPF") == 0)
    *profile = GST_RTSP_PROFILE_AVPF;
  else if (strcmp (p, "RTP/SAVP") == 0)
    *profile = GST_RTSP_PROFILE_SAVP;
  else if (strcmp (p, "RTP/SAVPF") == 0)
    *profile = GST_RTSP_PROFILE_SAVPF;
  else
    ok = FALSE;

  g_free (p);
  return ok;
}

/* A payload type from an m= format: digits only, 0..127. */
static gboolean
parse_pt (const gchar * fmt, guint * pt)
{
  guint v = 0;
  const gchar *p;

  if (fmt == NULL || *fmt == '\0' || strlen (fmt) > 3)
    return FALSE;
  for (p = fmt; *p; p++) {
    if (!g_ascii_isdigit (*p))
      return FALSE;
    v = v * 10 + (*p - '0');
  }
  if (v > 127)
    return FALSE;
  *pt = v;
  return TRUE;
}

/* application/x-rtp caps for @pt with media, payload, clock-rate and
 * encoding-name present, or NULL. */
static GstCaps *
make_pt_caps (const GstSDPMedia * media, guint pt)
{
  GstCaps *caps;
  GstStructure *s;
  const GstRTPPayloadInfo *info = NULL;
  gint clock_rate;

  caps = gst_sdp_media_get_caps_from_media (media, (gint) pt);
  if (caps == NULL || gst_caps_get_size (caps) == 0)
    goto no_caps;

  if (gst_sdp_media_get_attribute_val (media, "key-mgmt") != NULL) {
    /* SRTP is not supported, and libgstsdp's MIKEY parser asserts on
     * hostile key-mgmt values (found by fuzz_sdp): map a copy without */
    GstSDPMedia *copy = NULL;
    guint i;

    gst_sdp_media_copy (media, &copy);
    for (i = gst_sdp_media_attributes_len (copy); i > 0; i--) {
      if (g_strcmp0 (gst_sdp_media_get_attribute (copy, i - 1)->key,
              "key-mgmt") == 0)
        gst_sdp_media_remove_attribute (copy, i - 1);
    }
    if (gst_sdp_media_attributes_to_caps (copy, caps) != GST_SDP_OK)
      GST_DEBUG ("pt %u: could not add the media attributes to the caps", pt);
    gst_sdp_media_free (copy);
  } else if (gst_sdp_media_attributes_to_caps (media, caps) != GST_SDP_OK) {
    GST_DEBUG ("pt %u: could not add the media attributes to the caps", pt);
  }

  caps = gst_caps_make_writable (caps);
  s = gst_caps_get_structure (caps, 0);
  gst_structure_set_name (s, "application/x-rtp");

  if (pt < 96)
    info = gst_rtp_payload_info_for_pt ((guint8) pt);

  if (!gst_structure_has_field_typed (s, "media", G_TYPE_STRING)) {
    const gchar *m = gst_sdp_media_get_media (media);

    if (m == NULL && info)
      m = info->media;
    if (m == NULL)
      goto incomplete;
    gst_structure_set (s, "media", G_TYPE_STRING, m, NULL);
  }

  gst_structure_set (s, "payload", G_TYPE_INT, (gint) pt, NULL);

  if (!gst_structure_get_int (s, "clock-rate", &clock_rate) || clock_rate <= 0) {
    if (info == NULL || info->clock_rate == 0)
      goto incomplete;
    gst_structure_set (s, "clock-rate", G_TYPE_INT, (gint) info->clock_rate,
        NULL);
  }

  if (!gst_structure_has_field_typed (s, "encoding-name", G_TYPE_STRING)) {
    gchar *name;

    if (info == NULL || info->encoding_name == NULL)
      goto incomplete;
    name = g_ascii_strup (info->encoding_name, -1);
    gst_structure_set (s, "encoding-name", G_TYPE_STRING, name, NULL);
    g_free (name);
    if (info->encoding_parameters
        && !gst_structure_has_field (s, "encoding-params"))
      gst_structure_set (s, "encoding-params", G_TYPE_STRING,
          info->encoding_parameters, NULL);
  }

  return caps;

  /* ERRORS */
no_caps:
  {
    GST_DEBUG ("pt %u: no caps (dynamic pt without a=rtpmap?)", pt);
    if (caps)
      gst_caps_unref (caps);
    return NULL;
  }
incomplete:
  {
    GST_DEBUG ("pt %u: no clock-rate or encoding name known", pt);
    gst_caps_unref (caps);
    return NULL;
  }
}

/* Whether @address (optionally "addr/ttl[/count]") is a multicast address;
 * the bare address goes to @bare. */
static gboolean
is_multicast_address (const gchar * address, gchar ** bare)
{
  GInetAddress *addr;
  gboolean ret = FALSE;
  gsize n;

  *bare = NULL;
  if (address == NULL)
    return FALSE;

  n = strcspn (address, "/");
  *bare = g_strndup (address, n);
  addr = g_inet_address_new_from_string (*bare);
  if (addr) {
    ret = g_inet_address_get_is_multicast (addr);
    g_object_unref (addr);
  }
  if (!ret)
    g_clear_pointer (bare, g_free);
  return ret;
}

/* digits with an optional fraction: "12", "12.25", "12." */
static gboolean
parse_decimal (const gchar * p, const gchar * end, gdouble * out)
{
  const gchar *q = p;
  gchar buf[32];

  while (q < end && g_ascii_isdigit (*q))
    q++;
  if (q == p)
    return FALSE;
  if (q < end && *q == '.') {
    q++;
    while (q < end && g_ascii_isdigit (*q))
      q++;
  }
  if (q != end || (gsize) (end - p) >= sizeof (buf))
    return FALSE;

  memcpy (buf, p, end - p);
  buf[end - p] = '\0';
  *out = g_ascii_strtod (buf, NULL);
  return TRUE;
}

/* RFC 2326 §3.6 npt-time: "now", seconds, or h:mm:ss[.frac] in [p, end).
 * "now" gives -1. */
static gboolean
parse_npt_time (const gchar * p, const gchar * end, gdouble * out)
{
  const gchar *c1, *c2;
  gdouble h, m, sec;

  if (end - p == 3 && strncmp (p, "now", 3) == 0) {
    *out = -1;
    return TRUE;
  }

  c1 = memchr (p, ':', end - p);
  if (c1 == NULL)
    return parse_decimal (p, end, out);

  c2 = memchr (c1 + 1, ':', end - c1 - 1);
  if (c2 == NULL || c2 - c1 != 3)
    return FALSE;
  if (memchr (p, '.', c1 - p) || memchr (c1 + 1, '.', c2 - c1 - 1))
    return FALSE;
  if (!parse_decimal (p, c1, &h) || !parse_decimal (c1 + 1, c2, &m)
      || !parse_decimal (c2 + 1, end, &sec) || m >= 60 || sec >= 60)
    return FALSE;
  *out = h * 3600 + m * 60 + sec;
  return TRUE;
}

/* "npt=0-30.5", "npt=now-", "npt=10-", " npt = 1:00:00-"; other units
 * (clock=, smpte=) and garbage leave -1. */
static void
parse_range (const gchar * value, gdouble * start, gdouble * end)
{
  const gchar *p, *dash, *stop;
  gdouble s, e = -1;

  *start = -1;
  *end = -1;

  if (value == NULL)
    return;

  p = value;
  while (g_ascii_isspace (*p))
    p++;
  if (g_ascii_strncasecmp (p, "npt", 3) != 0)
    return;
  p += 3;
  while (g_ascii_isspace (*p))
    p++;
  if (*p != '=')
    return;
  p++;
  while (g_ascii_isspace (*p))
    p++;

  stop = p + strcspn (p, ";");
  while (stop > p && g_ascii_isspace (stop[-1]))
    stop--;
  dash = memchr (p, '-', stop - p);
  if (dash == NULL)
    return;
  if (!parse_npt_time (p, dash, &s))
    return;
  if (dash + 1 < stop && !parse_npt_time (dash + 1, stop, &e))
    return;

  /* finite, plausible numbers of seconds only */
  if (s >= 0.0 && s < 1e12)
    *start = s;
  if (e >= 0.0 && e < 1e12)
    *end = e;
}

static void
fill_connection (GstResilientStreamDesc * desc, const GstSDPMessage * sdp,
    const GstSDPMedia * media)
{
  const GstSDPConnection *conn = NULL;

  if (gst_sdp_media_connections_len (media) > 0)
    conn = gst_sdp_media_get_connection (media, 0);
  if (conn == NULL || conn->address == NULL)
    conn = gst_sdp_message_get_connection (sdp);
  if (conn == NULL || conn->address == NULL)
    return;

  if (is_multicast_address (conn->address, &desc->multicast_address)) {
    const gchar *slash = strchr (conn->address, '/');

    desc->is_multicast = TRUE;
    desc->multicast_ttl = conn->ttl;
    if (desc->multicast_ttl == 0 && slash != NULL) {
      guint64 ttl = g_ascii_strtoull (slash + 1, NULL, 10);

      if (ttl <= 255)
        desc->multicast_ttl = (guint) ttl;
    }
    desc->server_port = gst_sdp_media_get_port (media);
  }
}

/* The description of m= line @index, or NULL (skipped) */
static GstResilientStreamDesc *
make_stream (const GstSDPMessage * sdp, const GstSDPMedia * media, guint index,
    const gchar * aggregate_url, const gchar * media_base, guint n_media)
{
  GstResilientStreamDesc *desc;
  GstRTSPProfile profile;
  guint i, n_formats, pt;
  const gchar *control;

  if (!parse_proto (gst_sdp_media_get_proto (media), &profile)) {
    GST_INFO ("m= line %u: proto '%s' is not RTP, skipping", index,
        GST_STR_NULL (gst_sdp_media_get_proto (media)));
    return NULL;
  }

  desc = g_new0 (GstResilientStreamDesc, 1);
  desc->index = index;
  desc->profile = profile;
  desc->media = g_strdup (gst_sdp_media_get_media (media));
  desc->pt_caps = gst_structure_new_empty ("pt-caps");

  n_formats = gst_sdp_media_formats_len (media);
  for (i = 0; i < n_formats; i++) {
    GstCaps *caps;
    gchar field[16];

    if (!parse_pt (gst_sdp_media_get_format (media, i), &pt))
      continue;
    caps = make_pt_caps (media, pt);
    if (caps == NULL)
      continue;

    g_snprintf (field, sizeof (field), "pt-%u", pt);
    gst_structure_set (desc->pt_caps, field, GST_TYPE_CAPS, caps, NULL);
    if (desc->caps == NULL) {
      desc->pt = pt;
      desc->caps = caps;
    } else {
      gst_caps_unref (caps);
    }
  }

  if (desc->caps == NULL) {
    GST_INFO ("m= line %u (%s): no usable payload type, skipping", index,
        GST_STR_NULL (desc->media));
    stream_desc_free (desc);
    return NULL;
  }

  control = gst_sdp_media_get_attribute_val (media, "control");
  if (control == NULL || *control == '\0' || strcmp (control, "*") == 0) {
    if (control == NULL && n_media > 1)
      GST_WARNING ("m= line %u has no a=control among %u; using the "
          "aggregate URL", index, n_media);
    desc->control_url = g_strdup (aggregate_url);
  } else {
    desc->control_url = gst_resilient_url_resolve_control (media_base, control);
  }

  desc->recvonly_backchannel = media_has_attribute (media, "sendonly");
  fill_connection (desc, sdp, media);

  GST_DEBUG ("stream %u: %s pt %u, control %s%s", index, desc->media, desc->pt,
      desc->control_url, desc->recvonly_backchannel ? " (backchannel)" : "");

  return desc;
}

GstResilientSdpInfo *
gst_resilient_sdp_info_new (const GstSDPMessage * sdp, const gchar * base_url,
    GError ** error)
{
  GstResilientSdpInfo *info;
  const gchar *value, *range;
  gchar *sess_control = NULL;
  const gchar *media_base;
  guint i, n_media;

  g_return_val_if_fail (sdp != NULL, NULL);

  ensure_debug_category ();

  value = gst_sdp_message_get_attribute_val (sdp, "control");
  if (value)
    sess_control = g_strstrip (g_strdup (value));

  info = g_new0 (GstResilientSdpInfo, 1);
  info->range_start = -1;
  info->range_end = -1;
  info->streams = g_ptr_array_new_with_free_func (stream_desc_free);
  info->title = g_strdup (gst_sdp_message_get_session_name (sdp));

  /* RFC 2326 C.1.1: a session-level control is the aggregate URL; an
   * absolute one is also the base for the media-level ones. */
  if (gst_resilient_url_is_absolute (base_url)) {
    info->aggregate_url = gst_resilient_url_resolve_control (base_url,
        sess_control);
  } else if (gst_resilient_url_is_absolute (sess_control)) {
    info->aggregate_url = gst_resilient_url_resolve (sess_control, "");
  }
  if (info->aggregate_url == NULL)
    goto no_base;

  if (gst_resilient_url_is_absolute (sess_control)
      || !gst_resilient_url_is_absolute (base_url))
    media_base = info->aggregate_url;
  else
    media_base = base_url;

  range = gst_sdp_message_get_attribute_val (sdp, "range");
  n_media = gst_sdp_message_medias_len (sdp);
  for (i = 0; range == NULL && i < n_media; i++)
    range = gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (sdp,
            i), "range");
  parse_range (range, &info->range_start, &info->range_end);

  for (i = 0; i < n_media; i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);
    GstResilientStreamDesc *desc;

    desc = make_stream (sdp, media, i, info->aggregate_url, media_base,
        n_media);
    if (desc)
      g_ptr_array_add (info->streams, desc);
    else
      info->skipped++;
  }

  if (info->streams->len == 0)
    goto no_streams;

  GST_DEBUG ("SDP '%s': %u streams, %u skipped, aggregate %s",
      GST_STR_NULL (info->title), info->streams->len, info->skipped,
      info->aggregate_url);

  g_free (sess_control);
  return info;

  /* ERRORS */
no_base:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_SDP,
        "no absolute control URL: base '%s', session control '%s'",
        GST_STR_NULL (base_url), GST_STR_NULL (sess_control));
    g_free (sess_control);
    gst_resilient_sdp_info_free (info);
    return NULL;
  }
no_streams:
  {
    if (n_media == 0)
      g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_SDP,
          "SDP has no media (m=) lines");
    else
      g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_SDP,
          "none of the SDP's %u media (m=) lines is a usable RTP stream",
          n_media);
    g_free (sess_control);
    gst_resilient_sdp_info_free (info);
    return NULL;
  }
}

GstSDPMessage *
gst_resilient_sdp_parse (const guint8 * data, gsize size, GError ** error)
{
  GstSDPMessage *sdp = NULL;
  gchar *valid = NULL;
  gsize i;

  ensure_debug_category ();

  if (data == NULL)
    size = 0;
  /* some servers count a terminating NUL in Content-Length */
  while (size > 0 && data[size - 1] == '\0')
    size--;
  for (i = 0; i < size && g_ascii_isspace (data[i]); i++);
  if (i == size)
    goto empty;
  if (memchr (data, '\0', size) != NULL)
    goto nul_byte;

  /* Text in SDP is UTF-8 unless a=charset says otherwise, and cameras do
   * send GBK or Latin-1 session names. Whatever ends up in caps must be
   * UTF-8 (GstStructure warns and drops the field otherwise), so invalid
   * sequences become U+FFFD. */
  if (!g_utf8_validate ((const gchar *) data, size, NULL)) {
    GST_INFO ("SDP is not valid UTF-8, replacing the invalid sequences");
    valid = g_utf8_make_valid ((const gchar *) data, size);
    data = (const guint8 *) valid;
    size = strlen (valid);
  }
  if (size > G_MAXUINT)
    goto too_big;

  if (gst_sdp_message_new (&sdp) != GST_SDP_OK)
    goto failed;
  if (gst_sdp_message_parse_buffer (data, (guint) size, sdp) != GST_SDP_OK)
    goto failed;
  g_clear_pointer (&valid, g_free);

  if (gst_sdp_message_get_version (sdp) == NULL)
    GST_WARNING ("SDP without a v= line, accepting it anyway");

  if (gst_sdp_message_medias_len (sdp) == 0)
    goto no_media;

  return sdp;

  /* ERRORS */
empty:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_SDP,
        "empty SDP");
    return NULL;
  }
nul_byte:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_SDP,
        "SDP contains a NUL byte");
    return NULL;
  }
too_big:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_SDP,
        "SDP too large (%" G_GSIZE_FORMAT " bytes)", size);
    g_free (valid);
    return NULL;
  }
failed:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_SDP,
        "malformed SDP");
    g_free (valid);
    if (sdp)
      gst_sdp_message_free (sdp);
    return NULL;
  }
no_media:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_SDP,
        "SDP has no media (m=) lines");
    gst_sdp_message_free (sdp);
    return NULL;
  }
}
