/* resilientrtsp tests
 * netfixture.h: real network components for the TLS and proxy tests, made
 * and started by the test itself:
 *  - certificates made by the openssl CLI in a temporary directory: a CA
 *    ("ca.pem"), a server certificate it signs for IP:127.0.0.1 and
 *    DNS:localhost ("server.pem"/"server.key"), one it signs for another
 *    name ("other.pem", key "server.key"), one it signs that expired the
 *    second it was made ("expired.pem", key "server.key"), and a self-signed
 *    one for the right names ("self.pem"/"self.key");
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
guint16 rr_net_proxy_get_port (RrProxyProcess * p);
void rr_net_proxy_stop (RrProxyProcess * p);

G_END_DECLS
