/* resilientrtsp
 * race.c: connection racing glue (see race.h).
 *
 * Everything but the public entry points runs on the I/O thread, where the
 * attempts' callbacks arrive: the racer, the attempt list and the
 * forwarding need no lock. The lock guards what other threads read: the
 * winner, the combined state, and the count of closes in flight.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "race.h"

#include "error.h"
#include "url.h"

GST_DEBUG_CATEGORY_STATIC (resilient_race_debug);
#define GST_CAT_DEFAULT resilient_race_debug

typedef struct
{
  GstResilientRace *race;
  guint id;
  GstRTSPLowerTrans transport;
  GstResilientSession *session; /* a reference; NULL until started */
  gboolean out;                 /* lost, failed or closing: events ignored */
  gboolean closing;             /* close_async called */
  GPtrArray *ready_streams;     /* from streams_ready, held until a win */
  GPtrArray *playing_streams;   /* from playing */
} Attempt;

struct _GstResilientRace
{
  /* immutable after construction */
  GstResilientIoContext *io;
  GstResilientSessionSettings settings;
  GstResilientRaceSettings rs;
  GstResilientSessionCallbacks callbacks;
  gpointer user_data;

  GMutex lock;
  GCond cond;
  GstResilientSession *winner;  /* lock; a reference; the element's session */
  GstResilientSessionState state;       /* lock; shown until a winner */
  guint closing;                /* lock; close_async in flight */
  guint started;                /* lock; attempts started */
  GstResilientSession *newest;  /* lock; a reference: the newest attempt */

  /* I/O thread */
  GstResilientRacer *racer;     /* NULL: no race, `winner` is the session */
  GPtrArray *attempts;          /* Attempt*, index id - 1 */
  GSource *wakeup;
  gboolean closed;
  gboolean want_play;
  gboolean sdp_sent;
  Attempt *shown_ready;         /* whose streams_ready the element got */
  GHashTable *selection;        /* stream index → 1 + select-stream answer */
};

static const GstResilientSessionCallbacks attempt_callbacks;

static GstClockTime
now (void)
{
  return (GstClockTime) g_get_monotonic_time () * GST_USECOND;
}

/* The transports the settings and the URL allow, in the order a race
 * tries them: UDP (with multicast), then TCP. */
static guint
candidate_transports (const GstResilientSessionSettings * settings,
    GstRTSPLowerTrans out[2])
{
  GstRTSPUrl *url = NULL;
  GstRTSPLowerTrans allowed;
  guint n = 0;

  if (settings->location == NULL ||
      gst_rtsp_url_parse (settings->location, &url) != GST_RTSP_OK)
    return 0;
  allowed = gst_resilient_url_allowed_transports (url, settings->protocols);
  gst_rtsp_url_free (url);

  if (allowed & (GST_RTSP_LOWER_TRANS_UDP | GST_RTSP_LOWER_TRANS_UDP_MCAST))
    out[n++] = allowed & (GST_RTSP_LOWER_TRANS_UDP |
        GST_RTSP_LOWER_TRANS_UDP_MCAST);
  if (allowed & GST_RTSP_LOWER_TRANS_TCP)
    out[n++] = GST_RTSP_LOWER_TRANS_TCP;
  return n;
}

static void
attempt_free (gpointer data)
{
  Attempt *a = data;

  g_clear_object (&a->session);
  g_free (a);
}

