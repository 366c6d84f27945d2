/* resilientrtsp
 * udptransport.c: the RTP/RTCP UDP socket pair of one stream.
 *
 * Receiving runs on the shared I/O context: one socket source per socket;
 * each dispatch drains the socket with g_socket_receive_messages in batches
 * of BATCH datagrams (at most MAX_BATCHES batches, so one busy socket can't
 * starve the context) into buffers from a GstBufferPool that stay acquired
 * and mapped between calls. Every message has a second vector into a 64 KiB
 * scratch area for datagrams larger than a pool buffer: those are copied
 * into a buffer of their own, and the pool's buffer size grows so that the
 * next ones fit. The scratch area is shared by the messages of a batch, so
 * when two oversized datagrams land in one batch only the last one is intact:
 * the others are dropped (oversized_dropped); with the grown pool this only
 * happens while a stream's first large datagrams arrive.
 *
 * While started, the socket sources hold a reference on the transport: call
 * gst_resilient_udp_transport_stop() before dropping the last reference.
 *
 * Source learning (for NAT traversal) asks g_socket_receive_messages for
 * the source addresses only while it is still learning, so the steady
 * state allocates nothing per datagram.
 *
 * locking order: lock (per transport) → none
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "udptransport.h"
#include "error.h"

#ifdef G_OS_UNIX
#include <sys/socket.h>
#endif

GST_DEBUG_CATEGORY_STATIC (udp_debug);
#define GST_CAT_DEFAULT udp_debug

#define BATCH 16
#define MAX_BATCHES 8
#define DEFAULT_BUFFER_SIZE 2048
#define MAX_DATAGRAM_SIZE 65536
#define SCRATCH_SIZE (64 * 1024)
/* kernel-chosen pairs: attempts before giving up */
#define MAX_EPHEMERAL_ATTEMPTS 64
/* source learning: datagrams looked at per socket before giving up */
#define LEARN_MAX_DATAGRAMS 64

typedef struct
{
  GstBuffer *buffer;            /* acquired from the pool, mapped */
  GstMapInfo map;
} RxSlot;

struct _GstResilientUdpTransport
{
  GObject parent;

  GstResilientIoContext *io;    /* immutable */
  GSocket *rtp_socket;          /* immutable */
  GSocket *rtcp_socket;         /* immutable, may be NULL (multicast) */
  guint rtp_port;               /* immutable */
  guint rtcp_port;              /* immutable */

  /* I/O thread only */
  GstResilientUdpCallbacks callbacks;
  gpointer user_data;
  gboolean started;
  GSource *rtp_source;
  GSource *rtcp_source;
  GstBufferPool *pool;
  guint pool_buffer_size;
  RxSlot slots[BATCH];
  guint8 *scratch;
  guint learn_left[2];          /* datagrams source learning still looks
                                 * at, per socket ([1]: RTCP); 0: not learning */

  GMutex lock;
  GInetAddress *server;         /* lock */
  GSocketAddress *remote_rtp;   /* lock */
  GSocketAddress *remote_rtcp;  /* lock */
  GstResilientUdpStats stats;   /* lock */
};

G_DEFINE_TYPE (GstResilientUdpTransport, gst_resilient_udp_transport,
    G_TYPE_OBJECT);

static void udp_release_slots (GstResilientUdpTransport * udp);
static void udp_destroy_sources (GstResilientUdpTransport * udp);

static void
gst_resilient_udp_transport_init (GstResilientUdpTransport * udp)
{
  g_mutex_init (&udp->lock);
}

static void
gst_resilient_udp_transport_dispose (GObject * object)
{
  GstResilientUdpTransport *udp = GST_RESILIENT_UDP_TRANSPORT (object);

  /* sources hold references while started: they are gone by now */
  udp_destroy_sources (udp);
  udp_release_slots (udp);
  if (udp->pool) {
    gst_buffer_pool_set_active (udp->pool, FALSE);
    gst_clear_object (&udp->pool);
  }
  if (udp->rtp_socket)
    g_socket_close (udp->rtp_socket, NULL);
  if (udp->rtcp_socket)
    g_socket_close (udp->rtcp_socket, NULL);

  G_OBJECT_CLASS (gst_resilient_udp_transport_parent_class)->dispose (object);
}

