// Symbol visibility for the SDK's interface classes. Plugins are compiled with
// -fvisibility=hidden; the interfaces stay visible so that their typeinfo and
// vtables are one type on both sides (Boost.DLL's tutorial does the same).
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define SCANORCH_SDK_VISIBLE __attribute__((visibility("default")))
#define SCANORCH_EXPORT extern "C" __attribute__((visibility("default")))
#else
#define SCANORCH_SDK_VISIBLE
#define SCANORCH_EXPORT extern "C"
#endif
