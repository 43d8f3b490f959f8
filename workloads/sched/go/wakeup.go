// wakeup.go — Go twin of workloads/sched/wakeup.c (wakeup and
// wakeup-syscall; Go's BenchmarkWakeupParallel{Spinning,Syscall}).  The
// syscall variant blocks in syscall.Nanosleep, which goes through the
// runtime's entersyscall/exitsyscall.
package main

import (
	"sync"
	"syscall"
	"time"
)

func wakeupRun(c *runCtx, viaSyscall bool) int {
	iters, delayUS := c.paramI("iters"), c.paramI("delay_us")
	if iters < 0 || delayUS < 0 || delayUS > 1000000 {
		return c.fail(statusUsage, "wakeup: need iters >= 0 and 0 <= delay_us <= 1e6")
	}
	delay := time.Duration(delayUS) * time.Microsecond
	wait := func() {
		if !viaSyscall {
			spin(delay)
			return
		}
		ts := syscall.NsecToTimespec(delay.Nanoseconds())
		for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
		}
	}
	bad := int64(0)
	t0 := time.Now()
	c.run(c.threads, func() {
		toA, toB := make(chan int64), make(chan int64)
		var wg sync.WaitGroup
		wg.Add(1)
		badB := int64(0)
		go func() {
			for i := int64(0); i < iters; i++ {
				v := <-toB
				if v != i {
					badB++
				}
				wait()
				toA <- v
			}
			wg.Done()
		}()
		for i := int64(0); i < iters; i++ {
			wait()
			toB <- i
			if <-toA != i {
				bad++
			}
		}
		wg.Wait()
		bad += badB
	})
	elapsed := time.Since(t0)
	c.count(uint64(iters))
	if iters > 0 {
		c.report("wakeup_ns", float64(elapsed.Nanoseconds())/(2*float64(iters))-float64(delay.Nanoseconds()))
	}
	if bad != 0 {
		return c.verifyFail("wakeup: %d exchanges carried the wrong value", bad)
	}
	return statusOK
}

func init() {
	workloads["wakeup"] = func(c *runCtx) int { return wakeupRun(c, false) }
	workloads["wakeup-syscall"] = func(c *runCtx) int { return wakeupRun(c, true) }
}