static void
gst_resilient_udp_transport_finalize (GObject * object)
{
  GstResilientUdpTransport *udp = GST_RESILIENT_UDP_TRANSPORT (object);

  GST_DEBUG_OBJECT (udp, "finalize");

  g_clear_object (&udp->rtp_socket);
  g_clear_object (&udp->rtcp_socket);
  g_clear_object (&udp->server);
  g_clear_object (&udp->remote_rtp);
  g_clear_object (&udp->remote_rtcp);
  g_free (udp->scratch);
  if (udp->io)
    gst_resilient_io_context_unref (udp->io);
  g_mutex_clear (&udp->lock);

  G_OBJECT_CLASS (gst_resilient_udp_transport_parent_class)->finalize (object);
}

static void
gst_resilient_udp_transport_class_init (GstResilientUdpTransportClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->dispose = gst_resilient_udp_transport_dispose;
  gobject_class->finalize = gst_resilient_udp_transport_finalize;

  GST_DEBUG_CATEGORY_INIT (udp_debug, "resilientrtspudp", 0,
      "resilientrtsp UDP transport");
}

/* Binding */

static GSocket *
bind_udp_socket (GSocketFamily family, guint port, gboolean reuse,
    gint buffer_size, GError ** error)
{
  GSocket *socket;
  GInetAddress *any;
  GSocketAddress *addr;
  gboolean ok;

  socket = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_UDP, error);
  if (socket == NULL)
    return NULL;
  g_socket_set_blocking (socket, FALSE);

  if (buffer_size > 0) {
#ifdef SO_RCVBUF
    GError *err = NULL;

    if (!g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, buffer_size, &err)) {
      GST_WARNING ("cannot set SO_RCVBUF to %d: %s", buffer_size, err->message);
      g_error_free (err);
    }
#endif
  }

  any = g_inet_address_new_any (family);
  addr = g_inet_socket_address_new (any, port);
  ok = g_socket_bind (socket, addr, reuse, error);
  g_object_unref (addr);
  g_object_unref (any);

  if (!ok) {
    g_object_unref (socket);
    return NULL;
  }
  return socket;
}

static guint
socket_local_port (GSocket * socket)
{
  GSocketAddress *addr = g_socket_get_local_address (socket, NULL);
  guint port = 0;

  if (addr) {
    if (G_IS_INET_SOCKET_ADDRESS (addr))
      port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (addr));
    g_object_unref (addr);
  }
  return port;
}

/* Binds P (even) and P+1 in [port_min, port_max]. */
static gboolean
bind_pair_in_range (GSocketFamily family, guint port_min, guint port_max,
    gint buffer_size, GSocket ** rtp, GSocket ** rtcp)
{
  guint port;

  for (port = port_min + (port_min & 1); port + 1 <= port_max; port += 2) {
    GError *err = NULL;

    *rtp = bind_udp_socket (family, port, FALSE, buffer_size, &err);
    if (*rtp == NULL) {
      GST_LOG ("port %u: %s", port, err->message);
      g_error_free (err);
      continue;
    }
    *rtcp = bind_udp_socket (family, port + 1, FALSE, buffer_size, &err);
    if (*rtcp == NULL) {
      GST_LOG ("port %u: %s", port + 1, err->message);
      g_error_free (err);
      g_clear_object (rtp);
      continue;
    }
    return TRUE;
  }
  return FALSE;
}

/* Binds RTP on a kernel-chosen port; keeps the unusable attempts bound until
 * done so the kernel doesn't hand them out again. */
