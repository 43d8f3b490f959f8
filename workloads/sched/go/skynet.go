// skynet.go — Go twin of workloads/sched/skynet.c (the original skynet is
// written in Go: this is it, with the leaf count and fan-out as parameters).
package main

func skynetTask(parent chan<- uint64, first, size, fanout uint64) {
	if size == 1 {
		parent <- first
		return
	}
	c := make(chan uint64)
	step := size / fanout
	for i := uint64(0); i < fanout; i++ {
		go skynetTask(c, first+i*step, step, fanout)
	}
	var sum uint64
	for i := uint64(0); i < fanout; i++ {
		sum += <-c
	}
	parent <- sum
}

func skynetRun(c *runCtx) int {
	leaves, fanout := uint64(c.paramI("leaves")), uint64(c.paramI("fanout"))
	if fanout < 2 {
		return c.fail(statusUsage, "skynet: fanout must be >= 2")
	}
	tasks, level := uint64(0), uint64(1)
	for ; level < leaves; level *= fanout {
		tasks += level
	}
	if level != leaves {
		return c.fail(statusUsage, "skynet: leaves must be a power of fanout")
	}
	tasks += leaves
	var sum uint64
	c.run(c.threads, func() {
		result := make(chan uint64)
		go skynetTask(result, 0, leaves, fanout)
		sum = <-result
	})
	c.count(tasks)
	if sum != triangle(leaves) {
		return c.verifyFail("skynet: sum %d, expected %d", sum, triangle(leaves))
	}
	return statusOK
}

func init() { workloads["skynet"] = skynetRun }
