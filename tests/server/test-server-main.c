/* resilientrtsp test support
 * test-server-main.c: resilientrtsp-test-server, the test server of
 * testserver.c as a stand-alone program for scripts, benchmarks and manual
 * tests.
 *
 *   resilientrtsp-test-server [--port N] [--address A] [--no-audio] [--unshared]
 *       [--user U --password P] [--protocols udp,tcp,udp-mcast]
 *       [--tls-cert PEM --tls-key PEM] [--bitrate KBPS [--size WxH]]
 *       [--ready-file PATH]
 *
 * With --tls-cert the server speaks rtsps:// (the printed URL says so) and
 * takes rtspsh:// tunnels.
 *
 * With --bitrate the program is a load generator instead (benchmarks/
 * scale.sh): a plain gst-rtsp-server whose /test is one shared media, H.264
 * only, encoded once for every client (scrolling SMPTE bars, 320x240@15 or
 * --size, an IDR a second, x264 at KBPS kbit/s; the scrolling keeps x264 near that
 * rate, the test server's ball would not), UDP and TCP (or --protocols),
 * listen backlog 1024, no auth, no TLS, no keyframe per PLAY (1,000 clients
 * joining would make 1,000 keyframes), no request counting. It plays /test
 * itself over each transport (an in-process rtspsrc per transport, kept
 * playing; why: above run_load_server()) and prints READY once they get
 * data, so its clients always join a running media.
 *
 * Prints "READY rtsp://<address>:<port>/test" on stdout once listening,
 * runs until SIGINT/SIGTERM and prints the request counts on stderr.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>
#include <glib-unix.h>
#include <gst/gst.h>

#include "testserver.h"

#include <gst/rtsp-server/rtsp-server.h>

/* --bitrate: the load generator's media */
#define LOAD_LAUNCH \
  "( videotestsrc is-live=true pattern=smpte horizontal-speed=2 " \
  "! video/x-raw,width=%u,height=%u,framerate=15/1 " \
  "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 " \
  "bitrate=%d ! video/x-h264,profile=baseline " \
  "! rtph264pay name=pay0 pt=96 config-interval=-1 )"

static gboolean
on_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
parse_protocols (const gchar * text, GstRTSPLowerTrans * protocols)
{
  gchar **names = g_strsplit (text, ",", -1);
  gboolean ok = TRUE;
  guint i;

  *protocols = 0;
  for (i = 0; names[i] != NULL; i++) {
    const gchar *name = g_strstrip (names[i]);

    if (g_ascii_strcasecmp (name, "udp") == 0)
      *protocols |= GST_RTSP_LOWER_TRANS_UDP;
    else if (g_ascii_strcasecmp (name, "tcp") == 0)
      *protocols |= GST_RTSP_LOWER_TRANS_TCP;
    else if (g_ascii_strcasecmp (name, "udp-mcast") == 0)
      *protocols |= GST_RTSP_LOWER_TRANS_UDP_MCAST;
    else if (name[0] != '\0')
      ok = FALSE;
  }
  g_strfreev (names);

  return ok && *protocols != 0;
}

/* The load generator's own clients. gst-rtsp-server 1.22 aborts
 * (g_assert in gst_rtsp_media_get_rates()) when many clients join a fresh
 * shared media at once: 20 resilientrtspsrc clients started together killed
 * it in 2 to 6 runs of 8, 20 rtspsrc clients in none of 16, and in none of 16
 * once one client was already playing. So before it says READY the load
 * generator plays its /test itself, once per transport, with an in-process
 * "rtspsrc ! fakesink", and keeps those playing. */
typedef struct
{
  GMainLoop *loop;
  gchar *url;
  const gchar *ready_file;
  GstElement *primers[2];
  gint primed[2];               /* atomic: the primer got a buffer */
  guint n_primers;
  gint64 deadline;
  int ret;
} LoadServer;

static void
primer_handoff (GstElement * sink, GstBuffer * buffer, GstPad * pad,
    gpointer user_data)
{
  g_atomic_int_set ((gint *) user_data, 1);
}