static gboolean
bind_pair_ephemeral (GSocketFamily family, gint buffer_size, GSocket ** rtp,
    GSocket ** rtcp, GError ** error)
{
  GPtrArray *rejected = g_ptr_array_new_with_free_func (g_object_unref);
  gboolean ok = FALSE;
  guint attempt;

  for (attempt = 0; attempt < MAX_EPHEMERAL_ATTEMPTS; attempt++) {
    GError *err = NULL;
    guint port;

    *rtp = bind_udp_socket (family, 0, FALSE, buffer_size, error);
    if (*rtp == NULL)
      break;                    /* binding port 0 fails only for real problems */

    port = socket_local_port (*rtp);
    if (port == 0 || (port & 1) || port == 65535) {
      g_ptr_array_add (rejected, *rtp);
      *rtp = NULL;
      continue;
    }

    *rtcp = bind_udp_socket (family, port + 1, FALSE, buffer_size, &err);
    if (*rtcp == NULL) {
      GST_LOG ("port %u: %s", port + 1, err->message);
      g_error_free (err);
      g_ptr_array_add (rejected, *rtp);
      *rtp = NULL;
      continue;
    }
    ok = TRUE;
    break;
  }

  if (!ok && attempt == MAX_EPHEMERAL_ATTEMPTS) {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_INTERNAL,
        "no free even/odd UDP port pair after %u attempts", attempt);
  }
  g_ptr_array_free (rejected, TRUE);
  return ok;
}

static GstResilientUdpTransport *
udp_transport_new (GstResilientIoContext * io, GSocket * rtp, GSocket * rtcp)
{
  GstResilientUdpTransport *udp;

  udp = g_object_new (GST_TYPE_RESILIENT_UDP_TRANSPORT, NULL);
  udp->io = gst_resilient_io_context_ref (io);
  udp->rtp_socket = rtp;
  udp->rtcp_socket = rtcp;
  udp->rtp_port = socket_local_port (rtp);
  udp->rtcp_port = rtcp ? socket_local_port (rtcp) : 0;
  udp->pool_buffer_size = DEFAULT_BUFFER_SIZE;

  return udp;
}

GstResilientUdpTransport *
gst_resilient_udp_transport_new (GstResilientIoContext * io,
    GSocketFamily family, guint port_min, guint port_max, gint buffer_size,
    GError ** error)
{
  GstResilientUdpTransport *udp;
  GSocket *rtp = NULL, *rtcp = NULL;
  GError *err = NULL;

  g_return_val_if_fail (io != NULL, NULL);
  g_return_val_if_fail (family == G_SOCKET_FAMILY_IPV4
      || family == G_SOCKET_FAMILY_IPV6, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (port_min == 0) {
    if (!bind_pair_ephemeral (family, buffer_size, &rtp, &rtcp, &err))
      goto bind_failed;
  } else {
    if (port_max == 0)
      port_max = 65535;
    if (port_max > 65535 || port_max < port_min)
      goto bad_range;
    if (!bind_pair_in_range (family, port_min, port_max, buffer_size, &rtp,
            &rtcp))
      goto range_full;
  }

  udp = udp_transport_new (io, rtp, rtcp);
  GST_DEBUG_OBJECT (udp, "bound RTP %u, RTCP %u", udp->rtp_port,
      udp->rtcp_port);
  return udp;

  /* ERRORS */
bind_failed:
  {
    GST_WARNING ("cannot bind a UDP port pair: %s", err->message);
    if (err->domain == GST_RESILIENT_ERROR)
      g_propagate_error (error, err);
    else {
      g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_INTERNAL,
          "cannot bind a UDP port pair: %s", err->message);
      g_error_free (err);
    }
    return NULL;
  }
bad_range:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_INTERNAL,
        "invalid UDP port range %u-%u", port_min, port_max);
    return NULL;
  }
range_full:
  {
    GST_WARNING ("no free even/odd UDP port pair in %u-%u", port_min, port_max);
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_INTERNAL,
        "no free even/odd UDP port pair in the range %u-%u", port_min,
        port_max);
    return NULL;
  }
}

static gboolean
join_group (GSocket * socket, GInetAddress * group, GError ** error)
{
  return g_socket_join_multicast_group (socket, group, FALSE, NULL, error);
}

