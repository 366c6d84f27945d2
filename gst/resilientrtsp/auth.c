/* resilientrtsp
 * auth.c: client credentials.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "auth.h"

#include <string.h>

GstRTSPAuthMethod
gst_resilient_auth_pick (GstRTSPMessage * response)
{
  GstRTSPAuthMethod method = GST_RTSP_AUTH_NONE;
  gchar *value;
  gint i;

  g_return_val_if_fail (response != NULL, GST_RTSP_AUTH_NONE);

  for (i = 0; gst_rtsp_message_get_header (response,
          GST_RTSP_HDR_WWW_AUTHENTICATE, &value, i) == GST_RTSP_OK; i++) {
    while (*value == ' ' || *value == '\t')
      value++;
    if (g_ascii_strncasecmp (value, "basic", 5) == 0 &&
        (value[5] == '\0' || value[5] == ' ' || value[5] == '\t'))
      method = GST_RTSP_AUTH_BASIC;
  }
  return method;
}

gchar *
gst_resilient_auth_basic (const gchar * user, const gchar * password)
{
  gchar *plain, *b64, *header;

  g_return_val_if_fail (user != NULL, NULL);

  plain = g_strdup_printf ("%s:%s", user, password ? password : "");
  b64 = g_base64_encode ((const guchar *) plain, strlen (plain));
  header = g_strdup_printf ("Basic %s", b64);
  memset (plain, 0, strlen (plain));
  g_free (plain);
  g_free (b64);
  return header;
}
