/* resilientrtsp
 * media-private.h: the receive pipeline's state, shared by media.c (pads,
 * depayloaders, rtpbin, stats) and media-builtin.c (the built-in RTP path).
 */
#pragma once

#include "media.h"
#include "jitter.h"
#include "outlet.h"
#include "rtcp.h"
#include "stats.h"

G_BEGIN_DECLS

typedef struct
{
  GstResilientMedia *media;
  guint index;                  /* SDP m= index, also the rtpbin session id */
  gchar *media_type;            /* "video", "audio" … */
  gchar *encoding_name;
  GstCaps *caps;                /* application/x-rtp of the preferred pt */
  GstStructure *pt_caps;        /* "pt-N" → GstCaps */

  GstPad *rtp_src;              /* internal, pushes into rtpbin */
  GstPad *rtcp_src;
  GstPad *rtcp_sink;            /* internal, receives rtpbin's RTCP */
  gboolean events_sent;         /* media->lock */

  GstElement *depay;            /* NULL when not depayloading */
  GstPad *ghost;                /* stream_N on the bin */
  GstPad *rtpbin_src;           /* media->lock: the rtpbin pad currently linked */
  GList *old_sinks;             /* media->lock: fakesinks of replaced SSRC pads */

  gboolean caps_changed;        /* media->lock: push a new caps event */
  gint64 packets;               /* media->lock */
  guint64 bytes;                /* media->lock */
  guint64 bytes_at_last_stats;  /* media->lock */
  gint64 last_stats_time;       /* media->lock, monotonic µs */
  GstResilientSeqTracker seq;   /* media->lock: duplicates, reordering */
  guint64 rtcp_received;        /* media->lock: compound RTCP packets */
  guint64 rtcp_sent;            /* media->lock */
  /* since the last gst_resilient_media_playing(), monotonic µs, 0 = not
   * yet: the stream's first RTP packet pushed, its first output buffer */
  gint64 first_rtp_us;          /* media->lock */
  gint64 first_buffer_us;       /* media->lock */
  gint first_state;             /* atomic, FirstState */
  guint64 frames;               /* atomic (stats_add/stats_get) */

  /* rtp-manager=builtin only (media-builtin.c) */
  GstPad *rtp_out;              /* internal src pad the outlet pushes on */
  GstResilientOutlet *outlet;
  GstResilientJitter *jitter;   /* media->lock */
  gboolean attached;            /* media->lock: rtp_out linked downstream */
  GstQueueArray *pending;       /* media->lock: items output before that */
  GstQueueArray *released;      /* media->lock: what the jitterbuffer just
                                 * released (kept: no allocation per packet) */
  gint current_pt;              /* media->lock: of the caps pushed, -1 */
  guint32 our_ssrc;
  gchar *cname;
  GstResilientRtcpReceiverState rtcp;   /* media->lock */
  gint64 next_rr_us;            /* media->lock: monotonic, 0 = none yet */
  gint64 wakeup_us;             /* media->lock: the outlet's, 0 = none */
  /* inter-stream sync: PTS − sender's NTP time (ns) from the last SR of
   * the current source, and the ts-offset set on the jitterbuffer */
  gboolean have_sync_delta;     /* media->lock */
  gint64 sync_delta;            /* media->lock */
  GstClockTime sync_offset;     /* media->lock */
} MediaStream;

/* What the stream waits for since the last PLAY answer. */
typedef enum
{
  FIRST_IDLE,
  FIRST_WANT_RTP,
  FIRST_WANT_BUFFER,
} FirstState;

/* 64-bit counters written by one streaming thread at a time (a pad's
 * stream lock serialises its chain calls) and read by the stats */
#define stats_add(ptr, n) __atomic_fetch_add ((ptr), (n), __ATOMIC_RELAXED)
#define stats_get(ptr) __atomic_load_n ((ptr), __ATOMIC_RELAXED)

struct _GstResilientMedia
{
  GstBin *bin;                  /* not a ref: we live inside it */
  GstPadTemplate *templ;
  GstResilientMediaSettings settings;
  GstResilientMediaCallbacks callbacks;
  gpointer user_data;

  GstElement *rtpbin;
  gulong pad_added_id;
  gulong pt_map_id;

  GMutex lock;
  GPtrArray *streams;           /* lock (contents); MediaStream* */
  gboolean shutting_down;       /* lock */
  gint64 played_us;             /* lock: the last PLAY answer, 0 = none */
};

/* media.c, for media-builtin.c */
G_GNUC_INTERNAL void gst_resilient_media_attach_output (GstResilientMedia * media,
    MediaStream * stream, GstPad * pad);

/* media-builtin.c */
G_GNUC_INTERNAL void gst_resilient_media_builtin_stream_init (GstResilientMedia * media,
    MediaStream * stream);
G_GNUC_INTERNAL void gst_resilient_media_builtin_stream_clear (MediaStream * stream);
/* Called with media->lock held (released by the caller); @arrival is the
 * bin's running time; @pt the RTP packet's payload type, -1 when it is too
 * short to have one (media.c has read the header already). */
G_GNUC_INTERNAL void gst_resilient_media_builtin_push (GstResilientMedia * media,
    MediaStream * stream, gboolean is_rtcp, GstBuffer * buf, gint pt,
    GstClockTime arrival);
/* A new PLAY answer (media->lock held): the jitterbuffer starts again. */
G_GNUC_INTERNAL void gst_resilient_media_builtin_playing (MediaStream * stream);

/* The RTCP-derived values of a stream's sender: what its last SR said, and
 * what our last RR about it said. */
typedef struct
{
  guint ssrc;
  gint64 packets_lost;
  gdouble jitter_ms;
  gdouble fraction_lost;        /* -1: no RR sent yet */
  gdouble rtt_ms;               /* -1: no round trip known */
  gboolean have_sr;
  guint64 sr_ntptime;
  guint sr_rtptime;
  gdouble sync_offset_ms;       /* builtin: the inter-stream sync offset */
} SourceStats;

G_GNUC_INTERNAL void gst_resilient_media_builtin_source_stats (MediaStream * stream,
    SourceStats * out);

G_END_DECLS
