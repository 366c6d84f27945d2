/* resilientrtsp tests
 * racer.c: connection racing decisions with scripted attempts and invented
 * times — start order, stagger, parallel limit, first-wins, last-wins,
 * cancellation, events after cancellation, all-fail → one error.
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "error.h"
#include "racer.h"

#define MS GST_MSECOND
#define T0 (1000 * GST_SECOND)
#define UDP GST_RTSP_LOWER_TRANS_UDP
#define TCP GST_RTSP_LOWER_TRANS_TCP

/* All actions due at @now as a string: "S1 S2 C3 W2 D2 F" (start, cancel,
 * win, done, failed). */
static gchar *
drain (GstResilientRacer * racer, GstClockTime now)
{
  static const gchar letters[] = "SCWDF";
  GstResilientRaceAction action;
  GString *s = g_string_new (NULL);

  while (gst_resilient_racer_next_action (racer, now, &action)) {
    if (s->len)
      g_string_append_c (s, ' ');
    g_string_append_c (s, letters[action.type]);
    if (action.type != GST_RESILIENT_RACE_FAILED)
      g_string_append_printf (s, "%u", action.id);
  }
  return g_string_free (s, FALSE);
}

#define assert_actions(racer, now, expected) G_STMT_START { \
  gchar *got = drain (racer, now); \
  fail_unless_equals_string (got, expected); \
  g_free (got); \
} G_STMT_END

static GError *
err (GstResilientErrorCode code, const gchar * msg)
{
  return g_error_new_literal (GST_RESILIENT_ERROR, code, msg);
}

static void
fail_attempt (GstResilientRacer * racer, guint id, GstResilientErrorCode code,
    const gchar * msg, GstClockTime now)
{
  GError *e = err (code, msg);

  gst_resilient_racer_failed (racer, id, e, now);
  g_error_free (e);
}

/* address × transport candidates, as the session would add them */
static GstResilientRacer *
racer_with (GstResilientRaceMode mode, GstClockTime stagger, guint parallel,
    guint n)
{
  GstResilientRacer *racer = gst_resilient_racer_new (mode, stagger, parallel);
  guint i;

  for (i = 0; i < n; i++)
    fail_unless_equals_int (gst_resilient_racer_add (racer,
            i % 2 ? "::1" : "127.0.0.1", i < 2 ? UDP : TCP), i + 1);
  return racer;
}

GST_START_TEST (test_stagger_and_order)
{
  GstResilientRacer *racer =
      racer_with (GST_RESILIENT_RACE_FIRST_WINS, 100 * MS, 0, 3);

  fail_unless_equals_string (gst_resilient_racer_get_address (racer, 2),
      "::1");
  fail_unless_equals_int (gst_resilient_racer_get_transport (racer, 3), TCP);
  fail_unless (gst_resilient_racer_get_address (racer, 9) == NULL);

  gst_resilient_racer_begin (racer, T0);
  assert_actions (racer, T0, "S1");
  fail_unless_equals_uint64 (gst_resilient_racer_next_wakeup (racer),
      T0 + 100 * MS);
  /* not yet */
  assert_actions (racer, T0 + 99 * MS, "");
  assert_actions (racer, T0 + 100 * MS, "S2");
  /* a late caller gets one start per call of the scheduler, then the
   * stagger counts from that moment */
  assert_actions (racer, T0 + 350 * MS, "S3");
  fail_unless_equals_uint64 (gst_resilient_racer_next_wakeup (racer),
      GST_CLOCK_TIME_NONE);
  fail_if (gst_resilient_racer_is_over (racer));
  gst_resilient_racer_free (racer);
}

GST_END_TEST;

GST_START_TEST (test_first_wins)
{
  GstResilientRacer *racer =
      racer_with (GST_RESILIENT_RACE_FIRST_WINS, 100 * MS, 0, 4);

  gst_resilient_racer_begin (racer, T0);
  assert_actions (racer, T0, "S1");
  assert_actions (racer, T0 + 100 * MS, "S2");
  assert_actions (racer, T0 + 200 * MS, "S3");
  /* 2 has data first: it wins, the running ones are cancelled, 4 never
   * starts */
  gst_resilient_racer_data (racer, 2, T0 + 250 * MS);
  assert_actions (racer, T0 + 250 * MS, "W2 C1 C3 D2");
  fail_unless (gst_resilient_racer_is_over (racer));
  assert_actions (racer, T0 + 10 * GST_SECOND, "");

  /* late events of losers change nothing */
  gst_resilient_racer_data (racer, 1, T0 + 300 * MS);
  fail_attempt (racer, 3, GST_RESILIENT_ERROR_REFUSED, "x", T0 + 300 * MS);
  assert_actions (racer, T0 + 300 * MS, "");
  gst_resilient_racer_free (racer);
}

GST_END_TEST;

