// yield_storm.go — Go twin of workloads/sched/yield_storm.c.
package main

import (
	"runtime"
	"sync"
	"sync/atomic"
)

func yieldStormRun(c *runCtx) int {
	tasks, yields := c.paramI("tasks"), c.paramI("yields")
	if tasks < 1 || tasks > 1000000 || yields < 0 {
		return c.fail(statusUsage, "yield-storm: need 1 <= tasks <= 1e6 and yields >= 0")
	}
	var total atomic.Int64
	c.run(c.threads, func() {
		var wg sync.WaitGroup
		wg.Add(int(tasks))
		for i := int64(0); i < tasks; i++ {
			go func() {
				n := int64(0)
				for ; n < yields; n++ {
					runtime.Gosched()
				}
				total.Add(n)
				wg.Done()
			}()
		}
		wg.Wait()
	})
	c.count(uint64(tasks * yields))
	if total.Load() != tasks*yields {
		return c.verifyFail("yield-storm: %d yields done, expected %d", total.Load(), tasks*yields)
	}
	return statusOK
}

func init() { workloads["yield-storm"] = yieldStormRun }
