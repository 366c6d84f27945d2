/* resilientrtsp benchmarks
 * bench-pipeline.h: the client pipeline both benchmarks measure,
 * "ELEMENT location=URL protocols=P latency=L ! rtph264depay ! fakesink",
 * the same shape for rtspsrc and resilientrtspsrc (depayload=false).
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* @depay_probe is added to rtph264depay's src pad (buffers and lists),
 * @pad_added connected to the source's "pad-added"; both get @user_data.
 * @depay (out): the depayloader (owned by the pipeline). */
/* The element between the source and the fakesink: rtph264depay unless
 * set (e.g. "identity", to measure the source alone). */
void rr_bench_pipeline_set_depayloader (const gchar * factory);

GstElement *rr_bench_pipeline_new (const gchar * element, const gchar * url,
    const gchar * protocols, guint latency, GstPadProbeCallback depay_probe,
    GCallback pad_added, gpointer user_data, GstElement ** depay,
    GError ** error);

G_END_DECLS
