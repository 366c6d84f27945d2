/* resilientrtsp tests
 * elements/resilientrtspsrc_auth.c: Basic and Digest authentication —
 * against the real gst-rtsp-server (Basic, Digest MD5 as it does it, wrong
 * password, credentials in the URL, re-authentication after a reconnect)
 * and against the MOCK quirk server, which demands what gst-rtsp-server
 * cannot (SHA-256, SHA-512-256, -sess, qop, userhash, stale nonces, several
 * challenges) and checks each Authorization by computing it itself.
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "pipeline-fixture.h"
#include "quirkserver.h"
#include "relay.h"
#include "testserver.h"

#define USER "alice"
#define PASSWORD "s3cret:pw"

/* ---- helpers ---- */

/* What before-send saw: every request line URI and Authorization value. */
typedef struct
{
  GMutex lock;
  GPtrArray *uris;
  GPtrArray *authorizations;    /* "" for requests without */
} Wire;

static gboolean
on_before_send (GstElement * src, GstRTSPMessage * msg, gpointer user_data)
{
  Wire *w = user_data;
  GstRTSPMethod method;
  const gchar *uri = NULL;
  GstRTSPVersion version;
  gchar *auth = NULL;

  if (gst_rtsp_message_parse_request (msg, &method, &uri,
          &version) != GST_RTSP_OK)
    return TRUE;
  gst_rtsp_message_get_header (msg, GST_RTSP_HDR_AUTHORIZATION, &auth, 0);
  g_mutex_lock (&w->lock);
  g_ptr_array_add (w->uris, g_strdup (uri));
  g_ptr_array_add (w->authorizations, g_strdup (auth ? auth : ""));
  g_mutex_unlock (&w->lock);
  return TRUE;
}

static Wire *
wire_watch (RrPipeline * p)
{
  Wire *w = g_new0 (Wire, 1);

  g_mutex_init (&w->lock);
  w->uris = g_ptr_array_new_with_free_func (g_free);
  w->authorizations = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (p->src, "before-send", G_CALLBACK (on_before_send), w);
  return w;
}

/* after the pipeline is freed */
static void
wire_free (Wire * w)
{
  g_ptr_array_unref (w->uris);
  g_ptr_array_unref (w->authorizations);
  g_mutex_clear (&w->lock);
  g_free (w);
}

/* The index of the first "authenticating" state, -1 if none. With the
 * lock. */
static gint
find_state (RrPipeline * p, const gchar * state, guint from)
{
  guint i;

  for (i = from; i < p->states->len; i++)
    if (g_strcmp0 (g_ptr_array_index (p->states, i), state) == 0)
      return i;
  return -1;
}

/* Every "authenticating" is followed by the state the session goes on
 * with, never by a second "authenticating" or by nothing; returns how many
 * there were. */
static guint
assert_authenticating_moves_on (RrPipeline * p)
{
  gint i = -1;
  guint n = 0;

  g_mutex_lock (&p->lock);
  while ((i = find_state (p, "authenticating", i + 1)) >= 0) {
    const gchar *next;

    n++;
    fail_unless ((guint) i + 1 < p->states->len, "stuck in authenticating");
    next = g_ptr_array_index (p->states, i + 1);
    /* a recovery stays "recovering" until it plays */
    fail_unless (g_strcmp0 (next, "negotiating") == 0 ||
        g_strcmp0 (next, "ready") == 0 || g_strcmp0 (next, "playing") == 0 ||
        g_strcmp0 (next, "recovering") == 0, "authenticating → %s", next);
  }
  g_mutex_unlock (&p->lock);
  return n;
}

/* No state reason or error message carries a credential. */
static void
assert_no_secret_leaked (RrPipeline * p, const gchar * password)
{
  guint i;

  g_mutex_lock (&p->lock);
  for (i = 0; i < p->reasons->len; i++) {
    const gchar *r = g_ptr_array_index (p->reasons, i);

    fail_if (strstr (r, password) != NULL, "%s", r);
    fail_if (strstr (r, "response=") != NULL, "%s", r);
  }
  if (p->error)
    fail_if (strstr (p->error->message, password) != NULL, "%s",
        p->error->message);
  g_mutex_unlock (&p->lock);
}

static RrTestServer *
auth_server (GstRTSPAuthMethod methods)
{
  RrTestServerConfig config = { 0, };

  config.with_audio = FALSE;
  config.user = USER;
  config.password = PASSWORD;
  config.auth_methods = methods;
  return rr_test_server_new (&config);
}

/* ---- gst-rtsp-server ---- */

