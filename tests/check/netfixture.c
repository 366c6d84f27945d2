/* resilientrtsp tests
 * netfixture.c: certificates (openssl CLI) and proxy processes for the TLS
 * and proxy tests. See netfixture.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "netfixture.h"

#include <string.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <glib/gstdio.h>

#include <gst/check/gstcheck.h>

static gchar *tmpdir;           /* certificates, configs, logs */
static gboolean certs_ok;
static gint64 certs_made_at;

/* ---- certificates (openssl CLI, once per run) ---- */

static const gchar openssl_cnf[] =
    "[req]\n"
    "distinguished_name = dn\n"
    "prompt = no\n"
    "[dn]\n"
    "CN = resilientrtsp test\n"
    "[v3_ca]\n"
    "basicConstraints = critical,CA:TRUE\n"
    "keyUsage = critical,keyCertSign,cRLSign\n"
    "subjectKeyIdentifier = hash\n"
    "[v3_server]\n"
    "basicConstraints = CA:FALSE\n"
    "keyUsage = critical,digitalSignature\n"
    "extendedKeyUsage = serverAuth\n"
    "subjectAltName = IP:127.0.0.1,DNS:localhost\n"
    "[v3_other]\n"
    "basicConstraints = CA:FALSE\n"
    "keyUsage = critical,digitalSignature\n"
    "extendedKeyUsage = serverAuth\n" "subjectAltName = DNS:other.invalid\n"
    "[v3_client]\n"
    "basicConstraints = CA:FALSE\n"
    "keyUsage = critical,digitalSignature\n" "extendedKeyUsage = clientAuth\n";

