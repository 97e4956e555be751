# Tables the core compiles in, generated at build time from upstream data sets — never written
# by hand: libphonenumber's metadata (npm package libphonenumber-js) and the IANA tz database
# (the build machine's /usr/share/zoneinfo/tzdata.zi, Debian package tzdata).
find_program(INTAKE_NODE node REQUIRED)  # also runs the wasm tests
set(INTAKE_GEN_DIR ${CMAKE_BINARY_DIR}/generated)
file(MAKE_DIRECTORY ${INTAKE_GEN_DIR})

set(INTAKE_PHONE_METADATA ${CMAKE_SOURCE_DIR}/node_modules/libphonenumber-js/metadata.max.json)
if(NOT EXISTS ${INTAKE_PHONE_METADATA})
  message(FATAL_ERROR "Phone metadata not found at ${INTAKE_PHONE_METADATA}. "
    "Run scripts/setup.sh (it installs the npm package libphonenumber-js), then configure again.")
endif()
set(INTAKE_TZDATA /usr/share/zoneinfo/tzdata.zi)
if(NOT EXISTS ${INTAKE_TZDATA})
  message(FATAL_ERROR "The IANA tz database was not found at ${INTAKE_TZDATA}. "
    "Run scripts/setup.sh (it installs Debian's tzdata), then configure again.")
endif()

add_custom_command(
  OUTPUT ${INTAKE_GEN_DIR}/phone_metadata.cpp
  COMMAND ${INTAKE_NODE} ${CMAKE_SOURCE_DIR}/scripts/gen_phone_metadata.mjs
          ${INTAKE_PHONE_METADATA} ${INTAKE_GEN_DIR}/phone_metadata.cpp
  DEPENDS ${CMAKE_SOURCE_DIR}/scripts/gen_phone_metadata.mjs ${INTAKE_PHONE_METADATA}
  COMMENT "Generating phone metadata from libphonenumber-js")
add_custom_command(
  OUTPUT ${INTAKE_GEN_DIR}/timezones.cpp
  COMMAND ${INTAKE_NODE} ${CMAKE_SOURCE_DIR}/scripts/gen_timezones.mjs
          ${INTAKE_TZDATA} ${INTAKE_GEN_DIR}/timezones.cpp
  DEPENDS ${CMAKE_SOURCE_DIR}/scripts/gen_timezones.mjs ${INTAKE_TZDATA}
  COMMENT "Generating the timezone table from the IANA tz database")
set(INTAKE_GENERATED_SOURCES ${INTAKE_GEN_DIR}/phone_metadata.cpp ${INTAKE_GEN_DIR}/timezones.cpp)
