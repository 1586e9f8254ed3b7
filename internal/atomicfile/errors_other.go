//go:build !unix

package atomicfile

import "errors"

// errNotSupported matches nothing: on these systems a failed directory sync
// is reported.
var errNotSupported = errors.New("atomicfile: no such error")
