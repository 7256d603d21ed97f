/*
 * Test double of the ArkTS runtime's N-API (libace_napi.z.so); see fake_napi.h. Built as a shared
 * library with the SONAME libace_napi.z.so, so libpaysign.so binds to it exactly as to the real one.
 * Every function the napi binding crate declares but this double does not implement comes from
 * fake_napi_defaults.c (generated from the same import list as the stand-in's link stub): it reports
 * the call and returns napi_generic_failure, so a gap shows up as a failing check, never as a crash.
 */
#include "fake_napi.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fake_prop {
  char *name;
  napi_value value;
};

struct fake_value {
  napi_valuetype type;
  bool is_array;
  bool is_error;
  bool boolean;
  double number;
  char *str;
  size_t len;
  struct fake_prop *props;
  size_t nprops, cap_props;
  napi_value *items;
  size_t nitems, cap_items;
  napi_callback cb;
  void *cb_data;
  void *external;
  napi_value proto;
};

struct fake_env {
  napi_value pending;
  bool has_pending;
  napi_extended_error_info last_error;
};

struct fake_cb_info {
  size_t argc;
  const napi_value *argv;
  napi_value this_arg;
  void *data;
};

struct fake_ref {
  napi_value value;
  uint32_t count;
};

struct fake_tsfn {
  napi_value func;
  void *context;
  int refs;
};

static struct fake_env the_env;
static napi_module registered;
static bool have_registered;
static unsigned unimplemented_calls;
static struct fake_value undefined_value = {.type = napi_undefined};
static struct fake_value null_value = {.type = napi_null};
static napi_value global_object;

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) {
    fputs("fake napi: out of memory\n", stderr);
    abort();
  }
  return p;
}

static napi_value new_value(napi_valuetype type) {
  napi_value v = xcalloc(1, sizeof *v);
  v->type = type;
  return v;
}

static napi_value new_string(const char *s, size_t len) {
  napi_value v = new_value(napi_string);
  if (len == NAPI_AUTO_LENGTH) len = s ? strlen(s) : 0;
  v->str = xcalloc(len + 1, 1);
  if (len) memcpy(v->str, s, len);
  v->len = len;
  return v;
}

static bool is_objectish(napi_value v) {
  return v && (v->type == napi_object || v->type == napi_function);
}

static struct fake_prop *find_prop(napi_value obj, const char *name) {
  for (size_t i = 0; i < obj->nprops; i++)
    if (strcmp(obj->props[i].name, name) == 0) return &obj->props[i];
  return NULL;
}

static void set_prop(napi_value obj, const char *name, napi_value value) {
  struct fake_prop *p = find_prop(obj, name);
  if (p) {
    p->value = value;
    return;
  }
  if (obj->nprops == obj->cap_props) {
    obj->cap_props = obj->cap_props ? obj->cap_props * 2 : 8;
    struct fake_prop *grown = xcalloc(obj->cap_props, sizeof *grown);
    if (obj->nprops) memcpy(grown, obj->props, obj->nprops * sizeof *grown);
    obj->props = grown;
  }
  obj->props[obj->nprops].name = strdup(name);
  obj->props[obj->nprops].value = value;
  obj->nprops++;
}

static void set_item(napi_value arr, uint32_t index, napi_value value) {
  if (index >= arr->cap_items) {
    size_t cap = arr->cap_items ? arr->cap_items : 8;
    while (cap <= index) cap *= 2;
    napi_value *grown = xcalloc(cap, sizeof *grown);
    if (arr->nitems) memcpy(grown, arr->items, arr->nitems * sizeof *grown);
    arr->items = grown;
    arr->cap_items = cap;
  }
  for (size_t i = arr->nitems; i < index; i++) arr->items[i] = &undefined_value;
  arr->items[index] = value;
  if (index >= arr->nitems) arr->nitems = index + 1;
}

static napi_status fail(napi_status status) {
  the_env.last_error.error_code = status;
  the_env.last_error.error_message = "fake napi: call failed";
  return status;
}

#define CHECK_ARG(x) \
  do {               \
    if (!(x)) return fail(napi_invalid_arg); \
  } while (0)

/* ---- test-double controls ---- */

napi_env fake_napi_env(void) { return &the_env; }

