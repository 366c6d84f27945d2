/* resilientrtsp
 * tests/check/retry.c: unit tests for the retry strategies and auto mode.
 * Time is passed in; nothing sleeps.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/check/gstcheck.h>

#include "retry.h"
#include "error.h"

#define MS ((GstClockTime) GST_MSECOND)
#define S ((GstClockTime) GST_SECOND)
#define NONE GST_CLOCK_TIME_NONE
#define UDP GST_RTSP_LOWER_TRANS_UDP
#define TCP GST_RTSP_LOWER_TRANS_TCP
/* an arbitrary monotonic start, so that nothing relies on 0 */
#define T0 (1000 * S)

static GstResilientRetrySettings
settings_for (GstResilientRetryStrategy strategy)
{
  GstResilientRetrySettings s = { 0, };

  s.strategy = strategy;
  s.max_attempts = -1;
  s.initial_delay = 100 * MS;
  s.max_delay = 30 * S;
  s.multiplier = 2.0;
  s.jitter = 0.0;
  s.fail_fast = gst_resilient_error_classes_fail_default ();
  return s;
}

/* One failure of class @code at @now: fills @d, checks the reason. */
static void
fail_with (GstResilientRetry * retry, GstClockTime now,
    GstResilientErrorCode code, GstRTSPLowerTrans transport,
    GstClockTime retry_after, GstResilientRetryDecision * d)
{
  GError *err = g_error_new (GST_RESILIENT_ERROR, code, "test failure");

  gst_resilient_retry_next (retry, now, err, transport, retry_after, d);
  fail_unless (d->reason != NULL && d->reason[0] != '\0');
  GST_INFO ("%s → give-up %d attempt %u delay %" GST_TIME_FORMAT
      " transport %d: %s", gst_resilient_error_code_nick (code), d->give_up,
      d->attempt, GST_TIME_ARGS (d->delay), d->transport, d->reason);
  g_error_free (err);
}

/* Feeds @n refused failures 1 ms apart from @start; checks the delays. */
static void
check_sequence (GstResilientRetry * retry, GstClockTime start,
    const GstClockTime * expected, guint n)
{
  GstResilientRetryDecision d;
  guint i;

  for (i = 0; i < n; i++) {
    fail_with (retry, start + i * MS, GST_RESILIENT_ERROR_REFUSED, 0, NONE, &d);
    fail_if (d.give_up, "gave up on attempt %u: %s", i + 1, d.reason);
    fail_unless_equals_int (d.attempt, i + 1);
    fail_unless (d.delay == expected[i], "attempt %u: delay %" GST_TIME_FORMAT
        ", expected %" GST_TIME_FORMAT, i + 1, GST_TIME_ARGS (d.delay),
        GST_TIME_ARGS (expected[i]));
    gst_resilient_retry_decision_clear (&d);
    fail_unless (d.reason == NULL);
  }
  fail_unless_equals_int (gst_resilient_retry_get_attempts (retry), n);
}

static void
check_strategy (GstResilientRetrySettings * s, const GstClockTime * expected)
{
  GstResilientRetry *retry = gst_resilient_retry_new (s, 42);

  check_sequence (retry, T0, expected, 8);
  gst_resilient_retry_free (retry);
}

GST_START_TEST (test_enum)
{
  GEnumClass *klass = g_type_class_ref (GST_TYPE_RESILIENT_RETRY_STRATEGY);
  const gchar *nicks[] = { "none", "immediate", "fixed", "linear",
    "exponential", "exponential-jitter", "auto"
  };
  guint i;

  fail_unless_equals_int (klass->n_values, G_N_ELEMENTS (nicks));
  for (i = 0; i < G_N_ELEMENTS (nicks); i++) {
    GEnumValue *v = g_enum_get_value_by_nick (klass, nicks[i]);

    fail_unless (v != NULL, "no %s", nicks[i]);
    fail_unless_equals_int (v->value, i);
  }
  fail_unless_equals_int (g_enum_get_value_by_nick (klass, "auto")->value,
      GST_RESILIENT_RETRY_AUTO);
  g_type_class_unref (klass);
}

GST_END_TEST;

GST_START_TEST (test_fixed_strategies)
{
  GstResilientRetrySettings s;
  const GstClockTime immediate[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };
  const GstClockTime fixed[8] = { 100 * MS, 100 * MS, 100 * MS, 100 * MS,
    100 * MS, 100 * MS, 100 * MS, 100 * MS
  };
  const GstClockTime linear[8] = { 100 * MS, 200 * MS, 300 * MS, 400 * MS,
    500 * MS, 600 * MS, 700 * MS, 800 * MS
  };
  const GstClockTime exponential[8] = { 100 * MS, 200 * MS, 400 * MS,
    800 * MS, 1600 * MS, 3200 * MS, 6400 * MS, 12800 * MS
  };
  const GstClockTime exponential_1_5[8] = { 1000 * MS, 1500 * MS, 2250 * MS,
    3375 * MS, 5062500 * GST_USECOND, 7593750 * GST_USECOND,
    11390625 * GST_USECOND, 17085937500
  };

  s = settings_for (GST_RESILIENT_RETRY_IMMEDIATE);
  check_strategy (&s, immediate);
  s = settings_for (GST_RESILIENT_RETRY_FIXED);
  check_strategy (&s, fixed);
  s = settings_for (GST_RESILIENT_RETRY_LINEAR);
  check_strategy (&s, linear);
  s = settings_for (GST_RESILIENT_RETRY_EXPONENTIAL);
  check_strategy (&s, exponential);
  s.initial_delay = 1 * S;
  s.multiplier = 1.5;
  check_strategy (&s, exponential_1_5);
  /* the jitter setting only matters to exponential-jitter */
  s = settings_for (GST_RESILIENT_RETRY_EXPONENTIAL);
  s.jitter = 0.5;
  check_strategy (&s, exponential);
  /* and exponential-jitter without jitter is exponential */
  s.strategy = GST_RESILIENT_RETRY_EXPONENTIAL_JITTER;
  s.jitter = 0.0;
  check_strategy (&s, exponential);
}

