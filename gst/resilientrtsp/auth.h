/* resilientrtsp
 * auth.h: the client side of HTTP-style authentication for RTSP requests —
 * Basic (RFC 7617) and Digest (RFC 2069, RFC 2617, RFC 7616).
 *
 * A GstResilientAuth holds one user's credentials and what the server asked
 * for. The session feeds it every 401 (or, for a proxy, 407) answer and asks
 * it for the Authorization (Proxy-Authorization) value of each request it
 * sends; the value depends on the request (method, URI, body) and on a
 * counter, so it is computed per request, never cached.
 *
 * Supported: Basic; Digest with algorithm MD5, MD5-sess, SHA-256,
 * SHA-256-sess, SHA-512-256 and SHA-512-256-sess (SHA-512/256 as FIPS 180-4
 * defines it, from OpenSSL's libcrypto); qop=auth (preferred) and qop=auth-int
 * (when it is the only one offered; the body of RTSP requests without one
 * hashes as empty); no qop (RFC 2069); opaque echoed; userhash=true;
 * charset=UTF-8 (user names outside printable ASCII then go as username*).
 * Of several challenges (in one header or several headers) the strongest
 * supported one is used: Digest SHA-512-256 > SHA-256 > MD5 > Basic, the
 * first one listed among equals.
 *
 * Retry policy (what gst_resilient_auth_challenge() answers):
 *  - a challenge to a request without credentials: resend;
 *  - stale=true: resend with the new nonce, not a failure;
 *  - a challenge to a request that carried our credentials, not stale and
 *    of the same kind (scheme, algorithm, realm) as the one used: the
 *    credentials are wrong — no resend; except for Digest credentials that
 *    were accepted before (gst_resilient_auth_accepted()) and a challenge
 *    with a new nonce: servers that expire nonces without stale=true are
 *    common, so that is taken as stale (once per nonce);
 *  - at most 3 challenges in a row without an accepted answer in between
 *    (gst_resilient_auth_accepted()), whatever they say.
 *
 * Basic credentials are sent before any challenge only after a Basic
 * challenge was seen on the same origin (gst_resilient_auth_reset()); Digest
 * state (nonce, counter) never outlives a connection, because servers such as
 * gst-rtsp-server bind nonces to the connection.
 *
 * Hostile challenges are bounded: parameter values over 1024 bytes, more
 * than 32 parameters, unterminated quoted strings, control characters,
 * unknown algorithms or qop values, or a Digest challenge without realm or
 * nonce make that challenge (and, when the header cannot be read on, the
 * rest of the header) ignored; at most 16 challenges are considered.
 *
 * Nothing here logs or puts into a GError a password, a user name, a hash
 * or an Authorization value; the password copy is wiped on free.
 *
 * Not thread-safe: one owner (the session, on the I/O thread).
 */
#pragma once

#include <gst/gst.h>
#include <gst/rtsp/rtsp.h>

G_BEGIN_DECLS

typedef struct _GstResilientAuth GstResilientAuth;

typedef enum
{
  GST_RESILIENT_AUTH_SCHEME_BASIC = 1,
  GST_RESILIENT_AUTH_SCHEME_DIGEST,
} GstResilientAuthScheme;

typedef enum
{
  GST_RESILIENT_DIGEST_MD5,
  GST_RESILIENT_DIGEST_SHA256,
  GST_RESILIENT_DIGEST_SHA512_256,
} GstResilientDigestAlgorithm;

/* One supported, well-formed challenge, as parsed. */
typedef struct
{
  GstResilientAuthScheme scheme;
  /* Digest only below, except realm (Basic's is optional) */
  GstResilientDigestAlgorithm algorithm;
  gboolean sess;                /* the -sess variant */
  gboolean algorithm_given;     /* the challenge named the algorithm */
  gchar *realm;                 /* unescaped; NULL when absent (Basic) */
  gchar *nonce;
  gchar *opaque;                /* NULL when absent */
  gboolean qop_auth;            /* qop options offered */
  gboolean qop_auth_int;
  gboolean stale;
  gboolean userhash;
  gboolean charset_utf8;
} GstResilientAuthChallenge;

/* The maximum length of any challenge parameter value, in bytes. */
#define GST_RESILIENT_AUTH_MAX_VALUE 1024
/* At most this many challenges in a row without an accepted answer. */
#define GST_RESILIENT_AUTH_MAX_ROUNDS 3

/**
 * gst_resilient_auth_parse_challenges:
 * @value: one WWW-Authenticate or Proxy-Authenticate header value
 *   (RFC 7235 §4.1: one or more challenges separated by commas)
 * @challenges: (element-type GstResilientAuthChallenge): where the supported
 *   challenges are appended, in header order; its free func must be
 *   gst_resilient_auth_challenge_free
 * @skipped: (nullable): when not NULL, a short description of each challenge
 *   that was ignored and why is appended ("Negotiate: unsupported scheme");
 *   scheme names are cut to 32 characters, values never copied
 *
 * Pure parsing. Never fails as a whole: what cannot be used is ignored.
 * Returns how many challenges were appended.
 */
