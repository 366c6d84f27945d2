/* resilientrtsp
 * httptunnel-private.h: what the tunnel's set-up (httptunnel.c) and its
 * stream (httptunnel-stream.c) share.
 */
#pragma once

#include "httptunnel.h"

G_BEGIN_DECLS

/* The tunnel over two connected connections whose headers have been
 * exchanged. Takes @get_conn, @post_conn, @cookie and @post_host; @prefix
 * (nullable, transfer none): body bytes that came with the GET answer's
 * headers, read first. */
G_GNUC_INTERNAL
GstResilientHttpTunnel *gst_resilient_http_tunnel_new_internal (GIOStream * get_conn,
    GIOStream * post_conn, GBytes * prefix, gchar * cookie, gchar * post_host);

G_END_DECLS
