// The only C in httpd: libevent's core API as Swift sees it.
// libc headers come first: Debian's event2/event-config.h defines _GNU_SOURCE, which would
// otherwise change what glibc's headers declare after Swift's Glibc module has read them.
#ifndef HTTPD_CLIBEVENT_SHIM_H
#define HTTPD_CLIBEVENT_SHIM_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/listener.h>
#include <event2/util.h>

/// `event_new` with a `void *` argument, kept as a function so Swift passes an `Unmanaged` pointer.
static inline struct event *httpd_event_new(struct event_base *base, evutil_socket_t fd, short what,
                                            event_callback_fn cb, void *arg) {
    return event_new(base, fd, what, cb, arg);
}

/// `evtimer_add`/`event_add` with a relative time in milliseconds: `struct timeval` is awkward in Swift.
static inline int httpd_event_add_ms(struct event *ev, int64_t ms) {
    if (ms < 0) return event_add(ev, NULL);
    struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000) };
    return event_add(ev, &tv);
}

/// One read(2) of up to `size` bytes (at most 16 KiB) into `buf`, as read(2) answers (errno kept): evbuffer_read
/// would first ask the kernel how much is waiting (an ioctl per read), which a keep-alive request does not
/// need. The bytes land on the stack and are then added to `buf`: reserving the space in `buf` first
/// would allocate a 32 KiB chain for every read (16 KiB and the chain's header, rounded up to a power of
/// two), even a read that finds only the end of the stream, while a request of a few hundred bytes
/// fits in a 1 KiB chain.
static inline ssize_t httpd_evbuffer_read_once(struct evbuffer *buf, int fd, size_t size) {
    char bytes[16384];
    ssize_t r = read(fd, bytes, size < sizeof bytes ? size : sizeof bytes);
    if (r > 0 && evbuffer_add(buf, bytes, (size_t)r) != 0) { errno = ENOMEM; return -1; }
    return r;
}

/// The event flag values are macros, which Swift imports as `Int32`; these name them as `short`.
static const short HTTPD_EV_READ = EV_READ;
static const short HTTPD_EV_WRITE = EV_WRITE;
static const short HTTPD_EV_PERSIST = EV_PERSIST;
static const short HTTPD_EV_TIMEOUT = EV_TIMEOUT;
static const short HTTPD_EV_SIGNAL = EV_SIGNAL;

#endif