GST_END_TEST;

GST_START_TEST (test_max_delay)
{
  GstResilientRetrySettings s;
  const GstClockTime fixed[8] = { 1 * S, 1 * S, 1 * S, 1 * S, 1 * S, 1 * S,
    1 * S, 1 * S
  };
  const GstClockTime linear[8] = { 300 * MS, 600 * MS, 900 * MS, 1 * S,
    1 * S, 1 * S, 1 * S, 1 * S
  };
  const GstClockTime exponential[8] = { 300 * MS, 600 * MS, 1 * S, 1 * S,
    1 * S, 1 * S, 1 * S, 1 * S
  };
  GstResilientRetry *retry;
  GstResilientRetryDecision d;
  guint i;

  s = settings_for (GST_RESILIENT_RETRY_FIXED);
  s.initial_delay = 3 * S;
  s.max_delay = 1 * S;
  check_strategy (&s, fixed);
  s.strategy = GST_RESILIENT_RETRY_LINEAR;
  s.initial_delay = 300 * MS;
  check_strategy (&s, linear);
  s.strategy = GST_RESILIENT_RETRY_EXPONENTIAL;
  check_strategy (&s, exponential);

  /* the reason says so */
  retry = gst_resilient_retry_new (&s, 1);
  fail_with (retry, T0, GST_RESILIENT_ERROR_REFUSED, 0, NONE, &d);
  fail_unless (strstr (d.reason, "max-delay") == NULL, "%s", d.reason);
  gst_resilient_retry_decision_clear (&d);
  fail_with (retry, T0 + S, GST_RESILIENT_ERROR_REFUSED, 0, NONE, &d);
  gst_resilient_retry_decision_clear (&d);
  fail_with (retry, T0 + 2 * S, GST_RESILIENT_ERROR_REFUSED, 0, NONE, &d);
  fail_unless (d.delay == 1 * S);
  fail_unless (strstr (d.reason, "at max-delay") != NULL, "%s", d.reason);
  gst_resilient_retry_decision_clear (&d);
  gst_resilient_retry_free (retry);

  /* far beyond the cap, no overflow */
  s.multiplier = 100.0;
  s.max_delay = 3600 * S;
  retry = gst_resilient_retry_new (&s, 1);
  for (i = 1; i <= 200; i++) {
    fail_with (retry, T0 + i * S, GST_RESILIENT_ERROR_REFUSED, 0, NONE, &d);
    fail_unless (d.delay <= 3600 * S);
    if (i >= 5)
      fail_unless (d.delay == 3600 * S);
    gst_resilient_retry_decision_clear (&d);
  }
  gst_resilient_retry_free (retry);

  s.strategy = GST_RESILIENT_RETRY_LINEAR;
  s.initial_delay = G_MAXUINT64 / 4;
  s.max_delay = G_MAXUINT64 / 2;
  retry = gst_resilient_retry_new (&s, 1);
  for (i = 1; i <= 5; i++) {
    fail_with (retry, T0 + i * S, GST_RESILIENT_ERROR_REFUSED, 0, NONE, &d);
    fail_unless (d.delay == (i <= 2 ? i * (G_MAXUINT64 / 4) : s.max_delay));
    gst_resilient_retry_decision_clear (&d);
  }
  gst_resilient_retry_free (retry);
}

GST_END_TEST;

static void
jitter_sequence (guint32 seed, GstClockTime * out, guint n)
{
  GstResilientRetrySettings s =
      settings_for (GST_RESILIENT_RETRY_EXPONENTIAL_JITTER);
  GstResilientRetry *retry;
  GstResilientRetryDecision d;
  guint i;

  s.jitter = 0.5;
  s.max_delay = 10 * S;
  retry = gst_resilient_retry_new (&s, seed);
  for (i = 0; i < n; i++) {
    GstClockTime base = MIN (100 * MS << i, 10 * S);

    fail_with (retry, T0 + i * S, GST_RESILIENT_ERROR_TIMEOUT, 0, NONE, &d);
    fail_if (d.give_up);
    fail_unless_equals_int (d.attempt, i + 1);
    fail_unless (d.delay >= base / 2 && d.delay <= MIN (base * 3 / 2, 10 * S),
        "attempt %u: %" GST_TIME_FORMAT " outside ±50 %% of %" GST_TIME_FORMAT,
        i + 1, GST_TIME_ARGS (d.delay), GST_TIME_ARGS (base));
    out[i] = d.delay;
    gst_resilient_retry_decision_clear (&d);
  }
  gst_resilient_retry_free (retry);
}

