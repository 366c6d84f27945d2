/* resilientrtsp
 * tests/check/telemetry.c: the telemetry registry, its Prometheus
 * exposition and /health, scraped over HTTP from the libsoup server.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>
#include <math.h>
#include <string.h>

#include "telemetry.h"

#define MS(n) ((GstClockTime) (n) * GST_MSECOND)
#define SEC(n) ((GstClockTime) (n) * GST_SECOND)

/* ---------------------------------------------------------------------- */
/* an HTTP client (synchronous; no proxy, whatever the environment says) */

typedef struct
{
  guint status;
  gchar *body;
  gchar *content_type;
} Reply;

static void
reply_free (Reply * r)
{
  g_free (r->body);
  g_free (r->content_type);
  g_free (r);
}

static Reply *
http_request (guint port, const gchar * method, const gchar * path)
{
  GProxyResolver *direct = g_simple_proxy_resolver_new (NULL, NULL);
  SoupSession *session = soup_session_new_with_options ("proxy-resolver",
      direct, "timeout", 60, NULL);
  gchar *url = g_strdup_printf ("http://127.0.0.1:%u%s", port, path);
  SoupMessage *msg = soup_message_new (method, url);
  GError *error = NULL;
  GBytes *bytes;
  Reply *r = g_new0 (Reply, 1);
  gsize len;
  const gchar *data;

  fail_unless (msg != NULL, "bad URL %s", url);
  bytes = soup_session_send_and_read (session, msg, NULL, &error);
  fail_unless (bytes != NULL, "%s %s: %s", method, url,
      error ? error->message : "?");
  data = g_bytes_get_data (bytes, &len);
  r->body = len > 0 ? g_strndup (data, len) : g_strdup ("");
  r->status = soup_message_get_status (msg);
  r->content_type =
      g_strdup (soup_message_headers_get_one (soup_message_get_response_headers
          (msg), "Content-Type"));

  g_bytes_unref (bytes);
  g_object_unref (msg);
  g_object_unref (session);
  g_object_unref (direct);
  g_free (url);
  return r;
}

static gchar *
scrape (guint port)
{
  Reply *r = http_request (port, "GET", "/metrics");
  gchar *body;

  fail_unless_equals_int (r->status, 200);
  fail_unless_equals_string (r->content_type,
      "text/plain; version=0.0.4; charset=utf-8");
  body = g_steal_pointer (&r->body);
  reply_free (r);
  return body;
}

static guint
start_server (void)
{
  GError *error = NULL;
  guint port = gst_resilient_telemetry_start_server ("127.0.0.1:0", &error);

  fail_unless (port != 0, "%s", error ? error->message : "?");
  return port;
}

/* ---------------------------------------------------------------------- */
/* a checker for the text format 0.0.4 */

typedef struct
{
  gchar *name;                  /* metric name as written */
  gchar *labels;                /* canonical: name="raw value",… in order */
  gchar *le;                    /* the le label's value, or NULL */
  gchar *labels_no_le;          /* the label set without le */
  gdouble value;
} Sample;

static void
sample_free (Sample * s)
{
  g_free (s->name);
  g_free (s->labels);
  g_free (s->le);
  g_free (s->labels_no_le);
  g_free (s);
}

static gboolean
is_name_char (gchar c, gboolean first)
{
  return g_ascii_isalpha (c) || c == '_' || c == ':' || (!first
      && g_ascii_isdigit (c));
}

/* Parses one sample line; fails the test on any syntax error. */
static Sample *
parse_sample (const gchar * line)
{
  Sample *s = g_new0 (Sample, 1);
  GString *labels = g_string_new (NULL);
  GString *no_le = g_string_new (NULL);
  const gchar *p = line;
  gchar *end;

  fail_unless (is_name_char (*p, TRUE), "bad line: %s", line);
  while (is_name_char (*p, FALSE))
    p++;
  s->name = g_strndup (line, p - line);
  if (*p == '{') {
    p++;
    while (*p != '}') {
      const gchar *n = p;
      GString *value = g_string_new (NULL);
      gchar *lname;

      fail_unless (is_name_char (*p, TRUE), "bad label in: %s", line);
      while (is_name_char (*p, FALSE))
        p++;
      lname = g_strndup (n, p - n);
      fail_unless (p[0] == '=' && p[1] == '"', "bad label in: %s", line);
      p += 2;
      while (*p != '"') {
        fail_unless (*p != '\0' && *p != '\n', "unterminated value: %s", line);
        if (*p == '\\') {
          p++;
          if (*p == 'n')
            g_string_append_c (value, '\n');
          else if (*p == '\\' || *p == '"')
            g_string_append_c (value, *p);
          else
            fail ("bad escape in: %s", line);
        } else {
          g_string_append_c (value, *p);
        }
        p++;
      }
      p++;
      g_string_append_printf (labels, "%s%s=\"%s\"", labels->len ? "," : "",
          lname, value->str);
      if (strcmp (lname, "le") == 0) {
        s->le = g_strdup (value->str);
      } else {
        g_string_append_printf (no_le, "%s%s=\"%s\"", no_le->len ? "," : "",
            lname, value->str);
      }
      g_free (lname);
      g_string_free (value, TRUE);
      if (*p == ',')
        p++;
      else
        fail_unless (*p == '}', "bad label list: %s", line);
    }
    p++;
  }
  fail_unless (*p == ' ', "no value: %s", line);
  p++;
  if (strcmp (p, "+Inf") == 0) {
    s->value = INFINITY;
  } else {
    s->value = g_ascii_strtod (p, &end);
    fail_unless (end != p && *end == '\0', "bad value: %s", line);
  }
  s->labels = g_string_free (labels, FALSE);
  s->labels_no_le = g_string_free (no_le, FALSE);
  return s;
}

