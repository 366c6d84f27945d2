/* resilientrtsp
 * racer.h: connection racing — which attempts to start when, which one
 * wins, which ones to cancel. Pure: no I/O, no sessions, no clock; the
 * caller reports what its attempts did and passes the time in, and pulls
 * the actions to carry out. (The session glue that runs real attempts is
 * separate.)
 *
 * An attempt is one full path to a playing session: an address (or "any":
 * resolve and try them in turn) and one lower transport, possibly a
 * staggered duplicate of another. Attempts start in the order they were
 * added, one every `stagger`, at most `max_parallel` at once; an attempt
 * that fails frees its slot, and the next one starts at once.
 *
 * Modes:
 *  - none: the first attempt alone; no racing (the others never start).
 *  - first-wins: the first attempt to deliver data wins (a session that
 *    answered PLAY but gets no RTP — UDP blocked — does not win); every
 *    other attempt is cancelled, and the ones not started never start.
 *  - last-wins: for devices that keep only their newest session. Every
 *    attempt that delivers data becomes the current one and replaces the
 *    previous (which is cancelled); the race ends when all attempts are
 *    done, and the newest that delivered data is the winner.
 *
 * When every attempt failed, the race fails with one error (see
 * gst_resilient_racer_take_error ()).
 */
#pragma once

#include <gst/gst.h>
#include <gst/rtsp/rtsp.h>

G_BEGIN_DECLS

/**
 * GstResilientRaceMode:
 * @GST_RESILIENT_RACE_NONE: no racing
 * @GST_RESILIENT_RACE_FIRST_WINS: the first attempt with data wins
 * @GST_RESILIENT_RACE_LAST_WINS: the newest attempt with data wins
 */
typedef enum
{
  GST_RESILIENT_RACE_NONE,
  GST_RESILIENT_RACE_FIRST_WINS,
  GST_RESILIENT_RACE_LAST_WINS,
} GstResilientRaceMode;

#define GST_TYPE_RESILIENT_RACE_MODE (gst_resilient_race_mode_get_type ())
G_GNUC_INTERNAL GType gst_resilient_race_mode_get_type (void);

typedef enum
{
  GST_RESILIENT_RACE_START,     /* start attempt `id` */
  GST_RESILIENT_RACE_CANCEL,    /* tear attempt `id` down (it lost) */
  GST_RESILIENT_RACE_WIN,       /* attempt `id` is the one to keep (last-wins:
                                 * the current one, may be replaced later) */
  GST_RESILIENT_RACE_DONE,      /* the race is over: `id` won for good */
  GST_RESILIENT_RACE_FAILED,    /* every attempt failed: take the error */
} GstResilientRaceActionType;

typedef struct
{
  GstResilientRaceActionType type;
  guint id;
} GstResilientRaceAction;

typedef struct _GstResilientRacer GstResilientRacer;

G_GNUC_INTERNAL GstResilientRacer *gst_resilient_racer_new (GstResilientRaceMode mode,
    GstClockTime stagger, guint max_parallel);
G_GNUC_INTERNAL void gst_resilient_racer_free (GstResilientRacer * racer);

/* Adds an attempt before the race starts; returns its id (1, 2, …).
 * @address: an address literal, or NULL for "whatever the name resolves
 * to"; @transport: one of UDP, TCP, UDP_MCAST (or the tunnel's TCP). */
G_GNUC_INTERNAL guint gst_resilient_racer_add (GstResilientRacer * racer,
    const gchar * address, GstRTSPLowerTrans transport);

G_GNUC_INTERNAL const gchar *gst_resilient_racer_get_address (GstResilientRacer * racer,
    guint id);
G_GNUC_INTERNAL GstRTSPLowerTrans gst_resilient_racer_get_transport (GstResilientRacer * racer,
    guint id);

/* Starts the race at @now. */
G_GNUC_INTERNAL void gst_resilient_racer_begin (GstResilientRacer * racer, GstClockTime now);

/* What attempt @id did. Unknown, finished or cancelled ids are ignored
 * (their events can still arrive after a CANCEL). */
G_GNUC_INTERNAL void gst_resilient_racer_data (GstResilientRacer * racer, guint id,
    GstClockTime now);
G_GNUC_INTERNAL void gst_resilient_racer_failed (GstResilientRacer * racer, guint id,
    const GError * error, GstClockTime now);

/* Attempt @id made progress (connected, got an answer, was set up): the
 * next attempt starts @patience after @now (GST_CLOCK_TIME_NONE: the
 * stagger), whatever was scheduled before. So a slow path that is getting somewhere does not open a
 * second session; one that is stuck (no answer, or PLAY answered but no
 * data) does once the patience is over. */
G_GNUC_INTERNAL void gst_resilient_racer_progress (GstResilientRacer * racer, guint id,
    GstClockTime now, GstClockTime patience);
/* Attempt @id failed in a way every other path would too (a fail-fast
 * class: wrong credentials, 404 …): the race ends at once, every other
 * attempt is cancelled, and FAILED reports @error. */
G_GNUC_INTERNAL void gst_resilient_racer_abort (GstResilientRacer * racer, guint id,
    const GError * error, GstClockTime now);

/* Pops the next action due at @now into @action; FALSE when there is none
 * (then gst_resilient_racer_next_wakeup () says when to ask again). */
G_GNUC_INTERNAL gboolean gst_resilient_racer_next_action (GstResilientRacer * racer,
    GstClockTime now, GstResilientRaceAction * action);

/* When an attempt is due to start next, GST_CLOCK_TIME_NONE if nothing is
 * scheduled. */
G_GNUC_INTERNAL GstClockTime gst_resilient_racer_next_wakeup (GstResilientRacer * racer);

/* TRUE once DONE or FAILED was produced. */
G_GNUC_INTERNAL gboolean gst_resilient_racer_is_over (GstResilientRacer * racer);

/* After FAILED: the error to report (transfer full), chosen among the
 * attempts' failures: a class that a retry cannot fix (auth, not-found, …
 * gst_resilient_error_get_action () == FAIL) first, since it is the same
 * for every path; otherwise the failure of the attempt that got furthest
 * (the last to fail). Its message names how many attempts failed. */
G_GNUC_INTERNAL GError *gst_resilient_racer_take_error (GstResilientRacer * racer);

G_END_DECLS
