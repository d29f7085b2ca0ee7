# ferrisdb_set_warnings(target): warnings for FerrisDB's own code only. They are
# PRIVATE so that they never leak to consumers of the installed package.
function(ferrisdb_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wnon-virtual-dtor
                         -Wno-unused-parameter)
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_compile_options(${target} PRIVATE -Wthread-safety -Wshadow-uncaptured-local)
  else()
    target_compile_options(${target} PRIVATE -Wshadow=local)
  endif()
  if(FERRISDB_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
