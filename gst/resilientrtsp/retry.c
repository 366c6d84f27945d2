/* resilientrtsp
 * retry.c: when and how to try again after the session was lost.
 *
 * One plain struct, no locks: the caller serialises the calls (the session
 * makes them on its I/O thread) and passes the time in.
 *
 * An outage starts with the first failure passed to
 * gst_resilient_retry_next() and ends with gst_resilient_retry_recovered()
 * or with a decision to give up; every further failure in between is a failed
 * attempt. Attempts are numbered from 1 per outage.
 *
 * All strategies:
 *  - a failure whose class is in the fail-fast set (settings->fail_fast;
 *    the element's default is every class whose action is FAIL: auth,
 *    forbidden, not-found, method-not-allowed, client-error, tls, bad-url,
 *    redirect, no-streams) gives up at once;
 *  - none (or max-attempts 0) gives up on the first failure; otherwise the
 *    failure that would schedule attempt max-attempts + 1 gives up;
 *  - after a give-up, get_attempts() still returns the attempts made until
 *    the next failure starts a new outage;
 *  - delays are capped at max-delay, and then raised to a Retry-After;
 *  - a failure whose action is RETRY_OTHER_TRANSPORT suggests the other
 *    transport: stalled on UDP → TCP, unsupported-transport on UDP → TCP and
 *    on TCP → UDP. Otherwise the fixed strategies have no preference (0).
 *
 * Auto mode (initial-delay, multiplier and jitter do not apply):
 *  - delay of attempt n, for an outage of age a (now − its first failure):
 *      n = 1: 0;  n ≥ 2: min (100 ms × 2^(n−2), ceiling (a)), where
 *      ceiling (a) = 200 ms while a < 10 s (young: 0, 100, 200, 200 ms …,
 *      so a server that is back is found within ~0.2 s — the recovery
 *      benchmark's goal is a median under 250 ms from the server accepting
 *      to the first buffer),
 *      200 ms + (a − 10 s) × 0.096 for 10 s ≤ a < 60 s (ageing: 0.2 → 5 s),
 *      a / 12 from 60 s on (old: 5 s at 1 min, 10 s at 2 min …);
 *  - circuit breaker: a server in a crash loop — the 3 latest recoveries
 *    each played less than 2 s before the next loss — gets that outage's
 *    delays as 1 s × 2^(n−1) (1, 2, 4 s …) instead, so a server that dies
 *    as soon as clients reconnect is not hammered. A camera that simply
 *    reboots often (each session playing a while) does not trip it;
 *  - max-delay caps it all, a Retry-After raises it;
 *  - transport, first rule that applies: the RETRY_OTHER_TRANSPORT rule
 *    above; on the first attempt of an outage, the transport of the latest
 *    recovery (or successful connection) reported to recovered(); after 2
 *    consecutive failed attempts on one transport (UDP or TCP), the other;
 *    else the transport in use (0 if unknown).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "retry.h"
#include "error.h"

GST_DEBUG_CATEGORY_STATIC (retry_debug);
#define GST_CAT_DEFAULT retry_debug

#define AUTO_STEP (100 * GST_MSECOND)
#define AUTO_YOUNG_AGE (10 * GST_SECOND)
#define AUTO_YOUNG_CEILING (200 * GST_MSECOND)
#define AUTO_AGEING_AGE (60 * GST_SECOND)
#define AUTO_AGEING_CEILING (5 * GST_SECOND)
#define BREAKER_RECOVERIES 3
#define BREAKER_SHORT_LIFE (2 * GST_SECOND)
#define BREAKER_DELAY (1 * GST_SECOND)
#define ALTERNATE_AFTER 2

struct _GstResilientRetry
{
  GstResilientRetrySettings settings;
  GRand *rand;

  /* the current outage */
  gboolean in_outage;
  GstClockTime outage_start;
  guint attempts;               /* scheduled in it; kept after a give-up */
  gboolean breaker;             /* auto: circuit open for this outage */
  GstRTSPLowerTrans streak_transport;
  guint streak;                 /* consecutive failed attempts on it */

  GstRTSPLowerTrans allowed;    /* suggestions are limited to these */

  /* history */
  guint recoveries;
  GstRTSPLowerTrans working_transport;  /* of the latest recovery, 0 = none */
  GstClockTime last_recovery;   /* NONE before the first */
  guint short_lives;            /* consecutive recoveries lost within BREAKER_SHORT_LIFE */
};