typedef struct
{
  GHashTable *types;            /* family → type */
  GPtrArray *samples;           /* Sample* */
  GHashTable *values;           /* "name{labels}" → gdouble* */
} Exposition;

static void
exposition_free (Exposition * e)
{
  g_hash_table_unref (e->types);
  g_ptr_array_unref (e->samples);
  g_hash_table_unref (e->values);
  g_free (e);
}

static const gchar *
family_of (Exposition * e, const gchar * name)
{
  static const gchar *suffixes[] = { "_bucket", "_sum", "_count" };
  guint i;

  if (g_hash_table_contains (e->types, name))
    return name;
  for (i = 0; i < G_N_ELEMENTS (suffixes); i++) {
    if (g_str_has_suffix (name, suffixes[i])) {
      gchar *f = g_strndup (name, strlen (name) - strlen (suffixes[i]));
      gpointer key = NULL;
      gboolean found = g_hash_table_lookup_extended (e->types, f, &key, NULL);

      g_free (f);
      if (found
          && strcmp (g_hash_table_lookup (e->types, key), "histogram") == 0)
        return key;
    }
  }
  return NULL;
}

/* Checks the whole document: HELP then TYPE once per family, samples of a
 * family together and after its TYPE, valid samples, no duplicate series,
 * and every histogram consistent (cumulative buckets, +Inf = _count). */
static Exposition *
parse_exposition (const gchar * text)
{
  Exposition *e = g_new0 (Exposition, 1);
  gchar **lines;
  gchar *current = NULL;
  guint i;

  e->types = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  e->samples = g_ptr_array_new_with_free_func ((GDestroyNotify) sample_free);
  e->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  fail_unless (g_str_has_suffix (text, "\n"));
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i + 1] != NULL; i++) {
    const gchar *line = lines[i];

    if (g_str_has_prefix (line, "# HELP ")) {
      gchar **parts = g_strsplit (line + 7, " ", 2);

      fail_unless (parts[0] && parts[1] && *parts[1], "bad HELP: %s", line);
      fail_if (g_hash_table_contains (e->types, parts[0]),
          "family %s twice", parts[0]);
      fail_unless (g_str_has_prefix (parts[0], "resilientrtsp_"));
      g_free (current);
      current = g_strdup (parts[0]);
      fail_unless (lines[i + 1] != NULL);
      {
        gchar *type_prefix = g_strdup_printf ("# TYPE %s ", parts[0]);
        const gchar *type;

        fail_unless (g_str_has_prefix (lines[i + 1], type_prefix),
            "no TYPE after HELP of %s", parts[0]);
        type = lines[i + 1] + strlen (type_prefix);
        fail_unless (strcmp (type, "counter") == 0
            || strcmp (type, "gauge") == 0
            || strcmp (type, "histogram") == 0, "bad type %s", type);
        g_hash_table_insert (e->types, g_strdup (parts[0]), g_strdup (type));
        g_free (type_prefix);
      }
      i++;
      g_strfreev (parts);
    } else {
      Sample *s;
      const gchar *family;
      gchar *key;

      fail_if (line[0] == '#', "stray comment: %s", line);
      fail_if (line[0] == '\0', "empty line");
      s = parse_sample (line);
      family = family_of (e, s->name);
      fail_unless (family != NULL, "sample before its TYPE: %s", line);
      fail_unless (current && strcmp (family, current) == 0,
          "sample outside its family: %s", line);
      if (strcmp (g_hash_table_lookup (e->types, family), "counter") == 0)
        fail_unless (g_str_has_suffix (s->name, "_total"));
      fail_unless (s->value >= 0, "negative: %s", line);
      key = g_strdup_printf ("%s{%s}", s->name, s->labels);
      fail_if (g_hash_table_contains (e->values, key), "duplicate: %s", line);
      g_hash_table_insert (e->values, key, g_memdup2 (&s->value,
              sizeof (gdouble)));
      g_ptr_array_add (e->samples, s);
    }
  }
  g_strfreev (lines);
  g_free (current);

  /* histograms */
  for (i = 0; i < e->samples->len; i++) {
    Sample *s = g_ptr_array_index (e->samples, i);
    gchar *family, *key;
    gdouble *count, *sum;
    guint j;
    gdouble previous = 0;
    gboolean saw_inf = FALSE;

    if (!g_str_has_suffix (s->name, "_count"))
      continue;
    family = g_strndup (s->name, strlen (s->name) - 6);
    if (g_strcmp0 (g_hash_table_lookup (e->types, family), "histogram") != 0) {
      g_free (family);
      continue;
    }
    key = g_strdup_printf ("%s_sum{%s}", family, s->labels);
    sum = g_hash_table_lookup (e->values, key);
    fail_unless (sum != NULL, "no %s", key);
    g_free (key);
    key = g_strdup_printf ("%s_count{%s}", family, s->labels);
    count = g_hash_table_lookup (e->values, key);
    g_free (key);
    if (*count == 0)
      fail_unless (*sum == 0);

    for (j = 0; j < e->samples->len; j++) {
      Sample *b = g_ptr_array_index (e->samples, j);
      gchar *bucket_name = g_strconcat (family, "_bucket", NULL);

      if (strcmp (b->name, bucket_name) == 0
          && strcmp (b->labels_no_le, s->labels) == 0) {
        fail_unless (b->le != NULL);
        fail_unless (b->value >= previous, "buckets not cumulative: %s{%s}",
            b->name, b->labels);
        fail_if (saw_inf, "bucket after +Inf");
        previous = b->value;
        if (strcmp (b->le, "+Inf") == 0) {
          saw_inf = TRUE;
          fail_unless (b->value == *count, "+Inf != _count for %s{%s}",
              family, s->labels);
        }
      }
      g_free (bucket_name);
    }
    fail_unless (saw_inf, "no +Inf bucket for %s{%s}", family, s->labels);
    g_free (family);
  }
  return e;
}

