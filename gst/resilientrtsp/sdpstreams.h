/* resilientrtsp
 * sdpstreams.h: SDP → stream descriptions, pure (no I/O, no pads).
 */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/rtsp/rtsp.h>

G_BEGIN_DECLS

typedef struct
{
  guint index;                  /* position among the SDP's m= lines */
  gchar *media;                 /* "video", "audio", "application", … */
  gchar *control_url;           /* absolute, resolved; for a=control:* the aggregate URL */
  guint pt;                     /* the first (preferred) payload type */
  GstCaps *caps;                /* application/x-rtp for that pt, with media,
                                   payload, clock-rate, encoding-name and fmtp
                                   parameters (gst_sdp_media_get_caps_from_media
                                   + attributes_to_caps); NULL if unusable */
  GstStructure *pt_caps;        /* field "pt-<n>" → GstCaps for every pt in the m= line */
  GstRTSPProfile profile;       /* from the m= proto (RTP/AVP, RTP/AVPF, RTP/SAVP…) */
  gboolean is_multicast;        /* c= holds a multicast address */
  gchar *multicast_address;     /* when is_multicast */
  guint multicast_ttl;
  guint server_port;            /* m= port (for multicast), 0 otherwise */
  gboolean recvonly_backchannel;/* a=sendonly from the client's view: a backchannel; skipped by default */
} GstResilientStreamDesc;

typedef struct
{
  gchar *aggregate_url;         /* session control URL (absolute) */
  gchar *title;                 /* s= */
  gdouble range_start;          /* a=range:npt= start, seconds; -1 if none */
  gdouble range_end;            /* -1 if open-ended / live */
  GPtrArray *streams;           /* GstResilientStreamDesc*, usable ones only */
  guint skipped;                /* m= lines skipped (no usable pt, non-RTP proto);
                                   port 0 is NOT a reason: in RTSP it is the
                                   norm ("client chooses", RFC 2326 C.1) */
} GstResilientSdpInfo;

/**
 * gst_resilient_sdp_info_new:
 * @sdp: a parsed SDP
 * @base_url: the control base from gst_resilient_url_control_base()
 *
 * Fails (GST_RESILIENT_ERROR_SDP) when no m= line is usable.
 */
G_GNUC_INTERNAL
GstResilientSdpInfo *gst_resilient_sdp_info_new (const GstSDPMessage * sdp,
    const gchar * base_url, GError ** error);
G_GNUC_INTERNAL
void gst_resilient_sdp_info_free (GstResilientSdpInfo * info);

/* Parses raw SDP bytes with gst_sdp_message_parse_buffer and checks they hold
 * at least one m= line; GST_RESILIENT_ERROR_SDP otherwise ("empty SDP",
 * a NUL byte inside, no m= line). Trailing NUL bytes (counted in
 * Content-Length by some servers) are ignored; a missing v= line is only
 * logged. */
G_GNUC_INTERNAL
GstSDPMessage *gst_resilient_sdp_parse (const guint8 * data, gsize size,
    GError ** error);

G_END_DECLS