static void
plays_with (GstRTSPAuthMethod methods, const gchar * scheme)
{
  RrTestServer *server = auth_server (methods);
  gchar *url = rr_test_server_get_url (server, "/video");
  RrPipeline *p = rr_pipeline_new (url, "user-id", USER, "user-pw", PASSWORD,
      NULL);
  Wire *w = wire_watch (p);
  gchar *reason;
  guint i;

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 1, 5), "%s",
      p->error ? p->error->message : "timeout");
  fail_unless (assert_authenticating_moves_on (p) >= 1);
  reason = g_strdup_printf ("with %s credentials", scheme);
  fail_unless (rr_pipeline_has_reason (p, reason), "no reason with '%s'",
      reason);
  g_free (reason);
  fail_unless (rr_test_server_count_header (server, "authorization") >= 3);
  assert_no_secret_leaked (p, PASSWORD);
  rr_pipeline_free (p);

  /* what went on the wire: the scheme asked for, computed per request */
  g_mutex_lock (&w->lock);
  for (i = 0; i < w->authorizations->len; i++) {
    const gchar *a = g_ptr_array_index (w->authorizations, i);

    if (*a)
      fail_unless (g_str_has_prefix (a, g_str_has_prefix (scheme, "Digest") ?
              "Digest " : "Basic "), "%s", a);
    if (g_str_has_prefix (a, "Digest "))
      fail_unless (strstr (a, g_ptr_array_index (w->uris, i)) != NULL,
          "uri of %s not in %s", (gchar *) g_ptr_array_index (w->uris, i), a);
  }
  g_mutex_unlock (&w->lock);
  wire_free (w);

  g_free (url);
  rr_test_server_free (server);
}

GST_START_TEST (test_digest_plays)
{
  plays_with (GST_RTSP_AUTH_DIGEST, "Digest MD5");
}

GST_END_TEST;

GST_START_TEST (test_basic_plays)
{
  plays_with (GST_RTSP_AUTH_BASIC, "Basic");
}

GST_END_TEST;

/* both offered: Digest is the stronger */
GST_START_TEST (test_digest_preferred_over_basic)
{
  plays_with (GST_RTSP_AUTH_BASIC | GST_RTSP_AUTH_DIGEST, "Digest MD5");
}

GST_END_TEST;

static void
wrong_password (GstRTSPAuthMethod methods)
{
  RrTestServer *server = auth_server (methods);
  gchar *url = rr_test_server_get_url (server, "/video");
  RrPipeline *p = rr_pipeline_new (url, "user-id", USER, "user-pw",
      "not-the-password", NULL);

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_error (p));
  fail_unless (g_error_matches (p->error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED), "%s", p->error->message);
  fail_unless_equals_string (p->error_class, "auth");
  fail_unless (strstr (p->error->message, "401") != NULL, "%s",
      p->error->message);
  fail_unless (strstr (p->error->message, "credentials rejected") != NULL,
      "%s", p->error->message);
  fail_unless (rr_pipeline_wait_state (p, "failed"));
  assert_no_secret_leaked (p, "not-the-password");
  rr_pipeline_free (p);

  /* one DESCRIBE without, one with credentials, and nothing more: no loop,
   * no reconnect */
  fail_unless_equals_int (rr_test_server_count_requests (server,
          GST_RTSP_DESCRIBE), 2);
  fail_unless_equals_int (rr_test_server_count_header (server,
          "authorization"), 1);
  fail_unless_equals_int (rr_test_server_count_requests (server,
          GST_RTSP_SETUP), 0);

  g_free (url);
  rr_test_server_free (server);
}

GST_START_TEST (test_digest_wrong_password)
{
  wrong_password (GST_RTSP_AUTH_DIGEST);
}

GST_END_TEST;

GST_START_TEST (test_basic_wrong_password)
{
  wrong_password (GST_RTSP_AUTH_BASIC);
}

GST_END_TEST;

