/* scanorch product and SDK package versions (pure C; read by CMake).
 *
 * The SDK *ABI* version lives in abi.h and moves only when the binary boundary
 * changes. The SDK package version below is ABI major.minor plus a patch level
 * for header fixes that do not touch the boundary; the product version is the
 * version of scanorchd and the default plugins.
 */
#ifndef SCANORCH_SDK_VERSION_H
#define SCANORCH_SDK_VERSION_H

#define SCANORCH_VERSION_MAJOR 0
#define SCANORCH_VERSION_MINOR 1
#define SCANORCH_VERSION_PATCH 0
#define SCANORCH_VERSION_STRING "0.1.0"

#define SCANORCH_SDK_PATCH 0

#endif
