/* resilientrtsp tests
 * pipeline-fixture.c
 */
#include "pipeline-fixture.h"

#include <gio/gio.h>
#include <gst/check/gstcheck.h>
#include <string.h>

static void
on_handoff (GstElement * sink, GstBuffer * buf, GstPad * pad, RrPipeline * p)
{
  RrPadInfo *info = g_object_get_data (G_OBJECT (sink), "rr-pad-info");

  g_mutex_lock (&p->lock);
  if (info->caps == NULL) {
    GstCaps *caps = gst_pad_get_current_caps (pad);

    info->caps = caps ? gst_caps_to_string (caps) : g_strdup ("(none)");
    if (caps)
      gst_caps_unref (caps);
  }
  info->buffers++;
  if (GST_BUFFER_PTS_IS_VALID (buf)) {
    if (GST_CLOCK_TIME_IS_VALID (info->last_pts) &&
        GST_BUFFER_PTS (buf) < info->last_pts)
      info->pts_regressions++;
    info->last_pts = GST_BUFFER_PTS (buf);
  }
  g_cond_broadcast (&p->cond);
  g_mutex_unlock (&p->lock);
}

static GstPadProbeReturn
on_sink_event (GstPad * pad, GstPadProbeInfo * probe, RrPipeline * p)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (probe);
  RrPadInfo *info = g_object_get_data (G_OBJECT (pad), "rr-pad-info");

  g_mutex_lock (&p->lock);
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
    info->eos++;
  else if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_START)
    info->flushes++;
  g_mutex_unlock (&p->lock);
  return GST_PAD_PROBE_OK;
}

static void
on_pad_added (GstElement * src, GstPad * pad, RrPipeline * p)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  RrPadInfo *info = g_new0 (RrPadInfo, 1);
  GstPad *sinkpad;

  info->name = gst_pad_get_name (pad);
  info->last_pts = GST_CLOCK_TIME_NONE;
  g_object_set (sink, "sync", FALSE, "async", FALSE, "signal-handoffs", TRUE,
      NULL);
  g_object_set_data (G_OBJECT (sink), "rr-pad-info", info);
  g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), p);
  gst_bin_add (GST_BIN (p->pipeline), sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  g_object_set_data (G_OBJECT (sinkpad), "rr-pad-info", info);
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM |
      GST_PAD_PROBE_TYPE_EVENT_FLUSH, (GstPadProbeCallback) on_sink_event, p,
      NULL);
  fail_unless_equals_int (gst_pad_link (pad, sinkpad), GST_PAD_LINK_OK);
  gst_object_unref (sinkpad);
  gst_element_sync_state_with_parent (sink);

  g_mutex_lock (&p->lock);
  g_ptr_array_add (p->pads, info);
  g_cond_broadcast (&p->cond);
  g_mutex_unlock (&p->lock);
}

static void
on_no_more_pads (GstElement * src, RrPipeline * p)
{
  g_mutex_lock (&p->lock);
  p->no_more_pads = TRUE;
  g_cond_broadcast (&p->cond);
  g_mutex_unlock (&p->lock);
}

static gboolean
on_before_send (GstElement * src, GstRTSPMessage * msg, RrPipeline * p)
{
  g_mutex_lock (&p->lock);
  p->before_send++;
  g_mutex_unlock (&p->lock);
  return TRUE;
}

static void
on_sdp (GstElement * src, gpointer sdp, RrPipeline * p)
{
  g_mutex_lock (&p->lock);
  p->on_sdp++;
  g_mutex_unlock (&p->lock);
}

static void
on_new_manager (GstElement * src, GstElement * manager, RrPipeline * p)
{
  g_mutex_lock (&p->lock);
  if (g_str_has_prefix (GST_OBJECT_NAME (gst_element_get_factory (manager)),
          "rtpbin"))
    p->new_manager++;
  g_mutex_unlock (&p->lock);
}

