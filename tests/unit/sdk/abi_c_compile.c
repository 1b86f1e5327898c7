/* abi.h must compile as C11 with -Wpedantic, and its layout must be the one
 * ABI 1.0 promised: these offsets are part of the contract (x86-64 LP64). */
#include <stddef.h>
#include <stdio.h>

#include "scanorch/sdk/abi.h"
#include "scanorch/sdk/version.h"

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
            return 1;                                                          \
        }                                                                      \
    } while (0)

int main(void) {
    CHECK(SCANORCH_SDK_ABI_MAJOR >= 1);
    CHECK(sizeof(scanorch_status) == 4 + SCANORCH_MAX_ERRLEN);
    CHECK(offsetof(scanorch_plugin_descriptor, struct_size) == 0);
    CHECK(offsetof(scanorch_plugin_descriptor, abi_major) == 4);
    CHECK(offsetof(scanorch_plugin_descriptor, abi_minor) == 6);
    CHECK(offsetof(scanorch_plugin_descriptor, cxx_abi) == 8);
    CHECK(offsetof(scanorch_plugin_descriptor, kind) == 16);
    CHECK(offsetof(scanorch_plugin_descriptor, name) == 24);
    CHECK(offsetof(scanorch_plugin_descriptor, create) == 64);
    CHECK(offsetof(scanorch_plugin_descriptor, destroy) == 72);
    CHECK(sizeof(scanorch_plugin_descriptor) == 80);
    CHECK(offsetof(scanorch_host_api, struct_size) == 0);
    CHECK(offsetof(scanorch_host_api, host_ctx) == 8);
    CHECK(offsetof(scanorch_host_api, log) == 24);
    CHECK(offsetof(scanorch_host_api, now_unix_ms) == 56);
    CHECK(sizeof(scanorch_config_field) == 32);
    CHECK(SCANORCH_KIND_FRONTEND == 5 && SCANORCH_ERR_INTERNAL == 7 && SCANORCH_CFG_SECRET == 8);
    printf("abi.h: C11 layout ok (ABI %d.%d, product %s)\n", SCANORCH_SDK_ABI_MAJOR, SCANORCH_SDK_ABI_MINOR,
           SCANORCH_VERSION_STRING);
    return 0;
}
