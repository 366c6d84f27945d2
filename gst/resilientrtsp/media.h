/* resilientrtsp
 * media.h: the receive pipeline inside the element's bin — per stream,
 * packets go through a jitterbuffer (rtpbin's, or the built-in one of
 * jitter.c with rtcp.c and outlet.c, see GstResilientRtpManager); its
 * output goes through a depayloader chosen from the registry (or not) to a
 * ghost pad stream_%u.
 *
 * This helper creates elements and pads inside the bin it is given; it knows
 * nothing of RTSP.
 */
#pragma once

#include <gst/gst.h>

#include "session.h"

G_BEGIN_DECLS

typedef struct _GstResilientMedia GstResilientMedia;

/**
 * GstResilientDepayloadMode:
 * @GST_RESILIENT_DEPAYLOAD_OFF: pads carry application/x-rtp (as rtspsrc)
 * @GST_RESILIENT_DEPAYLOAD_ON: pads carry elementary streams
 * @GST_RESILIENT_DEPAYLOAD_AUTO: elementary streams, unless the pad's peer
 *   accepts application/x-rtp but not what the depayloader outputs (an
 *   existing `rtspsrc ! rtph264depay` line); decided when data first arrives
 *
 * The values of OFF and ON are FALSE and TRUE, and their names "false" and
 * "true", so boolean-style settings keep working.
 */
typedef enum
{
  GST_RESILIENT_DEPAYLOAD_OFF = 0,
  GST_RESILIENT_DEPAYLOAD_ON = 1,
  GST_RESILIENT_DEPAYLOAD_AUTO = 2,
} GstResilientDepayloadMode;

#define GST_TYPE_RESILIENT_DEPAYLOAD_MODE (gst_resilient_depayload_mode_get_type ())
G_GNUC_INTERNAL GType gst_resilient_depayload_mode_get_type (void);

/**
 * GstResilientRtpManager:
 * @GST_RESILIENT_RTP_MANAGER_RTPBIN: rtpbin, as rtspsrc: its jitterbuffer,
 *   RTCP and lip-sync between streams; three threads per stream
 * @GST_RESILIENT_RTP_MANAGER_BUILTIN: the built-in path: a threadless
 *   jitterbuffer per stream (jitter.c), receiver reports made here
 *   (rtcp.c), output pushed by a process-wide pool of delivery threads
 *   (outlet.c), lip-sync from the sender reports; no thread per stream
 */
typedef enum
{
  GST_RESILIENT_RTP_MANAGER_RTPBIN = 0,
  GST_RESILIENT_RTP_MANAGER_BUILTIN = 1,
} GstResilientRtpManager;

#define GST_TYPE_RESILIENT_RTP_MANAGER (gst_resilient_rtp_manager_get_type ())
G_GNUC_INTERNAL GType gst_resilient_rtp_manager_get_type (void);

typedef struct
{
  guint latency_ms;
  GstResilientDepayloadMode depayload;
  gboolean do_rtcp;
  GstResilientRtpManager manager;
} GstResilientMediaSettings;

typedef struct
{
  /* An RTCP packet (our receiver report) for stream @index: send it to the
   * server. Runs on rtpbin's RTCP thread, or a delivery thread (builtin).
   * @buf (transfer full). */
  void (*send_rtcp) (GstResilientMedia * media, guint index, GstBuffer * buf,
      gpointer user_data);
} GstResilientMediaCallbacks;

/* Creates the rtpbin inside @bin (with rtp-manager=rtpbin). @templ is the
 * bin's "stream_%u" template. NULL when rtpbin is needed and missing. */
G_GNUC_INTERNAL
GstResilientMedia *gst_resilient_media_new (GstBin * bin, GstPadTemplate * templ,
    const GstResilientMediaSettings * settings,
    const GstResilientMediaCallbacks * callbacks, gpointer user_data);

/* Removes every pad and element it added; no callback after it returns.
 * The bin must be at READY or below (no data flowing). */
G_GNUC_INTERNAL void gst_resilient_media_free (GstResilientMedia * media);

/* The rtpbin; NULL with the built-in path. */
G_GNUC_INTERNAL GstElement *gst_resilient_media_get_manager (GstResilientMedia * media);

/**
 * gst_resilient_media_configure:
 * Creates the receive path for every stream in @streams
 * (GstResilientSessionStream*) not configured yet, keeps existing ones (a
 * re-established session keeps its pads). Returns the number of pads added;
 * after the first configuration the caller signals no-more-pads.
 */
G_GNUC_INTERNAL guint gst_resilient_media_configure (GstResilientMedia * media,
    GPtrArray * streams);

/* How many streams have a receive path (and a pad). */
G_GNUC_INTERNAL guint gst_resilient_media_n_streams (GstResilientMedia * media);

/* Pushes an RTP/RTCP packet of stream @index into rtpbin (timestamped with
 * the bin's running time) or the built-in jitterbuffer. Any thread (the
 * I/O thread in practice); never blocks on downstream. */
G_GNUC_INTERNAL void gst_resilient_media_push (GstResilientMedia * media, guint index,
    gboolean is_rtcp, GstBuffer * buf);

/* PLAY was answered (a first PLAY, a re-established session's, or a resume
 * after PAUSE): the first RTP packet pushed and the first buffer output
 * after now are timed, for the "setup" structure's first-rtp-ms and
 * first-buffer-ms; the duplicate/reorder tracking starts again (sequence
 * numbers jump). Call before the PLAY's first packet. Any thread. */
G_GNUC_INTERNAL void gst_resilient_media_playing (GstResilientMedia * media);

/* The PLAY answer's RTP-Info for stream @index (-1 = absent): added to the
 * stream's caps as seqnum-base / clock-base, so the jitterbuffer releases
 * the first packet without waiting a whole latency. Call before the
 * stream's first packet, or a new caps event follows. Any thread. */
G_GNUC_INTERNAL void gst_resilient_media_set_rtp_info (GstResilientMedia * media,
    guint index, gint seqnum_base, gint64 clock_base);

/**
 * gst_resilient_media_fill_stats:
 * Sets in @stats: "streams" (GstValueArray of "stream" structures, see
 * docs/element.md), "frames-received" (guint64, buffers output on all the
 * stream pads), and "first-rtp-ms" / "first-buffer-ms" in its "setup"
 * structure (made, with -1 everywhere else, when @stats has none): from the
 * last gst_resilient_media_playing() to the first RTP packet pushed into
 * rtpbin / the first buffer output on a stream pad after a packet of that
 * stream was pushed, over all streams; -1 before.
 * Any thread.
 */
G_GNUC_INTERNAL void gst_resilient_media_fill_stats (GstResilientMedia * media,
    GstStructure * stats);

G_END_DECLS
