/* resilientrtsp
 * tests/check/auth.c: unit tests for the Basic/Digest authenticator.
 *
 * Expected Digest responses come from the RFCs' examples where those are
 * right, and otherwise were computed by hand with the openssl command-line
 * tool, independently of auth.c, e.g. for SHA-512-256:
 *   h () { printf '%s' "$2" | openssl dgst -"$1" -r | cut -d' ' -f1; }
 *   HA1=$(h sha512-256 "user:realm:password"); HA2=$(h sha512-256 "METHOD:uri")
 *   h sha512-256 "$HA1:nonce:00000001:cnonce:auth:$HA2"
 * (md5 / sha256 likewise; -sess: HA1=$(h alg "$(h alg user:realm:pw):nonce:cnonce");
 * auth-int: HA2=$(h alg "METHOD:uri:$(h alg "$body")"); no qop:
 * h alg "$HA1:nonce:$HA2").
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/check/gstcheck.h>

#include "auth.h"
#include "error.h"

/* RFC 7616 §3.9.1 */
#define R7616_REALM "http-auth@example.org"
#define R7616_NONCE "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define R7616_OPAQUE "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
#define R7616_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
#define R7616_CHALLENGE(alg) "Digest realm=\"" R7616_REALM "\", " \
  "qop=\"auth, auth-int\", algorithm=" alg ", nonce=\"" R7616_NONCE "\", " \
  "opaque=\"" R7616_OPAQUE "\""

/* RFC 2617 §3.5 */
#define R2617_NONCE "dcd98b7102dd2f0e8b11d0f600bfb0c093"
#define R2617_OPAQUE "5ccc069c403ebaf9f0171e9517f40e41"
#define R2617_CNONCE "0a4f113b"

#define CAM_URI "rtsp://cam.example/stream"

/* A 401 (or @code) answer with one challenge header per value. */
static GstRTSPMessage *
make_challenge_full (GstRTSPStatusCode code, GstRTSPHeaderField field,
    const gchar * first, va_list ap)
{
  GstRTSPMessage *msg = NULL;
  const gchar *v;

  gst_rtsp_message_new_response (&msg, code, gst_rtsp_status_as_text (code),
      NULL);
  v = first;
  while (v != NULL) {
    gst_rtsp_message_add_header (msg, field, v);
    v = va_arg (ap, const gchar *);
  }
  return msg;
}

static GstRTSPMessage *
make_401 (const gchar * first, ...)
{
  GstRTSPMessage *msg;
  va_list ap;

  va_start (ap, first);
  msg = make_challenge_full (GST_RTSP_STS_UNAUTHORIZED,
      GST_RTSP_HDR_WWW_AUTHENTICATE, first, ap);
  va_end (ap);
  return msg;
}

static GstRTSPMessage *
make_407 (const gchar * first, ...)
{
  GstRTSPMessage *msg;
  va_list ap;

  va_start (ap, first);
  msg = make_challenge_full (GST_RTSP_STS_PROXY_AUTH_REQUIRED,
      GST_RTSP_HDR_PROXY_AUTHENTICATE, first, ap);
  va_end (ap);
  return msg;
}

/* Feeds one challenge header value; asserts it is accepted. */
static void
accept_challenge (GstResilientAuth * auth, const gchar * value,
    gboolean had_credentials)
{
  const gchar *values[] = { value, NULL };
  GError *error = NULL;

  fail_unless (gst_resilient_auth_challenge_values (auth, values,
          had_credentials, &error), "'%s' refused: %s", value,
      error ? error->message : "?");
  fail_unless (error == NULL);
}

/* Feeds one challenge header value; asserts it is refused with an auth
 * error whose message contains @text and no credential. */
static void
refuse_challenge (GstResilientAuth * auth, const gchar * value,
    gboolean had_credentials, const gchar * text)
{
  const gchar *values[] = { value, NULL };
  GError *error = NULL;

  fail_if (gst_resilient_auth_challenge_values (auth, values,
          had_credentials, &error), "'%.200s' accepted", value);
  fail_unless (g_error_matches (error, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_AUTH));
  if (text)
    fail_unless (strstr (error->message, text) != NULL, "'%s' not in '%s'",
        text, error->message);
  fail_if (strstr (error->message, "Circle") != NULL, "%s", error->message);
  fail_if (strlen (error->message) > 1024, "error message of %u bytes",
      (guint) strlen (error->message));
  g_error_free (error);
}

/* The value of parameter @name of an Authorization value, parsed by
 * libgstrtsp (independent of auth.c); NULL when absent. */
static gchar *
cred_param (const gchar * header, const gchar * name)
{
  GstRTSPMessage *msg = NULL;
  GstRTSPAuthCredential **creds, **c;
  GstRTSPAuthParam **p;
  gchar *value = NULL;

  gst_rtsp_message_new_request (&msg, GST_RTSP_OPTIONS, "*");
  gst_rtsp_message_add_header (msg, GST_RTSP_HDR_AUTHORIZATION, header);
  creds = gst_rtsp_message_parse_auth_credentials (msg,
      GST_RTSP_HDR_AUTHORIZATION);
  fail_unless (creds != NULL && creds[0] != NULL, "unparsable '%s'", header);
  for (c = creds; *c && value == NULL; c++) {
    for (p = (*c)->params; p && *p; p++) {
      if (g_ascii_strcasecmp ((*p)->name, name) == 0) {
        value = g_strdup ((*p)->value);
        break;
      }
    }
  }
  gst_rtsp_auth_credentials_free (creds);
  gst_rtsp_message_free (msg);
  return value;
}