/* The value of one series ("name{label=\"raw\",…}" with raw label values as
 * they were recorded); fails when it does not exist. */
static gdouble
value_of (Exposition * e, const gchar * series)
{
  gchar *key = strchr (series, '{') ? g_strdup (series) :
      g_strconcat (series, "{}", NULL);
  gdouble *v = g_hash_table_lookup (e->values, key);

  fail_unless (v != NULL, "no series %s", series);
  g_free (key);
  return *v;
}

static gboolean
has_series (Exposition * e, const gchar * series)
{
  return g_hash_table_contains (e->values, series);
}

static Exposition *
scrape_parsed (guint port)
{
  gchar *text = scrape (port);
  Exposition *e = parse_exposition (text);

  g_free (text);
  return e;
}

/* ---------------------------------------------------------------------- */

#define CAM1 "element=\"cam1\",location=\"rtsp://h1/stream\""

GST_START_TEST (test_metrics_values)
{
  GstResilientTelemetrySource *cam1, *cam2;
  const gchar *hostile = "rtsp://h2/a\"b\\c\nd";
  gchar *text, *series, *cam2_labels;
  Exposition *e;
  guint port;

  gst_resilient_telemetry_reset ();
  cam1 = gst_resilient_telemetry_source_register ("cam1",
      "rtsp://user:secret@h1/stream", SEC (1));
  cam2 = gst_resilient_telemetry_source_register ("cam2", hostile, 0);

  /* cam1: plays after 250 ms, loses the session, recovers on attempt 2 */
  gst_resilient_telemetry_source_set_state (cam1, "connecting", SEC (1));
  gst_resilient_telemetry_source_set_state (cam1, "playing", MS (1250));
  gst_resilient_telemetry_source_counters (cam1, 1000, 10,
      GST_RESILIENT_TELEMETRY_UNKNOWN);
  gst_resilient_telemetry_source_counters (cam1, 3000, 30,
      GST_RESILIENT_TELEMETRY_UNKNOWN);
  gst_resilient_telemetry_source_set_state (cam1, "recovering", SEC (10));
  gst_resilient_telemetry_source_reconnecting (cam1, 1, MS (100),
      "connection-lost", SEC (10));
  gst_resilient_telemetry_source_reconnecting (cam1, 2, MS (200), "refused",
      MS (10500));
  gst_resilient_telemetry_source_set_state (cam1, "playing", MS (10900));
  /* outage 10 → 10.9 s; the attempt began at 10.7 s */
  gst_resilient_telemetry_source_recovered (cam1, GST_CLOCK_TIME_NONE,
      MS (10900));
  /* a second "playing" is no new connect latency */
  gst_resilient_telemetry_source_set_state (cam1, "paused", SEC (20));
  gst_resilient_telemetry_source_set_state (cam1, "playing", SEC (21));

  /* cam2: plays after 7 s, counts frames, outage given by the caller */
  gst_resilient_telemetry_source_set_state (cam2, "playing", SEC (7));
  gst_resilient_telemetry_source_counters (cam2, 500, 5, 2);
  gst_resilient_telemetry_source_reconnecting (cam2, 1, 0, "stalled", SEC (8));
  gst_resilient_telemetry_source_recovered (cam2, SEC (45), SEC (9));
  gst_resilient_telemetry_source_error (cam2, "not-found");
  gst_resilient_telemetry_source_set_state (cam2, "failed", SEC (10));

  port = start_server ();
  fail_unless_equals_int (gst_resilient_telemetry_get_server_port (), port);
  text = scrape (port);
  /* never the credentials */
  fail_if (strstr (text, "secret") != NULL);
  fail_if (strstr (text, "user") != NULL);
  /* the hostile location, escaped, on one line */
  fail_unless (strstr (text,
          "resilientrtsp_state{element=\"cam2\",location=\"rtsp://h2/a\\\"b"
          "\\\\c\\nd\",state=\"failed\"} 1\n") != NULL, "%s", text);
  /* exact lines as written */
  fail_unless (strstr (text, "# HELP resilientrtsp_connect_latency_seconds ")
      != NULL);
  fail_unless (strstr (text,
          "# TYPE resilientrtsp_connect_latency_seconds histogram\n") != NULL);
  fail_unless (strstr (text, "resilientrtsp_connect_latency_seconds_bucket{"
          CAM1 ",le=\"0.25\"} 1\n") != NULL);
  fail_unless (strstr (text, "resilientrtsp_connect_latency_seconds_sum{"
          CAM1 "} 0.25\n") != NULL);
  fail_unless (strstr (text,
          "resilientrtsp_process_connect_latency_seconds_sum 7.25\n") != NULL);
  fail_unless (strstr (text,
          "resilientrtsp_process_outage_seconds_bucket{le=\"+Inf\"} 2\n") !=
      NULL);

  e = parse_exposition (text);
  g_free (text);

  /* states */
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_state{" CAM1 ",state=\"playing\"}"), 1);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_state{" CAM1 ",state=\"recovering\"}"), 0);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_sources{state=\"playing\"}"), 1);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_sources{state=\"failed\"}"), 1);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_sources{state=\"idle\"}"), 0);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_sources_registered_total"), 2);

  /* connect latency 0.25 s: every bucket from 0.25 up */
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_connect_latency_seconds_bucket{" CAM1
          ",le=\"0.1\"}"), 0);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_connect_latency_seconds_bucket{" CAM1
          ",le=\"0.25\"}"), 1);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_connect_latency_seconds_bucket{" CAM1
          ",le=\"30\"}"), 1);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_connect_latency_seconds_count{" CAM1 "}"), 1);
  /* process-wide: 0.25 and 7 */
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_connect_latency_seconds_bucket{le=\"5\"}"), 1);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_connect_latency_seconds_bucket{le=\"10\"}"),
      2);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_connect_latency_seconds_count"), 2);

  /* cam1's outage: 0.9 s, recovery 0.2 s */
  fail_unless_equals_float (value_of (e,
          "resilientrtsp_outage_seconds_sum{" CAM1 "}"), 0.9);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_outage_seconds_bucket{" CAM1 ",le=\"0.5\"}"), 0);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_outage_seconds_bucket{" CAM1 ",le=\"1\"}"), 1);
  fail_unless_equals_float (value_of (e,
          "resilientrtsp_recovery_seconds_sum{" CAM1 "}"), 0.2);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_recovery_seconds_bucket{" CAM1 ",le=\"0.1\"}"), 0);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_recovery_seconds_bucket{" CAM1 ",le=\"0.25\"}"), 1);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_reconnect_attempts_total{" CAM1 "}"), 2);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_recoveries_total{" CAM1 "}"), 1);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_errors_total{" CAM1 ",class=\"connection-lost\"}"), 1);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_errors_total{" CAM1 ",class=\"refused\"}"), 1);
  fail_if (has_series (e,
          "resilientrtsp_errors_total{" CAM1 ",class=\"not-found\"}"));

  /* counters are totals: the last snapshot wins */
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_received_bytes_total{" CAM1 "}"), 3000);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_received_packets_total{" CAM1 "}"), 30);
  /* cam1 gave no frames: no series */
  fail_if (has_series (e, "resilientrtsp_received_frames_total{" CAM1 "}"));

  /* cam2, with its hostile location as recorded */
  cam2_labels = g_strdup_printf ("element=\"cam2\",location=\"%s\"", hostile);
  series = g_strdup_printf ("resilientrtsp_received_frames_total{%s}",
      cam2_labels);
  fail_unless_equals_int (value_of (e, series), 2);
  g_free (series);
  series = g_strdup_printf ("resilientrtsp_outage_seconds_sum{%s}",
      cam2_labels);
  fail_unless_equals_int (value_of (e, series), 45);
  g_free (series);
  series = g_strdup_printf ("resilientrtsp_outage_seconds_bucket{%s,le=\"30\"}",
      cam2_labels);
  fail_unless_equals_int (value_of (e, series), 0);
  g_free (series);
  series = g_strdup_printf ("resilientrtsp_outage_seconds_bucket{%s,le=\"60\"}",
      cam2_labels);
  fail_unless_equals_int (value_of (e, series), 1);
  g_free (series);
  /* its attempt began at once (delay 0) at 8 s: recovery took 1 s */
  series = g_strdup_printf ("resilientrtsp_recovery_seconds_sum{%s}",
      cam2_labels);
  fail_unless_equals_int (value_of (e, series), 1);
  g_free (series);
  series =
      g_strdup_printf ("resilientrtsp_errors_total{%s,class=\"not-found\"}",
      cam2_labels);
  fail_unless_equals_int (value_of (e, series), 1);
  g_free (series);
  g_free (cam2_labels);

  /* process-wide sums */
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_received_bytes_total"), 3500);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_received_packets_total"), 35);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_received_frames_total"), 2);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_reconnect_attempts_total"), 3);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_recoveries_total"), 2);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_outage_seconds_count"), 2);
  fail_unless_equals_float (value_of (e,
          "resilientrtsp_process_outage_seconds_sum"), 45.9);
  fail_unless_equals_float (value_of (e,
          "resilientrtsp_process_recovery_seconds_sum"), 1.2);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_errors_total{class=\"refused\"}"), 1);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_errors_total{class=\"not-found\"}"), 1);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_errors_total{class=\"stalled\"}"), 1);
  exposition_free (e);

  gst_resilient_telemetry_source_unregister (cam1);
  gst_resilient_telemetry_source_unregister (cam2);
  gst_resilient_telemetry_stop_server ();
  fail_unless_equals_int (gst_resilient_telemetry_get_server_port (), 0);
}