GST_START_TEST (test_digest_credentials_in_url)
{
  RrTestServer *server = auth_server (GST_RTSP_AUTH_DIGEST);
  /* ':' in the password percent-encoded */
  gchar *url = g_strdup_printf ("rtsp://" USER ":s3cret%%3Apw@127.0.0.1:%u"
      "/video", rr_test_server_get_port (server));
  RrPipeline *p = rr_pipeline_new (url, NULL);
  Wire *w = wire_watch (p);
  guint i;

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 1, 5), "%s",
      p->error ? p->error->message : "timeout");
  fail_unless (rr_pipeline_has_reason (p, "with Digest MD5 credentials"));
  rr_pipeline_free (p);

  /* no userinfo on the wire: not in the request line, not in the Digest
   * uri (which must be the request line's URI) */
  g_mutex_lock (&w->lock);
  fail_unless (w->uris->len >= 4);
  for (i = 0; i < w->uris->len; i++) {
    const gchar *uri = g_ptr_array_index (w->uris, i);
    const gchar *a = g_ptr_array_index (w->authorizations, i);

    fail_if (strchr (uri, '@') != NULL || strstr (uri, USER) != NULL, "%s",
        uri);
    fail_if (strstr (a, "s3cret") != NULL, "%s", a);
    if (*a) {
      gchar *quoted = g_strdup_printf ("uri=\"%s\"", uri);

      fail_unless (strstr (a, quoted) != NULL, "%s not in %s", quoted, a);
      g_free (quoted);
    }
  }
  g_mutex_unlock (&w->lock);
  wire_free (w);

  g_free (url);
  rr_test_server_free (server);
}

GST_END_TEST;

/* gst-rtsp-server binds a nonce to its connection: after a reset the client
 * must be challenged again on the new one, and recover */
GST_START_TEST (test_digest_reauthenticates_after_reconnect)
{
  RrTestServer *server = auth_server (GST_RTSP_AUTH_DIGEST);
  RrRelay *relay = rr_relay_new ("127.0.0.1",
      rr_test_server_get_port (server));
  gchar *url = rr_relay_get_url (relay, "/video");
  RrPipeline *p = rr_pipeline_new (url, "user-id", USER, "user-pw", PASSWORD,
      "protocols", GST_RTSP_LOWER_TRANS_TCP, "retry-initial-delay",
      50, NULL);
  guint before;

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 1, 5), "%s",
      p->error ? p->error->message : "timeout");
  before = rr_test_server_count_requests (server, GST_RTSP_DESCRIBE);

  rr_relay_reset_all (relay);
  fail_unless (rr_pipeline_wait_recovered (p, 1), "%s",
      p->error ? p->error->message : "not recovered");
  fail_unless (rr_pipeline_wait_more_buffers (p,
          rr_pipeline_total_buffers (p), 5));
  /* a new challenge (DESCRIBE without credentials) and its answer */
  fail_unless (rr_test_server_count_requests (server, GST_RTSP_DESCRIBE) >=
      before + 2);
  fail_unless (assert_authenticating_moves_on (p) >= 2);
  fail_unless (p->error == NULL);
  rr_pipeline_free (p);

  g_free (url);
  rr_relay_free (relay);
  rr_test_server_free (server);
}

GST_END_TEST;

/* ---- the MOCK quirk server ---- */

typedef struct
{
  RrQuirkServer *server;
  RrPipeline *p;
  RrQuirkAuthCounts counts;
  guint authenticating;         /* "authenticating" states seen */
} QuirkRun;

/* Demands @auth on "/cam", plays "/cam" with USER and @password. */
static void
quirk_run (QuirkRun * run, const RrQuirkAuth * auth, const gchar * password)
{
  gchar *url;

  run->server = rr_quirk_server_new ();
  rr_quirk_server_set_auth (run->server, "/cam", auth);
  url = rr_quirk_server_get_url (run->server, "/cam");
  /* the MOCK sends no media: no stall detection */
  run->p = rr_pipeline_new (url, "user-id", USER, "user-pw", password,
      "protocols", GST_RTSP_LOWER_TRANS_TCP, "stall-timeout", 0,
      "retry-initial-connect", FALSE, NULL);
  g_free (url);
  rr_pipeline_play (run->p);
}

/* Stops the pipeline, then reads the MOCK's final counts and frees it. */
static void
quirk_done (QuirkRun * run)
{
  rr_pipeline_free (run->p);
  run->p = NULL;
  rr_quirk_server_get_auth_counts (run->server, &run->counts);
  rr_quirk_server_free (run->server);
  run->server = NULL;
}

/* Waits for PLAYING; asserts every request was accepted and no rejection
 * happened. */
static void
quirk_assert_plays (QuirkRun * run)
{
  gchar *why;

  fail_unless (rr_pipeline_wait_state (run->p, "playing"), "%s",
      run->p->error ? run->p->error->message : "timeout");
  why = rr_quirk_server_last_auth_error (run->server);
  fail_unless (why == NULL, "the MOCK rejected an Authorization: %s", why);
  rr_quirk_server_get_auth_counts (run->server, &run->counts);
  fail_unless_equals_int (run->counts.rejected, 0);
  /* OPTIONS (resent), DESCRIBE, SETUP, PLAY */
  fail_unless (run->counts.accepted >= 4, "%u accepted", run->counts.accepted);
  fail_unless (run->p->error == NULL);
  run->authenticating = assert_authenticating_moves_on (run->p);
  /* every 401 (first challenge, stale nonce) cost one resend */
  fail_unless_equals_int (run->authenticating,
      run->counts.challenged + run->counts.stale);
  assert_no_secret_leaked (run->p, PASSWORD);
}