static void
assert_param (const gchar * header, const gchar * name, const gchar * expected)
{
  gchar *value = cred_param (header, name);

  if (expected == NULL)
    fail_unless (value == NULL, "%s=%s in '%s'", name, value, header);
  else
    fail_unless (g_strcmp0 (value, expected) == 0, "%s: '%s', not '%s' in "
        "'%s'", name, value ? value : "(none)", expected, header);
  g_free (value);
}

GST_START_TEST (test_rfc7616_md5)
{
  GstResilientAuth *auth = gst_resilient_auth_new ("Mufasa",
      "Circle of Life");
  gchar *h, *resp;

  gst_resilient_auth_set_cnonce (auth, R7616_CNONCE);
  fail_unless (gst_resilient_auth_header_for (auth, "GET", "/dir/index.html",
          NULL, 0) == NULL);
  accept_challenge (auth, R7616_CHALLENGE ("MD5"), FALSE);
  fail_unless_equals_string (gst_resilient_auth_describe (auth), "Digest MD5");

  h = gst_resilient_auth_header_for (auth, "GET", "/dir/index.html", NULL, 0);
  fail_unless (g_str_has_prefix (h, "Digest "), "%s", h);
  assert_param (h, "username", "Mufasa");
  assert_param (h, "realm", R7616_REALM);
  assert_param (h, "uri", "/dir/index.html");
  assert_param (h, "algorithm", "MD5");
  assert_param (h, "nonce", R7616_NONCE);
  assert_param (h, "nc", "00000001");
  assert_param (h, "cnonce", R7616_CNONCE);
  assert_param (h, "qop", "auth");
  assert_param (h, "opaque", R7616_OPAQUE);
  assert_param (h, "userhash", NULL);
  /* RFC 7616 §3.9.1 */
  assert_param (h, "response", "8ca523f5e9506fed4657c9700eebdbec");
  fail_if (strstr (h, "Circle") != NULL);
  g_free (h);

  /* the next request counts on */
  h = gst_resilient_auth_header_for (auth, "GET", "/dir/index.html", NULL, 0);
  assert_param (h, "nc", "00000002");
  resp = cred_param (h, "response");
  fail_if (g_strcmp0 (resp, "8ca523f5e9506fed4657c9700eebdbec") == 0);
  g_free (resp);
  g_free (h);

  gst_resilient_auth_free (auth);
}

GST_END_TEST;

