/* resilientrtsp
 * telemetry.c: the process-wide registry of telemetry sources, the
 * Prometheus text exposition and /health, and the libsoup server that
 * serves them.
 *
 * libsoup 3 is opened at run time, when the server starts, not linked: a
 * plugin linked against it could not be loaded into a process that uses
 * libsoup 2 (libsoup aborts when both are in one process), which would make
 * the element unusable for every application on libsoup 2 even with
 * metrics off. GStreamer's own soup plugin does the same.
 *
 * locking order: server_lock → registry_lock. The server's request handler
 * runs on the server thread and takes registry_lock only.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "telemetry.h"

#include <gmodule.h>
#include <libsoup/soup.h>
#include <string.h>

#include "url.h"

GST_DEBUG_CATEGORY_STATIC (telemetry_debug);
#define GST_CAT_DEFAULT telemetry_debug

/* ---------------------------------------------------------------------- */
/* histograms */

#define MAX_BOUNDS 12

typedef struct
{
  guint n_bounds;
  GstClockTime bounds[MAX_BOUNDS];      /* upper bounds, ascending */
} BucketSpec;

/* seconds: 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10 30 */
static const BucketSpec latency_buckets = { 12, {
        5 * GST_MSECOND, 10 * GST_MSECOND, 25 * GST_MSECOND,
        50 * GST_MSECOND, 100 * GST_MSECOND, 250 * GST_MSECOND,
        500 * GST_MSECOND, GST_SECOND, 2500 * GST_MSECOND, 5 * GST_SECOND,
    10 * GST_SECOND, 30 * GST_SECOND}
};

/* seconds: 0.1 0.25 0.5 1 2.5 5 10 30 60 300 1800 */
static const BucketSpec outage_buckets = { 11, {
        100 * GST_MSECOND, 250 * GST_MSECOND, 500 * GST_MSECOND, GST_SECOND,
        2500 * GST_MSECOND, 5 * GST_SECOND, 10 * GST_SECOND, 30 * GST_SECOND,
    60 * GST_SECOND, 300 * GST_SECOND, 1800 * GST_SECOND}
};

typedef struct
{
  const BucketSpec *spec;
  /* per bucket, not cumulative; the last one is +Inf */
  guint64 counts[MAX_BOUNDS + 1];
  guint64 count;
  GstClockTime sum;             /* nanoseconds */
} Histogram;

static void
histogram_init (Histogram * h, const BucketSpec * spec)
{
  memset (h, 0, sizeof (*h));
  h->spec = spec;
}

static void
histogram_observe (Histogram * h, GstClockTime value)
{
  guint i;

  i = 0;
  while (i < h->spec->n_bounds && value > h->spec->bounds[i])
    i++;
  h->counts[i]++;
  h->count++;
  h->sum += value;
}

/* ---------------------------------------------------------------------- */
/* counters, sources, registry */

typedef struct
{
  Histogram connect;
  Histogram recovery;
  Histogram outage;
  guint64 reconnects;
  guint64 recoveries;
  GHashTable *errors;           /* class (gchar*) → guint64* */
  guint64 bytes;
  guint64 packets;
  guint64 frames;
  gboolean has_frames;          /* a snapshot gave frames */
} Counters;

static void
counters_init (Counters * c)
{
  memset (c, 0, sizeof (*c));
  histogram_init (&c->connect, &latency_buckets);
  histogram_init (&c->recovery, &latency_buckets);
  histogram_init (&c->outage, &outage_buckets);
  c->errors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static void
counters_clear (Counters * c)
{
  g_clear_pointer (&c->errors, g_hash_table_unref);
}

static void
counters_add_error (Counters * c, const gchar * error_class)
{
  guint64 *n = g_hash_table_lookup (c->errors, error_class);

  if (n == NULL) {
    n = g_new0 (guint64, 1);
    g_hash_table_insert (c->errors, g_strdup (error_class), n);
  }
  (*n)++;
}

struct _GstResilientTelemetrySource
{
  /* all fields: registry_lock */
  gchar *label;                 /* unique among registered sources */
  gchar *location;              /* without credentials, valid UTF-8 */
  gchar *state;
  GstClockTime registered_at;
  gboolean connected;           /* the first "playing" was seen */
  gboolean in_outage;
  GstClockTime outage_start;
  GstClockTime attempt_start;   /* when the last reconnect attempt began */
  guint64 last_bytes;           /* the previous snapshot */
  guint64 last_packets;
  guint64 last_frames;
  Counters counters;
};

/* The session state names (session.c) and how /health sees them. */
typedef enum
{
  HEALTH_OK,
  HEALTH_STARTING,
  HEALTH_UNKNOWN,
  HEALTH_RECOVERING,
  HEALTH_FAILED,
} Health;

static const gchar *health_names[] = {
  "ok", "starting", "unknown", "recovering", "failed"
};

static const struct
{
  const gchar *name;
  Health health;
} known_states[] = {
  {"idle", HEALTH_STARTING},
  {"connecting", HEALTH_STARTING},
  {"authenticating", HEALTH_STARTING},
  {"negotiating", HEALTH_STARTING},
  {"ready", HEALTH_OK},
  {"playing", HEALTH_OK},
  {"paused", HEALTH_OK},
  {"recovering", HEALTH_RECOVERING},
  {"closing", HEALTH_OK},
  {"closed", HEALTH_OK},
  {"failed", HEALTH_FAILED},
};

static Health
state_health (const gchar * state)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (known_states); i++) {
    if (strcmp (known_states[i].name, state) == 0)
      return known_states[i].health;
  }
  return HEALTH_UNKNOWN;
}