const napi_module *fake_napi_registered_module(void) { return have_registered ? &registered : NULL; }

const char *const *fake_napi_property_names(napi_value object, size_t *count) {
  *count = 0;
  if (!is_objectish(object)) return NULL;
  const char **names = xcalloc(object->nprops + 1, sizeof *names);
  for (size_t i = 0; i < object->nprops; i++) names[i] = object->props[i].name;
  *count = object->nprops;
  return names;
}

const char *fake_napi_string(napi_value v) { return v && v->type == napi_string ? v->str : NULL; }

double fake_napi_number(napi_value v) { return v && v->type == napi_number ? v->number : NAN; }

int fake_napi_bool(napi_value v) { return v && v->type == napi_boolean ? v->boolean : -1; }

bool fake_napi_is_error(napi_value v) { return v && v->is_error; }

unsigned fake_napi_unimplemented_calls(void) { return unimplemented_calls; }

void fake_napi_unimplemented(const char *name) {
  unimplemented_calls++;
  fprintf(stderr, "fake napi: %s is not implemented by the test double\n", name);
}

static void print_string(const char *s, size_t len, size_t max) {
  putchar('"');
  if (len > max)
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80) max--; /* cut on a UTF-8 boundary */
  for (size_t i = 0; i < len && i < max; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c < 0x20) printf("\\u%04x", c);
    else putchar(c);
  }
  if (len > max) printf("...(%zu bytes)", len);
  putchar('"');
}

void fake_napi_print(napi_value v, size_t max_string) {
  if (!v) {
    fputs("<null handle>", stdout);
    return;
  }
  switch (v->type) {
    case napi_undefined: fputs("undefined", stdout); return;
    case napi_null: fputs("null", stdout); return;
    case napi_boolean: fputs(v->boolean ? "true" : "false", stdout); return;
    case napi_number: printf("%.17g", v->number); return;
    case napi_string: print_string(v->str, v->len, max_string); return;
    case napi_function: fputs("[Function]", stdout); return;
    case napi_external: fputs("[External]", stdout); return;
    default: break;
  }
  if (v->is_array) {
    putchar('[');
    for (size_t i = 0; i < v->nitems; i++) {
      if (i) fputs(", ", stdout);
      fake_napi_print(v->items[i], max_string);
    }
    putchar(']');
    return;
  }
  if (v->is_error) fputs("Error ", stdout);
  putchar('{');
  for (size_t i = 0; i < v->nprops; i++) {
    if (i) fputs(", ", stdout);
    printf("%s: ", v->props[i].name);
    fake_napi_print(v->props[i].value, max_string);
  }
  putchar('}');
}

/* ---- module registration ---- */

void napi_module_register(napi_module *mod) {
  /* The caller's struct and name live on its stack: copy both. */
  registered = *mod;
  registered.nm_modname = mod->nm_modname ? strdup(mod->nm_modname) : NULL;
  have_registered = true;
}

void napi_fatal_error(const char *location, size_t location_len, const char *message, size_t message_len) {
  if (location_len == NAPI_AUTO_LENGTH) location_len = location ? strlen(location) : 0;
  if (message_len == NAPI_AUTO_LENGTH) message_len = message ? strlen(message) : 0;
  fprintf(stderr, "fake napi: napi_fatal_error at %.*s: %.*s\n", (int)location_len, location ? location : "",
          (int)message_len, message ? message : "");
  abort();
}

napi_status napi_get_last_error_info(napi_env env, const napi_extended_error_info **result) {
  CHECK_ARG(env && result);
  *result = &the_env.last_error;
  return napi_ok;
}

napi_status napi_get_version(napi_env env, uint32_t *result) {
  CHECK_ARG(env && result);
  *result = 8;
  return napi_ok;
}

/* ---- primitive values ---- */

napi_status napi_get_undefined(napi_env env, napi_value *result) {
  CHECK_ARG(env && result);
  *result = &undefined_value;
  return napi_ok;
}

napi_status napi_get_null(napi_env env, napi_value *result) {
  CHECK_ARG(env && result);
  *result = &null_value;
  return napi_ok;
}

napi_status napi_get_global(napi_env env, napi_value *result) {
  CHECK_ARG(env && result);
  if (!global_object) global_object = new_value(napi_object);
  *result = global_object;
  return napi_ok;
}

