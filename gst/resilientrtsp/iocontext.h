/* resilientrtsp
 * iocontext.h: the process-wide shared I/O thread. Every control connection,
 * timer and socket of every element instance runs on one GMainContext driven
 * by one thread; work there must never block.
 */
#pragma once

#include <gst/gst.h>
#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _GstResilientIoContext GstResilientIoContext;

/* The shared context, started on first use; a new reference each call. The
 * thread stops when the last reference is dropped. */
G_GNUC_INTERNAL GstResilientIoContext *gst_resilient_io_context_get (void);
G_GNUC_INTERNAL GstResilientIoContext *gst_resilient_io_context_ref (GstResilientIoContext * io);
G_GNUC_INTERNAL void gst_resilient_io_context_unref (GstResilientIoContext * io);

G_GNUC_INTERNAL GMainContext *gst_resilient_io_context_get_main_context (GstResilientIoContext * io);

/* TRUE when called from the I/O thread itself. */
G_GNUC_INTERNAL gboolean gst_resilient_io_context_is_current (GstResilientIoContext * io);

/* Runs @func once on the I/O thread, asynchronously (never inline, even when
 * called from it), in FIFO order with other invocations. */
G_GNUC_INTERNAL void gst_resilient_io_context_invoke (GstResilientIoContext * io,
    GSourceFunc func, gpointer data, GDestroyNotify notify);

/* Runs @func on the I/O thread and waits for it to return; runs inline when
 * already on the I/O thread. */
G_GNUC_INTERNAL void gst_resilient_io_context_invoke_sync (GstResilientIoContext * io,
    GSourceFunc func, gpointer data);

/* A timeout source attached to the I/O context; destroy it with
 * g_source_destroy + g_source_unref. */
G_GNUC_INTERNAL GSource *gst_resilient_io_context_add_timeout (GstResilientIoContext * io,
    guint interval_ms, GSourceFunc func, gpointer data, GDestroyNotify notify);

/* Attaches @source (adding no reference for the caller's own). */
G_GNUC_INTERNAL void gst_resilient_io_context_attach (GstResilientIoContext * io,
    GSource * source);

/* Number of I/O threads running in the process (for stats and tests). */
G_GNUC_INTERNAL guint gst_resilient_io_context_get_n_threads (void);

G_END_DECLS