GstResilientRace *
gst_resilient_race_new (GstResilientIoContext * io,
    const GstResilientSessionSettings * settings,
    const GstResilientRaceSettings * race_settings,
    const GstResilientSessionCallbacks * callbacks, gpointer user_data)
{
  GstResilientRace *race;
  GstRTSPLowerTrans transports[2];
  guint n, copy, i;

  GST_DEBUG_CATEGORY_INIT (resilient_race_debug, "resilientrace", 0,
      "resilientrtsp connection racing");

  race = g_new0 (GstResilientRace, 1);
  race->io = gst_resilient_io_context_ref (io);
  gst_resilient_session_settings_copy (&race->settings, settings);
  race->rs = *race_settings;
  race->callbacks = *callbacks;
  race->user_data = user_data;
  g_mutex_init (&race->lock);
  g_cond_init (&race->cond);
  race->state = GST_RESILIENT_SESSION_IDLE;
  race->attempts = g_ptr_array_new_with_free_func (attempt_free);
  race->selection = g_hash_table_new (NULL, NULL);

  n = candidate_transports (settings, transports);
  if (race_settings->mode == GST_RESILIENT_RACE_NONE ||
      n * (1 + race_settings->duplicates) < 2) {
    /* no race: the one session talks to the element directly */
    race->winner = gst_resilient_session_new (io, settings, callbacks,
        user_data);
    race->started = 1;
    return race;
  }

  race->racer = gst_resilient_racer_new (race_settings->mode,
      race_settings->stagger_ms * GST_MSECOND, race_settings->max_parallel);
  for (copy = 0; copy <= race_settings->duplicates; copy++) {
    for (i = 0; i < n; i++) {
      Attempt *a = g_new0 (Attempt, 1);

      a->race = race;
      a->transport = transports[i];
      a->id = gst_resilient_racer_add (race->racer, NULL, transports[i]);
      g_ptr_array_add (race->attempts, a);
    }
  }
  return race;
}

void
gst_resilient_race_free (GstResilientRace * race)
{
  if (race == NULL)
    return;
  g_clear_object (&race->winner);
  g_clear_object (&race->newest);
  g_ptr_array_unref (race->attempts);
  g_clear_pointer (&race->racer, gst_resilient_racer_free);
  g_hash_table_unref (race->selection);
  gst_resilient_session_settings_clear (&race->settings);
  gst_resilient_io_context_unref (race->io);
  g_mutex_clear (&race->lock);
  g_cond_clear (&race->cond);
  g_free (race);
}

/* ---------------------------------------------------------------------- */
/* carrying out the racer's decisions (I/O thread) */

static void run_actions (GstResilientRace * race);

static Attempt *
get_attempt (GstResilientRace * race, guint id)
{
  if (id == 0 || id > race->attempts->len)
    return NULL;
  return g_ptr_array_index (race->attempts, id - 1);
}

static gboolean
is_winner (GstResilientRace * race, GstResilientSession * session)
{
  /* written on this thread only: no lock to read it here */
  return race->winner == session;
}

/* Sets the combined state and tells the element. */
static void
show_state (GstResilientRace * race, GstResilientSession * session,
    GstResilientSessionState state, const gchar * reason)
{
  GstResilientSessionState old;

  g_mutex_lock (&race->lock);
  old = race->state;
  race->state = state;
  g_mutex_unlock (&race->lock);
  if (old != state && race->callbacks.state_changed)
    race->callbacks.state_changed (session, old, state, reason,
        race->user_data);
}

static void
on_attempt_closed (gpointer session, gpointer user_data)
{
  GstResilientRace *race = user_data;

  g_mutex_lock (&race->lock);
  race->closing--;
  g_cond_broadcast (&race->cond);
  g_mutex_unlock (&race->lock);
}

/* "udp" or "tcp", for logs */
static const gchar *
attempt_name (Attempt * a)
{
  return gst_resilient_session_transport_name (a->transport &
      GST_RTSP_LOWER_TRANS_UDP ? GST_RTSP_LOWER_TRANS_UDP : a->transport,
      "any");
}

/* The oldest attempt still running, whose states the element sees before
 * there is a winner. */
static Attempt *
leader (GstResilientRace * race)
{
  guint i;

  for (i = 0; i < race->attempts->len; i++) {
    Attempt *a = g_ptr_array_index (race->attempts, i);

    if (a->session && !a->out)
      return a;
  }
  return NULL;
}

