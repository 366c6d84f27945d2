/* resilientrtsp
 * session-connect.c: the OPEN command's first half — the control
 * connection (direct, proxy, TLS, HTTP tunnel, with its connect-phase
 * timings), OPTIONS, DESCRIBE, redirects and the choice of streams; SETUP
 * follows in session-setup.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "session-private.h"

#include <string.h>

#include "connpool.h"
#include "error.h"
#include "headers.h"
#include "httptunnel.h"
#include "url.h"

GST_DEBUG_CATEGORY_EXTERN (resilient_session_debug);
#define GST_CAT_DEFAULT resilient_session_debug

/* ---------------------------------------------------------------------- */
/* OPEN: connect, OPTIONS, DESCRIBE, SETUP… */

static void on_options_response (GstResilientSession * session,
    PendingRequest * req, GstRTSPMessage * response);
static void on_describe_response (GstResilientSession * session,
    PendingRequest * req, GstRTSPMessage * response);

/* The control connection @conn (transfer full) is the session's: a fresh
 * one, or one taken from the pool (@taken). OPTIONS goes first. */
static void
use_connection (GstResilientSession * session, GstResilientConnection * conn,
    const GstResilientConnPoolTaken * taken)
{
  GInetSocketAddress *peer = NULL;
  GstResilientConnectionStats cstats = { 0, };

  if (taken)
    peer = gst_resilient_connection_get_remote_address (conn);
  gst_resilient_connection_get_stats (conn, &cstats);
  g_mutex_lock (&session->lock);
  session->conn = conn;
  session->conn_reused = taken != NULL;
  session->conn_shared_base = cstats.frame_bytes_shared;
  session->conn_copied_base = cstats.frame_bytes_copied;
  if (taken) {
    /* no DNS, TCP, proxy or TLS phase in this attempt's breakdown: only
     * where the connection goes */
    if (peer)
      gst_resilient_setup_times_set_peer (&session->setup_times,
          G_SOCKET_ADDRESS (peer));
    session->setup_times.via_proxy = taken->via_proxy;
  }
  session->conn_via_proxy = session->setup_times.via_proxy;
  g_mutex_unlock (&session->lock);
  g_clear_object (&peer);
  session->conn_answered = FALSE;
  session->pool_after = POOL_AFTER_CLOSE;
  gst_resilient_connection_start (conn);

  /* a recovery stays "recovering" until it plays again */
  if (gst_resilient_session_get_state (session) !=
      GST_RESILIENT_SESSION_RECOVERING)
    gst_resilient_session_set_state (session,
        GST_RESILIENT_SESSION_NEGOTIATING, NULL);
  gst_resilient_session_send_request (session,
      gst_resilient_session_new_request (session, GST_RTSP_OPTIONS,
          session->url), on_options_response);
}

/* The control channel is there (@stream), or not (@error): either way the
 * session's reference taken for the connect is released here. */
static void
control_channel_ready (GstResilientSession * session, GIOStream * stream,
    GError * error)
{
  GstResilientConnection *conn;

  if (gst_resilient_session_is_closed (session)) {
    g_clear_object (&stream);
    g_clear_error (&error);
    g_object_unref (session);
    return;
  }
  if (stream == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      gst_resilient_session_fail (session, error);
    else
      g_error_free (error);
    g_object_unref (session);
    return;
  }

  /* a poolable one can go back to the pool after TEARDOWN */
  if (session->pool_key)
    conn = gst_resilient_conn_pool_wrap (session->io, stream,
        &gst_resilient_session_conn_callbacks, session);
  else
    conn = gst_resilient_connection_new (session->io, stream,
        &gst_resilient_session_conn_callbacks, session);
  g_object_unref (stream);
  use_connection (session, conn, NULL);
  g_object_unref (session);
}

static void
on_connected (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GError *error = NULL;
  GIOStream *stream = gst_resilient_connect_finish (result, &error);

  control_channel_ready (user_data, stream, error);
}

