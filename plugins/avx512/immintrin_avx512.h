// <immintrin.h> for this backend's files. GCC 12 reports -Wmaybe-uninitialized
// (or -Wuninitialized, depending on how deep the inlining goes) inside its own
// AVX-512 intrinsic headers once they are inlined (GCC bug 105593: the
// self-initialised _mm512_undefined_ps); the warnings are silenced
// for those header lines only, so -Werror still covers our code.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#else
#include <immintrin.h>
#endif
