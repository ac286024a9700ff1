# Installation beyond the binaries (systemd user units, autostart, desktop entry, icons, docs, launchd
# agent, app bundle) and CPack: DEB and TGZ on Linux, DragNDrop (DMG) on macOS. The MSI is built from
# installers/wix/latchkey.wxs instead (WiX on Windows, wixl here). Included from the top CMakeLists.txt
# before the subdirectories, because the macOS bundle layout decides where the binaries go.
if(LATCHKEY_FUZZ)
    return() # a fuzzing build installs and packages nothing
endif()

set(LATCHKEY_BUNDLE_ID "dev.latchkey.Latchkey" CACHE STRING "macOS bundle identifier (and launchd label prefix)")
set(LATCHKEY_PACKAGING_DIR "${PROJECT_SOURCE_DIR}/installers")
set(LATCHKEY_RESOURCES_DIR "${PROJECT_SOURCE_DIR}/resources")

if(APPLE)
    # Everything in one bundle: Latchkey.app/Contents/MacOS/{Latchkey (the tray), latchkeyd, latchkey,
    # latchkey-bridge}. `latchkey` finds latchkeyd and latchkey-bridge beside itself.
    set(CMAKE_INSTALL_BINDIR "Latchkey.app/Contents/MacOS")
    set(CMAKE_INSTALL_LIBEXECDIR "Latchkey.app/Contents/Resources")
endif()