GST_END_TEST;

GST_START_TEST (test_counter_restart_and_names)
{
  GstResilientTelemetrySource *a, *b, *c;
  Exposition *e;
  gchar *text;

  gst_resilient_telemetry_reset ();
  a = gst_resilient_telemetry_source_register ("src", "rtsp://h/a", 0);
  b = gst_resilient_telemetry_source_register ("src", "rtsp://h/b", 0);
  c = gst_resilient_telemetry_source_register ("src", "rtsp://h/c", 0);

  /* totals going down: a restart from 0 */
  gst_resilient_telemetry_source_counters (a, 100, 1, 0);
  gst_resilient_telemetry_source_counters (a, 40, 2, 0);

  text = gst_resilient_telemetry_render_metrics ();
  e = parse_exposition (text);
  g_free (text);
  /* same names get their own series */
  fail_unless (has_series (e,
          "resilientrtsp_state{element=\"src\",location=\"rtsp://h/a\","
          "state=\"idle\"}"));
  fail_unless (has_series (e,
          "resilientrtsp_state{element=\"src~2\",location=\"rtsp://h/b\","
          "state=\"idle\"}"));
  fail_unless (has_series (e,
          "resilientrtsp_state{element=\"src~3\",location=\"rtsp://h/c\","
          "state=\"idle\"}"));
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_received_bytes_total{element=\"src\","
          "location=\"rtsp://h/a\"}"), 140);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_received_packets_total{element=\"src\","
          "location=\"rtsp://h/a\"}"), 2);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_received_bytes_total"), 140);
  exposition_free (e);

  /* a freed name is free again */
  gst_resilient_telemetry_source_unregister (b);
  b = gst_resilient_telemetry_source_register ("src", "rtsp://h/d", 0);
  text = gst_resilient_telemetry_render_metrics ();
  fail_unless (strstr (text, "element=\"src~2\",location=\"rtsp://h/d\""));
  g_free (text);

  /* a NULL source records nothing and does not crash */
  gst_resilient_telemetry_source_set_state (NULL, "playing", 0);
  gst_resilient_telemetry_source_counters (NULL, 1, 1, 1);
  gst_resilient_telemetry_source_reconnecting (NULL, 1, 0, "refused", 0);
  gst_resilient_telemetry_source_recovered (NULL, 0, 0);
  gst_resilient_telemetry_source_error (NULL, "refused");
  gst_resilient_telemetry_source_stats (NULL, NULL);
  gst_resilient_telemetry_source_unregister (NULL);

  gst_resilient_telemetry_source_unregister (a);
  gst_resilient_telemetry_source_unregister (b);
  gst_resilient_telemetry_source_unregister (c);
}