/* the headline case: UDP is blocked, its session plays but gets no data;
 * TCP, started a stagger later, has data and wins */
GST_START_TEST (test_first_wins_needs_data)
{
  GstResilientRacer *racer = gst_resilient_racer_new
      (GST_RESILIENT_RACE_FIRST_WINS, 50 * MS, 0);

  gst_resilient_racer_add (racer, NULL, UDP);
  gst_resilient_racer_add (racer, NULL, TCP);
  gst_resilient_racer_begin (racer, T0);
  assert_actions (racer, T0, "S1");
  assert_actions (racer, T0 + 50 * MS, "S2");
  gst_resilient_racer_data (racer, 2, T0 + 120 * MS);
  assert_actions (racer, T0 + 120 * MS, "W2 C1 D2");
  gst_resilient_racer_free (racer);
}

GST_END_TEST;

GST_START_TEST (test_parallel_limit)
{
  GstResilientRacer *racer =
      racer_with (GST_RESILIENT_RACE_FIRST_WINS, 10 * MS, 2, 4);

  gst_resilient_racer_begin (racer, T0);
  assert_actions (racer, T0, "S1");
  assert_actions (racer, T0 + 10 * MS, "S2");
  /* two running: 3 waits however long it takes */
  fail_unless_equals_uint64 (gst_resilient_racer_next_wakeup (racer),
      GST_CLOCK_TIME_NONE);
  assert_actions (racer, T0 + 5 * GST_SECOND, "");
  /* a failure frees a slot: the next starts at once */
  fail_attempt (racer, 1, GST_RESILIENT_ERROR_TIMEOUT, "t", T0 + 6 * GST_SECOND);
  assert_actions (racer, T0 + 6 * GST_SECOND, "S3");
  fail_attempt (racer, 2, GST_RESILIENT_ERROR_REFUSED, "r", T0 + 6 * GST_SECOND);
  assert_actions (racer, T0 + 6 * GST_SECOND, "S4");
  gst_resilient_racer_data (racer, 4, T0 + 7 * GST_SECOND);
  assert_actions (racer, T0 + 7 * GST_SECOND, "W4 C3 D4");
  gst_resilient_racer_free (racer);
}

GST_END_TEST;

GST_START_TEST (test_failure_skips_stagger)
{
  GstResilientRacer *racer =
      racer_with (GST_RESILIENT_RACE_FIRST_WINS, GST_SECOND, 0, 2);

  gst_resilient_racer_begin (racer, T0);
  assert_actions (racer, T0, "S1");
  fail_attempt (racer, 1, GST_RESILIENT_ERROR_REFUSED, "r", T0 + 5 * MS);
  assert_actions (racer, T0 + 5 * MS, "S2");
  gst_resilient_racer_free (racer);
}

GST_END_TEST;

GST_START_TEST (test_none_runs_one)
{
  GstResilientRacer *racer =
      racer_with (GST_RESILIENT_RACE_NONE, 10 * MS, 0, 3);
  GError *e;

  gst_resilient_racer_begin (racer, T0);
  assert_actions (racer, T0, "S1");
  assert_actions (racer, T0 + GST_SECOND, "");
  fail_unless_equals_uint64 (gst_resilient_racer_next_wakeup (racer),
      GST_CLOCK_TIME_NONE);
  fail_attempt (racer, 1, GST_RESILIENT_ERROR_REFUSED, "refused",
      T0 + 2 * GST_SECOND);
  assert_actions (racer, T0 + 2 * GST_SECOND, "F");
  e = gst_resilient_racer_take_error (racer);
  fail_unless (g_error_matches (e, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_REFUSED));
  /* one attempt: the message is the attempt's own */
  fail_unless_equals_string (e->message, "refused");
  g_error_free (e);
  gst_resilient_racer_free (racer);

  /* and with data it is simply done */
  racer = racer_with (GST_RESILIENT_RACE_NONE, 10 * MS, 0, 2);
  gst_resilient_racer_begin (racer, T0);
  assert_actions (racer, T0, "S1");
  gst_resilient_racer_data (racer, 1, T0 + MS);
  assert_actions (racer, T0 + MS, "W1 D1");
  gst_resilient_racer_free (racer);
}

GST_END_TEST;

