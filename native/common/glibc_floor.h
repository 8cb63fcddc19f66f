// Keeps the addon loadable wherever PyPI's torch wheel loads (manylinux_2_28: glibc 2.28,
// libstdc++ GLIBCXX_3.4.22), although it is compiled on a newer system (Debian 12: glibc 2.36,
// GCC 12). Included first in every translation unit (through the precompiled header, or by
// CMake for the ones that skip it); `npm run prebuild` checks the resulting symbol versions.
#pragma once

#if defined(__linux__) && defined(__cplusplus)
#include <bits/c++config.h>  // defines __GLIBC__ (through features.h) and the macros undone below
#endif
#if defined(__linux__) && defined(__GLIBC__) && defined(__cplusplus)

// libstdc++'s atomic refcounts read glibc 2.32's `__libc_single_threaded` when its header
// exists. Point them at our own flag instead: always 0 ("threads may exist"), so every refcount
// is atomic, which is what the older glibc path does anyway (Node always runs threads).
#define __libc_single_threaded bertrun_libc_single_threaded
extern "C" {
__attribute__((visibility("hidden"))) inline char bertrun_libc_single_threaded = 0;
}

// Timed waits on steady_clock use pthread_cond_clockwait / pthread_mutex_clocklock (glibc 2.30);
// without these macros libstdc++ converts to the system clock and uses the 2.3 functions.
#undef _GLIBCXX_USE_PTHREAD_COND_CLOCKWAIT
#undef _GLIBCXX_USE_PTHREAD_MUTEX_CLOCKLOCK
#undef _GLIBCXX_USE_PTHREAD_RWLOCK_CLOCKLOCK

// glibc 2.34 moved libpthread into libc and gave its functions a new default version; the old
// versions are still exported, so bind references to them. Same for GCC 12's re-versioned
// condition_variable::wait (the GLIBCXX_3.4.11 one is the same function).
__asm__(".symver pthread_mutex_trylock,pthread_mutex_trylock@GLIBC_2.2.5");
__asm__(".symver pthread_once,pthread_once@GLIBC_2.2.5");
__asm__(".symver pthread_key_create,pthread_key_create@GLIBC_2.2.5");
__asm__(".symver pthread_key_delete,pthread_key_delete@GLIBC_2.2.5");
__asm__(".symver pthread_getspecific,pthread_getspecific@GLIBC_2.2.5");
__asm__(".symver pthread_setspecific,pthread_setspecific@GLIBC_2.2.5");
__asm__(".symver pthread_create,pthread_create@GLIBC_2.2.5");
__asm__(".symver pthread_join,pthread_join@GLIBC_2.2.5");
__asm__(".symver pthread_detach,pthread_detach@GLIBC_2.2.5");
__asm__(".symver dlopen,dlopen@GLIBC_2.2.5");
__asm__(".symver dlsym,dlsym@GLIBC_2.2.5");
__asm__(".symver dlclose,dlclose@GLIBC_2.2.5");
__asm__(".symver dlerror,dlerror@GLIBC_2.2.5");
__asm__(
    ".symver _ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE,"
    "_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE@GLIBCXX_3.4.11");

#endif
