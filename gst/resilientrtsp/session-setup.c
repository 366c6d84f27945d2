/* resilientrtsp
 * session-setup.c: SETUP of every selected stream — transport choice and
 * fallback (UDP → multicast → TCP), the Transport answer, UDP sockets and
 * interleaved channels.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "session-private.h"

#include "error.h"
#include "headers.h"

GST_DEBUG_CATEGORY_EXTERN (resilient_session_debug);
#define GST_CAT_DEFAULT resilient_session_debug

/* The lower transports to try, in order: UDP, multicast, TCP. */
static GstRTSPLowerTrans
next_transport (GstResilientSession * session, GstRTSPLowerTrans after)
{
  static const GstRTSPLowerTrans order[] = {
    GST_RTSP_LOWER_TRANS_UDP, GST_RTSP_LOWER_TRANS_UDP_MCAST,
    GST_RTSP_LOWER_TRANS_TCP
  };
  gboolean passed = (after == 0);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (order); i++) {
    if (passed && (session->allowed & order[i]))
      return order[i];
    if (order[i] == after)
      passed = TRUE;
  }
  return 0;
}

static void
on_udp_packet (GstResilientUdpTransport * udp, gboolean is_rtcp,
    GstBuffer * buf, gpointer user_data)
{
  StreamPriv *stream = user_data;
  GstResilientSession *session = stream->session;
  gboolean closed;

  g_mutex_lock (&session->lock);
  closed = session->closed;
  session->packets++;
  session->bytes += gst_buffer_get_size (buf);
  session->udp_data_seen = TRUE;
  if (!is_rtcp)
    session->last_rtp_us = g_get_monotonic_time ();
  g_mutex_unlock (&session->lock);

  if (closed)
    gst_buffer_unref (buf);
  else
    gst_resilient_session_deliver (session, stream->pub.index, is_rtcp, buf);
}

static void
on_udp_source_learned (GstResilientUdpTransport * udp, gboolean is_rtcp,
    GInetSocketAddress * from, gpointer user_data)
{
  StreamPriv *stream = user_data;

  GST_INFO_OBJECT (stream->session, "stream %u: the server sends %s from "
      "port %u, not the announced %u: sending %s there", stream->pub.index,
      is_rtcp ? "RTCP" : "RTP", g_inet_socket_address_get_port (from),
      is_rtcp ? stream->pub.server_rtcp_port : stream->pub.server_rtp_port,
      is_rtcp ? "RTCP and punches" : "punches");
}

static const GstResilientUdpCallbacks udp_callbacks = {
  on_udp_packet,
  on_udp_source_learned,
};

static GSocketFamily
server_family (GstResilientSession * session)
{
  GInetSocketAddress *addr = NULL;
  GSocketFamily family = G_SOCKET_FAMILY_IPV4;

  if (session->conn)
    addr = gst_resilient_connection_get_remote_address (session->conn);
  if (addr) {
    family = g_inet_address_get_family (g_inet_socket_address_get_address
        (addr));
    g_object_unref (addr);
  }
  return family;
}

static void on_setup_response (GstResilientSession * session,
    PendingRequest * req, GstRTSPMessage * response);

void
gst_resilient_session_send_setup (GstResilientSession * session)
{
  GstResilientStreamDesc *desc;
  StreamPriv *stream;
  GstRTSPMessage *msg;
  gchar *transport = NULL;
  GError *error = NULL;

  if (session->setup_index >= session->selected->len) {
    gst_resilient_session_streams_set_up (session);
    return;
  }
  desc = g_ptr_array_index (session->selected, session->setup_index);

  if (session->trying == 0)
    session->trying = next_transport (session, 0);
  if (session->trying == 0) {
    gst_resilient_session_fail (session,
        session->
        setup_error ? session->setup_error : g_error_new (GST_RESILIENT_ERROR,
            GST_RESILIENT_ERROR_UNSUPPORTED_TRANSPORT,
            "SETUP %s: no transport left to try", desc->control_url));
    session->setup_error = NULL;
    return;
  }

  g_clear_pointer (&session->setup_stream, gst_resilient_session_stream_free);
  stream = g_new0 (StreamPriv, 1);
  stream->session = session;
  stream->pub.index = desc->index;
  stream->pub.desc = desc;
  stream->pub.seqnum_base = -1;
  stream->pub.clock_base = -1;
  session->setup_stream = stream;

  switch (session->trying) {
    case GST_RTSP_LOWER_TRANS_UDP:
      stream->pub.udp = gst_resilient_udp_transport_new (session->io,
          server_family (session), session->settings.port_min,
          session->settings.port_max, session->settings.udp_buffer_size,
          &error);
      if (stream->pub.udp == NULL) {
        gst_resilient_session_fail (session, error);
        return;
      }
      stream->pub.client_rtp_port =
          gst_resilient_udp_transport_get_rtp_port (stream->pub.udp);
      transport = gst_resilient_format_transport (desc->profile,
          GST_RTSP_LOWER_TRANS_UDP, stream->pub.client_rtp_port);
      break;
    case GST_RTSP_LOWER_TRANS_UDP_MCAST:
      transport = gst_resilient_format_transport (desc->profile,
          GST_RTSP_LOWER_TRANS_UDP_MCAST, 0);
      break;
    case GST_RTSP_LOWER_TRANS_TCP:
    default:
      stream->pub.rtp_channel = 2 * session->setup_index;
      stream->pub.rtcp_channel = stream->pub.rtp_channel + 1;
      transport = gst_resilient_format_transport (desc->profile,
          GST_RTSP_LOWER_TRANS_TCP, stream->pub.rtp_channel);
      break;
  }

  msg =
      gst_resilient_session_new_request (session, GST_RTSP_SETUP,
      desc->control_url);
  gst_rtsp_message_take_header (msg, GST_RTSP_HDR_TRANSPORT, transport);
  gst_resilient_session_send_request (session, msg, on_setup_response);
}

