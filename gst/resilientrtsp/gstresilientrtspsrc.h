/* resilientrtsp
 * gstresilientrtspsrc.h: the resilientrtspsrc element.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_RESILIENT_RTSP_SRC (gst_resilient_rtsp_src_get_type ())
G_DECLARE_FINAL_TYPE (GstResilientRtspSrc, gst_resilient_rtsp_src,
    GST, RESILIENT_RTSP_SRC, GstBin);

GST_ELEMENT_REGISTER_DECLARE (resilientrtspsrc);

G_END_DECLS
