/* resilientrtsp
 * fuzz-init.c: the set-up every libFuzzer target shares (linked into each,
 * see meson.build): GStreamer without a registry, our debug categories at
 * LOG with every message formatted (so the logging code is fuzzed too) and
 * discarded, and warnings or criticals turned into abort() so that
 * libFuzzer saves the input that caused them.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gst/gst.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);

static void
silent_log (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  /* format every message, so the logging code is exercised too */
  (void) gst_debug_message_get (message);
}

static void
fatal_log_handler (const gchar * domain, GLogLevelFlags level,
    const gchar * message, gpointer user_data)
{
  g_printerr ("%s: %s\n", domain ? domain : "(no domain)", message);
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    abort ();
}

static GLogWriterOutput
fatal_log_writer (GLogLevelFlags level, const GLogField * fields,
    gsize n_fields, gpointer user_data)
{
  gsize i;

  for (i = 0; i < n_fields; i++) {
    if (strcmp (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
      g_printerr ("%s\n", (const gchar *) fields[i].value);
  }
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    abort ();
  return G_LOG_WRITER_HANDLED;
}

/* Leaks the leak check at exit would always find, whatever the input:
 * GStreamer's log function list that gst_debug_remove_log_function()
 * replaces (other threads may still walk it), and GLib's old quark arrays,
 * which it leaks on purpose each time the table grows (lock-free lookups;
 * random SDP attribute and fmtp names become caps field quarks without
 * end). Skip that one check: the per-input leak checks libFuzzer runs stay
 * on. */
static void
skip_exit_leak_check (void)
{
  _exit (0);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_setenv ("GST_REGISTRY_DISABLE", "yes", TRUE);
  gst_init (NULL, NULL);
  gst_debug_remove_log_function (gst_debug_log_default);
  gst_debug_add_log_function (silent_log, NULL, NULL);
  gst_debug_set_threshold_for_name ("resilientrtsp*", GST_LEVEL_LOG);
  /* warnings and criticals are bugs; abort() (not the SIGTRAP that
   * g_log_set_always_fatal() gives) so that libFuzzer saves the input */
  g_log_set_default_handler (fatal_log_handler, NULL);
  g_log_set_writer_func (fatal_log_writer, NULL, NULL);
  atexit (skip_exit_leak_check);
  return 0;
}
