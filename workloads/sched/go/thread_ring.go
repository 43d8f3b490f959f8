// thread_ring.go — Go twin of workloads/sched/thread_ring.c (the
// Benchmarks Game thread-ring, whose Go entry it follows).
package main

import "sync"

func threadRingRun(c *runCtx) int {
	tasks, passes := c.paramI("tasks"), c.paramI("passes")
	if tasks < 2 || tasks > 1000000 || passes < 0 {
		return c.fail(statusUsage, "thread-ring: need 2 <= tasks <= 1e6 and passes >= 0")
	}
	holder := int64(0)
	c.run(c.threads, func() {
		links := make([]chan int64, tasks)
		for i := range links {
			links[i] = make(chan int64)
		}
		var wg sync.WaitGroup
		wg.Add(int(tasks))
		for i := int64(0); i < tasks; i++ {
			go func(me int64) {
				in, out := links[me], links[(me+1)%tasks]
				for {
					token := <-in
					if token == 0 {
						holder = me + 1
						out <- -1
						<-in
						break
					}
					if token < 0 {
						out <- token
						break
					}
					out <- token - 1
				}
				wg.Done()
			}(i)
		}
		links[0] <- passes
		wg.Wait()
	})
	c.count(uint64(passes))
	if want := passes%tasks + 1; holder != want {
		return c.verifyFail("thread-ring: last holder %d, expected %d", holder, want)
	}
	return statusOK
}

func init() { workloads["thread-ring"] = threadRingRun }
