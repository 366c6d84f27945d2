/* resilientrtsp test support
 * quirkserver.c: a scriptable MOCK RTSP server. It is not an RTSP
 * implementation: it reads requests and answers each from a script (or a
 * canned default). See quirkserver.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "quirkserver.h"

#include <string.h>
#include <gio/gio.h>
#include <gst/rtsp/rtsp.h>
#include <openssl/evp.h>

GST_DEBUG_CATEGORY_STATIC (rr_quirk_server_debug);
#define GST_CAT_DEFAULT rr_quirk_server_debug

/* a request head larger than this closes the connection */
#define MAX_HEAD_SIZE (64 * 1024)
/* a body larger than this closes the connection (no huge allocations) */
#define MAX_BODY_SIZE (1024 * 1024)
/* a client that does not read stalls the server at most this long */
#define WRITE_TIMEOUT_US (5 * G_USEC_PER_SEC)

#define SERVER_HEADER "Server: resilientrtsp-quirk-server (MOCK)\r\n"
#define SESSION_ID "1234"

/* 320x240 constrained-baseline H.264, as produced by x264enc */
#define SPROP_PARAMETER_SETS \
  "Z0LADNoFB+wFqDAwNSgAAAMACAAAAwD0eKFV,aM48gA=="
#define PROFILE_LEVEL_ID "42c00c"

static const gchar default_sdp[] =
    "v=0\r\n"
    "o=- 1234 1 IN IP4 127.0.0.1\r\n"
    "s=resilientrtsp quirk server (MOCK)\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "a=tool:resilientrtsp-quirk-server\r\n"
    "a=range:npt=0-\r\n"
    "a=control:*\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 packetization-mode=1;profile-level-id=" PROFILE_LEVEL_ID
    ";sprop-parameter-sets=" SPROP_PARAMETER_SETS "\r\n"
    "a=framerate:15\r\n" "a=control:track1\r\n";

typedef struct
{
  RrQuirkAction action;
  gchar *template_;
} RrQuirkRule;

typedef struct _RrQuirkConn RrQuirkConn;

/* an RrQuirkAuth, copied, with its nonce state (under the server lock) */
typedef struct
{
  gchar *prefix;
  gchar *user;
  gchar *password;
  gchar *realm;
  gchar **offer;
  gboolean one_header;
  gchar *accept;
  gchar *qop;
  gboolean userhash;
  guint stale_every;
  gboolean no_stale_flag;

  gchar *nonce;                 /* the current nonce */
  gchar *old_nonce;             /* the one that expired last */
  gchar *opaque;
  guint used;                   /* accepted requests with the nonce */
  guint64 last_nc;
} RrQuirkAuthEntry;

/* locking order: lock is a leaf lock */
struct _RrQuirkServer
{
  /* set in _new, read-only afterwards (until _free) */
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  GSocket *listener;
  GSource *listen_source;
  guint port;

  GMutex lock;
  GCond cond;
  /* protected by lock: method (upper case) → RrQuirkRule * */
  GHashTable *rules;
  /* protected by lock: method (upper case) → count */
  GHashTable *counts;
  /* protected by lock: the Transport header of the last SETUP */
  gchar *last_transport;
  /* protected by lock: the timeout in SETUP's Session header (0 → 60) */
  guint session_timeout;
  /* protected by lock: RrQuirkAuthEntry *, counters, last rejection */
  GPtrArray *auths;
  RrQuirkAuthCounts auth_counts;
  gchar *last_auth_error;

  /* server thread only (and _free after the join): open connections */
  GList *conns;
  guint next_conn_id;
};

/* server thread only */
struct _RrQuirkConn
{
  RrQuirkServer *server;
  guint id;
  GSocket *socket;
  GSource *source;
  GByteArray *buf;
};

/* a parsed request; strings point into a copy of the head */
typedef struct
{
  gchar *head;
  const gchar *method;
  const gchar *uri;
  const gchar *cseq;
  const gchar *transport;
  const gchar *authorization;
  gchar *path;
  guint8 *body;
  gsize body_len;
} RrQuirkRequest;

static void
rule_free (gpointer data)
{
  RrQuirkRule *rule = data;

  g_free (rule->template_);
  g_free (rule);
}

/* ---- writing and closing (server thread) ---- */

static gboolean
send_all (RrQuirkConn * conn, const gchar * data, gsize len)
{
  gint64 end_time = g_get_monotonic_time () + WRITE_TIMEOUT_US;
  GError *error = NULL;

  while (len > 0) {
    gssize n = g_socket_send (conn->socket, data, len, NULL, &error);

    if (n < 0) {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        goto failed;
      g_clear_error (&error);
      if (g_get_monotonic_time () >= end_time)
        goto timeout;
      g_socket_condition_timed_wait (conn->socket, G_IO_OUT,
          end_time - g_get_monotonic_time (), NULL, NULL);
      continue;
    }
    data += n;
    len -= n;
  }
  return TRUE;

  /* ERRORS */
failed:
  {
    GST_INFO ("MOCK conn %u: send failed: %s", conn->id, error->message);
    g_clear_error (&error);
    return FALSE;
  }
timeout:
  {
    GST_INFO ("MOCK conn %u: client does not read, giving up", conn->id);
    return FALSE;
  }
}

