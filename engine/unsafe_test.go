package engine

import "unsafe"

// unsafeString aliases b like a collector's zero-copy decoder does.
func unsafeString(b []byte) string { return unsafe.String(&b[0], len(b)) }
