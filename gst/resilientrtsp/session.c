/* resilientrtsp
 * session.c: the RTSP client state machine.
 *
 * Threads: everything below marked "I/O thread" runs on the shared I/O
 * context. Other threads only enqueue commands (open, play), send RTCP, read
 * stats, and close.
 *
 * locking order: session->lock → connection/udp transport internals
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "session-private.h"

#include <string.h>

#include "auth.h"
#include "connection.h"
#include "error.h"
#include "framer.h"
#include "headers.h"
#include "httptunnel.h"
#include "udptransport.h"
#include "url.h"

GST_DEBUG_CATEGORY (resilient_session_debug);
#define GST_CAT_DEFAULT resilient_session_debug

G_DEFINE_TYPE (GstResilientSession, gst_resilient_session, G_TYPE_OBJECT);

#define MAX_HELD_PACKETS 4096

typedef struct
{
  guint index;
  gboolean is_rtcp;
  GstBuffer *buf;
} HeldPacket;

static void
held_packet_free (gpointer data)
{
  HeldPacket *held = data;

  gst_buffer_unref (held->buf);
  g_free (held);
}


static void run_next_command (GstResilientSession * session);

static const gchar *state_names[] = {
  "idle", "connecting", "authenticating", "negotiating", "ready", "playing",
  "paused", "recovering", "closing", "closed", "failed"
};

const gchar *
gst_resilient_session_state_name (GstResilientSessionState state)
{
  if ((guint) state < G_N_ELEMENTS (state_names))
    return state_names[state];
  return "unknown";
}

void
gst_resilient_session_settings_clear (GstResilientSessionSettings * s)
{
  g_clear_pointer (&s->location, g_free);
  g_clear_pointer (&s->user_id, g_free);
  g_clear_pointer (&s->user_pw, gst_resilient_auth_clear_string);
  g_clear_pointer (&s->user_agent, g_free);
  g_clear_object (&s->tls_database);
  g_clear_object (&s->tls_interaction);
  g_clear_pointer (&s->proxy, g_free);
  g_clear_pointer (&s->proxy_id, g_free);
  g_clear_pointer (&s->proxy_pw, g_free);
  g_clear_pointer (&s->extra_http_request_headers, gst_structure_free);
}

void
gst_resilient_session_settings_copy (GstResilientSessionSettings * dest,
    const GstResilientSessionSettings * src)
{
  *dest = *src;
  dest->location = g_strdup (src->location);
  dest->user_id = g_strdup (src->user_id);
  dest->user_pw = g_strdup (src->user_pw);
  dest->user_agent = g_strdup (src->user_agent);
  if (src->tls_database)
    dest->tls_database = g_object_ref (src->tls_database);
  if (src->tls_interaction)
    dest->tls_interaction = g_object_ref (src->tls_interaction);
  dest->proxy = g_strdup (src->proxy);
  dest->proxy_id = g_strdup (src->proxy_id);
  dest->proxy_pw = g_strdup (src->proxy_pw);
  if (src->extra_http_request_headers)
    dest->extra_http_request_headers =
        gst_structure_copy (src->extra_http_request_headers);
}

static void
pending_request_free (PendingRequest * req)
{
  if (req->timeout) {
    g_source_destroy (req->timeout);
    g_source_unref (req->timeout);
  }
  if (req->request)
    gst_rtsp_message_free (req->request);
  g_free (req->uri);
  g_free (req);
}

void
gst_resilient_session_stream_free (gpointer data)
{
  GstResilientSessionStream *stream = data;

  if (stream->udp) {
    gst_resilient_udp_transport_stop (stream->udp);
    g_object_unref (stream->udp);
  }
  g_free (stream);
}

static void
gst_resilient_session_init (GstResilientSession * session)
{
  g_mutex_init (&session->lock);
  g_cond_init (&session->cond);
  g_queue_init (&session->commands);
  session->pending = g_hash_table_new_full (g_direct_hash, g_direct_equal,
      NULL, (GDestroyNotify) pending_request_free);
  session->streams =
      g_ptr_array_new_with_free_func (gst_resilient_session_stream_free);
  session->next_cseq = 1;
  session->connect_us = -1;
  gst_resilient_setup_times_init (&session->setup_times);
  session->retry_after = GST_CLOCK_TIME_NONE;
  session->session_timeout = DEFAULT_SESSION_TIMEOUT;
  memset (session->channel_map, -1, sizeof (session->channel_map));
}

void
gst_resilient_session_destroy_source (GSource ** source)
{
  if (*source) {
    g_source_destroy (*source);
    g_source_unref (*source);
    *source = NULL;
  }
}

static void
gst_resilient_session_finalize (GObject * object)
{
  GstResilientSession *session = GST_RESILIENT_SESSION (object);

  gst_resilient_session_destroy_source (&session->keepalive_source);
  gst_resilient_session_destroy_source (&session->udp_check_source);
  gst_resilient_session_destroy_source (&session->nat_source);
  gst_resilient_session_destroy_source (&session->retry_source);
  gst_resilient_session_destroy_source (&session->stall_source);
  g_clear_pointer (&session->retry, gst_resilient_retry_free);
  if (session->conn) {
    gst_resilient_connection_close (session->conn);
    g_object_unref (session->conn);
  }
  g_clear_object (&session->cancellable);
  g_hash_table_unref (session->pending);
  g_ptr_array_unref (session->streams);
  g_queue_clear (&session->commands);
  g_queue_clear_full (&session->held, held_packet_free);
  g_clear_pointer (&session->sdp, gst_sdp_message_free);
  g_clear_pointer (&session->selected, g_ptr_array_unref);
  g_clear_pointer (&session->info, gst_resilient_sdp_info_free);
  g_clear_error (&session->setup_error);
  g_clear_error (&session->initial_error);
  g_clear_pointer (&session->setup_stream, gst_resilient_session_stream_free);
  g_free (session->url);
  g_free (session->user);
  gst_resilient_auth_clear_string (session->password);
  g_free (session->host);
  g_free (session->tunnel_path);
  gst_resilient_auth_free (session->auth);
  g_free (session->session_id);
  g_free (session->aggregate_url);
  g_free (session->pool_key);
  gst_resilient_session_settings_clear (&session->settings);
  gst_resilient_io_context_unref (session->io);
  g_mutex_clear (&session->lock);
  g_cond_clear (&session->cond);

  G_OBJECT_CLASS (gst_resilient_session_parent_class)->finalize (object);
}

static void
gst_resilient_session_class_init (GstResilientSessionClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = gst_resilient_session_finalize;

  GST_DEBUG_CATEGORY_INIT (resilient_session_debug, "resilientrtspsession", 0,
      "resilientrtsp RTSP session");
}

GstResilientSession *
gst_resilient_session_new (GstResilientIoContext * io,
    const GstResilientSessionSettings * settings,
    const GstResilientSessionCallbacks * callbacks, gpointer user_data)
{
  GstResilientSession *session;

  g_return_val_if_fail (io != NULL, NULL);
  g_return_val_if_fail (settings != NULL, NULL);
  g_return_val_if_fail (callbacks != NULL, NULL);

  session = g_object_new (GST_TYPE_RESILIENT_SESSION, NULL);
  session->io = gst_resilient_io_context_ref (io);
  gst_resilient_session_settings_copy (&session->settings, settings);
  session->callbacks = *callbacks;
  session->user_data = user_data;
  session->retry = gst_resilient_retry_new (&settings->retry, g_random_int ());
  gst_resilient_keepalive_init (&session->keepalive,
      settings->keepalive_method);
  return session;
}

/* ---------------------------------------------------------------------- */
/* state and callbacks (I/O thread) */