GST_START_TEST (test_rfc7616_sha256)
{
  GstResilientAuth *auth = gst_resilient_auth_new ("Mufasa",
      "Circle of Life");
  GstRTSPMessage *resp, *req = NULL;
  GError *error = NULL;
  gchar *h;

  gst_resilient_auth_set_cnonce (auth, R7616_CNONCE);
  /* the RFC's server offers both, SHA-256 first: SHA-256 wins */
  resp = make_401 (R7616_CHALLENGE ("SHA-256"), R7616_CHALLENGE ("MD5"), NULL);
  fail_unless (gst_resilient_auth_challenge (auth, resp, NULL, &error));
  gst_rtsp_message_free (resp);
  fail_unless_equals_string (gst_resilient_auth_describe (auth),
      "Digest SHA-256");

  h = gst_resilient_auth_header (auth, GST_RTSP_GET_PARAMETER,
      "/dir/index.html", NULL, 0);
  g_free (h);
  /* reset the counter: a fresh challenge */
  accept_challenge (auth, R7616_CHALLENGE ("SHA-256"), FALSE);
  h = gst_resilient_auth_header_for (auth, "GET", "/dir/index.html", NULL, 0);
  assert_param (h, "algorithm", "SHA-256");
  assert_param (h, "nc", "00000001");
  /* RFC 7616 §3.9.1 */
  assert_param (h, "response",
      "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
  g_free (h);

  /* the order of the headers does not matter (the request carried no
   * credentials: a NULL request would mean "the last header was sent") */
  resp = make_401 (R7616_CHALLENGE ("MD5"), R7616_CHALLENGE ("SHA-256"), NULL);
  fail_if (gst_resilient_auth_challenge (auth, resp, NULL, &error));
  g_clear_error (&error);
  gst_rtsp_message_new_request (&req, GST_RTSP_GET_PARAMETER,
      "/dir/index.html");
  fail_unless (gst_resilient_auth_challenge (auth, resp, req, &error));
  gst_rtsp_message_free (req);
  gst_rtsp_message_free (resp);
  fail_unless_equals_string (gst_resilient_auth_describe (auth),
      "Digest SHA-256");

  gst_resilient_auth_free (auth);
}

GST_END_TEST;

GST_START_TEST (test_rfc2617)
{
  GstResilientAuth *auth = gst_resilient_auth_new ("Mufasa",
      "Circle Of Life");
  gchar *h;

  gst_resilient_auth_set_cnonce (auth, R2617_CNONCE);
  accept_challenge (auth, "Digest\r\n realm=\"testrealm@host.com\",\r\n"
      " qop=\"auth,auth-int\",\r\n nonce=\"" R2617_NONCE "\",\r\n"
      " opaque=\"" R2617_OPAQUE "\"", FALSE);
  h = gst_resilient_auth_header_for (auth, "GET", "/dir/index.html", NULL, 0);
  /* RFC 2617 §3.5 */
  assert_param (h, "response", "6629fae49393a05397450978507c4ef1");
  assert_param (h, "opaque", R2617_OPAQUE);
  assert_param (h, "qop", "auth");
  /* the challenge named no algorithm: none in the answer either */
  assert_param (h, "algorithm", NULL);
  g_free (h);
  gst_resilient_auth_free (auth);
}

GST_END_TEST;

GST_START_TEST (test_rfc7616_userhash_sha512_256)
{
  /* RFC 7616 §3.9.2: "J\u00e4s\u00f8n Doe" / "Secret, or not?". The values
   * printed in the RFC do not match its own inputs (RFC errata, report 4897);
   * these were computed with `openssl dgst -sha512-256` as described at the
   * top of this file: username = h("J\u00e4s\u00f8n Doe:api@example.org"). */
  GstResilientAuth *auth = gst_resilient_auth_new ("J\xc3\xa4s\xc3\xb8n Doe",
      "Secret, or not?");
  gchar *h;

  gst_resilient_auth_set_cnonce (auth,
      "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v");
  accept_challenge (auth, "Digest realm=\"api@example.org\", qop=\"auth\", "
      "algorithm=SHA-512-256, "
      "nonce=\"5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK\", "
      "opaque=\"HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS\", "
      "charset=UTF-8, userhash=true", FALSE);
  fail_unless_equals_string (gst_resilient_auth_describe (auth),
      "Digest SHA-512-256");
  h = gst_resilient_auth_header_for (auth, "GET", "/doe.json", NULL, 0);
  assert_param (h, "username",
      "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b");
  assert_param (h, "userhash", "true");
  assert_param (h, "algorithm", "SHA-512-256");
  assert_param (h, "response",
      "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5");
  fail_if (strstr (h, "Doe") != NULL, "%s", h);
  g_free (h);
  gst_resilient_auth_free (auth);
}

GST_END_TEST;

GST_START_TEST (test_sha512_256)
{
  GstResilientAuth *auth = gst_resilient_auth_new ("Mufasa",
      "Circle of Life");
  gchar *h;

  gst_resilient_auth_set_cnonce (auth, R7616_CNONCE);
  accept_challenge (auth, R7616_CHALLENGE ("SHA-512-256"), FALSE);
  h = gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI, NULL, 0);
  assert_param (h, "algorithm", "SHA-512-256");
  /* openssl dgst -sha512-256, see the top of the file; plain SHA-512 cut to
   * 256 bits would give another value (other initial values) */
  assert_param (h, "response",
      "7c636e65699ec341f55e1391c3407d818683e753c9e0a7e629dcf0818fe0c586");
  g_free (h);
  h = gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI, NULL, 0);
  assert_param (h, "nc", "00000002");
  assert_param (h, "response",
      "dcf598846cac464a8329b58a58c16f428c7043da17c29c74e2742709a2498fb7");
  g_free (h);
  gst_resilient_auth_free (auth);
}

GST_END_TEST;

GST_START_TEST (test_sess_and_auth_int)
{
  GstResilientAuth *auth = gst_resilient_auth_new ("Mufasa",
      "Circle Of Life");
  const gchar *body = "position: 10";
  gchar *h;

  gst_resilient_auth_set_cnonce (auth, R2617_CNONCE);

  /* MD5-sess, qop=auth (openssl, see the top) */
  accept_challenge (auth, "Digest realm=\"testrealm@host.com\", "
      "qop=\"auth\", algorithm=MD5-sess, nonce=\"" R2617_NONCE "\"", FALSE);
  fail_unless_equals_string (gst_resilient_auth_describe (auth),
      "Digest MD5-sess");
  h = gst_resilient_auth_header_for (auth, "GET", "/dir/index.html", NULL, 0);
  assert_param (h, "algorithm", "MD5-sess");
  assert_param (h, "response", "8e3825c57e897f5a0dec6c2d4e5059d0");
  g_free (h);

  /* SHA-256-sess with auth-int only: the body is hashed */
  gst_resilient_auth_reset (auth, NULL);
  accept_challenge (auth, "Digest realm=\"testrealm@host.com\", "
      "qop=auth-int, algorithm=SHA-256-sess, nonce=\"" R2617_NONCE "\"", FALSE);
  h = gst_resilient_auth_header (auth, GST_RTSP_SET_PARAMETER, CAM_URI,
      (const guint8 *) body, strlen (body));
  assert_param (h, "qop", "auth-int");
  assert_param (h, "response",
      "23dc22dbe7637e99e5bb00240d45fc2d3145e237514f8f2e843da2004dcfbaf6");
  g_free (h);

  /* MD5 auth-int, request without body: H("") */
  accept_challenge (auth, "Digest realm=\"testrealm@host.com\", "
      "qop=\"auth-int\", nonce=\"" R2617_NONCE "\"", FALSE);
  h = gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI, NULL, 0);
  assert_param (h, "response", "b4f69a1ea6f3128950879b7014e2ccd8");
  g_free (h);

  /* auth is preferred when both are offered */
  gst_resilient_auth_reset (auth, NULL);
  accept_challenge (auth, "Digest realm=\"testrealm@host.com\", "
      "qop=\"auth-int,auth\", nonce=\"" R2617_NONCE "\"", FALSE);
  h = gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI, NULL, 0);
  assert_param (h, "qop", "auth");
  g_free (h);

  gst_resilient_auth_free (auth);
}