GST_END_TEST;

GST_START_TEST (test_stats_structure)
{
  GstResilientTelemetrySource *a;
  GstStructure *stats;
  Exposition *e;
  gchar *text;

  gst_resilient_telemetry_reset ();
  a = gst_resilient_telemetry_source_register ("a", "rtsp://h/a", 0);
  stats = gst_structure_new ("resilientrtsp-stats",
      "state", G_TYPE_STRING, "playing",
      "bytes-received", G_TYPE_UINT64, (guint64) 12345,
      "packets-received", G_TYPE_UINT64, (guint64) 67, NULL);
  gst_resilient_telemetry_source_stats (a, stats);
  gst_structure_free (stats);

  text = gst_resilient_telemetry_render_metrics ();
  e = parse_exposition (text);
  g_free (text);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_received_bytes_total{element=\"a\","
          "location=\"rtsp://h/a\"}"), 12345);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_received_packets_total{element=\"a\","
          "location=\"rtsp://h/a\"}"), 67);
  fail_if (has_series (e,
          "resilientrtsp_received_frames_total{element=\"a\","
          "location=\"rtsp://h/a\"}"));
  exposition_free (e);

  /* the element's stats carry frames-received (buffers output on its
   * pads): the source gets a frames series, counted as a delta */
  stats = gst_structure_new ("resilientrtsp-stats",
      "bytes-received", G_TYPE_UINT64, (guint64) 20000,
      "packets-received", G_TYPE_UINT64, (guint64) 100,
      "frames-received", G_TYPE_UINT64, (guint64) 30, NULL);
  gst_resilient_telemetry_source_stats (a, stats);
  gst_structure_set (stats, "frames-received", G_TYPE_UINT64, (guint64) 45,
      NULL);
  gst_resilient_telemetry_source_stats (a, stats);
  gst_structure_free (stats);
  text = gst_resilient_telemetry_render_metrics ();
  e = parse_exposition (text);
  g_free (text);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_received_frames_total{element=\"a\","
          "location=\"rtsp://h/a\"}"), 45);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_received_frames_total"), 45);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_received_bytes_total{element=\"a\","
          "location=\"rtsp://h/a\"}"), 20000);
  exposition_free (e);
  gst_resilient_telemetry_source_unregister (a);
}

GST_END_TEST;

