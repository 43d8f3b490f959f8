// prodcons.go — Go twin of workloads/sched/prodcons.c (Go's
// BenchmarkChanProdCons{0,10,100} and ChanProdConsWork{0,10,100}).
package main

import (
	"sync"
	"sync/atomic"
)

func localWork(n int64, seed uint64) uint64 {
	for i := int64(0); i < n; i++ {
		seed = seed*6364136223846793005 + 1442695040888963407
	}
	return seed
}

func prodconsRun(c *runCtx) int {
	items, work, capacity := c.paramI("items"), c.paramI("work"), c.paramI("cap")
	if items < 0 || work < 0 || capacity < 0 {
		return c.fail(statusUsage, "prodcons: parameters must be >= 0")
	}
	n := int64(c.threads)
	var received, sum atomic.Int64
	var sink atomic.Uint64
	c.run(c.threads, func() {
		ch := make(chan int64, capacity)
		var producers, all sync.WaitGroup
		producers.Add(int(n))
		all.Add(int(2*n + 1))
		for p := int64(0); p < n; p++ {
			go func() {
				var got, s int64
				var acc uint64
				for v := range ch {
					got++
					s += v
					acc = localWork(work, acc+uint64(v))
				}
				received.Add(got)
				sum.Add(s)
				sink.Add(acc)
				all.Done()
			}()
			go func(id int64) {
				var acc uint64
				for i := int64(1); i <= items; i++ {
					acc = localWork(work, acc+uint64(i))
					ch <- id*items + i
				}
				sink.Add(acc)
				producers.Done()
				all.Done()
			}(p)
		}
		go func() {
			producers.Wait()
			close(ch)
			all.Done()
		}()
		all.Wait()
	})
	total := n * items
	wantSum := int64(0)
	for p := int64(0); p < n; p++ {
		wantSum += p*items*items + items*(items+1)/2
	}
	c.count(uint64(total))
	if received.Load() != total || sum.Load() != wantSum {
		return c.verifyFail("prodcons: received %d values summing to %d, expected %d summing to %d",
			received.Load(), sum.Load(), total, wantSum)
	}
	return statusOK
}

func init() {
	for _, name := range []string{"prodcons-0", "prodcons-10", "prodcons-100",
		"prodcons-work-0", "prodcons-work-10", "prodcons-work-100"} {
		workloads[name] = prodconsRun
	}
}