static gboolean
apply_transport (GstResilientSession * session, StreamPriv * stream,
    GstRTSPMessage * response, GError ** error)
{
  gchar *value = NULL;
  GstRTSPTransport *transport = NULL;
  GstResilientSessionStream *pub = &stream->pub;
  GstRTSPLowerTrans lower;

  if (gst_rtsp_message_get_header (response, GST_RTSP_HDR_TRANSPORT, &value,
          0) != GST_RTSP_OK)
    goto no_transport;

  gst_rtsp_transport_new (&transport);
  if (gst_rtsp_transport_parse (value, transport) != GST_RTSP_OK)
    goto bad_transport;

  lower = transport->lower_transport;
  if ((lower & session->allowed) == 0)
    goto not_allowed;

  pub->transport = lower;
  if (transport->ssrc) {
    pub->ssrc = transport->ssrc;
    pub->has_ssrc = TRUE;
  }

  switch (lower) {
    case GST_RTSP_LOWER_TRANS_TCP:
      if (pub->udp) {
        g_object_unref (pub->udp);
        pub->udp = NULL;
      }
      if (transport->interleaved.min >= 0 && transport->interleaved.min < 256) {
        pub->rtp_channel = transport->interleaved.min;
        pub->rtcp_channel = transport->interleaved.max >= 0 &&
            transport->interleaved.max < 256 ?
            transport->interleaved.max : pub->rtp_channel + 1;
      }
      break;
    case GST_RTSP_LOWER_TRANS_UDP_MCAST:{
      gint rtp_port = transport->port.min;
      gint rtcp_port = transport->port.max;

      if (transport->destination == NULL || rtp_port <= 0)
        goto bad_multicast;
      if (rtcp_port <= 0)
        rtcp_port = rtp_port + 1;
      g_clear_object (&pub->udp);
      pub->udp = gst_resilient_udp_transport_new_multicast (session->io,
          transport->destination, rtp_port, rtcp_port,
          session->settings.udp_buffer_size, error);
      if (pub->udp == NULL)
        goto failed;
      pub->client_rtp_port = rtp_port;
      pub->server_rtp_port = rtp_port;
      pub->server_rtcp_port = rtcp_port;
      break;
    }
    case GST_RTSP_LOWER_TRANS_UDP:
    default:
      if (pub->udp == NULL)
        goto not_requested;
      pub->server_rtp_port = MAX (transport->server_port.min, 0);
      pub->server_rtcp_port = transport->server_port.max > 0 ?
          (guint) transport->server_port.max :
          (pub->server_rtp_port ? pub->server_rtp_port + 1 : 0);
      break;
  }

  gst_rtsp_transport_free (transport);
  return TRUE;

  /* ERRORS */
no_transport:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_PROTOCOL,
        "SETUP %s: the answer has no Transport header", pub->desc->control_url);
    return FALSE;
  }
bad_transport:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_PROTOCOL,
        "SETUP %s: malformed Transport header \"%s\"",
        pub->desc->control_url, value);
    gst_rtsp_transport_free (transport);
    return FALSE;
  }
not_allowed:
not_requested:
  {
    g_set_error (error, GST_RESILIENT_ERROR,
        GST_RESILIENT_ERROR_UNSUPPORTED_TRANSPORT,
        "SETUP %s: the server chose a transport we did not offer: \"%s\"",
        pub->desc->control_url, value);
    gst_rtsp_transport_free (transport);
    return FALSE;
  }
bad_multicast:
  {
    g_set_error (error, GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_PROTOCOL,
        "SETUP %s: multicast Transport without destination or port: \"%s\"",
        pub->desc->control_url, value);
    gst_rtsp_transport_free (transport);
    return FALSE;
  }
failed:
  {
    gst_rtsp_transport_free (transport);
    return FALSE;
  }
}

