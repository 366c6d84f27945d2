/* resilientrtsp tests
 * netfixture.h: real network components for the TLS and proxy tests, made
 * and started by the test itself:
 *  - certificates made by the openssl CLI in a temporary directory: a CA
 *    ("ca.pem"), a server certificate it signs for IP:127.0.0.1 and
 *    DNS:localhost ("server.pem"/"server.key"), one it signs for another
 *    name ("other.pem", key "server.key"), one it signs that expired the
 *    second it was made ("expired.pem", key "server.key"), and a self-signed
 *    one for the right names ("self.pem"/"self.key"); client certificates
 *    (extendedKeyUsage clientAuth): one the CA signs ("client.pem"/
 *    "client.key") and a self-signed one ("intruder.pem"/"intruder.key");
 *  - a fake Digest HTTP CONNECT proxy (a mock: no Debian proxy that a test
 *    can start does Digest), see RrDigestProxyConfig;
 *  - proxy processes (tinyproxy, microsocks) on free loopback ports, up
 *    when their port accepts connections, killed when the test process
 *    ends however it ends (PR_SET_PDEATHSIG, and an atexit handler for a
 *    failed assertion).
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Once per process, before the tests fork (an unchecked fixture): makes the
 * directory and the certificates. teardown removes it all. */
void rr_net_setup (void);
void rr_net_teardown (void);

/* The temporary directory (configurations and logs go there too). */
const gchar *rr_net_dir (void);
/* When the certificates were made (real time, µs). */
gint64 rr_net_certs_made_at (void);
/* A certificate with its key, or the CA as a GTlsDatabase; assert on
 * failure. */
GTlsCertificate *rr_net_load_certificate (const gchar * cert,
    const gchar * key);
GTlsDatabase *rr_net_load_ca_database (void);

/* A TCP port on 127.0.0.1 nobody listens on (bound, then closed). */
guint16 rr_net_free_port (void);

/* FALSE (and a "SKIP:" line on stderr) when @program is not installed. */
gboolean rr_net_have_program (const gchar * program);

typedef struct _RrProxyProcess RrProxyProcess;

/* tinyproxy allowing CONNECT to @connect_port only; BasicAuth when @user. */
RrProxyProcess *rr_net_tinyproxy_start (guint16 connect_port,
    const gchar * user, const gchar * password);
/* microsocks (SOCKS5); user/password authentication when @user. */
RrProxyProcess *rr_net_microsocks_start (const gchar * user,
    const gchar * password);
/* Not a proxy, but a process all the same: "openssl s_server -www" on a
 * free loopback port with server.pem, requiring a client certificate that
 * the test CA signed (-Verify 1 -verify_return_error -CAfile ca.pem) — an
 * OpenSSL TLS server, as most cameras run. */
RrProxyProcess *rr_net_openssl_server_start (void);
guint16 rr_net_proxy_get_port (RrProxyProcess * p);
void rr_net_proxy_stop (RrProxyProcess * p);

/* The fake Digest proxy: a MOCK (tinyproxy knows Basic only). Every CONNECT
 * without a right Digest answer gets "407" with a new nonce and
 *   Proxy-Authenticate: Digest realm=…, qop="auth", nonce=…,
 *       opaque="0pa9ue"[, algorithm=…][, stale=true]
 * and a 3000-byte body with its Content-Length. A right answer (computed
 * independently here with GChecksum: user, realm, nonce it issued and did
 * not expire, uri = the CONNECT target, qop=auth, method CONNECT) gets 200
 * and the connection is relayed to 127.0.0.1:target_port. */
typedef struct
{
  const gchar *user;
  const gchar *password;
  const gchar *realm;           /* NULL → "rr-fake" */
  /* "MD5" or "SHA-256", sent as algorithm=; NULL: MD5 without the
   * parameter (RFC 2617's default) */
  const gchar *algorithm;
  /* the 407s keep the connection open (no "Connection: close"); else
   * they say close and do */
  gboolean keep_alive;
  /* with keep_alive: close after each 407 anyway, without saying so */
  gboolean close_silently;
  /* the first stale_count right answers still get a 407: their nonce is
   * declared stale (stale=true, a new nonce) and no longer accepted */
  guint stale_count;
  /* a "Proxy-Authenticate: Basic" header before the Digest one; right Basic
   * credentials are then accepted too */
  gboolean also_basic;
  /* Basic only: no Digest challenge, right Basic credentials accepted */
  gboolean basic_only;
  guint16 target_port;
} RrDigestProxyConfig;

typedef struct _RrDigestProxy RrDigestProxy;

RrDigestProxy *rr_net_digest_proxy_start (const RrDigestProxyConfig * config);
guint16 rr_net_digest_proxy_get_port (RrDigestProxy * dp);
/* What every CONNECT carried and got, in order, space-separated:
 * "<connection>:<credentials>:<status>", credentials one of none, digest
 * (right), digest-bad(<what was wrong>), basic (right), basic-bad,
 * basic-unasked (Basic where it was not offered), unasked (any other);
 * e.g. "1:none:407 1:digest:200". Recorded before the answer is sent. */
gchar *rr_net_digest_proxy_get_log (RrDigestProxy * dp);
/* Cancels every connection, joins the threads, frees. */
void rr_net_digest_proxy_stop (RrDigestProxy * dp);

G_END_DECLS