GstResilientUdpTransport *
gst_resilient_udp_transport_new_multicast (GstResilientIoContext * io,
    const gchar * group, guint rtp_port, guint rtcp_port, gint buffer_size,
    GError ** error)
{
  GstResilientUdpTransport *udp;
  GInetAddress *addr;
  GSocketFamily family;
  GSocket *rtp = NULL, *rtcp = NULL;
  GError *err = NULL;

  g_return_val_if_fail (io != NULL, NULL);
  g_return_val_if_fail (group != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  addr = g_inet_address_new_from_string (group);
  if (addr == NULL || !g_inet_address_get_is_multicast (addr))
    goto bad_group;
  if (rtp_port == 0 || rtp_port > 65535 || rtcp_port > 65535)
    goto bad_port;
  family = g_inet_address_get_family (addr);

  rtp = bind_udp_socket (family, rtp_port, TRUE, buffer_size, &err);
  if (rtp == NULL || !join_group (rtp, addr, &err))
    goto join_failed;
  if (rtcp_port) {
    rtcp = bind_udp_socket (family, rtcp_port, TRUE, buffer_size, &err);
    if (rtcp == NULL || !join_group (rtcp, addr, &err))
      goto join_failed;
  }

  udp = udp_transport_new (io, rtp, rtcp);
  GST_DEBUG_OBJECT (udp, "joined %s on RTP %u, RTCP %u", group,
      udp->rtp_port, udp->rtcp_port);
  g_object_unref (addr);
  return udp;

  /* ERRORS */
bad_group:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_INTERNAL,
        "'%s' is not a multicast address", group);
    g_clear_object (&addr);
    return NULL;
  }
bad_port:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_INTERNAL,
        "invalid multicast ports %u-%u", rtp_port, rtcp_port);
    g_object_unref (addr);
    return NULL;
  }
join_failed:
  {
    GST_WARNING ("cannot receive %s on ports %u/%u: %s", group, rtp_port,
        rtcp_port, err->message);
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_INTERNAL,
        "cannot receive multicast group %s on ports %u/%u: %s", group,
        rtp_port, rtcp_port, err->message);
    g_error_free (err);
    g_clear_object (&rtp);
    g_clear_object (&rtcp);
    g_object_unref (addr);
    return NULL;
  }
}

guint
gst_resilient_udp_transport_get_rtp_port (GstResilientUdpTransport * udp)
{
  g_return_val_if_fail (GST_IS_RESILIENT_UDP_TRANSPORT (udp), 0);
  return udp->rtp_port;
}

guint
gst_resilient_udp_transport_get_rtcp_port (GstResilientUdpTransport * udp)
{
  g_return_val_if_fail (GST_IS_RESILIENT_UDP_TRANSPORT (udp), 0);
  return udp->rtcp_port;
}

void
gst_resilient_udp_transport_set_remote (GstResilientUdpTransport * udp,
    GInetAddress * server, guint server_rtp_port, guint server_rtcp_port)
{
  GSocketAddress *rtp = NULL, *rtcp = NULL;

  g_return_if_fail (GST_IS_RESILIENT_UDP_TRANSPORT (udp));
  g_return_if_fail (server == NULL || G_IS_INET_ADDRESS (server));

  if (server && server_rtp_port)
    rtp = g_inet_socket_address_new (server, server_rtp_port);
  if (server && server_rtcp_port)
    rtcp = g_inet_socket_address_new (server, server_rtcp_port);

  g_mutex_lock (&udp->lock);
  g_clear_object (&udp->server);
  g_clear_object (&udp->remote_rtp);
  g_clear_object (&udp->remote_rtcp);
  if (server)
    udp->server = g_object_ref (server);
  udp->remote_rtp = rtp;
  udp->remote_rtcp = rtcp;
  udp->stats.learned_rtp_port = 0;
  udp->stats.learned_rtcp_port = 0;
  g_mutex_unlock (&udp->lock);
}

void
gst_resilient_udp_transport_set_learn_source (GstResilientUdpTransport * udp,
    gboolean learn)
{
  g_return_if_fail (GST_IS_RESILIENT_UDP_TRANSPORT (udp));
  g_return_if_fail (!udp->started
      || gst_resilient_io_context_is_current (udp->io));

  udp->learn_left[0] = learn ? LEARN_MAX_DATAGRAMS : 0;
  udp->learn_left[1] = learn && udp->rtcp_socket ? LEARN_MAX_DATAGRAMS : 0;
}

