#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput (const uint8_t * d, size_t s);
int LLVMFuzzerTestOneInput (const uint8_t * d, size_t s) { return 0; }
