/* resilientrtsp
 * tests/check/url.c: unit tests for URL resolution and control URLs.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include "url.h"

typedef struct
{
  const gchar *base;
  const gchar *ref;
  const gchar *expected;
} ResolveCase;

/* RFC 3986 §5.4 with the rtsp scheme */
static const ResolveCase rfc3986_cases[] = {
  /* 5.4.1 normal examples */
  {"rtsp://a/b/c/d;p?q", "g:h", "g:h"},
  {"rtsp://a/b/c/d;p?q", "g", "rtsp://a/b/c/g"},
  {"rtsp://a/b/c/d;p?q", "./g", "rtsp://a/b/c/g"},
  {"rtsp://a/b/c/d;p?q", "g/", "rtsp://a/b/c/g/"},
  {"rtsp://a/b/c/d;p?q", "/g", "rtsp://a/g"},
  {"rtsp://a/b/c/d;p?q", "//g", "rtsp://g"},
  {"rtsp://a/b/c/d;p?q", "?y", "rtsp://a/b/c/d;p?y"},
  {"rtsp://a/b/c/d;p?q", "g?y", "rtsp://a/b/c/g?y"},
  {"rtsp://a/b/c/d;p?q", "#s", "rtsp://a/b/c/d;p?q#s"},
  {"rtsp://a/b/c/d;p?q", "g#s", "rtsp://a/b/c/g#s"},
  {"rtsp://a/b/c/d;p?q", "g?y#s", "rtsp://a/b/c/g?y#s"},
  {"rtsp://a/b/c/d;p?q", ";x", "rtsp://a/b/c/;x"},
  {"rtsp://a/b/c/d;p?q", "g;x", "rtsp://a/b/c/g;x"},
  {"rtsp://a/b/c/d;p?q", "g;x?y#s", "rtsp://a/b/c/g;x?y#s"},
  {"rtsp://a/b/c/d;p?q", "", "rtsp://a/b/c/d;p?q"},
  {"rtsp://a/b/c/d;p?q", ".", "rtsp://a/b/c/"},
  {"rtsp://a/b/c/d;p?q", "./", "rtsp://a/b/c/"},
  {"rtsp://a/b/c/d;p?q", "..", "rtsp://a/b/"},
  {"rtsp://a/b/c/d;p?q", "../", "rtsp://a/b/"},
  {"rtsp://a/b/c/d;p?q", "../g", "rtsp://a/b/g"},
  {"rtsp://a/b/c/d;p?q", "../..", "rtsp://a/"},
  {"rtsp://a/b/c/d;p?q", "../../", "rtsp://a/"},
  {"rtsp://a/b/c/d;p?q", "../../g", "rtsp://a/g"},
  /* 5.4.2 abnormal examples */
  {"rtsp://a/b/c/d;p?q", "../../../g", "rtsp://a/g"},
  {"rtsp://a/b/c/d;p?q", "../../../../g", "rtsp://a/g"},
  {"rtsp://a/b/c/d;p?q", "/./g", "rtsp://a/g"},
  {"rtsp://a/b/c/d;p?q", "/../g", "rtsp://a/g"},
  {"rtsp://a/b/c/d;p?q", "g.", "rtsp://a/b/c/g."},
  {"rtsp://a/b/c/d;p?q", ".g", "rtsp://a/b/c/.g"},
  {"rtsp://a/b/c/d;p?q", "g..", "rtsp://a/b/c/g.."},
  {"rtsp://a/b/c/d;p?q", "..g", "rtsp://a/b/c/..g"},
  {"rtsp://a/b/c/d;p?q", "./../g", "rtsp://a/b/g"},
  {"rtsp://a/b/c/d;p?q", "./g/.", "rtsp://a/b/c/g/"},
  {"rtsp://a/b/c/d;p?q", "g/./h", "rtsp://a/b/c/g/h"},
  {"rtsp://a/b/c/d;p?q", "g/../h", "rtsp://a/b/c/h"},
  {"rtsp://a/b/c/d;p?q", "g;x=1/./y", "rtsp://a/b/c/g;x=1/y"},
  {"rtsp://a/b/c/d;p?q", "g;x=1/../y", "rtsp://a/b/c/y"},
  {"rtsp://a/b/c/d;p?q", "g?y/./x", "rtsp://a/b/c/g?y/./x"},
  {"rtsp://a/b/c/d;p?q", "g?y/../x", "rtsp://a/b/c/g?y/../x"},
  {"rtsp://a/b/c/d;p?q", "g#s/./x", "rtsp://a/b/c/g#s/./x"},
  {"rtsp://a/b/c/d;p?q", "g#s/../x", "rtsp://a/b/c/g#s/../x"},
  {"rtsp://a/b/c/d;p?q", "rtsp:g", "rtsp:g"},
};