static GstBusSyncReply
on_bus_message (GstBus * bus, GstMessage * msg, RrPipeline * p)
{
  const GstStructure *s = gst_message_get_structure (msg);

  g_mutex_lock (&p->lock);
  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:
      if (p->error == NULL) {
        const GstStructure *details = NULL;

        gst_message_parse_error (msg, &p->error, NULL);
        gst_message_parse_error_details (msg, &details);
        if (details && gst_structure_has_field (details, "class"))
          p->error_class = g_strdup (gst_structure_get_string (details,
                  "class"));
        GST_INFO ("error: %s (class %s)", p->error->message,
            p->error_class ? p->error_class : "-");
      }
      break;
    case GST_MESSAGE_ELEMENT:
      if (gst_structure_has_name (s, "resilientrtsp-state")) {
        const gchar *reason = gst_structure_get_string (s, "reason");

        g_ptr_array_add (p->states,
            g_strdup (gst_structure_get_string (s, "state")));
        g_ptr_array_add (p->reasons, g_strdup (reason ? reason : ""));
      } else if (gst_structure_has_name (s, "resilientrtsp-reconnecting")) {
        p->reconnecting++;
        g_free (p->last_reconnect_class);
        p->last_reconnect_class =
            g_strdup (gst_structure_get_string (s, "class"));
        g_ptr_array_add (p->reconnect_classes,
            g_strdup (p->last_reconnect_class));
      } else if (gst_structure_has_name (s, "resilientrtsp-recovered")) {
        p->recovered++;
      } else if (gst_structure_has_name (s,
              "resilientrtsp-streams-changed")) {
        guint added = 0;

        gst_structure_get_uint (s, "added", &added);
        p->streams_changed++;
        p->streams_added += added;
      } else if (gst_structure_has_name (s, "resilientrtsp-stats")) {
        p->stats_messages++;
        if (p->last_stats)
          gst_structure_free (p->last_stats);
        p->last_stats = gst_structure_copy (s);
      }
      break;
    default:
      break;
  }
  g_cond_broadcast (&p->cond);
  g_mutex_unlock (&p->lock);
  return GST_BUS_DROP;
}

RrPipeline *
rr_pipeline_new (const gchar * url, const gchar * first_prop, ...)
{
  RrPipeline *p = g_new0 (RrPipeline, 1);
  GstBus *bus;
  va_list args;

  g_mutex_init (&p->lock);
  g_cond_init (&p->cond);
  p->pads = g_ptr_array_new ();
  p->states = g_ptr_array_new_with_free_func (g_free);
  p->reasons = g_ptr_array_new_with_free_func (g_free);
  p->reconnect_classes = g_ptr_array_new_with_free_func (g_free);

  p->pipeline = gst_pipeline_new (NULL);
  p->src = gst_element_factory_make ("resilientrtspsrc", NULL);
  fail_unless (p->src != NULL, "resilientrtspsrc not found");
  g_object_set (p->src, "location", url, "latency", 200, NULL);
  /* the integration suites run once more with rtp-manager=rtpbin */
  if (g_getenv ("RRTSP_TEST_RTP_MANAGER"))
    gst_util_set_object_arg (G_OBJECT (p->src), "rtp-manager",
        g_getenv ("RRTSP_TEST_RTP_MANAGER"));
  if (first_prop) {
    va_start (args, first_prop);
    g_object_set_valist (G_OBJECT (p->src), first_prop, args);
    va_end (args);
  }
  gst_bin_add (GST_BIN (p->pipeline), p->src);

  g_signal_connect (p->src, "pad-added", G_CALLBACK (on_pad_added), p);
  g_signal_connect (p->src, "no-more-pads", G_CALLBACK (on_no_more_pads), p);
  g_signal_connect (p->src, "before-send", G_CALLBACK (on_before_send), p);
  g_signal_connect (p->src, "on-sdp", G_CALLBACK (on_sdp), p);
  g_signal_connect (p->src, "new-manager", G_CALLBACK (on_new_manager), p);

  bus = gst_element_get_bus (p->pipeline);
  gst_bus_set_sync_handler (bus, (GstBusSyncHandler) on_bus_message, p, NULL);
  gst_object_unref (bus);
  return p;
}