GST_START_TEST (test_health)
{
  GstResilientTelemetrySource *a, *b;
  guint port, status;
  Reply *r;
  gchar *body;

  gst_resilient_telemetry_reset ();
  port = start_server ();

  /* nobody registered: ok */
  r = http_request (port, "GET", "/health");
  fail_unless_equals_int (r->status, 200);
  fail_unless_equals_string (r->content_type, "application/json");
  fail_unless_equals_string (r->body, "{\"status\":\"ok\",\"streams\":[]}\n");
  reply_free (r);

  a = gst_resilient_telemetry_source_register ("a", "rtsp://u:pw@h/a", 0);
  b = gst_resilient_telemetry_source_register ("b", "rtsp://h/\"b\"\n", 0);

  /* just registered: starting */
  r = http_request (port, "GET", "/health");
  fail_unless_equals_int (r->status, 503);
  fail_unless_equals_string (r->body, "{\"status\":\"starting\",\"streams\":["
      "{\"element\":\"a\",\"location\":\"rtsp://h/a\",\"state\":\"idle\","
      "\"health\":\"starting\"},"
      "{\"element\":\"b\",\"location\":\"rtsp://h/\\\"b\\\"\\u000a\","
      "\"state\":\"idle\",\"health\":\"starting\"}]}\n");
  reply_free (r);

  gst_resilient_telemetry_source_set_state (a, "playing", SEC (1));
  gst_resilient_telemetry_source_set_state (b, "paused", SEC (1));
  r = http_request (port, "GET", "/health");
  fail_unless_equals_int (r->status, 200);
  fail_unless_equals_string (r->body, "{\"status\":\"ok\",\"streams\":["
      "{\"element\":\"a\",\"location\":\"rtsp://h/a\",\"state\":\"playing\","
      "\"health\":\"ok\"},"
      "{\"element\":\"b\",\"location\":\"rtsp://h/\\\"b\\\"\\u000a\","
      "\"state\":\"paused\",\"health\":\"ok\"}]}\n");
  reply_free (r);

  gst_resilient_telemetry_source_set_state (b, "recovering", SEC (2));
  r = http_request (port, "GET", "/health");
  fail_unless_equals_int (r->status, 503);
  fail_unless (g_str_has_prefix (r->body, "{\"status\":\"recovering\","));
  fail_unless (strstr (r->body, "\"state\":\"recovering\","
          "\"health\":\"recovering\"}") != NULL);
  reply_free (r);

  /* failed beats recovering */
  gst_resilient_telemetry_source_set_state (a, "failed", SEC (3));
  r = http_request (port, "GET", "/health");
  fail_unless_equals_int (r->status, 503);
  fail_unless (g_str_has_prefix (r->body, "{\"status\":\"failed\","));
  fail_unless (strstr (r->body, "{\"element\":\"a\",\"location\":"
          "\"rtsp://h/a\",\"state\":\"failed\",\"health\":\"failed\"}") !=
      NULL);
  reply_free (r);

  /* a state nobody knows */
  gst_resilient_telemetry_source_set_state (a, "weird", SEC (4));
  gst_resilient_telemetry_source_set_state (b, "playing", SEC (4));
  body = gst_resilient_telemetry_render_health (&status);
  fail_unless_equals_int (status, 503);
  fail_unless (g_str_has_prefix (body, "{\"status\":\"unknown\","));
  g_free (body);

  gst_resilient_telemetry_source_unregister (a);
  r = http_request (port, "GET", "/health");
  fail_unless_equals_int (r->status, 200);
  fail_unless_equals_string (r->body, "{\"status\":\"ok\",\"streams\":["
      "{\"element\":\"b\",\"location\":\"rtsp://h/\\\"b\\\"\\u000a\","
      "\"state\":\"playing\",\"health\":\"ok\"}]}\n");
  reply_free (r);

  gst_resilient_telemetry_source_unregister (b);
  gst_resilient_telemetry_stop_server ();
}

GST_END_TEST;

GST_START_TEST (test_unregister_keeps_process_counters)
{
  GstResilientTelemetrySource *a, *b;
  Exposition *e;
  guint port;

  gst_resilient_telemetry_reset ();
  port = start_server ();
  a = gst_resilient_telemetry_source_register ("a", "rtsp://h/a", 0);
  b = gst_resilient_telemetry_source_register ("b", "rtsp://h/b", 0);
  gst_resilient_telemetry_source_set_state (a, "playing", MS (20));
  gst_resilient_telemetry_source_counters (a, 700, 7, 3);
  gst_resilient_telemetry_source_counters (b, 300, 3, 1);
  gst_resilient_telemetry_source_reconnecting (a, 1, 0, "timeout", SEC (1));
  gst_resilient_telemetry_source_error (a, "auth");

  e = scrape_parsed (port);
  fail_unless (has_series (e,
          "resilientrtsp_received_bytes_total{element=\"a\","
          "location=\"rtsp://h/a\"}"));
  exposition_free (e);

  gst_resilient_telemetry_source_unregister (a);
  {
    gchar *text = scrape (port);

    fail_if (strstr (text, "element=\"a\"") != NULL, "%s", text);
    fail_unless (strstr (text, "element=\"b\"") != NULL);
    e = parse_exposition (text);
    g_free (text);
  }
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_received_bytes_total"), 1000);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_received_frames_total"), 4);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_reconnect_attempts_total"), 1);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_errors_total{class=\"auth\"}"), 1);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_errors_total{class=\"timeout\"}"), 1);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_connect_latency_seconds_count"), 1);
  fail_unless_equals_float (value_of (e,
          "resilientrtsp_process_connect_latency_seconds_sum"), 0.02);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_sources_registered_total"), 2);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_sources{state=\"idle\"}"), 1);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_sources{state=\"playing\"}"), 0);
  exposition_free (e);

  gst_resilient_telemetry_source_unregister (b);
  e = scrape_parsed (port);
  fail_unless_equals_int (value_of (e,
          "resilientrtsp_process_received_bytes_total"), 1000);
  /* the per-element families stay declared, without samples */
  fail_unless (g_hash_table_contains (e->types, "resilientrtsp_state"));
  exposition_free (e);
  gst_resilient_telemetry_stop_server ();
}