static void
on_tunnel_connected (GObject * source, GAsyncResult * result,
    gpointer user_data)
{
  GError *error = NULL;
  GIOStream *stream = gst_resilient_http_tunnel_new_finish (result, &error);

  control_channel_ready (user_data, stream, error);
}

/* The connector's accept-certificate hook (rtsps), on the I/O thread during
 * the handshake; the connect attempt holds a reference on the session. */
static gboolean
on_accept_certificate (GTlsConnection * conn, GTlsCertificate * peer_cert,
    GTlsCertificateFlags errors, gpointer user_data)
{
  GstResilientSession *session = user_data;

  if (session->callbacks.accept_certificate == NULL ||
      gst_resilient_session_is_closed (session))
    return FALSE;
  return session->callbacks.accept_certificate (session, conn, peer_cert,
      errors, session->user_data);
}

/* The connector's progress (DNS, TCP, proxy, TLS), for the stats' set-up
 * times; on the I/O thread, while the connect attempt holds a reference. */
static void
on_connect_event (GSocketClientEvent event, GIOStream * connection,
    gpointer user_data)
{
  GstResilientSession *session = user_data;
  GSocketAddress *peer = NULL;

  if (event == G_SOCKET_CLIENT_CONNECTED && G_IS_SOCKET_CONNECTION (connection))
    peer = g_socket_connection_get_remote_address (G_SOCKET_CONNECTION
        (connection), NULL);
  g_mutex_lock (&session->lock);
  gst_resilient_setup_times_connect_event (&session->setup_times, event,
      g_get_monotonic_time ());
  if (peer)
    gst_resilient_setup_times_set_peer (&session->setup_times, peer);
  g_mutex_unlock (&session->lock);
  g_clear_object (&peer);
}

/* rtsps://, rtspsu://, rtspst:// */
static gboolean
url_uses_tls (const gchar * url)
{
  GstRTSPUrl *rtsp_url = NULL;
  gboolean tls = FALSE;

  if (gst_rtsp_url_parse (url, &rtsp_url) == GST_RTSP_OK) {
    tls = (rtsp_url->transports & GST_RTSP_LOWER_TRANS_TLS) != 0;
    gst_rtsp_url_free (rtsp_url);
  }
  return tls;
}

/* How the control connection is made (TLS, proxy), without the hooks;
 * borrowed from the settings: the connector copies what it keeps. */
static void
get_connect_options (GstResilientSession * session,
    GstResilientConnectOptions * options)
{
  gst_resilient_connect_options_init (options);
  options->tls = url_uses_tls (session->url);
  options->tls_validation_flags = session->settings.tls_validation_flags;
  options->tls_database = session->settings.tls_database;
  options->tls_interaction = session->settings.tls_interaction;
  options->proxy = session->settings.proxy;
  options->proxy_id = session->settings.proxy_id;
  options->proxy_pw = session->settings.proxy_pw;
}

static void connect_fresh (GstResilientSession * session);

/* The pool's answer: a live connection, or none (connect as usual). */
static void
on_pool_taken (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GstResilientSession *session = user_data;
  GstResilientConnPoolTaken taken;
  GstResilientConnection *conn;
  GError *error = NULL;

  conn = gst_resilient_conn_pool_take_finish (result,
      &gst_resilient_session_conn_callbacks, session, &taken, &error);
  if (error != NULL || gst_resilient_session_is_closed (session)) {
    /* cancelled: closed, or the attempt was dropped */
    if (conn) {
      gst_resilient_connection_close (conn);
      g_object_unref (conn);
    }
    g_clear_error (&error);
  } else if (conn == NULL) {
    connect_fresh (session);
  } else {
    GST_INFO_OBJECT (session, "control connection to %s:%u from the pool "
        "(%s, idle %" G_GUINT64_FORMAT " ms)", session->host, session->port,
        taken.prewarmed ? "pre-warmed" : "used before", taken.idle_ms);
    use_connection (session, conn, &taken);
  }
  g_object_unref (session);
}

