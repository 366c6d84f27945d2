/* resilientrtsp
 * stats.c: the set-up time breakdown and the RTP sequence tracker (see
 * stats.h). Pure: times come in as arguments.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "stats.h"

#include <string.h>

/* ---------------------------------------------------------------------- */
/* set-up times */

void
gst_resilient_setup_times_init (GstResilientSetupTimes * times)
{
  guint i;

  g_return_if_fail (times != NULL);

  memset (times, 0, sizeof (*times));
  for (i = 0; i < GST_RESILIENT_SETUP_N_PHASES; i++)
    times->duration_us[i] = -1;
  times->playing_us = -1;
}

void
gst_resilient_setup_times_start (GstResilientSetupTimes * times, gint64 now_us)
{
  g_return_if_fail (times != NULL);

  gst_resilient_setup_times_init (times);
  /* 0 means "no attempt": a clock at exactly 0 still starts one */
  times->start_us = MAX (now_us, 1);
}

/* Ignore everything outside an attempt, and after its PLAY answer. */
static gboolean
measuring (const GstResilientSetupTimes * times)
{
  return times->start_us != 0 && times->playing_us < 0;
}

static void
phase_begin (GstResilientSetupTimes * times, GstResilientSetupPhase phase,
    gint64 now_us)
{
  /* once per attempt: the first begin, until the phase ended */
  if (times->begin_us[phase] == 0 && times->duration_us[phase] < 0)
    times->begin_us[phase] = MAX (now_us, 1);
}

static void
phase_end (GstResilientSetupTimes * times, GstResilientSetupPhase phase,
    gint64 now_us)
{
  if (times->begin_us[phase] == 0 || times->duration_us[phase] >= 0)
    return;
  times->duration_us[phase] = MAX (now_us - times->begin_us[phase], 0);
  times->begin_us[phase] = 0;
}

void
gst_resilient_setup_times_connect_event (GstResilientSetupTimes * times,
    GSocketClientEvent event, gint64 now_us)
{
  g_return_if_fail (times != NULL);

  if (!measuring (times))
    return;

  switch (event) {
    case G_SOCKET_CLIENT_RESOLVING:
      phase_begin (times, GST_RESILIENT_SETUP_DNS, now_us);
      break;
    case G_SOCKET_CLIENT_RESOLVED:
      phase_end (times, GST_RESILIENT_SETUP_DNS, now_us);
      break;
    case G_SOCKET_CLIENT_CONNECTING:
      phase_begin (times, GST_RESILIENT_SETUP_TCP_CONNECT, now_us);
      break;
    case G_SOCKET_CLIENT_CONNECTED:
      phase_end (times, GST_RESILIENT_SETUP_TCP_CONNECT, now_us);
      break;
    case G_SOCKET_CLIENT_PROXY_NEGOTIATING:
      times->via_proxy = TRUE;
      phase_begin (times, GST_RESILIENT_SETUP_PROXY, now_us);
      break;
    case G_SOCKET_CLIENT_PROXY_NEGOTIATED:
      phase_end (times, GST_RESILIENT_SETUP_PROXY, now_us);
      break;
    case G_SOCKET_CLIENT_TLS_HANDSHAKING:
      phase_begin (times, GST_RESILIENT_SETUP_TLS, now_us);
      break;
    case G_SOCKET_CLIENT_TLS_HANDSHAKED:
      phase_end (times, GST_RESILIENT_SETUP_TLS, now_us);
      break;
    default:
      break;
  }
}

void
gst_resilient_setup_times_set_peer (GstResilientSetupTimes * times,
    GSocketAddress * address)
{
  GInetAddress *inet;
  gchar *ip;

  g_return_if_fail (times != NULL);

  if (!measuring (times) || times->peer[0] != '\0' ||
      !G_IS_INET_SOCKET_ADDRESS (address))
    return;

  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  ip = g_inet_address_to_string (inet);
  g_snprintf (times->peer, sizeof (times->peer),
      g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6 ?
      "[%s]:%u" : "%s:%u", ip,
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)));
  g_free (ip);
}

static gboolean
request_phase (GstRTSPMethod method, GstResilientSetupPhase * phase)
{
  switch (method) {
    case GST_RTSP_OPTIONS:
      *phase = GST_RESILIENT_SETUP_OPTIONS;
      return TRUE;
    case GST_RTSP_DESCRIBE:
      *phase = GST_RESILIENT_SETUP_DESCRIBE;
      return TRUE;
    case GST_RTSP_SETUP:
      *phase = GST_RESILIENT_SETUP_SETUP;
      return TRUE;
    case GST_RTSP_PLAY:
      *phase = GST_RESILIENT_SETUP_PLAY;
      return TRUE;
    default:
      return FALSE;
  }
}

void
gst_resilient_setup_times_request_sent (GstResilientSetupTimes * times,
    GstRTSPMethod method, gint64 now_us)
{
  GstResilientSetupPhase phase;

  g_return_if_fail (times != NULL);

  if (!measuring (times) || !request_phase (method, &phase))
    return;
  /* the newest request of the method is the one the next answer is for
   * (they go one at a time while a session is set up) */
  times->begin_us[phase] = MAX (now_us, 1);
}

