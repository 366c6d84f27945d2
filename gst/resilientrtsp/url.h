/* resilientrtsp
 * url.h: URL handling for the client — request URLs, control URLs (RFC 2326
 * §C.1.1, RFC 7826 §18.30/§22.1 and RFC 3986 §5 reference resolution).
 */
#pragma once

#include <gst/gst.h>
#include <gst/rtsp/rtsp.h>

G_BEGIN_DECLS

/**
 * gst_resilient_url_resolve:
 * @base: an absolute rtsp:// (rtspu, rtspt, rtsps, …) URL
 * @reference: an absolute URL or a relative reference ("track1",
 *   "/abs/path", "?x", "../a", "rtsp://other/…", "*")
 *
 * RFC 3986 §5.2 resolution with RTSP's twists: "*" means the base itself
 * (aggregate control); a base with no trailing '/' is treated per RFC 3986
 * (last segment replaced), which is why callers pass the Content-Base that
 * servers end with '/'. Dot segments are removed. Returns NULL when @base is
 * not absolute.
 */
G_GNUC_INTERNAL
gchar *gst_resilient_url_resolve (const gchar * base, const gchar * reference);

/**
 * gst_resilient_url_control_base:
 * The base for resolving control attributes of a DESCRIBE response:
 * Content-Base, else Content-Location, else the request URL (RFC 2326 C.1.1).
 * Content-Location may itself be relative to the request URL. An SDP
 * session-level "a=control:" with an absolute URL overrides all of these;
 * a relative one is resolved against them first (handled by the caller via
 * gst_resilient_url_resolve).
 */
G_GNUC_INTERNAL
gchar *gst_resilient_url_control_base (const gchar * request_url,
    const gchar * content_base, const gchar * content_location);

/**
 * gst_resilient_url_strip_credentials:
 * "rtsp://user:pw@host:554/path" → "rtsp://host:554/path" (for requests and
 * logs; credentials go in headers). Sets @user/@password (unescaped) when
 * present and the pointers are non-NULL.
 */
G_GNUC_INTERNAL
gchar *gst_resilient_url_strip_credentials (const gchar * url, gchar ** user,
    gchar ** password);

/**
 * gst_resilient_url_is_absolute:
 * TRUE when @url starts with a URI scheme ("rtsp:", "rtspt:", …).
 */
G_GNUC_INTERNAL
gboolean gst_resilient_url_is_absolute (const gchar * url);

/**
 * gst_resilient_url_resolve_control:
 * @base: an absolute URL (Content-Base, or the aggregate control URL)
 * @control: an SDP "a=control:" value (NULL, "" and "*" mean @base itself)
 *
 * Resolves an SDP control attribute the way deployed RTSP clients and
 * servers agree on, which differs from RFC 3986 for relative paths:
 *  - absolute URLs, "/abs", "?query" references: RFC 3986
 *    (gst_resilient_url_resolve)
 *  - a relative path against a base without a query: as if the base's
 *    path ended with '/' ("rtsp://h/live" + "track1" →
 *    "rtsp://h/live/track1"; cameras send such a Content-Base), then
 *    RFC 3986 (so "../" still works)
 *  - a relative path against a base with a query: appended to the whole
 *    base, with a '/' between unless the base ends with one
 *    ("rtsp://h/cam/realmonitor?channel=1&subtype=0/" + "trackID=0" →
 *    "rtsp://h/cam/realmonitor?channel=1&subtype=0/trackID=0", Dahua)
 * Returns NULL when @base is not absolute.
 */
G_GNUC_INTERNAL
gchar *gst_resilient_url_resolve_control (const gchar * base,
    const gchar * control);

/**
 * gst_resilient_url_http_tunnel:
 * @url: a location (credentials may be in it)
 * @request_url: (out) (optional) (transfer full): @url with the scheme the
 *   RTSP requests inside the tunnel carry: rtsph:// → rtsp://,
 *   rtspsh:// → rtsps:// (everything else unchanged)
 * @path: (out) (optional) (transfer full): the request path of the
 *   tunnel's HTTP GET and POST: the URL's path and query ("/" when it has
 *   no path; never the fragment)
 *
 * TRUE when @url asks for RTSP tunnelled over HTTP (rtsph://) or HTTPS
 * (rtspsh://), as rtspsrc understands those schemes (TCP interleaved
 * transport only, the URL's port, 554 by default); the outs are then set.
 * FALSE for every other URL, outs untouched.
 */
G_GNUC_INTERNAL
gboolean gst_resilient_url_http_tunnel (const gchar * url,
    gchar ** request_url, gchar ** path);

/**
 * gst_resilient_url_allowed_transports:
 * @url: a parsed location
 * @protocols: the lower transports the settings allow
 *
 * What @protocols leaves for @url's scheme, as rtspsrc reads the schemes:
 * rtspu:// means UDP (and multicast) only, rtspt:// TCP only, the tunnel schemes
 * (rtsph://, rtspsh://) TCP only; rtsp:// and rtsps:// restrict nothing.
 */
G_GNUC_INTERNAL
GstRTSPLowerTrans gst_resilient_url_allowed_transports (const GstRTSPUrl * url,
    GstRTSPLowerTrans protocols);

G_END_DECLS
