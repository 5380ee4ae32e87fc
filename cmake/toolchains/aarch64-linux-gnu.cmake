# 64-bit Raspberry Pi (Raspberry Pi OS / Debian arm64): Debian's aarch64-linux-gnu cross
# compiler, the tests under qemu-aarch64. Used by the arm64 preset (CMakePresets.json).
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(ML_CROSS_TRIPLET aarch64-linux-gnu)
set(ML_DEB_ARCH arm64)
set(ML_QEMU_NAME qemu-aarch64)
include("${CMAKE_CURRENT_LIST_DIR}/cross-debian.cmake")
