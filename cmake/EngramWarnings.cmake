# Warnings for our own code only: -Werror must not fire on third-party headers,
# which are all included as SYSTEM by their imported targets.
function(engram_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor
                                           $<$<COMPILE_LANGUAGE:CXX>:-Wold-style-cast>)
endfunction()
