/* resilientrtsp
 * natpunch.h: NAT hole punching for UDP transports (`nat-method`).
 *
 * A client behind a NAT receives the server's UDP only once a packet went
 * out from the client's port to the server's port: that creates the NAT's
 * mapping (and the firewall's "established" state). With the dummy method
 * each UDP stream sends one small packet from its RTP port to the server's
 * RTP port and one from its RTCP port to the server's RTCP port after
 * SETUP and before PLAY, and refreshes them so the mappings do not expire.
 *
 * The first half (packets, policy) is pure: no I/O and no clock — the time
 * is passed in. The second half of natpunch.c is the session's glue (the
 * initial punch and the refresh timer), declared in session-private.h.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstResilientNatMethod:
 * @GST_RESILIENT_NAT_METHOD_NONE: send nothing; learn nothing
 * @GST_RESILIENT_NAT_METHOD_DUMMY: punch packets after SETUP and refreshes,
 *   plus learning the server's real source ports (symmetric RTP)
 *
 * rtspsrc's names and values (its type is GstRTSPNatMethod).
 */
typedef enum
{
  GST_RESILIENT_NAT_METHOD_NONE = 0,
  GST_RESILIENT_NAT_METHOD_DUMMY = 1,
} GstResilientNatMethod;

#define GST_TYPE_RESILIENT_NAT_METHOD (gst_resilient_nat_method_get_type ())
G_GNUC_INTERNAL GType gst_resilient_nat_method_get_type (void);

/* A mapping whose port sent nothing for this long is punched again. NATs
 * drop idle UDP mappings after 30 s (Linux conntrack, many home routers)
 * to 5 min (RFC 4787). */
#define GST_RESILIENT_NAT_PUNCH_INTERVAL (15 * GST_SECOND)
/* How often the session's timer asks the policy; a punch is therefore at
 * most INTERVAL + TICK after the previous packet from that port. */
#define GST_RESILIENT_NAT_PUNCH_TICK_MS 5000
/* Copies of each packet sent at SETUP, so that one lost datagram does not
 * leave the path closed until the first refresh. */
#define GST_RESILIENT_NAT_PUNCH_INITIAL_COUNT 2

/* Size of the RTP punch: a bare RTP header. */
#define GST_RESILIENT_NAT_PUNCH_RTP_SIZE 12
/* The RTCP punch: RR (8) + SDES (header, SSRC, CNAME item, end: 24). */
#define GST_RESILIENT_NAT_PUNCH_CNAME "resilientrtsp"
#define GST_RESILIENT_NAT_PUNCH_RTCP_SIZE 32

/**
 * gst_resilient_nat_punch_pick_payload_type:
 * @pt_caps: (nullable): the stream's "pt-<n>" fields (GstResilientStreamDesc)
 *
 * A payload type the stream does not use, for the RTP punch: RFC 6263's
 * "RTP packet with an unknown payload type", which a receiver discards.
 * The highest free dynamic type (127 down to 96), else the highest free
 * unassigned one (71 down to 35). Never 72-76 (they look like RTCP).
 */
G_GNUC_INTERNAL guint8 gst_resilient_nat_punch_pick_payload_type (const GstStructure * pt_caps);

/**
 * gst_resilient_nat_punch_new_rtp:
 *
 * A minimal valid RTP packet: version 2, no padding, extension, CSRCs or
 * marker, @payload_type, @seqnum, timestamp 0, @ssrc, empty payload
 * (GST_RESILIENT_NAT_PUNCH_RTP_SIZE bytes).
 */
G_GNUC_INTERNAL GstBuffer *gst_resilient_nat_punch_new_rtp (guint8 payload_type,
    guint16 seqnum, guint32 ssrc);

/**
 * gst_resilient_nat_punch_new_rtcp:
 *
 * A minimal valid compound RTCP packet (RFC 3550 6.1): a receiver report
 * from @ssrc without report blocks, then an SDES packet with @ssrc's CNAME
 * GST_RESILIENT_NAT_PUNCH_CNAME (GST_RESILIENT_NAT_PUNCH_RTCP_SIZE bytes).
 * A server takes it as a receiver that has not received anything yet.
 */
G_GNUC_INTERNAL GstBuffer *gst_resilient_nat_punch_new_rtcp (guint32 ssrc);

/**
 * GstResilientNatPunchPorts:
 * Which of a stream's two ports a punch goes from.
 */
typedef enum
{
  GST_RESILIENT_NAT_PUNCH_NONE = 0,
  GST_RESILIENT_NAT_PUNCH_RTP = 1 << 0,
  GST_RESILIENT_NAT_PUNCH_RTCP = 1 << 1,
} GstResilientNatPunchPorts;

#define GST_RESILIENT_NAT_PUNCH_BOTH \
  (GST_RESILIENT_NAT_PUNCH_RTP | GST_RESILIENT_NAT_PUNCH_RTCP)

/**
 * GstResilientNatPunchPolicy:
 *
 * When a stream's ports need a punch. A port is due when nothing left it
 * for @interval (or never). Nothing but punches leaves the RTP port — the
 * client only receives RTP — so it is punched every @interval for the
 * whole session (inbound RTP does not refresh a mapping on every NAT:
 * RFC 4787 only requires outbound refresh). The RTCP port is punched only
 * while no RTCP is being sent (do-rtcp off, or before rtpbin's first
 * report): a receiver report refreshes that mapping just as well.
 * All times are on the caller's monotonic clock.
 */
typedef struct
{
  GstClockTime interval;
  GstClockTime last_rtp;        /* last punch from the RTP port; NONE: never */
  GstClockTime last_rtcp;       /* last punch or RTCP from the RTCP port; NONE: never */
} GstResilientNatPunchPolicy;

G_GNUC_INTERNAL void gst_resilient_nat_punch_policy_init (GstResilientNatPunchPolicy * policy,
    GstClockTime interval);
/* The ports that need a punch at @now. */
G_GNUC_INTERNAL GstResilientNatPunchPorts gst_resilient_nat_punch_policy_due (const
    GstResilientNatPunchPolicy * policy, GstClockTime now);
/* Punches from @ports were sent at @now. */
G_GNUC_INTERNAL void gst_resilient_nat_punch_policy_punched (GstResilientNatPunchPolicy * policy,
    GstResilientNatPunchPorts ports, GstClockTime now);
/* A real RTCP packet left the RTCP port at @when (older times are ignored). */
G_GNUC_INTERNAL void gst_resilient_nat_punch_policy_rtcp_sent (GstResilientNatPunchPolicy * policy,
    GstClockTime when);

/* One stream's punching: the identity of its punch packets and its policy.
 * Plain data; the session keeps one per UDP stream. */
typedef struct
{
  gboolean active;
  guint32 ssrc;                 /* random; not rtpbin's SSRC (not known yet) */
  guint16 seqnum;               /* of the next RTP punch */
  guint8 payload_type;          /* one the stream does not use */
  GstResilientNatPunchPolicy policy;
} GstResilientNatPunch;

G_END_DECLS