static gchar *
tmp_path (const gchar * name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static gboolean
run_openssl (const gchar * args)
{
  gchar *cmd = g_strdup_printf ("openssl %s", args);
  gchar **argv = NULL, *err_out = NULL;
  gint status = -1;
  GError *error = NULL;
  gboolean ok;

  ok = g_shell_parse_argv (cmd, NULL, &argv, NULL) &&
      g_spawn_sync (tmpdir, argv, NULL, G_SPAWN_SEARCH_PATH |
      G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err_out, &status, &error)
      && g_spawn_check_wait_status (status, NULL);
  if (!ok)
    g_printerr ("openssl %s failed: %s %s\n", args,
        error ? error->message : "", err_out ? err_out : "");
  g_clear_error (&error);
  g_free (err_out);
  g_strfreev (argv);
  g_free (cmd);
  return ok;
}

#define NEWKEY "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"

static void
make_certificates (void)
{
  gchar *cnf = tmp_path ("openssl.cnf");

  g_file_set_contents (cnf, openssl_cnf, -1, NULL);
  g_free (cnf);
  certs_ok =
      /* a CA, and server certificates it signs */
      run_openssl ("req -x509 -new " NEWKEY " -keyout ca.key -out ca.pem "
      "-days 3 -subj /CN=resilientrtsp-test-CA -config openssl.cnf "
      "-extensions v3_ca")
      && run_openssl ("req -new " NEWKEY " -keyout server.key "
      "-out server.csr -subj /CN=127.0.0.1 -config openssl.cnf")
      && run_openssl ("x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
      "-set_serial 2 -days 3 -out server.pem -extfile openssl.cnf "
      "-extensions v3_server")
      /* signed by the CA, for another name */
      && run_openssl ("x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
      "-set_serial 3 -days 3 -out other.pem -extfile openssl.cnf "
      "-extensions v3_other")
      /* signed by the CA, valid until now (expired a second later) */
      && run_openssl ("x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
      "-set_serial 4 -days 0 -out expired.pem -extfile openssl.cnf "
      "-extensions v3_server")
      /* self-signed, for the right name */
      && run_openssl ("req -x509 -new " NEWKEY " -keyout self.key "
      "-out self.pem -days 3 -subj /CN=127.0.0.1 -config openssl.cnf "
      "-extensions v3_server")
      /* a client certificate the CA signs, and a self-signed one */
      && run_openssl ("req -new " NEWKEY " -keyout client.key "
      "-out client.csr -subj /CN=resilientrtsp-test-client -config "
      "openssl.cnf")
      && run_openssl ("x509 -req -in client.csr -CA ca.pem -CAkey ca.key "
      "-set_serial 5 -days 3 -out client.pem -extfile openssl.cnf "
      "-extensions v3_client")
      && run_openssl ("req -x509 -new " NEWKEY " -keyout intruder.key "
      "-out intruder.pem -days 3 -subj /CN=resilientrtsp-test-intruder "
      "-config openssl.cnf -extensions v3_client");
  certs_made_at = g_get_real_time ();
}

void
rr_net_setup (void)
{
  tmpdir = g_dir_make_tmp ("resilientrtsp-net-XXXXXX", NULL);
  g_assert (tmpdir != NULL);
  make_certificates ();
}

void
rr_net_teardown (void)
{
  GDir *dir = g_dir_open (tmpdir, 0, NULL);
  const gchar *name;

  while (dir && (name = g_dir_read_name (dir))) {
    gchar *path = tmp_path (name);

    g_unlink (path);
    g_free (path);
  }
  if (dir)
    g_dir_close (dir);
  g_rmdir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

const gchar *
rr_net_dir (void)
{
  return tmpdir;
}

gint64
rr_net_certs_made_at (void)
{
  return certs_made_at;
}

GTlsCertificate *
rr_net_load_certificate (const gchar * cert, const gchar * key)
{
  gchar *cert_path, *key_path;
  GTlsCertificate *c;
  GError *err = NULL;

  fail_unless (certs_ok, "the certificates could not be made (openssl)");
  cert_path = tmp_path (cert);
  key_path = tmp_path (key);
  c = g_tls_certificate_new_from_files (cert_path, key_path, &err);
  fail_unless (c != NULL, "%s", err ? err->message : "");
  g_free (cert_path);
  g_free (key_path);
  return c;
}

GTlsDatabase *
rr_net_load_ca_database (void)
{
  gchar *path;
  GTlsDatabase *db;
  GError *err = NULL;

  fail_unless (certs_ok, "the certificates could not be made (openssl)");
  path = tmp_path ("ca.pem");
  db = g_tls_file_database_new (path, &err);
  fail_unless (db != NULL, "%s", err ? err->message : "");
  g_free (path);
  return db;
}

guint16
rr_net_free_port (void)
{
  GSocket *sock;
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0), *local;
  GError *err = NULL;
  guint16 port;

  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, &err);
  fail_unless (sock != NULL, "%s", err ? err->message : "");
  fail_unless (g_socket_bind (sock, addr, TRUE, &err), "%s",
      err ? err->message : "");
  local = g_socket_get_local_address (sock, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  g_socket_close (sock, NULL);
  g_object_unref (sock);
  g_object_unref (local);
  g_object_unref (addr);
  g_object_unref (lo);
  return port;
}

/* ---- proxy processes (tinyproxy, microsocks) ---- */

#define MAX_PROCS 8
static GPid proc_pids[MAX_PROCS];       /* killed at exit, even on failure */

struct _RrProxyProcess
{
  GSubprocess *proc;
  gint slot;
  guint16 port;
  gchar *log_path;
};

static void
kill_procs_at_exit (void)
{
  guint i;

  for (i = 0; i < MAX_PROCS; i++) {
    if (proc_pids[i] > 0)
      kill (proc_pids[i], SIGKILL);
  }
}

static void
child_setup (gpointer user_data)
{
  /* dies with the test process, whatever ends it */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static gboolean
port_accepts (guint16 port)
{
  GSocketClient *client = g_socket_client_new ();
  GSocketConnection *conn;

  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, 2);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL,
      NULL);
  g_object_unref (client);
  if (conn == NULL)
    return FALSE;
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  g_object_unref (conn);
  return TRUE;
}

static void
print_log (const gchar * path)
{
  gchar *log = NULL;

  if (g_file_get_contents (path, &log, NULL, NULL))
    g_printerr ("---- %s ----\n%s\n----\n", path, log);
  g_free (log);
}

/* Spawns @args on a free port — "PORT" in them is replaced by the port,
 * "LOOPBACK:PORT" by 127.0.0.1:port,
 * "CONFIG" by the path of "<name>-<port>.conf", written from @config_fmt
 * (printf-style; "Port <port>" goes first) when not NULL — and waits until
 * the port accepts connections. A process that exits first (the port was
 * taken) is retried on another port. */
