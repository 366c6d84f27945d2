/* resilientrtsp
 * resilientrtsp-play.c: a small command-line player for the demo.
 *
 *   resilientrtsp-play [--duration S] [--protocols udp|tcp|udp+tcp]
 *       [--element NAME] [--sink SINK] URL
 *
 * Builds  ELEMENT location=URL ! decodebin ! videoconvert ! SINK  (audio
 * streams go to audioconvert ! fakesink) and prints, one line each, the
 * element's "resilientrtsp-state" and "resilientrtsp-stats" bus messages.
 * With an element that posts no such messages (--element rtspsrc) it prints
 * the pipeline's state changes and, every second, the number of decoded
 * video frames, so the two can be compared side by side.
 *
 * Exit status: 0 at the end of --duration, on Ctrl-C or end of stream;
 * 1 on an error; 2 on bad arguments or a missing element.
 */

#include <gst/gst.h>
#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

typedef struct
{
  GMainLoop *loop;
  GstElement *pipeline;
  GstElement *src;
  gchar *sink_desc;
  gboolean legacy;              /* the source posts no resilientrtsp messages */
  gint64 start_us;              /* monotonic time when PLAYING was requested */
  gint exit_code;

  /* touched from streaming threads */
  gint have_video_sink;         /* atomic: the first video pad got SINK */
  gint frames;                  /* atomic: decoded video frames */
  gint first_frame_seen;        /* atomic */
  gint64 first_frame_us;        /* written once, before first_frame_seen */

  /* main thread only */
  gint last_frames;
  gboolean connect_reported;
} Player;

/* "→" where the terminal takes UTF-8 (g_print would turn it into "?"
 * elsewhere) */
static const gchar *
arrow (void)
{
  return g_get_charset (NULL) ? "→" : "->";
}

static gdouble
elapsed_s (Player * player)
{
  return (g_get_monotonic_time () - player->start_us) / 1e6;
}

static void
print_prefix (Player * player)
{
  g_print ("[%2us] ", (guint) (elapsed_s (player) + 0.5));
}

/* Reads a numeric field of any integer or floating type; FALSE when the
 * field is absent or not a number. */
static gboolean
get_number (const GstStructure * s, const gchar * field, gdouble * out)
{
  const GValue *v = gst_structure_get_value (s, field);
  GValue d = G_VALUE_INIT;

  if (v == NULL || !g_value_type_transformable (G_VALUE_TYPE (v),
          G_TYPE_DOUBLE) || G_VALUE_HOLDS_STRING (v))
    return FALSE;
  g_value_init (&d, G_TYPE_DOUBLE);
  if (!g_value_transform (v, &d)) {
    g_value_unset (&d);
    return FALSE;
  }
  *out = g_value_get_double (&d);
  g_value_unset (&d);
  return TRUE;
}

static void
append_bitrate (GString * line, gdouble bits_per_s)
{
  if (bits_per_s >= 10e6)
    g_string_append_printf (line, " %.1f Mbit/s", bits_per_s / 1e6);
  else
    g_string_append_printf (line, " %.0f kbit/s", bits_per_s / 1e3);
}

static void
append_stream (GString * line, const GstStructure * st, gboolean first)
{
  const gchar *str;
  gdouble n;

  if (!first)
    g_string_append (line, " |");
  if ((str = gst_structure_get_string (st, "media")))
    g_string_append_printf (line, " %s", str);
  if ((str = gst_structure_get_string (st, "encoding-name")))
    g_string_append_printf (line, " %s", str);
  if (get_number (st, "packets-received", &n))
    g_string_append_printf (line, " %.0f pkts", n);
  if (get_number (st, "bitrate", &n))
    append_bitrate (line, n);
  if (get_number (st, "packets-lost", &n))
    g_string_append_printf (line, " lost %.0f", n);
  if (get_number (st, "jitter-ms", &n))
    g_string_append_printf (line, " jitter %.1f ms", n);
}

