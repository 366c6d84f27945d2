/* resilientrtsp
 * race.h: connection racing — runs racer.c's attempts as real sessions,
 * one lower transport each (UDP, TCP, and staggered duplicates), and shows
 * the element one session: the winner's.
 *
 * Before a winner exists the element sees a combined state (connecting →
 * negotiating → ready), the first DESCRIBE answer (on-sdp), one
 * select-stream question per stream, and every request (before-send). An
 * attempt wins with its first RTP packet; then the element gets its
 * streams_ready, playing and packets, and from then on every callback of
 * the winner as if there had been no race. The losers are torn down
 * (TEARDOWN, sockets closed) without blocking the I/O thread.
 *
 * With race-mode none, or when the settings allow only one path, there is
 * no race: one session, its callbacks go to the element unchanged.
 */
#pragma once

#include "racer.h"
#include "session.h"

G_BEGIN_DECLS

typedef struct
{
  GstResilientRaceMode mode;
  guint stagger_ms;             /* before the next attempt while no progress */
  guint max_parallel;           /* 0: no limit */
  guint duplicates;             /* extra copies of every attempt */
  guint64 teardown_timeout_ns;  /* for the losers' TEARDOWN */
} GstResilientRaceSettings;

typedef struct _GstResilientRace GstResilientRace;

G_GNUC_INTERNAL
GstResilientRace *gst_resilient_race_new (GstResilientIoContext * io,
    const GstResilientSessionSettings * settings,
    const GstResilientRaceSettings * race_settings,
    const GstResilientSessionCallbacks * callbacks, gpointer user_data);
/* After gst_resilient_race_close () (or if it was never opened). */
G_GNUC_INTERNAL void gst_resilient_race_free (GstResilientRace * race);

/* Any thread, as the session's functions of the same names. */
G_GNUC_INTERNAL void gst_resilient_race_open (GstResilientRace * race);
G_GNUC_INTERNAL void gst_resilient_race_play (GstResilientRace * race);
G_GNUC_INTERNAL void gst_resilient_race_pause (GstResilientRace * race);
G_GNUC_INTERNAL void gst_resilient_race_send_rtcp (GstResilientRace * race,
    guint index, GstBuffer * buf);
G_GNUC_INTERNAL GstResilientSessionState gst_resilient_race_get_state (GstResilientRace * race);
/* The winner's (or the newest attempt's) session stats, with the race's
 * "race-attempts" (attempts started). */
G_GNUC_INTERNAL void gst_resilient_race_fill_stats (GstResilientRace * race,
    GstStructure * stats);

/* Any thread but the I/O thread: stops the race, tears every session down
 * (the winner's TEARDOWN waited for at most @teardown_timeout_ns, the
 * others' in parallel) and returns when all are closed. No callback runs
 * afterwards. */
G_GNUC_INTERNAL void gst_resilient_race_close (GstResilientRace * race,
    guint64 teardown_timeout_ns);

G_END_DECLS