static const GEnumValue strategies[] = {
  {GST_RESILIENT_RETRY_NONE, "Never retry", "none"},
  {GST_RESILIENT_RETRY_IMMEDIATE, "Retry at once", "immediate"},
  {GST_RESILIENT_RETRY_FIXED, "Fixed delay", "fixed"},
  {GST_RESILIENT_RETRY_LINEAR, "Linearly growing delay", "linear"},
  {GST_RESILIENT_RETRY_EXPONENTIAL, "Exponentially growing delay",
      "exponential"},
  {GST_RESILIENT_RETRY_EXPONENTIAL_JITTER,
      "Exponentially growing delay with random jitter", "exponential-jitter"},
  {GST_RESILIENT_RETRY_AUTO, "Adapt to the history of this element", "auto"},
  {0, NULL, NULL}
};

GType
gst_resilient_retry_strategy_get_type (void)
{
  static GType type = 0;

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstResilientRetryStrategy", strategies);
    g_once_init_leave (&type, t);
  }
  return type;
}

static const gchar *
strategy_nick (GstResilientRetryStrategy strategy)
{
  guint i;

  for (i = 0; strategies[i].value_nick; i++) {
    if (strategies[i].value == (gint) strategy)
      return strategies[i].value_nick;
  }
  return "unknown";
}

static const gchar *
transport_name (GstRTSPLowerTrans t)
{
  if (t & GST_RTSP_LOWER_TRANS_HTTP)
    return "http-tunnel";
  if (t & GST_RTSP_LOWER_TRANS_TCP)
    return "tcp";
  if (t & GST_RTSP_LOWER_TRANS_UDP_MCAST)
    return "udp-multicast";
  if (t & GST_RTSP_LOWER_TRANS_UDP)
    return "udp";
  return "unknown";
}

static gboolean
is_udp (GstRTSPLowerTrans t)
{
  return (t & (GST_RTSP_LOWER_TRANS_UDP | GST_RTSP_LOWER_TRANS_UDP_MCAST)) != 0;
}

static GstRTSPLowerTrans
other_transport (GstRTSPLowerTrans t)
{
  if (t & GST_RTSP_LOWER_TRANS_TCP)
    return GST_RTSP_LOWER_TRANS_UDP;
  if (is_udp (t))
    return GST_RTSP_LOWER_TRANS_TCP;
  return 0;
}

/* "200 ms", "2.5 s" */
static void
append_time (GString * s, GstClockTime t)
{
  if (t < GST_SECOND)
    g_string_append_printf (s, "%u ms", (guint) (t / GST_MSECOND));
  else
    g_string_append_printf (s, "%" G_GUINT64_FORMAT ".%u s", t / GST_SECOND,
        (guint) ((t % GST_SECOND) / (100 * GST_MSECOND)));
}

GstResilientRetry *
gst_resilient_retry_new (const GstResilientRetrySettings * settings,
    guint32 seed)
{
  static gsize initialized = 0;
  GstResilientRetry *retry;

  g_return_val_if_fail (settings != NULL, NULL);

  if (g_once_init_enter (&initialized)) {
    GST_DEBUG_CATEGORY_INIT (retry_debug, "resilientrtspretry", 0,
        "resilientrtsp retry strategies");
    g_once_init_leave (&initialized, 1);
  }

  retry = g_new0 (GstResilientRetry, 1);
  retry->settings = *settings;
  if (!GST_CLOCK_TIME_IS_VALID (retry->settings.initial_delay))
    retry->settings.initial_delay = 0;
  if (retry->settings.multiplier < 1.0)
    retry->settings.multiplier = 1.0;
  retry->settings.jitter = CLAMP (retry->settings.jitter, 0.0, 1.0);
  retry->rand = g_rand_new_with_seed (seed);
  retry->allowed = GST_RTSP_LOWER_TRANS_UDP | GST_RTSP_LOWER_TRANS_UDP_MCAST |
      GST_RTSP_LOWER_TRANS_TCP | GST_RTSP_LOWER_TRANS_HTTP |
      GST_RTSP_LOWER_TRANS_TLS;
  retry->last_recovery = GST_CLOCK_TIME_NONE;
  return retry;
}

