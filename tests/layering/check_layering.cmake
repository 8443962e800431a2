# The house rules, checked (README "Architecture"): run as
#   cmake -DROOT=<tree> [-DEXPECT_VIOLATIONS=rule1;rule2...] -P check_layering.cmake
# Without EXPECT_VIOLATIONS it fails on any violation. With it (the self-test on a planted
# tree), it fails unless every named rule was violated, so a rule that can no longer fire
# is noticed.
cmake_minimum_required(VERSION 3.25)
if(NOT ROOT)
    message(FATAL_ERROR "ROOT is not set")
endif()
set(max_lines 600)
set(rooms app models views connectors resources tests)

set(violations "")
set(rules_hit "")
macro(violation rule file what)
    string(REPLACE "${ROOT}/" "" _rel "${file}")
    list(APPEND violations "[${rule}] ${_rel}: ${what}")
    list(APPEND rules_hit ${rule})
endmacro()

set(sources "")
foreach(room IN LISTS rooms)
    file(GLOB_RECURSE found LIST_DIRECTORIES false
        "${ROOT}/${room}/*.h" "${ROOT}/${room}/*.hpp" "${ROOT}/${room}/*.cpp" "${ROOT}/${room}/*.cc"
        "${ROOT}/${room}/*.c")
    list(APPEND sources ${found})
endforeach()
# Build trees inside a room (if any) are not the house.
set(kept "")
foreach(f IN LISTS sources)
    string(REPLACE "${ROOT}/" "" rel "${f}")
    if(NOT rel MATCHES "(^|/)(build[^/]*|\\.git)/")
        list(APPEND kept "${f}")
    endif()
endforeach()
set(sources ${kept})

# Headers under models/ that declare item models: connectors may not include them.
set(item_model_headers "")
foreach(f IN LISTS sources)
    if(f MATCHES "^${ROOT}/models/.*\\.h$")
        file(STRINGS "${f}" decl REGEX
            "(class|struct) [A-Za-z0-9_]+ *(final)? *: *public +(QAbstract(Item|Table|List)Model|QSortFilterProxyModel|QIdentityProxyModel|QConcatenateTablesProxyModel)")
        if(decl)
            string(REPLACE "${ROOT}/" "" rel "${f}")
            list(APPEND item_model_headers "${rel}")
        endif()
    endif()
endforeach()

set(qtgui_headers "QColor|QBrush|QFont|QFontMetrics|QIcon|QPixmap|QPainter|QImage|QPalette|QPen|QGuiApplication|QtGui/.*|QPolygon|QPolygonF|QStandardItemModel|QTextDocument")

foreach(f IN LISTS sources)
    string(REPLACE "${ROOT}/" "" rel "${f}")
    file(STRINGS "${f}" lines)
    list(LENGTH lines n)
    if(n GREATER max_lines)
        violation(size "${f}" "${n} lines (at most ${max_lines})")
    endif()
    file(STRINGS "${f}" includes REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
    foreach(inc IN LISTS includes)
        string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*[<\"]([^>\"]+)[>\"].*$" "\\1" path "${inc}")
        # A view or a model never includes a connector.
        if(rel MATCHES "^(views|models)/" AND path MATCHES "^connectors/")
            violation(view-model-includes-connector "${f}" "includes ${path}")
        endif()
        # A connector never includes an item model or a view.
        if(rel MATCHES "^connectors/")
            if(path MATCHES "^views/")
                violation(connector-includes-view "${f}" "includes ${path}")
            endif()
            list(FIND item_model_headers "${path}" at)
            if(NOT at EQUAL -1 OR path MATCHES "^(QAbstractItemModel|QAbstractTableModel|QAbstractListModel|QSortFilterProxyModel|QStandardItemModel|QtWidgets/.*|QWidget)$")
                violation(connector-includes-item-model "${f}" "includes ${path}")
            endif()
        endif()
        # gRPC and protobuf stay inside connectors/etcd and connectors/probe (its gRPC health
        # probe), and tests/probe (the real gRPC health server it probes).
        if(NOT rel MATCHES "^(connectors/etcd|connectors/probe|tests/probe)/" AND path MATCHES "^(grpc|grpcpp|grpc\\+\\+|google/protobuf)/|\\.pb\\.h$")
            violation(grpc-outside-grpc-rooms "${f}" "includes ${path}")
        endif()
        # The embeddable libraries are Qt-free.
        if(rel MATCHES "^models/(registry|discovery)/" AND path MATCHES "^Q|^Qt")
            violation(qt-in-std-library "${f}" "includes ${path}")
        endif()
        # models/ needs QtCore only: colour and fonts belong to views/.
        if(rel MATCHES "^models/" AND path MATCHES "^(${qtgui_headers})$")
            violation(qtgui-in-models "${f}" "includes ${path}")
        endif()
    endforeach()
endforeach()

# The build files say the same: models link no Qt6::Gui, the std libraries no Qt at all.
file(GLOB_RECURSE cmake_files LIST_DIRECTORIES false "${ROOT}/models/CMakeLists.txt"
    "${ROOT}/models/*/CMakeLists.txt")
foreach(f IN LISTS cmake_files)
    file(READ "${f}" text)
    if(text MATCHES "Qt6::(Gui|Widgets|Charts)")
        violation(qtgui-in-models "${f}" "links ${CMAKE_MATCH_0}")
    endif()
    if(f MATCHES "/models/(registry|discovery)/" AND text MATCHES "Qt6::")
        violation(qt-in-std-library "${f}" "links Qt")
    endif()
endforeach()

if(DEFINED EXPECT_VIOLATIONS)
    set(missing "")
    foreach(rule IN LISTS EXPECT_VIOLATIONS)
        list(FIND rules_hit "${rule}" at)
        if(at EQUAL -1)
            list(APPEND missing "${rule}")
        endif()
    endforeach()
    if(missing)
        message(FATAL_ERROR "layering self-test: these rules did not fire on the planted "
                            "violations: ${missing}")
    endif()
    list(LENGTH violations count)
    message(STATUS "layering self-test: all ${count} planted violations were found")
    return()
endif()

if(violations)
    list(LENGTH violations count)
    list(JOIN violations "\n  " text)
    message(FATAL_ERROR "layering: ${count} violation(s) of the house rules:\n  ${text}")
endif()
list(LENGTH sources count)
message(STATUS "layering: ${count} source files follow the house rules")
