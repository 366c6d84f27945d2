/* resilientrtsp
 * gstresilientrtspsrc-settings.c: the element's property values. Settings
 * holds them under settings_lock; what the session takes is a
 * GstResilientSessionSettings embedded in it, copied whole when a session
 * starts (gst_resilient_rtsp_src_settings_for_start).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstresilientrtspsrc-private.h"

#include "connection.h"
#include "error.h"

GST_DEBUG_CATEGORY_EXTERN (resilientrtspsrc_debug);
#define GST_CAT_DEFAULT resilientrtspsrc_debug

void
gst_resilient_rtsp_src_settings_init (Settings * s)
{
  s->session.location = g_strdup (DEFAULT_LOCATION);
  s->session.protocols = DEFAULT_PROTOCOLS;
  s->latency_ms = DEFAULT_LATENCY_MS;
  s->session.udp_timeout_us = DEFAULT_TIMEOUT_US;
  s->session.tcp_timeout_us = DEFAULT_TCP_TIMEOUT_US;
  s->session.user_agent = g_strdup (DEFAULT_USER_AGENT);
  s->session.do_rtcp = DEFAULT_DO_RTCP;
  s->session.nat_method = DEFAULT_NAT_METHOD;
  s->teardown_timeout = DEFAULT_TEARDOWN_TIMEOUT;
  s->session.udp_buffer_size = DEFAULT_UDP_BUFFER_SIZE;
  s->depayload = DEFAULT_DEPAYLOAD;
  s->rtp_manager = DEFAULT_RTP_MANAGER;
  s->stats_interval_ms = DEFAULT_STATS_INTERVAL_MS;
  s->session.retry.strategy = DEFAULT_RETRY_STRATEGY;
  s->session.retry.max_attempts = DEFAULT_RETRY_MAX_ATTEMPTS;
  s->session.retry.initial_delay = DEFAULT_RETRY_INITIAL_DELAY_MS * GST_MSECOND;
  s->session.retry.max_delay = DEFAULT_RETRY_MAX_DELAY_MS * GST_MSECOND;
  s->session.retry.multiplier = DEFAULT_RETRY_MULTIPLIER;
  s->session.retry.jitter = DEFAULT_RETRY_JITTER;
  s->session.retry.fail_fast = gst_resilient_error_classes_fail_default ();
  s->session.retry_initial = DEFAULT_RETRY_INITIAL_CONNECT;
  s->session.keepalive_method = DEFAULT_KEEPALIVE_METHOD;
  s->do_rtsp_keep_alive = DEFAULT_DO_RTSP_KEEP_ALIVE;
  s->session.stall_timeout_ms = DEFAULT_STALL_TIMEOUT_MS;
  s->session.tls_validation_flags = DEFAULT_TLS_VALIDATION_FLAGS;
  s->race.mode = DEFAULT_RACE_MODE;
  s->race.stagger_ms = DEFAULT_RACE_STAGGER_MS;
  s->race.max_parallel = DEFAULT_RACE_MAX_PARALLEL;
  s->race.duplicates = DEFAULT_RACE_DUPLICATES;
  s->session.pool_idle_timeout_ms = DEFAULT_POOL_IDLE_TIMEOUT * 1000;
}

void
gst_resilient_rtsp_src_settings_clear (Settings * s)
{
  gst_resilient_session_settings_clear (&s->session);
}

/* What start() needs, copied under the lock: FALSE (and nothing copied)
 * when no location is set. */
gboolean
gst_resilient_rtsp_src_settings_for_start (GstResilientRtspSrc * src,
    GstResilientSessionSettings * session, GstResilientRaceSettings * race,
    GstResilientMediaSettings * media, guint * stats_interval_ms)
{
  Settings *s = &src->settings;

  g_mutex_lock (&src->settings_lock);
  if (s->session.location == NULL) {
    g_mutex_unlock (&src->settings_lock);
    return FALSE;
  }
  gst_resilient_session_settings_copy (session, &s->session);
  if (!s->do_rtsp_keep_alive)
    session->keepalive_method = GST_RESILIENT_KEEPALIVE_NONE;
  *race = s->race;
  race->teardown_timeout_ns = s->teardown_timeout;
  memset (media, 0, sizeof (*media));
  media->latency_ms = s->latency_ms;
  media->depayload = s->depayload;
  media->do_rtcp = s->session.do_rtcp;
  media->manager = s->rtp_manager;
  *stats_interval_ms = s->stats_interval_ms;
  g_mutex_unlock (&src->settings_lock);
  return TRUE;
}