gboolean
gst_resilient_session_is_closed (GstResilientSession * session)
{
  gboolean closed;

  g_mutex_lock (&session->lock);
  closed = session->closed;
  g_mutex_unlock (&session->lock);
  return closed;
}

/* The stats' outage-ms, with session->lock: an outage runs from a failure
 * the retry logic took on (RECOVERING with an attempt counted; the UDP→TCP
 * switch is none) until the session plays, stops or fails. I/O thread. */
static void
track_outage (GstResilientSession * session, GstResilientSessionState state)
{
  gint64 now = g_get_monotonic_time ();

  if (state == GST_RESILIENT_SESSION_RECOVERING) {
    if (session->outage_start_us == 0 &&
        gst_resilient_retry_get_attempts (session->retry) > 0)
      session->outage_start_us = now;
  } else if (state == GST_RESILIENT_SESSION_READY && session->want_play) {
    /* set up again, PLAY follows: the outage ends with its answer */
  } else if (state != GST_RESILIENT_SESSION_AUTHENTICATING &&
      session->outage_start_us != 0) {
    session->outage_total_us += MAX (now - session->outage_start_us, 0);
    session->outage_start_us = 0;
  }
}

void
gst_resilient_session_set_state (GstResilientSession * session,
    GstResilientSessionState state, const gchar * reason)
{
  GstResilientSessionState old;

  g_mutex_lock (&session->lock);
  old = session->state;
  session->state = state;
  track_outage (session, state);
  g_mutex_unlock (&session->lock);

  if (old == state)
    return;

  GST_INFO_OBJECT (session, "%s → %s%s%s",
      gst_resilient_session_state_name (old),
      gst_resilient_session_state_name (state), reason ? ": " : "",
      reason ? reason : "");
  if (session->callbacks.state_changed
      && !gst_resilient_session_is_closed (session))
    session->callbacks.state_changed (session, old, state, reason,
        session->user_data);
}

GstResilientSessionState
gst_resilient_session_get_state (GstResilientSession * session)
{
  GstResilientSessionState state;

  g_mutex_lock (&session->lock);
  state = session->state;
  g_mutex_unlock (&session->lock);
  return state;
}

/* Drops the connection, timers, pending requests and UDP sockets, keeping
 * what the session negotiated (URL, SDP). I/O thread. */
void
gst_resilient_session_drop_transport (GstResilientSession * session)
{
  GstResilientConnection *conn;
  GPtrArray *streams;

  gst_resilient_session_destroy_source (&session->stall_source);
  gst_resilient_session_destroy_source (&session->keepalive_source);
  gst_resilient_session_destroy_source (&session->udp_check_source);
  gst_resilient_session_destroy_source (&session->nat_source);
  if (session->cancellable) {
    g_cancellable_cancel (session->cancellable);
    g_clear_object (&session->cancellable);
  }
  g_hash_table_remove_all (session->pending);

  g_mutex_lock (&session->lock);
  conn = session->conn;
  session->conn = NULL;
  session->conn_reused = FALSE;
  streams = session->streams;
  session->streams =
      g_ptr_array_new_with_free_func (gst_resilient_session_stream_free);
  session->transport = 0;
  g_mutex_unlock (&session->lock);

  /* closed, or back to the pool after a TEARDOWN answered 2xx */
  if (conn) {
    GstResilientConnectionStats cstats = { 0, };

    gst_resilient_connection_get_stats (conn, &cstats);
    g_mutex_lock (&session->lock);
    session->dropped_shared +=
        cstats.frame_bytes_shared - session->conn_shared_base;
    session->dropped_copied +=
        cstats.frame_bytes_copied - session->conn_copied_base;
    session->conn_shared_base = session->conn_copied_base = 0;
    g_mutex_unlock (&session->lock);
    gst_resilient_session_conn_done (session, conn);
  }
  /* frees and stops the UDP transports */
  g_ptr_array_unref (streams);
  g_clear_pointer (&session->setup_stream, gst_resilient_session_stream_free);

  g_clear_pointer (&session->session_id, g_free);
  memset (session->channel_map, -1, sizeof (session->channel_map));
  session->hold_packets = FALSE;
  g_queue_clear_full (&session->held, held_packet_free);
}