/* Tears attempt @a down without waiting. */
static void
drop_attempt (GstResilientRace * race, Attempt * a)
{
  Attempt *next;
  gboolean was_leader = (a == leader (race));

  a->out = TRUE;
  if (a->session == NULL || a->closing)
    return;
  /* the next one's state, if the element was watching this one */
  next = was_leader && race->winner == NULL && !race->closed ?
      leader (race) : NULL;
  if (next) {
    GstResilientSessionState state = gst_resilient_session_get_state
        (next->session);

    if (state >= GST_RESILIENT_SESSION_CONNECTING &&
        state <= GST_RESILIENT_SESSION_READY)
      show_state (race, next->session, state, NULL);
  }
  a->closing = TRUE;
  a->ready_streams = a->playing_streams = NULL;
  g_mutex_lock (&race->lock);
  race->closing++;
  g_mutex_unlock (&race->lock);
  GST_INFO ("attempt %u (%s) leaves the race", a->id, attempt_name (a));
  /* in the background, so a slow answer costs nothing: at least 1 s, as
   * a SETUP in flight must be answered before its session can be ended */
  gst_resilient_session_close_async (a->session,
      MAX (race->rs.teardown_timeout_ns, GST_SECOND), on_attempt_closed, race);
}

static void
start_attempt (GstResilientRace * race, Attempt * a)
{
  GstResilientSessionSettings ss = race->settings;

  /* one transport, and its failures are the race's to judge */
  ss.first_transports = a->transport;
  ss.retry_initial = FALSE;
  a->session = gst_resilient_session_new (race->io, &ss, &attempt_callbacks, a);
  g_mutex_lock (&race->lock);
  race->started++;
  g_clear_object (&race->newest);
  race->newest = g_object_ref (a->session);
  g_mutex_unlock (&race->lock);
  GST_INFO ("attempt %u starts (%s)", a->id, attempt_name (a));
  gst_resilient_session_open (a->session);
  if (race->want_play)
    gst_resilient_session_play (a->session);
}

/* Attempt @a had the first data (or, last-wins, the newest): the element
 * gets its session as if it had been the only one. */
static void
win (GstResilientRace * race, Attempt * a)
{
  GstResilientSession *previous;

  GST_INFO ("attempt %u (%s) wins", a->id, attempt_name (a));
  g_mutex_lock (&race->lock);
  previous = race->winner;
  race->winner = g_object_ref (a->session);
  g_mutex_unlock (&race->lock);
  g_clear_object (&previous);

  show_state (race, a->session, gst_resilient_session_get_state (a->session),
      "won the connection race");
  /* the pads exist since the first attempt was set up; the winner's
   * transports replace that one's (as after a re-establishment) */
  if (race->callbacks.streams_ready && a->ready_streams &&
      race->shown_ready != a)
    race->callbacks.streams_ready (a->session, a->ready_streams,
        race->user_data);
  race->shown_ready = a;
  if (race->callbacks.playing && a->playing_streams)
    race->callbacks.playing (a->session, a->playing_streams, race->user_data);
  a->ready_streams = a->playing_streams = NULL;
}

/* Every attempt failed: the race was the first attempt, and a plain
 * session goes on from there as retry-initial-connect and the retry
 * settings say (back-off, reconnecting messages, or the error). */
static void
race_failed (GstResilientRace * race)
{
  GError *error = gst_resilient_racer_take_error (race->racer);
  GstResilientSession *session;

  GST_INFO ("every attempt failed: %s", error->message);
  session = gst_resilient_session_new (race->io, &race->settings,
      &race->callbacks, race->user_data);
  g_mutex_lock (&race->lock);
  race->winner = session;
  g_mutex_unlock (&race->lock);
  gst_resilient_session_open_after_failure (session, error);
  if (race->want_play)
    gst_resilient_session_play (session);
  g_error_free (error);
}

static gboolean
on_wakeup (gpointer data)
{
  GstResilientRace *race = data;

  /* it ends with this dispatch: only our reference is left to drop */
  g_source_unref (race->wakeup);
  race->wakeup = NULL;
  run_actions (race);
  return G_SOURCE_REMOVE;
}

