/* resilientrtsp — test watchdog
 *
 * Linked into every test program. When RRTSP_TEST_WATCHDOG is set to a
 * number of seconds (tests/check/meson.build sets it a little below each
 * test's meson timeout), a thread started before main() waits that long,
 * multiplied by RRTSP_TEST_WATCHDOG_SCALE (scripts/test.sh sets it to the
 * --timeout-multiplier it gives meson). If the program is still running
 * then, it is taken to be hung: the watchdog prints a backtrace of every
 * thread (gdb, attached to the process, condensed to one line per frame)
 * and exits with 99, meson's "hard error". Without this a hang shows up
 * only as meson's TIMEOUT, which says nothing about where it hung.
 *
 * Plain POSIX threads and fork/exec: the watchdog must work before GLib is
 * initialised and while GLib's own locks may be held by the hung threads.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* program_invocation_short_name */
#endif

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* awk program condensing gdb's "thread apply all bt": thread headers are
 * kept, frames become "#N function file:line" (arguments dropped), and at
 * most 16 frames are printed per thread */
static const char condense_awk[] =
    "/^Thread / { n = 0; print; next }"
    "/^#[0-9]/ && !/ (__GI_)?__(futex|pthread_cond|lll_lock)|start_thread|clone3/ {"
    "  if (++n > 16) next;"
    "  line = $0; sub(/^#[0-9]+ +(0x[0-9a-f]+ in )?/, \"\", line);"
    "  fn = line; sub(/ \\(.*/, \"\", fn);"
    "  loc = \"\"; if (match(line, / at [^ ]+$/)) loc = substr(line, RSTART + 4);"
    "  else if (match(line, / from [^ ]+$/)) loc = substr(line, RSTART + 6);"
    "  sub(/.*\\//, \"\", loc);" "  printf \"  %s %s %s\\n\", $1, fn, loc }";

static double
env_seconds (const char *name, double fallback)
{
  const char *value = getenv (name);
  char *end = NULL;
  double d;

  if (value == NULL || *value == '\0')
    return fallback;
  d = strtod (value, &end);
  if (end == value || d < 0)
    return fallback;
  return d;
}

/* Prints the backtraces of process PID and of its descendants (the child
 * that check forks for each test case, test servers): one gdb per process,
 * run from a shell, which is itself skipped. The descendants are killed
 * once dumped: the program exits next, and a hung child left behind would
 * keep meson waiting on its output. */
static void
dump_threads (pid_t pid)
{
  char command[2048];
  pid_t child;

  snprintf (command, sizeof command,
      "dump () {"
      "  [ \"$1\" = \"$$\" ] && return;"
      "  echo \"-- process $1 ($(cat /proc/$1/comm 2>/dev/null))\";"
      "  gdb -nx -batch -p \"$1\" -ex 'set pagination off'"
      "    -ex 'thread apply all bt' 2>/dev/null | awk '%s';"
      "  for c in $(cat /proc/$1/task/*/children 2>/dev/null); do"
      "    dump \"$c\"; done;"
      "  [ \"$1\" = %ld ] || kill -9 \"$1\" 2>/dev/null; };"
      "command -v gdb >/dev/null || { echo 'watchdog: gdb not installed'; exit 1; };"
      "dump %ld >&2", condense_awk, (long) pid, (long) pid);

  child = fork ();
  if (child == 0) {
    execl ("/bin/sh", "sh", "-c", command, (char *) NULL);
    _exit (127);
  }
  if (child > 0) {
    int status;
    while (waitpid (child, &status, 0) < 0) {
    }
  }
}

static void *
watchdog_thread (void *data)
{
  double seconds = *(double *) data;
  struct timespec ts;
  ts.tv_sec = (time_t) seconds;
  ts.tv_nsec = (long) ((seconds - (double) ts.tv_sec) * 1e9);
  while (nanosleep (&ts, &ts) != 0) {
  }

  fprintf (stderr, "\nwatchdog: %s still running after %.0f s: hung; "
      "backtraces of its threads follow\n",
      program_invocation_short_name, seconds);
  fflush (stderr);
  dump_threads (getpid ());
  fprintf (stderr, "watchdog: end of backtraces; exiting with 99\n");
  fflush (stderr);
  _exit (99);
  return NULL;
}

__attribute__((constructor))
     static void rr_test_watchdog_start (void)
{
  static double seconds;
  pthread_t thread;
  pthread_attr_t attr;

  seconds = env_seconds ("RRTSP_TEST_WATCHDOG", 0) *
      env_seconds ("RRTSP_TEST_WATCHDOG_SCALE", 1);
  if (seconds <= 0)
    return;

  pthread_attr_init (&attr);
  pthread_attr_setdetachstate (&attr, PTHREAD_CREATE_DETACHED);
  if (pthread_create (&thread, &attr, watchdog_thread, &seconds) != 0)
    fprintf (stderr, "watchdog: could not start its thread\n");
  pthread_attr_destroy (&attr);
}
