/* resilientrtsp tests
 * pipeline-fixture.h: one resilientrtspsrc in a pipeline, every src pad
 * linked to a counting fakesink, bus messages collected for assertions.
 * Waits are condition waits with a generous bound (a hang fails the test,
 * a slow machine does not).
 */
#pragma once

#include <gst/gst.h>
#include <gst/rtsp/rtsp.h>

G_BEGIN_DECLS

#define RR_WAIT_MS 30000

typedef struct
{
  gchar *name;
  gchar *caps;                  /* the pad's caps when its first buffer passed */
  guint buffers;
  guint eos;                    /* EOS events that reached the sink */
  guint flushes;                /* FLUSH_START events that reached the sink */
  GstClockTime last_pts;
  guint pts_regressions;        /* buffers whose PTS went backwards */
} RrPadInfo;

typedef struct
{
  GstElement *pipeline;
  GstElement *src;

  GMutex lock;
  GCond cond;
  GPtrArray *pads;              /* RrPadInfo* */
  gboolean no_more_pads;
  GError *error;                /* first error posted */
  gchar *error_class;           /* its resilientrtsp-error details "class" */
  GPtrArray *states;            /* gchar*: every resilientrtsp-state "state" */
  GPtrArray *reasons;           /* gchar*: their "reason" (or "") */
  guint stats_messages;
  guint reconnecting;           /* resilientrtsp-reconnecting messages */
  guint recovered;              /* resilientrtsp-recovered messages */
  guint streams_changed;        /* resilientrtsp-streams-changed messages */
  guint streams_added;          /* their "added", summed */
  gchar *last_reconnect_class;  /* "class" of the last reconnecting message */
  GPtrArray *reconnect_classes; /* gchar*: "class" of every reconnecting one */
  GstStructure *last_stats;
  guint before_send;
  guint on_sdp;
  guint new_manager;
} RrPipeline;

/* Makes the pipeline with "resilientrtspsrc location=@url", then applies
 * the NULL-terminated property list like g_object_set. */
RrPipeline *rr_pipeline_new (const gchar * url, const gchar * first_prop, ...);
/* Sets the state to NULL (asserting it does not fail) and frees. */
void rr_pipeline_free (RrPipeline * p);

void rr_pipeline_play (RrPipeline * p);

/* Waits until every one of @n_pads pads has seen @n_buffers buffers. */
gboolean rr_pipeline_wait_buffers (RrPipeline * p, guint n_pads, guint n_buffers);
gboolean rr_pipeline_wait_error (RrPipeline * p);
gboolean rr_pipeline_wait_state (RrPipeline * p, const gchar * state);
/* Waits until @state was entered at least @count times. */
gboolean rr_pipeline_wait_state_count (RrPipeline * p, const gchar * state,
    guint count);
gboolean rr_pipeline_wait_stats (RrPipeline * p, guint n_messages);
gboolean rr_pipeline_wait_reconnecting (RrPipeline * p, guint n_messages);
gboolean rr_pipeline_wait_recovered (RrPipeline * p, guint n_messages);
gboolean rr_pipeline_wait_streams_changed (RrPipeline * p, guint n_messages);
/* Total buffers over all pads. */
guint rr_pipeline_total_buffers (RrPipeline * p);
/* Waits until the total buffer count exceeds @than by at least @more. */
gboolean rr_pipeline_wait_more_buffers (RrPipeline * p, guint than, guint more);

/* Asserts what a recovered stream must look like downstream: exactly
 * @n_pads pads, none saw EOS, a flush or a PTS going backwards, and no
 * error was posted. */
void rr_pipeline_assert_clean_downstream (RrPipeline * p, guint n_pads);

/* Whether any resilientrtsp-state reason contains @text. */
gboolean rr_pipeline_has_reason (RrPipeline * p, const gchar * text);

/* Caps string of the pad whose caps start with @prefix, or NULL. */
const gchar *rr_pipeline_find_caps (RrPipeline * p, const gchar * prefix);

/* A TCP port on 127.0.0.1 nobody listens on. */
guint rr_unused_port (void);

G_END_DECLS
