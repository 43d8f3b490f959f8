// spawn_many.go — Go twin of workloads/sched/spawn_many.c.  Go cannot spawn
// from a thread outside the runtime, so the spawner is a goroutine locked to
// its own OS thread; its spawns go to its P's local queue (overflowing to the
// global queue) rather than arriving from outside.
package main

import (
	"runtime"
	"sync/atomic"
)

func spawnManyRun(c *runCtx) int {
	tasks := c.paramI("tasks")
	if tasks < 1 {
		return c.fail(statusUsage, "spawn-many: tasks must be >= 1")
	}
	ran := make([]atomic.Int32, tasks)
	var remaining atomic.Int64
	remaining.Store(tasks)
	c.run(c.threads, func() {
		done := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			for i := int64(0); i < tasks; i++ {
				go func(i int64) {
					ran[i].Add(1)
					if remaining.Add(-1) == 0 {
						done <- struct{}{}
					}
				}(i)
			}
		}()
		<-done
	})
	c.count(uint64(tasks))
	for i := range ran {
		if n := ran[i].Load(); n != 1 {
			return c.verifyFail("spawn-many: task %d ran %d times", i, n)
		}
	}
	return statusOK
}

func init() { workloads["spawn-many"] = spawnManyRun }
