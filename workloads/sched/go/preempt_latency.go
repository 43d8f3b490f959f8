// preempt_latency.go — Go twin of workloads/sched/preempt_latency.c.  Go
// has no thread outside the runtime to spawn from, so the prober is a
// goroutine: it must itself be scheduled (by preemption of a hog) to wake
// from its sleep and spawn, and the probe then waits for a processor again.
package main

import (
	"sync"
	"sync/atomic"
	"time"
)

func preemptLatencyRun(c *runCtx) int {
	samples, intervalUS := c.paramI("samples"), c.paramI("interval_us")
	if samples < 1 || samples > 1000000 || intervalUS < 1 || intervalUS > 999999 {
		return c.fail(statusUsage, "preempt-latency: need 1 <= samples <= 1e6, 1 <= interval_us < 1e6")
	}
	latency := make([]uint64, samples)
	runs := make([]atomic.Int32, samples)
	var stop atomic.Bool
	var spins atomic.Uint64
	c.run(c.threads, func() {
		var hogs, probes sync.WaitGroup
		hogs.Add(c.threads)
		probes.Add(int(samples))
		for i := 0; i < c.threads; i++ {
			go hog(&stop, &spins, &hogs)
		}
		go func() {
			for i := int64(0); i < samples; i++ {
				time.Sleep(time.Duration(intervalUS) * time.Microsecond)
				spawned := time.Now()
				go func(i int64) {
					latency[i] = uint64(time.Since(spawned).Nanoseconds())
					runs[i].Add(1)
					probes.Done()
				}(i)
			}
		}()
		probes.Wait()
		stop.Store(true)
		hogs.Wait()
	})
	for i := range runs {
		if n := runs[i].Load(); n != 1 {
			return c.verifyFail("preempt-latency: probe %d ran %d times", i, n)
		}
	}
	c.count(uint64(samples))
	c.reportLatency("latency", latency)
	c.report("hog_spins", float64(spins.Load()))
	return statusOK
}

func init() { workloads["preempt-latency"] = preemptLatencyRun }