/* Receiving */

static GstBufferPool *
make_pool (guint size)
{
  GstBufferPool *pool = gst_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);

  gst_buffer_pool_config_set_params (config, NULL, size, BATCH, 0);
  if (!gst_buffer_pool_set_config (pool, config)
      || !gst_buffer_pool_set_active (pool, TRUE)) {
    gst_object_unref (pool);
    return NULL;
  }
  return pool;
}

static void
udp_release_slots (GstResilientUdpTransport * udp)
{
  guint i;

  for (i = 0; i < BATCH; i++) {
    if (udp->slots[i].buffer) {
      gst_buffer_unmap (udp->slots[i].buffer, &udp->slots[i].map);
      gst_clear_buffer (&udp->slots[i].buffer);
    }
  }
}

static gboolean
udp_fill_slot (GstResilientUdpTransport * udp, RxSlot * slot)
{
  if (slot->buffer)
    return TRUE;

  if (gst_buffer_pool_acquire_buffer (udp->pool, &slot->buffer,
          NULL) != GST_FLOW_OK) {
    slot->buffer = NULL;
    return FALSE;
  }
  if (!gst_buffer_map (slot->buffer, &slot->map, GST_MAP_WRITE)) {
    gst_clear_buffer (&slot->buffer);
    return FALSE;
  }
  return TRUE;
}

/* Datagrams of @size don't fit the pool's buffers: make the next ones fit. */
static void
udp_grow_pool (GstResilientUdpTransport * udp, gsize size)
{
  guint new_size = MIN (GST_ROUND_UP_N (size, 1024), MAX_DATAGRAM_SIZE);
  GstBufferPool *pool;

  if (new_size <= udp->pool_buffer_size)
    return;

  pool = make_pool (new_size);
  if (pool == NULL) {
    GST_WARNING_OBJECT (udp, "cannot make a pool of %u byte buffers", new_size);
    return;
  }

  GST_INFO_OBJECT (udp, "datagrams of %" G_GSIZE_FORMAT " bytes: buffers "
      "grow from %u to %u bytes", size, udp->pool_buffer_size, new_size);
  udp_release_slots (udp);
  /* buffers still out return to the old pool, which frees them */
  gst_buffer_pool_set_active (udp->pool, FALSE);
  gst_object_unref (udp->pool);
  udp->pool = pool;
  udp->pool_buffer_size = new_size;
}

/* Source learning: one datagram of @len bytes starting with @first_byte
 * came from @from. Stops learning on this socket once the server spoke;
 * returns the learned address when it is not the announced one. */
static GInetSocketAddress *
udp_learn (GstResilientUdpTransport * udp, gboolean is_rtcp,
    GSocketAddress * from, gsize len, guint8 first_byte)
{
  GInetSocketAddress *inet;
  GInetSocketAddress *learned = NULL;
  GSocketAddress **remote;
  guint port, expected;

  if (udp->learn_left[is_rtcp] == 0)
    return NULL;
  udp->learn_left[is_rtcp]--;

  /* an RTP or RTCP packet: version 2 */
  if (!G_IS_INET_SOCKET_ADDRESS (from) || len < 4 || (first_byte >> 6) != 2)
    return NULL;
  inet = G_INET_SOCKET_ADDRESS (from);
  port = g_inet_socket_address_get_port (inet);

  g_mutex_lock (&udp->lock);
  remote = is_rtcp ? &udp->remote_rtcp : &udp->remote_rtp;
  if (udp->server == NULL || *remote == NULL ||
      !g_inet_address_equal (udp->server,
          g_inet_socket_address_get_address (inet))) {
    g_mutex_unlock (&udp->lock);
    return NULL;
  }
  /* the server spoke: this packet decides */
  udp->learn_left[is_rtcp] = 0;
  expected = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (*remote));
  if (port != expected) {
    g_object_unref (*remote);
    *remote = g_inet_socket_address_new (udp->server, port);
    if (is_rtcp)
      udp->stats.learned_rtcp_port = port;
    else
      udp->stats.learned_rtp_port = port;
    learned = G_INET_SOCKET_ADDRESS (g_object_ref (*remote));
  }
  g_mutex_unlock (&udp->lock);

  if (learned) {
    GST_INFO_OBJECT (udp, "the server sends %s from port %u, not %u: "
        "sending there", is_rtcp ? "RTCP" : "RTP", port, expected);
  } else {
    GST_DEBUG_OBJECT (udp, "the server sends %s from the announced port %u",
        is_rtcp ? "RTCP" : "RTP", port);
  }
  return learned;
}