static RrProxyProcess *
proxy_process_start (const gchar * name, const gchar * const *args,
    const gchar * config_fmt, ...)
{
  static gboolean atexit_done = FALSE;
  RrProxyProcess *p = g_new0 (RrProxyProcess, 1);
  guint attempt;

  fail_unless (tmpdir != NULL, "rr_net_setup() was not called");
  if (!atexit_done) {
    atexit (kill_procs_at_exit);
    atexit_done = TRUE;
  }

  for (p->slot = 0; p->slot < MAX_PROCS && proc_pids[p->slot] > 0; p->slot++);
  fail_unless (p->slot < MAX_PROCS);

  for (attempt = 0; attempt < 5; attempt++) {
    GSubprocessLauncher *launcher;
    GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
    gchar *port_str, *conf_path = NULL, *base;
    GError *err = NULL;
    gint i;
    gint64 end;

    p->port = rr_net_free_port ();
    port_str = g_strdup_printf ("%u", p->port);
    base = g_strdup_printf ("%s-%u", name, p->port);
    conf_path = g_strdup_printf ("%s/%s.conf", tmpdir, base);
    g_free (p->log_path);
    p->log_path = g_strdup_printf ("%s/%s.log", tmpdir, base);
    g_free (base);
    if (config_fmt) {
      va_list va;
      gchar *config, *body;

      va_start (va, config_fmt);
      body = g_strdup_vprintf (config_fmt, va);
      va_end (va);
      config = g_strdup_printf ("Port %u\n%s", p->port, body);
      fail_unless (g_file_set_contents (conf_path, config, -1, NULL));
      g_free (config);
      g_free (body);
    }
    for (i = 0; args[i]; i++) {
      if (strcmp (args[i], "PORT") == 0)
        g_ptr_array_add (argv, g_strdup (port_str));
      else if (strcmp (args[i], "LOOPBACK:PORT") == 0)
        g_ptr_array_add (argv, g_strdup_printf ("127.0.0.1:%s", port_str));
      else if (strcmp (args[i], "CONFIG") == 0)
        g_ptr_array_add (argv, g_strdup (conf_path));
      else
        g_ptr_array_add (argv, g_strdup (args[i]));
    }
    g_ptr_array_add (argv, NULL);

    launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE);
    g_subprocess_launcher_set_stdout_file_path (launcher, p->log_path);
    g_subprocess_launcher_set_stderr_file_path (launcher, p->log_path);
    g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
    p->proc = g_subprocess_launcher_spawnv (launcher,
        (const gchar * const *) argv->pdata, &err);
    g_object_unref (launcher);
    g_ptr_array_unref (argv);
    g_free (port_str);
    g_free (conf_path);
    fail_unless (p->proc != NULL, "cannot start %s: %s", name,
        err ? err->message : "");
    proc_pids[p->slot] = atoi (g_subprocess_get_identifier (p->proc));

    /* up when the port accepts; gone (e.g. port taken) when it exited */
    end = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
    while (g_get_monotonic_time () < end &&
        g_subprocess_get_identifier (p->proc) != NULL &&
        !port_accepts (p->port))
      g_usleep (20 * 1000);
    if (g_subprocess_get_identifier (p->proc) != NULL && port_accepts (p->port))
      return p;

    g_printerr ("%s did not start on port %u (attempt %u)\n", name, p->port,
        attempt + 1);
    print_log (p->log_path);
    g_subprocess_force_exit (p->proc);
    g_subprocess_wait (p->proc, NULL, NULL);
    proc_pids[p->slot] = 0;
    g_clear_object (&p->proc);
  }
  fail ("%s would not start", name);
  return NULL;
}

guint16
rr_net_proxy_get_port (RrProxyProcess * p)
{
  return p->port;
}

void
rr_net_proxy_stop (RrProxyProcess * p)
{
  if (p->proc) {
    g_subprocess_force_exit (p->proc);
    g_subprocess_wait (p->proc, NULL, NULL);
    g_object_unref (p->proc);
  }
  proc_pids[p->slot] = 0;
  g_free (p->log_path);
  g_free (p);
}