static void
quirk_plays (const gchar * const *offer, gboolean one_header,
    const gchar * accept, const gchar * qop, gboolean userhash)
{
  RrQuirkAuth auth = { 0, };
  QuirkRun run;
  gchar *reason;

  auth.user = USER;
  auth.password = PASSWORD;
  auth.realm = "quirk cam";
  auth.offer = offer;
  auth.one_header = one_header;
  auth.accept = accept;
  auth.qop = qop;
  auth.userhash = userhash;
  quirk_run (&run, &auth, PASSWORD);
  quirk_assert_plays (&run);
  /* one challenge on the one connection, every later request authorized */
  fail_unless_equals_int (run.counts.challenged, 1);
  fail_unless_equals_int (run.counts.stale, 0);
  fail_unless_equals_int (run.counts.accepted,
      rr_quirk_server_count (run.server, "OPTIONS") - 1 +
      rr_quirk_server_count (run.server, "DESCRIBE") +
      rr_quirk_server_count (run.server, "SETUP") +
      rr_quirk_server_count (run.server, "PLAY"));
  reason = g_strdup_printf ("with %s%s credentials",
      g_str_equal (accept, "Basic") ? "" : "Digest ", accept);
  fail_unless (rr_pipeline_has_reason (run.p, reason), "no reason '%s'",
      reason);
  g_free (reason);
  quirk_done (&run);
}

GST_START_TEST (test_quirk_sha256_qop_auth)
{
  const gchar *offer[] = { "SHA-256", NULL };

  quirk_plays (offer, FALSE, "SHA-256", "auth", FALSE);
}

GST_END_TEST;

GST_START_TEST (test_quirk_sha512_256_userhash)
{
  const gchar *offer[] = { "SHA-512-256", NULL };

  quirk_plays (offer, FALSE, "SHA-512-256", "auth", TRUE);
}

GST_END_TEST;

GST_START_TEST (test_quirk_sha512_256_no_qop)
{
  const gchar *offer[] = { "SHA-512-256", NULL };

  quirk_plays (offer, FALSE, "SHA-512-256", NULL, FALSE);
}

GST_END_TEST;

GST_START_TEST (test_quirk_sess_and_auth_int)
{
  const gchar *md5_sess[] = { "MD5-sess", NULL };
  const gchar *sha_sess[] = { "SHA-256-sess", NULL };

  quirk_plays (md5_sess, FALSE, "MD5-sess", "auth", FALSE);
  quirk_plays (sha_sess, FALSE, "SHA-256-sess", "auth-int", FALSE);
}

GST_END_TEST;

GST_START_TEST (test_quirk_strongest_challenge)
{
  const gchar *all[] = { "Basic", "MD5", "SHA-256", "SHA-512-256", NULL };
  const gchar *mixed[] = { "MD5", "SHA-512-256-sess", "Basic", "SHA-256",
    NULL
  };
  const gchar *no_sha512[] = { "SHA-256", "Basic", "MD5", NULL };
  const gchar *basic_md5[] = { "Basic", "MD5", NULL };

  /* all in one WWW-Authenticate header */
  quirk_plays (all, TRUE, "SHA-512-256", "auth", FALSE);
  /* one header each */
  quirk_plays (mixed, FALSE, "SHA-512-256-sess", "auth", FALSE);
  quirk_plays (no_sha512, TRUE, "SHA-256", "auth", FALSE);
  quirk_plays (basic_md5, FALSE, "MD5", NULL, FALSE);
}

GST_END_TEST;

GST_START_TEST (test_quirk_basic_only)
{
  const gchar *offer[] = { "Basic", NULL };

  quirk_plays (offer, FALSE, "Basic", NULL, FALSE);
}

GST_END_TEST;