static gboolean
state_is_known (const gchar * state)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (known_states); i++) {
    if (strcmp (known_states[i].name, state) == 0)
      return TRUE;
  }
  return FALSE;
}

static GMutex registry_lock;
/* registry_lock; GstResilientTelemetrySource*, in registration order */
static GPtrArray *sources;
static Counters process;        /* registry_lock; initialised with sources */
static guint64 registered_total;        /* registry_lock */

static void
ensure_debug (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (telemetry_debug, "resilientrtsptelemetry", 0,
        "resilientrtsp telemetry and metrics server");
    g_once_init_leave (&once, 1);
  }
}

/* registry_lock held */
static void
ensure_registry (void)
{
  if (sources == NULL) {
    sources = g_ptr_array_new ();
    counters_init (&process);
  }
}

/* registry_lock held */
static gboolean
label_taken (const gchar * label)
{
  guint i;

  for (i = 0; i < sources->len; i++) {
    GstResilientTelemetrySource *s = g_ptr_array_index (sources, i);

    if (strcmp (s->label, label) == 0)
      return TRUE;
  }
  return FALSE;
}

GstClockTime
gst_resilient_telemetry_now (void)
{
  return (GstClockTime) g_get_monotonic_time () * GST_USECOND;
}

static void
read_environment (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    const gchar *address = g_getenv (GST_RESILIENT_TELEMETRY_ENV);

    if (address != NULL && *address != '\0') {
      GError *error = NULL;
      guint port = gst_resilient_telemetry_start_server (address, &error);

      if (port == 0) {
        GST_WARNING ("%s=%s: no metrics server: %s",
            GST_RESILIENT_TELEMETRY_ENV, address, error->message);
        g_error_free (error);
      }
    }
    g_once_init_leave (&once, 1);
  }
}

GstResilientTelemetrySource *
gst_resilient_telemetry_source_register (const gchar * name,
    const gchar * location, GstClockTime now)
{
  GstResilientTelemetrySource *source;
  gchar *stripped, *base, *label;
  guint n = 2;

  ensure_debug ();
  read_environment ();

  stripped = gst_resilient_url_strip_credentials (location ? location : "",
      NULL, NULL);
  base = g_utf8_make_valid (name ? name : "unnamed", -1);

  source = g_new0 (GstResilientTelemetrySource, 1);
  source->location = g_utf8_make_valid (stripped, -1);
  source->state = g_strdup ("idle");
  source->registered_at = now;
  counters_init (&source->counters);
  g_free (stripped);

  g_mutex_lock (&registry_lock);
  ensure_registry ();
  label = g_strdup (base);
  while (label_taken (label)) {
    g_free (label);
    label = g_strdup_printf ("%s~%u", base, n++);
  }
  source->label = label;
  g_ptr_array_add (sources, source);
  registered_total++;
  g_mutex_unlock (&registry_lock);

  GST_DEBUG ("registered %s (%s)", source->label, source->location);
  g_free (base);
  return source;
}

void
gst_resilient_telemetry_source_unregister (GstResilientTelemetrySource * source)
{
  if (source == NULL)
    return;

  g_mutex_lock (&registry_lock);
  g_ptr_array_remove (sources, source);
  g_mutex_unlock (&registry_lock);

  GST_DEBUG ("unregistered %s", source->label);
  counters_clear (&source->counters);
  g_free (source->label);
  g_free (source->location);
  g_free (source->state);
  g_free (source);
}

void
gst_resilient_telemetry_source_set_state (GstResilientTelemetrySource * source,
    const gchar * state, GstClockTime now)
{
  if (source == NULL || state == NULL)
    return;

  g_mutex_lock (&registry_lock);
  if (strcmp (source->state, state) != 0) {
    g_free (source->state);
    source->state = g_utf8_make_valid (state, -1);
  }
  if (!source->connected && strcmp (state, "playing") == 0) {
    GstClockTime latency = now > source->registered_at ?
        now - source->registered_at : 0;

    source->connected = TRUE;
    histogram_observe (&source->counters.connect, latency);
    histogram_observe (&process.connect, latency);
  }
  g_mutex_unlock (&registry_lock);
}

