/* resilientrtsp
 * iocontext.h: the process's I/O threads. Every control connection, timer
 * and socket of an element instance runs on one GMainContext driven by one
 * thread ("rrtsp-io"); work there must never block. Elements are spread over
 * a small pool of such threads (one per CPU by default, see
 * gst_resilient_io_context_get_for_stream()); everything one element does
 * stays on the thread it was given.
 *
 * Invocations (gst_resilient_io_context_invoke() and _invoke_sync()) are
 * control work: they run before socket and timer work that is ready at the
 * same time (they are dispatched at G_PRIORITY_HIGH, sockets and timers at
 * G_PRIORITY_DEFAULT), so stopping an element never waits behind the packets
 * of the others on its thread. Do not use them for per-packet work: a steady
 * stream of invocations would starve the sockets.
 */
#pragma once

#include <gst/gst.h>
#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _GstResilientIoContext GstResilientIoContext;

/* Environment variable overriding the number of I/O threads of
 * gst_resilient_io_context_get_for_stream() (an integer from 1 to 256). */
#define GST_RESILIENT_IO_THREADS_ENV "RESILIENTRTSP_IO_THREADS"

/* The shared context, started on first use; a new reference each call (the
 * same context as long as one is held). The thread stops when the last
 * reference is dropped. It is not one of the contexts of
 * gst_resilient_io_context_get_for_stream(). */
G_GNUC_INTERNAL GstResilientIoContext *gst_resilient_io_context_get (void);

/* One of N contexts, for one user (an element instance): the one with the
 * fewest users at the time of the call (a running one on a tie, then the
 * first), started on demand. N is decided when the first of them is started
 * after none were running: $RESILIENTRTSP_IO_THREADS if set to a valid
 * number, else g_get_num_processors(). Each has its own thread, stopped when
 * its last reference is dropped. Returns a new reference that also counts
 * as a user: give it back with gst_resilient_io_context_unref_for_stream();
 * other references (_ref()/_unref()) do not count. */
G_GNUC_INTERNAL GstResilientIoContext *gst_resilient_io_context_get_for_stream (void);

/* Drops a reference returned by gst_resilient_io_context_get_for_stream()
 * and the user it counted. */
G_GNUC_INTERNAL void gst_resilient_io_context_unref_for_stream (GstResilientIoContext * io);

G_GNUC_INTERNAL GstResilientIoContext *gst_resilient_io_context_ref (GstResilientIoContext * io);
G_GNUC_INTERNAL void gst_resilient_io_context_unref (GstResilientIoContext * io);

G_GNUC_INTERNAL GMainContext *gst_resilient_io_context_get_main_context (GstResilientIoContext * io);

/* TRUE when called from this context's I/O thread. */
G_GNUC_INTERNAL gboolean gst_resilient_io_context_is_current (GstResilientIoContext * io);

/* Runs @func once on the I/O thread, asynchronously (never inline, even when
 * called from it), in FIFO order with other invocations of this context
 * (_invoke() and _invoke_sync() alike), and before socket or timer sources
 * that are ready at the same time. The return value of @func is ignored;
 * @notify (if any) is called with @data after it. An invocation queued by
 * another one runs after those already queued. */
G_GNUC_INTERNAL void gst_resilient_io_context_invoke (GstResilientIoContext * io,
    GSourceFunc func, gpointer data, GDestroyNotify notify);

/* Runs @func on the I/O thread and waits for it to return; runs inline when
 * already on the I/O thread. Queued like _invoke(). Never call it for one
 * context from the thread of another that this one may wait for in turn. */
G_GNUC_INTERNAL void gst_resilient_io_context_invoke_sync (GstResilientIoContext * io,
    GSourceFunc func, gpointer data);

/* A timeout source attached to the I/O context; destroy it with
 * g_source_destroy + g_source_unref. */
G_GNUC_INTERNAL GSource *gst_resilient_io_context_add_timeout (GstResilientIoContext * io,
    guint interval_ms, GSourceFunc func, gpointer data, GDestroyNotify notify);

/* Attaches @source (adding no reference for the caller's own). */
G_GNUC_INTERNAL void gst_resilient_io_context_attach (GstResilientIoContext * io,
    GSource * source);

/* Number of I/O threads running in the process, the shared one included
 * (for stats and tests). */
G_GNUC_INTERNAL guint gst_resilient_io_context_get_n_threads (void);

G_END_DECLS
