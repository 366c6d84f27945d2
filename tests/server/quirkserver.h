/* resilientrtsp test support
 * quirkserver.h: a scriptable MOCK RTSP server for faults a real server does
 * not produce (garbage, truncated headers, wrong CSeq, huge Content-Length,
 * silence, closing mid-request). It is not an RTSP implementation: it reads
 * requests, and answers each from a script. Runs on its own thread on
 * 127.0.0.1 with a kernel-chosen port.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _RrQuirkServer RrQuirkServer;

typedef enum
{
  RR_QUIRK_REPLY,               /* send the reply template (after substitution) */
  RR_QUIRK_REPLY_AND_CLOSE,     /* send it, then close the connection */
  RR_QUIRK_CLOSE,               /* close without answering */
  RR_QUIRK_SILENCE,             /* never answer, keep the connection open */
} RrQuirkAction;

/* A server whose defaults answer OPTIONS, DESCRIBE (one H.264 video m= line,
 * a=control:track1), SETUP (echoing the client's Transport, adding
 * server_port or keeping interleaved, Session: 1234;timeout=60), PLAY and
 * TEARDOWN with 200 OK and the request's CSeq. No media is sent.
 * Also by default: PAUSE, GET_PARAMETER and SET_PARAMETER get 200 OK with
 * the Session; any other method gets 501 Not Implemented. The DESCRIBE
 * reply carries Content-Base "rtsp://127.0.0.1:<port><path>/" (the path of
 * the request's URL), Content-Type application/sdp and an SDP for 320x240
 * H.264 (rtpmap 96 H264/90000, packetization-mode=1, sprop-parameter-sets).
 * Interleaved frames ('$') sent by the client are skipped; a request head
 * over 64 KiB or a Content-Length over 1 MiB closes the connection
 * (uncounted); a head without a request line is ignored. Connections are
 * handled concurrently, all on the server's one thread; every reply is
 * written in full before the next request is read (a client that does not
 * read stalls the server for at most 5 s, then is dropped).
 * Aborts the test when it cannot listen. */
RrQuirkServer *rr_quirk_server_new (void);
/* Same on @port (0: a free port); NULL with @error set on failure. */
RrQuirkServer *rr_quirk_server_new_full (guint port, GError ** error);
void rr_quirk_server_free (RrQuirkServer * server);
guint rr_quirk_server_get_port (RrQuirkServer * server);
gchar *rr_quirk_server_get_url (RrQuirkServer * server, const gchar * path);

/**
 * rr_quirk_server_set:
 * @method: "OPTIONS", "DESCRIBE", … ; the rule replaces the default for it.
 * @template: raw bytes to send (may be NULL for CLOSE/SILENCE; NULL with
 *   REPLY/REPLY_AND_CLOSE sends the default reply). Substitutions:
 *   "{cseq}" the request's CSeq, "{cseq+1}" that plus one, "{transport}" the
 *   request's Transport header value (each empty when the request has no
 *   such header), "{port}" the server's port, "{url}"
 *   "rtsp://127.0.0.1:<port><path>" of the request, "{sdp}" the default SDP
 *   and "{sdp-length}" its length in bytes. Sent exactly as given otherwise
 *   (no CRLF fixing), so malformed replies stay malformed.
 *
 * The rule stays until replaced or cleared and applies to every request of
 * @method on every connection. A request is counted (rr_quirk_server_count)
 * before its rule runs, also for CLOSE and SILENCE.
 */
void rr_quirk_server_set (RrQuirkServer * server, const gchar * method,
    RrQuirkAction action, const gchar * template_);

/* Back to the default answer for @method. */
void rr_quirk_server_clear (RrQuirkServer * server, const gchar * method);

/**
 * RrQuirkAuth:
 * Authentication the MOCK demands on a path. It is not gst-rtsp-server's:
 * the MOCK computes the expected Digest response itself (GChecksum, and
 * libcrypto for SHA-512/256) and checks every field of each Authorization it
 * gets; a request whose Authorization is missing or wrong is answered 401
 * with the challenges below (a fresh nonce each time), and counted.
 * @user, @password: the credentials it accepts
 * @realm: NULL → "quirk"
 * @offer: NULL-terminated list of the challenges a 401 offers, in order:
 *   "Basic", or a Digest algorithm ("MD5", "MD5-sess", "SHA-256",
 *   "SHA-256-sess", "SHA-512-256", "SHA-512-256-sess")
 * @one_header: all challenges in one WWW-Authenticate header (comma
 *   separated) instead of one header each
 * @accept: the only entry of @offer whose credentials are accepted
 * @qop: the qop of the Digest challenges: NULL (none, RFC 2069: the
 *   Authorization must then carry no qop/nc/cnonce), "auth", "auth-int" or
 *   "auth,auth-int". With qop, nc must grow with every request of a nonce.
 * @userhash: offer userhash=true and require username = H(user:realm)
 * @stale_every: when non-zero, a nonce expires after that many accepted
 *   requests: the next request with it gets 401 with stale=true and a new
 *   nonce (counted in stale, not in rejected)
 * @no_stale_flag: with @stale_every, the expired nonce's 401 omits
 *   stale=true (as many cameras do)
 */
typedef struct
{
  const gchar *user;
  const gchar *password;
  const gchar *realm;
  const gchar *const *offer;
  gboolean one_header;
  const gchar *accept;
  const gchar *qop;
  gboolean userhash;
  guint stale_every;
  gboolean no_stale_flag;
} RrQuirkAuth;

typedef struct
{
  guint challenged;             /* 401s to requests without Authorization */
  guint accepted;               /* requests whose Authorization was right */
  guint rejected;               /* 401s to a wrong Authorization */
  guint stale;                  /* 401s for an expired nonce */
} RrQuirkAuthCounts;

/* Demands @auth on every request whose path starts with @path_prefix (all
 * methods, OPTIONS too); NULL @auth removes it. Copies @auth. */
void rr_quirk_server_set_auth (RrQuirkServer * server,
    const gchar * path_prefix, const RrQuirkAuth * auth);
void rr_quirk_server_get_auth_counts (RrQuirkServer * server,
    RrQuirkAuthCounts * counts);
/* Why the last wrong Authorization was rejected (g_free), NULL if none was.
 * Never contains the credentials. */
gchar *rr_quirk_server_last_auth_error (RrQuirkServer * server);

/* Whether the Transport header of the last SETUP contains @text. */
gboolean rr_quirk_server_last_transport_has (RrQuirkServer * server,
    const gchar * text);

/* How many requests of @method were received. */
guint rr_quirk_server_count (RrQuirkServer * server, const gchar * method);
/* The timeout announced in SETUP's Session header, in seconds (0 → 60). */
void rr_quirk_server_set_session_timeout (RrQuirkServer * server,
    guint seconds);
/* Blocks until at least @count requests of @method were received or
 * @timeout_ms passed; returns the final count. */
guint rr_quirk_server_wait (RrQuirkServer * server, const gchar * method,
    guint count, guint timeout_ms);

G_END_DECLS