# Runs once every target exists (end of the top directory).
function(latchkey_packaging_targets)
    if(APPLE AND TARGET latchkey-tray)
        set_target_properties(latchkey-tray PROPERTIES
            OUTPUT_NAME "Latchkey"
            MACOSX_BUNDLE_INFO_PLIST "${LATCHKEY_PACKAGING_DIR}/dmg/Info.plist.in"
            MACOSX_BUNDLE_GUI_IDENTIFIER "${LATCHKEY_BUNDLE_ID}"
            MACOSX_BUNDLE_BUNDLE_NAME "Latchkey"
            MACOSX_BUNDLE_BUNDLE_VERSION "${PROJECT_VERSION}"
            MACOSX_BUNDLE_SHORT_VERSION_STRING "${PROJECT_VERSION}"
            MACOSX_BUNDLE_COPYRIGHT "Latchkey contributors")
        # The bridge beside `latchkey`, where it looks first.
        install(TARGETS latchkey-bridge RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
    endif()
endfunction()
cmake_language(DEFER DIRECTORY "${PROJECT_SOURCE_DIR}" CALL latchkey_packaging_targets)

if(UNIX AND NOT APPLE)
    install(FILES "${PROJECT_SOURCE_DIR}/README.md" DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/latchkey")

    # systemd --user units. ExecStart needs latchkeyd's absolute path under the prefix in force at
    # install time (CPack installs with /usr, a plain `cmake --install` with /usr/local), so the
    # service file is filled in then, not at configure time. /etc for the /usr prefix, as GNUInstallDirs.
    set(service_in "${LATCHKEY_RESOURCES_DIR}/systemd/latchkeyd.service.in")
    set(service_out "${CMAKE_BINARY_DIR}/packaging/latchkeyd.service")
    set(autostart "${LATCHKEY_RESOURCES_DIR}/desktop/latchkey-tray-autostart.desktop")
    install(FILES "${LATCHKEY_RESOURCES_DIR}/systemd/latchkeyd.socket" DESTINATION lib/systemd/user)
    install(CODE "
        set(LATCHKEY_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
        configure_file(\"${service_in}\" \"${service_out}\" @ONLY)
        file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/lib/systemd/user\" TYPE FILE FILES \"${service_out}\")
        if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
            set(latchkey_etc /etc)
        else()
            set(latchkey_etc \"\${CMAKE_INSTALL_PREFIX}/etc\")
        endif()
        file(INSTALL DESTINATION \"\${latchkey_etc}/xdg/autostart\" TYPE FILE RENAME latchkey-tray.desktop
             FILES \"${autostart}\")
    ")
    install(FILES "${LATCHKEY_RESOURCES_DIR}/desktop/latchkey-tray.desktop"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/applications")

    # Icons: scalable (app/tray installs latchkey.svg), a symbolic one for panels, and PNGs rendered
    # at build time for the freedesktop sizes when rsvg-convert (librsvg2-bin) is there.
    install(FILES "${LATCHKEY_RESOURCES_DIR}/icons/latchkey-symbolic.svg"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/icons/hicolor/symbolic/apps")
    find_program(LATCHKEY_RSVG_CONVERT rsvg-convert)
    if(LATCHKEY_RSVG_CONVERT)
        set(pngs)
        foreach(size 16 22 24 32 48 64 128 256)
            set(png "${CMAKE_BINARY_DIR}/icons/hicolor/${size}x${size}/apps/latchkey.png")
            add_custom_command(OUTPUT "${png}"
                COMMAND "${CMAKE_COMMAND}" -E make_directory "${CMAKE_BINARY_DIR}/icons/hicolor/${size}x${size}/apps"
                COMMAND "${LATCHKEY_RSVG_CONVERT}" -w ${size} -h ${size} -o "${png}" "${LATCHKEY_RESOURCES_DIR}/icons/latchkey.svg"
                DEPENDS "${LATCHKEY_RESOURCES_DIR}/icons/latchkey.svg"
                COMMENT "Rendering latchkey.png ${size}x${size}"
                VERBATIM)
            list(APPEND pngs "${png}")
        endforeach()
        add_custom_target(latchkey_icons ALL DEPENDS ${pngs})
        install(DIRECTORY "${CMAKE_BINARY_DIR}/icons/hicolor" DESTINATION "${CMAKE_INSTALL_DATADIR}/icons")
    else()
        message(STATUS "rsvg-convert not found: only the scalable and symbolic icons are installed")
    endif()
endif()

if(APPLE)
    # The launchd agent, inside the bundle; the app (or an MDM profile) copies it to ~/Library/LaunchAgents.
    set(LATCHKEY_LAUNCHD_LABEL "${LATCHKEY_BUNDLE_ID}.latchkeyd")
    set(LATCHKEYD_PATH "/Applications/Latchkey.app/Contents/MacOS/latchkeyd")
    configure_file("${LATCHKEY_RESOURCES_DIR}/launchd/latchkeyd.plist.in"
        "${CMAKE_BINARY_DIR}/packaging/${LATCHKEY_LAUNCHD_LABEL}.plist" @ONLY)
    install(FILES "${CMAKE_BINARY_DIR}/packaging/${LATCHKEY_LAUNCHD_LABEL}.plist"
        DESTINATION "Latchkey.app/Contents/Library/LaunchAgents")
endif()

# CPack
set(CPACK_PACKAGE_NAME "latchkey")
set(CPACK_PACKAGE_VENDOR "Latchkey")
set(CPACK_PACKAGE_CONTACT "Latchkey maintainers <latchkey@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION "Latchkey keeps MCP servers' API keys and OAuth tokens in the system keychain and hands \
them only to the server they belong to: latchkeyd (per-user daemon, started by systemd socket activation), \
latchkey (CLI), latchkey-bridge and latchkey-tray.")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_INSTALL_DIRECTORY "Latchkey")
set(CPACK_STRIP_FILES ON)
set(CPACK_SOURCE_IGNORE_FILES "/build.*/;/\\\\.git/;/node_modules/")

if(APPLE)
    set(CPACK_GENERATOR "DragNDrop")
    set(CPACK_DMG_VOLUME_NAME "Latchkey")
    set(CPACK_DMG_FORMAT "UDZO")
    # DragNDrop adds the /Applications symlink beside Latchkey.app. The hook bundles Qt and signs the
    # app before the image is made (installers/dmg/README.md).
    find_program(LATCHKEY_MACDEPLOYQT macdeployqt HINTS "${Qt6_DIR}/../../../bin")
    set(CPACK_LATCHKEY_MACDEPLOYQT "${LATCHKEY_MACDEPLOYQT}")
    set(CPACK_PRE_BUILD_SCRIPTS "${LATCHKEY_PACKAGING_DIR}/dmg/prepare-bundle.cmake")
elseif(UNIX)
    set(CPACK_GENERATOR "DEB;TGZ")
    set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
    set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
    set(CPACK_DEBIAN_PACKAGE_SECTION "utils")
    set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
    # Depends from the ELF files (dpkg-shlibdeps, dpkg-dev), plus what is dlopen'ed or run, not linked:
    # libsecret for qtkeychain's Secret Service backend, a Secret Service, the session bus.
    set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
    set(CPACK_DEBIAN_PACKAGE_DEPENDS "libsecret-1-0, dbus-daemon | dbus")
    set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "gnome-keyring | keepassxc")
    set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
        "${LATCHKEY_PACKAGING_DIR}/deb/postinst;${LATCHKEY_PACKAGING_DIR}/deb/prerm;${LATCHKEY_PACKAGING_DIR}/deb/postrm")
    set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
endif()
include(CPack)