void
gst_resilient_retry_free (GstResilientRetry * retry)
{
  if (retry == NULL)
    return;
  g_rand_free (retry->rand);
  g_free (retry);
}

/* saturating */
static GstClockTime
to_time (gdouble d)
{
  if (d >= 18446744073709551615.0)
    return G_MAXUINT64;
  return (GstClockTime) (d + 0.5);
}

/* initial × multiplier^(n−1); only computed until it passes max-delay */
static GstClockTime
exponential_delay (const GstResilientRetrySettings * s, guint n)
{
  gdouble d = (gdouble) s->initial_delay;
  guint i;

  for (i = 1; i < n && d <= (gdouble) s->max_delay && s->multiplier > 1.0; i++)
    d *= s->multiplier;
  return to_time (d);
}

static GstClockTime
auto_ceiling (GstClockTime age)
{
  if (age < AUTO_YOUNG_AGE)
    return AUTO_YOUNG_CEILING;
  if (age < AUTO_AGEING_AGE)
    return AUTO_YOUNG_CEILING + gst_util_uint64_scale (age - AUTO_YOUNG_AGE,
        AUTO_AGEING_CEILING - AUTO_YOUNG_CEILING,
        AUTO_AGEING_AGE - AUTO_YOUNG_AGE);
  return age / 12;
}

/* At the start of an outage: did the session recovered last play only
 * briefly, for the BREAKER_RECOVERIES-th time in a row? */
static gboolean
is_flapping (GstResilientRetry * retry, GstClockTime now)
{
  if (GST_CLOCK_TIME_IS_VALID (retry->last_recovery) &&
      now >= retry->last_recovery &&
      now - retry->last_recovery < BREAKER_SHORT_LIFE)
    retry->short_lives++;
  else
    retry->short_lives = 0;
  return retry->short_lives >= BREAKER_RECOVERIES;
}

/* The RETRY_OTHER_TRANSPORT rule; 0 when it does not apply. */
static GstRTSPLowerTrans
switch_for_error (GstResilientErrorAction action, const GError * error,
    GstRTSPLowerTrans transport, const gchar ** why)
{
  if (action != GST_RESILIENT_ERROR_ACTION_RETRY_OTHER_TRANSPORT)
    return 0;
  if (is_udp (transport)) {
    *why = g_error_matches (error, GST_RESILIENT_ERROR,
        GST_RESILIENT_ERROR_STALLED) ? "UDP stalled" : "UDP not accepted";
    return GST_RTSP_LOWER_TRANS_TCP;
  }
  if ((transport & GST_RTSP_LOWER_TRANS_TCP) && g_error_matches (error,
          GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_UNSUPPORTED_TRANSPORT)) {
    *why = "TCP not accepted";
    return GST_RTSP_LOWER_TRANS_UDP;
  }
  return 0;
}

/* What a decision rests on, for its reason. */
typedef struct
{
  const gchar *why;             /* of the transport */
  gboolean backing_off;         /* auto: the outage's age limited the delay */
  gboolean capped;              /* max-delay limited the delay */
  gboolean retry_after;         /* a Retry-After raised the delay */
} Explanation;

