// The process heap: giving its free memory back to the kernel when load ends (glibc's malloc_trim).

import CLibevent

/// The process heap (glibc malloc).
public enum Heap {
    /// Returns the heap's free memory to the kernel: glibc keeps what a burst of connections freed (most of
    /// it between blocks still in use, so it never shrinks the heap by itself); `malloc_trim(0)` releases
    /// those pages. Costs a walk of the free lists. True when some memory was released.
    @discardableResult
    public static func trim() -> Bool { httpd_malloc_trim() != 0 }
}