static void
conn_close (RrQuirkConn * conn)
{
  RrQuirkServer *s = conn->server;
  gchar drain[1024];

  GST_INFO ("MOCK conn %u: closing", conn->id);

  /* FIN first and read what is pending, so that the kernel does not reset
   * the connection (which could discard a reply the client has not read) */
  g_socket_shutdown (conn->socket, FALSE, TRUE, NULL);
  while (g_socket_receive (conn->socket, drain, sizeof (drain), NULL,
          NULL) > 0);
  g_socket_close (conn->socket, NULL);

  s->conns = g_list_remove (s->conns, conn);
  g_source_destroy (conn->source);
  g_source_unref (conn->source);
  g_object_unref (conn->socket);
  g_byte_array_unref (conn->buf);
  g_free (conn);
}

/* ---- replies ---- */

static gchar *
substitute (RrQuirkServer * s, const gchar * template_,
    const RrQuirkRequest * req)
{
  GString *out = g_string_new (NULL);
  const gchar *p = template_;

  while (*p != '\0') {
    if (*p == '{') {
      if (g_str_has_prefix (p, "{cseq}")) {
        g_string_append (out, req->cseq ? req->cseq : "");
        p += strlen ("{cseq}");
        continue;
      }
      if (g_str_has_prefix (p, "{cseq+1}")) {
        if (req->cseq != NULL)
          g_string_append_printf (out, "%" G_GUINT64_FORMAT,
              g_ascii_strtoull (req->cseq, NULL, 10) + 1);
        p += strlen ("{cseq+1}");
        continue;
      }
      if (g_str_has_prefix (p, "{transport}")) {
        g_string_append (out, req->transport ? req->transport : "");
        p += strlen ("{transport}");
        continue;
      }
      if (g_str_has_prefix (p, "{port}")) {
        g_string_append_printf (out, "%u", s->port);
        p += strlen ("{port}");
        continue;
      }
      if (g_str_has_prefix (p, "{url}")) {
        g_string_append_printf (out, "rtsp://127.0.0.1:%u%s", s->port,
            req->path);
        p += strlen ("{url}");
        continue;
      }
      if (g_str_has_prefix (p, "{sdp}")) {
        g_string_append (out, default_sdp);
        p += strlen ("{sdp}");
        continue;
      }
      if (g_str_has_prefix (p, "{sdp-length}")) {
        g_string_append_printf (out, "%" G_GSIZE_FORMAT, strlen (default_sdp));
        p += strlen ("{sdp-length}");
        continue;
      }
    }
    g_string_append_c (out, *p);
    p++;
  }

  return g_string_free (out, FALSE);
}

/* the first transport of the request, with server_port added for UDP */
static gchar *
setup_transport (RrQuirkServer * s, const gchar * transport)
{
  const gchar *end;
  gchar *first, *result;
  guint rtp_port;

  if (transport == NULL)
    return g_strdup ("RTP/AVP/TCP;unicast;interleaved=0-1");

  end = strchr (transport, ',');
  first = end ? g_strndup (transport, end - transport) : g_strdup (transport);
  g_strstrip (first);
  if (strstr (first, "interleaved=") != NULL || strstr (first, "/TCP") != NULL
      || strstr (first, "multicast") != NULL)
    return first;

  /* nobody listens there: the mock sends no media */
  rtp_port = s->port & ~1u;
  result = g_strdup_printf ("%s;server_port=%u-%u", first, rtp_port,
      rtp_port + 1);
  g_free (first);

  return result;
}

static gchar *
default_reply (RrQuirkServer * s, const RrQuirkRequest * req)
{
  GString *out = g_string_new ("RTSP/1.0 200 OK\r\n");
  gboolean known = TRUE;

  if (req->cseq != NULL)
    g_string_append_printf (out, "CSeq: %s\r\n", req->cseq);
  g_string_append (out, SERVER_HEADER);

  if (g_str_equal (req->method, "OPTIONS")) {
    g_string_append (out, "Public: OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, "
        "TEARDOWN, GET_PARAMETER, SET_PARAMETER\r\n");
  } else if (g_str_equal (req->method, "DESCRIBE")) {
    g_string_append_printf (out,
        "Content-Base: rtsp://127.0.0.1:%u%s%s\r\n"
        "Content-Type: application/sdp\r\n"
        "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n%s", s->port, req->path,
        g_str_has_suffix (req->path, "/") ? "" : "/", strlen (default_sdp),
        default_sdp);
    return g_string_free (out, FALSE);
  } else if (g_str_equal (req->method, "SETUP")) {
    gchar *transport = setup_transport (s, req->transport);
    guint timeout;

    g_mutex_lock (&s->lock);
    timeout = s->session_timeout ? s->session_timeout : 60;
    g_mutex_unlock (&s->lock);
    g_string_append_printf (out, "Transport: %s\r\n"
        "Session: " SESSION_ID ";timeout=%u\r\n", transport, timeout);
    g_free (transport);
  } else if (g_str_equal (req->method, "PLAY")) {
    g_string_append (out, "Session: " SESSION_ID "\r\n"
        "Range: npt=0.000-\r\n");
  } else if (g_str_equal (req->method, "PAUSE") ||
      g_str_equal (req->method, "TEARDOWN") ||
      g_str_equal (req->method, "GET_PARAMETER") ||
      g_str_equal (req->method, "SET_PARAMETER")) {
    g_string_append (out, "Session: " SESSION_ID "\r\n");
  } else {
    known = FALSE;
  }
  g_string_append (out, "\r\n");

  if (!known) {
    g_string_free (out, TRUE);
    out = g_string_new ("RTSP/1.0 501 Not Implemented\r\n");
    if (req->cseq != NULL)
      g_string_append_printf (out, "CSeq: %s\r\n", req->cseq);
    g_string_append (out, SERVER_HEADER "\r\n");
  }

  return g_string_free (out, FALSE);
}

