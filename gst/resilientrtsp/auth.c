/* resilientrtsp
 * auth.c: Basic (RFC 7617) and Digest (RFC 2069, RFC 2617, RFC 7616)
 * client authentication. See auth.h for the policy.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "auth.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "error.h"

GST_DEBUG_CATEGORY_STATIC (auth_debug);
#define GST_CAT_DEFAULT auth_debug

/* more parameters than this in one challenge: the challenge is ignored */
#define MAX_PARAMS 32
/* challenges beyond this many (over all header values) are ignored */
#define MAX_CHALLENGES 16
/* scheme names are cut to this in the "skipped" description */
#define MAX_SCHEME_SHOWN 32

struct _GstResilientAuth
{
  gchar *user;
  gchar *password;              /* wiped on free */
  gchar *origin;                /* of the last reset */

  GstResilientAuthChallenge *current;   /* the accepted challenge, or NULL */
  gchar *cnonce;                /* for the current Digest nonce */
  gchar *cnonce_override;       /* tests */
  gchar *sess_ha1;              /* -sess: H(H(A1):nonce:cnonce), wiped */
  guint32 nc;                   /* requests made with the current nonce */
  gboolean sent;                /* a header was produced since the last
                                 * accepted challenge */
  gboolean proven;              /* and an answer other than 401 followed */
  guint rounds;                 /* challenges without an accepted answer */
};

static void
ensure_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (auth_debug, "resilientrtspauth", 0,
        "resilientrtsp client authentication");
    g_once_init_leave (&done, 1);
  }
}

void
gst_resilient_auth_clear_string (gchar * str)
{
  if (str == NULL)
    return;
  OPENSSL_cleanse (str, strlen (str));
  g_free (str);
}

/* ---------------------------------------------------------------------- */
/* parsing (RFC 7235 §2.1, §4.1) */