/* Whether a failure goes to the retry logic (which may still give up) rather
 * than straight to an error. */
static gboolean
may_recover (GstResilientSession * session, const GError * error)
{
  if (gst_resilient_session_is_closed (session))
    return FALSE;
  if (session->established)
    return TRUE;
  /* before the first PLAY was answered: only when asked for, with a URL that
   * parsed, and not for an unknown host name, which at start is almost
   * always a typo (later it is retried: a camera's name may come back) */
  return session->settings.retry_initial && session->host != NULL &&
      !g_error_matches (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_DNS);
}

void
gst_resilient_session_fail (GstResilientSession * session, GError * error)
{
  /* a pooled connection the server had dropped: a fresh one, no failure */
  if (gst_resilient_session_pool_fallback (session, error))
    return;
  if (may_recover (session, error) &&
      gst_resilient_session_recover (session, error))
    return;

  GST_WARNING_OBJECT (session, "session failed: %s", error->message);

  gst_resilient_session_drop_transport (session);
  g_mutex_lock (&session->lock);
  g_queue_clear (&session->commands);
  g_mutex_unlock (&session->lock);
  session->command_running = FALSE;
  gst_resilient_session_set_state (session, GST_RESILIENT_SESSION_FAILED,
      error->message);
  if (session->callbacks.error && !gst_resilient_session_is_closed (session))
    session->callbacks.error (session, error, session->user_data);
  g_error_free (error);
}

/* ---------------------------------------------------------------------- */
/* commands */

static gboolean
run_next_command_idle (gpointer data)
{
  GstResilientSession *session = data;

  if (!gst_resilient_session_is_closed (session))
    run_next_command (session);
  return G_SOURCE_REMOVE;
}

void
gst_resilient_session_enqueue (GstResilientSession * session, CommandType type)
{
  g_mutex_lock (&session->lock);
  if (session->closed) {
    g_mutex_unlock (&session->lock);
    return;
  }
  g_queue_push_tail (&session->commands, GINT_TO_POINTER (type));
  g_mutex_unlock (&session->lock);

  gst_resilient_io_context_invoke (session->io, run_next_command_idle,
      g_object_ref (session), g_object_unref);
}

void
gst_resilient_session_open (GstResilientSession * session)
{
  g_return_if_fail (GST_IS_RESILIENT_SESSION (session));
  gst_resilient_session_enqueue (session, CMD_OPEN);
}

void
gst_resilient_session_open_after_failure (GstResilientSession * session,
    const GError * error)
{
  g_return_if_fail (GST_IS_RESILIENT_SESSION (session));
  g_return_if_fail (error != NULL);

  g_mutex_lock (&session->lock);
  g_clear_error (&session->initial_error);
  session->initial_error = g_error_copy (error);
  g_mutex_unlock (&session->lock);
  gst_resilient_session_enqueue (session, CMD_OPEN);
}

void
gst_resilient_session_play (GstResilientSession * session)
{
  g_return_if_fail (GST_IS_RESILIENT_SESSION (session));
  gst_resilient_session_enqueue (session, CMD_PLAY);
}

void
gst_resilient_session_pause (GstResilientSession * session)
{
  g_return_if_fail (GST_IS_RESILIENT_SESSION (session));
  gst_resilient_session_enqueue (session, CMD_PAUSE);
}

void
gst_resilient_session_command_done (GstResilientSession * session)
{
  session->command_running = FALSE;
  gst_resilient_io_context_invoke (session->io, run_next_command_idle,
      g_object_ref (session), g_object_unref);
}

gboolean
gst_resilient_session_prepare_url (GstResilientSession * session,
    const gchar * location, GError ** error)
{
  GstRTSPUrl *rtsp_url = NULL;
  gchar *user = NULL, *password = NULL;
  gchar *stripped, *request_url = NULL;

  if (location == NULL || *location == '\0')
    goto no_location;

  if (gst_rtsp_url_parse (location, &rtsp_url) != GST_RTSP_OK ||
      rtsp_url->host == NULL || *rtsp_url->host == '\0')
    goto bad_url;

  stripped = gst_resilient_url_strip_credentials (location, &user, &password);
  if (stripped == NULL)
    goto bad_url;

  /* rtsph:// / rtspsh://: the requests inside the tunnel name rtsp:// /
   * rtsps:// URLs; the tunnel's GET and POST go to the URL's path */
  g_clear_pointer (&session->tunnel_path, g_free);
  session->tunnel = gst_resilient_url_http_tunnel (stripped, &request_url,
      &session->tunnel_path);
  if (session->tunnel) {
    g_free (stripped);
    stripped = request_url;
  }

  g_free (session->url);
  session->url = stripped;
  g_free (session->host);
  session->host = g_strdup (rtsp_url->host);
  /* rtsps: RTSP over TLS, port 322 (RFC 7826) unless the URL says; a
   * tunnel uses the URL's port, 554 by default, as rtspsrc does */
  session->port = rtsp_url->port ? rtsp_url->port :
      (!session->tunnel &&
      (rtsp_url->transports & GST_RTSP_LOWER_TRANS_TLS)) ? 322 : 554;

  /* the element's user-id/user-pw win over the URL's */
  g_free (session->user);
  gst_resilient_auth_clear_string (session->password);
  if (session->settings.user_id && *session->settings.user_id) {
    session->user = g_strdup (session->settings.user_id);
    session->password = g_strdup (session->settings.user_pw);
    g_free (user);
    gst_resilient_auth_clear_string (password);
  } else {
    session->user = user;
    session->password = password;
  }

  /* rtspu:// means UDP only, rtspt:// TCP only (as in rtspsrc) */
  session->allowed = gst_resilient_url_allowed_transports (rtsp_url,
      session->settings.protocols);
  gst_rtsp_url_free (rtsp_url);

  session->base_allowed = session->allowed;
  gst_resilient_retry_set_allowed (session->retry, session->allowed);
  if (!session->established &&
      (session->allowed & session->settings.first_transports))
    session->allowed &= session->settings.first_transports;
  if ((session->allowed & (GST_RTSP_LOWER_TRANS_UDP |
              GST_RTSP_LOWER_TRANS_UDP_MCAST | GST_RTSP_LOWER_TRANS_TCP)) == 0)
    goto no_transport;

  return TRUE;

  /* ERRORS */
no_location:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_BAD_URL,
        "no location set");
    return FALSE;
  }
