# 32-bit Raspberry Pi (Raspberry Pi OS / Debian armhf, ARMv7 with hardware floating point):
# Debian's arm-linux-gnueabihf cross compiler, the tests under qemu-arm. Used by the armhf
# preset (CMakePresets.json).
set(CMAKE_SYSTEM_PROCESSOR arm)
set(ML_CROSS_TRIPLET arm-linux-gnueabihf)
set(ML_DEB_ARCH armhf)
set(ML_QEMU_NAME qemu-arm)
include("${CMAKE_CURRENT_LIST_DIR}/cross-debian.cmake")