napi_status napi_get_boolean(napi_env env, bool value, napi_value *result) {
  CHECK_ARG(env && result);
  *result = new_value(napi_boolean);
  (*result)->boolean = value;
  return napi_ok;
}

static napi_status make_number(napi_env env, double value, napi_value *result) {
  CHECK_ARG(env && result);
  *result = new_value(napi_number);
  (*result)->number = value;
  return napi_ok;
}

napi_status napi_create_double(napi_env env, double value, napi_value *result) {
  return make_number(env, value, result);
}
napi_status napi_create_int32(napi_env env, int32_t value, napi_value *result) {
  return make_number(env, value, result);
}
napi_status napi_create_uint32(napi_env env, uint32_t value, napi_value *result) {
  return make_number(env, value, result);
}
napi_status napi_create_int64(napi_env env, int64_t value, napi_value *result) {
  return make_number(env, (double)value, result);
}

napi_status napi_create_string_utf8(napi_env env, const char *str, size_t length, napi_value *result) {
  CHECK_ARG(env && result && (str || length == 0));
  *result = new_string(str, length);
  return napi_ok;
}

napi_status napi_create_string_latin1(napi_env env, const char *str, size_t length, napi_value *result) {
  /* Only ASCII reaches here in the smoke test; ASCII is the same in both encodings. */
  return napi_create_string_utf8(env, str, length, result);
}

static napi_status get_number(napi_env env, napi_value value, double *out) {
  CHECK_ARG(env && value && out);
  if (value->type != napi_number) return fail(napi_number_expected);
  *out = value->number;
  return napi_ok;
}

napi_status napi_get_value_double(napi_env env, napi_value value, double *result) {
  return get_number(env, value, result);
}

napi_status napi_get_value_int32(napi_env env, napi_value value, int32_t *result) {
  double d;
  napi_status s = get_number(env, value, &d);
  if (s == napi_ok) *result = isfinite(d) ? (int32_t)(int64_t)d : 0;
  return s;
}

napi_status napi_get_value_uint32(napi_env env, napi_value value, uint32_t *result) {
  double d;
  napi_status s = get_number(env, value, &d);
  if (s == napi_ok) *result = isfinite(d) ? (uint32_t)(int64_t)d : 0;
  return s;
}

napi_status napi_get_value_int64(napi_env env, napi_value value, int64_t *result) {
  double d;
  napi_status s = get_number(env, value, &d);
  if (s == napi_ok) *result = isfinite(d) ? (int64_t)d : 0;
  return s;
}

napi_status napi_get_value_bool(napi_env env, napi_value value, bool *result) {
  CHECK_ARG(env && value && result);
  if (value->type != napi_boolean) return fail(napi_boolean_expected);
  *result = value->boolean;
  return napi_ok;
}

napi_status napi_get_value_string_utf8(napi_env env, napi_value value, char *buf, size_t bufsize,
                                       size_t *result) {
  CHECK_ARG(env && value);
  if (value->type != napi_string) return fail(napi_string_expected);
  if (!buf) {
    CHECK_ARG(result);
    *result = value->len;
    return napi_ok;
  }
  size_t n = 0;
  if (bufsize > 0) {
    n = value->len < bufsize - 1 ? value->len : bufsize - 1;
    memcpy(buf, value->str, n);
    buf[n] = '\0';
  }
  if (result) *result = n;
  return napi_ok;
}

napi_status napi_get_value_string_latin1(napi_env env, napi_value value, char *buf, size_t bufsize,
                                         size_t *result) {
  return napi_get_value_string_utf8(env, value, buf, bufsize, result);
}

napi_status napi_typeof(napi_env env, napi_value value, napi_valuetype *result) {
  CHECK_ARG(env && value && result);
  *result = value->type;
  return napi_ok;
}

napi_status napi_strict_equals(napi_env env, napi_value a, napi_value b, bool *result) {
  CHECK_ARG(env && a && b && result);
  if (a->type != b->type) *result = false;
  else if (a->type == napi_number) *result = a->number == b->number;
  else if (a->type == napi_boolean) *result = a->boolean == b->boolean;
  else if (a->type == napi_string) *result = a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
  else if (a->type == napi_undefined || a->type == napi_null) *result = true;
  else *result = a == b;
  return napi_ok;
}