/* RTSP specifics of gst_resilient_url_resolve() */
static const ResolveCase rtsp_resolve_cases[] = {
  /* '*' is the base itself */
  {"rtsp://a/b/c/d;p?q", "*", "rtsp://a/b/c/d;p?q"},
  {"rtsp://127.0.0.1:8554/test/", "*", "rtsp://127.0.0.1:8554/test/"},
  {"rtsp://127.0.0.1:8554/test/", " * ", "rtsp://127.0.0.1:8554/test/"},
  {"rtsp://h/s#frag", "*", "rtsp://h/s"},
  /* Content-Base with and without a trailing slash */
  {"rtsp://127.0.0.1:8554/test/", "stream=0",
      "rtsp://127.0.0.1:8554/test/stream=0"},
  {"rtsp://cam/live", "track1", "rtsp://cam/track1"},
  {"rtsp://cam/live/", "track1", "rtsp://cam/live/track1"},
  {"rtsp://h:554", "track1", "rtsp://h:554/track1"},
  {"rtsp://h:554", "?x=1", "rtsp://h:554?x=1"},
  /* absolute references win, other rtsp schemes included */
  {"rtspt://h/a/", "rtsps://x:322/y/../z", "rtsps://x:322/z"},
  {"rtsp://h/a/", "rtspu://x/y", "rtspu://x/y"},
  {"rtsp://h/a/", "RTSP://X/y", "rtsp://X/y"},
  {"RTSP://H/a/", "b", "rtsp://H/a/b"},
  {"rtsph://h/a/b", "c", "rtsph://h/a/c"},
  {"rtspsh://h/a/", "c", "rtspsh://h/a/c"},
  {"rtspst://h/a/", "c", "rtspst://h/a/c"},
  {"rtspsu://h/a/", "c", "rtspsu://h/a/c"},
  /* queries */
  {"rtsp://h/s/?token=1", "track1", "rtsp://h/s/track1"},
  {"rtsp://h/s/?token=1", "", "rtsp://h/s/?token=1"},
  {"rtsp://h/s/", "track1?x=2", "rtsp://h/s/track1?x=2"},
  /* IPv6 hosts */
  {"rtsp://[::1]:8554/test/", "stream=1", "rtsp://[::1]:8554/test/stream=1"},
  {"rtsp://[::1]:8554/test/", "/other", "rtsp://[::1]:8554/other"},
  {"rtsp://[fe80::1%25eth0]/a/", "../b", "rtsp://[fe80::1%25eth0]/b"},
  {"rtsp://[::1]:8554/test/", "//[::2]:554/x", "rtsp://[::2]:554/x"},
  /* surrounding whitespace of the reference is ignored */
  {"rtsp://h/s/", " track1\t", "rtsp://h/s/track1"},
  /* not absolute bases */
  {"/just/a/path", "x", NULL},
  {"h/s", "x", NULL},
  {"", "x", NULL},
  {NULL, "x", NULL},
};

static void
run_resolve_cases (const ResolveCase * cases, guint n)
{
  guint i;

  for (i = 0; i < n; i++) {
    gchar *r = gst_resilient_url_resolve (cases[i].base, cases[i].ref);

    fail_unless (g_strcmp0 (r, cases[i].expected) == 0,
        "case %u: '%s' + '%s' gave '%s', expected '%s'", i,
        GST_STR_NULL (cases[i].base), cases[i].ref, GST_STR_NULL (r),
        GST_STR_NULL (cases[i].expected));
    g_free (r);
  }
}

GST_START_TEST (test_resolve_rfc3986)
{
  run_resolve_cases (rfc3986_cases, G_N_ELEMENTS (rfc3986_cases));
}

