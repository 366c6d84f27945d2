/* resilientrtsp test support
 * test-server-main.c: resilientrtsp-test-server, the test server of
 * testserver.c as a stand-alone program for scripts, benchmarks and manual
 * tests.
 *
 *   resilientrtsp-test-server [--port N] [--address A] [--no-audio]
 *       [--user U --password P] [--protocols udp,tcp,udp-mcast]
 *       [--tls-cert PEM --tls-key PEM] [--ready-file PATH]
 *
 * With --tls-cert the server speaks rtsps:// (the printed URL says so) and
 * takes rtspsh:// tunnels.
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
  GOptionEntry entries[] = {
    {"port", 'p', 0, G_OPTION_ARG_INT, &port,
        "Port to listen on (default 0: a free port)", "N"},
    {"address", 'a', 0, G_OPTION_ARG_STRING, &address,
        "Address to bind (default 127.0.0.1)", "ADDR"},
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
  if (ready_file != NULL &&
      !g_file_set_contents (ready_file, url, -1, &error)) {
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
  g_free (ready_file);
  g_free (tls_cert);
  g_free (tls_key);
  g_clear_object (&config.tls_certificate);
  gst_deinit ();

  return ret;
}