GST_START_TEST (test_exponential_jitter)
{
  GstClockTime a[12], b[12], c[12];
  guint i, differ = 0, off_base = 0;

  jitter_sequence (7, a, 12);
  jitter_sequence (7, b, 12);
  jitter_sequence (8, c, 12);
  for (i = 0; i < 12; i++) {
    fail_unless (a[i] == b[i], "same seed, attempt %u differs", i + 1);
    if (a[i] != c[i])
      differ++;
    if (a[i] != MIN (100 * MS << i, 10 * S))
      off_base++;
  }
  /* the jitter does something, and the seed matters */
  fail_unless (differ >= 8, "seeds 7 and 8 differ in %u delays only", differ);
  fail_unless (off_base >= 8, "only %u delays jittered", off_base);
}

GST_END_TEST;

GST_START_TEST (test_max_attempts)
{
  GstResilientRetrySettings s = settings_for (GST_RESILIENT_RETRY_FIXED);
  GstResilientRetry *retry;
  GstResilientRetryDecision d;
  guint i;

  s.max_attempts = 3;
  retry = gst_resilient_retry_new (&s, 1);
  for (i = 1; i <= 3; i++) {
    fail_with (retry, T0 + i * S, GST_RESILIENT_ERROR_REFUSED, 0, NONE, &d);
    fail_if (d.give_up);
    fail_unless_equals_int (d.attempt, i);
    gst_resilient_retry_decision_clear (&d);
  }
  fail_with (retry, T0 + 4 * S, GST_RESILIENT_ERROR_REFUSED, 0, NONE, &d);
  fail_unless (d.give_up);
  fail_unless_equals_int (d.attempt, 3);
  fail_unless (strstr (d.reason, "3 attempts made") != NULL, "%s", d.reason);
  fail_unless (strstr (d.reason, "max-attempts") != NULL, "%s", d.reason);
  gst_resilient_retry_decision_clear (&d);
  /* still readable after giving up (the session quotes it) */
  fail_unless_equals_int (gst_resilient_retry_get_attempts (retry), 3);
  fail_unless_equals_int (gst_resilient_retry_get_recoveries (retry), 0);
  fail_unless (gst_resilient_retry_recovered (retry, T0 + 5 * S, TCP) == 0);

  /* the next failure starts a new outage with a fresh budget */
  fail_with (retry, T0 + 10 * S, GST_RESILIENT_ERROR_REFUSED, 0, NONE, &d);
  fail_if (d.give_up);
  fail_unless_equals_int (d.attempt, 1);
  gst_resilient_retry_decision_clear (&d);
  gst_resilient_retry_free (retry);

  /* -1: forever */
  s.max_attempts = -1;
  s.strategy = GST_RESILIENT_RETRY_EXPONENTIAL;
  retry = gst_resilient_retry_new (&s, 1);
  for (i = 1; i <= 100; i++) {
    fail_with (retry, T0 + i * S, GST_RESILIENT_ERROR_CONNECTION_LOST, 0,
        NONE, &d);
    fail_if (d.give_up, "gave up on attempt %u", i);
    fail_unless_equals_int (d.attempt, i);
    fail_unless (d.delay == (i < 10 ? (100 * MS) << (i - 1) : 30 * S));
    gst_resilient_retry_decision_clear (&d);
  }
  gst_resilient_retry_free (retry);

  /* 0: like none */
  s.max_attempts = 0;
  retry = gst_resilient_retry_new (&s, 1);
  fail_with (retry, T0, GST_RESILIENT_ERROR_REFUSED, 0, NONE, &d);
  fail_unless (d.give_up);
  fail_unless_equals_int (d.attempt, 0);
  gst_resilient_retry_decision_clear (&d);
  gst_resilient_retry_free (retry);
}

GST_END_TEST;

GST_START_TEST (test_none)
{
  GstResilientRetrySettings s = settings_for (GST_RESILIENT_RETRY_NONE);
  GstResilientRetry *retry = gst_resilient_retry_new (&s, 1);
  GstResilientRetryDecision d;

  fail_with (retry, T0, GST_RESILIENT_ERROR_SESSION_GONE, TCP, NONE, &d);
  fail_unless (d.give_up);
  fail_unless_equals_int (d.attempt, 0);
  fail_unless (strstr (d.reason, "none") != NULL, "%s", d.reason);
  fail_unless_equals_int (gst_resilient_retry_get_attempts (retry), 0);
  gst_resilient_retry_decision_clear (&d);
  gst_resilient_retry_free (retry);
}

GST_END_TEST;