static void
print_stats (Player * player, const GstStructure * s)
{
  GString *line = g_string_new (NULL);
  const GValue *streams;
  const gchar *str, *transport;
  gdouble n;
  guint i;

  if ((str = gst_structure_get_string (s, "state")))
    g_string_append_printf (line, " %s", str);
  if ((transport = gst_structure_get_string (s, "transport")))
    g_string_append_printf (line, " %-4s", transport);

  streams = gst_structure_get_value (s, "streams");
  if (streams != NULL && GST_VALUE_HOLDS_ARRAY (streams)) {
    for (i = 0; i < gst_value_array_get_size (streams); i++) {
      const GValue *sv = gst_value_array_get_value (streams, i);

      if (GST_VALUE_HOLDS_STRUCTURE (sv))
        append_stream (line, gst_value_get_structure (sv), i == 0);
    }
  } else if (streams != NULL && GST_VALUE_HOLDS_LIST (streams)) {
    for (i = 0; i < gst_value_list_get_size (streams); i++) {
      const GValue *sv = gst_value_list_get_value (streams, i);

      if (GST_VALUE_HOLDS_STRUCTURE (sv))
        append_stream (line, gst_value_get_structure (sv), i == 0);
    }
  }

  /* the ratio only means something for interleaved (TCP) data */
  if ((transport == NULL || g_str_equal (transport, "tcp"))
      && get_number (s, "zero-copy-ratio", &n))
    g_string_append_printf (line, " | zero-copy %.0f%%", n * 100.0);
  if (get_number (s, "reconnects", &n) && n > 0)
    g_string_append_printf (line, " | reconnects %.0f", n);
  g_string_append_printf (line, " | %d frames",
      g_atomic_int_get (&player->frames));

  print_prefix (player);
  g_print ("%s\n", line->str + (line->len > 0 && line->str[0] == ' '));
  g_string_free (line, TRUE);

  if (!player->connect_reported && get_number (s, "connect-ms", &n) && n > 0) {
    player->connect_reported = TRUE;
    print_prefix (player);
    g_print ("connected: PLAY answered %.0f ms after start\n", n);
  }
}

static void
print_state (Player * player, const GstStructure * s)
{
  const gchar *state = gst_structure_get_string (s, "state");
  const gchar *previous = gst_structure_get_string (s, "previous");
  const gchar *reason = gst_structure_get_string (s, "reason");

  print_prefix (player);
  g_print ("state: %s %s %s", previous ? previous : "?", arrow (),
      state ? state : "?");
  if (reason != NULL && reason[0] != '\0')
    g_print (" (%s)", reason);
  g_print ("\n");
}

static void
print_reconnecting (Player * player, const GstStructure * s)
{
  guint attempt = 0;
  guint64 delay_ms = 0;
  const gchar *klass = gst_structure_get_string (s, "class");
  const gchar *transport = gst_structure_get_string (s, "transport");

  gst_structure_get_uint (s, "attempt", &attempt);
  gst_structure_get_uint64 (s, "delay-ms", &delay_ms);
  print_prefix (player);
  g_print ("reconnecting: attempt %u in %" G_GUINT64_FORMAT " ms over %s "
      "(lost: %s)\n", attempt, delay_ms, transport ? transport : "?",
      klass ? klass : "?");
}

static void
print_recovered (Player * player, const GstStructure * s)
{
  guint attempts = 0;
  guint64 outage_ms = 0;

  gst_structure_get_uint (s, "attempts", &attempts);
  gst_structure_get_uint64 (s, "outage-ms", &outage_ms);
  print_prefix (player);
  g_print ("recovered: outage %" G_GUINT64_FORMAT " ms, %u attempt%s\n",
      outage_ms, attempts, attempts == 1 ? "" : "s");
}

static void
print_gerror (Player * player, const gchar * what, GstMessage * msg,
    GError * err, const gchar * debug)
{
  print_prefix (player);
  g_print ("%s from %s: %s\n", what, GST_OBJECT_NAME (msg->src),
      err ? err->message : "(no message)");
  if (debug != NULL)
    g_print ("       debug: %s\n", debug);
}