gboolean
rr_net_have_program (const gchar * program)
{
  gchar *path = g_find_program_in_path (program);

  if (path == NULL) {
    g_printerr ("SKIP: %s is not installed (scripts/install-deps.sh installs "
        "it); the test that needs it is skipped\n", program);
    return FALSE;
  }
  g_free (path);
  return TRUE;
}

static const gchar tinyproxy_conf[] =
    "Listen 127.0.0.1\n"
    "Timeout 60\n"
    "MaxClients 16\n"
    "LogLevel Info\n"
    "Allow 127.0.0.1\n" "DisableViaHeader Yes\n" "ConnectPort %u\n" "%s";

RrProxyProcess *
rr_net_tinyproxy_start (guint16 connect_port, const gchar * user,
    const gchar * password)
{
  static const gchar *const args[] = { "tinyproxy", "-d", "-c", "CONFIG",
    NULL
  };
  gchar *auth = user ? g_strdup_printf ("BasicAuth %s %s\n", user, password) :
      g_strdup ("");
  RrProxyProcess *p;

  /* -d: stays in the foreground, our child */
  p = proxy_process_start ("tinyproxy", args, tinyproxy_conf, connect_port,
      auth);
  g_free (auth);
  return p;
}

RrProxyProcess *
rr_net_openssl_server_start (void)
{
  gchar *cert = tmp_path ("server.pem"), *key = tmp_path ("server.key");
  gchar *ca = tmp_path ("ca.pem");
  const gchar *args[] = { "openssl", "s_server", "-accept", "LOOPBACK:PORT",
    "-www", "-cert", cert, "-key", key, "-Verify", "1",
    "-verify_return_error", "-CAfile", ca, NULL
  };
  RrProxyProcess *p;

  fail_unless (certs_ok, "the certificates could not be made (openssl)");
  p = proxy_process_start ("openssl-s_server", args, NULL);
  g_free (cert);
  g_free (key);
  g_free (ca);
  return p;
}

RrProxyProcess *
rr_net_microsocks_start (const gchar * user, const gchar * password)
{
  const gchar *plain[] = { "microsocks", "-i", "127.0.0.1", "-p", "PORT",
    NULL
  };
  const gchar *with_auth[] = { "microsocks", "-i", "127.0.0.1", "-p", "PORT",
    "-u", user, "-P", password, NULL
  };

  return proxy_process_start ("microsocks", user ? with_auth : plain, NULL);
}

/* ---- a fake Digest HTTP CONNECT proxy ----
 *
 * A MOCK, for what no proxy packaged in Debian does: tinyproxy knows Basic
 * only, and squid (which knows Digest) is too heavy to start per test. It
 * speaks just enough HTTP for CONNECT: it challenges with Digest (RFC 7616,
 * qop=auth), checks the client's answer by computing it here with
 * GChecksum — independently of the code under test — and relays granted
 * connections to 127.0.0.1:target_port. One thread per client; blocking
 * sockets, all cancelled at stop. */

#define DIGEST_PROXY_BODY_LEN 3000      /* > the connector's 1 KiB reads */

struct _RrDigestProxy
{
  RrDigestProxyConfig config;   /* strings owned */
  GSocket *listener;
  guint16 port;
  GCancellable *cancel;
  GThread *thread;

  GMutex lock;
  GPtrArray *threads;           /* lock: connection threads, joined at stop */
  GHashTable *nonces;           /* lock: issued nonce → "valid"/"stale" */
  guint stale_sent;             /* lock: stale 407s so far */
  GString *log;                 /* lock */
  guint connections;            /* lock */
};

typedef struct
{
  RrDigestProxy *proxy;
  GSocket *sock;
  guint number;                 /* 1, 2, … in accept order */
} DigestProxyConn;

static gboolean
dp_send_all (GSocket * sock, const gchar * data, gsize len,
    GCancellable * cancel)
{
  while (len > 0) {
    gssize n = g_socket_send (sock, data, len, cancel, NULL);

    if (n <= 0)
      return FALSE;
    data += n;
    len -= n;
  }
  return TRUE;
}