GST_START_TEST (test_fail_fast)
{
  const GstResilientErrorCode fatal[] = {
    GST_RESILIENT_ERROR_AUTH, GST_RESILIENT_ERROR_FORBIDDEN,
    GST_RESILIENT_ERROR_NOT_FOUND, GST_RESILIENT_ERROR_BAD_URL,
    GST_RESILIENT_ERROR_REDIRECT, GST_RESILIENT_ERROR_NO_STREAMS,
    /* also FAIL in the taxonomy */
    GST_RESILIENT_ERROR_METHOD_NOT_ALLOWED, GST_RESILIENT_ERROR_CLIENT_ERROR,
    GST_RESILIENT_ERROR_TLS,
  };
  const GstResilientErrorCode retryable[] = {
    GST_RESILIENT_ERROR_REFUSED, GST_RESILIENT_ERROR_SESSION_GONE,
    GST_RESILIENT_ERROR_SERVER_BUSY, GST_RESILIENT_ERROR_TIMEOUT,
    GST_RESILIENT_ERROR_CONNECTION_LOST, GST_RESILIENT_ERROR_STALLED,
    GST_RESILIENT_ERROR_DNS, GST_RESILIENT_ERROR_UNREACHABLE,
    GST_RESILIENT_ERROR_SERVER_ERROR, GST_RESILIENT_ERROR_PROTOCOL,
    GST_RESILIENT_ERROR_UNSUPPORTED_TRANSPORT,
  };
  GstResilientRetryStrategy strategy;
  GstResilientRetryDecision d;
  guint i;

  for (strategy = GST_RESILIENT_RETRY_IMMEDIATE;
      strategy <= GST_RESILIENT_RETRY_AUTO; strategy++) {
    GstResilientRetrySettings s = settings_for (strategy);
    GstResilientRetry *retry = gst_resilient_retry_new (&s, 1);

    for (i = 0; i < G_N_ELEMENTS (fatal); i++) {
      const gchar *nick = gst_resilient_error_code_nick (fatal[i]);

      fail_with (retry, T0 + i * S, fatal[i], TCP, NONE, &d);
      fail_unless (d.give_up, "%s retried", nick);
      fail_unless (strstr (d.reason, nick) != NULL, "%s", d.reason);
      gst_resilient_retry_decision_clear (&d);
    }
    /* also in the middle of an outage */
    fail_with (retry, T0 + 100 * S, GST_RESILIENT_ERROR_REFUSED, TCP, NONE, &d);
    gst_resilient_retry_decision_clear (&d);
    fail_with (retry, T0 + 101 * S, GST_RESILIENT_ERROR_AUTH, TCP, NONE, &d);
    fail_unless (d.give_up);
    fail_unless_equals_int (d.attempt, 1);
    gst_resilient_retry_decision_clear (&d);

    for (i = 0; i < G_N_ELEMENTS (retryable); i++) {
      fail_with (retry, T0 + (200 + i) * S, retryable[i], TCP, NONE, &d);
      fail_if (d.give_up, "%s: gave up: %s",
          gst_resilient_error_code_nick (retryable[i]), d.reason);
      fail_unless_equals_int (d.attempt, i + 1);
      gst_resilient_retry_decision_clear (&d);
    }
    gst_resilient_retry_free (retry);
  }
}

GST_END_TEST;

/* fail-fast is a setting: a camera that answers 404 while it boots can be
 * retried, and refused can be made fatal */
GST_START_TEST (test_fail_fast_custom)
{
  GstResilientRetrySettings s = settings_for (GST_RESILIENT_RETRY_FIXED);
  GstResilientRetry *retry;
  GstResilientRetryDecision d;

  s.fail_fast = GST_RESILIENT_ERROR_CLASS (GST_RESILIENT_ERROR_REFUSED);
  retry = gst_resilient_retry_new (&s, 1);

  fail_with (retry, T0, GST_RESILIENT_ERROR_NOT_FOUND, TCP, NONE, &d);
  fail_if (d.give_up, "%s", d.reason);
  fail_unless_equals_int (d.attempt, 1);
  gst_resilient_retry_decision_clear (&d);
  fail_with (retry, T0 + S, GST_RESILIENT_ERROR_AUTH, TCP, NONE, &d);
  fail_if (d.give_up, "%s", d.reason);
  fail_unless_equals_int (d.attempt, 2);
  gst_resilient_retry_decision_clear (&d);
  fail_with (retry, T0 + 2 * S, GST_RESILIENT_ERROR_REFUSED, TCP, NONE, &d);
  fail_unless (d.give_up);
  fail_unless (strstr (d.reason, "refused") != NULL, "%s", d.reason);
  gst_resilient_retry_decision_clear (&d);
  gst_resilient_retry_free (retry);

  /* an empty set: nothing fails fast */
  s.fail_fast = 0;
  retry = gst_resilient_retry_new (&s, 1);
  fail_with (retry, T0, GST_RESILIENT_ERROR_TLS, TCP, NONE, &d);
  fail_if (d.give_up, "%s", d.reason);
  gst_resilient_retry_decision_clear (&d);
  gst_resilient_retry_free (retry);
}

GST_END_TEST;