GST_END_TEST;

GST_START_TEST (test_no_qop_rfc2069)
{
  GstResilientAuth *auth = gst_resilient_auth_new ("Mufasa",
      "Circle Of Life");
  gchar *h;

  accept_challenge (auth, "Digest realm=\"testrealm@host.com\", "
      "nonce=\"" R2617_NONCE "\"", FALSE);
  h = gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI, NULL, 0);
  assert_param (h, "response", "63d0859d8499616c3dc9f40b8da2e844");
  assert_param (h, "qop", NULL);
  assert_param (h, "nc", NULL);
  assert_param (h, "cnonce", NULL);
  assert_param (h, "opaque", NULL);
  g_free (h);
  gst_resilient_auth_free (auth);
}

GST_END_TEST;

GST_START_TEST (test_basic)
{
  GstResilientAuth *auth = gst_resilient_auth_new ("Aladdin", "open sesame");
  GstRTSPMessage *resp;
  GError *error = NULL;
  gchar *h;

  gst_resilient_auth_reset (auth, "rtsp://cam:554");
  /* nothing before a challenge */
  fail_unless (gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI,
          NULL, 0) == NULL);

  resp = make_401 ("Basic realm=\"WallyWorld\"", NULL);
  fail_unless (gst_resilient_auth_challenge (auth, resp, NULL, &error));
  gst_rtsp_message_free (resp);
  fail_unless_equals_string (gst_resilient_auth_describe (auth), "Basic");
  h = gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI, NULL, 0);
  /* RFC 7617 §2 */
  fail_unless_equals_string (h, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  gst_resilient_auth_clear_string (h);

  /* a new connection to the same server: Basic goes pre-emptively */
  gst_resilient_auth_reset (auth, "rtsp://cam:554");
  h = gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI, NULL, 0);
  fail_unless_equals_string (h, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  g_free (h);
  /* … and when the same Basic challenge comes back, the password is wrong */
  refuse_challenge (auth, "Basic realm=\"WallyWorld\"", TRUE, "rejected");

  /* another server: nothing before its challenge */
  accept_challenge (auth, "Basic realm=\"WallyWorld\"", FALSE);
  gst_resilient_auth_reset (auth, "rtsp://elsewhere:554");
  fail_unless (gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI,
          NULL, 0) == NULL);

  /* Basic without realm, with charset, and a token68-style scheme before */
  accept_challenge (auth, "Negotiate abc+/=, Basic charset=\"UTF-8\"", FALSE);
  fail_unless_equals_string (gst_resilient_auth_describe (auth), "Basic");

  gst_resilient_auth_free (auth);
}

GST_END_TEST;

GST_START_TEST (test_digest_not_kept_across_connections)
{
  GstResilientAuth *auth = gst_resilient_auth_new ("u", "p");
  gchar *h;

  gst_resilient_auth_reset (auth, "rtsp://cam:554");
  accept_challenge (auth, "Digest realm=\"r\", nonce=\"n\"", FALSE);
  h = gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI, NULL, 0);
  fail_unless (h != NULL);
  g_free (h);
  gst_resilient_auth_reset (auth, "rtsp://cam:554");
  fail_unless (gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI,
          NULL, 0) == NULL);
  fail_unless (gst_resilient_auth_describe (auth) == NULL);
  gst_resilient_auth_free (auth);
}

GST_END_TEST;

