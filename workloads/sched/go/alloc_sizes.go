// alloc_sizes.go — Go twins of workloads/alloc/blowup.c (reuse across a
// sequence of threads: here goroutines run one after another),
// malloc-large.c (5-25 MiB buffers zero-filled by hand; linger_ms: a
// collection, then RSS read every 10 ms), alloc-test.c
// (Pareto-skewed reuse, every byte written and read back) and threadtest.c
// (bursts of same-size allocations, then of drops).
package main

import (
	"runtime"
	"sync/atomic"
	"time"
)

func blowupRun(c *runCtx) int {
	nthreads, liveMiB := c.paramI("threads"), c.paramI("live_mib")
	churn, maxSize := c.paramI("churn"), c.paramI("max_size")
	if nthreads < 1 || liveMiB < 1 || churn < 0 || maxSize < 1 {
		return c.fail(statusUsage, "blowup: need threads >= 1, live_mib >= 1, churn >= 0, max_size >= 1")
	}
	liveTarget := uint64(liveMiB) << 20
	var k counter
	var peak uint64
	c.timerStart()
	defer c.timerStop()
	for t := 0; t < int(nthreads); t++ {
		var peakLive uint64
		status := goAll(1, func(int) int {
			r := newRng(c.seed + uint64(t))
			blocks := make([]block, 0, 4*liveTarget/uint64(maxSize+1)+16)
			var live, allocs, bytes uint64
			for live < liveTarget {
				size := 1 + r.below(uint64(maxSize))
				blocks = append(blocks, newBlock(int(size), cookie(uint64(t), allocs, 3)))
				live += size
				allocs++
				bytes += size
			}
			peakLive = live
			for i := int64(0); i < churn; i++ {
				s := int(r.below(uint64(len(blocks))))
				live -= uint64(len(blocks[s].p))
				if st := c.drop(&blocks[s], "blowup", t, s); st != statusOK {
					return st
				}
				size := 1 + r.below(uint64(maxSize))
				blocks[s] = newBlock(int(size), cookie(uint64(t), allocs, 3))
				live += size
				if live > peakLive {
					peakLive = live
				}
				allocs++
				bytes += size
			}
			for s := range blocks {
				if st := c.drop(&blocks[s], "blowup", t, s); st != statusOK {
					return st
				}
			}
			k.add(allocs, allocs, bytes)
			return statusOK
		})
		if peakLive > peak {
			peak = peakLive
		}
		if status != statusOK {
			return status
		}
	}
	c.report("ideal_peak_bytes", float64(peak))
	c.countAllocs(&k)
	return statusOK
}

const mib = 1 << 20

func mallocLargeRun(c *runCtx) int {
	iterations, nslots := c.paramI("iterations"), c.paramI("slots")
	minMiB, maxMiB, lingerMS := c.paramI("min_mib"), c.paramI("max_mib"), c.paramI("linger_ms")
	if iterations < 0 || nslots < 1 || minMiB < 1 || maxMiB < minMiB || lingerMS < 0 {
		return c.fail(statusUsage,
			"malloc-large: need iterations >= 0, slots >= 1, 1 <= min_mib <= max_mib, linger_ms >= 0")
	}
	baseKB := rssKB()
	slots := make([]block, nslots)
	release := func(s int) int {
		b := slots[s].p
		for off := mib; off+1 < len(b); off += mib {
			if b[off] != 0 {
				return c.verifyFail("malloc-large: slot %d buffer (%d B): byte at +%d changed while live", s, len(b), off)
			}
		}
		return c.drop(&slots[s], "malloc-large", 0, s)
	}
	r := newRng(uint64(c.paramI("seed")))
	lo, span := uint64(minMiB)*mib, uint64(maxMiB-minMiB)*mib
	var k counter
	c.timerStart()
	for done := int64(0); done < iterations; done++ {
		s := int(r.below(uint64(nslots)))
		if st := release(s); st != statusOK {
			c.timerStop()
			return st
		}
		size := lo + r.below(span+1)
		// make() hands out zeroed memory; the C workload zero-fills by hand,
		// so the twin writes every byte too.
		p := make([]byte, size)
		for i := range p {
			p[i] = 0
		}
		slots[s] = block{p, cookie(uint64(s), uint64(done), 9)}
		mark(p, slots[s].cookie)
		k.add(1, 1, size)
	}
	c.timerStop()
	for s := range slots {
		if st := release(s); st != statusOK {
			return st
		}
	}
	c.countAllocs(&k)
	if lingerMS > 0 {
		// The C workload's last free hands the buffers back at once; here
		// they stay garbage until a cycle ends, and an idle program starts
		// none (until the forced one after 2 minutes), so the scavenger
		// would have nothing to return: the collection stands for the free.
		runtime.GC()
		c.linger(time.Duration(lingerMS)*time.Millisecond, baseKB)
	}
	return statusOK
}

const lingerStep = 10 * time.Millisecond