/* One request head ("…\r\n\r\n"), byte by byte (nothing of what follows is
 * taken); NULL at EOF, on error or beyond 16 KiB. */
static gchar *
dp_read_head (GSocket * sock, GCancellable * cancel)
{
  GString *s = g_string_new (NULL);

  while (s->len < 16384) {
    gchar c;

    if (g_socket_receive (sock, &c, 1, cancel, NULL) <= 0)
      break;
    g_string_append_c (s, c);
    if (g_str_has_suffix (s->str, "\r\n\r\n"))
      return g_string_free (s, FALSE);
  }
  g_string_free (s, TRUE);
  return NULL;
}

/* H(a:b:…) in lower-case hex, NULL-terminated list. */
static gchar *
dp_hash (GChecksumType type, const gchar * first, ...)
{
  GChecksum *sum = g_checksum_new (type);
  const gchar *part = first;
  gchar *hex;
  va_list va;

  va_start (va, first);
  while (part) {
    if (part != first)
      g_checksum_update (sum, (const guchar *) ":", 1);
    g_checksum_update (sum, (const guchar *) part, strlen (part));
    part = va_arg (va, const gchar *);
  }
  va_end (va);
  hex = g_strdup (g_checksum_get_string (sum));
  g_checksum_free (sum);
  return hex;
}

/* name=token / name="quoted" pairs, comma-separated → table (names lower
 * case). NULL when malformed. */
static GHashTable *
dp_parse_params (const gchar * p)
{
  GHashTable *t = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);

  while (*p) {
    const gchar *name = p;
    GString *value = g_string_new (NULL);
    gchar *key;

    while (*p && *p != '=' && *p != ',' && *p != ' ')
      p++;
    if (*p != '=' || p == name) {
      g_string_free (value, TRUE);
      goto bad;
    }
    key = g_ascii_strdown (name, p - name);
    p++;
    if (*p == '"') {
      for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1])
          p++;
        g_string_append_c (value, *p);
      }
      if (*p != '"') {
        g_free (key);
        g_string_free (value, TRUE);
        goto bad;
      }
      p++;
    } else {
      while (*p && *p != ',' && *p != ' ')
        g_string_append_c (value, *p++);
    }
    g_hash_table_replace (t, key, g_string_free (value, FALSE));
    while (*p == ' ' || *p == ',')
      p++;
  }
  return t;

bad:
  g_hash_table_unref (t);
  return NULL;
}

static const gchar *
dp_realm (RrDigestProxy * dp)
{
  return dp->config.realm ? dp->config.realm : "rr-fake";
}

/* Checks a Digest answer for the CONNECT to @target: NULL when right, else
 * which part is wrong (static). */
static const gchar *
dp_check_digest (RrDigestProxy * dp, const gchar * credentials,
    const gchar * target, gchar ** nonce_out)
{
  GChecksumType type = G_CHECKSUM_MD5;
  GHashTable *t = dp_parse_params (credentials);
  const gchar *why = NULL, *state;
  gchar *ha1, *ha2, *expected;
  const gchar *alg;

  if (t == NULL)
    return "syntax";
  alg = g_hash_table_lookup (t, "algorithm");
  if (dp->config.algorithm && g_ascii_strcasecmp (dp->config.algorithm,
          "SHA-256") == 0)
    type = G_CHECKSUM_SHA256;
  if (g_strcmp0 (alg, dp->config.algorithm) != 0) {
    why = "algorithm";
    goto done;
  }
  if (g_strcmp0 (g_hash_table_lookup (t, "username"), dp->config.user) != 0) {
    why = "username";
    goto done;
  }
  if (g_strcmp0 (g_hash_table_lookup (t, "realm"), dp_realm (dp)) != 0) {
    why = "realm";
    goto done;
  }
  if (g_strcmp0 (g_hash_table_lookup (t, "uri"), target) != 0) {
    why = "uri";
    goto done;
  }
  if (g_strcmp0 (g_hash_table_lookup (t, "qop"), "auth") != 0 ||
      g_hash_table_lookup (t, "nc") == NULL ||
      g_hash_table_lookup (t, "cnonce") == NULL ||
      g_strcmp0 (g_hash_table_lookup (t, "opaque"), "0pa9ue") != 0) {
    why = "qop";
    goto done;
  }
  g_mutex_lock (&dp->lock);
  state = g_hash_table_lookup (dp->nonces, g_hash_table_lookup (t, "nonce") ?
      g_hash_table_lookup (t, "nonce") : "");
  g_mutex_unlock (&dp->lock);
  if (g_strcmp0 (state, "valid") != 0) {
    why = "nonce";
    goto done;
  }
  /* RFC 7616 §3.4.1: H(H(A1):nonce:nc:cnonce:qop:H(A2)) */
  ha1 = dp_hash (type, dp->config.user, dp_realm (dp), dp->config.password,
      NULL);
  ha2 = dp_hash (type, "CONNECT", target, NULL);
  expected = dp_hash (type, ha1, (gchar *) g_hash_table_lookup (t, "nonce"),
      (gchar *) g_hash_table_lookup (t, "nc"),
      (gchar *) g_hash_table_lookup (t, "cnonce"), "auth", ha2, NULL);
  if (g_strcmp0 (g_hash_table_lookup (t, "response"), expected) != 0)
    why = "response";
  else
    *nonce_out = g_strdup (g_hash_table_lookup (t, "nonce"));
  g_free (ha1);
  g_free (ha2);
  g_free (expected);

done:
  g_hash_table_unref (t);
  return why;
}

