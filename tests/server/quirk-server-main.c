/* resilientrtsp test support
 * quirk-server-main.c: resilientrtsp-quirk-server, the scriptable MOCK
 * server of quirkserver.c as a stand-alone program.
 *
 *   resilientrtsp-quirk-server [--port N]
 *       [--method DESCRIBE --action reply|reply-and-close|close|silence
 *        [--reply-file FILE]] [--ready-file PATH]
 *
 * Prints "READY rtsp://127.0.0.1:<port>/test" on stdout once listening,
 * runs until SIGINT/SIGTERM and prints the request counts on stderr.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <glib-unix.h>
#include <gst/gst.h>

#include "quirkserver.h"

static gboolean
on_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
parse_action (const gchar * text, RrQuirkAction * action)
{
  if (g_str_equal (text, "reply"))
    *action = RR_QUIRK_REPLY;
  else if (g_str_equal (text, "reply-and-close"))
    *action = RR_QUIRK_REPLY_AND_CLOSE;
  else if (g_str_equal (text, "close"))
    *action = RR_QUIRK_CLOSE;
  else if (g_str_equal (text, "silence"))
    *action = RR_QUIRK_SILENCE;
  else
    return FALSE;
  return TRUE;
}

int
main (int argc, char **argv)
{
  static const gchar *methods[] = {
    "OPTIONS", "DESCRIBE", "SETUP", "PLAY", "PAUSE", "TEARDOWN",
    "GET_PARAMETER", "SET_PARAMETER",
  };
  gint port = 0;
  gchar *method = NULL, *action_text = NULL, *reply_file = NULL;
  gchar *ready_file = NULL, *template_ = NULL, *url = NULL;
  GOptionEntry entries[] = {
    {"port", 'p', 0, G_OPTION_ARG_INT, &port,
        "Port to listen on (default 0: a free port)", "N"},
    {"method", 'm', 0, G_OPTION_ARG_STRING, &method,
        "Script the answer to this method", "METHOD"},
    {"action", 'a', 0, G_OPTION_ARG_STRING, &action_text,
          "What to do with it (default reply)",
        "reply|reply-and-close|close|silence"},
    {"reply-file", 'r', 0, G_OPTION_ARG_FILENAME, &reply_file,
        "The reply template, sent as is after substitutions", "FILE"},
    {"ready-file", 0, 0, G_OPTION_ARG_FILENAME, &ready_file,
        "Write the URL into this file once listening", "PATH"},
    {NULL}
  };
  RrQuirkAction action = RR_QUIRK_REPLY;
  GOptionContext *ctx;
  GError *error = NULL;
  RrQuirkServer *server = NULL;
  GMainLoop *loop;
  guint sigint_id, sigterm_id, i;
  int ret = 0;

  ctx = g_option_context_new ("- scriptable MOCK RTSP server");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    fprintf (stderr, "%s\n", error->message);
    g_clear_error (&error);
    g_option_context_free (ctx);
    return 2;
  }
  g_option_context_free (ctx);

  if (port < 0 || port > 65535) {
    fprintf (stderr, "invalid --port %d\n", port);
    ret = 2;
    goto out;
  }
  if (action_text != NULL && !parse_action (action_text, &action)) {
    fprintf (stderr, "invalid --action '%s'\n", action_text);
    ret = 2;
    goto out;
  }
  if ((action_text != NULL || reply_file != NULL) && method == NULL) {
    fprintf (stderr, "--action and --reply-file need --method\n");
    ret = 2;
    goto out;
  }
  if (reply_file != NULL &&
      !g_file_get_contents (reply_file, &template_, NULL, &error)) {
    fprintf (stderr, "cannot read %s: %s\n", reply_file, error->message);
    g_clear_error (&error);
    ret = 2;
    goto out;
  }

  server = rr_quirk_server_new_full ((guint) port, &error);
  if (server == NULL) {
    fprintf (stderr, "cannot start the server: %s\n",
        error ? error->message : "unknown error");
    g_clear_error (&error);
    ret = 1;
    goto out;
  }
  if (method != NULL)
    rr_quirk_server_set (server, method, action, template_);

  fprintf (stderr, "resilientrtsp-quirk-server: a scriptable MOCK RTSP "
      "server, not an RTSP implementation\n");

  url = rr_quirk_server_get_url (server, "/test");
  if (ready_file != NULL &&
      !g_file_set_contents (ready_file, url, -1, &error)) {
    fprintf (stderr, "cannot write %s: %s\n", ready_file, error->message);
    g_clear_error (&error);
    ret = 1;
    goto out;
  }
  printf ("READY %s\n", url);
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  sigint_id = g_unix_signal_add (SIGINT, on_signal, loop);
  sigterm_id = g_unix_signal_add (SIGTERM, on_signal, loop);
  g_main_loop_run (loop);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_main_loop_unref (loop);

  for (i = 0; i < G_N_ELEMENTS (methods); i++)
    fprintf (stderr, "%s %u\n", methods[i],
        rr_quirk_server_count (server, methods[i]));

out:
  if (server != NULL)
    rr_quirk_server_free (server);
  g_free (url);
  g_free (template_);
  g_free (method);
  g_free (action_text);
  g_free (reply_file);
  g_free (ready_file);
  gst_deinit ();

  return ret;
}