GST_START_TEST (test_stale_and_wrong_credentials)
{
  GstResilientAuth *auth = gst_resilient_auth_new ("Mufasa", "wrong");
  GstRTSPMessage *resp, *req = NULL;
  GError *error = NULL;
  gchar *h;

  gst_resilient_auth_set_cnonce (auth, R7616_CNONCE);

  /* a request without credentials: always worth a resend */
  accept_challenge (auth, "Digest realm=\"r\", nonce=\"n1\", qop=auth", FALSE);
  accept_challenge (auth, "Digest realm=\"r\", nonce=\"n2\", qop=auth", FALSE);

  /* credentials sent, the same kind of challenge comes back: wrong
   * credentials, even with a new nonce (gst-rtsp-server makes one per 401) */
  h = gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI, NULL, 0);
  g_free (h);
  refuse_challenge (auth, "Digest realm=\"r\", nonce=\"n3\", qop=auth", TRUE,
      "credentials rejected");
  /* the request is what tells whether credentials went with it */
  gst_rtsp_message_new_request (&req, GST_RTSP_DESCRIBE, CAM_URI);
  resp = make_401 ("Digest realm=\"r\", nonce=\"n4\", qop=auth", NULL);
  fail_unless (gst_resilient_auth_challenge (auth, resp, req, &error));
  h = gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI, NULL, 0);
  gst_rtsp_message_take_header (req, GST_RTSP_HDR_AUTHORIZATION, h);
  fail_if (gst_resilient_auth_challenge (auth, resp, req, &error));
  fail_unless (g_error_matches (error, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_AUTH));
  fail_unless (strstr (error->message, "rejected") != NULL);
  g_clear_error (&error);
  gst_rtsp_message_free (resp);

  /* stale=true: resend with the new nonce, counter from 1 */
  gst_resilient_auth_accepted (auth);
  resp = make_401 ("Digest realm=\"r\", nonce=\"n5\", qop=auth, "
      "stale=TRUE", NULL);
  fail_unless (gst_resilient_auth_challenge (auth, resp, req, &error));
  gst_rtsp_message_free (resp);
  h = gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI, NULL, 0);
  assert_param (h, "nonce", "n5");
  assert_param (h, "nc", "00000001");
  g_free (h);

  /* another realm or algorithm: a resend may help */
  accept_challenge (auth, "Digest realm=\"other\", nonce=\"n6\", qop=auth",
      TRUE);
  g_free (gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI, NULL,
          0));
  accept_challenge (auth, "Digest realm=\"other\", nonce=\"n7\", qop=auth, "
      "algorithm=SHA-256", TRUE);

  gst_rtsp_message_free (req);
  gst_resilient_auth_free (auth);
}

GST_END_TEST;

GST_START_TEST (test_expired_nonce_without_stale)
{
  GstResilientAuth *auth = gst_resilient_auth_new ("u", "p");

  accept_challenge (auth, "Digest realm=\"r\", nonce=\"n1\"", FALSE);
  g_free (gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI, NULL,
          0));
  /* the credentials worked */
  gst_resilient_auth_accepted (auth);
  g_free (gst_resilient_auth_header (auth, GST_RTSP_GET_PARAMETER, CAM_URI,
          NULL, 0));
  /* later a 401 with a new nonce, without stale=true: taken as stale */
  accept_challenge (auth, "Digest realm=\"r\", nonce=\"n2\"", TRUE);
  g_free (gst_resilient_auth_header (auth, GST_RTSP_GET_PARAMETER, CAM_URI,
          NULL, 0));
  /* but if the new nonce is refused too, the credentials are wrong */
  refuse_challenge (auth, "Digest realm=\"r\", nonce=\"n3\"", TRUE, "rejected");
  /* and the same nonce again is never taken as stale */
  accept_challenge (auth, "Digest realm=\"r\", nonce=\"n4\"", FALSE);
  g_free (gst_resilient_auth_header (auth, GST_RTSP_GET_PARAMETER, CAM_URI,
          NULL, 0));
  gst_resilient_auth_accepted (auth);
  refuse_challenge (auth, "Digest realm=\"r\", nonce=\"n4\"", TRUE, "rejected");
  gst_resilient_auth_free (auth);
}

GST_END_TEST;

GST_START_TEST (test_bounded_rounds)
{
  GstResilientAuth *auth = gst_resilient_auth_new ("u", "p");
  guint i;

  /* stale after stale: at most GST_RESILIENT_AUTH_MAX_ROUNDS resends */
  for (i = 0; i < GST_RESILIENT_AUTH_MAX_ROUNDS; i++) {
    gchar *c = g_strdup_printf ("Digest realm=\"r\", nonce=\"n%u\", "
        "stale=true", i);

    accept_challenge (auth, c, TRUE);
    g_free (gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI,
            NULL, 0));
    g_free (c);
  }
  refuse_challenge (auth, "Digest realm=\"r\", nonce=\"x\", stale=true", TRUE,
      "in a row");

  /* an accepted answer starts the count again */
  gst_resilient_auth_accepted (auth);
  accept_challenge (auth, "Digest realm=\"r\", nonce=\"y\", stale=true", TRUE);

  /* so does a new connection */
  gst_resilient_auth_reset (auth, "rtsp://cam:554");
  for (i = 0; i < GST_RESILIENT_AUTH_MAX_ROUNDS; i++)
    accept_challenge (auth, "Basic realm=\"r\"", FALSE);
  gst_resilient_auth_reset (auth, "rtsp://cam:554");
  accept_challenge (auth, "Basic realm=\"r\"", FALSE);

  gst_resilient_auth_free (auth);
}

GST_END_TEST;