void
gst_resilient_telemetry_source_reconnecting (GstResilientTelemetrySource *
    source, guint attempt, GstClockTime delay, const gchar * error_class,
    GstClockTime now)
{
  const gchar *cls = error_class && *error_class ? error_class : "unknown";

  if (source == NULL)
    return;

  g_mutex_lock (&registry_lock);
  if (!source->in_outage) {
    source->in_outage = TRUE;
    source->outage_start = now;
  }
  source->attempt_start = GST_CLOCK_TIME_IS_VALID (delay) ? now + delay : now;
  source->counters.reconnects++;
  process.reconnects++;
  counters_add_error (&source->counters, cls);
  counters_add_error (&process, cls);
  g_mutex_unlock (&registry_lock);
}

void
gst_resilient_telemetry_source_recovered (GstResilientTelemetrySource *
    source, GstClockTime outage, GstClockTime now)
{
  GstClockTime recovery;

  if (source == NULL)
    return;

  g_mutex_lock (&registry_lock);
  if (!GST_CLOCK_TIME_IS_VALID (outage)) {
    outage = source->in_outage && now > source->outage_start ?
        now - source->outage_start : 0;
  }
  if (source->in_outage)
    recovery = now > source->attempt_start ? now - source->attempt_start : 0;
  else
    recovery = 0;
  source->in_outage = FALSE;

  histogram_observe (&source->counters.outage, outage);
  histogram_observe (&process.outage, outage);
  histogram_observe (&source->counters.recovery, recovery);
  histogram_observe (&process.recovery, recovery);
  source->counters.recoveries++;
  process.recoveries++;
  g_mutex_unlock (&registry_lock);
}

void
gst_resilient_telemetry_source_error (GstResilientTelemetrySource * source,
    const gchar * error_class)
{
  const gchar *cls = error_class && *error_class ? error_class : "unknown";

  if (source == NULL)
    return;

  g_mutex_lock (&registry_lock);
  counters_add_error (&source->counters, cls);
  counters_add_error (&process, cls);
  g_mutex_unlock (&registry_lock);
}

/* how much a monotonic total grew; a smaller total restarted from 0 */
static guint64
delta (guint64 previous, guint64 total)
{
  return total >= previous ? total - previous : total;
}

void
gst_resilient_telemetry_source_counters (GstResilientTelemetrySource * source,
    guint64 bytes, guint64 packets, guint64 frames)
{
  guint64 d;

  if (source == NULL)
    return;

  g_mutex_lock (&registry_lock);
  d = delta (source->last_bytes, bytes);
  source->counters.bytes += d;
  process.bytes += d;
  source->last_bytes = bytes;

  d = delta (source->last_packets, packets);
  source->counters.packets += d;
  process.packets += d;
  source->last_packets = packets;

  if (frames != GST_RESILIENT_TELEMETRY_UNKNOWN) {
    d = delta (source->last_frames, frames);
    source->counters.frames += d;
    source->counters.has_frames = TRUE;
    process.frames += d;
    source->last_frames = frames;
  }
  g_mutex_unlock (&registry_lock);
}

void
gst_resilient_telemetry_source_stats (GstResilientTelemetrySource * source,
    const GstStructure * stats)
{
  guint64 bytes = 0, packets = 0, frames = GST_RESILIENT_TELEMETRY_UNKNOWN;

  if (source == NULL || stats == NULL)
    return;

  gst_structure_get_uint64 (stats, "bytes-received", &bytes);
  gst_structure_get_uint64 (stats, "packets-received", &packets);
  if (!gst_structure_get_uint64 (stats, "frames-received", &frames))
    frames = GST_RESILIENT_TELEMETRY_UNKNOWN;
  gst_resilient_telemetry_source_counters (source, bytes, packets, frames);
}

void
gst_resilient_telemetry_reset (void)
{
  g_mutex_lock (&registry_lock);
  ensure_registry ();
  counters_clear (&process);
  counters_init (&process);
  registered_total = 0;
  g_mutex_unlock (&registry_lock);
}

/* ---------------------------------------------------------------------- */
/* the Prometheus text exposition (format 0.0.4) */

/* "1.5", "0.005", "30", "0": exact decimal seconds of @ns */
static void
append_seconds (GString * out, GstClockTime ns)
{
  guint64 secs = ns / GST_SECOND;
  guint64 frac = ns % GST_SECOND;
  gchar digits[16];
  gint len;

  g_string_append_printf (out, "%" G_GUINT64_FORMAT, secs);
  if (frac == 0)
    return;
  len = g_snprintf (digits, sizeof (digits), "%09" G_GUINT64_FORMAT, frac);
  while (len > 0 && digits[len - 1] == '0')
    len--;
  g_string_append_c (out, '.');
  g_string_append_len (out, digits, len);
}