GST_START_TEST (test_last_wins)
{
  GstResilientRacer *racer =
      racer_with (GST_RESILIENT_RACE_LAST_WINS, 100 * MS, 0, 3);

  gst_resilient_racer_begin (racer, T0);
  assert_actions (racer, T0, "S1");
  gst_resilient_racer_data (racer, 1, T0 + 50 * MS);
  /* 1 is current; the race goes on */
  assert_actions (racer, T0 + 50 * MS, "W1");
  fail_if (gst_resilient_racer_is_over (racer));
  assert_actions (racer, T0 + 100 * MS, "S2");
  assert_actions (racer, T0 + 200 * MS, "S3");
  /* 3 (newest) has data: it replaces 1, new one first */
  gst_resilient_racer_data (racer, 3, T0 + 250 * MS);
  assert_actions (racer, T0 + 250 * MS, "W3 C1");
  /* 2 is older than the current winner: it loses when it gets data, and
   * then nothing is left */
  gst_resilient_racer_data (racer, 2, T0 + 300 * MS);
  assert_actions (racer, T0 + 300 * MS, "C2 D3");
  fail_unless (gst_resilient_racer_is_over (racer));
  gst_resilient_racer_free (racer);
}

GST_END_TEST;

GST_START_TEST (test_last_wins_ends_on_failures)
{
  GstResilientRacer *racer =
      racer_with (GST_RESILIENT_RACE_LAST_WINS, 100 * MS, 0, 2);

  gst_resilient_racer_begin (racer, T0);
  assert_actions (racer, T0, "S1");
  gst_resilient_racer_data (racer, 1, T0 + 10 * MS);
  assert_actions (racer, T0 + 10 * MS, "W1");
  assert_actions (racer, T0 + 100 * MS, "S2");
  fail_attempt (racer, 2, GST_RESILIENT_ERROR_SERVER_BUSY, "busy",
      T0 + 150 * MS);
  assert_actions (racer, T0 + 150 * MS, "D1");
  gst_resilient_racer_free (racer);
}

GST_END_TEST;

GST_START_TEST (test_all_fail_one_error)
{
  GstResilientRacer *racer;
  GError *e;

  /* transient failures: the last one is reported, with the count */
  racer = racer_with (GST_RESILIENT_RACE_FIRST_WINS, 10 * MS, 0, 3);
  gst_resilient_racer_begin (racer, T0);
  assert_actions (racer, T0, "S1");
  fail_attempt (racer, 1, GST_RESILIENT_ERROR_REFUSED, "refused",
      T0 + MS);
  assert_actions (racer, T0 + MS, "S2");
  fail_attempt (racer, 2, GST_RESILIENT_ERROR_UNREACHABLE, "unreachable",
      T0 + 2 * MS);
  assert_actions (racer, T0 + 2 * MS, "S3");
  fail_attempt (racer, 3, GST_RESILIENT_ERROR_TIMEOUT, "timed out",
      T0 + 3 * MS);
  assert_actions (racer, T0 + 3 * MS, "F");
  fail_unless (gst_resilient_racer_is_over (racer));
  e = gst_resilient_racer_take_error (racer);
  fail_unless (g_error_matches (e, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_TIMEOUT));
  fail_unless_equals_string (e->message,
      "timed out (all 3 connection attempts failed)");
  g_error_free (e);
  gst_resilient_racer_free (racer);

  /* a failure no path can fix wins over the transient ones */
  racer = racer_with (GST_RESILIENT_RACE_FIRST_WINS, 0, 0, 3);
  gst_resilient_racer_begin (racer, T0);
  assert_actions (racer, T0, "S1 S2 S3");
  fail_attempt (racer, 2, GST_RESILIENT_ERROR_AUTH, "401", T0 + MS);
  fail_attempt (racer, 1, GST_RESILIENT_ERROR_REFUSED, "refused",
      T0 + 2 * MS);
  fail_attempt (racer, 3, GST_RESILIENT_ERROR_TIMEOUT, "timed out",
      T0 + 3 * MS);
  assert_actions (racer, T0 + 3 * MS, "F");
  e = gst_resilient_racer_take_error (racer);
  fail_unless (g_error_matches (e, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_AUTH));
  fail_unless (strstr (e->message, "401") != NULL);
  g_error_free (e);
  gst_resilient_racer_free (racer);
}

GST_END_TEST;

GST_START_TEST (test_no_attempts)
{
  GstResilientRacer *racer =
      gst_resilient_racer_new (GST_RESILIENT_RACE_FIRST_WINS, 0, 0);
  GError *e;

  gst_resilient_racer_begin (racer, T0);
  assert_actions (racer, T0, "F");
  e = gst_resilient_racer_take_error (racer);
  fail_unless (g_error_matches (e, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_INTERNAL));
  g_error_free (e);
  gst_resilient_racer_free (racer);
}

GST_END_TEST;