/* every 50 ms until the primers got data: then READY */
static gboolean
check_primed (gpointer user_data)
{
  LoadServer *ls = user_data;
  GError *error = NULL;
  guint i;

  for (i = 0; i < ls->n_primers; i++) {
    if (!g_atomic_int_get (&ls->primed[i])) {
      if (g_get_monotonic_time () < ls->deadline)
        return G_SOURCE_CONTINUE;
      fprintf (stderr, "the load generator's own client got no data\n");
      ls->ret = 1;
      g_main_loop_quit (ls->loop);
      return G_SOURCE_REMOVE;
    }
  }
  if (ls->ready_file != NULL &&
      !g_file_set_contents (ls->ready_file, ls->url, -1, &error)) {
    fprintf (stderr, "cannot write %s: %s\n", ls->ready_file, error->message);
    g_clear_error (&error);
    ls->ret = 1;
    g_main_loop_quit (ls->loop);
    return G_SOURCE_REMOVE;
  }
  printf ("READY %s\n", ls->url);
  fflush (stdout);
  return G_SOURCE_REMOVE;
}

static void
primer_pad_added (GstElement * src, GstPad * pad, gpointer user_data)
{
  GstPad *sinkpad = gst_element_get_static_pad (user_data, "sink");

  if (!gst_pad_is_linked (sinkpad))
    gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
}

static GstElement *
make_primer (const gchar * url, const gchar * protocols, gint * primed)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make ("rtspsrc", NULL);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);

  if (src == NULL || sink == NULL) {
    fprintf (stderr, "rtspsrc or fakesink missing\n");
    if (src != NULL)
      gst_object_unref (gst_object_ref_sink (src));
    if (sink != NULL)
      gst_object_unref (gst_object_ref_sink (sink));
    gst_object_unref (pipeline);
    return NULL;
  }
  g_object_set (src, "location", url, NULL);
  gst_util_set_object_arg (G_OBJECT (src), "protocols", protocols);
  g_object_set (sink, "sync", FALSE, "signal-handoffs", TRUE, NULL);
  g_signal_connect (sink, "handoff", G_CALLBACK (primer_handoff), primed);
  gst_bin_add_many (GST_BIN (pipeline), src, sink, NULL);
  /* rtspsrc's pad comes later: link when it does */
  g_signal_connect (src, "pad-added", G_CALLBACK (primer_pad_added), sink);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  return pipeline;
}

/* drops the sessions of clients gone without TEARDOWN (after their
 * timeout), so that a media does not keep sending to them */
static gboolean
expire_sessions (gpointer user_data)
{
  GstRTSPSessionPool *pool = gst_rtsp_server_get_session_pool (user_data);

  gst_rtsp_session_pool_cleanup (pool);
  g_object_unref (pool);
  return G_SOURCE_CONTINUE;
}

/* --bitrate: serves until SIGINT/SIGTERM; returns the exit status */
static int
run_load_server (const gchar * address, guint port,
    GstRTSPLowerTrans protocols, gint bitrate, guint width, guint height,
    const gchar * ready_file)
{
  GstRTSPServer *server = gst_rtsp_server_new ();
  GstRTSPMountPoints *mounts = gst_rtsp_server_get_mount_points (server);
  GstRTSPMediaFactory *factory = gst_rtsp_media_factory_new ();
  LoadServer ls = { 0, };
  gchar *launch, *service;
  guint server_id, expire_id = 0, sigint_id, sigterm_id, i;

  ls.loop = g_main_loop_new (NULL, FALSE);
  ls.ready_file = ready_file;
  if (protocols == 0)
    protocols = GST_RTSP_LOWER_TRANS_UDP | GST_RTSP_LOWER_TRANS_TCP;
  launch = g_strdup_printf (LOAD_LAUNCH, width, height, bitrate);
  gst_rtsp_media_factory_set_launch (factory, launch);
  g_free (launch);
  gst_rtsp_media_factory_set_shared (factory, TRUE);
  gst_rtsp_media_factory_set_latency (factory, 50);
  gst_rtsp_media_factory_set_protocols (factory, protocols);
  gst_rtsp_mount_points_add_factory (mounts, "/test", factory);
  g_object_unref (mounts);

  gst_rtsp_server_set_address (server, address ? address : "127.0.0.1");
  service = g_strdup_printf ("%u", port);
  gst_rtsp_server_set_service (server, service);
  g_free (service);
  /* many clients connect at once */
  gst_rtsp_server_set_backlog (server, 1024);
  server_id = gst_rtsp_server_attach (server, NULL);
  if (server_id == 0 || gst_rtsp_server_get_bound_port (server) <= 0) {
    fprintf (stderr, "cannot start the server on %s:%u\n",
        address ? address : "127.0.0.1", port);
    ls.ret = 1;
    goto out;
  }
  expire_id = g_timeout_add_seconds (1, expire_sessions, server);

  if (address != NULL && strchr (address, ':') != NULL)
    ls.url = g_strdup_printf ("rtsp://[%s]:%d/test", address,
        gst_rtsp_server_get_bound_port (server));
  else
    ls.url = g_strdup_printf ("rtsp://%s:%d/test", address ? address :
        "127.0.0.1", gst_rtsp_server_get_bound_port (server));

  if (protocols & GST_RTSP_LOWER_TRANS_UDP) {
    ls.primers[ls.n_primers] = make_primer (ls.url, "udp",
        &ls.primed[ls.n_primers]);
    ls.n_primers++;
  }
  if (protocols & GST_RTSP_LOWER_TRANS_TCP) {
    ls.primers[ls.n_primers] = make_primer (ls.url, "tcp",
        &ls.primed[ls.n_primers]);
    ls.n_primers++;
  }
  for (i = 0; i < ls.n_primers; i++) {
    if (ls.primers[i] == NULL) {
      ls.ret = 1;
      goto out;
    }
  }
  ls.deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  g_timeout_add (50, check_primed, &ls);

  sigint_id = g_unix_signal_add (SIGINT, on_signal, ls.loop);
  sigterm_id = g_unix_signal_add (SIGTERM, on_signal, ls.loop);
  g_main_loop_run (ls.loop);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);