bad_url:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_BAD_URL,
        "\"%s\" is not a valid RTSP URL", location);
    if (rtsp_url)
      gst_rtsp_url_free (rtsp_url);
    return FALSE;
  }
no_transport:
  {
    g_set_error (error, GST_RESILIENT_ERROR,
        GST_RESILIENT_ERROR_UNSUPPORTED_TRANSPORT,
        "the protocols property and the URL scheme of \"%s\" allow no "
        "common transport", location);
    return FALSE;
  }
}

static void
start_open (GstResilientSession * session)
{
  GError *error = NULL;

  g_mutex_lock (&session->lock);
  if (session->open_time == 0)
    session->open_time = g_get_monotonic_time ();
  g_mutex_unlock (&session->lock);

  session->redirects = 0;
  if (!gst_resilient_session_prepare_url (session,
          session->settings.location, &error)) {
    gst_resilient_session_fail (session, error);
    return;
  }
  g_mutex_lock (&session->lock);
  error = session->initial_error;
  session->initial_error = NULL;
  g_mutex_unlock (&session->lock);
  if (error) {
    /* the first attempt was made elsewhere: on to the retry logic */
    gst_resilient_session_fail (session, error);
    return;
  }
  gst_resilient_session_start_connect (session);
}


static void
run_next_command (GstResilientSession * session)
{
  gpointer cmd;
  GstResilientSessionState state;

  if (session->command_running)
    return;

  g_mutex_lock (&session->lock);
  cmd = g_queue_pop_head (&session->commands);
  state = session->state;
  g_mutex_unlock (&session->lock);
  if (cmd == NULL)
    return;

  session->command_running = TRUE;
  session->current = GPOINTER_TO_INT (cmd);

  /* after a failure only a new OPEN makes sense */
  if (state == GST_RESILIENT_SESSION_FAILED && session->current != CMD_OPEN
      && session->current != CMD_RECONNECT) {
    gst_resilient_session_command_done (session);
    return;
  }

  switch (session->current) {
    case CMD_OPEN:
      start_open (session);
      break;
    case CMD_PLAY:
      gst_resilient_session_start_play (session);
      break;
    case CMD_PAUSE:
      gst_resilient_session_start_pause (session);
      break;
    case CMD_KEEPALIVE:
      gst_resilient_session_send_keepalive (session);
      break;
    case CMD_SWITCH_TO_TCP:
      gst_resilient_session_switch_to_tcp (session);
      break;
    case CMD_RECONNECT:
      gst_resilient_session_reconnect (session);
      break;
  }
}

/* ---------------------------------------------------------------------- */
/* requests and responses (I/O thread) */

typedef struct
{
  GstResilientSession *session;
  guint cseq;
} TimeoutData;

static gboolean
request_timed_out (gpointer data)
{
  TimeoutData *td = data;
  GstResilientSession *session = td->session;
  PendingRequest *req;

  req = g_hash_table_lookup (session->pending, GUINT_TO_POINTER (td->cseq));
  if (req == NULL)
    return G_SOURCE_REMOVE;

  /* the source is being dispatched: don't destroy it from the free func */
  g_source_unref (req->timeout);
  req->timeout = NULL;

  gst_resilient_session_fail (session, g_error_new (GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_TIMEOUT,
          "%s %s: no answer from the server within %" G_GUINT64_FORMAT " ms",
          gst_rtsp_method_as_text (req->method), req->uri,
          session->settings.tcp_timeout_us / 1000));
  return G_SOURCE_REMOVE;
}

GstRTSPMessage *
gst_resilient_session_new_request (GstResilientSession * session,
    GstRTSPMethod method, const gchar * uri)
{
  GstRTSPMessage *msg = NULL;

  gst_rtsp_message_new_request (&msg, method, uri);
  if (session->settings.user_agent)
    gst_rtsp_message_add_header (msg, GST_RTSP_HDR_USER_AGENT,
        session->settings.user_agent);
  /* every request of the session carries it; OPTIONS only as keep-alive */
  if (session->session_id && method != GST_RTSP_DESCRIBE &&
      (method != GST_RTSP_OPTIONS || session->current == CMD_KEEPALIVE))
    gst_rtsp_message_add_header (msg, GST_RTSP_HDR_SESSION,
        session->session_id);
  return msg;
}

/* The Authorization header of one request, computed for it (method, URI,
 * body, Digest nonce count); none before a challenge was accepted. It is a
 * credential: never logged. */