static void
quirk_stale (gboolean no_stale_flag)
{
  const gchar *offer[] = { "SHA-256", NULL };
  RrQuirkAuth auth = { 0, };
  QuirkRun run;

  auth.user = USER;
  auth.password = PASSWORD;
  auth.offer = offer;
  auth.accept = "SHA-256";
  auth.qop = "auth";
  /* the nonce expires after two requests: during DESCRIBE/SETUP/PLAY */
  auth.stale_every = 2;
  auth.no_stale_flag = no_stale_flag;
  quirk_run (&run, &auth, PASSWORD);
  quirk_assert_plays (&run);
  fail_unless (run.counts.stale >= 1, "no stale nonce seen");
  fail_unless_equals_int (run.counts.challenged, 1);
  /* each stale answer cost exactly one resend of that request */
  fail_unless_equals_int (run.authenticating, 1 + run.counts.stale);
  fail_unless (rr_pipeline_has_reason (run.p, "401: resending"));
  quirk_done (&run);
}

GST_START_TEST (test_quirk_stale_nonce)
{
  quirk_stale (FALSE);
}

GST_END_TEST;

/* a camera that expires nonces without saying stale=true: credentials that
 * worked are resent with the new nonce */
GST_START_TEST (test_quirk_expired_nonce_without_stale_flag)
{
  quirk_stale (TRUE);
}

GST_END_TEST;

GST_START_TEST (test_quirk_wrong_password)
{
  const gchar *offer[] = { "SHA-256", "Basic", NULL };
  RrQuirkAuth auth = { 0, };
  QuirkRun run;

  auth.user = USER;
  auth.password = PASSWORD;
  auth.offer = offer;
  auth.accept = "SHA-256";
  auth.qop = "auth";
  quirk_run (&run, &auth, "wrong");
  fail_unless (rr_pipeline_wait_error (run.p));
  fail_unless_equals_string (run.p->error_class, "auth");
  fail_unless (strstr (run.p->error->message, "credentials rejected") != NULL,
      "%s", run.p->error->message);
  fail_unless (rr_pipeline_wait_state (run.p, "failed"));
  assert_no_secret_leaked (run.p, "wrong");
  rr_pipeline_free (run.p);

  /* OPTIONS without, OPTIONS with credentials (rejected), then the end:
   * no DESCRIBE with credentials known to be wrong, no loop */
  rr_quirk_server_get_auth_counts (run.server, &run.counts);
  fail_unless_equals_int (run.counts.challenged, 1);
  fail_unless_equals_int (run.counts.rejected, 1);
  fail_unless_equals_int (run.counts.accepted, 0);
  fail_unless_equals_int (rr_quirk_server_count (run.server, "OPTIONS"), 2);
  fail_unless_equals_int (rr_quirk_server_count (run.server, "DESCRIBE"), 0);
  rr_quirk_server_free (run.server);
}

GST_END_TEST;

GST_START_TEST (test_quirk_unsupported_scheme)
{
  const gchar *offer[] = { "SHA-1", "MD4-sess", NULL };
  RrQuirkAuth auth = { 0, };
  QuirkRun run;

  auth.user = USER;
  auth.password = PASSWORD;
  auth.offer = offer;
  auth.accept = "SHA-1";
  auth.qop = "auth";
  quirk_run (&run, &auth, PASSWORD);
  fail_unless (rr_pipeline_wait_error (run.p));
  fail_unless_equals_string (run.p->error_class, "auth");
  fail_unless (strstr (run.p->error->message, "no authentication scheme")
      != NULL, "%s", run.p->error->message);
  quirk_done (&run);
  /* no credentials were ever sent */
  fail_unless_equals_int (run.counts.accepted + run.counts.rejected, 0);
}

GST_END_TEST;

static Suite *
resilientrtspsrc_auth_suite (void)
{
  Suite *s = suite_create ("resilientrtspsrc_auth");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_digest_plays);
  tcase_add_test (tc, test_basic_plays);
  tcase_add_test (tc, test_digest_preferred_over_basic);
  tcase_add_test (tc, test_digest_wrong_password);
  tcase_add_test (tc, test_basic_wrong_password);
  tcase_add_test (tc, test_digest_credentials_in_url);
  tcase_add_test (tc, test_digest_reauthenticates_after_reconnect);
  tcase_add_test (tc, test_quirk_sha256_qop_auth);
  tcase_add_test (tc, test_quirk_sha512_256_userhash);
  tcase_add_test (tc, test_quirk_sha512_256_no_qop);
  tcase_add_test (tc, test_quirk_sess_and_auth_int);
  tcase_add_test (tc, test_quirk_strongest_challenge);
  tcase_add_test (tc, test_quirk_basic_only);
  tcase_add_test (tc, test_quirk_stale_nonce);
  tcase_add_test (tc, test_quirk_expired_nonce_without_stale_flag);
  tcase_add_test (tc, test_quirk_wrong_password);
  tcase_add_test (tc, test_quirk_unsupported_scheme);

  return s;
}

GST_CHECK_MAIN (resilientrtspsrc_auth);
