//go:build unix

package atomicfile

import "syscall"

var errNotSupported error = syscall.EINVAL