GST_END_TEST;

GST_START_TEST (test_other_paths)
{
  guint port = start_server ();
  Reply *r;

  r = http_request (port, "GET", "/");
  fail_unless_equals_int (r->status, 404);
  reply_free (r);
  r = http_request (port, "GET", "/metrics/extra");
  fail_unless_equals_int (r->status, 404);
  reply_free (r);
  r = http_request (port, "GET", "/healthz");
  fail_unless_equals_int (r->status, 404);
  reply_free (r);
  r = http_request (port, "GET", "/metricsx");
  fail_unless_equals_int (r->status, 404);
  reply_free (r);
  r = http_request (port, "POST", "/metrics");
  fail_unless_equals_int (r->status, 405);
  reply_free (r);
  r = http_request (port, "HEAD", "/metrics");
  fail_unless_equals_int (r->status, 200);
  fail_unless_equals_string (r->body, "");
  reply_free (r);

  /* a second start gives the running server's port */
  fail_unless_equals_int (gst_resilient_telemetry_start_server ("[::1]:0",
          NULL), port);
  gst_resilient_telemetry_stop_server ();
  /* and after a stop a new one starts */
  port = start_server ();
  r = http_request (port, "GET", "/metrics");
  fail_unless_equals_int (r->status, 200);
  reply_free (r);
  gst_resilient_telemetry_stop_server ();
  /* stopping twice is fine */
  gst_resilient_telemetry_stop_server ();

  /* every interface, and localhost: both answer on 127.0.0.1 */
  port = gst_resilient_telemetry_start_server (":0", NULL);
  fail_unless (port != 0);
  r = http_request (port, "GET", "/health");
  fail_unless_equals_int (r->status, 200);
  reply_free (r);
  gst_resilient_telemetry_stop_server ();
  port = gst_resilient_telemetry_start_server ("localhost:0", NULL);
  fail_unless (port != 0);
  r = http_request (port, "GET", "/health");
  fail_unless_equals_int (r->status, 200);
  reply_free (r);
  gst_resilient_telemetry_stop_server ();
}

GST_END_TEST;

GST_START_TEST (test_bad_addresses)
{
  const gchar *bad[] = { "", "9464", "nonsense", "127.0.0.1:", ":65536",
    "127.0.0.1:-1", "127.0.0.1:80x", "[::1]9464", "[::1", "::1:9464",
    "cam.example:9464"
  };
  GSocket *sock;
  GSocketAddress *any, *bound;
  GInetAddress *lo;
  GError *error = NULL;
  gchar *address;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    fail_unless_equals_int (gst_resilient_telemetry_start_server (bad[i],
            &error), 0);
    fail_unless (g_error_matches (error, G_IO_ERROR,
            G_IO_ERROR_INVALID_ARGUMENT), "%s: %s", bad[i],
        error ? error->message : "no error");
    g_clear_error (&error);
  }

  /* a port in use */
  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  any = g_inet_socket_address_new (lo, 0);
  fail_unless (g_socket_bind (sock, any, FALSE, NULL));
  fail_unless (g_socket_listen (sock, NULL));
  bound = g_socket_get_local_address (sock, NULL);
  address = g_strdup_printf ("127.0.0.1:%u",
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  fail_unless_equals_int (gst_resilient_telemetry_start_server (address,
          &error), 0);
  fail_unless (error != NULL);
  fail_unless_equals_int (gst_resilient_telemetry_get_server_port (), 0);
  g_clear_error (&error);

  g_free (address);
  g_object_unref (bound);
  g_object_unref (any);
  g_object_unref (lo);
  g_object_unref (sock);
}

GST_END_TEST;

/* the server the environment asks for; first in the suite, so that it also
 * works without forking (the variable is read once per process) */
GST_START_TEST (test_environment)
{
  GstResilientTelemetrySource *a;
  gchar *text;
  guint port;

  g_setenv (GST_RESILIENT_TELEMETRY_ENV, "127.0.0.1:0", TRUE);
  fail_unless_equals_int (gst_resilient_telemetry_get_server_port (), 0);
  a = gst_resilient_telemetry_source_register ("envsrc", "rtsp://h/env", 0);
  port = gst_resilient_telemetry_get_server_port ();
  fail_unless (port != 0);
  text = scrape (port);
  fail_unless (strstr (text, "resilientrtsp_state{element=\"envsrc\","
          "location=\"rtsp://h/env\",state=\"idle\"} 1\n") != NULL);
  g_free (text);
  gst_resilient_telemetry_source_unregister (a);
  gst_resilient_telemetry_stop_server ();
  g_unsetenv (GST_RESILIENT_TELEMETRY_ENV);
}

GST_END_TEST;

/* ---------------------------------------------------------------------- */
/* several threads recording while the main thread scrapes */

#define N_THREADS 4
#define N_SCRAPES 20

static gint stop_workers;
static guint rounds[N_THREADS];