GST_END_TEST;

GST_START_TEST (test_resolve_rtsp)
{
  run_resolve_cases (rtsp_resolve_cases, G_N_ELEMENTS (rtsp_resolve_cases));
}

GST_END_TEST;

/* gst_resilient_url_resolve_control(): SDP a=control the way servers mean
 * it */
static const ResolveCase control_cases[] = {
  /* gst-rtsp-server */
  {"rtsp://127.0.0.1:8554/test/", "stream=0",
      "rtsp://127.0.0.1:8554/test/stream=0"},
  {"rtsp://127.0.0.1:8554/test/", "stream=1",
      "rtsp://127.0.0.1:8554/test/stream=1"},
  /* aggregate */
  {"rtsp://127.0.0.1:8554/test/", "*", "rtsp://127.0.0.1:8554/test/"},
  {"rtsp://h/live", "*", "rtsp://h/live"},
  {"rtsp://h/live", "", "rtsp://h/live"},
  {"rtsp://h/live", NULL, "rtsp://h/live"},
  /* Content-Base (or request URL) without a trailing slash */
  {"rtsp://h/live", "track1", "rtsp://h/live/track1"},
  {"rtsp://h/live/", "track1", "rtsp://h/live/track1"},
  {"rtsp://10.194.0.254/av0_1", "trackID=1",
      "rtsp://10.194.0.254/av0_1/trackID=1"},
  {"rtsp://h:554", "track1", "rtsp://h:554/track1"},
  {"rtsp://h/s#frag", "track1", "rtsp://h/s/track1"},
  /* absolute controls */
  {"rtsp://h/live/", "rtsp://other:554/x/trackID=1",
      "rtsp://other:554/x/trackID=1"},
  {"rtsp://h/live/", " rtsp://cam/Streaming/Channels/101/trackID=1 ",
      "rtsp://cam/Streaming/Channels/101/trackID=1"},
  {"rtsp://h/live/", "/abs/x", "rtsp://h/abs/x"},
  {"rtsp://h/live/", "?q=1", "rtsp://h/live/?q=1"},
  /* query strings in the base: appended to the whole base */
  {"rtsp://h/cam/realmonitor?channel=1&subtype=0/", "trackID=0",
      "rtsp://h/cam/realmonitor?channel=1&subtype=0/trackID=0"},
  {"rtsp://h/live.sdp?token=a", "track1", "rtsp://h/live.sdp?token=a/track1"},
  {"rtsp://h/live.sdp?token=a", "*", "rtsp://h/live.sdp?token=a"},
  /* dot segments */
  {"rtsp://h/a/b", "../c", "rtsp://h/a/c"},
  {"rtsp://h/a/b/", "./c", "rtsp://h/a/b/c"},
  {"rtsp://h/a/b/", "../../../c", "rtsp://h/c"},
  /* IPv6, other schemes */
  {"rtsp://[fe80::1]:554/s", "track1", "rtsp://[fe80::1]:554/s/track1"},
  {"rtsp://[::1]:8554/test/", "stream=0", "rtsp://[::1]:8554/test/stream=0"},
  {"rtspt://h/s/", "track1", "rtspt://h/s/track1"},
  {"rtsps://h/s", "trackID=2", "rtsps://h/s/trackID=2"},
  {"rtsph://h/s", "trackID=2", "rtsph://h/s/trackID=2"},
  /* no base */
  {"not-absolute", "x", NULL},
  {NULL, "x", NULL},
};

GST_START_TEST (test_resolve_control)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (control_cases); i++) {
    gchar *r = gst_resilient_url_resolve_control (control_cases[i].base,
        control_cases[i].ref);

    fail_unless (g_strcmp0 (r, control_cases[i].expected) == 0,
        "case %u: '%s' + '%s' gave '%s', expected '%s'", i,
        GST_STR_NULL (control_cases[i].base),
        GST_STR_NULL (control_cases[i].ref), GST_STR_NULL (r),
        GST_STR_NULL (control_cases[i].expected));
    g_free (r);
  }
}

GST_END_TEST;