static gboolean
parse_port_range (const gchar * str, guint * min, guint * max)
{
  guint64 lo, hi;
  gchar *end;

  if (str == NULL || *str == '\0') {
    *min = *max = 0;
    return TRUE;
  }
  lo = g_ascii_strtoull (str, &end, 10);
  if (end == str || *end != '-')
    return FALSE;
  str = end + 1;
  hi = g_ascii_strtoull (str, &end, 10);
  if (end == str || *end != '\0' || lo == 0 || hi > 65535 || lo > hi)
    return FALSE;
  *min = lo;
  *max = hi;
  return TRUE;
}

/* A proxy setting that cannot work is reported now; connecting fails with
 * a bad-url error (whose message has no credentials). */
static void
check_proxy (GstResilientRtspSrc * src, const gchar * proxy)
{
  GstResilientProxyType type;
  gchar *host = NULL, *user = NULL, *password = NULL;
  guint16 port;
  GError *error = NULL;

  if (proxy == NULL || *proxy == '\0')
    return;
  if (!gst_resilient_proxy_parse (proxy, NULL, NULL, &type, &host, &port,
          &user, &password, &error)) {
    GST_WARNING_OBJECT (src, "proxy: %s", error->message);
    g_error_free (error);
    return;
  }
  g_free (host);
  g_free (user);
  g_free (password);
}

