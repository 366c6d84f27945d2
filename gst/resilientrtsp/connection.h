/* resilientrtsp
 * connection.h: one RTSP control channel on a connected GIOStream, driven on
 * the shared I/O context — non-blocking reads into pooled blocks, framing
 * with GstResilientFramer, $-interleaved frames handed out as sub-buffers
 * that share the block's memory (zero-copy), and a send queue.
 */
#pragma once

#include <gst/gst.h>
#include <gio/gio.h>
#include <gst/rtsp/rtsp.h>

#include "iocontext.h"
#include "framer.h"

G_BEGIN_DECLS

#define GST_TYPE_RESILIENT_CONNECTION (gst_resilient_connection_get_type ())
G_DECLARE_FINAL_TYPE (GstResilientConnection, gst_resilient_connection,
    GST, RESILIENT_CONNECTION, GObject);

typedef struct
{
  /* A complete RTSP message (response, or a request from the server).
   * (transfer full): free with gst_rtsp_message_free. */
  void (*message) (GstResilientConnection * conn, GstRTSPMessage * msg,
      gpointer user_data);
  /* An interleaved frame; @buf (transfer full) shares the read block's memory
   * unless the frame straddled two reads. */
  void (*data) (GstResilientConnection * conn, guint8 channel, GstBuffer * buf,
      gpointer user_data);
  /* The channel is gone: peer closed (G_IO_ERROR_CONNECTION_CLOSED mapped to
   * GST_RESILIENT_ERROR_CONNECTION_LOST), reset, or a framing error
   * (GST_RESILIENT_ERROR_PROTOCOL). Called at most once; no callback follows
   * it. Not called for gst_resilient_connection_close(). */
  void (*closed) (GstResilientConnection * conn, const GError * error,
      gpointer user_data);
} GstResilientConnectionCallbacks;

typedef struct
{
  guint64 bytes_received;
  guint64 bytes_sent;
  guint64 messages_received;
  guint64 frames_received;
  guint64 frame_bytes_shared;   /* interleaved payload bytes handed out zero-copy */
  guint64 frame_bytes_copied;   /* … that had to be copied (straddled a read) */
  guint64 blocks_allocated;
} GstResilientConnectionStats;

/**
 * gst_resilient_connection_new:
 * @stream: (transfer none): a connected stream whose input and output streams
 *   are GPollableInputStream/GPollableOutputStream (GSocketConnection,
 *   GTlsConnection, …)
 * Reading starts with gst_resilient_connection_start(). Framer limits other
 * than the defaults: gst_resilient_connection_set_framer_limits().
 * While started, the I/O sources hold a reference on the connection: stop it
 * with gst_resilient_connection_close() (or wait for the closed callback)
 * before dropping the last reference.
 */
G_GNUC_INTERNAL
GstResilientConnection *gst_resilient_connection_new (GstResilientIoContext * io,
    GIOStream * stream, const GstResilientConnectionCallbacks * callbacks,
    gpointer user_data);

/* Before start(): replaces the framer's limits (@limits NULL: defaults). */
G_GNUC_INTERNAL void gst_resilient_connection_set_framer_limits (GstResilientConnection * conn,
    const GstResilientFramerLimits * limits);

/* I/O thread only. */
G_GNUC_INTERNAL void gst_resilient_connection_start (GstResilientConnection * conn);

/* I/O thread only. Stops reading and writing, closes the stream; no callback
 * is called after it returns. Unsent data is dropped. Idempotent. */
G_GNUC_INTERNAL void gst_resilient_connection_close (GstResilientConnection * conn);

/* Any thread. Queues the serialized message; never dropped. FALSE once closed. */
G_GNUC_INTERNAL gboolean gst_resilient_connection_send_message (GstResilientConnection * conn,
    const GstRTSPMessage * msg);

/* Any thread. Queues an interleaved frame (e.g. RTCP); may be dropped (FALSE)
 * when more than 1 MiB is already queued or the connection is closed.
 * @buf: (transfer none): the payload (at most 65535 bytes); a reference is
 *   kept until it is written. */
G_GNUC_INTERNAL gboolean gst_resilient_connection_send_data (GstResilientConnection * conn,
    guint8 channel, GstBuffer * buf);

/* Any thread. */
G_GNUC_INTERNAL void gst_resilient_connection_get_stats (GstResilientConnection * conn,
    GstResilientConnectionStats * stats);

/* The remote / local address, when the stream is a GSocketConnection or a
 * TLS connection over one (NULL otherwise). (transfer full): a new reference,
 * g_object_unref() it. Any thread. */
G_GNUC_INTERNAL GInetSocketAddress *gst_resilient_connection_get_remote_address (GstResilientConnection * conn);
G_GNUC_INTERNAL GInetSocketAddress *gst_resilient_connection_get_local_address (GstResilientConnection * conn);

/**
 * gst_resilient_connect_tcp_async:
 * Resolves @host and connects (every resolved address in turn, as
 * GSocketClient does) with a @timeout_ms limit for the whole attempt; the
 * callback runs on the I/O context. _finish returns a GIOStream or a
 * GST_RESILIENT_ERROR (dns, refused, unreachable, timeout) — or
 * G_IO_ERROR_CANCELLED when @cancellable was cancelled. @host may be a name
 * or an address literal (an IPv6 one with or without brackets). The socket
 * has TCP_NODELAY set. Always asynchronous, from any thread.
 * (connector.c; proxies, TLS and tunnels extend it in later issues.)
 */
G_GNUC_INTERNAL
void gst_resilient_connect_tcp_async (GstResilientIoContext * io,
    const gchar * host, guint16 port, guint timeout_ms,
    GCancellable * cancellable, GAsyncReadyCallback callback, gpointer user_data);
G_GNUC_INTERNAL
GIOStream *gst_resilient_connect_tcp_finish (GAsyncResult * result,
    GError ** error);

G_END_DECLS
