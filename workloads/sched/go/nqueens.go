// nqueens.go — Go twin of workloads/sched/nqueens.c: a goroutine per
// placement in the first `cutoff` rows, serial search below.
package main

import "sync"

func queensSerial(n, row int, cols, d1, d2 uint32) uint64 {
	if row == n {
		return 1
	}
	var count uint64
	free := ^(cols | d1 | d2) & (1<<n - 1)
	for free != 0 {
		bit := free & -free
		free ^= bit
		count += queensSerial(n, row+1, cols|bit, (d1|bit)<<1, (d2|bit)>>1)
	}
	return count
}

func queensTask(n, row, cutoff int, cols, d1, d2 uint32) uint64 {
	if row >= cutoff || row == n {
		return queensSerial(n, row, cols, d1, d2)
	}
	var results []uint64
	var wg sync.WaitGroup
	free := ^(cols | d1 | d2) & (1<<n - 1)
	for free != 0 {
		bit := free & -free
		free ^= bit
		results = append(results, 0)
		k := len(results) - 1
		wg.Add(1)
		go func(c, a, b uint32) {
			results[k] = queensTask(n, row+1, cutoff, c, a, b)
			wg.Done()
		}(cols|bit, (d1|bit)<<1, (d2|bit)>>1)
	}
	wg.Wait()
	var total uint64
	for _, r := range results {
		total += r
	}
	return total
}

func queensTasks(n, row, cutoff int, cols, d1, d2 uint32) uint64 {
	if row >= cutoff || row == n {
		return 0
	}
	var count uint64
	free := ^(cols | d1 | d2) & (1<<n - 1)
	for free != 0 {
		bit := free & -free
		free ^= bit
		count += 1 + queensTasks(n, row+1, cutoff, cols|bit, (d1|bit)<<1, (d2|bit)>>1)
	}
	return count
}

func nqueensRun(c *runCtx) int {
	known := []uint64{1, 1, 0, 0, 2, 10, 4, 40, 92, 352, 724, 2680, 14200, 73712, 365596, 2279184, 14772512}
	n, cutoff := int(c.paramI("n")), int(c.paramI("cutoff"))
	if n < 1 || n > 16 || cutoff < 0 {
		return c.fail(statusUsage, "nqueens: need 1 <= n <= 16 and cutoff >= 0")
	}
	var solutions uint64
	c.run(c.threads, func() { solutions = queensTask(n, 0, cutoff, 0, 0, 0) })
	tasks := queensTasks(n, 0, cutoff, 0, 0, 0)
	if tasks == 0 {
		tasks = 1
	}
	c.count(tasks)
	if solutions != known[n] {
		return c.verifyFail("nqueens: %d solutions for n=%d, expected %d", solutions, n, known[n])
	}
	return statusOK
}

func init() { workloads["nqueens"] = nqueensRun }