/* ---- authentication (independent of the client's auth.c) ---- */

static void
auth_entry_free (gpointer data)
{
  RrQuirkAuthEntry *e = data;

  g_free (e->prefix);
  g_free (e->user);
  g_free (e->password);
  g_free (e->realm);
  g_strfreev (e->offer);
  g_free (e->accept);
  g_free (e->qop);
  g_free (e->nonce);
  g_free (e->old_nonce);
  g_free (e->opaque);
  g_free (e);
}

static gchar *
random_hex (void)
{
  return g_strdup_printf ("%08x%08x%08x", g_random_int (), g_random_int (),
      g_random_int ());
}

/* lower-case hex digest for a Digest algorithm name ("SHA-256-sess" …) */
static gchar *
digest_hex (const gchar * alg, const guint8 * data, gsize len)
{
  if (g_str_has_prefix (alg, "SHA-512-256")) {
    guint8 md[EVP_MAX_MD_SIZE];
    guint md_len = 0, i;
    GString *hex = g_string_new (NULL);

    g_assert (EVP_Digest (data, len, md, &md_len, EVP_sha512_256 (), NULL));
    for (i = 0; i < md_len; i++)
      g_string_append_printf (hex, "%02x", md[i]);
    return g_string_free (hex, FALSE);
  }
  return g_compute_checksum_for_data (g_str_has_prefix (alg, "SHA-256") ?
      G_CHECKSUM_SHA256 : G_CHECKSUM_MD5, data, len);
}

static gchar *
digest_str (const gchar * alg, const gchar * str)
{
  return digest_hex (alg, (const guint8 *) str, strlen (str));
}

static gchar *
challenge_for (RrQuirkAuthEntry * e, const gchar * offer, gboolean stale)
{
  GString *c;

  if (g_ascii_strcasecmp (offer, "Basic") == 0)
    return g_strdup_printf ("Basic realm=\"%s\"", e->realm);
  c = g_string_new (NULL);
  g_string_append_printf (c, "Digest realm=\"%s\", nonce=\"%s\", "
      "algorithm=%s", e->realm, e->nonce, offer);
  if (e->qop != NULL)
    g_string_append_printf (c, ", qop=\"%s\"", e->qop);
  g_string_append_printf (c, ", opaque=\"%s\"", e->opaque);
  if (e->userhash)
    g_string_append (c, ", charset=UTF-8, userhash=true");
  if (stale)
    g_string_append (c, ", stale=true");
  return g_string_free (c, FALSE);
}

static gchar *
auth_reply (RrQuirkAuthEntry * e, const RrQuirkRequest * req, gboolean stale)
{
  GString *out = g_string_new ("RTSP/1.0 401 Unauthorized\r\n");
  gchar **o;

  if (req->cseq != NULL)
    g_string_append_printf (out, "CSeq: %s\r\n", req->cseq);
  g_string_append (out, SERVER_HEADER);
  for (o = e->offer; *o; o++) {
    gchar *c = challenge_for (e, *o, stale);

    if (!e->one_header)
      g_string_append_printf (out, "WWW-Authenticate: %s\r\n", c);
    else if (o == e->offer)
      g_string_append_printf (out, "WWW-Authenticate: %s", c);
    else
      g_string_append_printf (out, ", %s", c);
    g_free (c);
  }
  if (e->one_header)
    g_string_append (out, "\r\n");
  g_string_append (out, "\r\n");
  return g_string_free (out, FALSE);
}

static const gchar *
param_of (GstRTSPAuthCredential * cred, const gchar * name)
{
  GstRTSPAuthParam **p;

  for (p = cred->params; p && *p; p++)
    if (g_ascii_strcasecmp ((*p)->name, name) == 0)
      return (*p)->value;
  return NULL;
}

/* NULL when @cred is right for @req; else why not (*stale: the nonce
 * expired). Called with the lock. */