static void
run_actions (GstResilientRace * race)
{
  GstResilientRaceAction action;
  GstClockTime t = now (), next;
  Attempt *a;

  if (race->closed)
    return;

  while (gst_resilient_racer_next_action (race->racer, t, &action)) {
    a = get_attempt (race, action.id);
    switch (action.type) {
      case GST_RESILIENT_RACE_START:
        start_attempt (race, a);
        break;
      case GST_RESILIENT_RACE_CANCEL:
        drop_attempt (race, a);
        break;
      case GST_RESILIENT_RACE_WIN:
        win (race, a);
        break;
      case GST_RESILIENT_RACE_DONE:
        GST_INFO ("race over: attempt %u", action.id);
        break;
      case GST_RESILIENT_RACE_FAILED:
        race_failed (race);
        break;
    }
  }

  if (race->wakeup) {
    g_source_destroy (race->wakeup);
    g_source_unref (race->wakeup);
    race->wakeup = NULL;
  }
  next = gst_resilient_racer_next_wakeup (race->racer);
  if (GST_CLOCK_TIME_IS_VALID (next)) {
    guint ms = next > t ? (guint) ((next - t + GST_MSECOND - 1) /
        GST_MSECOND) : 0;

    race->wakeup = gst_resilient_io_context_add_timeout (race->io, ms,
        on_wakeup, race, NULL);
  }
}

/* ---------------------------------------------------------------------- */
/* the attempts' callbacks (I/O thread) */

static gboolean
ignored (Attempt * a)
{
  return a->race->closed || a->out;
}

/* How long an attempt that is still negotiating may take per answer
 * before the next one starts: a slow (or loaded) server is not a blocked
 * path. Connecting and data are judged by the stagger alone. */
#define NEGOTIATION_PATIENCE (1 * GST_SECOND)

static void
progress (Attempt * a)
{
  GstResilientRace *race = a->race;
  GstClockTime patience = GST_CLOCK_TIME_NONE;

  if (race->racer == NULL || gst_resilient_racer_is_over (race->racer))
    return;
  /* until PLAY is answered: at least NEGOTIATION_PATIENCE per step;
   * afterwards only data counts, and the stagger applies */
  if (a->playing_streams == NULL)
    patience = MAX (NEGOTIATION_PATIENCE, race->rs.stagger_ms * GST_MSECOND);
  gst_resilient_racer_progress (race->racer, a->id, now (), patience);
  run_actions (race);
}

static void
attempt_state_changed (GstResilientSession * session,
    GstResilientSessionState old_state, GstResilientSessionState new_state,
    const gchar * reason, gpointer user_data)
{
  Attempt *a = user_data;
  GstResilientRace *race = a->race;

  if (ignored (a))
    return;
  if (is_winner (race, session)) {
    show_state (race, session, new_state, reason);
    return;
  }
  if (race->winner != NULL)
    return;
  /* before a winner the element sees the states of the oldest attempt
   * still running, up to ready: playing waits for the win */
  if (a == leader (race) && new_state >= GST_RESILIENT_SESSION_CONNECTING
      && new_state <= GST_RESILIENT_SESSION_READY)
    show_state (race, session, new_state, reason);
  /* (PLAY answered is progress too: attempt_playing ()) */
  if (new_state > GST_RESILIENT_SESSION_CONNECTING &&
      new_state <= GST_RESILIENT_SESSION_READY)
    progress (a);
}

static void
attempt_sdp (GstResilientSession * session, GstSDPMessage * sdp,
    gpointer user_data)
{
  Attempt *a = user_data;
  GstResilientRace *race = a->race;

  if (ignored (a) || race->callbacks.sdp == NULL)
    return;
  /* on-sdp once for the race, then for every re-establishment */
  if (!is_winner (race, session) && race->sdp_sent)
    return;
  race->sdp_sent = TRUE;
  race->callbacks.sdp (session, sdp, race->user_data);
}

static gboolean
attempt_select_stream (GstResilientSession * session,
    const GstResilientStreamDesc * desc, gpointer user_data)
{
  Attempt *a = user_data;
  GstResilientRace *race = a->race;
  gpointer answer;
  gboolean selected;

  if (race->callbacks.select_stream == NULL)
    return TRUE;
  if (ignored (a))
    return FALSE;
  if (is_winner (race, session))
    return race->callbacks.select_stream (session, desc, race->user_data);
  /* the same question for every attempt: ask the application once */
  answer = g_hash_table_lookup (race->selection, GUINT_TO_POINTER
      (desc->index + 1));
  if (answer)
    return GPOINTER_TO_UINT (answer) == 2;
  selected = race->callbacks.select_stream (session, desc, race->user_data);
  g_hash_table_insert (race->selection, GUINT_TO_POINTER (desc->index + 1),
      GUINT_TO_POINTER (selected ? 2 : 1));
  return selected;
}