napi_status napi_create_external(napi_env env, void *data, napi_finalize finalize_cb, void *hint,
                                 napi_value *result) {
  (void)finalize_cb;
  (void)hint;
  CHECK_ARG(env && result);
  *result = new_value(napi_external);
  (*result)->external = data;
  return napi_ok;
}

napi_status napi_get_value_external(napi_env env, napi_value value, void **result) {
  CHECK_ARG(env && value && result);
  if (value->type != napi_external) return fail(napi_invalid_arg);
  *result = value->external;
  return napi_ok;
}

/* JS ToString, ToNumber and ToBoolean for the primitive values the smoke test passes. */
napi_status napi_coerce_to_string(napi_env env, napi_value value, napi_value *result) {
  CHECK_ARG(env && value && result);
  char buf[64];
  switch (value->type) {
    case napi_string: *result = value; return napi_ok;
    case napi_undefined: *result = new_string("undefined", NAPI_AUTO_LENGTH); return napi_ok;
    case napi_null: *result = new_string("null", NAPI_AUTO_LENGTH); return napi_ok;
    case napi_boolean: *result = new_string(value->boolean ? "true" : "false", NAPI_AUTO_LENGTH); return napi_ok;
    case napi_number:
      if (isnan(value->number)) snprintf(buf, sizeof buf, "NaN");
      else if (isinf(value->number)) snprintf(buf, sizeof buf, value->number > 0 ? "Infinity" : "-Infinity");
      else if (value->number == (double)(int64_t)value->number) snprintf(buf, sizeof buf, "%lld", (long long)value->number);
      else snprintf(buf, sizeof buf, "%.17g", value->number);
      *result = new_string(buf, NAPI_AUTO_LENGTH);
      return napi_ok;
    case napi_object: *result = new_string(value->is_array ? "" : "[object Object]", NAPI_AUTO_LENGTH); return napi_ok;
    default: return fail(napi_string_expected);
  }
}

napi_status napi_coerce_to_number(napi_env env, napi_value value, napi_value *result) {
  CHECK_ARG(env && value && result);
  switch (value->type) {
    case napi_number: *result = value; return napi_ok;
    case napi_boolean: return make_number(env, value->boolean ? 1 : 0, result);
    case napi_null: return make_number(env, 0, result);
    case napi_string: {
      char *end = NULL;
      double d = strtod(value->str, &end);
      return make_number(env, value->len == 0 ? 0 : (end && *end == '\0' ? d : NAN), result);
    }
    default: return make_number(env, NAN, result);
  }
}

napi_status napi_coerce_to_bool(napi_env env, napi_value value, napi_value *result) {
  CHECK_ARG(env && value && result);
  bool b;
  switch (value->type) {
    case napi_undefined: case napi_null: b = false; break;
    case napi_boolean: b = value->boolean; break;
    case napi_number: b = value->number != 0 && !isnan(value->number); break;
    case napi_string: b = value->len != 0; break;
    default: b = true; break;
  }
  return napi_get_boolean(env, b, result);
}

/* ---- objects, properties, arrays ---- */

napi_status napi_create_object(napi_env env, napi_value *result) {
  CHECK_ARG(env && result);
  *result = new_value(napi_object);
  return napi_ok;
}

napi_status napi_get_prototype(napi_env env, napi_value object, napi_value *result) {
  CHECK_ARG(env && result);
  if (!is_objectish(object)) return fail(napi_object_expected);
  if (!object->proto) object->proto = new_value(napi_object);
  *result = object->proto;
  return napi_ok;
}

napi_status napi_set_named_property(napi_env env, napi_value object, const char *name, napi_value value) {
  CHECK_ARG(env && name && value);
  if (!is_objectish(object)) return fail(napi_object_expected);
  set_prop(object, name, value);
  return napi_ok;
}

napi_status napi_get_named_property(napi_env env, napi_value object, const char *name, napi_value *result) {
  CHECK_ARG(env && name && result);
  if (!is_objectish(object)) return fail(napi_object_expected);
  struct fake_prop *p = find_prop(object, name);
  *result = p ? p->value : &undefined_value;
  return napi_ok;
}

