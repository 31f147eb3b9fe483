/*
 * A small printf: integers, strings, characters and pointers, with width,
 * '-' and '0' flags. Output goes to a sink that is either a caller's buffer
 * (snprintf) or a stack buffer flushed to the console when full (printf).
 */
#include "internal.h"

struct sink {
    char *buf;
    size_t cap;
    size_t len;
    size_t total;          /* characters produced, as snprintf reports them */
    bool console;          /* flush to the console instead of truncating */
};

static void sink_flush(struct sink *s)
{
    if (s->console && s->len > 0) {
        guest_write(s->buf, s->len);
        s->len = 0;
    }
}

static void sink_put(struct sink *s, char c)
{
    s->total++;
    if (s->len + 1 >= s->cap) {            /* keep one byte for the NUL */
        if (!s->console)
            return;
        sink_flush(s);
    }
    s->buf[s->len++] = c;
}

static void sink_repeat(struct sink *s, char c, int n)
{
    while (n-- > 0)
        sink_put(s, c);
}

static void put_padded(struct sink *s, const char *text, size_t len, int width,
                       bool left, char pad)
{
    int fill = width > (int)len ? width - (int)len : 0;

    if (!left) {
        /* A sign stays in front of zero padding. */
        if (pad == '0' && len > 0 && text[0] == '-') {
            sink_put(s, '-');
            text++;
            len--;
        }
        sink_repeat(s, pad, fill);
    }
    while (len-- > 0)
        sink_put(s, *text++);
    if (left)
        sink_repeat(s, ' ', fill);
}

/* Render `value` in `base` into the end of `buf`; returns the first digit. */
static char *render_unsigned(char *end, unsigned long long value, unsigned base, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = end;

    do {
        *--p = digits[value % base];
        value /= base;
    } while (value != 0);
    return p;
}

static void format(struct sink *s, const char *fmt, va_list ap)
{
    char number[24];
    char *end = number + sizeof(number);

    for (; *fmt != '\0'; fmt++) {
        if (*fmt != '%') {
            sink_put(s, *fmt);
            continue;
        }
        fmt++;
        bool left = false;
        char pad = ' ';
        for (;; fmt++) {
            if (*fmt == '-')
                left = true;
            else if (*fmt == '0')
                pad = '0';
            else
                break;
        }
        int width = 0;
        if (*fmt == '*') {
            width = va_arg(ap, int);
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                width = width * 10 + (*fmt++ - '0');
        }
        int longs = 0;
        while (*fmt == 'l' || *fmt == 'z' || *fmt == 'h') {
            if (*fmt != 'h')
                longs++;
            fmt++;
        }
        if (left)
            pad = ' ';

        unsigned long long u;
        char *p;
        switch (*fmt) {
        case 'd':
        case 'i': {
            long long v = longs ? va_arg(ap, long long) : va_arg(ap, int);
            u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;
            p = render_unsigned(end, u, 10, false);
            if (v < 0)
                *--p = '-';
            put_padded(s, p, (size_t)(end - p), width, left, pad);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
            u = longs ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned int);
            p = render_unsigned(end, u, *fmt == 'u' ? 10 : 16, *fmt == 'X');
            put_padded(s, p, (size_t)(end - p), width, left, pad);
            break;
        case 'p':
            u = (uintptr_t)va_arg(ap, void *);
            p = render_unsigned(end, u, 16, false);
            *--p = 'x';
            *--p = '0';
            put_padded(s, p, (size_t)(end - p), width, left, ' ');
            break;
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (str == NULL)
                str = "(null)";
            put_padded(s, str, strlen(str), width, left, ' ');
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            put_padded(s, &c, 1, width, left, ' ');
            break;
        }
        case '%':
            sink_put(s, '%');
            break;
        case '\0':
            return;
        default:                      /* unknown conversion: show it as is */
            sink_put(s, '%');
            sink_put(s, *fmt);
            break;
        }
    }
}

int guest_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct sink s = { .buf = buf, .cap = size, .console = false };

    format(&s, fmt, ap);
    if (size > 0)
        buf[s.len] = '\0';
    return (int)s.total;
}

int guest_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int n = guest_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int guest_vprintf(const char *fmt, va_list ap)
{
    char buf[256];
    struct sink s = { .buf = buf, .cap = sizeof(buf), .console = true };

    format(&s, fmt, ap);
    sink_flush(&s);
    return (int)s.total;
}

int guest_printf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int n = guest_vprintf(fmt, ap);
    va_end(ap);
    return n;
}