static gboolean
attempt_before_send (GstResilientSession * session, GstRTSPMessage * msg,
    gpointer user_data)
{
  Attempt *a = user_data;
  GstResilientRace *race = a->race;

  if (ignored (a))
    return TRUE;
  /* a request follows an answer (or the connect): the attempt is moving */
  if (!is_winner (race, session))
    progress (a);
  if (race->callbacks.before_send == NULL)
    return TRUE;
  return race->callbacks.before_send (session, msg, race->user_data);
}

static void
attempt_streams_ready (GstResilientSession * session, GPtrArray * streams,
    gpointer user_data)
{
  Attempt *a = user_data;
  GstResilientRace *race = a->race;

  if (ignored (a))
    return;
  if (is_winner (race, session)) {
    if (race->callbacks.streams_ready)
      race->callbacks.streams_ready (session, streams, race->user_data);
    return;
  }
  a->ready_streams = streams;
  /* the streams are the same on every path: the first attempt set up makes
   * the pads now, so that linking them downstream overlaps with PLAY */
  if (race->shown_ready == NULL && race->callbacks.streams_ready) {
    race->shown_ready = a;
    race->callbacks.streams_ready (session, streams, race->user_data);
  }
}

static void
attempt_playing (GstResilientSession * session, GPtrArray * streams,
    gpointer user_data)
{
  Attempt *a = user_data;
  GstResilientRace *race = a->race;

  if (ignored (a))
    return;
  if (is_winner (race, session)) {
    if (race->callbacks.playing)
      race->callbacks.playing (session, streams, race->user_data);
    return;
  }
  a->playing_streams = streams;
  progress (a);
}

static void
attempt_packet (GstResilientSession * session, guint index, gboolean is_rtcp,
    GstBuffer * buf, gpointer user_data)
{
  Attempt *a = user_data;
  GstResilientRace *race = a->race;

  GST_LOG ("attempt %u: %s of stream %u%s", a->id, is_rtcp ? "RTCP" : "RTP",
      index, is_winner (race, session) ? " (winner)" : "");
  if (!is_winner (race, session) && !ignored (a) && !is_rtcp &&
      a->playing_streams != NULL) {
    /* the first RTP of an attempt that plays: the racer decides */
    gst_resilient_racer_data (race->racer, a->id, now ());
    run_actions (race);
  }
  if (is_winner (race, session) && !ignored (a) && race->callbacks.packet)
    race->callbacks.packet (session, index, is_rtcp, buf, race->user_data);
  else
    gst_buffer_unref (buf);
}

/* Failures another path may not have: the transport (461, no data), or
 * chance (a lost packet, a reset). Every other failure — an answer of the
 * server, DNS, TLS, a refused port — is the same on every path. */
static gboolean
depends_on_path (const GError * error)
{
  if (error == NULL || error->domain != GST_RESILIENT_ERROR)
    return TRUE;
  switch (error->code) {
    case GST_RESILIENT_ERROR_TIMEOUT:
    case GST_RESILIENT_ERROR_UNREACHABLE:
    case GST_RESILIENT_ERROR_CONNECTION_LOST:
    case GST_RESILIENT_ERROR_UNSUPPORTED_TRANSPORT:
    case GST_RESILIENT_ERROR_SESSION_GONE:
    case GST_RESILIENT_ERROR_STALLED:
    case GST_RESILIENT_ERROR_INTERNAL:
      return TRUE;
    default:
      return FALSE;
  }
}

/* An attempt failed before it won: the racer decides what follows. */
static void
attempt_lost (Attempt * a, const GError * error)
{
  GstResilientRace *race = a->race;

  drop_attempt (race, a);
  if (!depends_on_path (error) || gst_resilient_error_in_classes (error,
          race->settings.retry.fail_fast))
    gst_resilient_racer_abort (race->racer, a->id, error, now ());
  else
    gst_resilient_racer_failed (race->racer, a->id, error, now ());
  run_actions (race);
}

