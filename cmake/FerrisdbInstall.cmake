# Install rules: headers, the library, a CMake package (ferrisdb::ferrisdb) and
# a pkg-config file.
include(CMakePackageConfigHelpers)

install(TARGETS ferrisdb
  EXPORT ferrisdbTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ferrisdb
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/generated/include/ferrisdb/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ferrisdb)

set(FERRISDB_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/ferrisdb)
install(EXPORT ferrisdbTargets
  NAMESPACE ferrisdb::
  DESTINATION ${FERRISDB_CMAKE_DIR})

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/ferrisdbConfig.cmake.in
  ${PROJECT_BINARY_DIR}/ferrisdbConfig.cmake
  INSTALL_DESTINATION ${FERRISDB_CMAKE_DIR})
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/ferrisdbConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/ferrisdbConfig.cmake
  ${PROJECT_BINARY_DIR}/ferrisdbConfigVersion.cmake
  DESTINATION ${FERRISDB_CMAKE_DIR})

# pkg-config: a static libferrisdb needs its private dependencies on the link
# line, a shared one only in Requires.private.
if(BUILD_SHARED_LIBS)
  set(FERRISDB_PC_LIBS_PRIVATE "")
else()
  set(FERRISDB_PC_LIBS_PRIVATE "-lpthread")
endif()
# Path from the installed .pc file back to the prefix, so the file stays
# valid wherever the tree is installed (cmake --install --prefix).
file(RELATIVE_PATH FERRISDB_PC_TO_PREFIX
     "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
configure_file(${PROJECT_SOURCE_DIR}/cmake/ferrisdb.pc.in
               ${PROJECT_BINARY_DIR}/ferrisdb.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/ferrisdb.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