/* label values: backslash, double quote and line feed escaped */
static void
append_label_value (GString * out, const gchar * value)
{
  const gchar *p;

  for (p = value; *p; p++) {
    switch (*p) {
      case '\\':
        g_string_append (out, "\\\\");
        break;
      case '"':
        g_string_append (out, "\\\"");
        break;
      case '\n':
        g_string_append (out, "\\n");
        break;
      default:
        g_string_append_c (out, *p);
        break;
    }
  }
}

/* Label sets: a source's element/location pair (or none for the process)
 * plus at most one more label. */
typedef struct
{
  const GstResilientTelemetrySource *source;    /* NULL: process-wide */
  const gchar *name;            /* the extra label, or NULL */
  const gchar *value;
} Labels;

static void
append_labels (GString * out, const Labels * l)
{
  gboolean first = TRUE;

  if (l->source == NULL && l->name == NULL)
    return;
  g_string_append_c (out, '{');
  if (l->source) {
    g_string_append (out, "element=\"");
    append_label_value (out, l->source->label);
    g_string_append (out, "\",location=\"");
    append_label_value (out, l->source->location);
    g_string_append_c (out, '"');
    first = FALSE;
  }
  if (l->name) {
    if (!first)
      g_string_append_c (out, ',');
    g_string_append_printf (out, "%s=\"", l->name);
    append_label_value (out, l->value);
    g_string_append_c (out, '"');
  }
  g_string_append_c (out, '}');
}

static void
append_header (GString * out, const gchar * name, const gchar * type,
    const gchar * help)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
      name, type);
}

static void
append_sample (GString * out, const gchar * name, const gchar * suffix,
    const Labels * labels, guint64 value)
{
  g_string_append (out, name);
  g_string_append (out, suffix);
  append_labels (out, labels);
  g_string_append_printf (out, " %" G_GUINT64_FORMAT "\n", value);
}

static void
append_histogram (GString * out, const gchar * name,
    const GstResilientTelemetrySource * source, const Histogram * h)
{
  GString *le = g_string_new (NULL);
  guint64 cumulative = 0;
  guint i;

  for (i = 0; i <= h->spec->n_bounds; i++) {
    Labels l = { source, "le", NULL };

    cumulative += h->counts[i];
    g_string_truncate (le, 0);
    if (i < h->spec->n_bounds)
      append_seconds (le, h->spec->bounds[i]);
    else
      g_string_append (le, "+Inf");
    l.value = le->str;
    append_sample (out, name, "_bucket", &l, cumulative);
  }
  {
    Labels l = { source, NULL, NULL };

    g_string_append_printf (out, "%s_sum", name);
    append_labels (out, &l);
    g_string_append_c (out, ' ');
    append_seconds (out, h->sum);
    g_string_append_c (out, '\n');
    append_sample (out, name, "_count", &l, h->count);
  }
  g_string_free (le, TRUE);
}

static void
append_errors (GString * out, const gchar * name,
    const GstResilientTelemetrySource * source, GHashTable * errors)
{
  GList *keys = g_list_sort (g_hash_table_get_keys (errors),
      (GCompareFunc) strcmp);
  GList *k;

  for (k = keys; k; k = k->next) {
    Labels l = { source, "class", k->data };
    guint64 *n = g_hash_table_lookup (errors, k->data);

    append_sample (out, name, "", &l, *n);
  }
  g_list_free (keys);
}

typedef enum
{
  HIST_CONNECT,
  HIST_RECOVERY,
  HIST_OUTAGE,
} HistogramKind;

typedef enum
{
  COUNT_RECONNECTS,
  COUNT_RECOVERIES,
  COUNT_BYTES,
  COUNT_PACKETS,
  COUNT_FRAMES,
} CounterKind;

static const struct
{
  const gchar *name;            /* without prefix */
  const gchar *help;
} histogram_families[] = {
  {"connect_latency_seconds",
      "Time from the element's start (READY to PAUSED) to its first PLAY "
        "answered."},
  {"recovery_seconds",
      "Time the successful re-establishment of a lost session took, from "
        "the start of its attempt to PLAY answered (back-off excluded)."},
  {"outage_seconds",
      "Length of recovered outages, from the failure to PLAY answered "
        "again."},
};

static const struct
{
  const gchar *name;
  const gchar *help;
} counter_families[] = {
  {"reconnect_attempts_total", "Reconnect attempts scheduled after a failure."},
  {"recoveries_total", "Outages that ended with the stream playing again."},
  {"received_bytes_total", "RTP and RTCP bytes received."},
  {"received_packets_total", "RTP and RTCP packets received."},
  {"received_frames_total",
      "Buffers output on the stream pads (frames when depayloading)."},
};

static const Histogram *
counters_histogram (const Counters * c, HistogramKind kind)
{
  switch (kind) {
    case HIST_CONNECT:
      return &c->connect;
    case HIST_RECOVERY:
      return &c->recovery;
    case HIST_OUTAGE:
    default:
      return &c->outage;
  }
}