static void
decide_auto (GstResilientRetry * retry, GstClockTime age, gboolean first,
    GstResilientErrorAction action, const GError * error,
    GstRTSPLowerTrans transport, GstResilientRetryDecision * d, Explanation * e)
{
  guint n = d->attempt;

  if (retry->breaker) {
    d->delay = BREAKER_DELAY << MIN (n - 1, 20);
  } else if (n == 1) {
    d->delay = 0;
  } else {
    GstClockTime ceiling = auto_ceiling (age);

    d->delay = AUTO_STEP << MIN (n - 2, 30);
    if (d->delay > ceiling && age >= AUTO_YOUNG_AGE)
      e->backing_off = TRUE;
    d->delay = MIN (d->delay, ceiling);
  }

  d->transport = switch_for_error (action, error, transport, &e->why);
  if (d->transport == 0 && first && retry->working_transport) {
    d->transport = retry->working_transport;
    e->why = "worked last time";
  }
  if (d->transport == 0 && !first && retry->streak >= ALTERNATE_AFTER &&
      other_transport (transport)) {
    d->transport = other_transport (transport);
    e->why = is_udp (transport) ? "UDP failed repeatedly" :
        "TCP failed repeatedly";
  }
  if (d->transport == 0)
    d->transport = transport;
}

void
gst_resilient_retry_next (GstResilientRetry * retry, GstClockTime now,
    const GError * error, GstRTSPLowerTrans transport,
    GstClockTime retry_after, GstResilientRetryDecision * decision)
{
  const GstResilientRetrySettings *s;
  GstResilientErrorAction action;
  const gchar *class_name = "unknown failure";
  Explanation e = { NULL, FALSE, FALSE, FALSE };
  gboolean first = FALSE;
  GstClockTime age;
  GString *r;

  g_return_if_fail (retry != NULL);
  g_return_if_fail (decision != NULL);

  s = &retry->settings;
  memset (decision, 0, sizeof (*decision));
  r = g_string_new (NULL);
  action = error ? gst_resilient_error_get_action (error) :
      GST_RESILIENT_ERROR_ACTION_RETRY;
  if (error && error->domain == GST_RESILIENT_ERROR)
    class_name = gst_resilient_error_code_nick (error->code);

  if (!retry->in_outage) {
    first = TRUE;
    retry->in_outage = TRUE;
    retry->outage_start = now;
    retry->attempts = 0;
    retry->streak = 0;
    retry->streak_transport = 0;
    retry->breaker = s->strategy == GST_RESILIENT_RETRY_AUTO &&
        is_flapping (retry, now);
  } else if (transport != 0 && transport == retry->streak_transport) {
    retry->streak++;
  } else {
    retry->streak_transport = transport;
    retry->streak = transport ? 1 : 0;
  }
  age = now > retry->outage_start ? now - retry->outage_start : 0;

  if (error && gst_resilient_error_in_classes (error, s->fail_fast)) {
    g_string_printf (r, "%s: fail fast, a retry cannot fix it", class_name);
    goto give_up;
  }
  if (s->strategy == GST_RESILIENT_RETRY_NONE) {
    g_string_printf (r, "none: retries disabled, giving up on %s", class_name);
    goto give_up;
  }
  if (s->max_attempts >= 0 && retry->attempts >= (guint) s->max_attempts) {
    g_string_printf (r, "%s: %u attempts made, max-attempts reached "
        "(last failure: %s)", strategy_nick (s->strategy), retry->attempts,
        class_name);
    goto give_up;
  }

  decision->attempt = ++retry->attempts;

  switch (s->strategy) {
    case GST_RESILIENT_RETRY_FIXED:
      decision->delay = s->initial_delay;
      break;
    case GST_RESILIENT_RETRY_LINEAR:
      if (s->initial_delay > G_MAXUINT64 / decision->attempt)
        decision->delay = G_MAXUINT64;
      else
        decision->delay = s->initial_delay * decision->attempt;
      break;
    case GST_RESILIENT_RETRY_EXPONENTIAL:
      decision->delay = exponential_delay (s, decision->attempt);
      break;
    case GST_RESILIENT_RETRY_EXPONENTIAL_JITTER:{
      gdouble f = 1.0 + g_rand_double_range (retry->rand, -s->jitter,
          s->jitter);

      /* the spread stays below max-delay too */
      decision->delay = MIN (exponential_delay (s, decision->attempt),
          s->max_delay);
      decision->delay = to_time (decision->delay * f);
      break;
    }
    case GST_RESILIENT_RETRY_AUTO:
      decide_auto (retry, age, first, action, error, transport, decision, &e);
      break;
    default:                   /* IMMEDIATE */
      decision->delay = 0;
      break;
  }
  if (s->strategy != GST_RESILIENT_RETRY_AUTO)
    decision->transport = switch_for_error (action, error, transport, &e.why);
  if (decision->delay > s->max_delay) {
    decision->delay = s->max_delay;
    e.capped = TRUE;
  }
  /* never suggest what the element may not use */
  if (decision->transport && !(decision->transport & retry->allowed)) {
    decision->transport = 0;
    e.why = NULL;
  }
  if (GST_CLOCK_TIME_IS_VALID (retry_after) && retry_after > decision->delay) {
    decision->delay = retry_after;
    e.retry_after = TRUE;
    e.capped = FALSE;
  }

  /* auto: outage 0.3 s old, attempt 3 in 200 ms over tcp (UDP stalled) */
  g_string_printf (r, "%s: ", strategy_nick (s->strategy));
  if (retry->breaker)
    g_string_append_printf (r, "server flapping (%u sessions in a row lost "
        "within 2 s of recovering), circuit open, ", retry->short_lives);
  if (s->strategy == GST_RESILIENT_RETRY_AUTO)
    g_string_append_printf (r, "outage %" G_GUINT64_FORMAT ".%u s old, ",
        age / GST_SECOND, (guint) ((age % GST_SECOND) / (100 * GST_MSECOND)));
  g_string_append_printf (r, "attempt %u ", decision->attempt);
  if (decision->delay == 0) {
    g_string_append (r, "at once");
  } else {
    g_string_append (r, "in ");
    append_time (r, decision->delay);
  }
  if (decision->transport)
    g_string_append_printf (r, " over %s",
        transport_name (decision->transport));
  if (e.why)
    g_string_append_printf (r, " (%s)", e.why);
  if (e.backing_off)
    g_string_append (r, ", backing off as the outage ages");
  if (e.capped)
    g_string_append (r, ", at max-delay");
  if (e.retry_after)
    g_string_append (r, ", as the server's Retry-After asks");

  GST_INFO ("%s: %s", class_name, r->str);
  decision->reason = g_string_free (r, FALSE);
  return;

give_up:
  retry->in_outage = FALSE;
  decision->give_up = TRUE;
  decision->attempt = retry->attempts;
  GST_INFO ("giving up: %s", r->str);
  decision->reason = g_string_free (r, FALSE);
}

