/*
 * Command-line handling: skip leading blanks and take the runtime's own
 * `--quiet` token off the front; the program gets the rest.
 */
#include "internal.h"

static bool quiet;

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *skip_blanks(const char *p)
{
    while (is_blank(*p))
        p++;
    return p;
}

const char *cmdline_parse(const char *raw)
{
    static const char token[] = "--quiet";
    const size_t token_len = sizeof(token) - 1;
    const char *p = skip_blanks(raw);

    /* The token counts only as a whole word. */
    if (strncmp(p, token, token_len) == 0 && (p[token_len] == '\0' || is_blank(p[token_len]))) {
        quiet = true;
        p = skip_blanks(p + token_len);
    }
    return p;
}

bool guest_is_quiet(void)
{
    return quiet;
}
