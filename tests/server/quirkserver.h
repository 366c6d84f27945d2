/* resilientrtsp test support
 * quirkserver.h: a scriptable MOCK RTSP server for faults a real server does
 * not produce (garbage, truncated headers, wrong CSeq, huge Content-Length,
 * silence, closing mid-request). It is not an RTSP implementation: it reads
 * requests, and answers each from a script. Runs on its own thread on
 * 127.0.0.1 with a kernel-chosen port.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _RrQuirkServer RrQuirkServer;

typedef enum
{
  RR_QUIRK_REPLY,               /* send the reply template (after substitution) */
  RR_QUIRK_REPLY_AND_CLOSE,     /* send it, then close the connection */
  RR_QUIRK_CLOSE,               /* close without answering */
  RR_QUIRK_SILENCE,             /* never answer, keep the connection open */
} RrQuirkAction;

/* A server whose defaults answer OPTIONS, DESCRIBE (one H.264 video m= line,
 * a=control:track1), SETUP (echoing the client's Transport, adding
 * server_port or keeping interleaved, Session: 1234;timeout=60), PLAY and
 * TEARDOWN with 200 OK and the request's CSeq. No media is sent. */
RrQuirkServer *rr_quirk_server_new (void);
void rr_quirk_server_free (RrQuirkServer * server);
guint rr_quirk_server_get_port (RrQuirkServer * server);
gchar *rr_quirk_server_get_url (RrQuirkServer * server, const gchar * path);

/**
 * rr_quirk_server_set:
 * @method: "OPTIONS", "DESCRIBE", … ; the rule replaces the default for it.
 * @template: raw bytes to send (may be NULL for CLOSE/SILENCE). Substitutions:
 *   "{cseq}" the request's CSeq, "{cseq+1}" that plus one, "{transport}" the
 *   request's Transport header value. Sent exactly as given otherwise (no
 *   CRLF fixing), so malformed replies stay malformed.
 */
void rr_quirk_server_set (RrQuirkServer * server, const gchar * method,
    RrQuirkAction action, const gchar * template_);

/* How many requests of @method were received. */
guint rr_quirk_server_count (RrQuirkServer * server, const gchar * method);

G_END_DECLS