static void
dp_log (RrDigestProxy * dp, guint conn, const gchar * credentials, guint status)
{
  g_mutex_lock (&dp->lock);
  g_string_append_printf (dp->log, "%s%u:%s:%u", dp->log->len ? " " : "",
      conn, credentials, status);
  g_mutex_unlock (&dp->lock);
}

/* Sends the 407 with a new nonce; FALSE when the connection is to close. */
static gboolean
dp_challenge (RrDigestProxy * dp, GSocket * sock, gboolean stale)
{
  gchar *nonce = g_strdup_printf ("%08x%08x%08x", g_random_int (),
      g_random_int (), g_random_int ());
  gchar *body = g_strnfill (DIGEST_PROXY_BODY_LEN, 'x');
  GString *a = g_string_new ("HTTP/1.1 407 Proxy Authentication Required\r\n");
  gboolean ok;

  g_mutex_lock (&dp->lock);
  g_hash_table_insert (dp->nonces, g_strdup (nonce), (gpointer) "valid");
  g_mutex_unlock (&dp->lock);

  if (dp->config.also_basic || dp->config.basic_only)
    g_string_append_printf (a, "Proxy-Authenticate: Basic realm=\"%s\"\r\n",
        dp_realm (dp));
  if (!dp->config.basic_only)
    g_string_append_printf (a, "Proxy-Authenticate: Digest realm=\"%s\", "
        "qop=\"auth\", nonce=\"%s\", opaque=\"0pa9ue\"%s%s%s\r\n",
        dp_realm (dp), nonce, dp->config.algorithm ? ", algorithm=" : "",
        dp->config.algorithm ? dp->config.algorithm : "",
        stale ? ", stale=true" : "");
  if (!dp->config.keep_alive)
    g_string_append (a, "Connection: close\r\n");
  g_string_append_printf (a, "Content-Type: text/plain\r\nContent-Length: %u"
      "\r\n\r\n%s", DIGEST_PROXY_BODY_LEN, body);
  ok = dp_send_all (sock, a->str, a->len, dp->cancel);
  g_string_free (a, TRUE);
  g_free (body);
  g_free (nonce);
  return ok && dp->config.keep_alive && !dp->config.close_silently;
}

typedef struct
{
  GSocket *from, *to;
  GCancellable *cancel;
} DpPipe;

static gpointer
dp_pipe (gpointer user_data)
{
  DpPipe *p = user_data;
  gchar buf[16384];
  gssize n;

  while ((n = g_socket_receive (p->from, buf, sizeof (buf), p->cancel,
              NULL)) > 0) {
    if (!dp_send_all (p->to, buf, n, p->cancel))
      break;
  }
  /* the other direction ends too */
  g_socket_shutdown (p->from, TRUE, TRUE, NULL);
  g_socket_shutdown (p->to, TRUE, TRUE, NULL);
  return NULL;
}