static void
add_authorization (GstResilientSession * session, GstRTSPMessage * msg,
    GstRTSPMethod method, const gchar * uri)
{
  guint8 *body = NULL;
  guint body_size = 0;
  gchar *value;

  gst_rtsp_message_remove_header (msg, GST_RTSP_HDR_AUTHORIZATION, -1);
  if (session->auth == NULL)
    return;
  gst_rtsp_message_get_body (msg, &body, &body_size);
  value = gst_resilient_auth_header (session->auth, method, uri, body,
      body_size);
  if (value != NULL)
    gst_rtsp_message_take_header (msg, GST_RTSP_HDR_AUTHORIZATION, value);
}

/* A new connection: the authenticator for the current credentials, its
 * Digest state forgotten, Basic kept only for the same server. */
void
gst_resilient_session_prepare_auth (GstResilientSession * session)
{
  gchar *scheme, *origin;

  session->authenticating = FALSE;
  if (session->auth != NULL && (session->user == NULL ||
          !gst_resilient_auth_has_credentials (session->auth, session->user,
              session->password)))
    g_clear_pointer (&session->auth, gst_resilient_auth_free);
  if (session->user == NULL)
    return;
  if (session->auth == NULL)
    session->auth = gst_resilient_auth_new (session->user, session->password);
  scheme = g_uri_parse_scheme (session->url);
  origin = g_strdup_printf ("%s://%s:%u", scheme ? scheme : "rtsp",
      session->host, session->port);
  gst_resilient_auth_reset (session->auth, origin);
  g_free (origin);
  g_free (scheme);
}

/* Hands @response to @req's handler. An answer other than 401 to a request
 * resent with credentials ends AUTHENTICATING: the handler moves the state
 * on (READY, PLAYING, FAILED, …), and when it does not, the state from
 * before authenticating comes back. */
static void
dispatch_response (GstResilientSession * session, PendingRequest * req,
    GstRTSPMessage * response)
{
  GstRTSPStatusCode code = GST_RTSP_STS_OK;
  gboolean was_authenticating = FALSE;
  gchar *value;

  gst_rtsp_message_parse_response (response, &code, NULL, NULL);
  if (code != GST_RTSP_STS_UNAUTHORIZED) {
    if (session->auth != NULL && req->request != NULL &&
        gst_rtsp_message_get_header (req->request,
            GST_RTSP_HDR_AUTHORIZATION, &value, 0) == GST_RTSP_OK)
      gst_resilient_auth_accepted (session->auth);
    was_authenticating = session->authenticating;
    session->authenticating = FALSE;
  }
  req->handler (session, req, response);
  if (was_authenticating && gst_resilient_session_get_state (session) ==
      GST_RESILIENT_SESSION_AUTHENTICATING)
    gst_resilient_session_set_state (session, session->auth_prev_state,
        "authenticated");
}

/* Takes @msg. Returns FALSE (and has failed the session) when it could not
 * be sent. */
gboolean
gst_resilient_session_send_request (GstResilientSession * session,
    GstRTSPMessage * msg, ResponseHandler handler)
{
  return gst_resilient_session_send_request_full (session, msg, handler, 0);
}

gboolean
gst_resilient_session_send_request_full (GstResilientSession * session,
    GstRTSPMessage * msg, ResponseHandler handler, guint timeout_ms)
{
  PendingRequest *req;
  GstRTSPMethod method;
  const gchar *uri;
  GstRTSPVersion version;
  gchar cseq_str[16];
  TimeoutData *td;

  gst_rtsp_message_parse_request (msg, &method, &uri, &version);

  req = g_new0 (PendingRequest, 1);
  req->cseq = session->next_cseq++;
  req->method = method;
  req->uri = g_strdup (uri);
  req->handler = handler;

  gst_rtsp_message_remove_header (msg, GST_RTSP_HDR_CSEQ, -1);
  g_snprintf (cseq_str, sizeof (cseq_str), "%u", req->cseq);
  gst_rtsp_message_add_header (msg, GST_RTSP_HDR_CSEQ, cseq_str);
  add_authorization (session, msg, method, uri);

  if (session->callbacks.before_send &&
      !session->callbacks.before_send (session, msg, session->user_data)) {
    GstRTSPMessage *fake = NULL;

    GST_DEBUG_OBJECT (session, "before-send skipped %s",
        gst_rtsp_method_as_text (method));
    gst_rtsp_message_new_response (&fake, GST_RTSP_STS_OK, "OK", msg);
    req->request = msg;
    dispatch_response (session, req, fake);
    gst_rtsp_message_free (fake);
    pending_request_free (req);
    return TRUE;
  }

  if (session->conn == NULL ||
      !gst_resilient_connection_send_message (session->conn, msg)) {
    pending_request_free (req);
    gst_rtsp_message_free (msg);
    gst_resilient_session_fail (session, g_error_new (GST_RESILIENT_ERROR,
            GST_RESILIENT_ERROR_CONNECTION_LOST,
            "%s %s: the connection to the server is closed",
            gst_rtsp_method_as_text (method), uri));
    return FALSE;
  }
  req->request = msg;

  if (timeout_ms == 0 || (session->settings.tcp_timeout_us > 0 &&
          timeout_ms > session->settings.tcp_timeout_us / 1000))
    timeout_ms = session->settings.tcp_timeout_us / 1000;
  if (timeout_ms > 0) {
    td = g_new0 (TimeoutData, 1);
    td->session = session;
    td->cseq = req->cseq;
    req->timeout = gst_resilient_io_context_add_timeout (session->io,
        timeout_ms, request_timed_out, td, g_free);
  }
  g_mutex_lock (&session->lock);
  gst_resilient_setup_times_request_sent (&session->setup_times, method,
      g_get_monotonic_time ());
  g_mutex_unlock (&session->lock);
  GST_DEBUG_OBJECT (session, "sent %s %s (CSeq %u)",
      gst_rtsp_method_as_text (method), req->uri, req->cseq);
  g_hash_table_insert (session->pending, GUINT_TO_POINTER (req->cseq), req);
  return TRUE;
}