static guint64
counters_value (const Counters * c, CounterKind kind)
{
  switch (kind) {
    case COUNT_RECONNECTS:
      return c->reconnects;
    case COUNT_RECOVERIES:
      return c->recoveries;
    case COUNT_BYTES:
      return c->bytes;
    case COUNT_PACKETS:
      return c->packets;
    case COUNT_FRAMES:
    default:
      return c->frames;
  }
}

/* registry_lock held */
static void
render_per_element (GString * out)
{
  gchar *name;
  guint i, k;

  name = g_strdup ("resilientrtsp_state");
  append_header (out, name, "gauge",
      "Session state of the element: 1 for the state it is in, 0 for the "
      "others.");
  for (i = 0; i < sources->len; i++) {
    GstResilientTelemetrySource *s = g_ptr_array_index (sources, i);

    for (k = 0; k < G_N_ELEMENTS (known_states); k++) {
      Labels l = { s, "state", known_states[k].name };

      append_sample (out, name, "", &l,
          strcmp (s->state, known_states[k].name) == 0);
    }
    if (!state_is_known (s->state)) {
      Labels l = { s, "state", s->state };

      append_sample (out, name, "", &l, 1);
    }
  }
  g_free (name);

  for (k = 0; k < G_N_ELEMENTS (histogram_families); k++) {
    name = g_strconcat ("resilientrtsp_", histogram_families[k].name, NULL);
    append_header (out, name, "histogram", histogram_families[k].help);
    for (i = 0; i < sources->len; i++) {
      GstResilientTelemetrySource *s = g_ptr_array_index (sources, i);

      append_histogram (out, name, s, counters_histogram (&s->counters, k));
    }
    g_free (name);
  }

  for (k = 0; k < G_N_ELEMENTS (counter_families); k++) {
    name = g_strconcat ("resilientrtsp_", counter_families[k].name, NULL);
    append_header (out, name, "counter", counter_families[k].help);
    for (i = 0; i < sources->len; i++) {
      GstResilientTelemetrySource *s = g_ptr_array_index (sources, i);
      Labels l = { s, NULL, NULL };

      if (k == COUNT_FRAMES && !s->counters.has_frames)
        continue;
      append_sample (out, name, "", &l, counters_value (&s->counters, k));
    }
    g_free (name);
  }

  name = g_strdup ("resilientrtsp_errors_total");
  append_header (out, name, "counter",
      "Failures by error class: each cause of a reconnect attempt and each "
      "fatal error.");
  for (i = 0; i < sources->len; i++) {
    GstResilientTelemetrySource *s = g_ptr_array_index (sources, i);

    append_errors (out, name, s, s->counters.errors);
  }
  g_free (name);
}

/* registry_lock held */
static void
render_process (GString * out)
{
  gchar *name;
  guint i, k;

  name = g_strdup ("resilientrtsp_process_sources");
  append_header (out, name, "gauge",
      "Registered elements (sources) in each session state.");
  for (k = 0; k < G_N_ELEMENTS (known_states); k++) {
    Labels l = { NULL, "state", known_states[k].name };
    guint64 n = 0;

    for (i = 0; i < sources->len; i++) {
      GstResilientTelemetrySource *s = g_ptr_array_index (sources, i);

      n += strcmp (s->state, known_states[k].name) == 0;
    }
    append_sample (out, name, "", &l, n);
  }
  {
    /* states nobody knows, once each */
    GHashTable *unknown = g_hash_table_new (g_str_hash, g_str_equal);
    GList *keys, *l;

    for (i = 0; i < sources->len; i++) {
      GstResilientTelemetrySource *s = g_ptr_array_index (sources, i);

      if (!state_is_known (s->state)) {
        guint n = GPOINTER_TO_UINT (g_hash_table_lookup (unknown, s->state));

        g_hash_table_insert (unknown, s->state, GUINT_TO_POINTER (n + 1));
      }
    }
    keys = g_list_sort (g_hash_table_get_keys (unknown), (GCompareFunc) strcmp);
    for (l = keys; l; l = l->next) {
      Labels labels = { NULL, "state", l->data };

      append_sample (out, name, "", &labels,
          GPOINTER_TO_UINT (g_hash_table_lookup (unknown, l->data)));
    }
    g_list_free (keys);
    g_hash_table_unref (unknown);
  }
  g_free (name);

  name = g_strdup ("resilientrtsp_process_sources_registered_total");
  append_header (out, name, "counter",
      "Elements (sources) registered since the process started.");
  {
    Labels l = { NULL, NULL, NULL };

    append_sample (out, name, "", &l, registered_total);
  }
  g_free (name);

  for (k = 0; k < G_N_ELEMENTS (histogram_families); k++) {
    gchar *help = g_strconcat ("All elements of the process: ",
        histogram_families[k].help, NULL);

    name = g_strconcat ("resilientrtsp_process_", histogram_families[k].name,
        NULL);
    append_header (out, name, "histogram", help);
    append_histogram (out, name, NULL, counters_histogram (&process, k));
    g_free (name);
    g_free (help);
  }

  for (k = 0; k < G_N_ELEMENTS (counter_families); k++) {
    gchar *help = g_strconcat ("All elements of the process: ",
        counter_families[k].help, NULL);
    Labels l = { NULL, NULL, NULL };

    name = g_strconcat ("resilientrtsp_process_", counter_families[k].name,
        NULL);
    append_header (out, name, "counter", help);
    append_sample (out, name, "", &l, counters_value (&process, k));
    g_free (name);
    g_free (help);
  }

  name = g_strdup ("resilientrtsp_process_errors_total");
  append_header (out, name, "counter",
      "All elements of the process: failures by error class.");
  append_errors (out, name, NULL, process.errors);
  g_free (name);
}

