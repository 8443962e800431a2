# Debian packages with CPack (issue 17 §1): `./regscope.sh package`, or
#   cmake --build build --target regscope_man && cd build && cpack -G DEB
#
# One package per install component:
#   app          → regscope                   the app, the loader in /usr/libexec/regscope,
#                                               desktop entry, hicolor icons, AppStream metainfo
#   discoveryd   → regscope-discoveryd        the server, its systemd unit, /etc config
#   registrator  → regscope-registrator
#   registry-dev → libregscope-registry-dev   the registry library's install rules (attach
#                                               issue); nothing is packaged until they exist
# Dependencies come from dpkg-shlibdeps. Every program has a man page (packaging/man/*.md,
# turned into roff by pandoc at build time).

include(GNUInstallDirs)

set(REGSCOPE_HOMEPAGE "https://github.com/regscope/regscope" CACHE STRING
    "The project's home page (AppStream, package control files)")
set(REGSCOPE_SCREENSHOT_URL
    "${REGSCOPE_HOMEPAGE}/raw/main/docs/guide/img/entries-light.png" CACHE STRING
    "The AppStream screenshot (a picture docs/guide/make-screenshots.sh makes)")
set(REGSCOPE_MAINTAINER "regscope maintainers <maintainers@users.noreply.b-seed-469f580c.example>")

set(pkg ${PROJECT_SOURCE_DIR}/packaging)
set(pkg_out ${CMAKE_BINARY_DIR}/packaging)
file(MAKE_DIRECTORY ${pkg_out})

# component → Debian package name (also the /usr/share/doc folder).
set(regscope_pkg_app regscope)
set(regscope_pkg_discoveryd regscope-discoveryd)
set(regscope_pkg_registrator regscope-registrator)
set(regscope_pkg_registry-dev libregscope-registry-dev)

# --- regscope: desktop integration --------------------------------------------------------
if(TARGET regscope)
    install(FILES ${pkg}/org.regscope.Regscope.desktop
        DESTINATION ${CMAKE_INSTALL_DATADIR}/applications COMPONENT app)
    configure_file(${pkg}/org.regscope.Regscope.metainfo.xml.in
        ${pkg_out}/org.regscope.Regscope.metainfo.xml @ONLY)
    install(FILES ${pkg_out}/org.regscope.Regscope.metainfo.xml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo COMPONENT app)
    install(FILES ${PROJECT_SOURCE_DIR}/resources/regscope.svg
        DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps COMPONENT app)
    foreach(size 16 22 24 32 48 64 128 256 512)
        install(FILES ${pkg}/icons/regscope-${size}.png
            DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/${size}x${size}/apps
            RENAME regscope.png COMPONENT app)
    endforeach()
endif()

# --- regscope-discoveryd: systemd unit and default config --------------------------------
if(TARGET regscope-discoveryd)
    # /lib/systemd/system is where Debian 12's systemd and lintian look for packaged units.
    install(FILES ${pkg}/systemd/regscope-discoveryd.service
        DESTINATION /lib/systemd/system COMPONENT discoveryd)
    install(FILES ${pkg}/etc/discoveryd.json DESTINATION /etc/regscope COMPONENT discoveryd)
    file(WRITE ${pkg_out}/discoveryd/conffiles "/etc/regscope/discoveryd.json\n")
endif()