/* Resends @req's request with credentials after a 401, when the
 * authenticator says that makes sense (see auth.h). TRUE if resent; else,
 * with credentials set, @error (nullable) says why not. */
gboolean
gst_resilient_session_retry_with_auth (GstResilientSession * session,
    PendingRequest * req, GstRTSPMessage * response, GError ** error)
{
  GstRTSPMessage *copy = NULL;
  GError *err = NULL;
  gchar *reason;

  if (session->auth == NULL || req->request == NULL)
    return FALSE;
  if (!gst_resilient_auth_challenge (session->auth, response, req->request,
          &err)) {
    GST_WARNING_OBJECT (session, "%s %s: not resending with credentials: %s",
        gst_rtsp_method_as_text (req->method), req->uri, err->message);
    g_propagate_error (error, err);
    return FALSE;
  }

  if (!session->authenticating) {
    session->auth_prev_state = gst_resilient_session_get_state (session);
    if (session->auth_prev_state == GST_RESILIENT_SESSION_AUTHENTICATING)
      session->auth_prev_state = GST_RESILIENT_SESSION_NEGOTIATING;
    session->authenticating = TRUE;
  }
  reason = g_strdup_printf ("401: resending %s with %s credentials",
      gst_rtsp_method_as_text (req->method),
      gst_resilient_auth_describe (session->auth));
  gst_resilient_session_set_state (session,
      GST_RESILIENT_SESSION_AUTHENTICATING, reason);
  g_free (reason);

  gst_rtsp_message_copy (req->request, &copy);
  return gst_resilient_session_send_request (session, copy, req->handler);
}

/* Common handling of a non-2xx answer: auth retry, else a classified error.
 * Returns TRUE when handled by a retry. */
gboolean
gst_resilient_session_handle_failure (GstResilientSession * session,
    PendingRequest * req, GstRTSPMessage * response, GstRTSPStatusCode code,
    const gchar * reason)
{
  GError *error, *auth_error = NULL;

  if (code == GST_RTSP_STS_UNAUTHORIZED &&
      gst_resilient_session_retry_with_auth (session, req, response,
          &auth_error))
    return TRUE;

  if (code == GST_RTSP_STS_SERVICE_UNAVAILABLE) {
    gchar *value = NULL;
    guint seconds;

    if (gst_rtsp_message_get_header (response, GST_RTSP_HDR_RETRY_AFTER,
            &value, 0) == GST_RTSP_OK &&
        gst_resilient_parse_retry_after (value, &seconds))
      session->retry_after = seconds * GST_SECOND;
  }
  error = gst_resilient_error_new_from_status (code, reason, req->method,
      req->uri);
  if (code == GST_RTSP_STS_UNAUTHORIZED) {
    gchar *msg = error->message;

    if (session->user == NULL)
      error->message = g_strconcat (msg,
          " (no credentials set: use user-id/user-pw or the URL)", NULL);
    else
      error->message = g_strdup_printf ("%s (%s)", msg,
          auth_error ? auth_error->message : "credentials rejected");
    g_free (msg);
  }
  g_clear_error (&auth_error);
  gst_resilient_session_fail (session, error);
  return FALSE;
}

gboolean
gst_resilient_session_check_session_header (GstResilientSession * session,
    GstRTSPMessage * response)
{
  gchar *value = NULL;
  gchar *id = NULL;
  guint timeout = DEFAULT_SESSION_TIMEOUT;

  if (gst_rtsp_message_get_header (response, GST_RTSP_HDR_SESSION, &value,
          0) != GST_RTSP_OK)
    return TRUE;

  if (!gst_resilient_parse_session_header (value, &id, &timeout)) {
    gst_resilient_session_fail (session, g_error_new (GST_RESILIENT_ERROR,
            GST_RESILIENT_ERROR_PROTOCOL, "malformed Session header \"%s\"",
            value));
    return FALSE;
  }

  if (session->session_id == NULL) {
    session->session_id = id;
    session->session_timeout = timeout ? timeout : DEFAULT_SESSION_TIMEOUT;
    GST_DEBUG_OBJECT (session, "session id %s, timeout %u s", id,
        session->session_timeout);
  } else if (strcmp (session->session_id, id) != 0) {
    gst_resilient_session_fail (session, g_error_new (GST_RESILIENT_ERROR,
            GST_RESILIENT_ERROR_PROTOCOL,
            "server changed the session id from \"%s\" to \"%s\"",
            session->session_id, id));
    g_free (id);
    return FALSE;
  } else {
    g_free (id);
  }
  return TRUE;
}

static void
answer_server_request (GstResilientSession * session, GstRTSPMessage * request)
{
  GstRTSPMethod method;
  const gchar *uri;
  GstRTSPVersion version;
  GstRTSPMessage *response = NULL;
  GstRTSPStatusCode code = GST_RTSP_STS_OK;

  gst_rtsp_message_parse_request (request, &method, &uri, &version);
  GST_DEBUG_OBJECT (session, "server sent %s %s",
      gst_rtsp_method_as_text (method), uri);

  switch (method) {
    case GST_RTSP_OPTIONS:
    case GST_RTSP_GET_PARAMETER:
    case GST_RTSP_SET_PARAMETER:
    case GST_RTSP_ANNOUNCE:
      break;
    default:
      code = GST_RTSP_STS_NOT_IMPLEMENTED;
      break;
  }

  gst_rtsp_message_new_response (&response, code,
      gst_rtsp_status_as_text (code), request);
  if (session->session_id)
    gst_rtsp_message_add_header (response, GST_RTSP_HDR_SESSION,
        session->session_id);
  if (session->conn)
    gst_resilient_connection_send_message (session->conn, response);
  gst_rtsp_message_free (response);
}

