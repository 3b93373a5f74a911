/*
 * fuzz_pbtext.c - libFuzzer driver for the text-format parser: parse
 * arbitrary bytes as a ModelServerConfig, print and re-parse the result.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/pbtext.h"
#include "tensorflow_serving/config/model_server_config.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ProtobufCMessage *m = NULL;
    tsd_status st = TSD_STATUS_INIT;
    if (tsd_pbtext_parse(&tensorflow__serving__model_server_config__descriptor, (const char *)data,
                         size, &m, &st) != TSD_OK)
        return 0;
    char *text = tsd_pbtext_print(m);
    if (text) {
        ProtobufCMessage *m2 = NULL;
        if (tsd_pbtext_parse(&tensorflow__serving__model_server_config__descriptor, text,
                             strlen(text), &m2, &st) != TSD_OK)
            abort(); /* what we print must parse */
        protobuf_c_message_free_unpacked(m2, NULL);
        free(text);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}
