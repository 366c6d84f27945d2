/* resilientrtsp
 * url.c: URL handling for the client — RFC 3986 §5.2 reference resolution,
 * control URLs of a DESCRIBE response, credentials in URLs.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "url.h"

/* The components of a URI reference (RFC 3986 §3 / appendix B); NULL means
 * "undefined", which differs from empty for authority, query, fragment. */
typedef struct
{
  gchar *scheme;
  gchar *authority;
  gchar *path;                  /* never NULL once parsed */
  gchar *query;
  gchar *fragment;
} UriParts;

static void
uri_parts_clear (UriParts * u)
{
  g_free (u->scheme);
  g_free (u->authority);
  g_free (u->path);
  g_free (u->query);
  g_free (u->fragment);
  memset (u, 0, sizeof (*u));
}

/* Length of a scheme at the start of @s followed by ':', or 0. */
static gsize
scheme_length (const gchar * s)
{
  const gchar *p = s;

  if (!g_ascii_isalpha (*p))
    return 0;
  p++;
  while (g_ascii_isalnum (*p) || *p == '+' || *p == '-' || *p == '.')
    p++;
  return *p == ':' ? (gsize) (p - s) : 0;
}

static void
uri_parse (const gchar * s, UriParts * u)
{
  const gchar *p = s;
  gsize n;

  memset (u, 0, sizeof (*u));

  n = scheme_length (p);
  if (n > 0) {
    u->scheme = g_ascii_strdown (p, n);
    p += n + 1;
  }
  if (p[0] == '/' && p[1] == '/') {
    p += 2;
    n = strcspn (p, "/?#");
    u->authority = g_strndup (p, n);
    p += n;
  }
  n = strcspn (p, "?#");
  u->path = g_strndup (p, n);
  p += n;
  if (*p == '?') {
    p++;
    n = strcspn (p, "#");
    u->query = g_strndup (p, n);
    p += n;
  }
  if (*p == '#')
    u->fragment = g_strdup (p + 1);
}

/* RFC 3986 §5.3 */
static gchar *
uri_compose (const UriParts * u)
{
  GString *s = g_string_new (NULL);

  if (u->scheme)
    g_string_append_printf (s, "%s:", u->scheme);
  if (u->authority)
    g_string_append_printf (s, "//%s", u->authority);
  g_string_append (s, u->path);
  if (u->query)
    g_string_append_printf (s, "?%s", u->query);
  if (u->fragment)
    g_string_append_printf (s, "#%s", u->fragment);
  return g_string_free (s, FALSE);
}

/* Drops the last segment (and its '/') of @out: RFC 3986 §5.2.4 2.C */
static void
remove_last_segment (GString * out)
{
  const gchar *slash = strrchr (out->str, '/');

  g_string_truncate (out, slash ? (gsize) (slash - out->str) : 0);
}

/* RFC 3986 §5.2.4 */
static gchar *
remove_dot_segments (const gchar * path)
{
  gchar *buf = g_strdup (path);
  gchar *in = buf;
  GString *out = g_string_sized_new (strlen (path));

  while (*in != '\0') {
    if (g_str_has_prefix (in, "../")) {
      in += 3;
    } else if (g_str_has_prefix (in, "./")) {
      in += 2;
    } else if (g_str_has_prefix (in, "/./")) {
      in += 2;
    } else if (strcmp (in, "/.") == 0) {
      in[1] = '\0';
    } else if (g_str_has_prefix (in, "/../")) {
      in += 3;
      remove_last_segment (out);
    } else if (strcmp (in, "/..") == 0) {
      in[1] = '\0';
      remove_last_segment (out);
    } else if (strcmp (in, ".") == 0 || strcmp (in, "..") == 0) {
      in += strlen (in);
    } else {
      gsize n = (*in == '/') ? 1 : 0;

      n += strcspn (in + n, "/");
      g_string_append_len (out, in, n);
      in += n;
    }
  }

  g_free (buf);
  return g_string_free (out, FALSE);
}

/* RFC 3986 §5.2.3 */
static gchar *
merge_paths (const UriParts * base, const gchar * ref_path)
{
  const gchar *slash;

  if (base->authority != NULL && base->path[0] == '\0')
    return g_strconcat ("/", ref_path, NULL);

  slash = strrchr (base->path, '/');
  if (slash == NULL)
    return g_strdup (ref_path);
  return g_strdup_printf ("%.*s%s", (gint) (slash - base->path + 1),
      base->path, ref_path);
}