static void
on_conn_message (GstResilientConnection * conn, GstRTSPMessage * msg,
    gpointer user_data)
{
  GstResilientSession *session = user_data;
  gchar *cseq_str = NULL;
  guint64 cseq = 0;
  PendingRequest *req = NULL;

  session->conn_answered = TRUE;
  if (gst_rtsp_message_get_type (msg) == GST_RTSP_MESSAGE_REQUEST) {
    answer_server_request (session, msg);
    gst_rtsp_message_free (msg);
    return;
  }
  if (gst_rtsp_message_get_type (msg) != GST_RTSP_MESSAGE_RESPONSE) {
    gst_rtsp_message_free (msg);
    return;
  }

  if (gst_rtsp_message_get_header (msg, GST_RTSP_HDR_CSEQ, &cseq_str,
          0) == GST_RTSP_OK) {
    if (!g_ascii_string_to_unsigned (g_strstrip (cseq_str), 10, 0, G_MAXUINT,
            &cseq, NULL)) {
      gst_resilient_session_fail (session, g_error_new (GST_RESILIENT_ERROR,
              GST_RESILIENT_ERROR_PROTOCOL,
              "response with a malformed CSeq \"%s\"", cseq_str));
      gst_rtsp_message_free (msg);
      return;
    }
    req = g_hash_table_lookup (session->pending, GUINT_TO_POINTER (cseq));
  } else if (g_hash_table_size (session->pending) == 1) {
    GHashTableIter iter;

    /* lenient: a response without CSeq answers the only open request */
    g_hash_table_iter_init (&iter, session->pending);
    g_hash_table_iter_next (&iter, NULL, (gpointer *) & req);
    GST_WARNING_OBJECT (session, "response without CSeq, taking it as the "
        "answer to CSeq %u", req->cseq);
  }

  if (req == NULL && gst_resilient_session_is_closed (session)) {
    /* closing dropped the requests in flight; their late answers are
     * expected and must not disturb the TEARDOWN exchange */
    GST_DEBUG_OBJECT (session, "ignoring answer CSeq %s while closing",
        cseq_str ? cseq_str : "(none)");
    gst_rtsp_message_free (msg);
    return;
  }
  if (req == NULL) {
    gst_resilient_session_fail (session, g_error_new (GST_RESILIENT_ERROR,
            GST_RESILIENT_ERROR_PROTOCOL,
            "response with CSeq %s answers no request in flight",
            cseq_str ? cseq_str : "(none)"));
    gst_rtsp_message_free (msg);
    return;
  }

  g_hash_table_steal (session->pending, GUINT_TO_POINTER (req->cseq));
  gst_resilient_session_destroy_source (&req->timeout);
  {
    GstRTSPStatusCode code = 0;

    gst_rtsp_message_parse_response (msg, &code, NULL, NULL);
    g_mutex_lock (&session->lock);
    gst_resilient_setup_times_request_answered (&session->setup_times,
        req->method, code, g_get_monotonic_time ());
    g_mutex_unlock (&session->lock);
  }
  dispatch_response (session, req, msg);
  pending_request_free (req);
  gst_rtsp_message_free (msg);
}

/* Hands a packet to the element, or holds it while PLAY is unanswered so the
 * RTP-Info caps go out before the first packet. I/O thread. */
void
gst_resilient_session_deliver (GstResilientSession * session, guint index,
    gboolean is_rtcp, GstBuffer * buf)
{
  if (session->hold_packets && session->held.length < MAX_HELD_PACKETS) {
    HeldPacket *held = g_new (HeldPacket, 1);

    held->index = index;
    held->is_rtcp = is_rtcp;
    held->buf = buf;
    g_queue_push_tail (&session->held, held);
    return;
  }
  if (session->callbacks.packet && !gst_resilient_session_is_closed (session))
    session->callbacks.packet (session, index, is_rtcp, buf,
        session->user_data);
  else
    gst_buffer_unref (buf);
}

void
gst_resilient_session_release_held_packets (GstResilientSession * session)
{
  HeldPacket *held;

  session->hold_packets = FALSE;
  while ((held = g_queue_pop_head (&session->held))) {
    gst_resilient_session_deliver (session, held->index, held->is_rtcp,
        held->buf);
    g_free (held);
  }
}

static void
on_conn_data (GstResilientConnection * conn, guint8 channel, GstBuffer * buf,
    gpointer user_data)
{
  GstResilientSession *session = user_data;
  gint pos = session->channel_map[channel];
  guint index;

  if (pos < 0) {
    GST_LOG_OBJECT (session, "data on unknown channel %u dropped", channel);
    gst_buffer_unref (buf);
    return;
  }

  g_mutex_lock (&session->lock);
  index = ((GstResilientSessionStream *)
      g_ptr_array_index (session->streams, pos))->index;
  session->packets++;
  session->bytes += gst_buffer_get_size (buf);
  if (!session->channel_is_rtcp[channel])
    session->last_rtp_us = g_get_monotonic_time ();
  g_mutex_unlock (&session->lock);

  gst_resilient_session_deliver (session, index,
      session->channel_is_rtcp[channel], buf);
}

static void
on_conn_closed (GstResilientConnection * conn, const GError * error,
    gpointer user_data)
{
  GstResilientSession *session = user_data;
  GstResilientSessionState state = gst_resilient_session_get_state (session);

  if (state == GST_RESILIENT_SESSION_CLOSING) {
    /* servers may close right after TEARDOWN */
    g_mutex_lock (&session->lock);
    session->teardown_done = TRUE;
    g_cond_broadcast (&session->cond);
    g_mutex_unlock (&session->lock);
    return;
  }
  gst_resilient_session_fail (session, g_error_copy (error));
}

const GstResilientConnectionCallbacks gst_resilient_session_conn_callbacks = {
  on_conn_message,
  on_conn_data,
  on_conn_closed,
};

