/* resilientrtsp
 * udptransport.h: the RTP/RTCP UDP socket pair of one stream, received on the
 * shared I/O context with batched g_socket_receive_messages into pooled
 * buffers. No pads: packets go out through callbacks.
 */
#pragma once

#include <gst/gst.h>
#include <gio/gio.h>

#include "iocontext.h"

G_BEGIN_DECLS

#define GST_TYPE_RESILIENT_UDP_TRANSPORT (gst_resilient_udp_transport_get_type ())
G_DECLARE_FINAL_TYPE (GstResilientUdpTransport, gst_resilient_udp_transport,
    GST, RESILIENT_UDP_TRANSPORT, GObject);

typedef struct
{
  /* @buf (transfer full), sized to the datagram; no timestamps set.
   * @is_rtcp: TRUE for packets on the RTCP socket. Runs on the I/O thread. */
  void (*packet) (GstResilientUdpTransport * udp, gboolean is_rtcp,
      GstBuffer * buf, gpointer user_data);
} GstResilientUdpCallbacks;

typedef struct
{
  guint64 packets;
  guint64 bytes;
  guint64 receive_calls;        /* g_socket_receive_messages calls that returned data */
  guint64 oversized;            /* datagrams larger than a pool buffer (copied) */
  guint64 oversized_dropped;    /* oversized datagrams lost: two in one batch shared the scratch area */
  guint64 dropped_foreign;      /* from an address other than the server's (when filtering) */
} GstResilientUdpStats;

/**
 * gst_resilient_udp_transport_new:
 * Binds two UDP sockets of @family: RTP on an even port P and RTCP on P+1,
 * both inside [@port_min, @port_max] (inclusive), or kernel-chosen (an even
 * P whose P+1 is also free) when @port_min is 0. @buffer_size > 0 sets
 * SO_RCVBUF. GST_RESILIENT_ERROR_INTERNAL with a message naming the range
 * when no pair is free.
 */
G_GNUC_INTERNAL
GstResilientUdpTransport *gst_resilient_udp_transport_new (GstResilientIoContext * io,
    GSocketFamily family, guint port_min, guint port_max, gint buffer_size,
    GError ** error);

/**
 * gst_resilient_udp_transport_new_multicast:
 * Binds @rtp_port and @rtcp_port on the any-address with SO_REUSEADDR and
 * joins @group on both.
 */
G_GNUC_INTERNAL
GstResilientUdpTransport *gst_resilient_udp_transport_new_multicast (GstResilientIoContext * io,
    const gchar * group, guint rtp_port, guint rtcp_port, gint buffer_size,
    GError ** error);

G_GNUC_INTERNAL guint gst_resilient_udp_transport_get_rtp_port (GstResilientUdpTransport * udp);
G_GNUC_INTERNAL guint gst_resilient_udp_transport_get_rtcp_port (GstResilientUdpTransport * udp);

/* Where RTCP (and later NAT punching) is sent. Any thread. @server_rtcp_port
 * 0 disables sending. */
G_GNUC_INTERNAL void gst_resilient_udp_transport_set_remote (GstResilientUdpTransport * udp,
    GInetAddress * server, guint server_rtp_port, guint server_rtcp_port);

/* I/O thread only: attach the receive sources. They hold a reference on
 * @udp until stop(): call it before dropping the last reference. */
G_GNUC_INTERNAL void gst_resilient_udp_transport_start (GstResilientUdpTransport * udp,
    const GstResilientUdpCallbacks * callbacks, gpointer user_data);
/* I/O thread only: detach; no callback after it returns. Idempotent. */
G_GNUC_INTERNAL void gst_resilient_udp_transport_stop (GstResilientUdpTransport * udp);

/* Any thread. Sends @buf to the server's RTCP port; FALSE if no remote set or
 * the send failed (logged, non-fatal). */
G_GNUC_INTERNAL gboolean gst_resilient_udp_transport_send_rtcp (GstResilientUdpTransport * udp,
    GstBuffer * buf);

G_GNUC_INTERNAL void gst_resilient_udp_transport_get_stats (GstResilientUdpTransport * udp,
    GstResilientUdpStats * stats);

G_END_DECLS
