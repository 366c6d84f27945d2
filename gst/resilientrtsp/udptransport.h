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
  /* Optional. Source learning (set_learn_source) found the server sending
   * from @from, not from the port it announced: RTCP and punches now go
   * there. Runs on the I/O thread, before that packet's packet(). */
  void (*source_learned) (GstResilientUdpTransport * udp, gboolean is_rtcp,
      GInetSocketAddress * from, gpointer user_data);
} GstResilientUdpCallbacks;

typedef struct
{
  guint64 packets;
  guint64 bytes;
  guint64 receive_calls;        /* g_socket_receive_messages calls that returned data */
  guint64 oversized;            /* datagrams larger than a pool buffer (copied) */
  guint64 oversized_dropped;    /* oversized datagrams lost: two in one batch shared the scratch area */
  guint64 dropped_foreign;      /* from an address other than the server's (when filtering) */
  guint64 rtcp_sent;            /* RTCP packets sent (send_rtcp) */
  gint64 last_rtcp_sent_us;     /* monotonic time of the last one, 0: none */
  guint64 punches_sent;         /* NAT punch packets sent (send_punch) */
  guint learned_rtp_port;       /* source learning: the server's real ports, */
  guint learned_rtcp_port;      /* 0 while none differs from the announced one */
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

/* Where RTCP and NAT punches are sent: the server's announced ports. Any
 * thread. @server_rtcp_port 0 disables sending RTCP. Forgets what source
 * learning learned. */
G_GNUC_INTERNAL void gst_resilient_udp_transport_set_remote (GstResilientUdpTransport * udp,
    GInetAddress * server, guint server_rtp_port, guint server_rtcp_port);

/**
 * gst_resilient_udp_transport_set_learn_source:
 * Symmetric-RTP source learning ("latching", RFC 7362), off by default;
 * I/O thread (or before start). While on, the source address of received
 * datagrams is looked at until, per socket, the first RTP/RTCP packet (a
 * version 2 header) from the server's IP address (set_remote) arrives. When
 * it comes from another port than the announced one, that port becomes
 * the destination of what this socket sends (RTCP from the RTCP socket,
 * punches from either) and source_learned is called. Packets from other
 * addresses change nothing; after 64 datagrams without one from the
 * server, learning stops on that socket (it costs an allocation per
 * datagram). Only the first packet decides: the path is then fixed.
 */
G_GNUC_INTERNAL void gst_resilient_udp_transport_set_learn_source (GstResilientUdpTransport * udp,
    gboolean learn);

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

/* Any thread. Sends a NAT punch packet @buf (not taken) from the RTCP
 * socket to the server's RTCP port (@from_rtcp) or from the RTP socket to
 * its RTP port. FALSE if that remote is not set or the send failed
 * (logged, non-fatal). */
G_GNUC_INTERNAL gboolean gst_resilient_udp_transport_send_punch (GstResilientUdpTransport * udp,
    gboolean from_rtcp, GstBuffer * buf);

G_GNUC_INTERNAL void gst_resilient_udp_transport_get_stats (GstResilientUdpTransport * udp,
    GstResilientUdpStats * stats);

G_END_DECLS
