/*
 * Test double of the ArkTS runtime's N-API (libace_napi.z.so) for the device smoke test: just enough of
 * napi for libpaysign.so to register itself and run its exports on a machine without HarmonyOS.
 * A value is a pointer to a tagged struct; nothing is ever freed (the harness lives for one run).
 * The declarations follow the public N-API headers (js_native_api.h, node_api.h).
 */
#ifndef FAKE_NAPI_H
#define FAKE_NAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct fake_env *napi_env;
typedef struct fake_value *napi_value;
typedef struct fake_cb_info *napi_callback_info;
typedef struct fake_ref *napi_ref;
typedef struct fake_scope *napi_handle_scope;
typedef struct fake_scope *napi_escapable_handle_scope;
typedef struct fake_tsfn *napi_threadsafe_function;

typedef enum {
  napi_ok,
  napi_invalid_arg,
  napi_object_expected,
  napi_string_expected,
  napi_name_expected,
  napi_function_expected,
  napi_number_expected,
  napi_boolean_expected,
  napi_array_expected,
  napi_generic_failure,
  napi_pending_exception,
  napi_cancelled,
  napi_escape_called_twice,
  napi_handle_scope_mismatch,
  napi_callback_scope_mismatch,
  napi_queue_full,
  napi_closing,
  napi_bigint_expected,
} napi_status;

typedef enum {
  napi_undefined,
  napi_null,
  napi_boolean,
  napi_number,
  napi_string,
  napi_symbol,
  napi_object,
  napi_function,
  napi_external,
  napi_bigint,
} napi_valuetype;

typedef napi_value (*napi_callback)(napi_env env, napi_callback_info info);
typedef void (*napi_finalize)(napi_env env, void *data, void *hint);
typedef napi_value (*napi_addon_register_func)(napi_env env, napi_value exports);

typedef struct {
  const char *utf8name;
  napi_value name;
  napi_callback method;
  napi_callback getter;
  napi_callback setter;
  napi_value value;
  int attributes;
  void *data;
} napi_property_descriptor;

typedef struct {
  const char *error_message;
  void *engine_reserved;
  uint32_t engine_error_code;
  napi_status error_code;
} napi_extended_error_info;

typedef struct {
  int nm_version;
  unsigned int nm_flags;
  const char *nm_filename;
  napi_addon_register_func nm_register_func;
  const char *nm_modname;
  void *nm_priv;
  void *reserved[4];
} napi_module;

#define NAPI_AUTO_LENGTH SIZE_MAX

/* The napi functions the harness itself uses to build arguments and read results. */
napi_status napi_create_object(napi_env env, napi_value *result);
napi_status napi_create_string_utf8(napi_env env, const char *str, size_t length, napi_value *result);
napi_status napi_create_double(napi_env env, double value, napi_value *result);
napi_status napi_get_boolean(napi_env env, bool value, napi_value *result);
napi_status napi_get_undefined(napi_env env, napi_value *result);
napi_status napi_set_named_property(napi_env env, napi_value object, const char *name, napi_value value);
napi_status napi_get_named_property(napi_env env, napi_value object, const char *name, napi_value *result);
napi_status napi_call_function(napi_env env, napi_value recv, napi_value func, size_t argc,
                               const napi_value *argv, napi_value *result);
napi_status napi_typeof(napi_env env, napi_value value, napi_valuetype *result);
napi_status napi_is_exception_pending(napi_env env, bool *result);
napi_status napi_get_and_clear_last_exception(napi_env env, napi_value *result);

/* Test-double controls, not part of N-API. */
napi_env fake_napi_env(void);
/* The module the library registered when it was loaded (NULL when none). */
const napi_module *fake_napi_registered_module(void);
/* Own property names of an object, in insertion order; *count receives their number. */
const char *const *fake_napi_property_names(napi_value object, size_t *count);
/* The string of a string value, NULL for any other value. */
const char *fake_napi_string(napi_value value);
/* The number of a number value, NaN for any other value. */
double fake_napi_number(napi_value value);
/* 1/0 for a boolean value, -1 for any other value. */
int fake_napi_bool(napi_value value);
/* True when the value was made by napi_create_error & co. */
bool fake_napi_is_error(napi_value value);
/* Prints a value as JSON-like text to stdout (strings longer than max_string are cut). */
void fake_napi_print(napi_value value, size_t max_string);
/* Number of calls to napi functions this double does not implement (each is also printed). */
unsigned fake_napi_unimplemented_calls(void);

#endif