static gboolean
is_tchar (guchar c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-.^_`|~",
          c) != NULL);
}

static gboolean
is_token68_char (guchar c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("-._~+/", c) != NULL);
}

static gboolean
is_ows (guchar c)
{
  /* CR and LF only appear in folded values; treat them as white space */
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const gchar *
skip_ows (const gchar * p)
{
  while (is_ows (*p))
    p++;
  return p;
}

typedef struct
{
  GstResilientAuthChallenge *c;
  gchar *scheme;                /* cut, for "skipped" */
  const gchar *why;             /* set: the challenge is ignored */
  guint n_params;
  gboolean have_realm, have_nonce, have_algorithm, have_qop, have_opaque;
  gboolean have_stale, have_userhash, have_charset;
} Building;

/* A quoted-string at @p (on the '"'). Returns the position after the closing
 * quote, or NULL when the string is unterminated. *out is the unescaped
 * value, or NULL when it was longer than the maximum or held a control
 * character (*why says which). */
static const gchar *
parse_quoted (const gchar * p, gchar ** out, const gchar ** why)
{
  GString *s = g_string_new (NULL);
  gboolean bad = FALSE;

  *out = NULL;
  p++;
  while (*p != '\0' && *p != '"') {
    guchar c = *p;

    if (c == '\\') {
      if (p[1] == '\0')
        break;
      c = *++p;
    }
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      bad = TRUE;
      *why = "control character in a quoted string";
    } else if (s->len >= GST_RESILIENT_AUTH_MAX_VALUE) {
      bad = TRUE;
      *why = "parameter value too long";
    } else if (!bad) {
      g_string_append_c (s, c);
    }
    p++;
  }
  if (*p != '"') {
    g_string_free (s, TRUE);
    return NULL;
  }
  if (bad)
    g_string_free (s, TRUE);
  else
    *out = g_string_free (s, FALSE);
  return p + 1;
}

static gboolean
parse_algorithm (const gchar * v, GstResilientDigestAlgorithm * alg,
    gboolean * sess)
{
  static const struct
  {
    const gchar *name;
    GstResilientDigestAlgorithm alg;
    gboolean sess;
  } names[] = {
    {"MD5", GST_RESILIENT_DIGEST_MD5, FALSE},
    {"MD5-sess", GST_RESILIENT_DIGEST_MD5, TRUE},
    {"SHA-256", GST_RESILIENT_DIGEST_SHA256, FALSE},
    {"SHA-256-sess", GST_RESILIENT_DIGEST_SHA256, TRUE},
    {"SHA-512-256", GST_RESILIENT_DIGEST_SHA512_256, FALSE},
    {"SHA-512-256-sess", GST_RESILIENT_DIGEST_SHA512_256, TRUE},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    if (g_ascii_strcasecmp (v, names[i].name) == 0) {
      *alg = names[i].alg;
      *sess = names[i].sess;
      return TRUE;
    }
  }
  return FALSE;
}

/* qop-options: a comma-separated list of tokens (quoted in RFC 2617/7616,
 * a bare token in some servers) */
static void
parse_qop (const gchar * v, GstResilientAuthChallenge * c)
{
  gchar **opts = g_strsplit (v, ",", MAX_PARAMS);
  gchar **o;

  for (o = opts; *o; o++) {
    g_strstrip (*o);
    if (g_ascii_strcasecmp (*o, "auth") == 0)
      c->qop_auth = TRUE;
    else if (g_ascii_strcasecmp (*o, "auth-int") == 0)
      c->qop_auth_int = TRUE;
  }
  g_strfreev (opts);
}

static gboolean
take_once (gboolean * have)
{
  if (*have)
    return FALSE;
  *have = TRUE;
  return TRUE;
}

/* Applies one auth-param; takes @value. Duplicates: the first one counts. */
static void
apply_param (Building * b, const gchar * name, gsize name_len, gchar * value)
{
  GstResilientAuthChallenge *c = b->c;

#define NAME_IS(n) (name_len == strlen (n) && \
    g_ascii_strncasecmp (name, n, name_len) == 0)

  if (++b->n_params > MAX_PARAMS && b->why == NULL)
    b->why = "too many parameters";

  if (b->why != NULL) {
    g_free (value);
    return;
  }

  if (NAME_IS ("realm")) {
    if (take_once (&b->have_realm)) {
      c->realm = value;
      value = NULL;
    }
  } else if (NAME_IS ("charset")) {
    if (take_once (&b->have_charset))
      c->charset_utf8 = g_ascii_strcasecmp (value, "UTF-8") == 0;
  } else if (c->scheme != GST_RESILIENT_AUTH_SCHEME_DIGEST) {
    /* Basic knows no other parameter */
  } else if (NAME_IS ("nonce")) {
    if (take_once (&b->have_nonce)) {
      c->nonce = value;
      value = NULL;
    }
  } else if (NAME_IS ("opaque")) {
    if (take_once (&b->have_opaque)) {
      c->opaque = value;
      value = NULL;
    }
  } else if (NAME_IS ("algorithm")) {
    if (take_once (&b->have_algorithm)) {
      c->algorithm_given = TRUE;
      if (!parse_algorithm (value, &c->algorithm, &c->sess))
        b->why = "unsupported algorithm";
    }
  } else if (NAME_IS ("qop")) {
    if (take_once (&b->have_qop)) {
      parse_qop (value, c);
      if (!c->qop_auth && !c->qop_auth_int)
        b->why = "unsupported qop";
    }
  } else if (NAME_IS ("stale")) {
    if (take_once (&b->have_stale))
      c->stale = g_ascii_strcasecmp (value, "true") == 0;
  } else if (NAME_IS ("userhash")) {
    if (take_once (&b->have_userhash))
      c->userhash = g_ascii_strcasecmp (value, "true") == 0;
  }
  /* domain and unknown parameters are ignored (RFC 7616 §3.3) */
  g_free (value);
#undef NAME_IS
}

static void
skipped_append (GString * skipped, const gchar * scheme, const gchar * why)
{
  if (skipped == NULL)
    return;
  if (skipped->len > 0)
    g_string_append (skipped, "; ");
  g_string_append_printf (skipped, "%s: %s", scheme, why);
}

/* Ends the challenge being built: appends it when usable. */
static guint
finish (Building * b, GPtrArray * out, GString * skipped)
{
  GstResilientAuthChallenge *c = b->c;
  guint added = 0;

  if (c == NULL)
    return 0;

  if (b->why == NULL && c->scheme == GST_RESILIENT_AUTH_SCHEME_DIGEST) {
    if (c->realm == NULL)
      b->why = "no realm";
    else if (c->nonce == NULL || *c->nonce == '\0')
      b->why = "no nonce";
    else if (c->sess && !c->qop_auth && !c->qop_auth_int)
      b->why = "-sess without qop";
  }

  if (b->why != NULL) {
    GST_DEBUG ("ignoring %s challenge: %s", b->scheme, b->why);
    skipped_append (skipped, b->scheme, b->why);
    gst_resilient_auth_challenge_free (c);
  } else {
    g_ptr_array_add (out, c);
    added = 1;
  }
  g_free (b->scheme);
  memset (b, 0, sizeof (*b));
  return added;
}

static void
start (Building * b, const gchar * scheme, gsize len)
{
  memset (b, 0, sizeof (*b));
  b->scheme = g_strndup (scheme, MIN (len, MAX_SCHEME_SHOWN));
  b->c = g_new0 (GstResilientAuthChallenge, 1);
  if (len == 5 && g_ascii_strncasecmp (scheme, "Basic", 5) == 0) {
    b->c->scheme = GST_RESILIENT_AUTH_SCHEME_BASIC;
  } else if (len == 6 && g_ascii_strncasecmp (scheme, "Digest", 6) == 0) {
    b->c->scheme = GST_RESILIENT_AUTH_SCHEME_DIGEST;
    b->c->algorithm = GST_RESILIENT_DIGEST_MD5;
  } else {
    b->why = "unsupported scheme";
  }
}

/* After an auth-scheme and its white space: a token68 (RFC 7235 §2.1)
 * reaching the next comma or the end? Returns its end, or NULL. */
static const gchar *
token68_end (const gchar * p)
{
  const gchar *q = p;

  while (is_token68_char (*q))
    q++;
  if (q == p)
    return NULL;
  while (*q == '=')
    q++;
  q = skip_ows (q);
  return (*q == ',' || *q == '\0') ? q : NULL;
}

guint
gst_resilient_auth_parse_challenges (const gchar * value,
    GPtrArray * challenges, GString * skipped)
{
  Building b = { NULL, };
  const gchar *p = value;
  guint added = 0, seen = 0;

  g_return_val_if_fail (challenges != NULL, 0);
  ensure_debug ();

  if (value == NULL)
    return 0;

  for (;;) {
    const gchar *name, *q;
    gsize len;

    while (is_ows (*p) || *p == ',')
      p++;
    if (*p == '\0')
      break;

    name = p;
    while (is_tchar (*p))
      p++;
    len = p - name;
    if (len == 0)
      goto unreadable;
    q = skip_ows (p);

    if (*q == '=' && b.c != NULL) {
      gchar *v = NULL;
      const gchar *why = NULL;

      /* auth-param = token BWS "=" BWS ( token / quoted-string ) */
      q = skip_ows (q + 1);
      if (*q == '"') {
        q = parse_quoted (q, &v, &why);
        if (q == NULL)
          goto unreadable;
        if (v == NULL && b.why == NULL)
          b.why = why;
      } else {
        const gchar *vs = q;

        while (is_tchar (*q))
          q++;
        if (q == vs)
          goto unreadable;
        if ((gsize) (q - vs) > GST_RESILIENT_AUTH_MAX_VALUE) {
          if (b.why == NULL)
            b.why = "parameter value too long";
        } else {
          v = g_strndup (vs, q - vs);
        }
      }
      if (v != NULL)
        apply_param (&b, name, len, v);
      p = skip_ows (q);
      if (*p != ',' && *p != '\0')
        goto unreadable;
      continue;
    }
    if (*q == '=')
      goto unreadable;          /* a parameter before any scheme */

    /* a new challenge */
    added += finish (&b, challenges, skipped);
    if (++seen > MAX_CHALLENGES) {
      GST_DEBUG ("more than %d challenges, ignoring the rest", MAX_CHALLENGES);
      skipped_append (skipped, "(rest)", "too many challenges");
      return added;
    }
    start (&b, name, len);
    p = skip_ows (p);
    q = token68_end (p);
    if (q != NULL)
      p = q;                    /* token68: no scheme of ours uses one */
  }
  added += finish (&b, challenges, skipped);
  return added;

unreadable:
  {
    GST_DEBUG ("unreadable challenge at offset %" G_GSIZE_FORMAT
        ", ignoring the rest of the header", (gsize) (p - value));
    if (b.c != NULL && b.why == NULL)
      b.why = "malformed";
    if (b.c != NULL)
      finish (&b, challenges, skipped);
    else
      skipped_append (skipped, "(header)", "malformed");
    return added;
  }
}

void
gst_resilient_auth_challenge_free (gpointer data)
{
  GstResilientAuthChallenge *c = data;

  if (c == NULL)
    return;
  g_free (c->realm);
  g_free (c->nonce);
  g_free (c->opaque);
  g_free (c);
}

static const gchar *
algorithm_name (GstResilientDigestAlgorithm alg, gboolean sess)
{
  switch (alg) {
    case GST_RESILIENT_DIGEST_MD5:
      return sess ? "MD5-sess" : "MD5";
    case GST_RESILIENT_DIGEST_SHA256:
      return sess ? "SHA-256-sess" : "SHA-256";
    case GST_RESILIENT_DIGEST_SHA512_256:
      return sess ? "SHA-512-256-sess" : "SHA-512-256";
  }
  return "?";
}

const gchar *
gst_resilient_auth_challenge_describe (const GstResilientAuthChallenge * c)
{
  g_return_val_if_fail (c != NULL, NULL);

  if (c->scheme == GST_RESILIENT_AUTH_SCHEME_BASIC)
    return "Basic";
  switch (c->algorithm) {
    case GST_RESILIENT_DIGEST_MD5:
      return c->sess ? "Digest MD5-sess" : "Digest MD5";
    case GST_RESILIENT_DIGEST_SHA256:
      return c->sess ? "Digest SHA-256-sess" : "Digest SHA-256";
    case GST_RESILIENT_DIGEST_SHA512_256:
      return c->sess ? "Digest SHA-512-256-sess" : "Digest SHA-512-256";
  }
  return "Digest";
}

static guint
strength (const GstResilientAuthChallenge * c)
{
  if (c->scheme == GST_RESILIENT_AUTH_SCHEME_BASIC)
    return 1;
  switch (c->algorithm) {
    case GST_RESILIENT_DIGEST_MD5:
      return 2;
    case GST_RESILIENT_DIGEST_SHA256:
      return 3;
    case GST_RESILIENT_DIGEST_SHA512_256:
      return 4;
  }
  return 0;
}

/* ---------------------------------------------------------------------- */
/* hashing */

/* Lower-case hex digest of @data, or NULL when the algorithm is unavailable
 * (e.g. a libcrypto without SHA-512/256). */
static gchar *
hash_hex (GstResilientDigestAlgorithm alg, const guint8 * data, gsize len)
{
  if (alg == GST_RESILIENT_DIGEST_SHA512_256) {
    guint8 md[EVP_MAX_MD_SIZE];
    guint md_len = 0, i;
    gchar *hex;

    if (!EVP_Digest (data, len, md, &md_len, EVP_sha512_256 (), NULL)
        || md_len != 32) {
      GST_WARNING ("SHA-512/256 is not available from libcrypto");
      return NULL;
    }
    hex = g_malloc (md_len * 2 + 1);
    for (i = 0; i < md_len; i++)
      g_snprintf (hex + 2 * i, 3, "%02x", md[i]);
    OPENSSL_cleanse (md, sizeof (md));
    return hex;
  }
  return g_compute_checksum_for_data (alg == GST_RESILIENT_DIGEST_MD5 ?
      G_CHECKSUM_MD5 : G_CHECKSUM_SHA256, data, len);
}

/* H(a ":" b [":" c …]), NULL-terminated list; the joined input is wiped. */
static gchar *
hash_join (GstResilientDigestAlgorithm alg, const gchar * first, ...)
{
  GString *s = g_string_new (first);
  const gchar *part;
  gchar *hex;
  va_list ap;

  va_start (ap, first);
  for (;;) {
    part = va_arg (ap, const gchar *);
    if (part == NULL)
      break;
    g_string_append_c (s, ':');
    g_string_append (s, part);
  }
  va_end (ap);

  hex = hash_hex (alg, (const guint8 *) s->str, s->len);
  OPENSSL_cleanse (s->str, s->len);
  g_string_free (s, TRUE);
  return hex;
}

static gchar *
new_cnonce (void)
{
  guint8 bytes[16];
  gchar *hex;
  guint i;

  if (RAND_bytes (bytes, sizeof (bytes)) != 1) {
    for (i = 0; i < sizeof (bytes); i++)
      bytes[i] = g_random_int_range (0, 256);
  }
  hex = g_malloc (sizeof (bytes) * 2 + 1);
  for (i = 0; i < sizeof (bytes); i++)
    g_snprintf (hex + 2 * i, 3, "%02x", bytes[i]);
  return hex;
}

/* ---------------------------------------------------------------------- */
/* the authenticator */

GstResilientAuth *
gst_resilient_auth_new (const gchar * user, const gchar * password)
{
  GstResilientAuth *auth;

  g_return_val_if_fail (user != NULL, NULL);
  ensure_debug ();

  auth = g_new0 (GstResilientAuth, 1);
  auth->user = g_strdup (user);
  auth->password = g_strdup (password ? password : "");
  return auth;
}

static void
forget_challenge (GstResilientAuth * auth)
{
  g_clear_pointer (&auth->current, gst_resilient_auth_challenge_free);
  g_clear_pointer (&auth->cnonce, g_free);
  g_clear_pointer (&auth->sess_ha1, gst_resilient_auth_clear_string);
  auth->nc = 0;
  auth->proven = FALSE;
}

void
gst_resilient_auth_free (GstResilientAuth * auth)
{
  if (auth == NULL)
    return;
  forget_challenge (auth);
  gst_resilient_auth_clear_string (auth->user);
  gst_resilient_auth_clear_string (auth->password);
  g_free (auth->origin);
  g_free (auth->cnonce_override);
  g_free (auth);
}

gboolean
gst_resilient_auth_has_credentials (GstResilientAuth * auth,
    const gchar * user, const gchar * password)
{
  g_return_val_if_fail (auth != NULL, FALSE);

  return g_strcmp0 (auth->user, user) == 0 &&
      g_strcmp0 (auth->password, password ? password : "") == 0;
}

void
gst_resilient_auth_reset (GstResilientAuth * auth, const gchar * origin)
{
  g_return_if_fail (auth != NULL);

  if (auth->current != NULL &&
      (auth->current->scheme != GST_RESILIENT_AUTH_SCHEME_BASIC ||
          g_strcmp0 (origin, auth->origin) != 0))
    forget_challenge (auth);
  g_free (auth->origin);
  auth->origin = g_strdup (origin);
  auth->sent = FALSE;
  auth->rounds = 0;
}

void
gst_resilient_auth_set_cnonce (GstResilientAuth * auth, const gchar * cnonce)
{
  g_return_if_fail (auth != NULL);

  g_free (auth->cnonce_override);
  auth->cnonce_override = g_strdup (cnonce);
  if (auth->cnonce != NULL && cnonce != NULL) {
    g_free (auth->cnonce);
    auth->cnonce = g_strdup (cnonce);
    g_clear_pointer (&auth->sess_ha1, gst_resilient_auth_clear_string);
  }
}

/* Same protection space and same way of answering: a 401 to credentials
 * computed from @a that offers @b says the credentials are wrong. */
static gboolean
same_kind (const GstResilientAuthChallenge * a,
    const GstResilientAuthChallenge * b)
{
  if (a->scheme != b->scheme || g_strcmp0 (a->realm, b->realm) != 0)
    return FALSE;
  if (a->scheme == GST_RESILIENT_AUTH_SCHEME_BASIC)
    return TRUE;
  return a->algorithm == b->algorithm && a->sess == b->sess;
}

gboolean
gst_resilient_auth_challenge_values (GstResilientAuth * auth,
    const gchar * const *values, gboolean had_credentials, GError ** error)
{
  GPtrArray *list;
  GString *skipped;
  GstResilientAuthChallenge *best = NULL;
  guint i;

  g_return_val_if_fail (auth != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  list = g_ptr_array_new_with_free_func (gst_resilient_auth_challenge_free);
  skipped = g_string_new (NULL);
  for (i = 0; values != NULL && values[i] != NULL && i < MAX_CHALLENGES; i++)
    gst_resilient_auth_parse_challenges (values[i], list, skipped);

  for (i = 0; i < list->len; i++) {
    GstResilientAuthChallenge *c = g_ptr_array_index (list, i);

    if (best == NULL || strength (c) > strength (best))
      best = c;
  }
  if (best == NULL)
    goto no_scheme;

  if (had_credentials && !best->stale && auth->current != NULL &&
      same_kind (auth->current, best)) {
    /* Digest credentials that worked, and a new nonce: the old one expired
     * on a server that does not say stale=true; anything else means the
     * credentials are wrong */
    if (!(auth->proven && best->scheme == GST_RESILIENT_AUTH_SCHEME_DIGEST &&
            g_strcmp0 (best->nonce, auth->current->nonce) != 0))
      goto rejected;
    GST_DEBUG ("new nonce for credentials that worked: taken as stale");
  }
  if (++auth->rounds > GST_RESILIENT_AUTH_MAX_ROUNDS)
    goto too_many;

  GST_DEBUG ("using %s%s (of %u usable challenges)",
      gst_resilient_auth_challenge_describe (best),
      best->stale ? ", stale nonce" : "", list->len);
  forget_challenge (auth);
  g_ptr_array_steal_index (list, g_ptr_array_find (list, best, &i) ? i : 0);
  auth->current = best;
  if (best->scheme == GST_RESILIENT_AUTH_SCHEME_DIGEST)
    auth->cnonce = auth->cnonce_override ? g_strdup (auth->cnonce_override) :
        new_cnonce ();
  auth->sent = FALSE;

  g_ptr_array_unref (list);
  g_string_free (skipped, TRUE);
  return TRUE;

  /* ERRORS */
no_scheme:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_AUTH,
        "server offers no authentication scheme we support (Basic; Digest "
        "MD5, SHA-256, SHA-512-256)%s%s", skipped->len ? ": " : "",
        skipped->str);
    g_ptr_array_unref (list);
    g_string_free (skipped, TRUE);
    return FALSE;
  }
rejected:
  {
    GST_DEBUG ("%s credentials rejected", gst_resilient_auth_describe (auth));
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_AUTH,
        "credentials rejected");
    g_ptr_array_unref (list);
    g_string_free (skipped, TRUE);
    return FALSE;
  }
too_many:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_AUTH,
        "server asked for credentials %u times in a row",
        GST_RESILIENT_AUTH_MAX_ROUNDS + 1);
    g_ptr_array_unref (list);
    g_string_free (skipped, TRUE);
    return FALSE;
  }
}

gboolean
gst_resilient_auth_challenge (GstResilientAuth * auth,
    GstRTSPMessage * response, GstRTSPMessage * request, GError ** error)
{
  GstRTSPStatusCode code;
  GstRTSPHeaderField challenge_field;
  const gchar *credentials_field;
  GPtrArray *values;
  gchar *value;
  gboolean had_credentials, ret;
  gint i;

  g_return_val_if_fail (auth != NULL, FALSE);
  g_return_val_if_fail (response != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (gst_rtsp_message_parse_response (response, &code, NULL,
          NULL) != GST_RTSP_OK)
    goto not_a_challenge;
  if (code == GST_RTSP_STS_UNAUTHORIZED) {
    challenge_field = GST_RTSP_HDR_WWW_AUTHENTICATE;
    credentials_field = "Authorization";
  } else if (code == GST_RTSP_STS_PROXY_AUTH_REQUIRED) {
    challenge_field = GST_RTSP_HDR_PROXY_AUTHENTICATE;
    credentials_field = "Proxy-Authorization";
  } else {
    goto not_a_challenge;
  }

  if (request != NULL)
    had_credentials = gst_rtsp_message_get_header_by_name (request,
        credentials_field, &value, 0) == GST_RTSP_OK;
  else
    had_credentials = auth->sent;

  values = g_ptr_array_new ();
  for (i = 0; gst_rtsp_message_get_header (response, challenge_field, &value,
          i) == GST_RTSP_OK; i++)
    g_ptr_array_add (values, value);
  g_ptr_array_add (values, NULL);
  ret = gst_resilient_auth_challenge_values (auth,
      (const gchar * const *) values->pdata, had_credentials, error);
  g_ptr_array_unref (values);
  return ret;

  /* ERRORS */
not_a_challenge:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_AUTH,
        "not a 401 or 407 answer");
    return FALSE;
  }
}

void
gst_resilient_auth_accepted (GstResilientAuth * auth)
{
  g_return_if_fail (auth != NULL);

  auth->rounds = 0;
  if (auth->current != NULL && auth->sent)
    auth->proven = TRUE;
}

const gchar *
gst_resilient_auth_describe (GstResilientAuth * auth)
{
  g_return_val_if_fail (auth != NULL, NULL);

  return auth->current ?
      gst_resilient_auth_challenge_describe (auth->current) : NULL;
}

/* ---------------------------------------------------------------------- */
/* Authorization values */

/* quoted-string content: '"' and '\' escaped; FALSE on control chars */
static gboolean
append_quoted (GString * s, const gchar * name, const gchar * value)
{
  const gchar *p;

  for (p = value; *p; p++) {
    if (((guchar) * p < 0x20 && *p != '\t') || *p == 0x7f)
      return FALSE;
  }
  g_string_append_printf (s, "%s%s=\"", s->len > 7 ? ", " : "", name);
  for (p = value; *p; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_c (s, '\\');
    g_string_append_c (s, *p);
  }
  g_string_append_c (s, '"');
  return TRUE;
}

static void
append_token (GString * s, const gchar * name, const gchar * value)
{
  g_string_append_printf (s, ", %s=%s", name, value);
}

/* username*=UTF-8''… (RFC 7616 §3.4.4, RFC 8187 ext-value) */
static void
append_ext_username (GString * s, const gchar * user)
{
  const guchar *p;

  g_string_append (s, "username*=UTF-8''");
  for (p = (const guchar *) user; *p; p++) {
    if (g_ascii_isalnum (*p) || strchr ("!#$&+-.^_`|~", *p) != NULL)
      g_string_append_c (s, *p);
    else
      g_string_append_printf (s, "%%%02X", *p);
  }
}

