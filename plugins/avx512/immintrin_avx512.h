// <immintrin.h> for this backend's files. GCC 12 reports -Wmaybe-uninitialized
// inside its own AVX-512 intrinsic headers once they are inlined (GCC bug
// 105593: the self-initialised _mm512_undefined_ps); the warning is silenced
// for those header lines only, so -Werror still covers our code.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#else
#include <immintrin.h>
#endif