static gboolean
bus_cb (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Player *player = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:{
      const GstStructure *s = gst_message_get_structure (msg);

      if (s == NULL)
        break;
      if (gst_structure_has_name (s, "resilientrtsp-state"))
        print_state (player, s);
      else if (gst_structure_has_name (s, "resilientrtsp-stats"))
        print_stats (player, s);
      else if (gst_structure_has_name (s, "resilientrtsp-reconnecting"))
        print_reconnecting (player, s);
      else if (gst_structure_has_name (s, "resilientrtsp-recovered"))
        print_recovered (player, s);
      break;
    }
    case GST_MESSAGE_STATE_CHANGED:{
      GstState old_state, new_state;

      if (!player->legacy || msg->src != GST_OBJECT (player->pipeline))
        break;
      gst_message_parse_state_changed (msg, &old_state, &new_state, NULL);
      if (old_state == new_state)
        break;
      print_prefix (player);
      g_print ("pipeline: %s %s %s\n", gst_element_state_get_name (old_state),
          arrow (), gst_element_state_get_name (new_state));
      break;
    }
    case GST_MESSAGE_WARNING:{
      GError *err = NULL;
      gchar *debug = NULL;

      gst_message_parse_warning (msg, &err, &debug);
      print_gerror (player, "warning", msg, err, debug);
      g_clear_error (&err);
      g_free (debug);
      break;
    }
    case GST_MESSAGE_ERROR:{
      GError *err = NULL;
      gchar *debug = NULL;

      gst_message_parse_error (msg, &err, &debug);
      print_gerror (player, "ERROR", msg, err, debug);
      g_clear_error (&err);
      g_free (debug);
      player->exit_code = 1;
      g_main_loop_quit (player->loop);
      break;
    }
    case GST_MESSAGE_EOS:
      print_prefix (player);
      g_print ("end of stream\n");
      g_main_loop_quit (player->loop);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
report_first_frame (gpointer user_data)
{
  Player *player = user_data;

  print_prefix (player);
  g_print ("first decoded frame after %.0f ms\n",
      (player->first_frame_us - player->start_us) / 1e3);
  return G_SOURCE_REMOVE;
}

static GstPadProbeReturn
frame_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Player *player = user_data;

  g_atomic_int_inc (&player->frames);
  if (!g_atomic_int_get (&player->first_frame_seen)) {
    player->first_frame_us = g_get_monotonic_time ();
    g_atomic_int_set (&player->first_frame_seen, 1);
    g_idle_add (report_first_frame, player);
  }
  return GST_PAD_PROBE_OK;
}

static gboolean
tick_cb (gpointer user_data)
{
  Player *player = user_data;
  gint frames = g_atomic_int_get (&player->frames);

  if (player->legacy) {
    print_prefix (player);
    g_print ("%d frames decoded (+%d)\n", frames, frames - player->last_frames);
  }
  player->last_frames = frames;
  return G_SOURCE_CONTINUE;
}

