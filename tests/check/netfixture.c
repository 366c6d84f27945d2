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
    "extendedKeyUsage = serverAuth\n" "subjectAltName = DNS:other.invalid\n";

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
      "-extensions v3_server");
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