void
rr_pipeline_play (RrPipeline * p)
{
  GstStateChangeReturn ret = gst_element_set_state (p->pipeline,
      GST_STATE_PLAYING);

  fail_if (ret == GST_STATE_CHANGE_FAILURE, "PLAYING failed");
}

static void
pad_info_free (RrPadInfo * info)
{
  g_free (info->name);
  g_free (info->caps);
  g_free (info);
}

void
rr_pipeline_free (RrPipeline * p)
{
  GstBus *bus;

  fail_unless_equals_int (gst_element_set_state (p->pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  bus = gst_element_get_bus (p->pipeline);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  gst_object_unref (p->pipeline);

  g_ptr_array_foreach (p->pads, (GFunc) pad_info_free, NULL);
  g_ptr_array_unref (p->pads);
  g_ptr_array_unref (p->states);
  g_ptr_array_unref (p->reasons);
  g_ptr_array_unref (p->reconnect_classes);
  g_clear_error (&p->error);
  g_free (p->error_class);
  g_free (p->last_reconnect_class);
  if (p->last_stats)
    gst_structure_free (p->last_stats);
  g_mutex_clear (&p->lock);
  g_cond_clear (&p->cond);
  g_free (p);
}

typedef gboolean (*RrCondition) (RrPipeline * p, gconstpointer data);

static gboolean
wait_for (RrPipeline * p, RrCondition cond, gconstpointer data)
{
  gint64 deadline = g_get_monotonic_time () + RR_WAIT_MS * 1000;
  gboolean ok;

  g_mutex_lock (&p->lock);
  while (!(ok = cond (p, data))) {
    if (!g_cond_wait_until (&p->cond, &p->lock, deadline)) {
      ok = cond (p, data);
      break;
    }
  }
  g_mutex_unlock (&p->lock);
  return ok;
}

typedef struct
{
  guint n_pads;
  guint n_buffers;
} BufferCond;

static gboolean
have_buffers (RrPipeline * p, gconstpointer data)
{
  const BufferCond *c = data;
  guint i, done = 0;

  for (i = 0; i < p->pads->len; i++) {
    RrPadInfo *info = g_ptr_array_index (p->pads, i);

    if (info->buffers >= c->n_buffers)
      done++;
  }
  return done >= c->n_pads || p->error != NULL;
}

gboolean
rr_pipeline_wait_buffers (RrPipeline * p, guint n_pads, guint n_buffers)
{
  BufferCond c = { n_pads, n_buffers };

  return wait_for (p, have_buffers, &c) && p->error == NULL;
}

static gboolean
have_error (RrPipeline * p, gconstpointer data)
{
  return p->error != NULL;
}

gboolean
rr_pipeline_wait_error (RrPipeline * p)
{
  return wait_for (p, have_error, NULL);
}

typedef struct
{
  const gchar *state;
  guint count;
} StateCond;

static gboolean
have_state (RrPipeline * p, gconstpointer data)
{
  const StateCond *c = data;
  guint i, seen = 0;

  for (i = 0; i < p->states->len; i++) {
    if (g_strcmp0 (g_ptr_array_index (p->states, i), c->state) == 0)
      seen++;
  }
  return seen >= c->count;
}

gboolean
rr_pipeline_wait_state_count (RrPipeline * p, const gchar * state, guint count)
{
  StateCond c = { state, count };

  return wait_for (p, have_state, &c);
}

gboolean
rr_pipeline_wait_state (RrPipeline * p, const gchar * state)
{
  return rr_pipeline_wait_state_count (p, state, 1);
}

static gboolean
have_stats (RrPipeline * p, gconstpointer data)
{
  return p->stats_messages >= GPOINTER_TO_UINT (data);
}

gboolean
rr_pipeline_wait_stats (RrPipeline * p, guint n_messages)
{
  return wait_for (p, have_stats, GUINT_TO_POINTER (n_messages));
}

void
rr_pipeline_assert_clean_downstream (RrPipeline * p, guint n_pads)
{
  guint i;

  g_mutex_lock (&p->lock);
  fail_unless_equals_int (p->pads->len, n_pads);
  for (i = 0; i < p->pads->len; i++) {
    RrPadInfo *info = g_ptr_array_index (p->pads, i);

    fail_unless (info->eos == 0, "%s: %u EOS", info->name, info->eos);
    fail_unless (info->flushes == 0, "%s: %u flushes", info->name,
        info->flushes);
    fail_unless (info->pts_regressions == 0, "%s: %u PTS regressions",
        info->name, info->pts_regressions);
  }
  fail_unless (p->error == NULL, "error: %s",
      p->error ? p->error->message : "");
  g_mutex_unlock (&p->lock);
}

gboolean
rr_pipeline_has_reason (RrPipeline * p, const gchar * text)
{
  gboolean found = FALSE;
  guint i;

  g_mutex_lock (&p->lock);
  for (i = 0; i < p->reasons->len; i++)
    found |= strstr (g_ptr_array_index (p->reasons, i), text) != NULL;
  g_mutex_unlock (&p->lock);
  return found;
}

const gchar *
rr_pipeline_find_caps (RrPipeline * p, const gchar * prefix)
{
  const gchar *found = NULL;
  guint i;

  g_mutex_lock (&p->lock);
  for (i = 0; i < p->pads->len; i++) {
    RrPadInfo *info = g_ptr_array_index (p->pads, i);

    if (info->caps && g_str_has_prefix (info->caps, prefix))
      found = info->caps;
  }
  g_mutex_unlock (&p->lock);
  return found;
}

guint
rr_unused_port (void)
{
  GSocket *sock;
  GInetAddress *lo;
  GSocketAddress *addr, *bound;
  guint port;

  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  addr = g_inet_socket_address_new (lo, 0);
  fail_unless (g_socket_bind (sock, addr, FALSE, NULL));
  bound = g_socket_get_local_address (sock, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  /* closed without listen(): connecting to it is refused */
  g_object_unref (bound);
  g_object_unref (addr);
  g_object_unref (lo);
  g_object_unref (sock);
  return port;
}

static gboolean
have_reconnecting (RrPipeline * p, gconstpointer data)
{
  return p->reconnecting >= GPOINTER_TO_UINT (data);
}

gboolean
rr_pipeline_wait_reconnecting (RrPipeline * p, guint n_messages)
{
  return wait_for (p, have_reconnecting, GUINT_TO_POINTER (n_messages));
}

static gboolean
have_recovered (RrPipeline * p, gconstpointer data)
{
  return p->recovered >= GPOINTER_TO_UINT (data);
}

gboolean
rr_pipeline_wait_recovered (RrPipeline * p, guint n_messages)
{
  return wait_for (p, have_recovered, GUINT_TO_POINTER (n_messages));
}

static guint
total_buffers_locked (RrPipeline * p)
{
  guint i, total = 0;

  for (i = 0; i < p->pads->len; i++)
    total += ((RrPadInfo *) g_ptr_array_index (p->pads, i))->buffers;
  return total;
}

guint
rr_pipeline_total_buffers (RrPipeline * p)
{
  guint total;

  g_mutex_lock (&p->lock);
  total = total_buffers_locked (p);
  g_mutex_unlock (&p->lock);
  return total;
}

typedef struct
{
  guint than;
  guint more;
} MoreCond;

static gboolean
have_more_buffers (RrPipeline * p, gconstpointer data)
{
  const MoreCond *c = data;

  return total_buffers_locked (p) >= c->than + c->more || p->error != NULL;
}

gboolean
rr_pipeline_wait_more_buffers (RrPipeline * p, guint than, guint more)
{
  MoreCond c = { than, more };

  return wait_for (p, have_more_buffers, &c) && p->error == NULL;
}

static gboolean
have_streams_changed (RrPipeline * p, gconstpointer data)
{
  return p->streams_changed >= GPOINTER_TO_UINT (data);
}

gboolean
rr_pipeline_wait_streams_changed (RrPipeline * p, guint n_messages)
{
  return wait_for (p, have_streams_changed, GUINT_TO_POINTER (n_messages));
}