typedef struct
{
  const gchar *request;
  const gchar *content_base;
  const gchar *content_location;
  const gchar *expected;
} BaseCase;

static const BaseCase base_cases[] = {
  {"rtsp://h/s", "rtsp://h/s/", NULL, "rtsp://h/s/"},
  {"rtsp://h/s", NULL, NULL, "rtsp://h/s"},
  {"rtsp://h/s", "", "", "rtsp://h/s"},
  {"rtsp://h/s?x=1", NULL, NULL, "rtsp://h/s?x=1"},
  {"rtsp://h/s#f", NULL, NULL, "rtsp://h/s"},
  /* Content-Base wins over Content-Location */
  {"rtsp://h/s", "rtsp://h/s/", "rtsp://h/ignored/", "rtsp://h/s/"},
  {"rtsp://h/s", "  rtsp://h/s/  ", NULL, "rtsp://h/s/"},
  /* Content-Location, absolute or relative to the request URL */
  {"rtsp://h/s", NULL, "rtsp://h/other/", "rtsp://h/other/"},
  {"rtsp://h/dir/s", NULL, "s.sdp/", "rtsp://h/dir/s.sdp/"},
  {"rtsp://h/dir/s", "   ", "/abs/", "rtsp://h/abs/"},
  {"rtsp://h/dir/s", NULL, "../up/", "rtsp://h/up/"},
  /* a relative Content-Base is resolved too */
  {"rtsp://h/dir/s", "s/", NULL, "rtsp://h/dir/s/"},
  /* IPv6 and other schemes */
  {"rtsp://[::1]:8554/test", "rtsp://[::1]:8554/test/", NULL,
      "rtsp://[::1]:8554/test/"},
  {"rtspt://h:554/test", NULL, NULL, "rtspt://h:554/test"},
  {"rtsps://h:322/test", "rtsps://h:322/test/", NULL, "rtsps://h:322/test/"},
  /* no usable request URL */
  {NULL, "rtsp://h/s/", NULL, "rtsp://h/s/"},
  {NULL, NULL, "rtsp://h/l/", "rtsp://h/l/"},
  {NULL, "relative/", NULL, NULL},
  {NULL, NULL, NULL, NULL},
  {"garbage", NULL, NULL, NULL},
};

GST_START_TEST (test_control_base)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (base_cases); i++) {
    gchar *r = gst_resilient_url_control_base (base_cases[i].request,
        base_cases[i].content_base, base_cases[i].content_location);

    fail_unless (g_strcmp0 (r, base_cases[i].expected) == 0,
        "case %u gave '%s', expected '%s'", i, GST_STR_NULL (r),
        GST_STR_NULL (base_cases[i].expected));
    g_free (r);
  }
}

GST_END_TEST;

/* The full chain for a DESCRIBE response: base, then controls. */
GST_START_TEST (test_control_chain)
{
  gchar *base, *url;

  /* gst-rtsp-server: Content-Base with '/' */
  base = gst_resilient_url_control_base ("rtsp://127.0.0.1:8554/test",
      "rtsp://127.0.0.1:8554/test/", NULL);
  url = gst_resilient_url_resolve_control (base, "stream=0");
  fail_unless_equals_string (url, "rtsp://127.0.0.1:8554/test/stream=0");
  g_free (url);
  g_free (base);

  /* no Content-Base: the request URL */
  base = gst_resilient_url_control_base ("rtsp://cam:554/live.sdp", NULL, NULL);
  url = gst_resilient_url_resolve_control (base, "trackID=1");
  fail_unless_equals_string (url, "rtsp://cam:554/live.sdp/trackID=1");
  g_free (url);
  g_free (base);

  /* relative Content-Location */
  base = gst_resilient_url_control_base ("rtsp://cam/media/x", NULL, "x/");
  url = gst_resilient_url_resolve_control (base, "video");
  fail_unless_equals_string (url, "rtsp://cam/media/x/video");
  g_free (url);
  g_free (base);
}

GST_END_TEST;

typedef struct
{
  const gchar *url;
  const gchar *stripped;
  const gchar *user;
  const gchar *password;
} CredCase;