static const gchar *
verify_digest (RrQuirkAuthEntry * e, const RrQuirkRequest * req,
    GstRTSPAuthCredential * cred, gboolean * stale)
{
  const gchar *alg = param_of (cred, "algorithm");
  const gchar *username = param_of (cred, "username");
  const gchar *realm = param_of (cred, "realm");
  const gchar *nonce = param_of (cred, "nonce");
  const gchar *uri = param_of (cred, "uri");
  const gchar *response = param_of (cred, "response");
  const gchar *qop = param_of (cred, "qop");
  const gchar *nc = param_of (cred, "nc");
  const gchar *cnonce = param_of (cred, "cnonce");
  const gchar *opaque = param_of (cred, "opaque");
  const gchar *userhash = param_of (cred, "userhash");
  gchar *ha1, *ha2, *expected, *tmp;
  gboolean sess;
  guint64 nc_value = 0;
  const gchar *why = NULL;

  if (g_ascii_strcasecmp (e->accept, "Basic") == 0)
    return "Digest credentials, Basic expected";
  if (alg == NULL)
    alg = "MD5";
  if (g_ascii_strcasecmp (alg, e->accept) != 0)
    return "not the expected algorithm";
  sess = g_str_has_suffix (e->accept, "-sess");
  if (g_strcmp0 (realm, e->realm) != 0)
    return "wrong realm";
  if (nonce != NULL && e->old_nonce != NULL &&
      strcmp (nonce, e->old_nonce) == 0) {
    *stale = TRUE;
    return "expired nonce";
  }
  if (g_strcmp0 (nonce, e->nonce) != 0)
    return "unknown nonce";
  if (g_strcmp0 (uri, req->uri) != 0)
    return "uri is not the request-URI";
  if (g_strcmp0 (opaque, e->opaque) != 0)
    return "opaque not echoed";
  if (username == NULL)
    return "no username";
  if (e->userhash) {
    gchar *joined = g_strdup_printf ("%s:%s", e->user, e->realm);
    gchar *hashed = digest_str (e->accept, joined);
    gboolean same = strcmp (hashed, username) == 0;

    g_free (joined);
    g_free (hashed);
    if (g_strcmp0 (userhash, "true") != 0)
      return "userhash=true missing";
    if (!same)
      return "wrong user name hash";
  } else if (strcmp (username, e->user) != 0) {
    return "wrong user";
  }

  if (e->qop == NULL) {
    if (qop != NULL || nc != NULL || cnonce != NULL)
      return "qop/nc/cnonce without qop offered";
  } else {
    gchar **offered = g_strsplit (e->qop, ",", -1);
    gboolean ok = qop != NULL && g_strv_contains ((const gchar * const *)
        offered, qop);

    g_strfreev (offered);
    if (!ok)
      return "qop missing or not offered";
    if (nc == NULL || strlen (nc) != 8 ||
        !g_ascii_string_to_unsigned (nc, 16, 1, G_MAXUINT32, &nc_value, NULL))
      return "bad nc";
    if (nc_value <= e->last_nc)
      return "nc did not grow";
    if (cnonce == NULL || *cnonce == '\0')
      return "no cnonce";
  }
  if (response == NULL)
    return "no response";

  /* RFC 7616 §3.4.1-3.4.3 */
  tmp = g_strdup_printf ("%s:%s:%s", e->user, e->realm, e->password);
  ha1 = digest_str (e->accept, tmp);
  g_free (tmp);
  if (sess) {
    tmp = g_strdup_printf ("%s:%s:%s", ha1, nonce, cnonce);
    g_free (ha1);
    ha1 = digest_str (e->accept, tmp);
    g_free (tmp);
  }
  if (g_strcmp0 (qop, "auth-int") == 0) {
    gchar *hbody = digest_hex (e->accept, req->body ? req->body :
        (const guint8 *) "", req->body_len);

    tmp = g_strdup_printf ("%s:%s:%s", req->method, uri, hbody);
    g_free (hbody);
  } else {
    tmp = g_strdup_printf ("%s:%s", req->method, uri);
  }
  ha2 = digest_str (e->accept, tmp);
  g_free (tmp);
  if (qop != NULL)
    tmp = g_strdup_printf ("%s:%s:%s:%s:%s:%s", ha1, nonce, nc, cnonce, qop,
        ha2);
  else
    tmp = g_strdup_printf ("%s:%s:%s", ha1, nonce, ha2);
  expected = digest_str (e->accept, tmp);
  g_free (tmp);
  g_free (ha1);
  g_free (ha2);

  if (strcmp (expected, response) != 0)
    why = "wrong response";
  else if (qop != NULL)
    e->last_nc = nc_value;
  g_free (expected);
  return why;
}

