// syscall_handoff.go — Go twin of workloads/sched/syscall_handoff.c (after
// Go's TestPreemptionAfterSyscall): blockers sleep in syscall.Nanosleep while
// a ticker works and yields; GOMAXPROCS is the `procs` parameter.
package main

import (
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const maxGaps = 1 << 20
const stallLimit = 5 * time.Second

func syscallHandoffRun(c *runCtx) int {
	procs, blockers := c.paramI("procs"), c.paramI("blockers")
	sleeps, sleepUS := c.paramI("sleeps"), c.paramI("sleep_us")
	if procs < 1 || procs > 4096 || blockers < 1 || blockers > 100000 || sleeps < 0 || sleepUS < 0 || sleepUS > 1000000 {
		return c.fail(statusUsage, "syscall-handoff: need procs, blockers >= 1, sleeps >= 0, 0 <= sleep_us <= 1e6")
	}
	var done atomic.Int64
	var finished atomic.Bool
	gaps := make([]uint64, 0, 4096)
	var ticks uint64
	var maxGap time.Duration
	c.run(int(procs), func() {
		var blockersWG, tickerWG sync.WaitGroup
		blockersWG.Add(int(blockers))
		tickerWG.Add(1)
		go func() {
			last := time.Now()
			for !finished.Load() {
				spin(10 * time.Microsecond)
				now := time.Now()
				gap := now.Sub(last)
				last = now
				ticks++
				if gap > maxGap {
					maxGap = gap
				}
				if len(gaps) < maxGaps {
					gaps = append(gaps, uint64(gap.Nanoseconds()))
				}
				runtime.Gosched()
			}
			tickerWG.Done()
		}()
		for b := int64(0); b < blockers; b++ {
			go func() {
				for i := int64(0); i < sleeps; i++ {
					ts := syscall.NsecToTimespec(sleepUS * 1000)
					for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
					}
					done.Add(1)
				}
				blockersWG.Done()
			}()
		}
		blockersWG.Wait()
		finished.Store(true)
		tickerWG.Wait()
	})
	c.count(uint64(blockers * sleeps))
	c.report("ticks", float64(ticks))
	c.reportLatency("tick_gap", gaps)
	if done.Load() != blockers*sleeps {
		return c.verifyFail("syscall-handoff: %d sleeps done, expected %d", done.Load(), blockers*sleeps)
	}
	if maxGap >= stallLimit {
		return c.verifyFail("syscall-handoff: the runnable ticker stalled for %.1f s", maxGap.Seconds())
	}
	return statusOK
}

func init() { workloads["syscall-handoff"] = syscallHandoffRun }