out:
  for (i = 0; i < G_N_ELEMENTS (ls.primers); i++) {
    if (ls.primers[i] != NULL) {
      /* TEARDOWN needs the server's main loop: not running any more, so
       * rtspsrc gives up on it after its timeout; do not wait for that */
      gst_element_set_state (ls.primers[i], GST_STATE_NULL);
      gst_object_unref (ls.primers[i]);
    }
  }
  g_source_remove_by_user_data (&ls);
  if (expire_id != 0)
    g_source_remove (expire_id);
  if (server_id != 0)
    g_source_remove (server_id);
  g_free (ls.url);
  g_main_loop_unref (ls.loop);
  g_object_unref (server);
  return ls.ret;
}

static void
print_counts (RrTestServer * server)
{
  static const GstRTSPMethod methods[] = {
    GST_RTSP_OPTIONS, GST_RTSP_DESCRIBE, GST_RTSP_SETUP, GST_RTSP_PLAY,
    GST_RTSP_PAUSE, GST_RTSP_TEARDOWN, GST_RTSP_GET_PARAMETER,
    GST_RTSP_SET_PARAMETER, GST_RTSP_GET, GST_RTSP_POST,
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (methods); i++) {
    fprintf (stderr, "%s %u\n", gst_rtsp_method_as_text (methods[i]),
        rr_test_server_count_requests (server, methods[i]));
  }
}