static const gchar *
verify (RrQuirkAuthEntry * e, const RrQuirkRequest * req, gboolean * stale)
{
  GstRTSPMessage *msg = NULL;
  GstRTSPAuthCredential **creds;
  const gchar *why = "unparsable Authorization";

  gst_rtsp_message_new_request (&msg, GST_RTSP_OPTIONS, "*");
  gst_rtsp_message_add_header (msg, GST_RTSP_HDR_AUTHORIZATION,
      req->authorization);
  creds = gst_rtsp_message_parse_auth_credentials (msg,
      GST_RTSP_HDR_AUTHORIZATION);
  if (creds != NULL && creds[0] != NULL && creds[1] == NULL) {
    if (creds[0]->scheme == GST_RTSP_AUTH_BASIC) {
      gchar *plain = g_strdup_printf ("%s:%s", e->user, e->password);
      gchar *b64 = g_base64_encode ((const guchar *) plain, strlen (plain));

      if (g_ascii_strcasecmp (e->accept, "Basic") != 0)
        why = "Basic credentials, Digest expected";
      else if (g_strcmp0 (creds[0]->authorization, b64) != 0)
        why = "wrong Basic credentials";
      else
        why = NULL;
      g_free (plain);
      g_free (b64);
    } else if (creds[0]->scheme == GST_RTSP_AUTH_DIGEST) {
      why = verify_digest (e, req, creds[0], stale);
    }
  }
  if (creds != NULL)
    gst_rtsp_auth_credentials_free (creds);
  gst_rtsp_message_free (msg);
  return why;
}

/* A 401 reply when @req is not authorized, else NULL. Called with the
 * lock. */
static gchar *
check_auth (RrQuirkServer * s, const RrQuirkRequest * req)
{
  RrQuirkAuthEntry *e = NULL;
  const gchar *why;
  gboolean stale = FALSE;
  guint i;

  for (i = 0; i < s->auths->len && e == NULL; i++) {
    RrQuirkAuthEntry *candidate = g_ptr_array_index (s->auths, i);

    if (g_str_has_prefix (req->path, candidate->prefix))
      e = candidate;
  }
  if (e == NULL)
    return NULL;

  if (req->authorization == NULL) {
    s->auth_counts.challenged++;
    return auth_reply (e, req, FALSE);
  }
  why = verify (e, req, &stale);
  if (why == NULL) {
    s->auth_counts.accepted++;
    if (e->stale_every > 0 && ++e->used >= e->stale_every) {
      GST_INFO ("MOCK auth: nonce expires");
      g_free (e->old_nonce);
      e->old_nonce = e->nonce;
      e->nonce = random_hex ();
      e->used = 0;
      e->last_nc = 0;
    }
    return NULL;
  }
  if (stale) {
    s->auth_counts.stale++;
    return auth_reply (e, req, !e->no_stale_flag);
  }
  GST_INFO ("MOCK auth: %s %s rejected: %s", req->method, req->uri, why);
  s->auth_counts.rejected++;
  g_free (s->last_auth_error);
  s->last_auth_error = g_strdup (why);
  return auth_reply (e, req, FALSE);
}

/* returns FALSE when the connection was closed */
static gboolean
handle_request (RrQuirkConn * conn, const RrQuirkRequest * req)
{
  RrQuirkServer *s = conn->server;
  RrQuirkRule *rule;
  RrQuirkAction action = RR_QUIRK_REPLY;
  gchar *template_ = NULL, *reply = NULL;
  gboolean have_rule = FALSE, ok = TRUE;
  guint count;

  g_mutex_lock (&s->lock);
  count = GPOINTER_TO_UINT (g_hash_table_lookup (s->counts, req->method)) + 1;
  g_hash_table_insert (s->counts, g_strdup (req->method),
      GUINT_TO_POINTER (count));
  if (g_strcmp0 (req->method, "SETUP") == 0) {
    g_free (s->last_transport);
    s->last_transport = g_strdup (req->transport);
  }
  g_cond_broadcast (&s->cond);
  reply = check_auth (s, req);
  rule = g_hash_table_lookup (s->rules, req->method);
  if (rule != NULL) {
    have_rule = TRUE;
    action = rule->action;
    template_ = g_strdup (rule->template_);
  }
  g_mutex_unlock (&s->lock);

  if (reply != NULL) {
    GST_INFO ("MOCK conn %u: %s %s (CSeq %s), 401", conn->id, req->method,
        req->uri, req->cseq ? req->cseq : "none");
    ok = send_all (conn, reply, strlen (reply));
    g_free (reply);
    g_free (template_);
    if (!ok)
      conn_close (conn);
    return ok;
  }

  GST_INFO ("MOCK conn %u: %s %s (CSeq %s), %s", conn->id, req->method,
      req->uri, req->cseq ? req->cseq : "none",
      have_rule ? "scripted" : "default");

  switch (action) {
    case RR_QUIRK_REPLY:
    case RR_QUIRK_REPLY_AND_CLOSE:
      reply = template_ ? substitute (s, template_, req) :
          default_reply (s, req);
      ok = send_all (conn, reply, strlen (reply));
      if (!ok || action == RR_QUIRK_REPLY_AND_CLOSE) {
        conn_close (conn);
        ok = FALSE;
      }
      break;
    case RR_QUIRK_CLOSE:
      conn_close (conn);
      ok = FALSE;
      break;
    case RR_QUIRK_SILENCE:
      break;
  }
  g_free (reply);
  g_free (template_);

  return ok;
}

/* ---- reading (server thread) ---- */