static void
attempt_reconnecting (GstResilientSession * session, guint attempt,
    GstClockTime delay, const GError * error, GstRTSPLowerTrans transport,
    const gchar * reason, gpointer user_data)
{
  Attempt *a = user_data;
  GstResilientRace *race = a->race;

  if (ignored (a))
    return;
  if (is_winner (race, session)) {
    if (race->callbacks.reconnecting)
      race->callbacks.reconnecting (session, attempt, delay, error, transport,
          reason, race->user_data);
    return;
  }
  /* lost before it won: not worth recovering, the race goes on */
  attempt_lost (a, error);
}

static void
attempt_recovered (GstResilientSession * session, GstClockTime outage,
    guint attempts, gpointer user_data)
{
  Attempt *a = user_data;
  GstResilientRace *race = a->race;

  if (!ignored (a) && is_winner (race, session) && race->callbacks.recovered)
    race->callbacks.recovered (session, outage, attempts, race->user_data);
}

static void
attempt_error (GstResilientSession * session, const GError * error,
    gpointer user_data)
{
  Attempt *a = user_data;
  GstResilientRace *race = a->race;

  if (ignored (a))
    return;
  if (is_winner (race, session)) {
    /* the winner's own retries ran out: that is the element's error */
    if (race->callbacks.error)
      race->callbacks.error (session, error, race->user_data);
    return;
  }
  attempt_lost (a, error);
}

static gboolean
attempt_accept_certificate (GstResilientSession * session,
    GTlsConnection * conn, GTlsCertificate * peer_cert,
    GTlsCertificateFlags errors, gpointer user_data)
{
  Attempt *a = user_data;
  GstResilientRace *race = a->race;

  if (ignored (a) || race->callbacks.accept_certificate == NULL)
    return FALSE;
  return race->callbacks.accept_certificate (session, conn, peer_cert, errors,
      race->user_data);
}

static const GstResilientSessionCallbacks attempt_callbacks = {
  attempt_state_changed,
  attempt_sdp,
  attempt_select_stream,
  attempt_before_send,
  attempt_streams_ready,
  attempt_playing,
  attempt_packet,
  attempt_reconnecting,
  attempt_recovered,
  attempt_error,
  attempt_accept_certificate,
};

/* ---------------------------------------------------------------------- */
/* the element's side (any thread) */

static gboolean
open_on_io (gpointer data)
{
  GstResilientRace *race = data;

  if (race->closed)
    return G_SOURCE_REMOVE;
  show_state (race, NULL, GST_RESILIENT_SESSION_CONNECTING, NULL);
  gst_resilient_racer_begin (race->racer, now ());
  run_actions (race);
  return G_SOURCE_REMOVE;
}

void
gst_resilient_race_open (GstResilientRace * race)
{
  g_return_if_fail (race != NULL);

  if (race->racer == NULL)
    gst_resilient_session_open (race->winner);
  else
    gst_resilient_io_context_invoke (race->io, open_on_io, race, NULL);
}

/* Play or pause every running session: the winner, or every attempt
 * before there is one. */
static void
for_each_session (GstResilientRace * race,
    void (*func) (GstResilientSession * session))
{
  guint i;

  if (race->winner) {
    func (race->winner);
    return;
  }
  for (i = 0; i < race->attempts->len; i++) {
    Attempt *a = g_ptr_array_index (race->attempts, i);

    if (a->session && !a->out)
      func (a->session);
  }
}

static gboolean
play_on_io (gpointer data)
{
  GstResilientRace *race = data;

  if (!race->closed) {
    race->want_play = TRUE;
    for_each_session (race, gst_resilient_session_play);
  }
  return G_SOURCE_REMOVE;
}

static gboolean
pause_on_io (gpointer data)
{
  GstResilientRace *race = data;

  if (!race->closed) {
    race->want_play = FALSE;
    for_each_session (race, gst_resilient_session_pause);
  }
  return G_SOURCE_REMOVE;
}

