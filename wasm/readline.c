/*
 * readline: the playground's interactive sample. A prompt, then a line
 * editor of its own on raw stdin (the page's terminal sends keystrokes as
 * they are typed): it echoes printable characters, erases on backspace
 * (DEL or ^H), and on Enter (CR or LF) prints `you said: LINE`. `exit` or
 * EOF ends it. With piped input (not a terminal) it echoes nothing but the
 * answers, so its test case has exact output.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  int tty = isatty(0);
  char line[256];
  size_t n = 0;
  const char *prompt = "> ";
  write(1, prompt, 2);
  for (;;) {
    unsigned char c;
    ssize_t r = read(0, &c, 1);
    if (r <= 0) break;
    if (c == '\r' || c == '\n') {
      if (tty) write(1, "\r\n", 2);
      line[n] = 0;
      if (strcmp(line, "exit") == 0) return 0;
      printf("you said: %s\n", line);
      fflush(stdout);
      n = 0;
      write(1, prompt, 2);
    } else if (c == 0x7f || c == 0x08) {
      if (n > 0) {
        n--;
        if (tty) write(1, "\b \b", 3);
      }
    } else if (c >= 0x20 && n < sizeof line - 1) {
      line[n++] = (char)c;
      if (tty) write(1, &c, 1);
    }
  }
  write(1, "\n", 1);
  return 0;
}