void
gst_resilient_session_start_connect (GstResilientSession * session)
{
  GstResilientSessionState state = gst_resilient_session_get_state (session);
  GstResilientConnectOptions options;

  if (state != GST_RESILIENT_SESSION_RECOVERING)
    gst_resilient_session_set_state (session, GST_RESILIENT_SESSION_CONNECTING,
        NULL);
  gst_resilient_session_prepare_auth (session);
  session->cancellable = g_cancellable_new ();
  /* the stats' set-up breakdown is the newest attempt's */
  g_mutex_lock (&session->lock);
  gst_resilient_setup_times_start (&session->setup_times,
      g_get_monotonic_time ());
  g_mutex_unlock (&session->lock);

  /* the pool's key: what the connection is made for and with (an HTTP
   * tunnel is never pooled) */
  g_clear_pointer (&session->pool_key, g_free);
  if (session->settings.pool_idle_timeout_ms > 0 && !session->tunnel) {
    get_connect_options (session, &options);
    session->pool_key = gst_resilient_conn_pool_key (session->host,
        session->port, &options, session->user, session->password);
    if (!session->pool_bypass) {
      gst_resilient_conn_pool_take_async (session->io, session->pool_key,
          session->cancellable, on_pool_taken, g_object_ref (session));
      return;
    }
  }
  session->pool_bypass = FALSE;
  connect_fresh (session);
}

/* A new control connection: direct, through a proxy, or a tunnel. */
static void
connect_fresh (GstResilientSession * session)
{
  guint timeout_ms = session->settings.tcp_timeout_us / 1000;
  GstResilientConnectOptions options;

  get_connect_options (session, &options);
  options.accept_certificate = on_accept_certificate;
  options.accept_certificate_data = session;
  options.event = on_connect_event;
  options.event_data = session;

  GST_DEBUG_OBJECT (session, "connecting to %s:%u%s%s%s", session->host,
      session->port, session->tunnel ? " through an HTTP tunnel" : "",
      options.tls ? " with TLS" : "",
      options.proxy && *options.proxy ? " through the proxy" : "");
  if (session->tunnel) {
    GstResilientHttpTunnelOptions tunnel = { 0, };

    tunnel.extra_headers = session->settings.extra_http_request_headers;
    tunnel.user_agent = session->settings.user_agent;
    tunnel.ignore_x_server_reply = session->settings.ignore_x_server_reply;
    tunnel.connect = &options;
    gst_resilient_http_tunnel_new_async (session->io, session->host,
        session->port, session->tunnel_path, &tunnel, timeout_ms,
        session->cancellable, on_tunnel_connected, g_object_ref (session));
    return;
  }
  gst_resilient_connect_async (session->io, session->host, session->port,
      &options, timeout_ms, session->cancellable, on_connected,
      g_object_ref (session));
}

static void
on_options_response (GstResilientSession * session, PendingRequest * req,
    GstRTSPMessage * response)
{
  GstRTSPStatusCode code;
  const gchar *reason;
  GstRTSPVersion version;
  gchar *value;
  GstRTSPMessage *describe;

  gst_rtsp_message_parse_response (response, &code, &reason, &version);
  if (code == GST_RTSP_STS_UNAUTHORIZED && req->request != NULL &&
      gst_rtsp_message_get_header (req->request, GST_RTSP_HDR_AUTHORIZATION,
          &value, 0) == GST_RTSP_OK) {
    /* credentials went with it: unless a resend helps (stale nonce), they
     * are wrong, and a DESCRIBE with them would only fail the same way */
    gst_resilient_session_handle_failure (session, req, response, code, reason);
    return;
  }
  if (code == GST_RTSP_STS_UNAUTHORIZED &&
      gst_resilient_session_retry_with_auth (session, req, response, NULL))
    return;
  /* OPTIONS is informative: a camera that refuses it may still DESCRIBE */
  if (code == GST_RTSP_STS_OK &&
      gst_rtsp_message_get_header (response, GST_RTSP_HDR_PUBLIC, &value,
          0) == GST_RTSP_OK)
    session->server_methods = gst_resilient_parse_public_header (value);
  else if (code != GST_RTSP_STS_OK)
    GST_INFO_OBJECT (session, "OPTIONS answered %d %s, going on", code, reason);

  describe =
      gst_resilient_session_new_request (session, GST_RTSP_DESCRIBE,
      session->url);
  gst_rtsp_message_add_header (describe, GST_RTSP_HDR_ACCEPT,
      "application/sdp");
  gst_resilient_session_send_request (session, describe, on_describe_response);
}

