/*
 * Test double of HarmonyOS hilog (libhilog_ndk.z.so) for the device smoke test: writes each entry to
 * stderr as "hilog <level> <tag>: <message>" and counts entries whose format string carries a printf
 * directive from logged data (the hilog binding passes the message as the format). The functions the binding crate declares beyond these come
 * from fake_hilog_defaults.c (generated from its import list) and report themselves when called.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int OH_LOG_VPrint(int type, int level, unsigned int domain, const char *tag, const char *fmt, va_list ap);

static const char *level_name(int level) {
  switch (level) {
    case 3: return "D";
    case 4: return "I";
    case 5: return "W";
    case 6: return "E";
    case 7: return "F";
    default: return "?";
  }
}

static unsigned entries, format_violations;

/* How many entries were logged, and how many carried a printf directive that had no argument. */
unsigned fake_hilog_entries(void) { return entries; }
unsigned fake_hilog_format_violations(void) { return format_violations; }

/* Formats like hilog, without trusting the format: "%%" and string directives ("%s", "%{public}s",
 * "%{private}s") are honoured; any other directive (a "%d" or "%n" that came from logged data) is a
 * violation, counted and printed verbatim instead of being passed to printf (undefined behaviour). */
int OH_LOG_VPrint(int type, int level, unsigned int domain, const char *tag, const char *fmt, va_list ap) {
  (void)type;
  (void)domain;
  entries++;
  int n = fprintf(stderr, "hilog %s %s: ", level_name(level), tag ? tag : "");
  const char *p = fmt ? fmt : "";
  bool bad = false;
  for (const char *q = p; *q; q++) {
    if (*q != '%') continue;
    if (q[1] == '%') { q++; continue; }
    if (q[1] == 's') { q++; continue; }
    if (strncmp(q + 1, "{public}s", 9) == 0 || strncmp(q + 1, "{private}s", 10) == 0) { q = strchr(q, '}') + 1; continue; }
    bad = true;
  }
  if (bad) {
    format_violations++;
    n += fprintf(stderr, "[fake hilog: printf directive without argument in] %s\n", p);
    return n;
  }
  for (; *p; p++) {
    if (*p != '%') { fputc(*p, stderr); n++; continue; }
    if (p[1] == '%') { fputc('%', stderr); n++; p++; continue; }
    p = p[1] == 's' ? p + 1 : strchr(p, '}') + 1;
    const char *arg = va_arg(ap, const char *);
    n += fprintf(stderr, "%s", arg ? arg : "(null)");
  }
  fputc('\n', stderr);
  return n + 1;
}

int OH_LOG_Print(int type, int level, unsigned int domain, const char *tag, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = OH_LOG_VPrint(type, level, domain, tag, fmt, ap);
  va_end(ap);
  return n;
}

int OH_LOG_PrintMsg(int type, int level, unsigned int domain, const char *tag, const char *message) {
  (void)type;
  (void)domain;
  return fprintf(stderr, "hilog %s %s: %s\n", level_name(level), tag ? tag : "", message ? message : "");
}

int OH_LOG_PrintMsgByLen(int type, int level, unsigned int domain, const char *tag, size_t tag_len,
                         const char *message, size_t message_len) {
  (void)type;
  (void)domain;
  return fprintf(stderr, "hilog %s %.*s: %.*s\n", level_name(level), (int)tag_len, tag ? tag : "",
                 (int)message_len, message ? message : "");
}

bool OH_LOG_IsLoggable(unsigned int domain, const char *tag, int level) {
  (void)domain;
  (void)tag;
  return level >= 3;
}