/* One g_socket_receive_messages call. Returns the number of datagrams
 * received (0 when none is waiting), -1 on error. */
static gint
udp_receive_batch (GstResilientUdpTransport * udp, GSocket * socket,
    gboolean is_rtcp)
{
  GInputMessage msgs[BATCH];
  GInputVector vecs[BATCH][2];
  GSocketAddress *from[BATCH];
  GstBuffer *out[BATCH];
  GError *error = NULL;
  gint n, i, last_oversized = -1;
  guint64 bytes = 0, oversized = 0, dropped = 0;
  gsize max_oversized = 0;
  gboolean learning = udp->learn_left[is_rtcp] > 0;
  GInetSocketAddress *learned = NULL;

  for (i = 0; i < BATCH; i++) {
    if (!udp_fill_slot (udp, &udp->slots[i]))
      goto no_buffer;
    vecs[i][0].buffer = udp->slots[i].map.data;
    vecs[i][0].size = udp->slots[i].map.size;
    vecs[i][1].buffer = udp->scratch;
    vecs[i][1].size = SCRATCH_SIZE;
    from[i] = NULL;
    msgs[i].address = learning ? &from[i] : NULL;
    msgs[i].vectors = vecs[i];
    msgs[i].num_vectors = 2;
    msgs[i].bytes_received = 0;
    msgs[i].flags = 0;
    msgs[i].control_messages = NULL;
    msgs[i].num_control_messages = NULL;
  }

  n = g_socket_receive_messages (socket, msgs, BATCH, 0, NULL, &error);
  if (n < 0) {
    for (i = 0; i < BATCH; i++)
      g_clear_object (&from[i]);
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_error_free (error);
      return 0;
    }
    goto receive_error;
  }

  for (i = 0; i < n; i++) {
    if (msgs[i].bytes_received > vecs[i][0].size)
      last_oversized = i;
  }

  if (learning) {
    for (i = 0; i < n; i++) {
      if (from[i] && learned == NULL && msgs[i].bytes_received > 0)
        learned = udp_learn (udp, is_rtcp, from[i], msgs[i].bytes_received,
            udp->slots[i].map.data[0]);
      g_clear_object (&from[i]);
    }
  }

  for (i = 0; i < n; i++) {
    RxSlot *slot = &udp->slots[i];
    gsize len = msgs[i].bytes_received;

    if (len <= slot->map.size) {
      /* the common case: hand out the pool buffer itself */
      gst_buffer_unmap (slot->buffer, &slot->map);
      gst_buffer_set_size (slot->buffer, len);
      out[i] = slot->buffer;
      slot->buffer = NULL;
    } else if (i == last_oversized) {
      out[i] = gst_buffer_new_allocate (NULL, len, NULL);
      gst_buffer_fill (out[i], 0, slot->map.data, slot->map.size);
      gst_buffer_fill (out[i], slot->map.size, udp->scratch,
          len - slot->map.size);
      oversized++;
      max_oversized = MAX (max_oversized, len);
    } else {
      /* its tail in the scratch area was overwritten by a later one */
      GST_WARNING_OBJECT (udp, "dropping a datagram of %" G_GSIZE_FORMAT
          " bytes", len);
      out[i] = NULL;
      dropped++;
      max_oversized = MAX (max_oversized, len);
      continue;
    }
    bytes += len;
  }

  g_mutex_lock (&udp->lock);
  if (n > 0)
    udp->stats.receive_calls++;
  udp->stats.packets += n - dropped;
  udp->stats.bytes += bytes;
  udp->stats.oversized += oversized;
  udp->stats.oversized_dropped += dropped;
  g_mutex_unlock (&udp->lock);

  if (max_oversized > 0)
    udp_grow_pool (udp, max_oversized);

  if (learned) {
    if (udp->started && udp->callbacks.source_learned)
      udp->callbacks.source_learned (udp, is_rtcp, learned, udp->user_data);
    g_object_unref (learned);
  }

  for (i = 0; i < n; i++) {
    if (out[i] == NULL)
      continue;
    /* a callback may stop us: no callback after that */
    if (udp->started && udp->callbacks.packet)
      udp->callbacks.packet (udp, is_rtcp, out[i], udp->user_data);
    else
      gst_buffer_unref (out[i]);
  }

  return n;

  /* ERRORS */
