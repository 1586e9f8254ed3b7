//go:build !unix

package peers

// lockFile is a no-op where flock(2) does not exist: concurrent eopeers runs
// are not serialized there.
func lockFile(string) (func(), error) { return func() {}, nil }