gchar *
gst_resilient_telemetry_render_metrics (void)
{
  GString *out = g_string_sized_new (8192);

  g_mutex_lock (&registry_lock);
  ensure_registry ();
  render_per_element (out);
  render_process (out);
  g_mutex_unlock (&registry_lock);
  return g_string_free (out, FALSE);
}

/* ---------------------------------------------------------------------- */
/* /health */

static void
append_json_string (GString * out, const gchar * value)
{
  const guchar *p;

  g_string_append_c (out, '"');
  for (p = (const guchar *) value; *p; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_printf (out, "\\%c", *p);
    else if (*p < 0x20)
      g_string_append_printf (out, "\\u%04x", *p);
    else
      g_string_append_c (out, *p);
  }
  g_string_append_c (out, '"');
}

gchar *
gst_resilient_telemetry_render_health (guint * http_status)
{
  GString *streams = g_string_new (NULL);
  GString *out = g_string_new (NULL);
  Health worst = HEALTH_OK;
  guint i;

  g_mutex_lock (&registry_lock);
  ensure_registry ();
  for (i = 0; i < sources->len; i++) {
    GstResilientTelemetrySource *s = g_ptr_array_index (sources, i);
    Health h = state_health (s->state);

    worst = MAX (worst, h);
    g_string_append (streams, i > 0 ? ",{\"element\":" : "{\"element\":");
    append_json_string (streams, s->label);
    g_string_append (streams, ",\"location\":");
    append_json_string (streams, s->location);
    g_string_append (streams, ",\"state\":");
    append_json_string (streams, s->state);
    g_string_append (streams, ",\"health\":");
    append_json_string (streams, health_names[h]);
    g_string_append_c (streams, '}');
  }
  g_mutex_unlock (&registry_lock);

  g_string_append_printf (out, "{\"status\":\"%s\",\"streams\":[%s]}\n",
      health_names[worst], streams->str);
  g_string_free (streams, TRUE);
  if (http_status)
    *http_status = worst == HEALTH_OK ? 200 : 503;
  return g_string_free (out, FALSE);
}

/* ---------------------------------------------------------------------- */
/* the HTTP server */

typedef struct
{
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  gchar *address;

  /* start-up handshake */
  GMutex lock;
  GCond cond;
  gboolean started;             /* lock */
  guint port;                   /* lock; 0 when listening failed */
  GError *error;                /* lock */
} Server;

static GMutex server_lock;
static Server *server;          /* server_lock */

/* the libsoup 3 functions used, resolved once (server_lock) */
static struct
{
  gboolean loaded;
  __typeof__ (soup_server_get_type) * server_get_type;
  __typeof__ (soup_server_add_handler) * server_add_handler;
  __typeof__ (soup_server_accept_iostream) * server_accept_iostream;
  __typeof__ (soup_server_disconnect) * server_disconnect;
  __typeof__ (soup_server_message_get_method) * message_get_method;
  __typeof__ (soup_server_message_get_response_headers) *
      message_get_response_headers;
  __typeof__ (soup_server_message_set_status) * message_set_status;
  __typeof__ (soup_server_message_set_response) * message_set_response;
  __typeof__ (soup_message_headers_replace) * headers_replace;
} soup;

#define SOUP_LIBRARY "libsoup-3.0.so.0"

/* server_lock held. */
static gboolean
load_soup (GError ** error)
{
  GModule *self, *module;
  gpointer sym;
  gboolean ok;

  if (soup.loaded)
    return TRUE;

  /* libsoup 2 in the process: loading 3 would abort it */
  self = g_module_open (NULL, 0);
  ok = self == NULL || !g_module_symbol (self, "soup_uri_new", &sym);
  if (self)
    g_module_close (self);
  if (!ok) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "the process uses libsoup 2; the metrics server needs libsoup 3, and "
        "both cannot be loaded together");
    return FALSE;
  }

  module = g_module_open (SOUP_LIBRARY, G_MODULE_BIND_LOCAL);
  if (module == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "cannot load %s (install libsoup-3.0-0): %s", SOUP_LIBRARY,
        g_module_error ());
    return FALSE;
  }