GST_START_TEST (test_foreign_error)
{
  GstResilientRetrySettings s = settings_for (GST_RESILIENT_RETRY_FIXED);
  GstResilientRetry *retry = gst_resilient_retry_new (&s, 1);
  GstResilientRetryDecision d;
  GError *err = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "other domain");

  gst_resilient_retry_next (retry, T0, err, 0, NONE, &d);
  fail_if (d.give_up);
  fail_unless (d.delay == 100 * MS);
  gst_resilient_retry_decision_clear (&d);
  gst_resilient_retry_next (retry, T0 + S, NULL, 0, NONE, &d);
  fail_if (d.give_up);
  fail_unless_equals_int (d.attempt, 2);
  gst_resilient_retry_decision_clear (&d);
  g_error_free (err);
  gst_resilient_retry_free (retry);
}

GST_END_TEST;

GST_START_TEST (test_retry_after)
{
  GstResilientRetryStrategy strategy;
  GstResilientRetryDecision d;

  for (strategy = GST_RESILIENT_RETRY_IMMEDIATE;
      strategy <= GST_RESILIENT_RETRY_AUTO; strategy++) {
    GstResilientRetrySettings s = settings_for (strategy);
    GstResilientRetry *retry = gst_resilient_retry_new (&s, 1);

    /* raises a short delay */
    fail_with (retry, T0, GST_RESILIENT_ERROR_SERVER_BUSY, 0, 5 * S, &d);
    fail_if (d.give_up);
    fail_unless (d.delay == 5 * S, "%s: %" GST_TIME_FORMAT, d.reason,
        GST_TIME_ARGS (d.delay));
    fail_unless (strstr (d.reason, "Retry-After") != NULL, "%s", d.reason);
    gst_resilient_retry_decision_clear (&d);
    /* even beyond max-delay */
    fail_with (retry, T0 + 5 * S, GST_RESILIENT_ERROR_SERVER_BUSY, 0,
        120 * S, &d);
    fail_unless (d.delay == 120 * S);
    gst_resilient_retry_decision_clear (&d);
    /* a shorter one does not lower the delay */
    fail_with (retry, T0 + 125 * S, GST_RESILIENT_ERROR_SERVER_BUSY, 0, 0, &d);
    fail_unless_equals_int (d.attempt, 3);
    if (strategy == GST_RESILIENT_RETRY_LINEAR)
      fail_unless (d.delay == 300 * MS);
    if (strategy == GST_RESILIENT_RETRY_EXPONENTIAL)
      fail_unless (d.delay == 400 * MS);
    fail_unless (strstr (d.reason, "Retry-After") == NULL, "%s", d.reason);
    gst_resilient_retry_decision_clear (&d);
    gst_resilient_retry_free (retry);
  }
}

GST_END_TEST;

GST_START_TEST (test_recovered)
{
  GstResilientRetrySettings s = settings_for (GST_RESILIENT_RETRY_LINEAR);
  GstResilientRetry *retry = gst_resilient_retry_new (&s, 1);
  const GstClockTime linear[3] = { 100 * MS, 200 * MS, 300 * MS };

  /* nothing to recover from */
  fail_unless (gst_resilient_retry_recovered (retry, T0, TCP) == 0);
  fail_unless_equals_int (gst_resilient_retry_get_recoveries (retry), 0);
  fail_unless_equals_int (gst_resilient_retry_get_attempts (retry), 0);

  check_sequence (retry, T0, linear, 3);
  fail_unless (gst_resilient_retry_recovered (retry, T0 + 2500 * MS, TCP) ==
      2500 * MS);
  fail_unless_equals_int (gst_resilient_retry_get_recoveries (retry), 1);
  fail_unless_equals_int (gst_resilient_retry_get_attempts (retry), 0);
  fail_unless (gst_resilient_retry_recovered (retry, T0 + 3 * S, TCP) == 0);
  fail_unless_equals_int (gst_resilient_retry_get_recoveries (retry), 1);

  /* numbering starts again */
  check_sequence (retry, T0 + 10 * S, linear, 3);
  fail_unless (gst_resilient_retry_recovered (retry, T0 + 70 * S, UDP) ==
      60 * S);
  fail_unless_equals_int (gst_resilient_retry_get_recoveries (retry), 2);
  gst_resilient_retry_free (retry);
}

GST_END_TEST;

GST_START_TEST (test_fixed_transport)
{
  GstResilientRetrySettings s = settings_for (GST_RESILIENT_RETRY_FIXED);
  GstResilientRetry *retry = gst_resilient_retry_new (&s, 1);
  GstResilientRetryDecision d;

  fail_with (retry, T0, GST_RESILIENT_ERROR_STALLED, UDP, NONE, &d);
  fail_unless_equals_int (d.transport, TCP);
  gst_resilient_retry_decision_clear (&d);
  fail_with (retry, T0 + S, GST_RESILIENT_ERROR_UNSUPPORTED_TRANSPORT, TCP,
      NONE, &d);
  fail_unless_equals_int (d.transport, UDP);
  gst_resilient_retry_decision_clear (&d);
  fail_with (retry, T0 + 2 * S, GST_RESILIENT_ERROR_STALLED, TCP, NONE, &d);
  fail_unless_equals_int (d.transport, 0);
  gst_resilient_retry_decision_clear (&d);
  fail_with (retry, T0 + 3 * S, GST_RESILIENT_ERROR_REFUSED, UDP, NONE, &d);
  fail_unless_equals_int (d.transport, 0);
  gst_resilient_retry_decision_clear (&d);
  gst_resilient_retry_free (retry);
}