void
gst_resilient_setup_times_request_answered (GstResilientSetupTimes * times,
    GstRTSPMethod method, GstRTSPStatusCode code, gint64 now_us)
{
  GstResilientSetupPhase phase;
  gint64 rtt;

  g_return_if_fail (times != NULL);

  if (!measuring (times) || !request_phase (method, &phase) ||
      times->begin_us[phase] == 0)
    return;

  rtt = MAX (now_us - times->begin_us[phase], 0);
  times->begin_us[phase] = 0;
  times->duration_us[phase] = MAX (times->duration_us[phase], 0) + rtt;
  if (phase == GST_RESILIENT_SETUP_SETUP &&
      times->n_exchanges < GST_RESILIENT_SETUP_MAX_EXCHANGES)
    times->exchange_us[times->n_exchanges++] = rtt;
  if (phase == GST_RESILIENT_SETUP_PLAY && code >= 200 && code < 300)
    times->playing_us = MAX (now_us - times->start_us, 0);
}

gdouble
gst_resilient_setup_times_get_ms (const GstResilientSetupTimes * times,
    GstResilientSetupPhase phase)
{
  g_return_val_if_fail (times != NULL, -1.0);
  g_return_val_if_fail (phase < GST_RESILIENT_SETUP_N_PHASES, -1.0);

  if (times->duration_us[phase] < 0)
    return -1.0;
  return times->duration_us[phase] / 1000.0;
}

GstStructure *
gst_resilient_setup_times_to_structure (const GstResilientSetupTimes * times)
{
  static const gchar *const names[GST_RESILIENT_SETUP_N_PHASES] = {
    "dns-ms", "tcp-connect-ms", "proxy-ms", "tls-ms", "options-ms",
    "describe-ms", "setup-ms", "play-ms"
  };
  GstStructure *s;
  GValue array = G_VALUE_INIT;
  guint i;

  g_return_val_if_fail (times != NULL, NULL);

  s = gst_structure_new_empty ("setup");
  for (i = 0; i < GST_RESILIENT_SETUP_N_PHASES; i++)
    gst_structure_set (s, names[i], G_TYPE_DOUBLE,
        gst_resilient_setup_times_get_ms (times, i), NULL);

  g_value_init (&array, GST_TYPE_ARRAY);
  for (i = 0; i < times->n_exchanges; i++) {
    GValue v = G_VALUE_INIT;

    g_value_init (&v, G_TYPE_DOUBLE);
    g_value_set_double (&v, times->exchange_us[i] / 1000.0);
    gst_value_array_append_and_take_value (&array, &v);
  }
  gst_structure_take_value (s, "setup-stream-ms", &array);

  gst_structure_set (s,
      "playing-ms", G_TYPE_DOUBLE, times->playing_us >= 0 ?
      times->playing_us / 1000.0 : -1.0,
      "first-rtp-ms", G_TYPE_DOUBLE, -1.0,
      "first-buffer-ms", G_TYPE_DOUBLE, -1.0, NULL);
  return s;
}

/* ---------------------------------------------------------------------- */
/* sequence tracker */

void
gst_resilient_seq_tracker_init (GstResilientSeqTracker * tracker)
{
  g_return_if_fail (tracker != NULL);

  memset (tracker, 0, sizeof (*tracker));
}

void
gst_resilient_seq_tracker_restart (GstResilientSeqTracker * tracker)
{
  g_return_if_fail (tracker != NULL);

  tracker->started = FALSE;
}

static GstResilientSeqVerdict
restart_at (GstResilientSeqTracker * tracker, guint32 ssrc, guint16 seq)
{
  tracker->started = TRUE;
  tracker->ssrc = ssrc;
  tracker->max_seq = seq;
  tracker->window = 1;
  return GST_RESILIENT_SEQ_RESTART;
}

GstResilientSeqVerdict
gst_resilient_seq_tracker_push (GstResilientSeqTracker * tracker,
    guint32 ssrc, guint16 seq)
{
  /* the distance on the 16-bit circle, -32768 … 32767 */
  gint delta;

  if (!tracker->started || ssrc != tracker->ssrc)
    return restart_at (tracker, ssrc, seq);

  delta = (gint16) (guint16) (seq - tracker->max_seq);
  if (delta > 0) {
    if (delta > GST_RESILIENT_SEQ_MAX_DROPOUT)
      return restart_at (tracker, ssrc, seq);
    tracker->window = delta >= GST_RESILIENT_SEQ_WINDOW ? 0 :
        tracker->window << delta;
    tracker->window |= 1;
    tracker->max_seq = seq;
    return GST_RESILIENT_SEQ_NEXT;
  }
  if (-delta >= GST_RESILIENT_SEQ_WINDOW)
    return restart_at (tracker, ssrc, seq);

  if (tracker->window & (G_GUINT64_CONSTANT (1) << -delta)) {
    tracker->duplicates++;
    return GST_RESILIENT_SEQ_DUPLICATE;
  }
  tracker->window |= G_GUINT64_CONSTANT (1) << -delta;
  tracker->reordered++;
  return GST_RESILIENT_SEQ_REORDERED;
}