#define RESOLVE(field, name) \
  if (!g_module_symbol (module, name, (gpointer *) & soup.field)) \
    goto missing_symbol;
  RESOLVE (server_get_type, "soup_server_get_type");
  RESOLVE (server_add_handler, "soup_server_add_handler");
  RESOLVE (server_accept_iostream, "soup_server_accept_iostream");
  RESOLVE (server_disconnect, "soup_server_disconnect");
  RESOLVE (message_get_method, "soup_server_message_get_method");
  RESOLVE (message_get_response_headers,
      "soup_server_message_get_response_headers");
  RESOLVE (message_set_status, "soup_server_message_set_status");
  RESOLVE (message_set_response, "soup_server_message_set_response");
  RESOLVE (headers_replace, "soup_message_headers_replace");
#undef RESOLVE
  /* its types are registered for good: never unload */
  g_module_make_resident (module);
  soup.loaded = TRUE;
  return TRUE;

  /* ERRORS */
missing_symbol:
  {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "%s lacks a function the metrics server needs: %s", SOUP_LIBRARY,
        g_module_error ());
    g_module_close (module);
    return FALSE;
  }
}

static void
handle_request (SoupServer * soup_server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  const gchar *method = soup.message_get_method (msg);
  gboolean metrics = g_strcmp0 (path, "/metrics") == 0;
  gboolean health = g_strcmp0 (path, "/health") == 0;
  SoupMessageHeaders *headers = soup.message_get_response_headers (msg);
  gchar *body;
  guint status = 200;

  if (!metrics && !health) {
    soup.message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    soup.message_set_response (msg, "text/plain; charset=utf-8",
        SOUP_MEMORY_STATIC, "not found: try /metrics or /health\n",
        strlen ("not found: try /metrics or /health\n"));
    return;
  }
  if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0) {
    soup.headers_replace (headers, "Allow", "GET, HEAD");
    soup.message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    return;
  }

  soup.headers_replace (headers, "Cache-Control", "no-store");
  if (metrics) {
    body = gst_resilient_telemetry_render_metrics ();
    soup.message_set_status (msg, SOUP_STATUS_OK, NULL);
    soup.message_set_response (msg,
        "text/plain; version=0.0.4; charset=utf-8", SOUP_MEMORY_TAKE, body,
        strlen (body));
  } else {
    body = gst_resilient_telemetry_render_health (&status);
    soup.message_set_status (msg, status, NULL);
    soup.message_set_response (msg, "application/json",
        SOUP_MEMORY_TAKE, body, strlen (body));
  }
}

/* "host:port", "[v6]:port", ":port" → @host ("" for every interface) and
 * @port */
static gboolean
parse_address (const gchar * address, gchar ** host, guint * port,
    GError ** error)
{
  const gchar *colon;
  guint64 value;

  if (address[0] == '[') {
    const gchar *end = strchr (address, ']');

    if (end == NULL || end[1] != ':')
      goto bad_address;
    *host = g_strndup (address + 1, end - address - 1);
    colon = end + 1;
  } else {
    colon = strrchr (address, ':');
    if (colon == NULL)
      goto bad_address;
    *host = g_strndup (address, colon - address);
    if (strchr (*host, ':') != NULL) {
      g_clear_pointer (host, g_free);
      goto bad_address;
    }
  }
  if (!g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &value, NULL)) {
    g_clear_pointer (host, g_free);
    goto bad_address;
  }
  *port = value;
  return TRUE;

  /* ERRORS */
bad_address:
  {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "bad metrics address \"%s\": expected host:port, [ipv6]:port or "
        ":port", address);
    return FALSE;
  }
}

/* libsoup 3.2 leaks the GSocket of every connection its own listener
 * accepts (it keeps the socket apart from the stream and drops only the
 * stream); connections accepted by a GSocketService and handed over as
 * streams are freed whole. */
static gboolean
on_incoming (GSocketService * service, GSocketConnection * connection,
    GObject * source_object, gpointer user_data)
{
  SoupServer *soup_server = user_data;
  GSocketAddress *local =
      g_socket_connection_get_local_address (connection, NULL);
  GSocketAddress *remote =
      g_socket_connection_get_remote_address (connection, NULL);
  GError *error = NULL;

  if (!soup.server_accept_iostream (soup_server, G_IO_STREAM (connection),
          local,
          remote, &error)) {
    GST_DEBUG ("dropped a connection: %s", error->message);
    g_clear_error (&error);
  }
  g_clear_object (&local);
  g_clear_object (&remote);
  return TRUE;
}

