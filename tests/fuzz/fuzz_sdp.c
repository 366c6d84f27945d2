/* resilientrtsp
 * tests/fuzz/fuzz_sdp.c: libFuzzer target for SDP → stream descriptions.
 *
 * The input is an SDP body. It is parsed with gst_resilient_sdp_parse() and
 * mapped with gst_resilient_sdp_info_new() against a few fixed base URLs;
 * every description that comes out must be complete.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gst/gst.h>

#include "sdpstreams.h"
#include "url.h"
#include "error.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

#define CHECK(cond) \
  G_STMT_START { \
    if (!(cond)) { \
      g_printerr ("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort (); \
    } \
  } G_STMT_END

static const gchar *base_urls[] = {
  "rtsp://127.0.0.1:8554/test/",
  "rtsp://cam/cam/realmonitor?channel=1&subtype=0/",
  NULL,
};

static void
check_info (GstResilientSdpInfo * info, const GstSDPMessage * sdp)
{
  guint i, last_index = 0;

  CHECK (info->aggregate_url != NULL);
  CHECK (gst_resilient_url_is_absolute (info->aggregate_url));
  CHECK (info->streams != NULL && info->streams->len > 0);
  CHECK (info->streams->len + info->skipped ==
      gst_sdp_message_medias_len (sdp));
  CHECK (info->range_start == -1 || info->range_start >= 0);
  CHECK (info->range_end == -1 || info->range_end >= 0);

  for (i = 0; i < info->streams->len; i++) {
    GstResilientStreamDesc *d = g_ptr_array_index (info->streams, i);
    const GstStructure *s;
    gint v;
    gchar *str;

    CHECK (i == 0 || d->index > last_index);
    last_index = d->index;
    CHECK (d->index < gst_sdp_message_medias_len (sdp));
    CHECK (d->control_url != NULL);
    CHECK (gst_resilient_url_is_absolute (d->control_url));
    CHECK (d->pt <= 127);
    CHECK (d->caps != NULL && gst_caps_get_size (d->caps) == 1);
    s = gst_caps_get_structure (d->caps, 0);
    CHECK (gst_structure_has_name (s, "application/x-rtp"));
    CHECK (gst_structure_get_string (s, "media") != NULL);
    CHECK (gst_structure_get_string (s, "encoding-name") != NULL);
    CHECK (gst_structure_get_int (s, "payload", &v) && v == (gint) d->pt);
    CHECK (gst_structure_get_int (s, "clock-rate", &v) && v > 0);
    CHECK (d->pt_caps != NULL && gst_structure_n_fields (d->pt_caps) >= 1);
    CHECK (d->is_multicast == (d->multicast_address != NULL));
    if (!d->is_multicast)
      CHECK (d->server_port == 0);

    str = gst_caps_to_string (d->caps);
    CHECK (str != NULL);
    g_free (str);
    str = gst_structure_to_string (d->pt_caps);
    CHECK (str != NULL);
    g_free (str);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  GstSDPMessage *sdp;
  GError *err = NULL;
  guint i;

  sdp = gst_resilient_sdp_parse (data, size, &err);
  if (sdp == NULL) {
    CHECK (err != NULL && err->domain == GST_RESILIENT_ERROR
        && err->code == GST_RESILIENT_ERROR_SDP);
    g_error_free (err);
    return 0;
  }
  CHECK (err == NULL);
  CHECK (gst_sdp_message_medias_len (sdp) > 0);

  for (i = 0; i < G_N_ELEMENTS (base_urls); i++) {
    GstResilientSdpInfo *info;

    info = gst_resilient_sdp_info_new (sdp, base_urls[i], &err);
    if (info) {
      CHECK (err == NULL);
      check_info (info, sdp);
      gst_resilient_sdp_info_free (info);
    } else {
      CHECK (err != NULL && err->domain == GST_RESILIENT_ERROR
          && err->code == GST_RESILIENT_ERROR_SDP);
      g_clear_error (&err);
    }
  }

  gst_sdp_message_free (sdp);
  return 0;
}