/* RFC 3986 §5.2.2, strict (a scheme in the reference always wins). */
static gchar *
resolve_parts (const UriParts * base, const UriParts * ref)
{
  UriParts t = { NULL, };
  gchar *merged, *result;

  if (ref->scheme) {
    t.scheme = g_strdup (ref->scheme);
    t.authority = g_strdup (ref->authority);
    t.path = remove_dot_segments (ref->path);
    t.query = g_strdup (ref->query);
  } else {
    if (ref->authority) {
      t.authority = g_strdup (ref->authority);
      t.path = remove_dot_segments (ref->path);
      t.query = g_strdup (ref->query);
    } else {
      if (ref->path[0] == '\0') {
        t.path = g_strdup (base->path);
        t.query = g_strdup (ref->query ? ref->query : base->query);
      } else {
        if (ref->path[0] == '/') {
          t.path = remove_dot_segments (ref->path);
        } else {
          merged = merge_paths (base, ref->path);
          t.path = remove_dot_segments (merged);
          g_free (merged);
        }
        t.query = g_strdup (ref->query);
      }
      t.authority = g_strdup (base->authority);
    }
    t.scheme = g_strdup (base->scheme);
  }
  t.fragment = g_strdup (ref->fragment);

  result = uri_compose (&t);
  uri_parts_clear (&t);
  return result;
}

/* @s without surrounding whitespace (SDP and header values may carry it) */
static gchar *
strip_copy (const gchar * s)
{
  return g_strstrip (g_strdup (s));
}

gboolean
gst_resilient_url_is_absolute (const gchar * url)
{
  return url != NULL && scheme_length (url) > 0;
}

/* The base without its fragment. */
static gchar *
base_itself (const UriParts * base)
{
  UriParts t = *base;

  t.fragment = NULL;
  return uri_compose (&t);
}

gchar *
gst_resilient_url_resolve (const gchar * base, const gchar * reference)
{
  UriParts b, r;
  gchar *ref, *result;

  g_return_val_if_fail (reference != NULL, NULL);

  if (!gst_resilient_url_is_absolute (base))
    return NULL;

  uri_parse (base, &b);
  ref = strip_copy (reference);

  if (strcmp (ref, "*") == 0) {
    result = base_itself (&b);
  } else {
    uri_parse (ref, &r);
    result = resolve_parts (&b, &r);
    uri_parts_clear (&r);
  }

  g_free (ref);
  uri_parts_clear (&b);
  return result;
}

gchar *
gst_resilient_url_resolve_control (const gchar * base, const gchar * control)
{
  UriParts b;
  gchar *ctrl, *result;

  if (!gst_resilient_url_is_absolute (base))
    return NULL;

  ctrl = control ? strip_copy (control) : g_strdup ("");
  uri_parse (base, &b);

  if (ctrl[0] == '\0' || strcmp (ctrl, "*") == 0) {
    result = base_itself (&b);
  } else if (gst_resilient_url_is_absolute (ctrl) || ctrl[0] == '/'
      || ctrl[0] == '?' || ctrl[0] == '#') {
    result = gst_resilient_url_resolve (base, ctrl);
  } else if (b.query != NULL) {
    /* What rtspsrc, live555 and FFmpeg do, and what servers that put the
     * query in the base (".../realmonitor?channel=1&subtype=0/") expect:
     * append the control to the whole base. */
    gchar *prefix = base_itself (&b);

    result = g_strconcat (prefix, g_str_has_suffix (prefix, "/") ? "" : "/",
        ctrl, NULL);
    g_free (prefix);
  } else {
    /* A base without a trailing '/' names the presentation, not a file
     * next to the streams: "rtsp://h/live" + "track1" is
     * "rtsp://h/live/track1" for every deployed client and server. */
    UriParts r;

    if (b.path[0] != '\0' && !g_str_has_suffix (b.path, "/")) {
      gchar *path = g_strconcat (b.path, "/", NULL);

      g_free (b.path);
      b.path = path;
    }
    uri_parse (ctrl, &r);
    result = resolve_parts (&b, &r);
    uri_parts_clear (&r);
  }

  uri_parts_clear (&b);
  g_free (ctrl);
  return result;
}