// linger sleeps in 10 ms steps for d, reporting the RSS returned as
// malloc-large.c's ml_linger does.
func (c *runCtx) linger(d time.Duration, baseKB int64) {
	startKB := rssKB()
	rss, halfKB := startKB, baseKB+(startKB-baseKB)/2
	t0 := time.Now()
	halfSeen, at100ms, at1s := false, false, false
	c.report("linger_base_rss_kb", float64(baseKB))
	c.report("linger_start_rss_kb", float64(startKB))
	for elapsed := time.Duration(0); elapsed < d; {
		time.Sleep(lingerStep)
		elapsed = time.Since(t0)
		ms := float64(elapsed.Milliseconds())
		rss = rssKB()
		if !halfSeen && rss <= halfKB {
			halfSeen = true
			c.report("half_return_ms", ms)
		}
		if !at100ms && elapsed >= 100*time.Millisecond {
			at100ms = true
			c.report("linger_rss_100ms_kb", float64(rss))
		}
		if !at1s && elapsed >= time.Second {
			at1s = true
			c.report("linger_rss_1s_kb", float64(rss))
		}
	}
	c.report("linger_rss_end_kb", float64(rss))
	returned := 0.0
	if startKB > baseKB {
		returned = float64(startKB-rss) / float64(startKB-baseKB)
	}
	c.report("returned_fraction", returned)
}

func atSize(r *rng) int {
	k := 2
	for k < 9 && r.below(2) == 0 {
		k++
	}
	lo := 1 << k
	return lo + 1 + int(r.below(uint64(lo)))
}

func atPick(r *rng, n int) int {
	lo := 0
	for level := 0; level < 7 && n >= 5; level++ {
		if r.below(5) < 4 {
			n /= 5
		} else {
			lo += n / 5
			n -= n / 5
			break
		}
	}
	return lo + int(r.below(uint64(n)))
}

func atNew(size int, c uint64) block {
	b := block{make([]byte, size), c}
	fill := byte(c >> 56)
	for i := range b.p {
		b.p[i] = fill
	}
	mark(b.p, c)
	return b
}

func allocTestRun(c *runCtx) int {
	total, ops := c.paramI("slots"), c.paramI("ops")
	if total < int64(c.threads) || ops < 0 {
		return c.fail(statusUsage, "alloc-test: need slots >= threads and ops >= 0")
	}
	n := int(total / int64(c.threads))
	seed := uint64(c.paramI("seed"))
	var k counter
	free := func(b *block, t, s int) int {
		fill := byte(b.cookie >> 56)
		for i := 8; i < len(b.p); i++ {
			if b.p[i] != fill {
				return c.verifyFail("alloc-test: goroutine %d slot %d (%d B): contents changed while live", t, s, len(b.p))
			}
		}
		return c.drop(b, "alloc-test", t, s)
	}
	c.timerStart()
	status := goAll(c.threads, func(t int) int {
		slots := make([]block, n)
		r := newRng(seed + uint64(t))
		var serial, allocs, bytes uint64
		for i := range slots {
			if r.below(2) != 0 {
				slots[i] = atNew(atSize(r), cookie(uint64(t), serial, 0))
				serial++
			}
		}
		for done := int64(0); done < ops; done++ {
			s := atPick(r, n)
			if slots[s].p != nil {
				if st := free(&slots[s], t, s); st != statusOK {
					return st
				}
			} else {
				size := atSize(r)
				slots[s] = atNew(size, cookie(uint64(t), serial, 0))
				serial++
				allocs++
				bytes += uint64(size)
			}
		}
		for s := range slots {
			if slots[s].p != nil {
				if st := free(&slots[s], t, s); st != statusOK {
					return st
				}
			}
		}
		k.add(uint64(ops), allocs, bytes)
		return statusOK
	})
	c.timerStop()
	c.countAllocs(&k)
	return status
}

func threadtestRun(c *runCtx) int {
	iterations, objects := c.paramI("iterations"), c.paramI("objects")
	work, size := c.paramI("work"), c.paramI("size")
	if iterations < 0 || objects < int64(c.threads) || size < 1 || work < 0 {
		return c.fail(statusUsage, "threadtest: need iterations >= 0, objects >= threads, size >= 1, work >= 0")
	}
	n := int(objects / int64(c.threads))
	var k counter
	var sink atomic.Uint64
	c.timerStart()
	status := goAll(c.threads, func(t int) int {
		blocks := make([][]byte, n)
		var acc uint64
		defer func() { sink.Add(acc) }()
		for it := int64(0); it < iterations; it++ {
			for i := range blocks {
				blocks[i] = make([]byte, size)
				mark(blocks[i], cookie(uint64(t), uint64(it), uint64(i)))
				acc = localWork(work, acc)
			}
			for i := range blocks {
				if !marked(blocks[i], cookie(uint64(t), uint64(it), uint64(i))) {
					return c.verifyFail("threadtest: goroutine %d iteration %d object %d (%d B): cookie overwritten "+
						"while live", t, it, i, size)
				}
				blocks[i] = nil
				acc = localWork(work, acc)
			}
			k.add(uint64(n), uint64(n), uint64(n)*uint64(size))
		}
		return statusOK
	})
	c.timerStop()
	c.countAllocs(&k)
	return status
}

func init() {
	workloads["threadtest"] = threadtestRun
	workloads["blowup"] = blowupRun
	workloads["malloc-large"] = mallocLargeRun
	workloads["alloc-test"] = allocTestRun
}
