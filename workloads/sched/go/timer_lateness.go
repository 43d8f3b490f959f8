// timer_lateness.go — Go twin of workloads/sched/timer_lateness.c.
package main

import (
	"sync"
	"sync/atomic"
	"time"
)

func timerLatenessRun(c *runCtx) int {
	samples, intervalUS := c.paramI("samples"), c.paramI("interval_us")
	if samples < 1 || samples > 1000000 || intervalUS < 1 || intervalUS > 1000000 {
		return c.fail(statusUsage, "timer-lateness: need 1 <= samples <= 1e6, 1 <= interval_us <= 1e6")
	}
	interval := time.Duration(intervalUS) * time.Microsecond
	ntimers := c.threads - 1
	if ntimers < 1 {
		ntimers = 1
	}
	lateness := make([]uint64, int64(ntimers)*samples)
	var done atomic.Int64
	var stop atomic.Bool
	var spins atomic.Uint64
	c.run(c.threads, func() {
		var hogs, timers sync.WaitGroup
		hogs.Add(c.threads)
		timers.Add(ntimers)
		for i := 0; i < c.threads; i++ {
			go hog(&stop, &spins, &hogs)
		}
		for t := 0; t < ntimers; t++ {
			go func(out []uint64) {
				for i := range out {
					t0 := time.Now()
					time.Sleep(interval)
					if late := time.Since(t0) - interval; late > 0 {
						out[i] = uint64(late.Nanoseconds())
					}
					done.Add(1)
				}
				timers.Done()
			}(lateness[int64(t)*samples : int64(t+1)*samples])
		}
		timers.Wait()
		stop.Store(true)
		hogs.Wait()
	})
	c.count(uint64(len(lateness)))
	if done.Load() != int64(len(lateness)) {
		return c.verifyFail("timer-lateness: %d sleeps completed, expected %d", done.Load(), len(lateness))
	}
	c.reportLatency("lateness", lateness)
	return statusOK
}

func init() { workloads["timer-lateness"] = timerLatenessRun }