static void
redirect (GstResilientSession * session, GstRTSPMessage * response)
{
  gchar *location = NULL;
  gchar *target;
  GError *error = NULL;

  if (gst_rtsp_message_get_header (response, GST_RTSP_HDR_LOCATION,
          &location, 0) != GST_RTSP_OK) {
    gst_resilient_session_fail (session, g_error_new (GST_RESILIENT_ERROR,
            GST_RESILIENT_ERROR_REDIRECT,
            "redirect from %s without a Location header", session->url));
    return;
  }
  if (++session->redirects > MAX_REDIRECTS) {
    gst_resilient_session_fail (session, g_error_new (GST_RESILIENT_ERROR,
            GST_RESILIENT_ERROR_REDIRECT,
            "more than %d redirects, the last to %s", MAX_REDIRECTS, location));
    return;
  }

  target = gst_resilient_url_resolve (session->url, g_strstrip (location));
  GST_INFO_OBJECT (session, "redirected to %s", target ? target : location);
  gst_resilient_session_drop_transport (session);
  if (!gst_resilient_session_prepare_url (session, target ? target : location,
          &error)) {
    g_free (target);
    gst_resilient_session_fail (session, error);
    return;
  }
  g_free (target);
  gst_resilient_session_start_connect (session);
}

static gboolean
select_streams (GstResilientSession * session)
{
  guint i;

  g_clear_pointer (&session->selected, g_ptr_array_unref);
  session->selected = g_ptr_array_new ();
  for (i = 0; i < session->info->streams->len; i++) {
    GstResilientStreamDesc *desc =
        g_ptr_array_index (session->info->streams, i);

    if (desc->recvonly_backchannel) {
      GST_DEBUG_OBJECT (session, "skipping backchannel stream %u", desc->index);
      continue;
    }
    if (desc->profile == GST_RTSP_PROFILE_SAVP
        || desc->profile == GST_RTSP_PROFILE_SAVPF) {
      GST_WARNING_OBJECT (session, "skipping SRTP stream %u: not supported yet",
          desc->index);
      continue;
    }
    if (session->callbacks.select_stream &&
        !session->callbacks.select_stream (session, desc, session->user_data)) {
      GST_DEBUG_OBJECT (session, "stream %u deselected", desc->index);
      continue;
    }
    g_ptr_array_add (session->selected, desc);
  }

  if (session->selected->len == 0) {
    gst_resilient_session_fail (session, g_error_new (GST_RESILIENT_ERROR,
            GST_RESILIENT_ERROR_NO_STREAMS,
            "%s: no stream left to play (%u in the SDP, %u unusable)",
            session->url, session->info->streams->len, session->info->skipped));
    return FALSE;
  }
  return TRUE;
}