void
gst_resilient_retry_set_allowed (GstResilientRetry * retry,
    GstRTSPLowerTrans allowed)
{
  g_return_if_fail (retry != NULL);

  retry->allowed = allowed;
}

GstClockTime
gst_resilient_retry_recovered (GstResilientRetry * retry, GstClockTime now,
    GstRTSPLowerTrans transport)
{
  GstClockTime duration;

  g_return_val_if_fail (retry != NULL, 0);

  if (transport != 0)
    retry->working_transport = transport;
  if (!retry->in_outage) {
    retry->attempts = 0;
    return 0;
  }

  duration = now > retry->outage_start ? now - retry->outage_start : 0;
  retry->in_outage = FALSE;
  retry->recoveries++;
  retry->last_recovery = now;
  GST_INFO ("recovered over %s after %u attempts, outage lasted %"
      GST_TIME_FORMAT, transport_name (transport), retry->attempts,
      GST_TIME_ARGS (duration));
  retry->attempts = 0;
  return duration;
}

guint
gst_resilient_retry_get_attempts (GstResilientRetry * retry)
{
  g_return_val_if_fail (retry != NULL, 0);

  return retry->attempts;
}

guint
gst_resilient_retry_get_recoveries (GstResilientRetry * retry)
{
  g_return_val_if_fail (retry != NULL, 0);

  return retry->recoveries;
}

void
gst_resilient_retry_decision_clear (GstResilientRetryDecision * decision)
{
  g_return_if_fail (decision != NULL);

  g_clear_pointer (&decision->reason, g_free);
}