no_buffer:
  {
    GST_ERROR_OBJECT (udp, "cannot get a buffer from the pool");
    return -1;
  }
receive_error:
  {
    GST_WARNING_OBJECT (udp, "receive error on the %s socket: %s",
        is_rtcp ? "RTCP" : "RTP", error->message);
    g_error_free (error);
    return -1;
  }
}

static void
udp_receive (GstResilientUdpTransport * udp, GSocket * socket, gboolean is_rtcp)
{
  guint batch;

  g_object_ref (udp);
  for (batch = 0; batch < MAX_BATCHES && udp->started; batch++) {
    /* a short batch means the socket is drained; after a full one, ask
     * first: a receive that finds nothing fails with a GError, two
     * allocations per burst otherwise */
    if (udp_receive_batch (udp, socket, is_rtcp) < BATCH
        || g_socket_get_available_bytes (socket) <= 0)
      break;
  }
  g_object_unref (udp);
}

static gboolean
on_rtp_readable (GSocket * socket, GIOCondition condition, gpointer user_data)
{
  udp_receive (user_data, socket, FALSE);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_rtcp_readable (GSocket * socket, GIOCondition condition, gpointer user_data)
{
  udp_receive (user_data, socket, TRUE);
  return G_SOURCE_CONTINUE;
}

static GSource *
udp_add_source (GstResilientUdpTransport * udp, GSocket * socket,
    GSocketSourceFunc func)
{
  GSource *source = g_socket_create_source (socket, G_IO_IN, NULL);

  g_source_set_callback (source, (GSourceFunc) func, g_object_ref (udp),
      g_object_unref);
  g_source_set_static_name (source, "rrtsp-udp-receive");
  /* no recursion here; without the flag GLib removes and re-adds the poll
   * record around every dispatch (an allocation and a wake-up each time) */
  g_source_set_can_recurse (source, TRUE);
  gst_resilient_io_context_attach (udp->io, source);
  return source;
}

void
gst_resilient_udp_transport_start (GstResilientUdpTransport * udp,
    const GstResilientUdpCallbacks * callbacks, gpointer user_data)
{
  g_return_if_fail (GST_IS_RESILIENT_UDP_TRANSPORT (udp));
  g_return_if_fail (callbacks != NULL);
  g_return_if_fail (gst_resilient_io_context_is_current (udp->io));

  if (udp->started)
    return;

  if (udp->pool == NULL) {
    udp->pool = make_pool (udp->pool_buffer_size);
    if (udp->pool == NULL) {
      GST_ERROR_OBJECT (udp, "cannot make a buffer pool");
      return;
    }
  }
  if (udp->scratch == NULL)
    udp->scratch = g_malloc (SCRATCH_SIZE);

  udp->callbacks = *callbacks;
  udp->user_data = user_data;
  udp->started = TRUE;

  udp->rtp_source = udp_add_source (udp, udp->rtp_socket, on_rtp_readable);
  if (udp->rtcp_socket)
    udp->rtcp_source = udp_add_source (udp, udp->rtcp_socket, on_rtcp_readable);

  GST_DEBUG_OBJECT (udp, "receiving on %u/%u", udp->rtp_port, udp->rtcp_port);
}

static void
udp_destroy_sources (GstResilientUdpTransport * udp)
{
  if (udp->rtp_source) {
    g_source_destroy (udp->rtp_source);
    g_clear_pointer (&udp->rtp_source, g_source_unref);
  }
  if (udp->rtcp_source) {
    g_source_destroy (udp->rtcp_source);
    g_clear_pointer (&udp->rtcp_source, g_source_unref);
  }
}

void
gst_resilient_udp_transport_stop (GstResilientUdpTransport * udp)
{
  g_return_if_fail (GST_IS_RESILIENT_UDP_TRANSPORT (udp));
  g_return_if_fail (gst_resilient_io_context_is_current (udp->io));

  if (!udp->started)
    return;

  GST_DEBUG_OBJECT (udp, "stop");
  udp->started = FALSE;
  g_object_ref (udp);
  udp_destroy_sources (udp);
  udp_release_slots (udp);
  g_object_unref (udp);
}

/* Sending */

/* Sends @buf from @from_rtcp's socket to that socket's remote; the remote
 * is read under the lock (source learning may change it). */
static gboolean
udp_send (GstResilientUdpTransport * udp, gboolean from_rtcp, GstBuffer * buf,
    const gchar * what)
{
  GSocketAddress *dest = NULL;
  GSocket *socket;
  GstMapInfo map;
  GError *error = NULL;
  gssize sent;

  g_mutex_lock (&udp->lock);
  if (from_rtcp && udp->remote_rtcp)
    dest = g_object_ref (udp->remote_rtcp);
  else if (!from_rtcp && udp->remote_rtp)
    dest = g_object_ref (udp->remote_rtp);
  g_mutex_unlock (&udp->lock);

  if (dest == NULL) {
    GST_LOG_OBJECT (udp, "no remote %s port, not sending %s",
        from_rtcp ? "RTCP" : "RTP", what);
    return FALSE;
  }

  /* from the RTCP port, so the server sees RTCP where it expects it */
  socket = from_rtcp && udp->rtcp_socket ? udp->rtcp_socket : udp->rtp_socket;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    g_object_unref (dest);
    return FALSE;
  }
  sent = g_socket_send_to (socket, dest, (const gchar *) map.data, map.size,
      NULL, &error);
  gst_buffer_unmap (buf, &map);
  g_object_unref (dest);

  if (sent < 0) {
    GST_DEBUG_OBJECT (udp, "%s not sent: %s", what, error->message);
    g_error_free (error);
    return FALSE;
  }
  return TRUE;
}

