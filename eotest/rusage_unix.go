//go:build unix

package eotest

import (
	"os"
	"runtime"
	"syscall"
)

// rssUnit is the unit of getrusage's ru_maxrss: bytes on Apple's
// systems, kibibytes on Linux and the BSDs.
func rssUnit() int64 {
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return 1
	}
	return 1024
}

// maxRSS is an exited process's peak resident memory in bytes (its
// rusage's ru_maxrss), 0 if unknown.
func maxRSS(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		return 0
	}
	return int64(ru.Maxrss) * rssUnit()
}

// selfMaxRSS is this process's peak resident memory in bytes so far, 0
// if unknown.
func selfMaxRSS() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return int64(ru.Maxrss) * rssUnit()
}