static gchar *
path_of_uri (const gchar * uri)
{
  GstRTSPUrl *url = NULL;
  gchar *path;

  if (uri != NULL && gst_rtsp_url_parse (uri, &url) == GST_RTSP_OK &&
      url->abspath != NULL && url->abspath[0] == '/')
    path = g_strdup (url->abspath);
  else
    path = g_strdup ("/");
  if (url != NULL)
    gst_rtsp_url_free (url);

  return path;
}

/* parses the head (request line and headers) in @head (NUL-terminated, is
 * modified); returns FALSE when there is no request line */
static gboolean
parse_head (gchar * head, RrQuirkRequest * req, gsize * content_length)
{
  gchar *line, *next, *colon, *sp;

  memset (req, 0, sizeof (*req));
  req->head = head;
  *content_length = 0;

  next = head;
  line = strsep (&next, "\n");
  g_strchomp (line);
  sp = strchr (line, ' ');
  if (sp == NULL || sp == line)
    return FALSE;
  *sp = '\0';
  req->method = line;
  req->uri = sp + 1;
  sp = strchr (sp + 1, ' ');
  if (sp != NULL)
    *sp = '\0';

  while (next != NULL && *next != '\0') {
    line = strsep (&next, "\n");
    g_strchomp (line);
    colon = strchr (line, ':');
    if (colon == NULL)
      continue;
    *colon = '\0';
    g_strstrip (line);
    colon = g_strstrip (colon + 1);
    if (g_ascii_strcasecmp (line, "CSeq") == 0)
      req->cseq = colon;
    else if (g_ascii_strcasecmp (line, "Transport") == 0)
      req->transport = colon;
    else if (g_ascii_strcasecmp (line, "Authorization") == 0)
      req->authorization = colon;
    else if (g_ascii_strcasecmp (line, "Content-Length") == 0)
      *content_length = (gsize) g_ascii_strtoull (colon, NULL, 10);
  }
  req->path = path_of_uri (req->uri);

  return TRUE;
}

/* the end of the head ("\r\n\r\n" or "\n\n"), or 0 */
static gsize
find_head_end (const guint8 * data, gsize len)
{
  gsize i;

  for (i = 0; i + 1 < len; i++) {
    if (data[i] == '\n' && data[i + 1] == '\n')
      return i + 2;
    if (i + 3 < len && data[i] == '\r' && data[i + 1] == '\n' &&
        data[i + 2] == '\r' && data[i + 3] == '\n')
      return i + 4;
  }
  return 0;
}

/* handles what is complete in conn->buf; FALSE when the connection was
 * closed */
static gboolean
process_buffer (RrQuirkConn * conn)
{
  while (conn->buf->len > 0) {
    guint8 *data = conn->buf->data;
    gsize len = conn->buf->len, head_len, content_length;
    RrQuirkRequest req;
    gboolean ok;

    if (data[0] == '$') {
      /* interleaved data from the client (RTCP): skip it */
      gsize frame;

      if (len < 4)
        return TRUE;
      frame = 4 + ((gsize) data[2] << 8 | data[3]);
      if (len < frame)
        return TRUE;
      g_byte_array_remove_range (conn->buf, 0, frame);
      continue;
    }
    if (data[0] == '\r' || data[0] == '\n') {
      g_byte_array_remove_range (conn->buf, 0, 1);
      continue;
    }

    head_len = find_head_end (data, len);
    if (head_len == 0) {
      if (len > MAX_HEAD_SIZE)
        goto too_big;
      return TRUE;
    }

    if (!parse_head (g_strndup ((const gchar *) data, head_len), &req,
            &content_length)) {
      GST_INFO ("MOCK conn %u: no request line, ignoring %" G_GSIZE_FORMAT
          " bytes", conn->id, head_len);
      g_free (req.head);
      g_byte_array_remove_range (conn->buf, 0, head_len);
      continue;
    }
    if (content_length > MAX_BODY_SIZE) {
      g_free (req.head);
      g_free (req.path);
      goto too_big;
    }
    if (len < head_len + content_length) {
      g_free (req.head);
      g_free (req.path);
      return TRUE;
    }
    req.body = g_memdup2 (data + head_len, content_length);
    req.body_len = content_length;
    g_byte_array_remove_range (conn->buf, 0, head_len + content_length);

    ok = handle_request (conn, &req);
    g_free (req.head);
    g_free (req.path);
    g_free (req.body);
    if (!ok)
      return FALSE;
  }
  return TRUE;

  /* ERRORS */
too_big:
  {
    GST_INFO ("MOCK conn %u: request too large", conn->id);
    conn_close (conn);
    return FALSE;
  }
}

static gboolean
conn_readable (GSocket * socket, GIOCondition condition, gpointer user_data)
{
  RrQuirkConn *conn = user_data;
  guint8 data[4096];
  GError *error = NULL;
  gssize n;

  n = g_socket_receive (socket, (gchar *) data, sizeof (data), NULL, &error);
  if (n < 0) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_clear_error (&error);
      return G_SOURCE_CONTINUE;
    }
    GST_INFO ("MOCK conn %u: receive failed: %s", conn->id, error->message);
    g_clear_error (&error);
    conn_close (conn);
    return G_SOURCE_REMOVE;
  }
  if (n == 0) {
    GST_INFO ("MOCK conn %u: client closed", conn->id);
    conn_close (conn);
    return G_SOURCE_REMOVE;
  }

  g_byte_array_append (conn->buf, data, n);
  if (!process_buffer (conn))
    return G_SOURCE_REMOVE;

  return G_SOURCE_CONTINUE;
}