GST_START_TEST (test_strongest)
{
  GstResilientAuth *auth = gst_resilient_auth_new ("u", "p");
  GstRTSPMessage *resp;
  GError *error = NULL;
  gchar *h;

  /* several challenges in one header, commas inside quoted strings */
  accept_challenge (auth, "Basic realm=\"a, b\", Digest realm=\"a, b\", "
      "nonce=\"md5,nonce\", algorithm=MD5, Digest realm=\"a, b\", "
      "nonce=\"sha,nonce\", algorithm=SHA-256, qop=\"auth\", Newauth "
      "realm=\"x\", title=\"Login to \\\"apps\\\"\"", FALSE);
  fail_unless_equals_string (gst_resilient_auth_describe (auth),
      "Digest SHA-256");
  h = gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI, NULL, 0);
  assert_param (h, "nonce", "sha,nonce");
  assert_param (h, "realm", "a, b");
  g_free (h);

  /* several headers; a stronger one in the last */
  resp = make_401 ("Basic realm=\"r\"",
      "Digest realm=\"r\", nonce=\"m\", algorithm=MD5-sess, qop=auth, "
      "Digest realm=\"r\", nonce=\"s\", algorithm=SHA-256",
      "Digest realm=\"r\", nonce=\"x\", algorithm=SHA-512-256-sess, "
      "qop=\"auth\"", NULL);
  fail_unless (gst_resilient_auth_challenge (auth, resp, NULL, &error));
  gst_rtsp_message_free (resp);
  fail_unless_equals_string (gst_resilient_auth_describe (auth),
      "Digest SHA-512-256-sess");

  /* Digest over Basic, the first among equals */
  gst_resilient_auth_reset (auth, NULL);
  accept_challenge (auth, "Digest realm=\"r\", nonce=\"1\", "
      "Basic realm=\"r\", Digest realm=\"r\", nonce=\"2\"", FALSE);
  h = gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI, NULL, 0);
  assert_param (h, "nonce", "1");
  g_free (h);

  /* unsupported ones are skipped, supported ones still used */
  gst_resilient_auth_accepted (auth);
  accept_challenge (auth, "Digest realm=\"r\", nonce=\"1\", algorithm=MD6, "
      "Basic realm=\"b\"", FALSE);
  fail_unless_equals_string (gst_resilient_auth_describe (auth), "Basic");

  gst_resilient_auth_free (auth);
}

GST_END_TEST;

GST_START_TEST (test_parser)
{
  GPtrArray *list =
      g_ptr_array_new_with_free_func (gst_resilient_auth_challenge_free);
  GString *skipped = g_string_new (NULL);
  GstResilientAuthChallenge *c;

  /* escapes, BWS around '=', case-insensitive names, tokens and quotes */
  fail_unless_equals_int (gst_resilient_auth_parse_challenges ("dIgEsT "
          "REALM = \"a\\\"b\\\\c\" , Nonce=tok, OPAQUE=\"\", "
          "qop=\"auth-int , auth\", STALE=\"true\", userhash=false, "
          "domain=\"/a /b\", unknown=\"x\"", list, skipped), 1);
  c = g_ptr_array_index (list, 0);
  fail_unless_equals_int (c->scheme, GST_RESILIENT_AUTH_SCHEME_DIGEST);
  fail_unless_equals_string (c->realm, "a\"b\\c");
  fail_unless_equals_string (c->nonce, "tok");
  fail_unless_equals_string (c->opaque, "");
  fail_unless (c->qop_auth && c->qop_auth_int);
  fail_unless (c->stale);
  fail_if (c->userhash);
  fail_if (c->algorithm_given);
  fail_unless_equals_int (c->algorithm, GST_RESILIENT_DIGEST_MD5);
  fail_unless_equals_int (skipped->len, 0);
  g_ptr_array_set_size (list, 0);

  /* duplicates: the first counts */
  fail_unless_equals_int (gst_resilient_auth_parse_challenges ("Digest "
          "realm=\"1\", realm=\"2\", nonce=\"n\", algorithm=SHA-256, "
          "algorithm=MD5", list, NULL), 1);
  c = g_ptr_array_index (list, 0);
  fail_unless_equals_string (c->realm, "1");
  fail_unless_equals_int (c->algorithm, GST_RESILIENT_DIGEST_SHA256);
  g_ptr_array_set_size (list, 0);

  /* the reasons of what was skipped, without values */
  fail_unless_equals_int (gst_resilient_auth_parse_challenges ("Negotiate, "
          "Digest nonce=\"secret-nonce\", Digest realm=\"r\", "
          "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-1, "
          "Digest realm=\"r\", nonce=\"n\", qop=auth-conf, "
          "Digest realm=\"r\", nonce=\"n\", algorithm=MD5-sess", list,
          skipped), 0);
  GST_INFO ("skipped: %s", skipped->str);
  fail_unless (strstr (skipped->str, "Negotiate: unsupported scheme"));
  fail_unless (strstr (skipped->str, "Digest: no realm"));
  fail_unless (strstr (skipped->str, "Digest: no nonce"));
  fail_unless (strstr (skipped->str, "unsupported algorithm"));
  fail_unless (strstr (skipped->str, "unsupported qop"));
  fail_unless (strstr (skipped->str, "-sess without qop"));
  fail_if (strstr (skipped->str, "secret-nonce"));

  g_string_free (skipped, TRUE);
  g_ptr_array_unref (list);
}

GST_END_TEST;