/* ---------------------------------------------------------------------- */
/* any thread */

void
gst_resilient_session_send_rtcp (GstResilientSession * session, guint index,
    GstBuffer * buf)
{
  GstResilientConnection *conn = NULL;
  GstResilientUdpTransport *udp = NULL;
  guint8 channel = 0;
  guint i;

  g_mutex_lock (&session->lock);
  for (i = 0; !session->closed && i < session->streams->len; i++) {
    GstResilientSessionStream *stream = g_ptr_array_index (session->streams, i);

    if (stream->index != index)
      continue;
    if (stream->transport == GST_RTSP_LOWER_TRANS_TCP && session->conn) {
      conn = g_object_ref (session->conn);
      channel = stream->rtcp_channel;
    } else if (stream->udp) {
      udp = g_object_ref (stream->udp);
    }
    break;
  }
  g_mutex_unlock (&session->lock);

  if (conn) {
    gst_resilient_connection_send_data (conn, channel, buf);
    g_object_unref (conn);
  } else if (udp) {
    gst_resilient_udp_transport_send_rtcp (udp, buf);
    g_object_unref (udp);
  }
  gst_buffer_unref (buf);
}

const gchar *
gst_resilient_session_transport_name (GstRTSPLowerTrans transport,
    const gchar * none)
{
  switch (transport) {
    case GST_RTSP_LOWER_TRANS_UDP:
      return "udp";
    case GST_RTSP_LOWER_TRANS_UDP_MCAST:
      return "udp-mcast";
    case GST_RTSP_LOWER_TRANS_TCP:
      return "tcp";
    default:
      return none;
  }
}

void
gst_resilient_session_fill_stats (GstResilientSession * session,
    GstStructure * stats)
{
  GstResilientConnectionStats cstats = { 0, };
  GstResilientConnection *conn = NULL;
  gdouble ratio = 0.0;
  guint64 shared = 0, copied = 0;
  guint64 punches = 0;
  gboolean learned = FALSE;
  guint i;
  GstResilientSetupTimes setup_times;
  GstStructure *setup;
  gint64 outage_us;
  /* never the credentials of the location */
  gchar *url = session->settings.location ?
      gst_resilient_url_strip_credentials (session->settings.location, NULL,
      NULL) : NULL;

  g_mutex_lock (&session->lock);
  if (session->conn)
    conn = g_object_ref (session->conn);
  gst_structure_set (stats,
      "state", G_TYPE_STRING, gst_resilient_session_state_name (session->state),
      "transport", G_TYPE_STRING,
      gst_resilient_session_transport_name (session->transport, "none"), "url",
      G_TYPE_STRING, url ? url : "",
      "keepalives", G_TYPE_UINT64, session->keepalive.sent,
      "keepalive-rtt-ms", G_TYPE_DOUBLE, session->keepalive.rtt_us >= 0 ?
      session->keepalive.rtt_us / 1000.0 : -1.0,
      "connect-ms", G_TYPE_UINT64,
      session->connect_us >=
      0 ? (guint64) session->connect_us / 1000 : (guint64) 0,
      "connection-reused", G_TYPE_BOOLEAN, session->conn_reused,
      "bytes-received",
      G_TYPE_UINT64, session->bytes, "packets-received", G_TYPE_UINT64,
      session->packets, "reconnects", G_TYPE_UINT, session->recoveries, NULL);
  /* UDP: NAT punches sent, and whether a server port was learned */
  for (i = 0; i < session->streams->len; i++) {
    GstResilientSessionStream *stream = g_ptr_array_index (session->streams, i);
    GstResilientUdpStats ustats;

    if (stream->udp == NULL)
      continue;
    gst_resilient_udp_transport_get_stats (stream->udp, &ustats);
    punches += ustats.punches_sent;
    if (ustats.learned_rtp_port || ustats.learned_rtcp_port)
      learned = TRUE;
  }
  gst_structure_set (stats, "nat-punches", G_TYPE_UINT64, punches,
      "nat-learned-port", G_TYPE_BOOLEAN, learned, NULL);
  setup_times = session->setup_times;
  outage_us = session->outage_total_us + (session->outage_start_us ?
      MAX (g_get_monotonic_time () - session->outage_start_us, 0) : 0);
  g_mutex_unlock (&session->lock);
  g_free (url);

  /* the newest connection attempt's set-up times and peer */
  setup = gst_resilient_setup_times_to_structure (&setup_times);
  gst_structure_set (stats, "server-address", G_TYPE_STRING, setup_times.peer,
      "via-proxy", G_TYPE_BOOLEAN, setup_times.via_proxy,
      "outage-ms", G_TYPE_UINT64, (guint64) outage_us / 1000,
      "setup", GST_TYPE_STRUCTURE, setup, NULL);
  gst_structure_free (setup);

  /* the interleaved bytes of every connection since the element started */
  if (conn)
    gst_resilient_connection_get_stats (conn, &cstats);
  g_mutex_lock (&session->lock);
  /* (a connection dropped meanwhile is in the dropped totals already) */
  if (conn && conn == session->conn) {
    shared = cstats.frame_bytes_shared - session->conn_shared_base;
    copied = cstats.frame_bytes_copied - session->conn_copied_base;
  }
  shared += session->dropped_shared;
  copied += session->dropped_copied;
  g_mutex_unlock (&session->lock);
  g_clear_object (&conn);
  if (shared + copied > 0)
    ratio = (gdouble) shared / (shared + copied);
  gst_structure_set (stats, "zero-copy-ratio", G_TYPE_DOUBLE, ratio,
      "interleaved-bytes-shared", G_TYPE_UINT64, shared,
      "interleaved-bytes-copied", G_TYPE_UINT64, copied, NULL);
}
