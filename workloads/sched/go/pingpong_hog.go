// pingpong_hog.go — Go twin of workloads/sched/pingpong_hog.c (Go's own
// BenchmarkPingPongHog, GOMAXPROCS=1).  The Go runtime preempts the hog
// asynchronously, so the hog makes no cooperative calls.
package main

import (
	"sync"
	"sync/atomic"
)

func pingpongHogRun(c *runCtx) int {
	trips := c.paramI("round_trips")
	if trips < 0 {
		return c.fail(statusUsage, "pingpong-hog: round_trips must be >= 0")
	}
	var stop atomic.Bool
	var spins atomic.Uint64
	bad := int64(0)
	c.run(1, func() {
		var wg sync.WaitGroup
		wg.Add(2)
		ping, pong := make(chan int64), make(chan int64)
		go hog(&stop, &spins, &wg)
		go func() {
			for i := int64(0); i < trips; i++ {
				pong <- <-ping
			}
			wg.Done()
		}()
		for i := int64(0); i < trips; i++ {
			ping <- i
			if <-pong != i {
				bad++
			}
		}
		stop.Store(true)
		wg.Wait()
	})
	c.count(uint64(trips))
	c.report("hog_spins", float64(spins.Load()))
	c.report("hog_cooperative", 0)
	if bad != 0 {
		return c.verifyFail("pingpong-hog: %d echoes differed", bad)
	}
	return statusOK
}

func init() { workloads["pingpong-hog"] = pingpongHogRun }
