/* resilientrtsp benchmarks
 * bench-pipeline.c: the measured client pipeline, shared by rrtsp-bench and
 * rrtsp-recovery.
 */
#include "bench-pipeline.h"

static const gchar *depayloader = "rtph264depay";

void
rr_bench_pipeline_set_depayloader (const gchar * factory)
{
  depayloader = factory;
}

GstElement *
rr_bench_pipeline_new (const gchar * element, const gchar * url,
    const gchar * protocols, guint latency, GstPadProbeCallback depay_probe,
    GCallback pad_added, gpointer user_data, GstElement ** depay_out,
    GError ** error)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make (element, NULL);
  GstElement *depay = gst_element_factory_make (depayloader, NULL);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GObjectClass *klass;
  GstPad *pad;

  if (src == NULL || depay == NULL || sink == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "missing element: %s", src == NULL ? element : depay == NULL ?
        depayloader : "fakesink");
    goto fail;
  }

  klass = G_OBJECT_GET_CLASS (src);
  g_object_set (src, "location", url, "latency", latency, NULL);
  gst_util_set_object_arg (G_OBJECT (src), "protocols", protocols);
  if (g_object_class_find_property (klass, "depayload") != NULL)
    g_object_set (src, "depayload", FALSE, NULL);
  /* no GstSample kept per buffer */
  g_object_set (sink, "sync", FALSE, "enable-last-sample", FALSE, NULL);

  gst_bin_add_many (GST_BIN (pipeline), src, depay, sink, NULL);
  if (!gst_element_link (depay, sink)) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "could not link %s to fakesink", depayloader);
    gst_object_unref (pipeline);
    return NULL;
  }
  pad = gst_element_get_static_pad (depay, "src");
  gst_pad_add_probe (pad,
      GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, depay_probe,
      user_data, NULL);
  gst_object_unref (pad);
  g_signal_connect (src, "pad-added", pad_added, user_data);
  *depay_out = depay;
  return pipeline;

fail:
  if (src != NULL)
    gst_object_unref (gst_object_ref_sink (src));
  if (depay != NULL)
    gst_object_unref (gst_object_ref_sink (depay));
  if (sink != NULL)
    gst_object_unref (gst_object_ref_sink (sink));
  gst_object_unref (pipeline);
  return NULL;
}
