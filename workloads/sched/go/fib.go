// fib.go — Go twin of workloads/sched/fib.c: fib(n) spawns fib(n-1) as a
// goroutine, computes fib(n-2) itself and joins with a WaitGroup.
package main

import (
	"sync"
	"time"
)

func fibSerial(n int64) uint64 {
	if n < 2 {
		return uint64(n)
	}
	return fibSerial(n-1) + fibSerial(n-2)
}

func fibTask(n, cutoff int64) uint64 {
	if n < cutoff || n < 2 {
		return fibSerial(n)
	}
	var wg sync.WaitGroup
	var child uint64
	wg.Add(1)
	go func() {
		child = fibTask(n-1, cutoff)
		wg.Done()
	}()
	own := fibTask(n-2, cutoff)
	wg.Wait()
	return child + own
}

func fibTasks(n, cutoff int64) uint64 {
	if n < cutoff || n < 2 {
		return 0
	}
	return 1 + fibTasks(n-1, cutoff) + fibTasks(n-2, cutoff)
}

func fibRun(c *runCtx) int {
	n, cutoff := c.paramI("n"), c.paramI("cutoff")
	if n < 0 || n > 60 || cutoff < 0 {
		return c.fail(statusUsage, "fib: need 0 <= n <= 60, cutoff >= 0")
	}
	var result uint64
	c.run(c.threads, func() { result = fibTask(n, cutoff) })
	tasks := fibTasks(n, cutoff)
	if tasks == 0 {
		tasks = 1
	}
	c.count(tasks)
	a, b := uint64(0), uint64(1)
	for i := int64(0); i < n; i++ {
		a, b = b, a+b
	}
	t0 := time.Now()
	serial := fibSerial(n)
	c.report("serial_ns", float64(time.Since(t0).Nanoseconds()))
	if result != a || serial != a {
		return c.verifyFail("fib: fib(%d) = %d, expected %d", n, result, a)
	}
	return statusOK
}

func init() { workloads["fib"] = fibRun }