napi_status napi_has_named_property(napi_env env, napi_value object, const char *name, bool *result) {
  CHECK_ARG(env && name && result);
  if (!is_objectish(object)) return fail(napi_object_expected);
  *result = find_prop(object, name) != NULL;
  return napi_ok;
}

static napi_status key_name(napi_value key, const char **name) {
  if (!key || key->type != napi_string) return fail(napi_name_expected);
  *name = key->str;
  return napi_ok;
}

napi_status napi_set_property(napi_env env, napi_value object, napi_value key, napi_value value) {
  const char *name;
  napi_status s = key_name(key, &name);
  return s == napi_ok ? napi_set_named_property(env, object, name, value) : s;
}

napi_status napi_get_property(napi_env env, napi_value object, napi_value key, napi_value *result) {
  const char *name;
  napi_status s = key_name(key, &name);
  return s == napi_ok ? napi_get_named_property(env, object, name, result) : s;
}

napi_status napi_has_property(napi_env env, napi_value object, napi_value key, bool *result) {
  const char *name;
  napi_status s = key_name(key, &name);
  return s == napi_ok ? napi_has_named_property(env, object, name, result) : s;
}

napi_status napi_has_own_property(napi_env env, napi_value object, napi_value key, bool *result) {
  return napi_has_property(env, object, key, result);
}

napi_status napi_delete_property(napi_env env, napi_value object, napi_value key, bool *result) {
  CHECK_ARG(env);
  const char *name;
  napi_status s = key_name(key, &name);
  if (s != napi_ok) return s;
  if (!is_objectish(object)) return fail(napi_object_expected);
  struct fake_prop *p = find_prop(object, name);
  if (p) {
    size_t i = (size_t)(p - object->props);
    memmove(&object->props[i], &object->props[i + 1], (object->nprops - i - 1) * sizeof *p);
    object->nprops--;
  }
  if (result) *result = true;
  return napi_ok;
}

napi_status napi_create_array(napi_env env, napi_value *result) {
  CHECK_ARG(env && result);
  *result = new_value(napi_object);
  (*result)->is_array = true;
  return napi_ok;
}

napi_status napi_create_array_with_length(napi_env env, size_t length, napi_value *result) {
  napi_status s = napi_create_array(env, result);
  if (s == napi_ok && length) set_item(*result, (uint32_t)(length - 1), &undefined_value);
  return s;
}

napi_status napi_get_property_names(napi_env env, napi_value object, napi_value *result) {
  CHECK_ARG(env && result);
  if (!is_objectish(object)) return fail(napi_object_expected);
  napi_create_array(env, result);
  for (size_t i = 0; i < object->nprops; i++)
    set_item(*result, (uint32_t)i, new_string(object->props[i].name, NAPI_AUTO_LENGTH));
  return napi_ok;
}

napi_status napi_is_array(napi_env env, napi_value value, bool *result) {
  CHECK_ARG(env && value && result);
  *result = value->is_array;
  return napi_ok;
}

napi_status napi_get_array_length(napi_env env, napi_value value, uint32_t *result) {
  CHECK_ARG(env && value && result);
  if (!value->is_array) return fail(napi_array_expected);
  *result = (uint32_t)value->nitems;
  return napi_ok;
}

napi_status napi_set_element(napi_env env, napi_value object, uint32_t index, napi_value value) {
  CHECK_ARG(env && object && value);
  if (!object->is_array) return fail(napi_array_expected);
  set_item(object, index, value);
  return napi_ok;
}

napi_status napi_get_element(napi_env env, napi_value object, uint32_t index, napi_value *result) {
  CHECK_ARG(env && object && result);
  if (!object->is_array) return fail(napi_array_expected);
  *result = index < object->nitems ? object->items[index] : &undefined_value;
  return napi_ok;
}

napi_status napi_has_element(napi_env env, napi_value object, uint32_t index, bool *result) {
  CHECK_ARG(env && object && result);
  *result = object->is_array && index < object->nitems;
  return napi_ok;
}

napi_status napi_object_freeze(napi_env env, napi_value object) {
  CHECK_ARG(env && object);
  return napi_ok;
}

napi_status napi_object_seal(napi_env env, napi_value object) {
  CHECK_ARG(env && object);
  return napi_ok;
}

