/* resilientrtsp
 * error.h: the plugin's error taxonomy — one GError domain whose codes say
 * what failed, and what the resilience layer should do about it.
 */
#pragma once

#include <gst/gst.h>
#include <gst/rtsp/rtsp.h>

G_BEGIN_DECLS

#define GST_RESILIENT_ERROR (gst_resilient_error_quark ())

/**
 * GstResilientErrorCode:
 * @GST_RESILIENT_ERROR_DNS: the host name did not resolve
 * @GST_RESILIENT_ERROR_REFUSED: the server refused the TCP connection
 * @GST_RESILIENT_ERROR_UNREACHABLE: host or network unreachable
 * @GST_RESILIENT_ERROR_TIMEOUT: the server did not answer in time
 * @GST_RESILIENT_ERROR_TLS: TLS handshake or certificate failure
 * @GST_RESILIENT_ERROR_AUTH: 401/407, or credentials rejected
 * @GST_RESILIENT_ERROR_FORBIDDEN: 403
 * @GST_RESILIENT_ERROR_NOT_FOUND: 404 / 410
 * @GST_RESILIENT_ERROR_METHOD_NOT_ALLOWED: 405 / 501 for a required method
 * @GST_RESILIENT_ERROR_UNSUPPORTED_TRANSPORT: 461, or no allowed transport fits
 * @GST_RESILIENT_ERROR_SERVER_BUSY: 503 (honour Retry-After)
 * @GST_RESILIENT_ERROR_SERVER_ERROR: any other 5xx
 * @GST_RESILIENT_ERROR_CLIENT_ERROR: any other 4xx
 * @GST_RESILIENT_ERROR_SESSION_GONE: 454 Session Not Found
 * @GST_RESILIENT_ERROR_PROTOCOL: malformed RTSP from the server
 * @GST_RESILIENT_ERROR_SDP: missing, malformed or unusable SDP
 * @GST_RESILIENT_ERROR_NO_STREAMS: no stream left after selection
 * @GST_RESILIENT_ERROR_CONNECTION_LOST: the control connection closed or reset
 * @GST_RESILIENT_ERROR_STALLED: no data for longer than allowed
 * @GST_RESILIENT_ERROR_REDIRECT: too many redirects, or a redirect without Location
 * @GST_RESILIENT_ERROR_BAD_URL: the location is not a usable RTSP URL
 * @GST_RESILIENT_ERROR_INTERNAL: a local failure (sockets, elements)
 */
typedef enum
{
  GST_RESILIENT_ERROR_DNS,
  GST_RESILIENT_ERROR_REFUSED,
  GST_RESILIENT_ERROR_UNREACHABLE,
  GST_RESILIENT_ERROR_TIMEOUT,
  GST_RESILIENT_ERROR_TLS,
  GST_RESILIENT_ERROR_AUTH,
  GST_RESILIENT_ERROR_FORBIDDEN,
  GST_RESILIENT_ERROR_NOT_FOUND,
  GST_RESILIENT_ERROR_METHOD_NOT_ALLOWED,
  GST_RESILIENT_ERROR_UNSUPPORTED_TRANSPORT,
  GST_RESILIENT_ERROR_SERVER_BUSY,
  GST_RESILIENT_ERROR_SERVER_ERROR,
  GST_RESILIENT_ERROR_CLIENT_ERROR,
  GST_RESILIENT_ERROR_SESSION_GONE,
  GST_RESILIENT_ERROR_PROTOCOL,
  GST_RESILIENT_ERROR_SDP,
  GST_RESILIENT_ERROR_NO_STREAMS,
  GST_RESILIENT_ERROR_CONNECTION_LOST,
  GST_RESILIENT_ERROR_STALLED,
  GST_RESILIENT_ERROR_REDIRECT,
  GST_RESILIENT_ERROR_BAD_URL,
  GST_RESILIENT_ERROR_INTERNAL,
} GstResilientErrorCode;

/**
 * GstResilientErrorAction:
 * What the resilience layer does with a failure of a given class.
 * @GST_RESILIENT_ERROR_ACTION_RETRY: transient; try again after a delay
 * @GST_RESILIENT_ERROR_ACTION_RETRY_OTHER_TRANSPORT: try again with another transport
 * @GST_RESILIENT_ERROR_ACTION_FAIL: permanent until the configuration changes
 */
typedef enum
{
  GST_RESILIENT_ERROR_ACTION_RETRY,
  GST_RESILIENT_ERROR_ACTION_RETRY_OTHER_TRANSPORT,
  GST_RESILIENT_ERROR_ACTION_FAIL,
} GstResilientErrorAction;

#define GST_TYPE_RESILIENT_ERROR_CODE (gst_resilient_error_code_get_type ())

G_GNUC_INTERNAL GQuark gst_resilient_error_quark (void);
G_GNUC_INTERNAL GType gst_resilient_error_code_get_type (void);

/* Stable short name of a code ("refused", "not-found", …) for bus messages. */
G_GNUC_INTERNAL const gchar *gst_resilient_error_code_nick (GstResilientErrorCode code);

G_GNUC_INTERNAL GstResilientErrorAction
gst_resilient_error_get_action (const GError * error);

/**
 * GstResilientErrorClasses:
 * A set of error classes: bit (1 << code) for each GstResilientErrorCode.
 * Registered as a GFlags type whose nicks are the class nicks, so a property
 * of this type reads "auth+not-found" in gst-launch-1.0 and gst-inspect-1.0.
 */
typedef guint GstResilientErrorClasses;

#define GST_RESILIENT_ERROR_CLASS(code) (1u << (code))
#define GST_TYPE_RESILIENT_ERROR_CLASSES (gst_resilient_error_classes_get_type ())

G_GNUC_INTERNAL GType gst_resilient_error_classes_get_type (void);

/* The classes whose action is FAIL: the default fail-fast set. */
G_GNUC_INTERNAL GstResilientErrorClasses
gst_resilient_error_classes_fail_default (void);

/* TRUE when @error is of our domain and its class is in @classes. */
G_GNUC_INTERNAL gboolean
gst_resilient_error_in_classes (const GError * error,
    GstResilientErrorClasses classes);

/* The code for an RTSP response status (>= 300). */
G_GNUC_INTERNAL GstResilientErrorCode
gst_resilient_error_code_from_status (GstRTSPStatusCode status);

/* A GError for a failed request: "DESCRIBE rtsp://… failed: 404 Not Found". */
G_GNUC_INTERNAL GError *
gst_resilient_error_new_from_status (GstRTSPStatusCode status,
    const gchar * reason, GstRTSPMethod method, const gchar * uri);

/* Classifies a GIO/GResolver/GTls error into our domain, naming @what
 * (e.g. "connecting to cam:554"). */
G_GNUC_INTERNAL GError *
gst_resilient_error_new_from_gio (const GError * gio_error, const gchar * what);

/* The GST_RESOURCE_ERROR / GST_STREAM_ERROR … domain and code to post with
 * GST_ELEMENT_ERROR for one of our errors. */
G_GNUC_INTERNAL void
gst_resilient_error_to_gst (const GError * error, GQuark * domain, gint * code);

G_END_DECLS
