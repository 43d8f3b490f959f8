// chan_popular.go — Go twin of workloads/sched/chan_popular.c (Go's own
// BenchmarkChanPopular with the iteration count as a parameter).
package main

import (
	"sync"
	"sync/atomic"
)

func chanPopularRun(c *runCtx) int {
	tasks, iters := c.paramI("tasks"), c.paramI("iters")
	if tasks < 1 || tasks > 100000 || iters < 0 {
		return c.fail(statusUsage, "chan-popular: need 1 <= tasks <= 100000 and iters >= 0")
	}
	var wrong atomic.Int64
	c.run(c.threads, func() {
		popular := make(chan int64)
		own := make([]chan int64, tasks)
		var wg sync.WaitGroup
		wg.Add(int(tasks))
		for t := range own {
			own[t] = make(chan int64)
			go func(mine chan int64) {
				bad := int64(0)
				for i := int64(0); i < iters; i++ {
					select {
					case <-popular:
						bad++
					case v, ok := <-mine:
						if !ok || v != i {
							bad++
						}
					}
				}
				wrong.Add(bad)
				wg.Done()
			}(own[t])
		}
		for i := int64(0); i < iters; i++ {
			for _, d := range own {
				d <- i
			}
		}
		wg.Wait()
	})
	c.count(uint64(tasks * iters))
	if wrong.Load() != 0 {
		return c.verifyFail("chan-popular: %d selects fired on the wrong case or out of order", wrong.Load())
	}
	return statusOK
}

func init() { workloads["chan-popular"] = chanPopularRun }