/* ---- functions and calls ---- */

napi_status napi_create_function(napi_env env, const char *utf8name, size_t length, napi_callback cb,
                                 void *data, napi_value *result) {
  CHECK_ARG(env && cb && result);
  napi_value f = new_value(napi_function);
  f->cb = cb;
  f->cb_data = data;
  if (utf8name) set_prop(f, "name", new_string(utf8name, length));
  *result = f;
  return napi_ok;
}

napi_status napi_define_properties(napi_env env, napi_value object, size_t count,
                                   const napi_property_descriptor *props) {
  CHECK_ARG(env && (props || count == 0));
  if (!is_objectish(object)) return fail(napi_object_expected);
  for (size_t i = 0; i < count; i++) {
    const char *name = props[i].utf8name;
    if (!name && key_name(props[i].name, &name) != napi_ok) return fail(napi_name_expected);
    napi_value value = props[i].value;
    if (props[i].method) napi_create_function(env, name, NAPI_AUTO_LENGTH, props[i].method, props[i].data, &value);
    set_prop(object, name, value ? value : &undefined_value);
  }
  return napi_ok;
}

napi_status napi_get_cb_info(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv,
                             napi_value *this_arg, void **data) {
  CHECK_ARG(env && info);
  if (argv && argc)
    for (size_t i = 0; i < *argc; i++) argv[i] = i < info->argc ? info->argv[i] : &undefined_value;
  if (argc) *argc = info->argc;
  if (this_arg) *this_arg = info->this_arg;
  if (data) *data = info->data;
  return napi_ok;
}

napi_status napi_get_new_target(napi_env env, napi_callback_info info, napi_value *result) {
  CHECK_ARG(env && info && result);
  *result = NULL; /* never a constructor call here */
  return napi_ok;
}

napi_status napi_call_function(napi_env env, napi_value recv, napi_value func, size_t argc,
                               const napi_value *argv, napi_value *result) {
  CHECK_ARG(env && func && (argv || argc == 0));
  if (func->type != napi_function) return fail(napi_function_expected);
  if (the_env.has_pending) return fail(napi_pending_exception);
  struct fake_cb_info info = {argc, argv, recv ? recv : &undefined_value, func->cb_data};
  napi_value ret = func->cb(env, &info);
  if (the_env.has_pending) {
    if (result) *result = &undefined_value;
    return fail(napi_pending_exception);
  }
  if (result) *result = ret ? ret : &undefined_value;
  return napi_ok;
}

/* ---- references, scopes, thread-safe functions (single-threaded double) ---- */

napi_status napi_create_reference(napi_env env, napi_value value, uint32_t initial, napi_ref *result) {
  CHECK_ARG(env && value && result);
  *result = xcalloc(1, sizeof **result);
  (*result)->value = value;
  (*result)->count = initial;
  return napi_ok;
}

napi_status napi_delete_reference(napi_env env, napi_ref ref) {
  CHECK_ARG(env && ref);
  ref->value = NULL;
  return napi_ok;
}

napi_status napi_reference_ref(napi_env env, napi_ref ref, uint32_t *result) {
  CHECK_ARG(env && ref);
  ref->count++;
  if (result) *result = ref->count;
  return napi_ok;
}

napi_status napi_reference_unref(napi_env env, napi_ref ref, uint32_t *result) {
  CHECK_ARG(env && ref && ref->count > 0);
  ref->count--;
  if (result) *result = ref->count;
  return napi_ok;
}

napi_status napi_get_reference_value(napi_env env, napi_ref ref, napi_value *result) {
  CHECK_ARG(env && ref && result);
  *result = ref->value;
  return napi_ok;
}

static struct fake_scope {
  int depth;
} the_scope;

napi_status napi_open_handle_scope(napi_env env, napi_handle_scope *result) {
  CHECK_ARG(env && result);
  the_scope.depth++;
  *result = &the_scope;
  return napi_ok;
}

napi_status napi_close_handle_scope(napi_env env, napi_handle_scope scope) {
  CHECK_ARG(env && scope);
  the_scope.depth--;
  return napi_ok;
}

napi_status napi_open_escapable_handle_scope(napi_env env, napi_escapable_handle_scope *result) {
  return napi_open_handle_scope(env, result);
}