static gboolean
non_empty (const gchar * s)
{
  if (s == NULL)
    return FALSE;
  while (g_ascii_isspace (*s))
    s++;
  return *s != '\0';
}

gchar *
gst_resilient_url_control_base (const gchar * request_url,
    const gchar * content_base, const gchar * content_location)
{
  const gchar *candidates[2] = { content_base, content_location };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (candidates); i++) {
    gchar *stripped, *resolved = NULL;

    if (!non_empty (candidates[i]))
      continue;

    stripped = strip_copy (candidates[i]);
    if (gst_resilient_url_is_absolute (request_url))
      resolved = gst_resilient_url_resolve (request_url, stripped);
    else if (gst_resilient_url_is_absolute (stripped))
      resolved = gst_resilient_url_resolve (stripped, "");
    g_free (stripped);
    if (resolved)
      return resolved;
  }

  if (gst_resilient_url_is_absolute (request_url))
    return gst_resilient_url_resolve (request_url, "");

  return NULL;
}

static gchar *
unescape_or_copy (const gchar * s, gsize len)
{
  gchar *raw = g_strndup (s, len);
  gchar *unescaped = g_uri_unescape_string (raw, NULL);

  if (unescaped == NULL)
    return raw;
  g_free (raw);
  return unescaped;
}

gchar *
gst_resilient_url_strip_credentials (const gchar * url, gchar ** user,
    gchar ** password)
{
  const gchar *auth, *auth_end, *at, *p, *colon;
  gsize n;

  if (user)
    *user = NULL;
  if (password)
    *password = NULL;

  if (url == NULL)
    return NULL;

  n = scheme_length (url);
  if (n == 0 || url[n + 1] != '/' || url[n + 2] != '/')
    return g_strdup (url);

  auth = url + n + 3;
  auth_end = auth + strcspn (auth, "/?#");

  /* the last '@' of the authority: unescaped '@' in passwords happen */
  at = NULL;
  for (p = auth; p < auth_end; p++) {
    if (*p == '@')
      at = p;
  }
  if (at == NULL)
    return g_strdup (url);

  colon = memchr (auth, ':', at - auth);
  if (user)
    *user = unescape_or_copy (auth, (colon ? colon : at) - auth);
  if (password && colon)
    *password = unescape_or_copy (colon + 1, at - colon - 1);

  return g_strdup_printf ("%.*s%s", (gint) (auth - url), url, at + 1);
}

gboolean
gst_resilient_url_http_tunnel (const gchar * url, gchar ** request_url,
    gchar ** path)
{
  const gchar *inner;
  gsize n;

  if (url == NULL)
    return FALSE;

  n = scheme_length (url);
  if (n == 5 && g_ascii_strncasecmp (url, "rtsph", 5) == 0)
    inner = "rtsp";
  else if (n == 6 && g_ascii_strncasecmp (url, "rtspsh", 6) == 0)
    inner = "rtsps";
  else
    return FALSE;

  if (request_url)
    *request_url = g_strconcat (inner, url + n, NULL);
  if (path) {
    UriParts u;
    const gchar *p;

    uri_parse (url, &u);
    p = *u.path ? u.path : "/";
    if (u.query)
      *path = g_strdup_printf ("%s%s?%s", *p == '/' ? "" : "/", p, u.query);
    else
      *path = g_strdup_printf ("%s%s", *p == '/' ? "" : "/", p);
    uri_parts_clear (&u);
  }
  return TRUE;
}

GstRTSPLowerTrans
gst_resilient_url_allowed_transports (const GstRTSPUrl * url,
    GstRTSPLowerTrans protocols)
{
  const GstRTSPLowerTrans all = GST_RTSP_LOWER_TRANS_UDP |
      GST_RTSP_LOWER_TRANS_UDP_MCAST | GST_RTSP_LOWER_TRANS_TCP;

  g_return_val_if_fail (url != NULL, 0);

  /* libgstrtsp gives rtsph:// TCP|HTTP, so the tunnel is TCP only too */
  if (url->transports != GST_RTSP_LOWER_TRANS_UNKNOWN &&
      (url->transports & all) != all)
    return protocols & url->transports;
  return protocols;
}
