/* resilientrtsp
 * retry.h: when and how to try again after the session was lost — the retry
 * strategies and the adaptive auto mode. Pure: no I/O, no pads, no clocks;
 * the caller passes the current time in, so tests drive it deterministically.
 */
#pragma once

#include <gst/gst.h>
#include <gst/rtsp/rtsp.h>

G_BEGIN_DECLS

/**
 * GstResilientRetryStrategy:
 * @GST_RESILIENT_RETRY_NONE: never retry; the first loss is an error
 * @GST_RESILIENT_RETRY_IMMEDIATE: retry at once (delay 0) every time
 * @GST_RESILIENT_RETRY_FIXED: initial-delay every time
 * @GST_RESILIENT_RETRY_LINEAR: initial-delay × attempt
 * @GST_RESILIENT_RETRY_EXPONENTIAL: initial-delay × multiplier^(attempt-1)
 * @GST_RESILIENT_RETRY_EXPONENTIAL_JITTER: exponential, then ± jitter fraction
 * @GST_RESILIENT_RETRY_AUTO: adapts to this element's history (see retry.c)
 *
 * Every delay is capped at max-delay.
 */
typedef enum
{
  GST_RESILIENT_RETRY_NONE,
  GST_RESILIENT_RETRY_IMMEDIATE,
  GST_RESILIENT_RETRY_FIXED,
  GST_RESILIENT_RETRY_LINEAR,
  GST_RESILIENT_RETRY_EXPONENTIAL,
  GST_RESILIENT_RETRY_EXPONENTIAL_JITTER,
  GST_RESILIENT_RETRY_AUTO,
} GstResilientRetryStrategy;

#define GST_TYPE_RESILIENT_RETRY_STRATEGY (gst_resilient_retry_strategy_get_type ())
G_GNUC_INTERNAL GType gst_resilient_retry_strategy_get_type (void);

typedef struct
{
  GstResilientRetryStrategy strategy;
  gint max_attempts;            /* per outage; -1 = forever, 0 = like NONE */
  GstClockTime initial_delay;
  GstClockTime max_delay;
  gdouble multiplier;           /* exponential growth, >= 1.0 */
  gdouble jitter;               /* 0..1: delay × (1 ± jitter·u), u uniform in [0,1) */
  guint fail_fast;              /* GstResilientErrorClasses that give up at once */
} GstResilientRetrySettings;

typedef struct
{
  gboolean give_up;             /* no more attempts: report the error */
  guint attempt;                /* 1-based number of the attempt scheduled */
  GstClockTime delay;           /* wait this long before it */
  GstRTSPLowerTrans transport;  /* transport to use, 0 = no preference */
  gchar *reason;                /* why (auto mode explains itself), g_free */
} GstResilientRetryDecision;

typedef struct _GstResilientRetry GstResilientRetry;

/* @seed makes the jitter reproducible (tests); pass g_random_int () otherwise. */
G_GNUC_INTERNAL GstResilientRetry *gst_resilient_retry_new (const GstResilientRetrySettings * settings,
    guint32 seed);
G_GNUC_INTERNAL void gst_resilient_retry_free (GstResilientRetry * retry);

/**
 * gst_resilient_retry_next:
 * @now: monotonic time of the failure
 * @error: the failure (GST_RESILIENT_ERROR domain); its class decides:
 *   the classes in settings->fail_fast give up at once (by default those
 *   whose gst_resilient_error_get_action() is FAIL: auth, forbidden,
 *   not-found, method-not-allowed, client-error, tls, bad-url, redirect,
 *   no-streams — see gst_resilient_error_classes_fail_default());
 *   everything else retries.
 * @transport: the transport that was in use or being tried (0 if unknown)
 * @retry_after: a 503's Retry-After, GST_CLOCK_TIME_NONE if none; the delay
 *   is at least this (even beyond max-delay).
 *
 * Called for each failure of an outage: the first starts the outage, each
 * further one counts as a failed attempt. Fills @decision.
 */
G_GNUC_INTERNAL void gst_resilient_retry_next (GstResilientRetry * retry, GstClockTime now,
    const GError * error, GstRTSPLowerTrans transport, GstClockTime retry_after,
    GstResilientRetryDecision * decision);

/**
 * gst_resilient_retry_recovered:
 * The session plays again at @now over @transport: the outage is over.
 * Returns its duration (from its first failure), 0 if there was none.
 */
G_GNUC_INTERNAL GstClockTime gst_resilient_retry_recovered (GstResilientRetry * retry,
    GstClockTime now, GstRTSPLowerTrans transport);

/* The transports the element may use (from `protocols` and the URL):
 * decisions never suggest another one. Default: all. */
G_GNUC_INTERNAL void gst_resilient_retry_set_allowed (GstResilientRetry * retry,
    GstRTSPLowerTrans allowed);

/* Attempts made in the current outage (0 when none is going on). */
G_GNUC_INTERNAL guint gst_resilient_retry_get_attempts (GstResilientRetry * retry);
/* Outages recovered since creation. */
G_GNUC_INTERNAL guint gst_resilient_retry_get_recoveries (GstResilientRetry * retry);

G_GNUC_INTERNAL void gst_resilient_retry_decision_clear (GstResilientRetryDecision * decision);

G_END_DECLS
