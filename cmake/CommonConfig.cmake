# One INTERFACE target carries the language level, warnings and strict Qt defines.
# Every regscope target links regscope_common (qBittorrent's CommonConfig idea).

set(CMAKE_CXX_STANDARD 23)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)

add_library(regscope_common INTERFACE)
target_compile_features(regscope_common INTERFACE cxx_std_23)
target_compile_options(regscope_common INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor -Wcast-qual -Wformat=2
    -Wimplicit-fallthrough -Wmissing-declarations -Wundef
    $<$<BOOL:${REGSCOPE_WERROR}>:-Werror>)
target_compile_definitions(regscope_common INTERFACE
    QT_NO_CAST_FROM_ASCII
    QT_NO_CAST_TO_ASCII
    QT_NO_CAST_FROM_BYTEARRAY
    QT_NO_URL_CAST_FROM_STRING
    QT_NO_CONTEXTLESS_CONNECT
    QT_NO_NARROWING_CONVERSIONS_IN_CONNECT
    QT_NO_FOREACH
    QT_USE_QSTRINGBUILDER
    QT_FORCE_ASSERTS
    QT_DISABLE_DEPRECATED_UP_TO=0x060400
    REGSCOPE_VERSION_STRING="${PROJECT_VERSION}")

if(REGSCOPE_TSAN)
    target_compile_options(regscope_common INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
    target_link_options(regscope_common INTERFACE -fsanitize=thread)
endif()
if(REGSCOPE_ASAN)
    target_compile_options(regscope_common INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
    target_link_options(regscope_common INTERFACE -fsanitize=address,undefined)
endif()

# regscope_add_qt_test(NAME SOURCES... [LIBS ...] [LABELS ...] [GUI] [TIMEOUT s])
# A Qt Test executable registered with CTest. QSKIP is reported as a skip, not a pass;
# GUI tests run on the offscreen platform whatever the caller's shell says.
function(regscope_add_qt_test name)
    cmake_parse_arguments(ARG "GUI" "TIMEOUT" "SOURCES;LIBS;LABELS;ENVIRONMENT" ${ARGN})
    add_executable(${name} ${ARG_SOURCES} ${ARG_UNPARSED_ARGUMENTS})
    target_link_libraries(${name} PRIVATE regscope_common Qt6::Test ${ARG_LIBS})
    add_test(NAME ${name} COMMAND ${name})
    if(NOT ARG_TIMEOUT)
        set(ARG_TIMEOUT 120)
    endif()
    set(env "QT_QPA_PLATFORM=offscreen" "QT_LOGGING_RULES=qt.qpa.*=false" ${ARG_ENVIRONMENT})
    set_tests_properties(${name} PROPERTIES
        TIMEOUT ${ARG_TIMEOUT}
        SKIP_REGULAR_EXPRESSION "SKIP   :"
        ENVIRONMENT "${env}"
        LABELS "${ARG_LABELS}")
endfunction()

# regscope_room(DIR): add a room if it has a CMakeLists.txt (lets rooms grow independently).
macro(regscope_room dir)
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${dir}/CMakeLists.txt)
        add_subdirectory(${dir})
    endif()
endmacro()