static gboolean
quit_cb (gpointer user_data)
{
  Player *player = user_data;

  print_prefix (player);
  g_print ("duration reached, stopping\n");
  g_main_loop_quit (player->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
signal_cb (gpointer user_data)
{
  Player *player = user_data;

  g_print ("\n");
  print_prefix (player);
  g_print ("interrupted, stopping\n");
  g_main_loop_quit (player->loop);
  return G_SOURCE_CONTINUE;
}

/* Adds @first ! … ! @last (already linked) to the pipeline and links
 * @srcpad to @first. */
static gboolean
attach_chain (Player * player, GstPad * srcpad, GstElement * first,
    GstElement * last)
{
  GstPad *sinkpad;
  GstPadLinkReturn ret;

  gst_element_sync_state_with_parent (last);
  if (last != first)
    gst_element_sync_state_with_parent (first);
  sinkpad = gst_element_get_static_pad (first, "sink");
  ret = gst_pad_link (srcpad, sinkpad);
  gst_object_unref (sinkpad);
  if (GST_PAD_LINK_FAILED (ret)) {
    g_printerr ("could not link %s:%s (%s)\n", GST_DEBUG_PAD_NAME (srcpad),
        gst_pad_link_get_name (ret));
    return FALSE;
  }
  return TRUE;
}

static void
decoded_pad_added (GstElement * decodebin, GstPad * pad, gpointer user_data)
{
  Player *player = user_data;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  const gchar *name = "";
  GstElement *convert = NULL, *sink = NULL;
  GError *err = NULL;

  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  if (caps != NULL && gst_caps_get_size (caps) > 0)
    name = gst_structure_get_name (gst_caps_get_structure (caps, 0));

  if (g_str_has_prefix (name, "video/")) {
    gboolean first_video =
        g_atomic_int_compare_and_exchange (&player->have_video_sink, 0, 1);

    convert = gst_element_factory_make ("videoconvert", NULL);
    if (first_video) {
      sink = gst_parse_bin_from_description (player->sink_desc, TRUE, &err);
      if (sink == NULL) {
        g_printerr ("bad --sink '%s': %s\n", player->sink_desc,
            err ? err->message : "?");
        g_clear_error (&err);
      }
    } else {
      sink = gst_element_factory_make ("fakesink", NULL);
    }
    if (convert != NULL && sink != NULL && first_video) {
      GstPad *probe_pad = gst_element_get_static_pad (convert, "sink");

      gst_pad_add_probe (probe_pad, GST_PAD_PROBE_TYPE_BUFFER, frame_probe,
          player, NULL);
      gst_object_unref (probe_pad);
    }
  } else if (g_str_has_prefix (name, "audio/")) {
    convert = gst_element_factory_make ("audioconvert", NULL);
    sink = gst_element_factory_make ("fakesink", NULL);
  } else {
    sink = gst_element_factory_make ("fakesink", NULL);
  }

  if (sink == NULL) {
    g_printerr ("could not create a sink for %s\n", name);
    if (convert != NULL)
      gst_object_unref (convert);
    goto done;
  }

  if (convert != NULL) {
    gst_bin_add_many (GST_BIN (player->pipeline), convert, sink, NULL);
    if (!gst_element_link (convert, sink)) {
      g_printerr ("could not link %s to the sink\n", GST_OBJECT_NAME (convert));
      goto done;
    }
    attach_chain (player, pad, convert, sink);
  } else {
    gst_bin_add (GST_BIN (player->pipeline), sink);
    attach_chain (player, pad, sink, sink);
  }

done:
  if (caps != NULL)
    gst_caps_unref (caps);
}

static void
source_pad_added (GstElement * src, GstPad * pad, gpointer user_data)
{
  Player *player = user_data;
  GstElement *decodebin = gst_element_factory_make ("decodebin", NULL);

  if (decodebin == NULL) {
    g_printerr ("no decodebin element: install gstreamer1.0-plugins-base\n");
    return;
  }
  g_signal_connect (decodebin, "pad-added", G_CALLBACK (decoded_pad_added),
      player);
  gst_bin_add (GST_BIN (player->pipeline), decodebin);
  attach_chain (player, pad, decodebin, decodebin);
}

static const gchar *
default_sink (void)
{
  if (g_getenv ("DISPLAY") != NULL || g_getenv ("WAYLAND_DISPLAY") != NULL)
    return "autovideosink";
  return "fakesink";
}

int
main (int argc, char **argv)
{
  Player player = { 0, };
  gint duration = 0;
  gchar *protocols = NULL, *element = NULL, *sink = NULL;
  GOptionEntry entries[] = {
    {"duration", 'd', 0, G_OPTION_ARG_INT, &duration,
        "Stop after S seconds (default: run until Ctrl-C)", "S"},
    {"protocols", 'p', 0, G_OPTION_ARG_STRING, &protocols,
        "Allowed lower transports: udp, tcp, udp+tcp (default: the "
          "element's)", "P"},
    {"element", 'e', 0, G_OPTION_ARG_STRING, &element,
        "Source element (default: resilientrtspsrc; try rtspsrc)", "NAME"},
    {"sink", 's', 0, G_OPTION_ARG_STRING, &sink,
        "Video sink description (default: autovideosink with a display, "
          "fakesink without)", "SINK"},
    {NULL}
  };
  GOptionContext *ctx;
  GError *err = NULL;
  GstBus *bus;
  guint bus_watch, sigint_id, sigterm_id;

  setlocale (LC_ALL, "");
  ctx = g_option_context_new ("URL - play an RTSP stream");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    g_clear_error (&err);
    g_option_context_free (ctx);
    return 2;
  }
  if (argc != 2 || duration < 0) {
    gchar *help = g_option_context_get_help (ctx, TRUE, NULL);

    g_printerr ("%s", help);
    g_free (help);
    g_option_context_free (ctx);
    return 2;
  }
  g_option_context_free (ctx);

  /* line-buffered even when piped, so the demo's output is live */
  setvbuf (stdout, NULL, _IOLBF, 0);

  if (element == NULL)
    element = g_strdup ("resilientrtspsrc");
  player.sink_desc = sink ? sink : g_strdup (default_sink ());
  player.loop = g_main_loop_new (NULL, FALSE);
  player.pipeline = gst_pipeline_new ("player");
  player.src = gst_element_factory_make (element, "source");
  if (player.src == NULL) {
    g_printerr ("no element '%s'%s\n", element,
        g_str_equal (element, "resilientrtspsrc") ?
        ": set GST_PLUGIN_PATH to <builddir>/gst/resilientrtsp" : "");
    player.exit_code = 2;
    goto out;
  }
  gst_bin_add (GST_BIN (player.pipeline), player.src);
  player.legacy = g_object_class_find_property (G_OBJECT_GET_CLASS
      (player.src), "stats-interval") == NULL;

  g_object_set (player.src, "location", argv[1], NULL);
  if (protocols != NULL) {
    if (g_object_class_find_property (G_OBJECT_GET_CLASS (player.src),
            "protocols") == NULL) {
      g_printerr ("'%s' has no protocols property\n", element);
      player.exit_code = 2;
      goto out;
    }
    gst_util_set_object_arg (G_OBJECT (player.src), "protocols", protocols);
  }
  g_signal_connect (player.src, "pad-added", G_CALLBACK (source_pad_added),
      &player);

  bus = gst_pipeline_get_bus (GST_PIPELINE (player.pipeline));
  bus_watch = gst_bus_add_watch (bus, bus_cb, &player);
  gst_object_unref (bus);
  sigint_id = g_unix_signal_add (SIGINT, signal_cb, &player);
  sigterm_id = g_unix_signal_add (SIGTERM, signal_cb, &player);
  g_timeout_add_seconds (1, tick_cb, &player);
  if (duration > 0)
    g_timeout_add ((guint) duration * 1000, quit_cb, &player);

  g_print ("playing %s with %s (video sink: %s)\n", argv[1], element,
      player.sink_desc);
  player.start_us = g_get_monotonic_time ();
  if (gst_element_set_state (player.pipeline,
          GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    /* the error message on the bus says why */
    g_print ("could not start the pipeline\n");
    player.exit_code = 1;
    while (g_main_context_iteration (NULL, FALSE));
  } else {
    g_main_loop_run (player.loop);
  }

  /* a second Ctrl-C while shutting down kills the process */
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  gst_element_set_state (player.pipeline, GST_STATE_NULL);
  g_print ("stopped after %.1f s, %d frames decoded\n", elapsed_s (&player),
      g_atomic_int_get (&player.frames));
  g_source_remove (bus_watch);

out:
  gst_object_unref (player.pipeline);
  g_main_loop_unref (player.loop);
  g_free (player.sink_desc);
  g_free (protocols);
  g_free (element);
  gst_deinit ();
  return player.exit_code;
}
