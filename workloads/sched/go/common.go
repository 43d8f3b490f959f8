// common.go — helpers shared by the Go twins (workloads/sched/sched_common.c).
package main

import (
	"sync"
	"sync/atomic"
	"time"
)

// spin busy-waits for d without yielding.
func spin(d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
	}
}

// hog spins with no calls until stop is set; only asynchronous preemption
// takes its processor away (sw_hog_task).
func hog(stop *atomic.Bool, spins *atomic.Uint64, wg *sync.WaitGroup) {
	var n uint64
	for !stop.Load() {
		n++
	}
	spins.Add(n)
	wg.Done()
}

func triangle(n uint64) uint64 { return n * (n - 1) / 2 }
