/*
 * Device smoke test: loads libpaysign.so built for a HarmonyOS target against the fake N-API runtime
 * (fake_napi.c, a test double of the ArkTS runtime) and drives its exports the way ArkTS would.
 * Runs under qemu-aarch64 for the aarch64 library and natively for the x86_64 one.
 *   usage: harness LIBPAYSIGN_SO EXPECTED_VERSION
 * Prints one line per check and "N passed, N failed"; exits non-zero when a check failed. A panic that
 * escaped an export would abort the process, which the runner reports as a failure.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_napi.h"

static unsigned passed, failed;
static napi_env env;
static napi_value exports;
static void *lib; /* libpaysign.so; dlsym on it also searches its dependencies (the fake hilog) */

static void check(int ok, const char *what) {
  if (ok) {
    passed++;
    printf("ok - %s\n", what);
  } else {
    failed++;
    printf("not ok - %s\n", what);
  }
}

static void show(const char *label, napi_value v) {
  printf("   %s: ", label);
  fake_napi_print(v, 48);
  putchar('\n');
}

static napi_value str(const char *s) {
  napi_value v = NULL;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

static napi_value num(double d) {
  napi_value v = NULL;
  napi_create_double(env, d, &v);
  return v;
}

static napi_value boolean(int b) {
  napi_value v = NULL;
  napi_get_boolean(env, b != 0, &v);
  return v;
}

static napi_value object(void) {
  napi_value v = NULL;
  napi_create_object(env, &v);
  return v;
}

static void put(napi_value obj, const char *name, napi_value value) { napi_set_named_property(env, obj, name, value); }

static napi_value get(napi_value obj, const char *name) {
  napi_value v = NULL;
  if (!obj || napi_get_named_property(env, obj, name, &v) != napi_ok) return NULL;
  return v;
}

static int has_export(const char *name) {
  napi_valuetype t = napi_undefined;
  napi_value f = get(exports, name);
  return f && napi_typeof(env, f, &t) == napi_ok && t == napi_function;
}

/* Calls exports[name](args...). Returns the result, or NULL with *thrown set when it threw. */
static napi_value call(const char *name, size_t argc, napi_value *argv, napi_value *thrown) {
  napi_value result = NULL;
  *thrown = NULL;
  napi_status s = napi_call_function(env, exports, get(exports, name), argc, argv, &result);
  if (s == napi_pending_exception) {
    napi_get_and_clear_last_exception(env, thrown);
    return NULL;
  }
  return s == napi_ok ? result : NULL;
}

static int str_eq(napi_value v, const char *want) {
  const char *s = fake_napi_string(v);
  return s && strcmp(s, want) == 0;
}

/* The thrown value is an Error with the numeric code and the kind of the error table. */
static int is_paysign_error(napi_value e, double code, const char *kind) {
  return fake_napi_is_error(e) && fake_napi_number(get(e, "code")) == code && str_eq(get(e, "kind"), kind);
}

/* A well-formed orderStr issued one minute before NOW_MS, as a merchant server would send it. */
#define NOW_MS 1751361898042.0
static const char *const valid_order_str =
    "{\"app_id\":\"101831001\",\"merc_no\":\"101610000123\",\"prepay_id\":\"1250701172358089759170400\","
    "\"timestamp\":\"1751361838042\",\"noncestr\":\"6f18060eee669126b98e474407cc0682\","
    "\"sign\":\"c2lnbmF0dXJlLW5vdC1jaGVja2VkLW9uLXRoZS1jbGllbnQ=\",\"auth_id\":\"101610000031001\","
    "\"reserved\":\"{\\\"sandbox_flag\\\": true}\"}";

static void test_version(const char *expected) {
  napi_value thrown;
  napi_value v = call("version", 0, NULL, &thrown);
  show("version()", v ? v : thrown);
  check(str_eq(v, expected), "version() returns the crate version");
}

static void test_parse_order_str(void) {
  napi_value thrown, in = object();
  put(in, "orderStr", str(valid_order_str));
  put(in, "nowMs", num(NOW_MS));
  napi_value info = call("parseOrderStr", 1, &in, &thrown);
  show("parseOrderStr(valid)", info ? info : thrown);
  check(info != NULL, "parseOrderStr accepts a valid orderStr");
  check(str_eq(get(info, "mercNo"), "101610000123") && str_eq(get(info, "prepayId"), "1250701172358089759170400") &&
            str_eq(get(info, "timestamp"), "1751361838042") && str_eq(get(info, "authId"), "101610000031001") &&
            str_eq(get(info, "appId"), "101831001"),
        "parseOrderStr returns the orderStr's fields");
  check(fake_napi_bool(get(info, "sandbox")) == 1, "parseOrderStr reads reserved.sandbox_flag");
  check(fake_napi_number(get(info, "ageMs")) == 60000.0, "parseOrderStr computes ageMs from nowMs");
  napi_valuetype t = napi_object;
  napi_value sign = get(info, "sign");
  check(info && (!sign || (napi_typeof(env, sign, &t) == napi_ok && t == napi_undefined)),
        "parseOrderStr never returns the sign");

  napi_value bad = object();
  put(bad, "orderStr", str("prepay_id=1&sign=2"));
  put(bad, "nowMs", num(NOW_MS));
  napi_value none = call("parseOrderStr", 1, &bad, &thrown);
  show("parseOrderStr(not JSON)", none ? none : thrown);
  check(none == NULL && is_paysign_error(thrown, 2002, "INVALID_TICKET"),
        "parseOrderStr throws 2002 INVALID_TICKET for an orderStr that is not JSON");

  napi_value stale = object();
  put(stale, "orderStr", str(valid_order_str));
  put(stale, "nowMs", num(NOW_MS + 11 * 60 * 1000));
  none = call("parseOrderStr", 1, &stale, &thrown);
  show("parseOrderStr(11 minutes later)", none ? none : thrown);
  check(none == NULL && is_paysign_error(thrown, 2007, "INVALID_TICKET"),
        "parseOrderStr throws 2007 for a prepay_id past its 10-minute validity");
}

/* The merchant's ticket answer: {orderStr, mercOrderNo, mercContractCode} with the orderStr as a JSON string. */
static void ticket_body(const char *order_str, char *out, size_t size) {
  char escaped[1024], *o = escaped;
  for (const char *p = order_str; *p && o < escaped + sizeof escaped - 3; p++) {
    if (*p == '"' || *p == '\\') *o++ = '\\';
    *o++ = *p;
  }
  *o = '\0';
  snprintf(out, size, "{\"orderStr\":\"%s\",\"mercOrderNo\":\"M20250701001\",\"mercContractCode\":\"C001\"}", escaped);
}

/* The flow is an opaque native object (an external) that stepFlow moves in place and answers with
 * the action. */
static void test_flow(void) {
  napi_value thrown, config = object();
  napi_value flow = call("newFlow", 1, &config, &thrown);
  show("newFlow({})", flow ? flow : thrown);
  napi_valuetype t;
  check(flow && napi_typeof(env, flow, &t) == napi_ok && t == napi_external, "newFlow returns an opaque flow object");

  napi_value started = object();
  put(started, "kind", str("STARTED"));
  put(started, "nowMs", num(NOW_MS));
  napi_value args[2] = {flow, started};
  napi_value step = call("stepFlow", 2, args, &thrown);
  show("stepFlow(flow, STARTED)", step ? step : thrown);
  check(str_eq(get(step, "kind"), "FETCH_TICKET") && str_eq(get(step, "stage"), "CREATING_ORDER"),
        "stepFlow: STARTED asks to fetch the ticket");
  napi_value again = call("stepFlow", 2, args, &thrown);
  check(again == NULL && is_paysign_error(thrown, 1001, "INVALID_INPUT"),
        "stepFlow moved the flow: a second STARTED is out of phase (1001)");

  napi_value fetched = object();
  char full[2048];
  ticket_body(valid_order_str, full, sizeof full);
  put(fetched, "kind", str("TICKET_FETCHED"));
  put(fetched, "nowMs", num(NOW_MS + 100));
  put(fetched, "body", str(full));
  napi_value args2[2] = {flow, fetched};
  napi_value step2 = call("stepFlow", 2, args2, &thrown);
  show("stepFlow(flow, TICKET_FETCHED)", step2 ? step2 : thrown);
  check(str_eq(get(step2, "kind"), "OPEN_CASHIER") && str_eq(get(step2, "orderStr"), valid_order_str) &&
            str_eq(get(step2, "mercOrderNo"), "M20250701001"),
        "stepFlow: a valid ticket opens the cashier with its orderStr and names the order");

  napi_value args3[2] = {str("not a flow"), started};
  napi_value none = call("stepFlow", 2, args3, &thrown);
  show("stepFlow(garbage, STARTED)", none ? none : thrown);
  check(none == NULL && is_paysign_error(thrown, 1003, "INVALID_STATE"),
        "stepFlow throws 1003 INVALID_STATE for anything but a flow");
}

/* Logged data never reaches hilog as printf directives: an app_id full of them opens the cashier (the
 * flow logs the redacted orderStr, app_id in clear) and the fake hilog must see no bare directive. */
static void test_log_format(void) {
  unsigned (*entries)(void) = (unsigned (*)(void))dlsym(lib, "fake_hilog_entries");
  unsigned (*violations)(void) = (unsigned (*)(void))dlsym(lib, "fake_hilog_format_violations");
  if (!entries || !violations) {
    printf("   (this build does not log through hilog)\n");
    return;
  }
  static const char *const hostile =
      "{\"app_id\":\"10%n%s%x%d\",\"merc_no\":\"101610000123\",\"prepay_id\":\"1250701172358089759170400\","
      "\"timestamp\":\"1751361838042\",\"noncestr\":\"6f18060eee669126b98e474407cc0682\","
      "\"sign\":\"c2lnbmF0dXJl\",\"auth_id\":\"101610000031001\"}";
  napi_value thrown, config = object();
  napi_value flow = call("newFlow", 1, &config, &thrown);
  napi_value started = object();
  put(started, "kind", str("STARTED"));
  put(started, "nowMs", num(NOW_MS));
  napi_value args[2] = {flow, started};
  call("stepFlow", 2, args, &thrown);
  char body[2048];
  ticket_body(hostile, body, sizeof body);
  napi_value fetched = object();
  put(fetched, "kind", str("TICKET_FETCHED"));
  put(fetched, "nowMs", num(NOW_MS + 100));
  put(fetched, "body", str(body));
  napi_value args2[2] = {flow, fetched};
  unsigned before = entries();
  napi_value step2 = call("stepFlow", 2, args2, &thrown);
  check(str_eq(get(step2, "kind"), "OPEN_CASHIER") && entries() > before,
        "stepFlow logs the step through hilog");
  check(violations() == 0, "logged data reaches hilog with every % escaped (no printf directive from input)");
}

static void test_panic(const char *expected_version) {
  napi_value thrown, in = object();
  put(in, "forcePanic", boolean(0));
  napi_value r = call("selfTest", 1, &in, &thrown);
  show("selfTest({forcePanic: false})", r ? r : thrown);
  const char *target = fake_napi_string(get(r, "target"));
  check(str_eq(get(r, "version"), expected_version) && target && strstr(target, "ohos") != NULL,
        "selfTest reports the version and an ohos target");
  check(fake_napi_bool(get(r, "panicCaught")) == 1, "selfTest: a panic inside the library unwinds and is caught");

  napi_value forced = object();
  put(forced, "forcePanic", boolean(1));
  napi_value none = call("selfTest", 1, &forced, &thrown);
  show("selfTest({forcePanic: true})", none ? none : thrown);
  check(none == NULL && is_paysign_error(thrown, 5002, "INTERNAL"),
        "a panic inside an export comes back as exception 5002 INTERNAL, not an abort");

  napi_value v = call("version", 0, NULL, &thrown);
  check(str_eq(v, expected_version), "the library still answers after the caught panic");
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s LIBPAYSIGN_SO EXPECTED_VERSION\n", argv[0]);
    return 2;
  }
  setvbuf(stdout, NULL, _IONBF, 0); /* keep the report in order with the library's stderr logs */
  env = fake_napi_env();
  lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  check(lib != NULL, "dlopen resolves every import against the fake runtime and libc");
  if (!lib) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    printf("%u passed, %u failed\n", passed, failed);
    return 1;
  }
  const napi_module *mod = fake_napi_registered_module();
  check(mod && mod->nm_modname && strcmp(mod->nm_modname, "paysign") == 0,
        "the library registers itself as module `paysign` when loaded");
  if (!mod || !mod->nm_register_func) {
    printf("%u passed, %u failed\n", passed, failed);
    return 1;
  }
  exports = object();
  napi_value returned = mod->nm_register_func(env, exports);
  bool pending = true;
  napi_is_exception_pending(env, &pending);
  check(returned != NULL && !pending, "module registration fills the exports without throwing");

  size_t n = 0;
  const char *const *names = fake_napi_property_names(exports, &n);
  printf("   exports:");
  for (size_t i = 0; i < n; i++) printf(" %s", names[i]);
  putchar('\n');

  static const char *const required[] = {"version", "parseOrderStr", "newFlow", "stepFlow", "selfTest"};
  for (size_t i = 0; i < sizeof required / sizeof *required; i++) {
    char what[96];
    snprintf(what, sizeof what, "export %s is a function", required[i]);
    check(has_export(required[i]), what);
  }

  if (has_export("version")) test_version(argv[2]);
  if (has_export("parseOrderStr")) test_parse_order_str();
  if (has_export("newFlow") && has_export("stepFlow")) test_flow();
  if (has_export("newFlow") && has_export("stepFlow")) test_log_format();
  if (has_export("selfTest")) test_panic(argv[2]);

  check(fake_napi_unimplemented_calls() == 0, "the library called only napi functions the fake runtime implements");
  printf("%u passed, %u failed\n", passed, failed);
  return failed ? 1 : 0;
}