# --- man pages, copyright and changelog ---------------------------------------------------
find_program(REGSCOPE_PANDOC pandoc)
set(man_pages)
macro(regscope_man program component)
    if(TARGET ${program})
        set(md ${pkg}/man/${program}.1.md)
        set(page ${pkg_out}/man/${program}.1)
        configure_file(${md} ${pkg_out}/man/${program}.1.md @ONLY)
        add_custom_command(OUTPUT ${page}.gz
            COMMAND ${REGSCOPE_PANDOC} --standalone --to man ${pkg_out}/man/${program}.1.md
                    --output ${page}
            COMMAND gzip -9nf ${page}
            DEPENDS ${md} VERBATIM)
        list(APPEND man_pages ${page}.gz)
        install(FILES ${page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT ${component})
    endif()
endmacro()
if(REGSCOPE_PANDOC)
    regscope_man(regscope app)
    regscope_man(regscope-loader app)
    regscope_man(regscope-discoveryd discoveryd)
    regscope_man(regscope-registrator registrator)
    add_custom_target(regscope_man ALL DEPENDS ${man_pages})
else()
    message(STATUS "pandoc not found: no man pages (./regscope.sh package installs it)")
    add_custom_target(regscope_man)
endif()

add_custom_command(OUTPUT ${pkg_out}/changelog.gz
    COMMAND gzip -9nc ${pkg}/doc/changelog > ${pkg_out}/changelog.gz
    DEPENDS ${pkg}/doc/changelog VERBATIM)
add_custom_target(regscope_pkg_docs ALL DEPENDS ${pkg_out}/changelog.gz)
add_dependencies(regscope_man regscope_pkg_docs)

# The components that have install rules, each with its documentation folder.
get_cmake_property(regscope_components COMPONENTS)
set(CPACK_COMPONENTS_ALL)
foreach(component app discoveryd registrator registry-dev)
    if(component IN_LIST regscope_components)
        list(APPEND CPACK_COMPONENTS_ALL ${component})
        install(FILES ${pkg}/doc/copyright ${pkg_out}/changelog.gz
            DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${regscope_pkg_${component}}
            COMPONENT ${component})
    endif()
endforeach()
foreach(component IN LISTS regscope_components)
    if(NOT component IN_LIST CPACK_COMPONENTS_ALL)
        message(WARNING "install component '${component}' belongs to no package "
                        "(cmake/Packaging.cmake maps app, discoveryd, registrator, registry-dev)")
    endif()
endforeach()

# --- CPack ----------------------------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME regscope)
set(CPACK_PACKAGE_VENDOR "The regscope authors")
set(CPACK_PACKAGE_CONTACT "${REGSCOPE_MAINTAINER}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_HOMEPAGE_URL ${REGSCOPE_HOMEPAGE})
# Each component's description starts with its own synopsis line. CPack prepends the global
# summary to it unless that summary is its default, so keep the default.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${CMAKE_PROJECT_NAME} built using CMake")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)

set(CPACK_DEBIAN_APP_PACKAGE_NAME ${regscope_pkg_app})
set(CPACK_DEBIAN_APP_DESCRIPTION "desktop debugger for service and plugin registries
regscope attaches to a registry and shows it live: entries, lookup hits and
misses with latency charts, deprecations, stale instances, evictions and
self-protection. It reads in-process registries, bilibili/discovery HTTP
servers and etcd v3 clusters, and loads plugins in a sacrificial subprocess
so a crashing plugin never takes the app down.")

set(CPACK_DEBIAN_DISCOVERYD_PACKAGE_NAME ${regscope_pkg_discoveryd})
set(CPACK_DEBIAN_DISCOVERYD_PACKAGE_SECTION net)
set(CPACK_DEBIAN_DISCOVERYD_PACKAGE_CONTROL_EXTRA ${pkg_out}/discoveryd/conffiles)
set(CPACK_DEBIAN_DISCOVERYD_DESCRIPTION "service-discovery server with the bilibili/discovery API
regscope-discoveryd keeps a registry of service instances in memory: register,
renew, cancel, fetch and long-poll over HTTP, eviction of stale instances and
self-protection. A sandboxed systemd unit and a default configuration in
/etc/regscope are included.")

set(CPACK_DEBIAN_REGISTRATOR_PACKAGE_NAME ${regscope_pkg_registrator})
set(CPACK_DEBIAN_REGISTRATOR_PACKAGE_SECTION net)
set(CPACK_DEBIAN_REGISTRATOR_DESCRIPTION "keeps a command registered in a discovery server or etcd
regscope-registrator starts a command, registers it with a discovery server
(or an etcd key on a lease), renews while it runs, registers again when the
server forgot it and cancels when the command exits.")

set(CPACK_DEBIAN_REGISTRY-DEV_PACKAGE_NAME ${regscope_pkg_registry-dev})
set(CPACK_DEBIAN_REGISTRY-DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_REGISTRY-DEV_DESCRIPTION "regscope's embeddable registry library (development files)
The headers, static library, CMake package (RegscopeRegistry,
Regscope::Registry) and pkg-config file of the in-process registry that
regscope can attach to.")

include(CPack)