static gboolean
needs_ext_username (const gchar * user, gboolean utf8)
{
  const guchar *p;
  gboolean non_ascii = FALSE;

  for (p = (const guchar *) user; *p; p++) {
    if (*p < 0x20 || *p == 0x7f)
      return TRUE;              /* cannot go into a quoted-string at all */
    if (*p >= 0x80)
      non_ascii = TRUE;
  }
  /* without charset=UTF-8 the server expects a quoted-string (RFC 2617) */
  return non_ascii && utf8;
}

static gchar *
basic_value (GstResilientAuth * auth)
{
  gchar *plain, *b64, *header;

  plain = g_strconcat (auth->user, ":", auth->password, NULL);
  b64 = g_base64_encode ((const guchar *) plain, strlen (plain));
  header = g_strconcat ("Basic ", b64, NULL);
  gst_resilient_auth_clear_string (plain);
  gst_resilient_auth_clear_string (b64);
  return header;
}

static gchar *
digest_value (GstResilientAuth * auth, const gchar * method,
    const gchar * uri, const guint8 * body, gsize body_len)
{
  GstResilientAuthChallenge *c = auth->current;
  GstResilientDigestAlgorithm alg = c->algorithm;
  const gchar *qop = NULL;
  gchar nc[9];
  gchar *ha1 = NULL, *ha2 = NULL, *response = NULL, *userhash = NULL;
  GString *s;

  if (c->qop_auth)
    qop = "auth";
  else if (c->qop_auth_int)
    qop = "auth-int";

  /* HA1 = H(A1); for -sess H(H(user:realm:pw):nonce:cnonce), once per nonce */
  if (c->sess) {
    if (auth->sess_ha1 == NULL) {
      gchar *inner = hash_join (alg, auth->user, c->realm, auth->password,
          NULL);

      if (inner != NULL)
        auth->sess_ha1 = hash_join (alg, inner, c->nonce, auth->cnonce, NULL);
      gst_resilient_auth_clear_string (inner);
    }
    ha1 = g_strdup (auth->sess_ha1);
  } else {
    ha1 = hash_join (alg, auth->user, c->realm, auth->password, NULL);
  }
  if (ha1 == NULL)
    goto no_hash;

  if (g_strcmp0 (qop, "auth-int") == 0) {
    gchar *hbody = hash_hex (alg, body ? body : (const guint8 *) "",
        body ? body_len : 0);

    ha2 = hbody ? hash_join (alg, method, uri, hbody, NULL) : NULL;
    g_free (hbody);
  } else {
    ha2 = hash_join (alg, method, uri, NULL);
  }
  if (ha2 == NULL)
    goto no_hash;

  if (auth->nc == G_MAXUINT32)
    goto nc_exhausted;
  auth->nc++;
  g_snprintf (nc, sizeof (nc), "%08x", auth->nc);
  if (qop != NULL)
    response = hash_join (alg, ha1, c->nonce, nc, auth->cnonce, qop, ha2, NULL);
  else
    response = hash_join (alg, ha1, c->nonce, ha2, NULL);
  if (response == NULL)
    goto no_hash;

  s = g_string_new ("Digest ");
  if (c->userhash) {
    userhash = hash_join (alg, auth->user, c->realm, NULL);
    if (userhash == NULL) {
      g_string_free (s, TRUE);
      goto no_hash;
    }
    append_quoted (s, "username", userhash);
  } else if (needs_ext_username (auth->user, c->charset_utf8)) {
    append_ext_username (s, auth->user);
  } else {
    append_quoted (s, "username", auth->user);
  }
  append_quoted (s, "realm", c->realm);
  if (!append_quoted (s, "uri", uri)) {
    OPENSSL_cleanse (s->str, s->len);
    g_string_free (s, TRUE);
    goto bad_uri;
  }
  if (c->algorithm_given)
    append_token (s, "algorithm", algorithm_name (alg, c->sess));
  append_quoted (s, "nonce", c->nonce);
  if (qop != NULL) {
    append_token (s, "nc", nc);
    append_quoted (s, "cnonce", auth->cnonce);
    append_token (s, "qop", qop);
  }
  append_quoted (s, "response", response);
  if (c->opaque != NULL)
    append_quoted (s, "opaque", c->opaque);
  if (c->userhash)
    append_token (s, "userhash", "true");

  gst_resilient_auth_clear_string (ha1);
  g_free (ha2);
  g_free (response);
  g_free (userhash);
  return g_string_free (s, FALSE);

  /* ERRORS */
no_hash:
  {
    GST_WARNING ("cannot compute %s", algorithm_name (alg, c->sess));
    goto fail;
  }
nc_exhausted:
  {
    GST_WARNING ("nonce count exhausted, waiting for a new challenge");
    forget_challenge (auth);
    goto fail;
  }
bad_uri:
  {
    GST_WARNING ("request URI with control characters, no credentials");
    goto fail;
  }
fail:
  {
    gst_resilient_auth_clear_string (ha1);
    g_free (ha2);
    g_free (response);
    g_free (userhash);
    return NULL;
  }
}

gchar *
gst_resilient_auth_header_for (GstResilientAuth * auth, const gchar * method,
    const gchar * uri, const guint8 * body, gsize body_len)
{
  gchar *value;

  g_return_val_if_fail (auth != NULL, NULL);
  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (uri != NULL, NULL);

  if (auth->current == NULL)
    return NULL;
  if (auth->current->scheme == GST_RESILIENT_AUTH_SCHEME_BASIC)
    value = basic_value (auth);
  else
    value = digest_value (auth, method, uri, body, body_len);
  if (value != NULL)
    auth->sent = TRUE;
  return value;
}

gchar *
gst_resilient_auth_header (GstResilientAuth * auth, GstRTSPMethod method,
    const gchar * uri, const guint8 * body, gsize body_len)
{
  const gchar *name = gst_rtsp_method_as_text (method);

  g_return_val_if_fail (name != NULL, NULL);
  return gst_resilient_auth_header_for (auth, name, uri, body, body_len);
}
