/* resilientrtsp test support
 * relay.h: a fault-injecting relay for tests. A TCP relay that listens on
 * 127.0.0.1 with a kernel-chosen port and forwards every connection it
 * accepts to one target on 127.0.0.1, both directions, on its own thread
 * and GMainContext, with non-blocking sockets. Between client and server
 * it models the network failures a test cannot get from the server alone:
 *  - rr_relay_reset_all(): every relayed connection is reset (RST, both to
 *    the client and to the target), as a NAT box or firewall that forgets
 *    its state does;
 *  - rr_relay_blackhole(): a partition. Nothing is forwarded in either
 *    direction, while the connections stay open; what arrives meanwhile
 *    is read and dropped (never queued and delivered later). New
 *    connections are still accepted and connected to the target, but
 *    nothing of theirs is forwarded either. Turning it off forwards new
 *    data again (a stream resumes wherever the sender is by then, possibly
 *    in the middle of a message). A peer closing or resetting its side is
 *    still passed on while blackholed, so no connection outlives both of
 *    its ends;
 *  - rr_relay_set_refuse(): new connections are accepted and reset at
 *    once, before any byte (the target is not contacted); open ones go on.
 * A normal close (FIN) is passed on as a half-close once the data before
 * it is forwarded; a reset, or a failure to connect to the target, resets
 * the other side.
 *
 * RTSP note: only RTSP over TCP (interleaved) carries the media through
 * the relay; with UDP the media goes from the server to the client
 * directly. Relay tests therefore use protocols=tcp.
 *
 * All functions are for the test thread; the fault switches return once
 * they are in effect on the relay thread. Not for production: the target
 * must be 127.0.0.1.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RrRelay RrRelay;

typedef struct
{
  guint accepted;               /* connections accepted, refused ones too */
  guint refused;                /* of those, reset at once (set_refuse) */
  guint reset;                  /* relayed connections ended by reset_all */
  guint open;                   /* relayed connections open now */
  guint64 bytes_to_target;      /* forwarded client → target */
  guint64 bytes_to_client;      /* forwarded target → client */
  guint64 bytes_dropped;        /* read while blackholed, both directions */
} RrRelayStats;

/* Starts a relay to @target_host:@target_port; @target_host must be
 * "127.0.0.1". Aborts (g_error) if the listening socket cannot be made. */
RrRelay *rr_relay_new (const gchar * target_host, guint target_port);
/* Closes every connection and the listener, joins the thread, frees. */
void rr_relay_free (RrRelay * relay);

guint rr_relay_get_port (RrRelay * relay);
/* "rtsp://127.0.0.1:<relay port><path>" (g_free) */
gchar *rr_relay_get_url (RrRelay * relay, const gchar * path);

/* Resets every relayed connection (SO_LINGER {1, 0}, then close: an RST to
 * the client and to the target), including ones still connecting. */
void rr_relay_reset_all (RrRelay * relay);
/* TRUE: stop forwarding (see above); FALSE: forward new data again. */
void rr_relay_blackhole (RrRelay * relay, gboolean on);
/* TRUE: reset new connections as soon as they are accepted. */
void rr_relay_set_refuse (RrRelay * relay, gboolean refuse);

/* A consistent snapshot of the counters. */
void rr_relay_get_stats (RrRelay * relay, RrRelayStats * stats);
/* Blocks until at least @count connections were accepted or @timeout_ms
 * passed; returns the final count. */
guint rr_relay_wait_accepted (RrRelay * relay, guint count, guint timeout_ms);
/* Blocks until exactly @count relayed connections are open or @timeout_ms
 * passed; returns the final number. A connection counts as open until
 * both of its ends have closed, or either was reset. */
guint rr_relay_wait_open (RrRelay * relay, guint count, guint timeout_ms);

G_END_DECLS