int
main (int argc, char **argv)
{
  gint port = 0;
  gchar *address = NULL, *user = NULL, *password = NULL;
  gchar *protocols_text = NULL, *ready_file = NULL;
  gchar *tls_cert = NULL, *tls_key = NULL;
  gboolean no_audio = FALSE;
  gboolean unshared = FALSE;
  gint bitrate = 0;
  gchar *size_text = NULL;
  guint width = 320, height = 240;
  GOptionEntry entries[] = {
    {"port", 'p', 0, G_OPTION_ARG_INT, &port,
        "Port to listen on (default 0: a free port)", "N"},
    {"address", 'a', 0, G_OPTION_ARG_STRING, &address,
        "Address to bind (default 127.0.0.1)", "ADDR"},
    {"unshared", 0, 0, G_OPTION_ARG_NONE, &unshared,
        "One media per session (see unshared in testserver.h)", NULL},
    {"no-audio", 0, 0, G_OPTION_ARG_NONE, &no_audio,
        "/test carries H.264 video only", NULL},
    {"user", 'u', 0, G_OPTION_ARG_STRING, &user,
        "Require Basic authentication with this user", "USER"},
    {"password", 'w', 0, G_OPTION_ARG_STRING, &password,
        "The password for --user", "PASSWORD"},
    {"protocols", 0, 0, G_OPTION_ARG_STRING, &protocols_text,
          "Allowed lower transports (default udp,tcp,udp-mcast)",
        "udp,tcp,udp-mcast"},
    {"tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert,
        "Serve rtsps:// with this certificate (PEM)", "PEM"},
    {"tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key,
          "The private key of --tls-cert (PEM; default: in the same file)",
        "PEM"},
    {"bitrate", 0, 0, G_OPTION_ARG_INT, &bitrate,
        "Load generator: one shared H.264 media at KBPS kbit/s (see the "
          "source's header)", "KBPS"},
    {"size", 0, 0, G_OPTION_ARG_STRING, &size_text,
        "Load generator: picture size (default 320x240; x264 needs a "
          "larger picture to reach a higher bitrate)", "WxH"},
    {"ready-file", 0, 0, G_OPTION_ARG_FILENAME, &ready_file,
        "Write the URL into this file once listening", "PATH"},
    {NULL}
  };
  RrTestServerConfig config = { 0, };
  GOptionContext *ctx;
  GError *error = NULL;
  RrTestServer *server;
  GMainLoop *loop;
  guint sigint_id, sigterm_id;
  gchar *url;
  int ret = 0;

  ctx = g_option_context_new ("- RTSP test server (gst-rtsp-server)");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    fprintf (stderr, "%s\n", error->message);
    g_clear_error (&error);
    g_option_context_free (ctx);
    return 2;
  }
  g_option_context_free (ctx);

  config.with_audio = !no_audio;
  config.unshared = unshared;
  config.user = user;
  config.password = password;
  config.address = address;
  if (port < 0 || port > 65535) {
    fprintf (stderr, "invalid --port %d\n", port);
    ret = 2;
    goto out;
  }
  config.port = (guint) port;
  if (protocols_text != NULL &&
      !parse_protocols (protocols_text, &config.protocols)) {
    fprintf (stderr, "invalid --protocols '%s'\n", protocols_text);
    ret = 2;
    goto out;
  }

  if (size_text != NULL && (sscanf (size_text, "%ux%u", &width,
              &height) != 2 || width < 16 || height < 16 || width > 3840
          || height > 2160 || bitrate == 0)) {
    fprintf (stderr, "--size takes WxH from 16x16 to 3840x2160, with "
        "--bitrate\n");
    ret = 2;
    goto out;
  }
  if (bitrate != 0) {
    if (bitrate < 1 || bitrate > 100000 || user != NULL || tls_cert != NULL) {
      fprintf (stderr, "--bitrate takes 1-100000 kbit/s, and neither --user "
          "nor --tls-cert\n");
      ret = 2;
    } else {
      ret = run_load_server (address, config.port, config.protocols, bitrate,
          width, height, ready_file);
    }
    goto out;
  }

  if (tls_cert != NULL) {
    config.tls_certificate = g_tls_certificate_new_from_files (tls_cert,
        tls_key ? tls_key : tls_cert, &error);
    if (config.tls_certificate == NULL) {
      fprintf (stderr, "cannot load %s: %s\n", tls_cert, error->message);
      g_clear_error (&error);
      ret = 2;
      goto out;
    }
  }

  server = rr_test_server_new_full (&config, &error);
  if (server == NULL) {
    fprintf (stderr, "cannot start the server: %s\n",
        error ? error->message : "unknown error");
    g_clear_error (&error);
    ret = 1;
    goto out;
  }

  url = rr_test_server_get_url (server, "/test");
  if (ready_file != NULL && !g_file_set_contents (ready_file, url, -1, &error)) {
    fprintf (stderr, "cannot write %s: %s\n", ready_file, error->message);
    g_clear_error (&error);
    ret = 1;
  } else {
    printf ("READY %s\n", url);
    fflush (stdout);

    loop = g_main_loop_new (NULL, FALSE);
    sigint_id = g_unix_signal_add (SIGINT, on_signal, loop);
    sigterm_id = g_unix_signal_add (SIGTERM, on_signal, loop);
    g_main_loop_run (loop);
    g_source_remove (sigint_id);
    g_source_remove (sigterm_id);
    g_main_loop_unref (loop);
  }
  g_free (url);

  print_counts (server);
  rr_test_server_free (server);

out:
  g_free (address);
  g_free (user);
  g_free (password);
  g_free (protocols_text);
  g_free (size_text);
  g_free (ready_file);
  g_free (tls_cert);
  g_free (tls_key);
  g_clear_object (&config.tls_certificate);
  gst_deinit ();

  return ret;
}
