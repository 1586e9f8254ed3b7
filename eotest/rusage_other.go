//go:build !unix

package eotest

import "os"

// maxRSS is an exited process's peak resident memory in bytes: unknown
// (0) on this system.
func maxRSS(*os.ProcessState) int64 { return 0 }

// selfMaxRSS is this process's peak resident memory in bytes: unknown
// (0) on this system.
func selfMaxRSS() int64 { return 0 }
