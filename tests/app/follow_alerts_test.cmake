# `regscope --follow jsonl` prints the alert engine's lines: with the miss-rate threshold at
# 1 miss/s (the user's Settings ▸ Alerts…, in a scratch config dir) the demo, which misses on
# purpose, raises it within the run; the lines are JSON with op "alert" and the rule's name.
file(REMOVE_RECURSE ${CONFIG})
file(WRITE ${CONFIG}/regscope/regscope.conf "[alerts]\nmiss_rate\\threshold=1\n")
execute_process(COMMAND ${CMAKE_COMMAND} -E env XDG_CONFIG_HOME=${CONFIG}
                        ${REGSCOPE} --follow jsonl --for 6
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 40)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "regscope --follow exited with ${rc}: ${err}")
endif()
string(REGEX MATCH "[^\n]*\"op\":\"alert\"[^\n]*" line "${out}")
if(line STREQUAL "")
    message(FATAL_ERROR "no alert line in the follow output:\n${err}")
endif()
string(JSON rule GET "${line}" rule)
string(JSON state GET "${line}" state)
if(NOT rule STREQUAL "miss_rate" OR NOT state STREQUAL "raised")
    message(FATAL_ERROR "unexpected alert line: ${line}")
endif()
string(REGEX MATCH "\"op\":\"synced\"" synced "${out}")
if(synced STREQUAL "")
    message(FATAL_ERROR "no synced line before the alert")
endif()
message(STATUS "alert line: ${line}")