void
gst_resilient_race_play (GstResilientRace * race)
{
  g_return_if_fail (race != NULL);

  if (race->racer == NULL)
    gst_resilient_session_play (race->winner);
  else
    gst_resilient_io_context_invoke (race->io, play_on_io, race, NULL);
}

void
gst_resilient_race_pause (GstResilientRace * race)
{
  g_return_if_fail (race != NULL);

  if (race->racer == NULL)
    gst_resilient_session_pause (race->winner);
  else
    gst_resilient_io_context_invoke (race->io, pause_on_io, race, NULL);
}

/* The winner (or, before one, the newest attempt), a reference or NULL. */
static GstResilientSession *
current_session (GstResilientRace * race, gboolean winner_only)
{
  GstResilientSession *session;

  g_mutex_lock (&race->lock);
  session = race->winner ? race->winner : winner_only ? NULL : race->newest;
  if (session)
    g_object_ref (session);
  g_mutex_unlock (&race->lock);
  return session;
}

void
gst_resilient_race_send_rtcp (GstResilientRace * race, guint index,
    GstBuffer * buf)
{
  GstResilientSession *session;

  g_return_if_fail (race != NULL);

  session = current_session (race, TRUE);
  if (session == NULL) {
    gst_buffer_unref (buf);
    return;
  }
  gst_resilient_session_send_rtcp (session, index, buf);
  g_object_unref (session);
}

GstResilientSessionState
gst_resilient_race_get_state (GstResilientRace * race)
{
  GstResilientSession *session;
  GstResilientSessionState state;

  g_return_val_if_fail (race != NULL, GST_RESILIENT_SESSION_IDLE);

  session = current_session (race, TRUE);
  if (session == NULL) {
    g_mutex_lock (&race->lock);
    state = race->state;
    g_mutex_unlock (&race->lock);
    return state;
  }
  state = gst_resilient_session_get_state (session);
  g_object_unref (session);
  return state;
}

void
gst_resilient_race_fill_stats (GstResilientRace * race, GstStructure * stats)
{
  GstResilientSession *session;
  gboolean have_winner;
  guint started;

  g_return_if_fail (race != NULL);

  session = current_session (race, FALSE);
  g_mutex_lock (&race->lock);
  have_winner = race->winner != NULL;
  started = race->started;
  g_mutex_unlock (&race->lock);
  if (session) {
    gst_resilient_session_fill_stats (session, stats);
    g_object_unref (session);
  }
  if (!have_winner)
    gst_structure_set (stats, "state", G_TYPE_STRING,
        gst_resilient_session_state_name (gst_resilient_race_get_state
            (race)), NULL);
  gst_structure_set (stats, "race-attempts", G_TYPE_UINT, started, NULL);
}

static gboolean
close_on_io (gpointer data)
{
  GstResilientRace *race = data;
  guint i;

  race->closed = TRUE;
  if (race->wakeup) {
    g_source_destroy (race->wakeup);
    g_source_unref (race->wakeup);
    race->wakeup = NULL;
  }
  for (i = 0; i < race->attempts->len; i++) {
    Attempt *a = g_ptr_array_index (race->attempts, i);

    if (a->session != race->winner)
      drop_attempt (race, a);
  }
  return G_SOURCE_REMOVE;
}

void
gst_resilient_race_close (GstResilientRace * race, guint64 teardown_timeout_ns)
{
  GstResilientSession *winner;

  g_return_if_fail (race != NULL);
  g_return_if_fail (!gst_resilient_io_context_is_current (race->io));

  if (race->racer)
    gst_resilient_io_context_invoke_sync (race->io, close_on_io, race);

  /* the winner as the element would close its only session; the others'
   * TEARDOWNs are in flight meanwhile */
  winner = current_session (race, TRUE);
  if (winner) {
    gst_resilient_session_close (winner, teardown_timeout_ns);
    g_object_unref (winner);
  }

  /* every close_async ends within its own teardown timeout */
  g_mutex_lock (&race->lock);
  while (race->closing > 0)
    g_cond_wait (&race->cond, &race->lock);
  g_mutex_unlock (&race->lock);
}
