# Shared part of the Raspberry Pi toolchain files (aarch64-linux-gnu.cmake,
# arm-linux-gnueabihf.cmake): Debian's cross compiler for ML_CROSS_TRIPLET, the target's
# libraries in a root of their own (.cache/sysroot/<arch>, made by scripts/setup-sysroot, which
# scripts/setup-deps arm64|armhf runs), and qemu-user as CMAKE_CROSSCOMPILING_EMULATOR so ctest
# runs the target's test binaries on this machine without binfmt_misc (docs/install.md,
# "Raspberry Pi").
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${ML_CROSS_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${ML_CROSS_TRIPLET}-g++)

# The target root: Debian's multiarch layout (libraries and CMake packages in
# /usr/lib/<triplet>, headers in /usr/include) under it. The compiler searches its own C and C++
# libraries and headers (libc6-dev-<arch>-cross) first, then the root's.
set(ML_CROSS_SYSROOT "${CMAKE_CURRENT_LIST_DIR}/../../.cache/sysroot/${ML_DEB_ARCH}"
    CACHE PATH "the target's libraries (scripts/setup-sysroot ${ML_DEB_ARCH})")
get_filename_component(ML_CROSS_SYSROOT "${ML_CROSS_SYSROOT}" ABSOLUTE)
if(NOT EXISTS "${ML_CROSS_SYSROOT}/.packages")
  message(FATAL_ERROR "${ML_CROSS_SYSROOT} is missing or incomplete: run scripts/setup-deps ${ML_DEB_ARCH}")
endif()
set(CMAKE_SYSROOT "${ML_CROSS_SYSROOT}")
set(CMAKE_LIBRARY_ARCHITECTURE ${ML_CROSS_TRIPLET})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# GCC notes on every std::vector of small structs that ARM's parameter passing changed in GCC 7.1
# (the ABI of code built with GCC 6 or older, which the agent never links with).
set(CMAKE_CXX_FLAGS_INIT "-Wno-psabi")
# The libraries' own dependencies (libmosquitto.so needs libssl.so.3) when linking.
foreach(kind EXE SHARED MODULE)
  set(CMAKE_${kind}_LINKER_FLAGS_INIT
      "-Wl,-rpath-link,${ML_CROSS_SYSROOT}/lib/${ML_CROSS_TRIPLET}:${ML_CROSS_SYSROOT}/usr/lib/${ML_CROSS_TRIPLET}")
endforeach()
# Only the target's .pc files, their paths inside the root: never a host library's flags.
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${ML_CROSS_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR}
    "${ML_CROSS_SYSROOT}/usr/lib/${ML_CROSS_TRIPLET}/pkgconfig:${ML_CROSS_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# qemu-user runs a target binary with the root as its prefix (-L): the loader and C library are
# the root's libc6:<arch>, a consistent set with its other libraries. Not the cross compiler's
# /usr/<triplet> (libc6-<arch>-cross, another build): loaded next to the others, with qemu 7.2
# and glibc 2.36 the first thread hangs (arm64) or crashes (armhf).
find_program(ML_QEMU_USER NAMES ${ML_QEMU_NAME}-static ${ML_QEMU_NAME})
if(ML_QEMU_USER)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${ML_QEMU_USER};-L;${ML_CROSS_SYSROOT}")
else()
  message(WARNING "${ML_QEMU_NAME}-static not found (qemu-user-static): the tests cannot run")
endif()