GST_END_TEST;

GST_START_TEST (test_auto_young)
{
  GstResilientRetrySettings s = settings_for (GST_RESILIENT_RETRY_AUTO);
  const GstClockTime young[8] = { 0, 100 * MS, 200 * MS, 200 * MS, 200 * MS,
    200 * MS, 200 * MS, 200 * MS
  };
  GstResilientRetry *retry;

  /* initial-delay, multiplier and jitter do not apply */
  s.initial_delay = 5 * S;
  s.multiplier = 10.0;
  s.jitter = 0.9;
  retry = gst_resilient_retry_new (&s, 1);
  check_sequence (retry, T0, young, 8);
  gst_resilient_retry_recovered (retry, T0 + 5 * S, 0);
  gst_resilient_retry_free (retry);

  /* max-delay still caps */
  s.max_delay = 150 * MS;
  retry = gst_resilient_retry_new (&s, 1);
  {
    const GstClockTime capped[8] = { 0, 100 * MS, 150 * MS, 150 * MS,
      150 * MS, 150 * MS, 150 * MS, 150 * MS
    };
    check_sequence (retry, T0, capped, 8);
  }
  gst_resilient_retry_free (retry);
}

GST_END_TEST;

/* Failures once per @step from T0 until @until; returns the last decision's
 * delay for the failure at @until. */
static GstClockTime
auto_delay_at (GstResilientRetry * retry, GstClockTime step,
    GstClockTime until, gchar ** reason)
{
  GstResilientRetryDecision d;
  GstClockTime t;

  for (t = T0; t < T0 + until; t += step) {
    fail_with (retry, t, GST_RESILIENT_ERROR_REFUSED, TCP, NONE, &d);
    fail_if (d.give_up);
    gst_resilient_retry_decision_clear (&d);
  }
  fail_with (retry, T0 + until, GST_RESILIENT_ERROR_REFUSED, TCP, NONE, &d);
  *reason = g_strdup (d.reason);
  gst_resilient_retry_decision_clear (&d);
  return d.delay;
}

GST_START_TEST (test_auto_ageing)
{
  GstResilientRetrySettings s = settings_for (GST_RESILIENT_RETRY_AUTO);
  const struct
  {
    GstClockTime age;
    GstClockTime delay;
  } table[] = {
    {9 * S, 200 * MS},
    {10 * S, 200 * MS},
    {35 * S, 2600 * MS},        /* 0.2 s + 25 s × 0.096 */
    {60 * S, 5 * S},
    {120 * S, 10 * S},          /* age / 12 */
    {300 * S, 25 * S},
    {600 * S, 30 * S},          /* max-delay */
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (table); i++) {
    GstResilientRetry *retry = gst_resilient_retry_new (&s, 1);
    gchar *reason = NULL;
    GstClockTime delay = auto_delay_at (retry, 500 * MS, table[i].age,
        &reason);

    fail_unless (delay == table[i].delay, "age %" GST_TIME_FORMAT ": %"
        GST_TIME_FORMAT ", expected %" GST_TIME_FORMAT " (%s)",
        GST_TIME_ARGS (table[i].age), GST_TIME_ARGS (delay),
        GST_TIME_ARGS (table[i].delay), reason);
    if (table[i].age > 10 * S)
      fail_unless (strstr (reason, "backing off") != NULL, "%s", reason);
    g_free (reason);
    gst_resilient_retry_free (retry);
  }

  /* slow attempts: the attempt count limits the delay, not the age */
  {
    GstResilientRetry *retry = gst_resilient_retry_new (&s, 1);
    gchar *reason = NULL;

    /* failures at 0, 20, 40 s: attempt 3 → 200 ms although 40 s old */
    fail_unless (auto_delay_at (retry, 20 * S, 40 * S, &reason) == 200 * MS);
    g_free (reason);
    gst_resilient_retry_free (retry);
  }
}

GST_END_TEST;

