# Warnings and hardening for every Latchkey target, as one INTERFACE target to link.
add_library(latchkey_options INTERFACE)
add_library(Latchkey::options ALIAS latchkey_options)

target_compile_options(latchkey_options INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
    -Woverloaded-virtual -Wconversion -Wsign-conversion -Wformat=2 -Wimplicit-fallthrough
    -fstack-protector-strong -fstack-clash-protection
    $<$<CXX_COMPILER_ID:GNU>:-Wduplicated-cond -Wlogical-op>
    $<$<BOOL:${LATCHKEY_WERROR}>:-Werror>)
# _FORTIFY_SOURCE needs optimisation; glibc warns without it.
target_compile_definitions(latchkey_options INTERFACE
    $<$<NOT:$<CONFIG:Debug>>:_FORTIFY_SOURCE=2>
    QT_NO_CAST_FROM_ASCII QT_NO_CAST_TO_ASCII QT_NO_KEYWORDS QT_NO_FOREACH
    QT_NO_NARROWING_CONVERSIONS_IN_CONNECT QT_STRICT_ITERATORS
    LATCHKEY_VERSION="${PROJECT_VERSION}")
target_link_options(latchkey_options INTERFACE -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack -Wl,--as-needed)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
include(CheckPIESupported)
check_pie_supported()
