# Shared part of the Raspberry Pi toolchain files (aarch64-linux-gnu.cmake,
# arm-linux-gnueabihf.cmake): Debian's cross compiler for ML_CROSS_TRIPLET, the multiarch
# libraries of that architecture (libfoo-dev:arm64 / :armhf, scripts/setup-deps --cross), and
# qemu-user as CMAKE_CROSSCOMPILING_EMULATOR so ctest runs the target's test binaries on this
# machine without binfmt_misc (docs/install.md, "Raspberry Pi").
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${ML_CROSS_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${ML_CROSS_TRIPLET}-g++)
# Debian's multiarch layout: the target's libraries and CMake packages in /usr/lib/<triplet>,
# headers shared in /usr/include (architecture-specific ones in /usr/include/<triplet>).
set(CMAKE_LIBRARY_ARCHITECTURE ${ML_CROSS_TRIPLET})
# GCC notes on every std::vector of small structs that ARM's parameter passing changed in GCC 7.1
# (the ABI of code built with GCC 6 or older, which the agent never links with).
set(CMAKE_CXX_FLAGS_INIT "-Wno-psabi")
# Only the target's .pc files: never a host library's flags.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${ML_CROSS_TRIPLET}/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# qemu-user runs a target binary. No -L prefix: the target's libraries, libc6:<arch> among
# them (a dependency of the libfoo-dev:<arch> packages), sit in the multiarch directories with
# its dynamic loader at /lib/ld-linux-*.so.*, where qemu finds them on the host's own paths.
# `-L /usr/<triplet>` would load the cross C library (libc6-<arch>-cross, another build) next to
# them: with qemu 7.2 and glibc 2.36 the first thread then hangs (arm64) or crashes (armhf).
find_program(ML_QEMU_USER NAMES ${ML_QEMU_NAME}-static ${ML_QEMU_NAME})
if(ML_QEMU_USER)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${ML_QEMU_USER}")
else()
  message(WARNING "${ML_QEMU_NAME}-static not found (qemu-user-static): the tests cannot run")
endif()