/* records until told to stop; rounds[id] says how often */
static gpointer
worker (gpointer data)
{
  guint id = GPOINTER_TO_UINT (data);
  gchar *name = g_strdup_printf ("w%u", id);
  GstResilientTelemetrySource *s =
      gst_resilient_telemetry_source_register (name, "rtsp://h/w", 0);
  guint i;

  for (i = 1; !g_atomic_int_get (&stop_workers); i++) {
    gst_resilient_telemetry_source_set_state (s, "playing", SEC (i));
    gst_resilient_telemetry_source_counters (s, (guint64) i * 100, i,
        GST_RESILIENT_TELEMETRY_UNKNOWN);
    gst_resilient_telemetry_source_set_state (s, "recovering", SEC (i));
    gst_resilient_telemetry_source_reconnecting (s, 1, MS (10),
        i % 2 ? "refused" : "timeout", SEC (i));
    gst_resilient_telemetry_source_recovered (s, MS (300), SEC (i) + MS (50));
    if (i % 50 == 0)
      gst_resilient_telemetry_source_error (s, "stalled");
    rounds[id] = i;
    /* leave the scraper some CPU (valgrind runs one thread at a time) */
    if (i % 10 == 0)
      g_usleep (50);
  }
  gst_resilient_telemetry_source_unregister (s);
  g_free (name);
  return NULL;
}

GST_START_TEST (test_concurrency)
{
  GThread *threads[N_THREADS];
  Exposition *e;
  guint port, i;
  guint64 total = 0, refused = 0, timeout = 0, stalled = 0;

  gst_resilient_telemetry_reset ();
  g_atomic_int_set (&stop_workers, 0);
  port = start_server ();
  for (i = 0; i < N_THREADS; i++)
    threads[i] = g_thread_new ("worker", worker, GUINT_TO_POINTER (i));
  /* the workers record all the time these scrapes take; every one is a
   * valid document */
  for (i = 0; i < N_SCRAPES; i++) {
    Reply *r = http_request (port, "GET", "/health");

    fail_unless (r->status == 200 || r->status == 503);
    reply_free (r);
    e = scrape_parsed (port);
    exposition_free (e);
  }
  g_atomic_int_set (&stop_workers, 1);
  for (i = 0; i < N_THREADS; i++) {
    guint n;

    g_thread_join (threads[i]);
    n = rounds[i];
    total += n;
    refused += (n + 1) / 2;
    timeout += n / 2;
    stalled += n / 50;
  }
  GST_INFO ("%" G_GUINT64_FORMAT " rounds during %u scrapes", total, N_SCRAPES);

  e = scrape_parsed (port);
  fail_unless_equals_uint64 ((guint64) value_of (e,
          "resilientrtsp_process_sources_registered_total"), N_THREADS);
  fail_unless_equals_uint64 ((guint64) value_of (e,
          "resilientrtsp_process_reconnect_attempts_total"), total);
  fail_unless_equals_uint64 ((guint64) value_of (e,
          "resilientrtsp_process_recoveries_total"), total);
  fail_unless_equals_uint64 ((guint64) value_of (e,
          "resilientrtsp_process_outage_seconds_count"), total);
  fail_unless_equals_float (value_of (e,
          "resilientrtsp_process_outage_seconds_sum"), (300 * total) / 1000.0);
  /* recovery: attempt at i + 10 ms, PLAY at i + 50 ms */
  fail_unless_equals_uint64 ((guint64) value_of (e,
          "resilientrtsp_process_recovery_seconds_bucket{le=\"0.025\"}"), 0);
  fail_unless_equals_uint64 ((guint64) value_of (e,
          "resilientrtsp_process_recovery_seconds_bucket{le=\"0.05\"}"), total);
  fail_unless_equals_uint64 ((guint64) value_of (e,
          "resilientrtsp_process_connect_latency_seconds_count"), N_THREADS);
  fail_unless_equals_uint64 ((guint64) value_of (e,
          "resilientrtsp_process_received_bytes_total"), total * 100);
  fail_unless_equals_uint64 ((guint64) value_of (e,
          "resilientrtsp_process_received_packets_total"), total);
  fail_unless_equals_uint64 ((guint64) value_of (e,
          "resilientrtsp_process_errors_total{class=\"refused\"}"), refused);
  if (timeout > 0)
    fail_unless_equals_uint64 ((guint64) value_of (e,
            "resilientrtsp_process_errors_total{class=\"timeout\"}"), timeout);
  if (stalled > 0)
    fail_unless_equals_uint64 ((guint64) value_of (e,
            "resilientrtsp_process_errors_total{class=\"stalled\"}"), stalled);
  /* all unregistered */
  fail_unless_equals_uint64 ((guint64) value_of (e,
          "resilientrtsp_process_sources{state=\"recovering\"}"), 0);
  fail_unless_equals_uint64 ((guint64) value_of (e,
          "resilientrtsp_process_sources{state=\"playing\"}"), 0);
  exposition_free (e);
  gst_resilient_telemetry_stop_server ();
}

GST_END_TEST;

static Suite *
telemetry_suite (void)
{
  Suite *s = suite_create ("telemetry");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_environment);
  tcase_add_test (tc, test_metrics_values);
  tcase_add_test (tc, test_counter_restart_and_names);
  tcase_add_test (tc, test_stats_structure);
  tcase_add_test (tc, test_health);
  tcase_add_test (tc, test_unregister_keeps_process_counters);
  tcase_add_test (tc, test_other_paths);
  tcase_add_test (tc, test_bad_addresses);
  tcase_add_test (tc, test_concurrency);
  return s;
}

GST_CHECK_MAIN (telemetry);