/* Relays between the client and 127.0.0.1:target_port until either ends. */
static void
dp_relay (RrDigestProxy * dp, GSocket * client)
{
  GSocketClient *sc = g_socket_client_new ();
  GSocketConnection *conn;
  DpPipe up, down;
  GThread *t;

  g_socket_client_set_enable_proxy (sc, FALSE);
  conn = g_socket_client_connect_to_host (sc, "127.0.0.1",
      dp->config.target_port, dp->cancel, NULL);
  g_object_unref (sc);
  if (conn == NULL)
    return;
  up.from = client;
  up.to = g_socket_connection_get_socket (conn);
  up.cancel = dp->cancel;
  down.from = up.to;
  down.to = client;
  down.cancel = dp->cancel;
  t = g_thread_new ("digest-proxy-down", dp_pipe, &down);
  dp_pipe (&up);
  g_thread_join (t);
  g_object_unref (conn);
}

/* Basic user:password right? */
static gboolean
dp_check_basic (RrDigestProxy * dp, const gchar * b64)
{
  gchar *want = g_strdup_printf ("%s:%s", dp->config.user,
      dp->config.password);
  gsize len = 0;
  guchar *got = g_base64_decode (b64, &len);
  gboolean right = len == strlen (want) && memcmp (got, want, len) == 0;

  g_free (got);
  g_free (want);
  return right;
}

/* 200, then the relay. */
static void
dp_grant (RrDigestProxy * dp, GSocket * sock)
{
  static const gchar ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";

  if (dp_send_all (sock, ok, strlen (ok), dp->cancel))
    dp_relay (dp, sock);
}

static gpointer
dp_conn_thread (gpointer user_data)
{
  DigestProxyConn *c = user_data;
  RrDigestProxy *dp = c->proxy;
  gchar *head;

  while ((head = dp_read_head (c->sock, dp->cancel)) != NULL) {
    gchar **lines = g_strsplit (head, "\r\n", -1);
    gchar **req = g_strsplit (lines[0], " ", 3);
    const gchar *credentials = NULL;
    const gchar *why;
    gchar *nonce = NULL, *what;
    gboolean go_on, stale = FALSE;
    guint i;

    for (i = 1; lines[i]; i++) {
      if (g_ascii_strncasecmp (lines[i], "Proxy-Authorization:", 20) == 0) {
        credentials = lines[i] + 20;
        while (*credentials == ' ')
          credentials++;
      }
    }
    if (g_strv_length (req) != 3 || strcmp (req[0], "CONNECT") != 0) {
      static const gchar bad[] = "HTTP/1.1 400 Bad Request\r\n\r\n";

      dp_log (dp, c->number, "not-connect", 400);
      dp_send_all (c->sock, bad, strlen (bad), dp->cancel);
      go_on = FALSE;
    } else if (credentials == NULL) {
      dp_log (dp, c->number, "none", 407);
      go_on = dp_challenge (dp, c->sock, FALSE);
    } else if (g_ascii_strncasecmp (credentials, "Basic ", 6) == 0) {
      if (!dp->config.basic_only && !dp->config.also_basic) {
        dp_log (dp, c->number, "basic-unasked", 407);
        go_on = dp_challenge (dp, c->sock, FALSE);
      } else if (!dp_check_basic (dp, credentials + 6)) {
        dp_log (dp, c->number, "basic-bad", 407);
        go_on = dp_challenge (dp, c->sock, FALSE);
      } else {
        dp_log (dp, c->number, "basic", 200);
        dp_grant (dp, c->sock);
        go_on = FALSE;
      }
    } else if (g_ascii_strncasecmp (credentials, "Digest ", 7) != 0 ||
        dp->config.basic_only) {
      dp_log (dp, c->number, "unasked", 407);
      go_on = dp_challenge (dp, c->sock, FALSE);
    } else if ((why = dp_check_digest (dp, credentials + 7, req[1],
                &nonce)) != NULL) {
      what = g_strdup_printf ("digest-bad(%s)", why);
      dp_log (dp, c->number, what, 407);
      g_free (what);
      go_on = dp_challenge (dp, c->sock, FALSE);
    } else {
      g_mutex_lock (&dp->lock);
      if (dp->stale_sent < dp->config.stale_count) {
        /* a right answer, but its nonce has just expired */
        g_hash_table_insert (dp->nonces, g_strdup (nonce), (gpointer) "stale");
        dp->stale_sent++;
        stale = TRUE;
      }
      g_mutex_unlock (&dp->lock);
      dp_log (dp, c->number, "digest", stale ? 407 : 200);
      if (stale) {
        go_on = dp_challenge (dp, c->sock, TRUE);
      } else {
        dp_grant (dp, c->sock);
        go_on = FALSE;
      }
    }
    g_free (nonce);
    g_strfreev (req);
    g_strfreev (lines);
    g_free (head);
    if (!go_on)
      break;
  }
  g_socket_close (c->sock, NULL);
  g_object_unref (c->sock);
  g_free (c);
  return NULL;
}

