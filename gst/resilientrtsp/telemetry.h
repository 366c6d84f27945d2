/* resilientrtsp
 * telemetry.h: process-wide telemetry of every resilientrtspsrc — counters
 * and histograms per element and for the whole process, exported in the
 * Prometheus text format (0.0.4) on /metrics and summarised on /health by a
 * small libsoup HTTP server on its own thread.
 *
 * Enabling it takes no application code: set the environment variable
 * RESILIENTRTSP_METRICS to a listen address ("127.0.0.1:9464", "[::1]:9464",
 * ":9464" for every interface, "127.0.0.1:0" for a port the kernel picks,
 * logged at INFO level in the "resilientrtsptelemetry" debug category). It is
 * read once, when the first source registers; the server then runs until the
 * process ends (or gst_resilient_telemetry_stop_server()). A bad address or a
 * port in use is a GST_WARNING; elements are never affected.
 * Without the variable, sources still record (it is cheap) and the
 * exposition can be had with gst_resilient_telemetry_render_metrics() or a
 * server started with gst_resilient_telemetry_start_server().
 *
 * Recording is for events (state changes, outages, errors) and periodic
 * snapshots (the stats tick), never per packet: every call takes one
 * process-wide mutex. All functions are thread-safe; the recording functions
 * accept a NULL source and then do nothing.
 *
 * Times are GstClockTime on the monotonic clock
 * (gst_resilient_telemetry_now()), passed in by the caller so that tests
 * drive them.
 *
 * Metric names, labels, bucket bounds and the /health format are listed in
 * docs/telemetry.md.
 *
 * Histogram buckets (seconds, upper bounds, cumulative, plus +Inf):
 *   connect latency, recovery time:
 *     0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10 30
 *   outage length:
 *     0.1 0.25 0.5 1 2.5 5 10 30 60 300 1800
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* The environment variable read when the first source registers. */
#define GST_RESILIENT_TELEMETRY_ENV "RESILIENTRTSP_METRICS"

/* Frames count passed to gst_resilient_telemetry_source_counters() when the
 * caller does not count frames. */
#define GST_RESILIENT_TELEMETRY_UNKNOWN G_MAXUINT64

typedef struct _GstResilientTelemetrySource GstResilientTelemetrySource;

/* The monotonic clock the recording functions expect, in nanoseconds. */
G_GNUC_INTERNAL GstClockTime gst_resilient_telemetry_now (void);

/**
 * gst_resilient_telemetry_source_register:
 * @name: the element's name (the `element` label). When a source with the
 *   same name is already registered, the label becomes "name~2", "name~3", …
 *   so that every live source has its own series.
 * @location: the stream's URL (the `location` label); credentials are
 *   stripped again here as a precaution, but callers should pass a URL
 *   without them.
 * @now: the time of registration; the connect latency is measured from it
 *   to the first "playing" state
 *
 * Adds a source in state "idle". The first call in the process reads
 * RESILIENTRTSP_METRICS and starts the HTTP server when it is set.
 * Returns: (transfer full): the handle; give it back with
 * gst_resilient_telemetry_source_unregister().
 */
G_GNUC_INTERNAL GstResilientTelemetrySource *
gst_resilient_telemetry_source_register (const gchar * name,
    const gchar * location, GstClockTime now);

/**
 * gst_resilient_telemetry_source_unregister:
 * Removes the source's per-element series (the process-wide counters keep
 * what it contributed) and frees @source. No other thread may use @source
 * any more. NULL is ignored.
 */
G_GNUC_INTERNAL void
gst_resilient_telemetry_source_unregister (GstResilientTelemetrySource *
    source);

/**
 * gst_resilient_telemetry_source_set_state:
 * @state: the session state name: idle, connecting, authenticating,
 *   negotiating, ready, playing, paused, recovering, closing, closed,
 *   failed (other names are kept and shown, /health counts them as
 *   "unknown")
 *
 * The first "playing" after registration observes the connect latency
 * (@now − the registration time).
 */
G_GNUC_INTERNAL void
gst_resilient_telemetry_source_set_state (GstResilientTelemetrySource * source,
    const gchar * state, GstClockTime now);

/**
 * gst_resilient_telemetry_source_reconnecting:
 * A failure (@error_class, an error class nick such as "refused") will be
 * followed by reconnect attempt @attempt after @delay. Counts a reconnect
 * attempt and an error of @error_class; opens an outage at @now when none
 * is open. The attempt is taken to start at @now + @delay (for the recovery
 * time).
 */