void
gst_resilient_rtsp_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstResilientRtspSrc *src = GST_RESILIENT_RTSP_SRC (object);
  Settings *s = &src->settings;

  g_mutex_lock (&src->settings_lock);
  switch (prop_id) {
    case PROP_LOCATION:
      g_free (s->session.location);
      s->session.location = g_value_dup_string (value);
      break;
    case PROP_PROTOCOLS:
      s->session.protocols = g_value_get_flags (value);
      break;
    case PROP_LATENCY:
      s->latency_ms = g_value_get_uint (value);
      break;
    case PROP_USER_ID:
      g_free (s->session.user_id);
      s->session.user_id = g_value_dup_string (value);
      break;
    case PROP_USER_PW:
      g_free (s->session.user_pw);
      s->session.user_pw = g_value_dup_string (value);
      break;
    case PROP_TIMEOUT:
      s->session.udp_timeout_us = g_value_get_uint64 (value);
      break;
    case PROP_TCP_TIMEOUT:
      s->session.tcp_timeout_us = g_value_get_uint64 (value);
      break;
    case PROP_USER_AGENT:
      g_free (s->session.user_agent);
      s->session.user_agent = g_value_dup_string (value);
      break;
    case PROP_DO_RTCP:
      s->session.do_rtcp = g_value_get_boolean (value);
      break;
    case PROP_NAT_METHOD:
      s->session.nat_method = g_value_get_enum (value);
      break;
    case PROP_TEARDOWN_TIMEOUT:
      s->teardown_timeout = g_value_get_uint64 (value);
      break;
    case PROP_PORT_RANGE:
      if (!parse_port_range (g_value_get_string (value), &s->session.port_min,
              &s->session.port_max)) {
        GST_WARNING_OBJECT (src, "invalid port-range \"%s\" (want "
            "\"min-max\"), ignored", g_value_get_string (value));
      }
      break;
    case PROP_UDP_BUFFER_SIZE:
      s->session.udp_buffer_size = g_value_get_int (value);
      break;
    case PROP_DEPAYLOAD:
      s->depayload = g_value_get_enum (value);
      break;
    case PROP_RTP_MANAGER:
      s->rtp_manager = g_value_get_enum (value);
      break;
    case PROP_STATS_INTERVAL:
      s->stats_interval_ms = g_value_get_uint (value);
      break;
    case PROP_RETRY_STRATEGY:
      s->session.retry.strategy = g_value_get_enum (value);
      break;
    case PROP_RETRY_MAX_ATTEMPTS:
      s->session.retry.max_attempts = g_value_get_int (value);
      break;
    case PROP_RETRY_INITIAL_DELAY:
      s->session.retry.initial_delay = g_value_get_uint (value) * GST_MSECOND;
      break;
    case PROP_RETRY_MAX_DELAY:
      s->session.retry.max_delay = g_value_get_uint (value) * GST_MSECOND;
      break;
    case PROP_RETRY_MULTIPLIER:
      s->session.retry.multiplier = g_value_get_double (value);
      break;
    case PROP_RETRY_JITTER:
      s->session.retry.jitter = g_value_get_double (value);
      break;
    case PROP_RETRY_INITIAL_CONNECT:
      s->session.retry_initial = g_value_get_boolean (value);
      break;
    case PROP_FAIL_FAST:
      s->session.retry.fail_fast = g_value_get_flags (value);
      break;
    case PROP_STALL_TIMEOUT:
      s->session.stall_timeout_ms = g_value_get_uint (value);
      break;
    case PROP_KEEPALIVE_METHOD:
      s->session.keepalive_method = g_value_get_enum (value);
      break;
    case PROP_DO_RTSP_KEEP_ALIVE:
      s->do_rtsp_keep_alive = g_value_get_boolean (value);
      break;
    case PROP_RACE_MODE:
      s->race.mode = g_value_get_enum (value);
      break;
    case PROP_RACE_STAGGER:
      s->race.stagger_ms = g_value_get_uint (value);
      break;
    case PROP_RACE_MAX_PARALLEL:
      s->race.max_parallel = g_value_get_uint (value);
      break;
    case PROP_RACE_DUPLICATES:
      s->race.duplicates = g_value_get_uint (value);
      break;
    case PROP_TLS_VALIDATION_FLAGS:
      s->session.tls_validation_flags = g_value_get_flags (value);
      break;
    case PROP_TLS_DATABASE:
      g_clear_object (&s->session.tls_database);
      s->session.tls_database = g_value_dup_object (value);
      break;
    case PROP_TLS_INTERACTION:
      g_clear_object (&s->session.tls_interaction);
      s->session.tls_interaction = g_value_dup_object (value);
      break;
    case PROP_PROXY:
      g_free (s->session.proxy);
      s->session.proxy = g_value_dup_string (value);
      check_proxy (src, s->session.proxy);
      break;
    case PROP_PROXY_ID:
      g_free (s->session.proxy_id);
      s->session.proxy_id = g_value_dup_string (value);
      break;
    case PROP_PROXY_PW:
      g_free (s->session.proxy_pw);
      s->session.proxy_pw = g_value_dup_string (value);
      break;
    case PROP_EXTRA_HTTP_REQUEST_HEADERS:
      if (s->session.extra_http_request_headers)
        gst_structure_free (s->session.extra_http_request_headers);
      s->session.extra_http_request_headers = g_value_dup_boxed (value);
      break;
    case PROP_IGNORE_X_SERVER_REPLY:
      s->session.ignore_x_server_reply = g_value_get_boolean (value);
      break;
    case PROP_POOL_IDLE_TIMEOUT:
      s->session.pool_idle_timeout_ms = g_value_get_uint (value) * 1000;
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&src->settings_lock);
}

