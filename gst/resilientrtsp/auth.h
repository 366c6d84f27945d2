/* resilientrtsp
 * auth.h: client credentials for RTSP requests. Basic (RFC 7617) now;
 * Digest comes with its own issue.
 */
#pragma once

#include <gst/gst.h>
#include <gst/rtsp/rtsp.h>

G_BEGIN_DECLS

/* Which scheme a 401's WWW-Authenticate headers offer; GST_RTSP_AUTH_NONE
 * when none we support is offered. */
G_GNUC_INTERNAL GstRTSPAuthMethod gst_resilient_auth_pick (GstRTSPMessage * response);

/* "Basic dXNlcjpwdw==" for @user/@password (g_free). */
G_GNUC_INTERNAL gchar *gst_resilient_auth_basic (const gchar * user,
    const gchar * password);

G_END_DECLS