GST_START_TEST (test_hostile)
{
  GstResilientAuth *auth = gst_resilient_auth_new ("u", "Circle");
  GPtrArray *list =
      g_ptr_array_new_with_free_func (gst_resilient_auth_challenge_free);
  GString *big = g_string_new ("Digest realm=\"r\", nonce=\"");
  GString *many = g_string_new (NULL);
  GString *params = g_string_new ("Digest realm=\"r\", nonce=\"n\"");
  gchar *h, *s;
  guint i;
  const gchar *broken[] = {
    "",
    ",,, ,",
    "=",
    "realm=\"x\"",
    "Digest realm=\"unterminated, nonce=\"n\"",
    "Digest realm=\"r\", nonce=\"n\\",
    "Digest realm=\"r\", nonce=",
    "Digest realm=\"r\", nonce=\"n\" garbage",
    "Digest realm=\"r\", nonce=\"n\", =\"x\"",
    "Digest realm=\"r\", nonce=\"n\", algorithm=\"\"",
    "Digest realm=\"r\x01\", nonce=\"n\"",
    "Digest realm=\"r\", nonce=\"n\r\nX-Injected: 1\"",
    "Digest realm=\"r\", nonce=\"\"",
    "Digest realm=\"r\", nonce=\"n\", qop=\"\"",
    "Digest realm=\"r\", nonce=\"n\", algorithm=\"MD5\x7f\"",
    "\"Digest\" realm=\"r\", nonce=\"n\"",
    "Digest\x80 realm=\"r\", nonce=\"n\"",
    "NTLM, Negotiate abcdef==, Bearer realm=\"x\"",
    "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256-sess",
  };

  for (i = 0; i < G_N_ELEMENTS (broken); i++) {
    refuse_challenge (auth, broken[i], FALSE, "no authentication scheme");
    fail_unless (gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI,
            NULL, 0) == NULL, "'%s'", broken[i]);
  }

  /* a 100 KB nonce: that challenge is ignored, a Basic after it is used */
  for (i = 0; i < 100 * 1024; i++)
    g_string_append_c (big, 'a' + i % 26);
  g_string_append (big, "\"");
  refuse_challenge (auth, big->str, FALSE, "too long");
  g_string_append (big, ", Basic realm=\"b\"");
  accept_challenge (auth, big->str, FALSE);
  fail_unless_equals_string (gst_resilient_auth_describe (auth), "Basic");
  /* and as an unquoted token */
  g_string_assign (big, "Digest realm=r, nonce=");
  for (i = 0; i < 100 * 1024; i++)
    g_string_append_c (big, 'a');
  refuse_challenge (auth, big->str, FALSE, "too long");
  /* the longest allowed value is fine */
  g_string_assign (big, "Digest realm=r, nonce=");
  for (i = 0; i < GST_RESILIENT_AUTH_MAX_VALUE; i++)
    g_string_append_c (big, 'a');
  accept_challenge (auth, big->str, FALSE);

  /* thousands of challenges: bounded, no crash */
  for (i = 0; i < 5000; i++)
    g_string_append (many, "Basic realm=\"r\", ");
  fail_unless (gst_resilient_auth_parse_challenges (many->str, list,
          NULL) <= 16);
  g_ptr_array_set_size (list, 0);
  /* too many parameters */
  for (i = 0; i < 40; i++)
    g_string_append_printf (params, ", p%u=v", i);
  refuse_challenge (auth, params->str, FALSE, "too many parameters");

  /* a broken challenge after a good one keeps the good one */
  gst_resilient_auth_reset (auth, NULL);
  accept_challenge (auth, "Digest realm=\"r\", nonce=\"n\", Digest "
      "realm=\"unterminated", FALSE);
  fail_unless_equals_string (gst_resilient_auth_describe (auth), "Digest MD5");

  /* a missing header, a NULL list */
  refuse_challenge (auth, NULL, FALSE, "no authentication scheme");

  /* random bytes never crash the parser */
  for (i = 0; i < 2000; i++) {
    guint len = g_random_int_range (0, 200), j;

    s = g_malloc (len + 1);
    for (j = 0; j < len; j++)
      s[j] = (gchar) g_random_int_range (1, 256);
    s[len] = '\0';
    gst_resilient_auth_parse_challenges (s, list, NULL);
    g_ptr_array_set_size (list, 0);
    g_free (s);
  }

  /* a realm or nonce with quotes and backslashes is escaped back; a URI with
   * control characters gets no credentials */
  accept_challenge (auth, "Digest realm=\"a\\\"b\", nonce=\"c\\\\d\"", FALSE);
  h = gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI, NULL, 0);
  fail_unless (strstr (h, "realm=\"a\\\"b\"") != NULL, "%s", h);
  fail_unless (strstr (h, "nonce=\"c\\\\d\"") != NULL, "%s", h);
  g_free (h);
  fail_unless (gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE,
          "rtsp://x/\r\nEvil: 1", NULL, 0) == NULL);

  g_string_free (big, TRUE);
  g_string_free (many, TRUE);
  g_string_free (params, TRUE);
  g_ptr_array_unref (list);
  gst_resilient_auth_free (auth);
}

GST_END_TEST;