static const CredCase cred_cases[] = {
  {"rtsp://user:pw@host:554/path", "rtsp://host:554/path", "user", "pw"},
  {"rtsp://host:554/path", "rtsp://host:554/path", NULL, NULL},
  {"rtsp://user@host/p", "rtsp://host/p", "user", NULL},
  {"rtsp://:pw@host/", "rtsp://host/", "", "pw"},
  {"rtsp://user:@host/", "rtsp://host/", "user", ""},
  {"rtsp://us%40er:p%3Aw%2F%20x@[::1]:8554/p?q=1", "rtsp://[::1]:8554/p?q=1",
      "us@er", "p:w/ x"},
  /* an unescaped '@' in the password: the last one ends the userinfo */
  {"rtsp://admin:p@ss@cam/s", "rtsp://cam/s", "admin", "p@ss"},
  /* '@' after the authority is not userinfo */
  {"rtsp://host/p@x", "rtsp://host/p@x", NULL, NULL},
  {"rtsp://host?a=b@c", "rtsp://host?a=b@c", NULL, NULL},
  {"rtsp://u:p@host", "rtsp://host", "u", "p"},
  /* invalid escapes are kept as they are */
  {"rtsp://u:%zz@host/", "rtsp://host/", "u", "%zz"},
  {"rtsp://u:%00@host/", "rtsp://host/", "u", "%00"},
  {"rtspt://a:b@h/", "rtspt://h/", "a", "b"},
  /* not a URL with an authority */
  {"foo", "foo", NULL, NULL},
  {"rtsp:host", "rtsp:host", NULL, NULL},
};

GST_START_TEST (test_strip_credentials)
{
  guint i;
  gchar *r, *user, *pw;

  for (i = 0; i < G_N_ELEMENTS (cred_cases); i++) {
    user = pw = (gchar *) "unset";
    r = gst_resilient_url_strip_credentials (cred_cases[i].url, &user, &pw);
    fail_unless (g_strcmp0 (r, cred_cases[i].stripped) == 0,
        "case %u: '%s' gave '%s'", i, cred_cases[i].url, r);
    fail_unless (g_strcmp0 (user, cred_cases[i].user) == 0,
        "case %u: user '%s'", i, GST_STR_NULL (user));
    fail_unless (g_strcmp0 (pw, cred_cases[i].password) == 0,
        "case %u: password '%s'", i, GST_STR_NULL (pw));
    g_free (r);
    g_free (user);
    g_free (pw);

    /* the out parameters are optional */
    r = gst_resilient_url_strip_credentials (cred_cases[i].url, NULL, NULL);
    fail_unless_equals_string (r, cred_cases[i].stripped);
    g_free (r);
  }

  user = pw = (gchar *) "unset";
  fail_unless (gst_resilient_url_strip_credentials (NULL, &user, &pw) == NULL);
  fail_unless (user == NULL && pw == NULL);
}

GST_END_TEST;

GST_START_TEST (test_is_absolute)
{
  fail_unless (gst_resilient_url_is_absolute ("rtsp://h/"));
  fail_unless (gst_resilient_url_is_absolute ("rtspsh://h/"));
  fail_unless (gst_resilient_url_is_absolute ("a+b-c.d:x"));
  fail_if (gst_resilient_url_is_absolute ("stream=0"));
  fail_if (gst_resilient_url_is_absolute ("/abs"));
  fail_if (gst_resilient_url_is_absolute ("1rtsp://h/"));
  fail_if (gst_resilient_url_is_absolute (":x"));
  fail_if (gst_resilient_url_is_absolute (""));
  fail_if (gst_resilient_url_is_absolute (NULL));
}

GST_END_TEST;

static const struct
{
  const gchar *url;
  gboolean tunnel;
  const gchar *request_url;
  const gchar *path;
} tunnel_cases[] = {
  {"rtsph://cam/stream", TRUE, "rtsp://cam/stream", "/stream"},
  {"RTSPH://cam:8080/a/b?x=1&y=2#frag", TRUE,
        "rtsp://cam:8080/a/b?x=1&y=2#frag",
      "/a/b?x=1&y=2"},
  {"rtspsh://u:p@[::1]:443/live", TRUE, "rtsps://u:p@[::1]:443/live", "/live"},
  {"rtsph://cam", TRUE, "rtsp://cam", "/"},
  {"rtsph://cam?q", TRUE, "rtsp://cam?q", "/?q"},
  {"rtsp://cam/stream", FALSE, NULL, NULL},
  {"rtspt://cam/stream", FALSE, NULL, NULL},
  {"rtsps://cam/stream", FALSE, NULL, NULL},
  {"rtsphx://cam/", FALSE, NULL, NULL},
  {"http://cam/", FALSE, NULL, NULL},
  {"rtsph", FALSE, NULL, NULL},
  {"", FALSE, NULL, NULL},
};