GST_START_TEST (test_auto_transport)
{
  GstResilientRetrySettings s = settings_for (GST_RESILIENT_RETRY_AUTO);
  GstResilientRetry *retry = gst_resilient_retry_new (&s, 1);
  GstResilientRetryDecision d;

  /* outage 1: UDP stalls → TCP */
  fail_with (retry, T0, GST_RESILIENT_ERROR_STALLED, UDP, NONE, &d);
  fail_if (d.give_up);
  fail_unless_equals_int (d.transport, TCP);
  fail_unless (d.delay == 0);
  fail_unless (strstr (d.reason, "tcp") != NULL, "%s", d.reason);
  fail_unless (strstr (d.reason, "UDP stalled") != NULL, "%s", d.reason);
  gst_resilient_retry_decision_clear (&d);
  /* a refused TCP attempt keeps TCP */
  fail_with (retry, T0 + 10 * MS, GST_RESILIENT_ERROR_REFUSED, TCP, NONE, &d);
  fail_unless_equals_int (d.transport, TCP);
  gst_resilient_retry_decision_clear (&d);
  fail_unless (gst_resilient_retry_recovered (retry, T0 + 200 * MS, TCP) ==
      200 * MS);

  /* outage 2, long after: the first attempt uses what worked */
  fail_with (retry, T0 + 600 * S, GST_RESILIENT_ERROR_CONNECTION_LOST, 0,
      NONE, &d);
  fail_unless_equals_int (d.transport, TCP);
  fail_unless (strstr (d.reason, "worked last time") != NULL, "%s", d.reason);
  gst_resilient_retry_decision_clear (&d);
  /* two failed attempts over TCP → try UDP */
  fail_with (retry, T0 + 601 * S, GST_RESILIENT_ERROR_SERVER_ERROR, TCP,
      NONE, &d);
  fail_unless_equals_int (d.transport, TCP);
  gst_resilient_retry_decision_clear (&d);
  fail_with (retry, T0 + 602 * S, GST_RESILIENT_ERROR_SERVER_ERROR, TCP,
      NONE, &d);
  fail_unless_equals_int (d.transport, UDP);
  fail_unless (strstr (d.reason, "udp") != NULL, "%s", d.reason);
  gst_resilient_retry_decision_clear (&d);
  /* one UDP failure keeps UDP, the second goes back to TCP */
  fail_with (retry, T0 + 603 * S, GST_RESILIENT_ERROR_TIMEOUT, UDP, NONE, &d);
  fail_unless_equals_int (d.transport, UDP);
  gst_resilient_retry_decision_clear (&d);
  fail_with (retry, T0 + 604 * S, GST_RESILIENT_ERROR_TIMEOUT, UDP, NONE, &d);
  fail_unless_equals_int (d.transport, TCP);
  gst_resilient_retry_decision_clear (&d);
  /* unknown transport: no preference */
  fail_with (retry, T0 + 605 * S, GST_RESILIENT_ERROR_TIMEOUT, 0, NONE, &d);
  fail_unless_equals_int (d.transport, 0);
  gst_resilient_retry_decision_clear (&d);
  fail_unless (gst_resilient_retry_recovered (retry, T0 + 606 * S, UDP) ==
      6 * S);

  /* outage 3: UDP worked last; a stall on it still means TCP */
  fail_with (retry, T0 + 900 * S, GST_RESILIENT_ERROR_CONNECTION_LOST, UDP,
      NONE, &d);
  fail_unless_equals_int (d.transport, UDP);
  gst_resilient_retry_decision_clear (&d);
  gst_resilient_retry_recovered (retry, T0 + 901 * S, UDP);
  fail_with (retry, T0 + 1000 * S, GST_RESILIENT_ERROR_STALLED, UDP, NONE, &d);
  fail_unless_equals_int (d.transport, TCP);
  gst_resilient_retry_decision_clear (&d);
  gst_resilient_retry_free (retry);
}

GST_END_TEST;

/* An outage at @t, recovered 100 ms later; returns the first delay. */
static GstClockTime
short_outage (GstResilientRetry * retry, GstClockTime t, gchar ** reason)
{
  GstResilientRetryDecision d;
  GstClockTime delay;

  fail_with (retry, t, GST_RESILIENT_ERROR_CONNECTION_LOST, TCP, NONE, &d);
  fail_if (d.give_up);
  delay = d.delay;
  if (reason)
    *reason = g_strdup (d.reason);
  gst_resilient_retry_decision_clear (&d);
  gst_resilient_retry_recovered (retry, t + 100 * MS, TCP);
  return delay;
}

GST_START_TEST (test_allowed_transports)
{
  GstResilientRetrySettings s = settings_for (GST_RESILIENT_RETRY_AUTO);
  GstResilientRetry *retry = gst_resilient_retry_new (&s, 1);
  GstResilientRetryDecision d;

  /* protocols=udp: a UDP stall cannot move to TCP */
  gst_resilient_retry_set_allowed (retry, UDP);
  fail_with (retry, T0, GST_RESILIENT_ERROR_STALLED, UDP, NONE, &d);
  fail_if (d.give_up);
  fail_unless_equals_int (d.transport, 0);
  fail_if (strstr (d.reason, "tcp") != NULL, "%s", d.reason);
  gst_resilient_retry_decision_clear (&d);
  /* nor does alternation after repeated failures */
  fail_with (retry, T0 + 10 * MS, GST_RESILIENT_ERROR_REFUSED, UDP, NONE, &d);
  gst_resilient_retry_decision_clear (&d);
  fail_with (retry, T0 + 20 * MS, GST_RESILIENT_ERROR_REFUSED, UDP, NONE, &d);
  gst_resilient_retry_decision_clear (&d);
  fail_with (retry, T0 + 30 * MS, GST_RESILIENT_ERROR_REFUSED, UDP, NONE, &d);
  fail_unless (d.transport == 0 || d.transport == UDP, "%d", d.transport);
  fail_if (strstr (d.reason, "tcp") != NULL, "%s", d.reason);
  gst_resilient_retry_decision_clear (&d);

  gst_resilient_retry_free (retry);
}

