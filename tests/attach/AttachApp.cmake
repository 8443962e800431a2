# The app side of attaching (issue 12 §2), included from tests/CMakeLists.txt next to the
# library's tests/attach room: the attach connector, the Entries model and the Attach dialog
# against real, separate host processes (attach_test_host, REGSCOPE_DEBUG=1).
add_executable(attach_test_host ${CMAKE_CURRENT_LIST_DIR}/attach_test_host.cpp)
target_include_directories(attach_test_host PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(attach_test_host PRIVATE regscope_registry)

regscope_add_qt_test(tst_attach_app
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_attach_app.cpp ${CMAKE_CURRENT_LIST_DIR}/AttachHost.h
    LIBS regscope_app regscope_connector_attach regscope_models
    LABELS attach app integration TIMEOUT 180)
regscope_add_qt_test(tst_attach_dialog
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_attach_dialog.cpp ${CMAKE_CURRENT_LIST_DIR}/AttachHost.h
    LIBS regscope_connector_attach regscope_views Qt6::Widgets
    LABELS attach app gui GUI TIMEOUT 120)
foreach(t tst_attach_app tst_attach_dialog)
    target_include_directories(${t} PRIVATE ${CMAKE_CURRENT_LIST_DIR})
    target_compile_definitions(${t} PRIVATE ATTACH_TEST_HOST="$<TARGET_FILE:attach_test_host>"
        REGSCOPE_APP="$<TARGET_FILE:regscope>")
    add_dependencies(${t} attach_test_host regscope)
endforeach()
regscope_add_qt_test(tst_attach_entries
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_attach_entries.cpp
    LIBS regscope_models LABELS attach app TIMEOUT 60)
