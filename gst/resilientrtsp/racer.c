/* resilientrtsp
 * racer.c: connection racing decisions (see racer.h).
 *
 * One plain struct, no locks: the caller serialises the calls and passes
 * the time in. Actions are queued as events arrive and popped by the
 * caller, so a unit test can script a whole race with invented times.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "racer.h"

#include "error.h"

typedef enum
{
  ATTEMPT_PENDING,              /* not started */
  ATTEMPT_RUNNING,
  ATTEMPT_WINNING,              /* delivered data; the current winner */
  ATTEMPT_FAILED,
  ATTEMPT_CANCELLED,            /* lost, or never started because it lost */
} AttemptState;

typedef struct
{
  guint id;
  gchar *address;
  GstRTSPLowerTrans transport;
  AttemptState state;
  GError *error;
  GstClockTime failed_at;
} Attempt;

struct _GstResilientRacer
{
  GstResilientRaceMode mode;
  GstClockTime stagger;
  guint max_parallel;           /* 0: no limit */

  GPtrArray *attempts;          /* Attempt*, by id - 1 */
  gboolean begun;
  gboolean over;
  GstClockTime next_start;
  guint current;                /* the winning attempt, 0 if none */
  GQueue actions;               /* GstResilientRaceAction* */
};

GType
gst_resilient_race_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_RESILIENT_RACE_NONE, "No racing", "none"},
    {GST_RESILIENT_RACE_FIRST_WINS, "The first attempt with data wins",
        "first-wins"},
    {GST_RESILIENT_RACE_LAST_WINS, "The newest attempt with data wins",
        "last-wins"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstResilientRaceMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static void
attempt_free (gpointer data)
{
  Attempt *a = data;

  g_free (a->address);
  g_clear_error (&a->error);
  g_free (a);
}

GstResilientRacer *
gst_resilient_racer_new (GstResilientRaceMode mode, GstClockTime stagger,
    guint max_parallel)
{
  GstResilientRacer *racer = g_new0 (GstResilientRacer, 1);

  racer->mode = mode;
  racer->stagger = GST_CLOCK_TIME_IS_VALID (stagger) ? stagger : 0;
  racer->max_parallel = max_parallel;
  racer->attempts = g_ptr_array_new_with_free_func (attempt_free);
  g_queue_init (&racer->actions);
  return racer;
}

void
gst_resilient_racer_free (GstResilientRacer * racer)
{
  if (racer == NULL)
    return;
  g_ptr_array_unref (racer->attempts);
  g_queue_clear_full (&racer->actions, g_free);
  g_free (racer);
}

guint
gst_resilient_racer_add (GstResilientRacer * racer, const gchar * address,
    GstRTSPLowerTrans transport)
{
  Attempt *a;

  g_return_val_if_fail (racer != NULL, 0);
  g_return_val_if_fail (!racer->begun, 0);

  a = g_new0 (Attempt, 1);
  a->id = racer->attempts->len + 1;
  a->address = g_strdup (address);
  a->transport = transport;
  a->state = ATTEMPT_PENDING;
  g_ptr_array_add (racer->attempts, a);
  return a->id;
}

static Attempt *
get_attempt (GstResilientRacer * racer, guint id)
{
  if (id == 0 || id > racer->attempts->len)
    return NULL;
  return g_ptr_array_index (racer->attempts, id - 1);
}

const gchar *
gst_resilient_racer_get_address (GstResilientRacer * racer, guint id)
{
  Attempt *a;

  g_return_val_if_fail (racer != NULL, NULL);
  a = get_attempt (racer, id);
  return a ? a->address : NULL;
}

GstRTSPLowerTrans
gst_resilient_racer_get_transport (GstResilientRacer * racer, guint id)
{
  Attempt *a;

  g_return_val_if_fail (racer != NULL, 0);
  a = get_attempt (racer, id);
  return a ? a->transport : 0;
}

static void
push (GstResilientRacer * racer, GstResilientRaceActionType type, guint id)
{
  GstResilientRaceAction *action = g_new (GstResilientRaceAction, 1);

  action->type = type;
  action->id = id;
  g_queue_push_tail (&racer->actions, action);
}

static guint
count_in (GstResilientRacer * racer, AttemptState state)
{
  guint i, n = 0;

  for (i = 0; i < racer->attempts->len; i++) {
    Attempt *a = g_ptr_array_index (racer->attempts, i);

    if (a->state == state)
      n++;
  }
  return n;
}

/* The attempts that may still start: all pending ones, but with mode none
 * only the first attempt ever runs. */
static Attempt *
next_pending (GstResilientRacer * racer)
{
  Attempt *first;
  guint i;

  if (racer->attempts->len == 0)
    return NULL;
  first = g_ptr_array_index (racer->attempts, 0);
  if (racer->mode == GST_RESILIENT_RACE_NONE)
    return first->state == ATTEMPT_PENDING ? first : NULL;
  for (i = 0; i < racer->attempts->len; i++) {
    Attempt *a = g_ptr_array_index (racer->attempts, i);

    if (a->state == ATTEMPT_PENDING)
      return a;
  }
  return NULL;
}

static gboolean
slot_free (GstResilientRacer * racer)
{
  guint active = count_in (racer, ATTEMPT_RUNNING) +
      count_in (racer, ATTEMPT_WINNING);

  return racer->max_parallel == 0 || active < racer->max_parallel;
}

/* Ends the race when nothing can change any more. */
static void
check_end (GstResilientRacer * racer)
{
  if (racer->over || next_pending (racer) != NULL ||
      count_in (racer, ATTEMPT_RUNNING) > 0)
    return;
  racer->over = TRUE;
  if (racer->current != 0)
    push (racer, GST_RESILIENT_RACE_DONE, racer->current);
  else
    push (racer, GST_RESILIENT_RACE_FAILED, 0);
}

static void
schedule (GstResilientRacer * racer, GstClockTime now)
{
  Attempt *a;

  if (!racer->begun || racer->over)
    return;
  while ((a = next_pending (racer)) != NULL && slot_free (racer) &&
      now >= racer->next_start) {
    a->state = ATTEMPT_RUNNING;
    push (racer, GST_RESILIENT_RACE_START, a->id);
    racer->next_start = now + racer->stagger;
  }
}

void
gst_resilient_racer_begin (GstResilientRacer * racer, GstClockTime now)
{
  g_return_if_fail (racer != NULL);
  g_return_if_fail (!racer->begun);

  racer->begun = TRUE;
  racer->next_start = now;
  schedule (racer, now);
  check_end (racer);            /* no attempts at all */
}

void
gst_resilient_racer_data (GstResilientRacer * racer, guint id,
    GstClockTime now)
{
  Attempt *a;
  guint i;

  g_return_if_fail (racer != NULL);

  a = get_attempt (racer, id);
  if (a == NULL || a->state != ATTEMPT_RUNNING || racer->over)
    return;

  if (racer->mode == GST_RESILIENT_RACE_LAST_WINS) {
    if (racer->current > id) {
      /* older than the current winner: the device keeps the newest */
      a->state = ATTEMPT_CANCELLED;
      push (racer, GST_RESILIENT_RACE_CANCEL, id);
    } else {
      guint previous = racer->current;

      a->state = ATTEMPT_WINNING;
      racer->current = id;
      /* the new one first, so there is always a session to keep */
      push (racer, GST_RESILIENT_RACE_WIN, id);
      if (previous != 0) {
        get_attempt (racer, previous)->state = ATTEMPT_CANCELLED;
        push (racer, GST_RESILIENT_RACE_CANCEL, previous);
      }
    }
    schedule (racer, now);
    check_end (racer);
    return;
  }

  /* none and first-wins: the first with data takes it all */
  a->state = ATTEMPT_WINNING;
  racer->current = id;
  push (racer, GST_RESILIENT_RACE_WIN, id);
  for (i = 0; i < racer->attempts->len; i++) {
    Attempt *other = g_ptr_array_index (racer->attempts, i);

    if (other->state == ATTEMPT_RUNNING)
      push (racer, GST_RESILIENT_RACE_CANCEL, other->id);
    if (other->state == ATTEMPT_RUNNING || other->state == ATTEMPT_PENDING)
      other->state = ATTEMPT_CANCELLED;
  }
  check_end (racer);
}

void
gst_resilient_racer_failed (GstResilientRacer * racer, guint id,
    const GError * error, GstClockTime now)
{
  Attempt *a;

  g_return_if_fail (racer != NULL);

  a = get_attempt (racer, id);
  if (a == NULL || racer->over || (a->state != ATTEMPT_RUNNING &&
          a->state != ATTEMPT_WINNING))
    return;

  if (a->state == ATTEMPT_WINNING)
    racer->current = 0;
  a->state = ATTEMPT_FAILED;
  a->error = error ? g_error_copy (error) :
      g_error_new (GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_INTERNAL,
      "connection attempt %u failed", id);
  a->failed_at = now;

  /* its slot is free: the next attempt need not wait out the stagger */
  racer->next_start = now;
  schedule (racer, now);
  check_end (racer);
}

void
gst_resilient_racer_progress (GstResilientRacer * racer, guint id,
    GstClockTime now, GstClockTime patience)
{
  Attempt *a;

  g_return_if_fail (racer != NULL);

  a = get_attempt (racer, id);
  if (a == NULL || racer->over || a->state != ATTEMPT_RUNNING)
    return;
  /* a path that is getting somewhere: give it time before opening the
   * next one */
  if (!GST_CLOCK_TIME_IS_VALID (patience))
    patience = racer->stagger;
  /* from the latest progress of any running attempt */
  racer->next_start = now + patience;
}

void
gst_resilient_racer_abort (GstResilientRacer * racer, guint id,
    const GError * error, GstClockTime now)
{
  Attempt *a;
  guint i;

  g_return_if_fail (racer != NULL);

  a = get_attempt (racer, id);
  if (a == NULL || racer->over || (a->state != ATTEMPT_RUNNING &&
          a->state != ATTEMPT_WINNING))
    return;

  for (i = 0; i < racer->attempts->len; i++) {
    Attempt *other = g_ptr_array_index (racer->attempts, i);

    if (other == a)
      continue;
    if (other->state == ATTEMPT_RUNNING || other->state == ATTEMPT_WINNING)
      push (racer, GST_RESILIENT_RACE_CANCEL, other->id);
    if (other->state == ATTEMPT_RUNNING || other->state == ATTEMPT_WINNING ||
        other->state == ATTEMPT_PENDING)
      other->state = ATTEMPT_CANCELLED;
    /* the one error that matters is this one */
    g_clear_error (&other->error);
  }
  racer->current = 0;
  a->state = ATTEMPT_FAILED;
  g_clear_error (&a->error);
  a->error = error ? g_error_copy (error) :
      g_error_new (GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_INTERNAL,
      "connection attempt %u failed", id);
  a->failed_at = now;
  racer->over = TRUE;
  push (racer, GST_RESILIENT_RACE_FAILED, 0);
}

gboolean
gst_resilient_racer_next_action (GstResilientRacer * racer, GstClockTime now,
    GstResilientRaceAction * action)
{
  GstResilientRaceAction *next;

  g_return_val_if_fail (racer != NULL, FALSE);
  g_return_val_if_fail (action != NULL, FALSE);

  schedule (racer, now);
  next = g_queue_pop_head (&racer->actions);
  if (next == NULL)
    return FALSE;
  *action = *next;
  g_free (next);
  return TRUE;
}

GstClockTime
gst_resilient_racer_next_wakeup (GstResilientRacer * racer)
{
  g_return_val_if_fail (racer != NULL, GST_CLOCK_TIME_NONE);

  if (!racer->begun || racer->over || next_pending (racer) == NULL ||
      !slot_free (racer))
    return GST_CLOCK_TIME_NONE;
  return racer->next_start;
}

gboolean
gst_resilient_racer_is_over (GstResilientRacer * racer)
{
  g_return_val_if_fail (racer != NULL, FALSE);
  return racer->over;
}

GError *
gst_resilient_racer_take_error (GstResilientRacer * racer)
{
  Attempt *chosen = NULL;
  guint i, failed = 0;
  GError *error;

  g_return_val_if_fail (racer != NULL, NULL);

  for (i = 0; i < racer->attempts->len; i++) {
    Attempt *a = g_ptr_array_index (racer->attempts, i);

    if (a->error == NULL)
      continue;
    failed++;
    if (gst_resilient_error_get_action (a->error) ==
        GST_RESILIENT_ERROR_ACTION_FAIL) {
      if (chosen == NULL || gst_resilient_error_get_action (chosen->error) !=
          GST_RESILIENT_ERROR_ACTION_FAIL)
        chosen = a;
    } else if (chosen == NULL ||
        (gst_resilient_error_get_action (chosen->error) !=
            GST_RESILIENT_ERROR_ACTION_FAIL
            && a->failed_at >= chosen->failed_at)) {
      chosen = a;
    }
  }
  if (chosen == NULL)
    return g_error_new (GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_INTERNAL,
        "no connection attempt was made");

  error = chosen->error;
  chosen->error = NULL;
  if (failed > 1) {
    gchar *msg = g_strdup_printf ("%s (all %u connection attempts failed)",
        error->message, failed);

    g_free (error->message);
    error->message = msg;
  }
  return error;
}