G_GNUC_INTERNAL void
gst_resilient_telemetry_source_reconnecting (GstResilientTelemetrySource *
    source, guint attempt, GstClockTime delay, const gchar * error_class,
    GstClockTime now);

/**
 * gst_resilient_telemetry_source_recovered:
 * @outage: the outage's length as the caller measured it (first failure →
 *   PLAY answered again), or GST_CLOCK_TIME_NONE to use @now − the time the
 *   outage was opened by gst_resilient_telemetry_source_reconnecting()
 *
 * Closes the outage: observes the outage length and the recovery time (@now
 * − the start of the last attempt, i.e. how long the successful
 * re-establishment took, back-off delays excluded; 0 if negative) and
 * counts a recovery. Outages that never recover (failure, shutdown) are not
 * observed.
 */
G_GNUC_INTERNAL void
gst_resilient_telemetry_source_recovered (GstResilientTelemetrySource *
    source, GstClockTime outage, GstClockTime now);

/**
 * gst_resilient_telemetry_source_error:
 * Counts an error of class @error_class (a fatal one: the element posts an
 * error). Errors behind reconnect attempts are counted by
 * gst_resilient_telemetry_source_reconnecting().
 */
G_GNUC_INTERNAL void
gst_resilient_telemetry_source_error (GstResilientTelemetrySource * source,
    const gchar * error_class);

/**
 * gst_resilient_telemetry_source_counters:
 * A snapshot of the source's monotonic totals since it started. The
 * process-wide counters grow by the difference to the previous snapshot; a
 * total smaller than the previous one is taken as a restart from 0. @frames
 * may be GST_RESILIENT_TELEMETRY_UNKNOWN: the source then has no frames
 * series.
 */
G_GNUC_INTERNAL void
gst_resilient_telemetry_source_counters (GstResilientTelemetrySource * source,
    guint64 bytes, guint64 packets, guint64 frames);

/**
 * gst_resilient_telemetry_source_stats:
 * gst_resilient_telemetry_source_counters() from a `resilientrtsp-stats`
 * structure: its `bytes-received` and `packets-received` (guint64) and, if
 * present, `frames-received` (guint64). Missing fields count as 0.
 */
G_GNUC_INTERNAL void
gst_resilient_telemetry_source_stats (GstResilientTelemetrySource * source,
    const GstStructure * stats);

/**
 * gst_resilient_telemetry_render_metrics:
 * Returns: (transfer full): the Prometheus text exposition (format 0.0.4)
 * of every registered source and of the process.
 */
G_GNUC_INTERNAL gchar *gst_resilient_telemetry_render_metrics (void);

/**
 * gst_resilient_telemetry_render_health:
 * @http_status: (out) (optional): 200 when the overall status is "ok",
 *   otherwise 503
 *
 * Returns: (transfer full): the /health JSON document:
 * {"status":"ok|starting|unknown|recovering|failed","streams":[{"element":…,
 * "location":…,"state":…,"health":…},…]}. Each stream's health is "ok"
 * (playing, paused, ready, closing, closed), "starting" (idle, connecting,
 * authenticating, negotiating), "recovering", "failed" or "unknown"; the
 * overall status is the worst of them (failed > recovering > unknown >
 * starting > ok), "ok" with no streams.
 */
G_GNUC_INTERNAL gchar *gst_resilient_telemetry_render_health (guint *
    http_status);

/**
 * gst_resilient_telemetry_start_server:
 * @address: "host:port", "[v6]:port" or ":port" (every interface); host is
 *   an IP address or "localhost"; port 0 lets the kernel pick
 *
 * Starts the HTTP server (/metrics, /health; everything else 404) on its
 * own thread and GMainContext and waits until it listens. When a server is
 * already running, @address is ignored and its port is returned.
 * Returns: the bound port, or 0 with @error set (bad address, bind failure).
 */
G_GNUC_INTERNAL guint gst_resilient_telemetry_start_server (const gchar *
    address, GError ** error);

/* The port of the running server, 0 when none runs. */
G_GNUC_INTERNAL guint gst_resilient_telemetry_get_server_port (void);

/* Stops the server and joins its thread (tests, clean shutdown); a new one
 * can be started afterwards. Does nothing when none runs. */
G_GNUC_INTERNAL void gst_resilient_telemetry_stop_server (void);

/* Tests: forgets the process-wide counters and histograms (registered
 * sources keep theirs). */
G_GNUC_INTERNAL void gst_resilient_telemetry_reset (void);

G_END_DECLS