GST_END_TEST;

GST_START_TEST (test_auto_circuit_breaker)
{
  GstResilientRetrySettings s = settings_for (GST_RESILIENT_RETRY_AUTO);
  GstResilientRetry *retry = gst_resilient_retry_new (&s, 1);
  GstResilientRetryDecision d;
  gchar *reason = NULL;

  /* a camera that reboots often, each session playing ~10 s: no breaker */
  fail_unless (short_outage (retry, T0, NULL) == 0);
  fail_unless (short_outage (retry, T0 + 10 * S, NULL) == 0);
  fail_unless (short_outage (retry, T0 + 20 * S, NULL) == 0);
  fail_unless (short_outage (retry, T0 + 30 * S, NULL) == 0);

  /* a crash loop: sessions lost 0.9 s after recovering, three in a row */
  fail_unless (short_outage (retry, T0 + 40 * S, NULL) == 0);
  fail_unless (short_outage (retry, T0 + 41 * S, NULL) == 0);
  fail_unless (short_outage (retry, T0 + 42 * S, NULL) == 0);
  fail_unless_equals_int (gst_resilient_retry_get_recoveries (retry), 7);

  /* the third short life opens the circuit: waits, and backs off */
  fail_with (retry, T0 + 43 * S, GST_RESILIENT_ERROR_CONNECTION_LOST, TCP,
      NONE, &d);
  fail_unless (d.delay == 1 * S, "%s", d.reason);
  fail_unless (strstr (d.reason, "circuit open") != NULL, "%s", d.reason);
  gst_resilient_retry_decision_clear (&d);
  fail_with (retry, T0 + 44 * S, GST_RESILIENT_ERROR_REFUSED, TCP, NONE, &d);
  fail_unless (d.delay == 2 * S);
  gst_resilient_retry_decision_clear (&d);
  fail_with (retry, T0 + 46 * S, GST_RESILIENT_ERROR_REFUSED, TCP, NONE, &d);
  fail_unless (d.delay == 4 * S);
  gst_resilient_retry_decision_clear (&d);
  gst_resilient_retry_recovered (retry, T0 + 50 * S, TCP);

  /* lost again 0.9 s later: still open */
  fail_unless (short_outage (retry, T0 + 51 * S, &reason) == 1 * S);
  g_free (reason);
  /* a session that played for a while closes it again */
  fail_unless (short_outage (retry, T0 + 60 * S, &reason) == 0);
  fail_unless (strstr (reason, "circuit") == NULL, "%s", reason);
  g_free (reason);

  gst_resilient_retry_free (retry);

  /* max-delay caps the breaker too */
  s.max_delay = 500 * MS;
  retry = gst_resilient_retry_new (&s, 1);
  short_outage (retry, T0, NULL);
  short_outage (retry, T0 + 1 * S, NULL);
  short_outage (retry, T0 + 2 * S, NULL);
  fail_unless (short_outage (retry, T0 + 3 * S, NULL) == 500 * MS);
  gst_resilient_retry_free (retry);
}

GST_END_TEST;

GST_START_TEST (test_auto_max_attempts)
{
  GstResilientRetrySettings s = settings_for (GST_RESILIENT_RETRY_AUTO);
  GstResilientRetry *retry;
  GstResilientRetryDecision d;
  guint i;

  s.max_attempts = 2;
  retry = gst_resilient_retry_new (&s, 1);
  for (i = 1; i <= 2; i++) {
    fail_with (retry, T0 + i * MS, GST_RESILIENT_ERROR_REFUSED, UDP, NONE, &d);
    fail_if (d.give_up);
    gst_resilient_retry_decision_clear (&d);
  }
  fail_with (retry, T0 + 3 * MS, GST_RESILIENT_ERROR_REFUSED, UDP, NONE, &d);
  fail_unless (d.give_up);
  fail_unless_equals_int (d.attempt, 2);
  gst_resilient_retry_decision_clear (&d);
  gst_resilient_retry_free (retry);
}

GST_END_TEST;

static Suite *
retry_suite (void)
{
  Suite *s = suite_create ("retry");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_enum);
  tcase_add_test (tc, test_fixed_strategies);
  tcase_add_test (tc, test_max_delay);
  tcase_add_test (tc, test_exponential_jitter);
  tcase_add_test (tc, test_max_attempts);
  tcase_add_test (tc, test_none);
  tcase_add_test (tc, test_fail_fast);
  tcase_add_test (tc, test_fail_fast_custom);
  tcase_add_test (tc, test_foreign_error);
  tcase_add_test (tc, test_retry_after);
  tcase_add_test (tc, test_recovered);
  tcase_add_test (tc, test_fixed_transport);
  tcase_add_test (tc, test_auto_young);
  tcase_add_test (tc, test_auto_ageing);
  tcase_add_test (tc, test_auto_transport);
  tcase_add_test (tc, test_allowed_transports);
  tcase_add_test (tc, test_auto_circuit_breaker);
  tcase_add_test (tc, test_auto_max_attempts);

  return s;
}

GST_CHECK_MAIN (retry);
