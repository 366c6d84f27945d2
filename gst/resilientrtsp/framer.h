/* resilientrtsp
 * framer.h: pure parsing and formatting of the RTSP control stream —
 * RTSP messages and $-interleaved data frames (RFC 2326 §10.12 / RFC 7826 §14).
 *
 * No I/O, no GObject: the connection feeds bytes, the framer says what they
 * hold. Interleaved payloads are reported as offsets into the caller's bytes so
 * the caller can wrap them without copying.
 */
#pragma once

#include <gst/gst.h>
#include <gst/rtsp/rtsp.h>

G_BEGIN_DECLS

typedef struct _GstResilientFramer GstResilientFramer;

typedef enum
{
  GST_RESILIENT_FRAME_NEED_MORE,  /* input holds no complete frame yet */
  GST_RESILIENT_FRAME_MESSAGE,    /* frame->message holds a complete RTSP message */
  GST_RESILIENT_FRAME_DATA,       /* an interleaved frame: channel, data_offset, data_size */
  GST_RESILIENT_FRAME_ERROR,      /* malformed input: see the GError; the stream is unusable */
} GstResilientFrameResult;

typedef struct
{
  /* Set for GST_RESILIENT_FRAME_DATA */
  guint8 channel;
  gsize data_offset;            /* payload start, relative to the input pointer */
  gsize data_size;              /* payload length (0..65535) */

  /* Set for GST_RESILIENT_FRAME_MESSAGE; the caller owns it (gst_rtsp_message_free) */
  GstRTSPMessage *message;
} GstResilientFrame;

typedef struct
{
  gsize max_header_bytes;       /* start line + headers, default 64 KiB */
  guint max_headers;            /* default 256 */
  gsize max_body_bytes;         /* Content-Length limit, default 4 MiB */
} GstResilientFramerLimits;

#define GST_RESILIENT_FRAMER_DEFAULT_MAX_HEADER_BYTES (64 * 1024)
#define GST_RESILIENT_FRAMER_DEFAULT_MAX_HEADERS 256
#define GST_RESILIENT_FRAMER_DEFAULT_MAX_BODY_BYTES (4 * 1024 * 1024)

/* limits may be NULL for the defaults; a field left 0 takes its default */
G_GNUC_INTERNAL
GstResilientFramer *gst_resilient_framer_new (const GstResilientFramerLimits * limits);
G_GNUC_INTERNAL
void gst_resilient_framer_free (GstResilientFramer * framer);
/* Forget any partial-scan state (after a reconnect). */
G_GNUC_INTERNAL
void gst_resilient_framer_reset (GstResilientFramer * framer);

/**
 * gst_resilient_framer_parse:
 * @data: the unparsed bytes; data[0] is the first byte not yet consumed.
 * @len: how many bytes are available.
 * @consumed: (out): bytes the returned frame occupies (MESSAGE/DATA), including
 *   any stray CR/LF skipped before it; 0 for NEED_MORE and ERROR.
 * @needed: (out) (optional): for NEED_MORE, the total number of bytes from
 *   data[0] the pending frame needs when that is known (interleaved header or
 *   Content-Length seen), else 0.
 *
 * Parses at most one frame. Between calls the caller may move its unparsed
 * bytes to another buffer; it must present them again starting at the same
 * first byte, possibly with more appended. The framer remembers how far it
 * has scanned so slow-arriving headers are not rescanned from the start.
 *
 * Errors (GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_PROTOCOL) for: a first byte
 * that starts neither '$' nor an RTSP start line, a malformed start line or
 * header line, bad or oversized Content-Length, header block over the limit,
 * too many headers.
 */
G_GNUC_INTERNAL
GstResilientFrameResult gst_resilient_framer_parse (GstResilientFramer * framer,
    const guint8 * data, gsize len, gsize * consumed, gsize * needed,
    GstResilientFrame * frame, GError ** error);

/**
 * gst_resilient_message_serialize:
 * Formats a request or response for the wire: start line, every header
 * (gst_rtsp_message_append_headers), Content-Length when a body is set, blank
 * line, body. Returns a newly allocated GBytes.
 * A GST_RTSP_MESSAGE_DATA message becomes an interleaved frame. Returns NULL
 * for what cannot be written: a request whose method has no name
 * (GST_RTSP_INVALID, as parsed from an unknown method), an invalid type.
 *
 * Requests from the server with an unknown method are parsed (not errors)
 * with method GST_RTSP_INVALID, so the caller can answer 501 by CSeq.
 */
G_GNUC_INTERNAL
GBytes *gst_resilient_message_serialize (const GstRTSPMessage * msg);

/* Writes a 4-byte interleaved header ('$', channel, big-endian length). */
G_GNUC_INTERNAL
void gst_resilient_interleaved_header (guint8 header[4], guint8 channel,
    guint16 length);

G_END_DECLS