/* progress holds the next start back; a stuck attempt lets it go */
GST_START_TEST (test_progress_delays_next)
{
  GstResilientRacer *racer =
      racer_with (GST_RESILIENT_RACE_FIRST_WINS, 100 * MS, 0, 3);

  gst_resilient_racer_begin (racer, T0);
  assert_actions (racer, T0, "S1");
  /* connected at 60 ms, answered at 150 ms: no second attempt yet */
  gst_resilient_racer_progress (racer, 1, T0 + 60 * MS, GST_CLOCK_TIME_NONE);
  assert_actions (racer, T0 + 100 * MS, "");
  /* a longer patience holds it back further (negotiating); the latest
   * progress decides, also when its patience is shorter (PLAY answered:
   * only the stagger for the data) */
  gst_resilient_racer_progress (racer, 1, T0 + 70 * MS, 500 * MS);
  fail_unless_equals_uint64 (gst_resilient_racer_next_wakeup (racer),
      T0 + 570 * MS);
  gst_resilient_racer_progress (racer, 1, T0 + 80 * MS, 10 * MS);
  fail_unless_equals_uint64 (gst_resilient_racer_next_wakeup (racer),
      T0 + 90 * MS);
  gst_resilient_racer_progress (racer, 1, T0 + 85 * MS, 500 * MS);
  assert_actions (racer, T0 + 500 * MS, "");
  gst_resilient_racer_progress (racer, 1, T0 + 550 * MS, GST_CLOCK_TIME_NONE);
  fail_unless_equals_uint64 (gst_resilient_racer_next_wakeup (racer),
      T0 + 650 * MS);
  assert_actions (racer, T0 + 649 * MS, "");
  /* then nothing for a stagger (PLAY answered, no data): 2 starts */
  assert_actions (racer, T0 + 650 * MS, "S2");
  /* progress of an attempt that is not running changes nothing */
  gst_resilient_racer_progress (racer, 3, T0 + 660 * MS, GST_CLOCK_TIME_NONE);
  fail_unless_equals_uint64 (gst_resilient_racer_next_wakeup (racer),
      T0 + 750 * MS);
  gst_resilient_racer_data (racer, 2, T0 + 700 * MS);
  assert_actions (racer, T0 + 700 * MS, "W2 C1 D2");
  gst_resilient_racer_free (racer);
}

GST_END_TEST;

/* a fail-fast failure ends the race at once with its own error */
GST_START_TEST (test_abort_ends_race)
{
  GstResilientRacer *racer =
      racer_with (GST_RESILIENT_RACE_FIRST_WINS, 100 * MS, 0, 3);
  GError *e = err (GST_RESILIENT_ERROR_AUTH, "401 Unauthorized");
  GError *got;

  gst_resilient_racer_begin (racer, T0);
  assert_actions (racer, T0, "S1");
  assert_actions (racer, T0 + 100 * MS, "S2");
  fail_attempt (racer, 2, GST_RESILIENT_ERROR_REFUSED, "refused",
      T0 + 110 * MS);
  assert_actions (racer, T0 + 110 * MS, "S3");
  gst_resilient_racer_abort (racer, 1, e, T0 + 120 * MS);
  g_error_free (e);
  assert_actions (racer, T0 + 120 * MS, "C3 F");
  fail_unless (gst_resilient_racer_is_over (racer));
  got = gst_resilient_racer_take_error (racer);
  fail_unless (g_error_matches (got, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_AUTH));
  fail_unless_equals_string (got->message, "401 Unauthorized");
  g_error_free (got);
  /* nothing after the end */
  gst_resilient_racer_data (racer, 3, T0 + 130 * MS);
  assert_actions (racer, T0 + 130 * MS, "");
  gst_resilient_racer_free (racer);
}

GST_END_TEST;

GST_START_TEST (test_mode_enum)
{
  GEnumClass *klass = g_type_class_ref (GST_TYPE_RESILIENT_RACE_MODE);

  fail_unless_equals_int (g_enum_get_value_by_nick (klass, "none")->value,
      GST_RESILIENT_RACE_NONE);
  fail_unless_equals_int (g_enum_get_value_by_nick (klass,
          "first-wins")->value, GST_RESILIENT_RACE_FIRST_WINS);
  fail_unless_equals_int (g_enum_get_value_by_nick (klass,
          "last-wins")->value, GST_RESILIENT_RACE_LAST_WINS);
  g_type_class_unref (klass);
}

GST_END_TEST;

static Suite *
racer_suite (void)
{
  Suite *s = suite_create ("racer");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_stagger_and_order);
  tcase_add_test (tc, test_first_wins);
  tcase_add_test (tc, test_first_wins_needs_data);
  tcase_add_test (tc, test_parallel_limit);
  tcase_add_test (tc, test_failure_skips_stagger);
  tcase_add_test (tc, test_none_runs_one);
  tcase_add_test (tc, test_last_wins);
  tcase_add_test (tc, test_last_wins_ends_on_failures);
  tcase_add_test (tc, test_all_fail_one_error);
  tcase_add_test (tc, test_no_attempts);
  tcase_add_test (tc, test_progress_delays_next);
  tcase_add_test (tc, test_abort_ends_race);
  tcase_add_test (tc, test_mode_enum);
  return s;
}

GST_CHECK_MAIN (racer);
