// pingpong.go — Go twin of workloads/sched/pingpong.c (pingpong and
// pingpong-pairs).
package main

import (
	"sync"
	"sync/atomic"
)

func pingpongRun(c *runCtx) int {
	pairs, trips := c.paramI("pairs"), c.paramI("round_trips")
	if pairs < 1 || pairs > 100000 || trips < 0 {
		return c.fail(statusUsage, "pingpong: need 1 <= pairs <= 100000 and round_trips >= 0")
	}
	var bad atomic.Int64
	c.run(c.threads, func() {
		var wg sync.WaitGroup
		wg.Add(int(2 * pairs))
		for p := int64(0); p < pairs; p++ {
			ping, pong := make(chan int64), make(chan int64)
			go func() {
				for i := int64(0); i < trips; i++ {
					pong <- <-ping
				}
				wg.Done()
			}()
			go func() {
				wrong := int64(0)
				for i := int64(0); i < trips; i++ {
					ping <- i
					if <-pong != i {
						wrong++
					}
				}
				bad.Add(wrong)
				wg.Done()
			}()
		}
		wg.Wait()
	})
	c.count(uint64(pairs * trips))
	if bad.Load() != 0 {
		return c.verifyFail("pingpong: %d echoes differed from what was sent", bad.Load())
	}
	return statusOK
}

func init() {
	workloads["pingpong"] = pingpongRun
	workloads["pingpong-pairs"] = pingpongRun
}