void
gst_resilient_rtsp_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstResilientRtspSrc *src = GST_RESILIENT_RTSP_SRC (object);
  Settings *s = &src->settings;

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, gst_resilient_rtsp_src_build_stats (src));
    return;
  }
  if (prop_id == PROP_STATE) {
    g_mutex_lock (&src->runtime_lock);
    g_value_set_string (value, src->race ?
        gst_resilient_session_state_name (gst_resilient_race_get_state
            (src->race)) : "idle");
    g_mutex_unlock (&src->runtime_lock);
    return;
  }

  g_mutex_lock (&src->settings_lock);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, s->session.location);
      break;
    case PROP_PROTOCOLS:
      g_value_set_flags (value, s->session.protocols);
      break;
    case PROP_LATENCY:
      g_value_set_uint (value, s->latency_ms);
      break;
    case PROP_USER_ID:
      g_value_set_string (value, s->session.user_id);
      break;
    case PROP_USER_PW:
      g_value_set_string (value, s->session.user_pw);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint64 (value, s->session.udp_timeout_us);
      break;
    case PROP_TCP_TIMEOUT:
      g_value_set_uint64 (value, s->session.tcp_timeout_us);
      break;
    case PROP_USER_AGENT:
      g_value_set_string (value, s->session.user_agent);
      break;
    case PROP_DO_RTCP:
      g_value_set_boolean (value, s->session.do_rtcp);
      break;
    case PROP_NAT_METHOD:
      g_value_set_enum (value, s->session.nat_method);
      break;
    case PROP_TEARDOWN_TIMEOUT:
      g_value_set_uint64 (value, s->teardown_timeout);
      break;
    case PROP_PORT_RANGE:
      if (s->session.port_min)
        g_value_take_string (value, g_strdup_printf ("%u-%u",
                s->session.port_min, s->session.port_max));
      else
        g_value_set_string (value, NULL);
      break;
    case PROP_UDP_BUFFER_SIZE:
      g_value_set_int (value, s->session.udp_buffer_size);
      break;
    case PROP_DEPAYLOAD:
      g_value_set_enum (value, s->depayload);
      break;
    case PROP_RTP_MANAGER:
      g_value_set_enum (value, s->rtp_manager);
      break;
    case PROP_STATS_INTERVAL:
      g_value_set_uint (value, s->stats_interval_ms);
      break;
    case PROP_RETRY_STRATEGY:
      g_value_set_enum (value, s->session.retry.strategy);
      break;
    case PROP_RETRY_MAX_ATTEMPTS:
      g_value_set_int (value, s->session.retry.max_attempts);
      break;
    case PROP_RETRY_INITIAL_DELAY:
      g_value_set_uint (value, s->session.retry.initial_delay / GST_MSECOND);
      break;
    case PROP_RETRY_MAX_DELAY:
      g_value_set_uint (value, s->session.retry.max_delay / GST_MSECOND);
      break;
    case PROP_RETRY_MULTIPLIER:
      g_value_set_double (value, s->session.retry.multiplier);
      break;
    case PROP_RETRY_JITTER:
      g_value_set_double (value, s->session.retry.jitter);
      break;
    case PROP_RETRY_INITIAL_CONNECT:
      g_value_set_boolean (value, s->session.retry_initial);
      break;
    case PROP_FAIL_FAST:
      g_value_set_flags (value, s->session.retry.fail_fast);
      break;
    case PROP_STALL_TIMEOUT:
      g_value_set_uint (value, s->session.stall_timeout_ms);
      break;
    case PROP_KEEPALIVE_METHOD:
      g_value_set_enum (value, s->session.keepalive_method);
      break;
    case PROP_DO_RTSP_KEEP_ALIVE:
      g_value_set_boolean (value, s->do_rtsp_keep_alive);
      break;
    case PROP_RACE_MODE:
      g_value_set_enum (value, s->race.mode);
      break;
    case PROP_RACE_STAGGER:
      g_value_set_uint (value, s->race.stagger_ms);
      break;
    case PROP_RACE_MAX_PARALLEL:
      g_value_set_uint (value, s->race.max_parallel);
      break;
    case PROP_RACE_DUPLICATES:
      g_value_set_uint (value, s->race.duplicates);
      break;
    case PROP_TLS_VALIDATION_FLAGS:
      g_value_set_flags (value, s->session.tls_validation_flags);
      break;
    case PROP_TLS_DATABASE:
      g_value_set_object (value, s->session.tls_database);
      break;
    case PROP_TLS_INTERACTION:
      g_value_set_object (value, s->session.tls_interaction);
      break;
    case PROP_PROXY:
      g_value_set_string (value, s->session.proxy);
      break;
    case PROP_PROXY_ID:
      g_value_set_string (value, s->session.proxy_id);
      break;
    case PROP_PROXY_PW:
      g_value_set_string (value, s->session.proxy_pw);
      break;
    case PROP_EXTRA_HTTP_REQUEST_HEADERS:
      g_value_set_boxed (value, s->session.extra_http_request_headers);
      break;
    case PROP_IGNORE_X_SERVER_REPLY:
      g_value_set_boolean (value, s->session.ignore_x_server_reply);
      break;
    case PROP_POOL_IDLE_TIMEOUT:
      g_value_set_uint (value, s->session.pool_idle_timeout_ms / 1000);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&src->settings_lock);
}
