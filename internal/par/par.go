// Package par splits loops over a documented worker pool of up to
// GOMAXPROCS goroutines, for the math packages that may use all cores.
package par

import (
	"runtime"
	"sync"
)

// For calls fn on consecutive ranges [lo, hi) that cover [0, n), each of at
// least grain items, from up to GOMAXPROCS goroutines, and returns when all
// calls have. With one worker it calls fn(0, n) on the calling goroutine.
func For(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	Split(n, min(runtime.GOMAXPROCS(0), max(1, n/max(grain, 1))), func(_, lo, hi int) { fn(lo, hi) })
}

// Split cuts [0, n) into workers consecutive ranges of nearly equal size
// and calls fn(w, lo, hi) for range w, each on its own goroutine (on the
// calling one if workers ≤ 1), returning when all calls have.
func Split(n, workers int, fn func(w, lo, hi int)) {
	if workers <= 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(w, lo, hi)
		}()
	}
	wg.Wait()
}

// ForErr is For with a function that can fail; it returns the error of the
// lowest range that failed, so the result does not depend on scheduling.
func ForErr(n, grain int, fn func(lo, hi int) error) error {
	if n <= 0 {
		return nil
	}
	workers := min(runtime.GOMAXPROCS(0), max(1, n/max(grain, 1)))
	errs := make([]error, workers)
	Split(n, workers, func(w, lo, hi int) { errs[w] = fn(lo, hi) })
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