static gboolean
listener_readable (GSocket * socket, GIOCondition condition, gpointer user_data)
{
  RrQuirkServer *s = user_data;
  GSocket *client;
  RrQuirkConn *conn;
  GError *error = NULL;

  client = g_socket_accept (socket, NULL, &error);
  if (client == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
      GST_WARNING ("MOCK accept failed: %s", error->message);
    g_clear_error (&error);
    return G_SOURCE_CONTINUE;
  }
  g_socket_set_blocking (client, FALSE);

  conn = g_new0 (RrQuirkConn, 1);
  conn->server = s;
  conn->id = ++s->next_conn_id;
  conn->socket = client;
  conn->buf = g_byte_array_new ();
  conn->source = g_socket_create_source (client,
      G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (conn->source, (GSourceFunc) conn_readable, conn, NULL);
  g_source_attach (conn->source, s->context);
  s->conns = g_list_prepend (s->conns, conn);

  GST_INFO ("MOCK conn %u: accepted", conn->id);

  return G_SOURCE_CONTINUE;
}

static gpointer
server_thread_func (gpointer data)
{
  RrQuirkServer *s = data;

  g_main_context_push_thread_default (s->context);
  g_main_loop_run (s->loop);
  g_main_context_pop_thread_default (s->context);

  return NULL;
}

/* ---- public API ---- */

RrQuirkServer *
rr_quirk_server_new_full (guint port, GError ** error)
{
  RrQuirkServer *s;
  GInetAddress *inet;
  GSocketAddress *addr, *bound;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  g_return_val_if_fail (port <= 65535, NULL);

  GST_DEBUG_CATEGORY_INIT (rr_quirk_server_debug, "rrquirkserver", 0,
      "resilientrtsp quirk server (a scriptable MOCK, not an RTSP server)");

  s = g_new0 (RrQuirkServer, 1);
  g_mutex_init (&s->lock);
  g_cond_init (&s->cond);
  s->rules = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, rule_free);
  s->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  s->auths = g_ptr_array_new_with_free_func (auth_entry_free);
  s->context = g_main_context_new ();
  s->loop = g_main_loop_new (s->context, FALSE);

  s->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, error);
  if (s->listener == NULL)
    goto failed;
  g_socket_set_blocking (s->listener, FALSE);

  inet = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  addr = g_inet_socket_address_new (inet, (guint16) port);
  g_object_unref (inet);
  if (!g_socket_bind (s->listener, addr, TRUE, error)) {
    g_object_unref (addr);
    goto failed;
  }
  g_object_unref (addr);
  if (!g_socket_listen (s->listener, error))
    goto failed;
  bound = g_socket_get_local_address (s->listener, error);
  if (bound == NULL)
    goto failed;
  s->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_object_unref (bound);

  s->listen_source = g_socket_create_source (s->listener, G_IO_IN, NULL);
  g_source_set_callback (s->listen_source, (GSourceFunc) listener_readable,
      s, NULL);
  g_source_attach (s->listen_source, s->context);

  s->thread = g_thread_new ("rrquirkserver", server_thread_func, s);

  GST_INFO ("MOCK quirk server (not an RTSP implementation) listening on "
      "rtsp://127.0.0.1:%u", s->port);

  return s;

  /* ERRORS */
failed:
  {
    GST_WARNING ("MOCK quirk server cannot listen on port %u", port);
    rr_quirk_server_free (s);
    return NULL;
  }
}

RrQuirkServer *
rr_quirk_server_new (void)
{
  GError *error = NULL;
  RrQuirkServer *s = rr_quirk_server_new_full (0, &error);

  if (s == NULL)
    g_error ("quirk server: %s", error ? error->message : "failed to start");

  return s;
}

void
rr_quirk_server_free (RrQuirkServer * s)
{
  g_return_if_fail (s != NULL);

  if (s->thread != NULL) {
    g_main_loop_quit (s->loop);
    g_thread_join (s->thread);
  }
  /* the thread is gone: the connections are ours now */
  while (s->conns != NULL)
    conn_close (s->conns->data);
  if (s->listen_source != NULL) {
    g_source_destroy (s->listen_source);
    g_source_unref (s->listen_source);
  }
  if (s->listener != NULL) {
    g_socket_close (s->listener, NULL);
    g_object_unref (s->listener);
  }
  g_main_loop_unref (s->loop);
  g_main_context_unref (s->context);
  g_hash_table_unref (s->rules);
  g_hash_table_unref (s->counts);
  g_free (s->last_transport);
  g_ptr_array_unref (s->auths);
  g_free (s->last_auth_error);
  g_mutex_clear (&s->lock);
  g_cond_clear (&s->cond);
  g_free (s);
}

guint
rr_quirk_server_get_port (RrQuirkServer * s)
{
  g_return_val_if_fail (s != NULL, 0);

  return s->port;
}

