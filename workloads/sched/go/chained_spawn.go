// chained_spawn.go — Go twin of workloads/sched/chained_spawn.c.
package main

func chainTask(left int64, depth int64, done chan<- int64) {
	if left == 0 {
		done <- depth
		return
	}
	go chainTask(left-1, depth, done)
}

func chainedSpawnRun(c *runCtx) int {
	depth := c.paramI("depth")
	if depth < 1 {
		return c.fail(statusUsage, "chained-spawn: depth must be >= 1")
	}
	var got int64
	c.run(c.threads, func() {
		done := make(chan int64)
		go chainTask(depth, depth, done)
		got = <-done
	})
	c.count(uint64(depth) + 1)
	if got != depth {
		return c.verifyFail("chained-spawn: end of chain reported depth %d, expected %d", got, depth)
	}
	return statusOK
}

func init() { workloads["chained-spawn"] = chainedSpawnRun }
