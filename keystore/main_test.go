package keystore

import (
	"os"
	"testing"
)

// The tests write with a small scrypt work factor, which they do not
// test (age's own tests do), so that the race detector's run stays short;
// reading the old format's fixture still costs its N = 2^15.
func TestMain(m *testing.M) {
	workFactor = 10
	os.Exit(m.Run())
}