static void
on_describe_response (GstResilientSession * session, PendingRequest * req,
    GstRTSPMessage * response)
{
  GstRTSPStatusCode code;
  const gchar *reason;
  GstRTSPVersion version;
  gchar *content_base = NULL, *content_location = NULL;
  guint8 *body = NULL;
  guint body_size = 0;
  gchar *base;
  GError *error = NULL;

  gst_rtsp_message_parse_response (response, &code, &reason, &version);
  if (code >= 300 && code < 400) {
    redirect (session, response);
    return;
  }
  if (code != GST_RTSP_STS_OK) {
    gst_resilient_session_handle_failure (session, req, response, code, reason);
    return;
  }

  gst_rtsp_message_get_body (response, &body, &body_size);
  g_clear_pointer (&session->sdp, gst_sdp_message_free);
  session->sdp = gst_resilient_sdp_parse (body, body_size, &error);
  if (session->sdp == NULL) {
    GError *e = g_error_new (GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_SDP,
        "DESCRIBE %s: %s", session->url, error->message);
    g_error_free (error);
    gst_resilient_session_fail (session, e);
    return;
  }

  gst_rtsp_message_get_header (response, GST_RTSP_HDR_CONTENT_BASE,
      &content_base, 0);
  gst_rtsp_message_get_header (response, GST_RTSP_HDR_CONTENT_LOCATION,
      &content_location, 0);
  base = gst_resilient_url_control_base (session->url, content_base,
      content_location);

  if (session->callbacks.sdp)
    session->callbacks.sdp (session, session->sdp, session->user_data);

  g_clear_pointer (&session->info, gst_resilient_sdp_info_free);
  session->info = gst_resilient_sdp_info_new (session->sdp, base, &error);
  g_free (base);
  if (session->info == NULL) {
    GError *e = g_error_new (GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_SDP,
        "DESCRIBE %s: %s", session->url, error->message);
    g_error_free (error);
    gst_resilient_session_fail (session, e);
    return;
  }
  g_free (session->aggregate_url);
  session->aggregate_url = g_strdup (session->info->aggregate_url ?
      session->info->aggregate_url : session->url);

  if (!select_streams (session))
    return;
  session->setup_index = 0;
  g_clear_error (&session->setup_error);
  session->trying = 0;
  gst_resilient_session_send_setup (session);
}

/* ---------------------------------------------------------------------- */
/* the connection pool */

void
gst_resilient_session_conn_done (GstResilientSession * session,
    GstResilientConnection * conn)
{
  PoolAfter after = session->pool_after;
  GstResilientConnectOptions options;
  GstResilientConnPoolTarget target = { 0, };

  session->pool_after = POOL_AFTER_CLOSE;
  if (after == POOL_AFTER_CLOSE || session->pool_key == NULL) {
    gst_resilient_connection_close (conn);
    g_object_unref (conn);
    return;
  }

  get_connect_options (session, &options);
  target.key = session->pool_key;
  target.host = session->host;
  target.port = session->port;
  target.options = &options;
  target.connect_timeout_ms = session->settings.tcp_timeout_us / 1000;
  target.idle_timeout_ms = session->settings.pool_idle_timeout_ms;
  target.via_proxy = session->conn_via_proxy;
  if (gst_resilient_conn_pool_give_back (conn, &target,
          after == POOL_AFTER_KEEP))
    GST_DEBUG_OBJECT (session, "control connection back in the pool");
}

gboolean
gst_resilient_session_pool_fallback (GstResilientSession * session,
    GError * error)
{
  if (session->conn == NULL || !session->conn_reused ||
      session->conn_answered || gst_resilient_session_is_closed (session))
    return FALSE;
  if (!g_error_matches (error, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_CONNECTION_LOST) &&
      !g_error_matches (error, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_TIMEOUT))
    return FALSE;

  /* the server (or a NAT box) dropped it while it idled, and we sent
   * before we knew: that says nothing about the server, and OPTIONS is
   * safe to send again */
  GST_INFO_OBJECT (session, "a pooled connection failed before its first "
      "answer (%s): connecting afresh", error->message);
  g_error_free (error);
  gst_resilient_session_drop_transport (session);
  session->pool_bypass = TRUE;
  gst_resilient_session_start_connect (session);
  return TRUE;
}
