package elgamal

import (
	"runtime"
	"sync"
)

// parallel calls f on consecutive chunks [lo, hi) covering [0, n), each of
// at least minChunk items, on up to GOMAXPROCS goroutines, and returns when
// all calls have returned. With one chunk it calls f directly.
func parallel(n, minChunk int, f func(lo, hi int)) {
	if n <= 0 {
		return
	}
	workers := min(runtime.GOMAXPROCS(0), max(1, n/max(1, minChunk)))
	if workers == 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Go(func() { f(lo, hi) })
	}
	wg.Wait()
}