napi_status napi_close_escapable_handle_scope(napi_env env, napi_escapable_handle_scope scope) {
  return napi_close_handle_scope(env, scope);
}

napi_status napi_escape_handle(napi_env env, napi_escapable_handle_scope scope, napi_value escapee,
                               napi_value *result) {
  CHECK_ARG(env && scope && escapee && result);
  *result = escapee;
  return napi_ok;
}

napi_status napi_create_threadsafe_function(napi_env env, napi_value func, napi_value async_resource,
                                            napi_value async_resource_name, size_t max_queue_size,
                                            size_t initial_thread_count, void *thread_finalize_data,
                                            napi_finalize thread_finalize_cb, void *context,
                                            void *call_js_cb, napi_threadsafe_function *result) {
  (void)async_resource;
  (void)async_resource_name;
  (void)max_queue_size;
  (void)thread_finalize_data;
  (void)thread_finalize_cb;
  (void)call_js_cb;
  CHECK_ARG(env && result);
  *result = xcalloc(1, sizeof **result);
  (*result)->func = func;
  (*result)->context = context;
  (*result)->refs = (int)initial_thread_count;
  return napi_ok;
}

napi_status napi_unref_threadsafe_function(napi_env env, napi_threadsafe_function f) {
  CHECK_ARG(env && f);
  return napi_ok;
}

napi_status napi_ref_threadsafe_function(napi_env env, napi_threadsafe_function f) {
  CHECK_ARG(env && f);
  return napi_ok;
}

napi_status napi_adjust_external_memory(napi_env env, int64_t change, int64_t *result) {
  CHECK_ARG(env);
  if (result) *result = change;
  return napi_ok;
}

/* ---- errors and exceptions ---- */

static napi_value make_error(napi_value code, napi_value msg) {
  napi_value e = new_value(napi_object);
  e->is_error = true;
  if (code && code->type != napi_undefined) set_prop(e, "code", code);
  set_prop(e, "message", msg ? msg : new_string("", 0));
  return e;
}

napi_status napi_create_error(napi_env env, napi_value code, napi_value msg, napi_value *result) {
  CHECK_ARG(env && msg && result);
  if (msg->type != napi_string) return fail(napi_string_expected);
  *result = make_error(code, msg);
  return napi_ok;
}

napi_status napi_create_type_error(napi_env env, napi_value code, napi_value msg, napi_value *result) {
  return napi_create_error(env, code, msg, result);
}

napi_status napi_create_range_error(napi_env env, napi_value code, napi_value msg, napi_value *result) {
  return napi_create_error(env, code, msg, result);
}

napi_status napi_throw(napi_env env, napi_value error) {
  CHECK_ARG(env && error);
  if (!the_env.has_pending) { /* like V8/ArkTS: the first exception wins until cleared */
    the_env.pending = error;
    the_env.has_pending = true;
  }
  return napi_ok;
}

static napi_status throw_text(napi_env env, const char *code, const char *msg) {
  CHECK_ARG(env && msg);
  return napi_throw(env, make_error(code ? new_string(code, NAPI_AUTO_LENGTH) : NULL,
                                    new_string(msg, NAPI_AUTO_LENGTH)));
}

napi_status napi_throw_error(napi_env env, const char *code, const char *msg) { return throw_text(env, code, msg); }
napi_status napi_throw_type_error(napi_env env, const char *code, const char *msg) {
  return throw_text(env, code, msg);
}
napi_status napi_throw_range_error(napi_env env, const char *code, const char *msg) {
  return throw_text(env, code, msg);
}

napi_status napi_is_error(napi_env env, napi_value value, bool *result) {
  CHECK_ARG(env && value && result);
  *result = value->is_error;
  return napi_ok;
}

napi_status napi_is_exception_pending(napi_env env, bool *result) {
  CHECK_ARG(env && result);
  *result = the_env.has_pending;
  return napi_ok;
}

napi_status napi_get_and_clear_last_exception(napi_env env, napi_value *result) {
  CHECK_ARG(env && result);
  *result = the_env.has_pending ? the_env.pending : &undefined_value;
  the_env.pending = NULL;
  the_env.has_pending = false;
  return napi_ok;
}
