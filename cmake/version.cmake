# Writes version.hpp with the commit of the sources being built, "-dirty" where tracked files
# differ from it. Run at every build (not only at configure time), so that a result never names
# a commit its binary was not built from; configure_file rewrites the header only when it
# changes, so nothing recompiles needlessly.
# Inputs: SOURCE_DIR, OUTPUT, VERSION, GIT_EXECUTABLE (may be empty).
set(PROJECT_VERSION "${VERSION}")
set(KIMSIM_GIT_COMMIT "unknown")
if(GIT_EXECUTABLE)
  execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --short=12 HEAD
                  WORKING_DIRECTORY "${SOURCE_DIR}" OUTPUT_VARIABLE commit
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
  if(rc EQUAL 0)
    set(KIMSIM_GIT_COMMIT "${commit}")
    # --no-optional-locks: a build must not take the index lock from the user's own git commands.
    execute_process(COMMAND "${GIT_EXECUTABLE}" --no-optional-locks status --porcelain --untracked-files=no
                    WORKING_DIRECTORY "${SOURCE_DIR}" OUTPUT_VARIABLE changes ERROR_QUIET RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      string(APPEND KIMSIM_GIT_COMMIT "-unknown-state")
    elseif(NOT changes STREQUAL "")
      string(APPEND KIMSIM_GIT_COMMIT "-dirty")
    endif()
  endif()
endif()
configure_file("${SOURCE_DIR}/engine/version.hpp.in" "${OUTPUT}" @ONLY)