static gpointer
dp_accept_thread (gpointer user_data)
{
  RrDigestProxy *dp = user_data;
  GSocket *sock;

  while ((sock = g_socket_accept (dp->listener, dp->cancel, NULL)) != NULL) {
    DigestProxyConn *c = g_new0 (DigestProxyConn, 1);

    g_socket_set_blocking (sock, TRUE);
    c->proxy = dp;
    c->sock = sock;
    g_mutex_lock (&dp->lock);
    c->number = ++dp->connections;
    g_ptr_array_add (dp->threads, g_thread_new ("digest-proxy-conn",
            dp_conn_thread, c));
    g_mutex_unlock (&dp->lock);
  }
  return NULL;
}

RrDigestProxy *
rr_net_digest_proxy_start (const RrDigestProxyConfig * config)
{
  RrDigestProxy *dp = g_new0 (RrDigestProxy, 1);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0), *local;
  GError *err = NULL;

  g_return_val_if_fail (config->user != NULL, NULL);

  dp->config = *config;
  dp->config.user = g_strdup (config->user);
  dp->config.password = g_strdup (config->password ? config->password : "");
  dp->config.realm = g_strdup (config->realm);
  dp->config.algorithm = g_strdup (config->algorithm);
  g_mutex_init (&dp->lock);
  dp->threads = g_ptr_array_new ();
  dp->nonces = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  dp->log = g_string_new (NULL);
  dp->cancel = g_cancellable_new ();

  dp->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, &err);
  fail_unless (dp->listener != NULL, "%s", err ? err->message : "");
  fail_unless (g_socket_bind (dp->listener, addr, TRUE, &err), "%s",
      err ? err->message : "");
  fail_unless (g_socket_listen (dp->listener, &err), "%s",
      err ? err->message : "");
  local = g_socket_get_local_address (dp->listener, NULL);
  dp->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  g_object_unref (local);
  g_object_unref (addr);
  g_object_unref (lo);

  dp->thread = g_thread_new ("digest-proxy", dp_accept_thread, dp);
  return dp;
}

guint16
rr_net_digest_proxy_get_port (RrDigestProxy * dp)
{
  return dp->port;
}

gchar *
rr_net_digest_proxy_get_log (RrDigestProxy * dp)
{
  gchar *log;

  g_mutex_lock (&dp->lock);
  log = g_strdup (dp->log->str);
  g_mutex_unlock (&dp->lock);
  return log;
}

void
rr_net_digest_proxy_stop (RrDigestProxy * dp)
{
  guint i;

  g_cancellable_cancel (dp->cancel);
  g_thread_join (dp->thread);
  /* no new thread now */
  for (i = 0; i < dp->threads->len; i++)
    g_thread_join (g_ptr_array_index (dp->threads, i));
  g_ptr_array_unref (dp->threads);
  g_socket_close (dp->listener, NULL);
  g_object_unref (dp->listener);
  g_object_unref (dp->cancel);
  g_hash_table_unref (dp->nonces);
  g_string_free (dp->log, TRUE);
  g_mutex_clear (&dp->lock);
  g_free ((gchar *) dp->config.user);
  g_free ((gchar *) dp->config.password);
  g_free ((gchar *) dp->config.realm);
  g_free ((gchar *) dp->config.algorithm);
  g_free (dp);
}