gchar *
rr_quirk_server_get_url (RrQuirkServer * s, const gchar * path)
{
  g_return_val_if_fail (s != NULL, NULL);

  if (path == NULL)
    path = "";

  return g_strdup_printf ("rtsp://127.0.0.1:%u%s%s", s->port,
      path[0] == '/' || path[0] == '\0' ? "" : "/", path);
}

void
rr_quirk_server_set (RrQuirkServer * s, const gchar * method,
    RrQuirkAction action, const gchar * template_)
{
  RrQuirkRule *rule;

  g_return_if_fail (s != NULL);
  g_return_if_fail (method != NULL);

  rule = g_new0 (RrQuirkRule, 1);
  rule->action = action;
  rule->template_ = g_strdup (template_);

  g_mutex_lock (&s->lock);
  g_hash_table_insert (s->rules, g_ascii_strup (method, -1), rule);
  g_mutex_unlock (&s->lock);
}

void
rr_quirk_server_clear (RrQuirkServer * s, const gchar * method)
{
  gchar *key;

  g_return_if_fail (s != NULL);
  g_return_if_fail (method != NULL);

  key = g_ascii_strup (method, -1);
  g_mutex_lock (&s->lock);
  g_hash_table_remove (s->rules, key);
  g_mutex_unlock (&s->lock);
  g_free (key);
}

void
rr_quirk_server_set_session_timeout (RrQuirkServer * s, guint seconds)
{
  g_mutex_lock (&s->lock);
  s->session_timeout = seconds;
  g_mutex_unlock (&s->lock);
}

guint
rr_quirk_server_count (RrQuirkServer * s, const gchar * method)
{
  return rr_quirk_server_wait (s, method, 0, 0);
}

guint
rr_quirk_server_wait (RrQuirkServer * s, const gchar * method, guint count,
    guint timeout_ms)
{
  gint64 end_time;
  gchar *key;
  guint result;

  g_return_val_if_fail (s != NULL, 0);
  g_return_val_if_fail (method != NULL, 0);

  key = g_ascii_strup (method, -1);
  end_time = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;

  g_mutex_lock (&s->lock);
  while ((result = GPOINTER_TO_UINT (g_hash_table_lookup (s->counts,
                  key))) < count) {
    if (!g_cond_wait_until (&s->cond, &s->lock, end_time))
      break;
  }
  result = GPOINTER_TO_UINT (g_hash_table_lookup (s->counts, key));
  g_mutex_unlock (&s->lock);
  g_free (key);

  return result;
}

gboolean
rr_quirk_server_last_transport_has (RrQuirkServer * s, const gchar * text)
{
  gboolean has;

  g_mutex_lock (&s->lock);
  has = s->last_transport != NULL && strstr (s->last_transport, text) != NULL;
  g_mutex_unlock (&s->lock);
  return has;
}

void
rr_quirk_server_set_auth (RrQuirkServer * s, const gchar * path_prefix,
    const RrQuirkAuth * auth)
{
  RrQuirkAuthEntry *e;
  guint i;

  g_return_if_fail (s != NULL);
  g_return_if_fail (path_prefix != NULL);
  g_return_if_fail (auth == NULL || (auth->user != NULL &&
          auth->offer != NULL && auth->offer[0] != NULL &&
          auth->accept != NULL));

  g_mutex_lock (&s->lock);
  for (i = 0; i < s->auths->len; i++) {
    e = g_ptr_array_index (s->auths, i);
    if (strcmp (e->prefix, path_prefix) == 0) {
      g_ptr_array_remove_index (s->auths, i);
      break;
    }
  }
  if (auth != NULL) {
    e = g_new0 (RrQuirkAuthEntry, 1);
    e->prefix = g_strdup (path_prefix);
    e->user = g_strdup (auth->user);
    e->password = g_strdup (auth->password ? auth->password : "");
    e->realm = g_strdup (auth->realm ? auth->realm : "quirk");
    e->offer = g_strdupv ((gchar **) auth->offer);
    e->one_header = auth->one_header;
    e->accept = g_strdup (auth->accept);
    e->qop = g_strdup (auth->qop);
    e->userhash = auth->userhash;
    e->stale_every = auth->stale_every;
    e->no_stale_flag = auth->no_stale_flag;
    e->nonce = random_hex ();
    e->opaque = random_hex ();
    g_ptr_array_add (s->auths, e);
  }
  g_mutex_unlock (&s->lock);
}

void
rr_quirk_server_get_auth_counts (RrQuirkServer * s, RrQuirkAuthCounts * counts)
{
  g_return_if_fail (s != NULL);
  g_return_if_fail (counts != NULL);

  g_mutex_lock (&s->lock);
  *counts = s->auth_counts;
  g_mutex_unlock (&s->lock);
}

gchar *
rr_quirk_server_last_auth_error (RrQuirkServer * s)
{
  gchar *why;

  g_return_val_if_fail (s != NULL, NULL);

  g_mutex_lock (&s->lock);
  why = g_strdup (s->last_auth_error);
  g_mutex_unlock (&s->lock);
  return why;
}
