package main

import (
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

// peakHeapProfile writes a heap profile to path each time the live heap
// passes its previous peak by a tenth, until stop is called: what the
// file holds at the end is the heap near its peak. It is the hidden
// --memprofile flag's, for finding what a large election keeps in memory.
func peakHeapProfile(path string) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var peak uint64
		var ms runtime.MemStats
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc < peak+peak/10 {
				continue
			}
			peak = ms.HeapAlloc
			f, err := os.Create(path + ".tmp")
			if err != nil {
				continue
			}
			if pprof.Lookup("heap").WriteTo(f, 0) == nil && f.Close() == nil {
				os.Rename(path+".tmp", path)
			} else {
				f.Close()
			}
		}
	}()
	return func() { close(done); <-finished }
}
