package par

import (
	"errors"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFor(t *testing.T) {
	for _, n := range []int{0, 1, 7, 1000, 10007} {
		seen := make([]int32, n)
		For(n, 10, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				atomic.AddInt32(&seen[i], 1)
			}
		})
		for i := range seen {
			require.Equal(t, int32(1), seen[i], "n=%d i=%d", n, i)
		}
	}
}

func TestForErr(t *testing.T) {
	err := ForErr(1000, 1, func(lo, hi int) error {
		if lo <= 500 && 500 < hi {
			return errors.New("bad")
		}
		return nil
	})
	require.EqualError(t, err, "bad")
	require.NoError(t, ForErr(1000, 1, func(lo, hi int) error { return nil }))
}

func TestSplit(t *testing.T) {
	for _, workers := range []int{0, 1, 3, 8} {
		seen := make([]int32, 100)
		ranges := make([]int32, max(workers, 1))
		Split(100, workers, func(w, lo, hi int) {
			atomic.AddInt32(&ranges[w], 1)
			for i := lo; i < hi; i++ {
				atomic.AddInt32(&seen[i], 1)
			}
		})
		for i := range seen {
			require.Equal(t, int32(1), seen[i], "workers=%d i=%d", workers, i)
		}
		for w := range ranges {
			require.Equal(t, int32(1), ranges[w])
		}
	}
}
