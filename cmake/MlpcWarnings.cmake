# Warnings for our own targets only (generated ANTLR code and system headers stay quiet).
function(mlpc_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic
                                           $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local>
                                           -Wnon-virtual-dtor -Wimplicit-fallthrough)
  if(MLPC_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(MLPC_CLANG_TIDY)
    set_target_properties(${target} PROPERTIES CXX_CLANG_TIDY "clang-tidy")
  endif()
endfunction()