/* Listens on @address; returns the bound port or 0 with @error set. */
static guint
server_listen (GSocketListener * listener, const gchar * address,
    GError ** error)
{
  gchar *host = NULL;
  guint port;
  GInetAddress *ip;
  GSocketAddress *sa, *effective = NULL;

  if (!parse_address (address, &host, &port, error))
    return 0;

  if (*host == '\0') {
    /* every interface, IPv6 and IPv4 */
    g_free (host);
    if (port == 0)
      return g_socket_listener_add_any_inet_port (listener, NULL, error);
    return g_socket_listener_add_inet_port (listener, port, NULL, error) ?
        port : 0;
  }

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    ip = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    ip = g_inet_address_new_from_string (host);
  g_free (host);
  if (ip == NULL)
    goto not_an_ip;

  sa = g_inet_socket_address_new (ip, port);
  g_object_unref (ip);
  port = 0;
  if (g_socket_listener_add_address (listener, sa, G_SOCKET_TYPE_STREAM,
          G_SOCKET_PROTOCOL_TCP, NULL, &effective, error)) {
    port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
    g_object_unref (effective);
  }
  g_object_unref (sa);
  return port;

  /* ERRORS */
not_an_ip:
  {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "bad metrics address \"%s\": the host must be an IP address or "
        "localhost", address);
    return 0;
  }
}

static gpointer
server_thread (gpointer data)
{
  Server *s = data;
  SoupServer *soup_server;
  GSocketService *service;
  GError *error = NULL;
  guint port;

  g_main_context_push_thread_default (s->context);
  soup_server = g_object_new (soup.server_get_type (), "server-header",
      "resilientrtsp/" VERSION " ", NULL);
  soup.server_add_handler (soup_server, NULL, handle_request, NULL, NULL);
  service = g_socket_service_new ();
  g_signal_connect (service, "incoming", G_CALLBACK (on_incoming),
      soup_server);
  port = server_listen (G_SOCKET_LISTENER (service), s->address, &error);
  if (port != 0)
    g_socket_service_start (service);

  g_mutex_lock (&s->lock);
  s->port = port;
  s->error = error;
  s->started = TRUE;
  g_cond_signal (&s->cond);
  g_mutex_unlock (&s->lock);

  if (port != 0)
    g_main_loop_run (s->loop);

  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  g_object_unref (service);
  soup.server_disconnect (soup_server);
  g_object_unref (soup_server);
  while (g_main_context_iteration (s->context, FALSE));
  g_main_context_pop_thread_default (s->context);
  return NULL;
}

static gboolean
server_quit (gpointer data)
{
  Server *s = data;

  g_main_loop_quit (s->loop);
  return G_SOURCE_REMOVE;
}

static void
server_free (Server * s)
{
  g_main_loop_unref (s->loop);
  g_main_context_unref (s->context);
  g_mutex_clear (&s->lock);
  g_cond_clear (&s->cond);
  g_clear_error (&s->error);
  g_free (s->address);
  g_free (s);
}

guint
gst_resilient_telemetry_start_server (const gchar * address, GError ** error)
{
  Server *s;
  guint port;

  g_return_val_if_fail (address != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  ensure_debug ();
  g_mutex_lock (&server_lock);
  if (server != NULL) {
    port = server->port;
    g_mutex_unlock (&server_lock);
    GST_INFO ("metrics server already running on port %u (not %s)", port,
        address);
    return port;
  }
  if (!load_soup (error)) {
    g_mutex_unlock (&server_lock);
    return 0;
  }

  s = g_new0 (Server, 1);
  s->address = g_strdup (address);
  s->context = g_main_context_new ();
  s->loop = g_main_loop_new (s->context, FALSE);
  g_mutex_init (&s->lock);
  g_cond_init (&s->cond);
  s->thread = g_thread_new ("rrtsp-metrics", server_thread, s);

  g_mutex_lock (&s->lock);
  while (!s->started)
    g_cond_wait (&s->cond, &s->lock);
  port = s->port;
  g_mutex_unlock (&s->lock);

  if (port == 0)
    goto listen_failed;

  server = s;
  g_mutex_unlock (&server_lock);
  GST_INFO ("serving telemetry on %s: port %u, /metrics and /health",
      address, port);
  return port;

  /* ERRORS */
listen_failed:
  {
    g_thread_join (s->thread);
    GST_DEBUG ("no metrics server on %s: %s", address, s->error->message);
    g_propagate_error (error, s->error);
    s->error = NULL;
    server_free (s);
    g_mutex_unlock (&server_lock);
    return 0;
  }
}

guint
gst_resilient_telemetry_get_server_port (void)
{
  guint port;

  g_mutex_lock (&server_lock);
  port = server ? server->port : 0;
  g_mutex_unlock (&server_lock);
  return port;
}

void
gst_resilient_telemetry_stop_server (void)
{
  Server *s;

  g_mutex_lock (&server_lock);
  s = server;
  server = NULL;
  if (s) {
    /* a source, not g_main_loop_quit(): the loop may not run yet */
    GSource *quit = g_idle_source_new ();

    g_source_set_callback (quit, server_quit, s, NULL);
    g_source_attach (quit, s->context);
    g_source_unref (quit);
    g_thread_join (s->thread);
    server_free (s);
    GST_INFO ("metrics server stopped");
  }
  g_mutex_unlock (&server_lock);
}