gboolean
gst_resilient_udp_transport_send_rtcp (GstResilientUdpTransport * udp,
    GstBuffer * buf)
{
  g_return_val_if_fail (GST_IS_RESILIENT_UDP_TRANSPORT (udp), FALSE);
  g_return_val_if_fail (GST_IS_BUFFER (buf), FALSE);

  if (!udp_send (udp, TRUE, buf, "RTCP"))
    return FALSE;

  g_mutex_lock (&udp->lock);
  udp->stats.rtcp_sent++;
  udp->stats.last_rtcp_sent_us = g_get_monotonic_time ();
  g_mutex_unlock (&udp->lock);
  return TRUE;
}

gboolean
gst_resilient_udp_transport_send_punch (GstResilientUdpTransport * udp,
    gboolean from_rtcp, GstBuffer * buf)
{
  g_return_val_if_fail (GST_IS_RESILIENT_UDP_TRANSPORT (udp), FALSE);
  g_return_val_if_fail (GST_IS_BUFFER (buf), FALSE);

  if (!udp_send (udp, from_rtcp, buf, "NAT punch"))
    return FALSE;

  g_mutex_lock (&udp->lock);
  udp->stats.punches_sent++;
  g_mutex_unlock (&udp->lock);
  return TRUE;
}

void
gst_resilient_udp_transport_get_stats (GstResilientUdpTransport * udp,
    GstResilientUdpStats * stats)
{
  g_return_if_fail (GST_IS_RESILIENT_UDP_TRANSPORT (udp));
  g_return_if_fail (stats != NULL);

  g_mutex_lock (&udp->lock);
  *stats = udp->stats;
  g_mutex_unlock (&udp->lock);
}