GST_START_TEST (test_user_names)
{
  GstResilientAuth *auth;
  gchar *h;

  /* quotes and backslashes are escaped */
  auth = gst_resilient_auth_new ("a\"b\\c", "p");
  accept_challenge (auth, "Digest realm=\"r\", nonce=\"n\"", FALSE);
  h = gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI, NULL, 0);
  fail_unless (g_str_has_prefix (h, "Digest username=\"a\\\"b\\\\c\", "), "%s",
      h);
  g_free (h);
  gst_resilient_auth_free (auth);

  /* non-ASCII with charset=UTF-8: username* (RFC 7616 §3.4.4) */
  auth = gst_resilient_auth_new ("J\xc3\xa4s\xc3\xb8n Doe", "p");
  accept_challenge (auth, "Digest realm=\"r\", nonce=\"n\", charset=UTF-8",
      FALSE);
  h = gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI, NULL, 0);
  fail_unless (g_str_has_prefix (h,
          "Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, "), "%s", h);
  g_free (h);
  /* without it: the UTF-8 bytes in a quoted-string, as RFC 2617 clients */
  accept_challenge (auth, "Digest realm=\"r\", nonce=\"n\"", FALSE);
  h = gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI, NULL, 0);
  fail_unless (g_str_has_prefix (h,
          "Digest username=\"J\xc3\xa4s\xc3\xb8n Doe\", "), "%s", h);
  g_free (h);
  gst_resilient_auth_free (auth);

  /* control characters never reach the header raw */
  auth = gst_resilient_auth_new ("evil\r\nX: y", "p");
  accept_challenge (auth, "Digest realm=\"r\", nonce=\"n\"", FALSE);
  h = gst_resilient_auth_header (auth, GST_RTSP_DESCRIBE, CAM_URI, NULL, 0);
  fail_unless (strchr (h, '\r') == NULL && strchr (h, '\n') == NULL, "%s", h);
  fail_unless (g_str_has_prefix (h, "Digest username*=UTF-8''evil%0D%0AX%3A"
          "%20y, "), "%s", h);
  g_free (h);
  gst_resilient_auth_free (auth);
}

GST_END_TEST;

GST_START_TEST (test_proxy)
{
  GstResilientAuth *auth = gst_resilient_auth_new ("Aladdin", "open sesame");
  GstRTSPMessage *resp, *req = NULL;
  GError *error = NULL;
  gchar *h;

  resp = make_407 ("Basic realm=\"proxy\"", NULL);
  gst_rtsp_message_new_request (&req, GST_RTSP_DESCRIBE, CAM_URI);
  fail_unless (gst_resilient_auth_challenge (auth, resp, req, &error));
  h = gst_resilient_auth_header_for (auth, "CONNECT", "cam:554", NULL, 0);
  fail_unless_equals_string (h, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  /* a 407 to a request that carried Proxy-Authorization: rejected */
  gst_rtsp_message_add_header_by_name (req, "Proxy-Authorization", h);
  g_free (h);
  fail_if (gst_resilient_auth_challenge (auth, resp, req, &error));
  g_clear_error (&error);
  gst_rtsp_message_free (resp);

  /* a 401 only looks at WWW-Authenticate, a 200 is no challenge */
  resp = make_401 (NULL);
  gst_rtsp_message_add_header (resp, GST_RTSP_HDR_PROXY_AUTHENTICATE,
      "Basic realm=\"proxy\"");
  fail_if (gst_resilient_auth_challenge (auth, resp, NULL, &error));
  fail_unless (g_error_matches (error, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_AUTH));
  g_clear_error (&error);
  gst_rtsp_message_free (resp);
  gst_rtsp_message_new_response (&resp, GST_RTSP_STS_OK, "OK", NULL);
  fail_if (gst_resilient_auth_challenge (auth, resp, NULL, &error));
  fail_unless (g_error_matches (error, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_AUTH));
  g_clear_error (&error);
  gst_rtsp_message_free (resp);

  gst_rtsp_message_free (req);
  gst_resilient_auth_free (auth);
}

GST_END_TEST;

GST_START_TEST (test_credentials)
{
  GstResilientAuth *auth = gst_resilient_auth_new ("u", NULL);

  fail_unless (gst_resilient_auth_has_credentials (auth, "u", NULL));
  fail_unless (gst_resilient_auth_has_credentials (auth, "u", ""));
  fail_if (gst_resilient_auth_has_credentials (auth, "u", "x"));
  fail_if (gst_resilient_auth_has_credentials (auth, "v", NULL));
  gst_resilient_auth_free (auth);
  gst_resilient_auth_free (NULL);
  gst_resilient_auth_clear_string (NULL);
}

GST_END_TEST;

static Suite *
auth_suite (void)
{
  Suite *s = suite_create ("auth");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_rfc7616_md5);
  tcase_add_test (tc, test_rfc7616_sha256);
  tcase_add_test (tc, test_rfc2617);
  tcase_add_test (tc, test_rfc7616_userhash_sha512_256);
  tcase_add_test (tc, test_sha512_256);
  tcase_add_test (tc, test_sess_and_auth_int);
  tcase_add_test (tc, test_no_qop_rfc2069);
  tcase_add_test (tc, test_basic);
  tcase_add_test (tc, test_digest_not_kept_across_connections);
  tcase_add_test (tc, test_stale_and_wrong_credentials);
  tcase_add_test (tc, test_expired_nonce_without_stale);
  tcase_add_test (tc, test_bounded_rounds);
  tcase_add_test (tc, test_strongest);
  tcase_add_test (tc, test_parser);
  tcase_add_test (tc, test_hostile);
  tcase_add_test (tc, test_user_names);
  tcase_add_test (tc, test_proxy);
  tcase_add_test (tc, test_credentials);

  return s;
}

GST_CHECK_MAIN (auth);