static void
on_setup_response (GstResilientSession * session, PendingRequest * req,
    GstRTSPMessage * response)
{
  GstRTSPStatusCode code;
  const gchar *reason;
  GstRTSPVersion version;
  StreamPriv *stream = session->setup_stream;
  GError *error = NULL;
  guint pos;

  gst_rtsp_message_parse_response (response, &code, &reason, &version);
  if (gst_resilient_session_is_closed (session)) {
    /* closed while this SETUP was in flight: end what it made */
    if (code != GST_RTSP_STS_OK ||
        gst_resilient_session_check_session_header (session, response))
      gst_resilient_session_close_teardown (session);
    return;
  }
  if (code != GST_RTSP_STS_OK) {
    GstRTSPLowerTrans next = next_transport (session, session->trying);

    if ((code == GST_RTSP_STS_UNSUPPORTED_TRANSPORT ||
            code == GST_RTSP_STS_BAD_REQUEST) && next != 0) {
      GST_INFO_OBJECT (session, "SETUP %s answered %d, trying %s", req->uri,
          code, next == GST_RTSP_LOWER_TRANS_TCP ? "TCP" : "multicast");
      if (session->setup_error == NULL)
        session->setup_error = gst_resilient_error_new_from_status (code,
            reason, req->method, req->uri);
      session->trying = next;
      gst_resilient_session_send_setup (session);
      return;
    }
    gst_resilient_session_handle_failure (session, req, response, code, reason);
    return;
  }
  if (!gst_resilient_session_check_session_header (session, response))
    return;
  if (session->session_id == NULL) {
    gst_resilient_session_fail (session, g_error_new (GST_RESILIENT_ERROR,
            GST_RESILIENT_ERROR_PROTOCOL,
            "SETUP %s: the answer has no Session header", req->uri));
    return;
  }
  if (stream == NULL || !apply_transport (session, stream, response, &error)) {
    if (error == NULL)
      error = g_error_new (GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_INTERNAL,
          "SETUP answer without a stream in flight");
    gst_resilient_session_fail (session, error);
    return;
  }

  session->setup_stream = NULL;
  g_mutex_lock (&session->lock);
  pos = session->streams->len;
  g_ptr_array_add (session->streams, stream);
  session->transport = stream->pub.transport;
  g_mutex_unlock (&session->lock);

  if (stream->pub.transport == GST_RTSP_LOWER_TRANS_TCP) {
    session->channel_map[stream->pub.rtp_channel] = pos;
    session->channel_is_rtcp[stream->pub.rtp_channel] = FALSE;
    session->channel_map[stream->pub.rtcp_channel] = pos;
    session->channel_is_rtcp[stream->pub.rtcp_channel] = TRUE;
  }
  GST_INFO_OBJECT (session, "stream %u set up over %s", stream->pub.index,
      stream->pub.transport == GST_RTSP_LOWER_TRANS_TCP ? "TCP" :
      stream->pub.transport == GST_RTSP_LOWER_TRANS_UDP ? "UDP" : "multicast");

  /* following streams start with what worked */
  session->trying = stream->pub.transport;
  g_clear_error (&session->setup_error);
  session->setup_index++;
  gst_resilient_session_send_setup (session);
}

void
gst_resilient_session_streams_set_up (GstResilientSession * session)
{
  GInetSocketAddress *remote = NULL;
  GInetAddress *server = NULL;
  guint i;

  if (session->conn)
    remote = gst_resilient_connection_get_remote_address (session->conn);
  if (remote)
    server = g_inet_socket_address_get_address (remote);

  for (i = 0; i < session->streams->len; i++) {
    StreamPriv *stream = g_ptr_array_index (session->streams, i);

    if (stream->pub.udp == NULL)
      continue;
    /* the RTCP port is also where NAT punches for RTCP go */
    if (server && stream->pub.transport == GST_RTSP_LOWER_TRANS_UDP)
      gst_resilient_udp_transport_set_remote (stream->pub.udp, server,
          stream->pub.server_rtp_port, session->settings.do_rtcp ||
          session->settings.nat_method != GST_RESILIENT_NAT_METHOD_NONE ?
          stream->pub.server_rtcp_port : 0);
    gst_resilient_udp_transport_start (stream->pub.udp, &udp_callbacks, stream);
  }
  g_clear_object (&remote);
  /* before PLAY: the NAT must know the path before the server sends */
  gst_resilient_session_nat_punch_start (session);

  if (gst_resilient_session_get_state (session) !=
      GST_RESILIENT_SESSION_RECOVERING)
    gst_resilient_session_set_state (session, GST_RESILIENT_SESSION_READY,
        NULL);
  if (session->callbacks.streams_ready
      && !gst_resilient_session_is_closed (session))
    session->callbacks.streams_ready (session, session->streams,
        session->user_data);

  if (!session->play_after_setup &&
      gst_resilient_session_get_state (session) ==
      GST_RESILIENT_SESSION_RECOVERING)
    gst_resilient_session_set_state (session, GST_RESILIENT_SESSION_READY,
        NULL);
  if (session->play_after_setup) {
    session->play_after_setup = FALSE;
    gst_resilient_session_set_state (session, GST_RESILIENT_SESSION_READY,
        NULL);
    gst_resilient_session_start_play (session);
    return;
  }
  gst_resilient_session_command_done (session);
}
