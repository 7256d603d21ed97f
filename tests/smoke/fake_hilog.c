/*
 * Test double of HarmonyOS hilog (libhilog_ndk.z.so) for the device smoke test: writes each entry to
 * stderr as "hilog <level> <tag>: <message>". The functions the binding crate declares beyond these come
 * from fake_hilog_defaults.c (generated from its import list) and report themselves when called.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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

int OH_LOG_VPrint(int type, int level, unsigned int domain, const char *tag, const char *fmt, va_list ap) {
  (void)type;
  (void)domain;
  /* The device's format adds privacy flags ("%{public}s"): drop them for vfprintf. */
  char plain[1024];
  size_t o = 0;
  for (const char *p = fmt ? fmt : ""; *p && o < sizeof plain - 1; p++) {
    if (p[0] == '%' && (strncmp(p + 1, "{public}", 8) == 0 || strncmp(p + 1, "{private}", 9) == 0)) {
      plain[o++] = '%';
      p = strchr(p, '}');
      continue;
    }
    plain[o++] = *p;
  }
  plain[o] = '\0';
  int n = fprintf(stderr, "hilog %s %s: ", level_name(level), tag ? tag : "");
  n += vfprintf(stderr, plain, ap);
  fputc('\n', stderr);
  return n;
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