G_GNUC_INTERNAL guint gst_resilient_auth_parse_challenges (const gchar * value,
    GPtrArray * challenges, GString * skipped);

G_GNUC_INTERNAL void gst_resilient_auth_challenge_free (gpointer challenge);

/* "Basic", "Digest MD5", "Digest SHA-256-sess", … (static string) */
G_GNUC_INTERNAL const gchar *
gst_resilient_auth_challenge_describe (const GstResilientAuthChallenge * c);

/**
 * gst_resilient_auth_new:
 * @user: the user name (UTF-8), not NULL
 * @password: (nullable): the password; NULL is the empty password
 *
 * Copies both. No header is produced until a challenge was accepted.
 */
G_GNUC_INTERNAL GstResilientAuth *gst_resilient_auth_new (const gchar * user,
    const gchar * password);

/* Wipes the copies of the credentials and frees. */
G_GNUC_INTERNAL void gst_resilient_auth_free (GstResilientAuth * auth);

/* Whether @auth holds exactly these credentials (NULL password == ""). */
G_GNUC_INTERNAL gboolean gst_resilient_auth_has_credentials (GstResilientAuth *
    auth, const gchar * user, const gchar * password);

/**
 * gst_resilient_auth_reset:
 * @origin: where the next connection goes ("host:port", plus anything that
 *   tells servers apart, e.g. the scheme)
 *
 * For a new connection: forgets any Digest challenge (nonce, counter), the
 * round count and the last sent credentials. A Basic challenge is kept (and
 * Basic then sent pre-emptively) only when @origin is the same as at the
 * previous reset; otherwise everything is forgotten.
 */
G_GNUC_INTERNAL void gst_resilient_auth_reset (GstResilientAuth * auth,
    const gchar * origin);

/**
 * gst_resilient_auth_challenge:
 * @response: a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate) answer
 * @request: (nullable): the request it answers, to see whether it carried
 *   credentials (Authorization / Proxy-Authorization); when NULL, whether
 *   @auth produced a header since the last challenge is used instead
 *
 * Takes the strongest supported challenge and decides whether resending the
 * request with credentials makes sense (see the policy at the top). Returns
 * TRUE when it does: gst_resilient_auth_header() then gives the value for
 * the resent request. Returns FALSE with @error (GST_RESILIENT_ERROR_AUTH)
 * set otherwise; the message says why ("credentials rejected", "server
 * offers no authentication scheme we support: …", "… challenges in a row")
 * and never contains credentials.
 */
G_GNUC_INTERNAL gboolean gst_resilient_auth_challenge (GstResilientAuth * auth,
    GstRTSPMessage * response, GstRTSPMessage * request, GError ** error);

/* Same for header values given directly (NULL-terminated), e.g. the
 * Proxy-Authenticate values of an HTTP CONNECT answer. */
G_GNUC_INTERNAL gboolean gst_resilient_auth_challenge_values (GstResilientAuth *
    auth, const gchar * const *values, gboolean had_credentials,
    GError ** error);

/**
 * gst_resilient_auth_header:
 * @method: the request's method
 * @uri: the Request-URI exactly as on the request line
 * @body: (nullable): the request body (only used for qop=auth-int)
 *
 * The Authorization value for one request (g_free; it is a credential:
 * gst_resilient_auth_clear_string() wipes it), or NULL before any accepted
 * challenge. Each Digest value uses the next nonce count.
 */
G_GNUC_INTERNAL gchar *gst_resilient_auth_header (GstResilientAuth * auth,
    GstRTSPMethod method, const gchar * uri, const guint8 * body,
    gsize body_len);

/* Same with the method as text ("CONNECT" for an HTTP proxy). */
G_GNUC_INTERNAL gchar *gst_resilient_auth_header_for (GstResilientAuth * auth,
    const gchar * method, const gchar * uri, const guint8 * body,
    gsize body_len);

/* A request that carried credentials got an answer other than 401/407:
 * the round count starts again. */
G_GNUC_INTERNAL void gst_resilient_auth_accepted (GstResilientAuth * auth);

/* What the credentials are sent as now ("Digest SHA-256", "Basic"), or
 * NULL before any challenge. Safe to log. */
G_GNUC_INTERNAL const gchar *gst_resilient_auth_describe (GstResilientAuth *
    auth);

/* Wipes and frees a string that holds a credential (NULL is fine). */
G_GNUC_INTERNAL void gst_resilient_auth_clear_string (gchar * str);

/* For tests only: the cnonce to use instead of a random one (NULL: random
 * again). Takes effect at the next challenge. */
G_GNUC_INTERNAL void gst_resilient_auth_set_cnonce (GstResilientAuth * auth,
    const gchar * cnonce);

G_END_DECLS