GST_START_TEST (test_http_tunnel)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (tunnel_cases); i++) {
    gchar *request_url = (gchar *) "unset", *path = (gchar *) "unset";
    gboolean tunnel = gst_resilient_url_http_tunnel (tunnel_cases[i].url,
        &request_url, &path);

    fail_unless_equals_int (tunnel, tunnel_cases[i].tunnel);
    if (!tunnel) {
      /* untouched */
      fail_unless_equals_string (request_url, "unset");
      fail_unless_equals_string (path, "unset");
      continue;
    }
    fail_unless_equals_string (request_url, tunnel_cases[i].request_url);
    fail_unless_equals_string (path, tunnel_cases[i].path);
    g_free (request_url);
    g_free (path);
    fail_unless (gst_resilient_url_http_tunnel (tunnel_cases[i].url, NULL,
            NULL));
  }
  fail_if (gst_resilient_url_http_tunnel (NULL, NULL, NULL));
}

GST_END_TEST;

/* rtspu/rtspt restrict as in rtspsrc, the tunnel schemes to TCP */
GST_START_TEST (test_allowed_transports)
{
  static const struct
  {
    const gchar *url;
    GstRTSPLowerTrans expected;
  } cases[] = {
    {"rtsp://h/x", GST_RTSP_LOWER_TRANS_UDP | GST_RTSP_LOWER_TRANS_UDP_MCAST |
          GST_RTSP_LOWER_TRANS_TCP},
    {"rtsps://h/x", GST_RTSP_LOWER_TRANS_UDP | GST_RTSP_LOWER_TRANS_UDP_MCAST |
          GST_RTSP_LOWER_TRANS_TCP},
    /* libgstrtsp reads rtspu as UDP with multicast */
    {"rtspu://h/x", GST_RTSP_LOWER_TRANS_UDP | GST_RTSP_LOWER_TRANS_UDP_MCAST},
    {"rtspt://h/x", GST_RTSP_LOWER_TRANS_TCP},
    {"rtspst://h/x", GST_RTSP_LOWER_TRANS_TCP},
    {"rtsph://h/x", GST_RTSP_LOWER_TRANS_TCP},
    {"rtspsh://h/x", GST_RTSP_LOWER_TRANS_TCP},
  };
  const GstRTSPLowerTrans all = GST_RTSP_LOWER_TRANS_UDP |
      GST_RTSP_LOWER_TRANS_UDP_MCAST | GST_RTSP_LOWER_TRANS_TCP;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstRTSPUrl *url = NULL;

    fail_unless (gst_rtsp_url_parse (cases[i].url, &url) == GST_RTSP_OK);
    fail_unless_equals_int (gst_resilient_url_allowed_transports (url, all),
        cases[i].expected);
    /* never more than the settings allow */
    fail_unless_equals_int (gst_resilient_url_allowed_transports (url,
            GST_RTSP_LOWER_TRANS_TCP), cases[i].expected &
        GST_RTSP_LOWER_TRANS_TCP);
    gst_rtsp_url_free (url);
  }
}

GST_END_TEST;

static Suite *
url_suite (void)
{
  Suite *s = suite_create ("url");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_resolve_rfc3986);
  tcase_add_test (tc, test_resolve_rtsp);
  tcase_add_test (tc, test_resolve_control);
  tcase_add_test (tc, test_control_base);
  tcase_add_test (tc, test_control_chain);
  tcase_add_test (tc, test_strip_credentials);
  tcase_add_test (tc, test_is_absolute);
  tcase_add_test (tc, test_http_tunnel);
  tcase_add_test (tc, test_allowed_transports);

  return s;
}

GST_CHECK_MAIN (url);
